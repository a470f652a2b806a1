"""The H3S el-ph fixture (q2r's C(R) and Γ(R) of the fast quickstart point at 200 GPa) as an ElectronPhononModel."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np

from aiida_enatom.constants import BOHR_TO_ANGSTROM, RY_TO_MEV
from aiida_enatom.io import qe_q2r
from aiida_enatom.numerics.isotopes import ElectronPhononModel

H3S = Path(__file__).parents[1] / 'fixtures' / 'qe' / 'h3s_fast_qe67_elph'


def _text(name: str) -> str:
    return gzip.open(H3S / f'{name}.gz', 'rt').read()


def matdyn_grid_mev() -> np.ndarray:
    """matdyn's α²F grid at σ = 0.020 Ry (first column of ``a2F.dos4``), meV."""
    rows = [line.split() for line in _text('a2F.dos4').splitlines()]
    return np.array([float(r[0]) for r in rows if r and r[0][0] in '-0123456789.']) * RY_TO_MEV


def matdyn_lambda() -> float:
    """matdyn's λ at σ = 0.020 Ry (the ``lambda`` file)."""
    lines = [line for line in (H3S / 'lambda').read_text().splitlines() if 'Broadening' in line]
    return float(lines[3].split()[3])


def stored_metrics() -> dict:
    """Metrics of the point as its pipeline stored them (16³ mesh; N_s(0) from projwfc)."""
    return json.loads((H3S / 'metrics.json').read_text())


def h3s_model(q_mesh: tuple[int, int, int] = (8, 8, 8)) -> ElectronPhononModel:
    """C(R) and Γ(R) at σ = 0.020 Ry on ``q_mesh``."""
    fc = qe_q2r.parse_force_constants(_text('real_space_force_constants.dat'), 'real_space_force_constants.dat')
    gamma = qe_q2r.parse_a2f_matdyn(_text('a2Fmatdyn.64'), fc.n_atoms, 'a2Fmatdyn.64')
    alat = fc.alat_bohr * BOHR_TO_ANGSTROM
    return ElectronPhononModel(
        force_constants=qe_q2r.force_constants_ev_per_a2(fc.constants),
        gamma=qe_q2r.gamma_to_mev_amu(gamma.constants),
        cell=fc.cell * alat,
        positions=fc.positions * alat,
        species=tuple(fc.species),
        masses_amu=np.asarray(fc.masses_amu, dtype=float),
        q_mesh=q_mesh,
        dos_ef_per_mev=qe_q2r.dos_per_mev(gamma.dos_ef),
    )

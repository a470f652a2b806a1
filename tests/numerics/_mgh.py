"""The rocksalt MgH el-ph fixture (q2r's C(R) and Γ(R), matdyn's grid and λ) as an ElectronPhononModel."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from aiida_enatom.constants import BOHR_TO_ANGSTROM, RY_TO_MEV
from aiida_enatom.io import qe_q2r
from aiida_enatom.numerics.isotopes import ElectronPhononModel

MGH = Path(__file__).parents[1] / 'fixtures' / 'qe' / 'elph_mgh_rocksalt'


def matdyn_grid_mev() -> np.ndarray:
    """matdyn's α²F frequency grid (the first column of ``a2F.dos1``) in meV."""
    rows = [line.split() for line in (MGH / 'a2F.dos1').read_text().splitlines()]
    return np.array([float(r[0]) for r in rows if len(r) == 2 and r[0][0] in '-0123456789.']) * RY_TO_MEV


def matdyn_lambda() -> list[float]:
    """matdyn's λ per smearing (the ``lambda`` file)."""
    return [float(line.split()[3]) for line in (MGH / 'lambda').read_text().splitlines() if 'Broadening' in line]


def mgh_model(smearing: int = 4, q_mesh: tuple[int, int, int] = (8, 8, 8)) -> ElectronPhononModel:
    """C(R) and Γ(R) of smearing ``smearing`` (1-based) on ``q_mesh``."""
    fc = qe_q2r.parse_force_constants((MGH / 'alh222.fc').read_text(), 'alh222.fc')
    name = f'a2Fmatdyn.{60 + smearing}'
    gamma = qe_q2r.parse_a2f_matdyn((MGH / 'elph_dir' / name).read_text(), fc.n_atoms, name)
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

"""Unwrap q2r's stored files into the pure :class:`~aiida_enatom.numerics.isotopes.ElectronPhononModel`."""

from __future__ import annotations

import numpy as np
from aiida import orm

from aiida_enatom.calculations.functions.split_alpha2f import FIRST_GAMMA_UNIT
from aiida_enatom.constants import BOHR_TO_ANGSTROM
from aiida_enatom.io.qe_q2r import (
    RealSpaceGamma,
    dos_per_mev,
    force_constants_ev_per_a2,
    gamma_to_mev_amu,
    parse_a2f_matdyn,
    parse_force_constants,
)
from aiida_enatom.numerics.isotopes import ElectronPhononModel

__all__ = ('load_gamma', 'load_model')


def load_gamma(q2r_retrieved: orm.FolderData, smearing_index: int, n_atoms: int) -> RealSpaceGamma:
    """Parse the real-space Γ of the 0-based smearing ``smearing_index`` from q2r's retrieved folder."""
    name = f'a2Fmatdyn.{FIRST_GAMMA_UNIT + smearing_index}'
    return parse_a2f_matdyn(q2r_retrieved.base.repository.get_object_content(name), n_atoms, filename=name)


def load_model(
    force_constants: orm.SinglefileData,
    q2r_retrieved: orm.FolderData,
    qpoints: orm.KpointsData,
    smearing_index: int,
) -> ElectronPhononModel:
    """C(R), Γ(R) of one smearing, geometry and matdyn's fine mesh, in the units of the pure layer."""
    fc = parse_force_constants(force_constants.get_content(), filename=force_constants.filename)
    gamma = load_gamma(q2r_retrieved, smearing_index, fc.n_atoms)
    scale = fc.alat_bohr * BOHR_TO_ANGSTROM
    return ElectronPhononModel(
        force_constants=force_constants_ev_per_a2(fc.constants),
        gamma=gamma_to_mev_amu(gamma.constants),
        cell=fc.cell * scale,
        positions=fc.positions * scale,
        species=tuple(fc.species),
        masses_amu=np.asarray(fc.masses_amu, dtype=float),
        q_mesh=tuple(int(n) for n in qpoints.get_kpoints_mesh()[0]),  # type: ignore[arg-type]
        dos_ef_per_mev=dos_per_mev(gamma.dos_ef),
    )

"""Calcfunction: I² and η per species from the on-site block of Γ (the Fermi-surface average), beside Eq. 7's."""

from __future__ import annotations

from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.calculations.functions._elph_model import load_gamma
from aiida_enatom.io.qe_q2r import dos_per_mev, gamma_to_mev_amu, parse_force_constants
from aiida_enatom.numerics.scattering_route2 import route2_metrics

__all__ = ('compute_scattering_route2',)


@calcfunction
def compute_scattering_route2(
    force_constants: orm.SinglefileData, q2r_retrieved: orm.FolderData, metrics: orm.Dict, smearing_index: orm.Int
) -> orm.Dict:
    """Return ``I2_<s>_route2_eV2_per_A2``, ``eta_<s>_route2_eV_per_A2`` and their ratios to ``metrics``' Eq. 7 values.

    See :mod:`aiida_enatom.numerics.scattering_route2` for the derivation. matdyn's acoustic sum rule ``'simple'`` is
    applied to Γ, as for the α²F split.

    Parameters
    ----------
    force_constants
        q2r's ``real_space_force_constants.dat`` (atoms and species).
    q2r_retrieved
        q2r's retrieved folder with the real-space Γ files.
    metrics
        Output of ``compute_metrics`` (route 1: ``I2_<s>_eV2_per_A2``, ``eta_<s>_eV_per_A2``).
    smearing_index
        0-based el-ph smearing of ``metrics``.
    """
    fc = parse_force_constants(force_constants.get_content(), filename=force_constants.filename)
    gamma = load_gamma(q2r_retrieved, smearing_index.value, fc.n_atoms)
    return orm.Dict(
        route2_metrics(gamma_to_mev_amu(gamma.constants), fc.species, dos_per_mev(gamma.dos_ef), metrics.get_dict())
    )

"""McMillan–Hopfield analysis per species: renormalised projected DOS, scattering strength I² and η = N(0)I².

Notes
-----
McMillan–Hopfield: λ_s = N_s(0) I_s² / (M_s ω̄₂,s²), hence

.. math:: I_s^2 = \\frac{λ_s M_s \\bar ω_{2,s}^2}{N_s(0)},\\qquad η_s = N_s(0) I_s^2 = λ_s M_s \\bar ω_{2,s}^2,

with N_s(0) the DOS per spin at E_F projected on *one atom* of species s (states/eV/spin/atom), M_s in amu and
ω̄₂,s in meV. M ω² is converted with M[amu]·ω²[meV²] × 2.392253e-4 = M ω² in eV/Å²
(:data:`aiida_enatom.constants.AMU_MEV2_TO_EV_PER_A2`), so I² is in eV²/Å² and η in eV/Å².

λ_s here is the coupling of *one atom* of species s: the species part of λ (e.g. λ_H from the ``'H'`` partial of
:mod:`aiida_enatom.numerics.projections`) divided by the number of atoms of s in the cell, consistently with the
per-atom N_s(0). References: W. L. McMillan, Phys. Rev. 167, 331 (1968); J. J. Hopfield, Phys. Rev. 186, 443 (1969).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from aiida_enatom.constants import AMU_MEV2_TO_EV_PER_A2
from aiida_enatom.exceptions import InputValidationError

__all__ = ('hopfield_parameter', 'renormalise_projected_dos', 'scattering_strength')


def renormalise_projected_dos(projected_dos_ef: Mapping[str, float], total_dos_ef: float) -> dict[str, float]:
    """Scale atom- or species-projected DOS at E_F so that they sum to the total N(0).

    projwfc.x projections onto atomic orbitals miss the spill-over (interstitial) weight, so Σ_s N_s(0) < N(0).
    We distribute the missing weight in proportion to the projections: N_s ← N_s · N(0)/Σ_s' N_s'. Pass one entry per
    atom (or per species, summed over its atoms); the units are whatever ``total_dos_ef`` uses.

    Parameters
    ----------
    projected_dos_ef : mapping of str to float
        Projected DOS at E_F per atom or species, ≥ 0, not all zero.
    total_dos_ef : float
        Total DOS at E_F (> 0), same units and spin convention.

    Returns
    -------
    dict of str to float
        Renormalised projections; they sum to ``total_dos_ef``.

    Raises
    ------
    InputValidationError
        On negative values, an all-zero projection or a non-positive total.
    """
    values = {key: float(value) for key, value in projected_dos_ef.items()}
    if not total_dos_ef > 0:
        raise InputValidationError(f'total_dos_ef must be positive, got {total_dos_ef}')
    if not values or any(not np.isfinite(v) or v < 0 for v in values.values()):
        raise InputValidationError(f'projected DOS values must be finite and ≥ 0, got {values}')
    norm = sum(values.values())
    if norm <= 0:
        raise InputValidationError('projected DOS values are all zero: cannot renormalise')
    factor = total_dos_ef / norm
    return {key: value * factor for key, value in values.items()}


def hopfield_parameter(lambda_s: float, omega2_s_mev: float, mass_amu: float) -> float:
    """η_s = N_s(0) I_s² = λ_s M_s ω̄₂,s² in eV/Å² (per atom of species s)."""
    if not mass_amu > 0 or not omega2_s_mev > 0:
        raise InputValidationError('mass_amu and omega2_s_mev must be positive')
    if not np.isfinite(lambda_s) or lambda_s < 0:
        raise InputValidationError(f'lambda_s must be finite and ≥ 0, got {lambda_s}')
    return float(lambda_s * mass_amu * omega2_s_mev**2 * AMU_MEV2_TO_EV_PER_A2)


def scattering_strength(
    lambda_s: float, omega2_s_mev: float, mass_amu: float, n_s_ef_states_per_ev_spin: float
) -> float:
    """Hopfield scattering strength I_s² = λ_s M_s ω̄₂,s² / N_s(0) in eV²/Å².

    Parameters
    ----------
    lambda_s : float
        Coupling of one atom of species s (dimensionless, ≥ 0).
    omega2_s_mev : float
        ω̄₂,s in meV (> 0).
    mass_amu : float
        M_s in amu.
    n_s_ef_states_per_ev_spin : float
        N_s(0): renormalised projected DOS of one atom of s, states/eV/spin (> 0).

    Returns
    -------
    float
        I_s² in eV²/Å².

    Examples
    --------
    H3S-like numbers: λ_H = 2, ω̄₂,H = 150 meV, N_H(0) = 0.1 states/eV/spin/atom:
    η = 2 · 1.008 · 150² · 2.392253e-4 = 10.85 eV/Å² and I² = 108.5 eV²/Å².

    >>> round(scattering_strength(2.0, 150.0, 1.008, 0.1), 1)
    108.5
    """
    if not n_s_ef_states_per_ev_spin > 0:
        raise InputValidationError(f'N_s(0) must be positive, got {n_s_ef_states_per_ev_spin}')
    return hopfield_parameter(lambda_s, omega2_s_mev, mass_amu) / n_s_ef_states_per_ev_spin

"""One call for every figure of merit of an α²F spectrum: moments and T_c by every route.

This is what ``aiida-enatom analyse a2f --json`` prints and what the AiiDA metrics calcfunction stores, so the
key names are part of the public interface.
"""

from __future__ import annotations

import math

from aiida_enatom.constants import K_TO_MEV, MEV_TO_K
from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.eliashberg import DEFAULT_MU_STAR_CONVENTION, check_mu_star_convention, eliashberg_tc
from aiida_enatom.numerics.moments import moments
from aiida_enatom.numerics.spectra import Alpha2F
from aiida_enatom.numerics.tc import (
    allen_dynes_tc,
    check_mu_star,
    leavens_carbotte_tc,
    mcmillan_tc,
    strong_coupling_tc,
)

__all__ = ('LEAVENS_BOUND_SLOPE', 'analyse_spectrum', 'leavens_bound_tc', 'tc_over_area')

#: Leavens' least upper bound k_BT_c ≤ 0.2309 𝒜 of the isotropic Eliashberg T_c at μ* = 0, reached by an Einstein
#: spectrum at ω_E ≈ 7.6 k_BT_c (C. R. Leavens, Solid State Commun. 17, 1499 (1975)); μ* > 0 only lowers T_c.
LEAVENS_BOUND_SLOPE = 0.2309


def leavens_bound_tc(area_mev: float) -> float:
    """Leavens' upper bound on T_c, 0.2309 𝒜 with 𝒜 = ∫α²F dω in meV, in K.

    Raises
    ------
    InputValidationError
        If ``area_mev`` is negative or not finite.
    """
    area = float(area_mev)
    if not (math.isfinite(area) and area >= 0.0):
        raise InputValidationError(f'area = {area_mev!r} meV is not valid; 𝒜 must be a finite number ≥ 0')
    return LEAVENS_BOUND_SLOPE * area * MEV_TO_K


def tc_over_area(tc_k: float | None, area_mev: float) -> float | None:
    """k_BT_c/𝒜, dimensionless (0.148 on the Leavens–Carbotte line, ≤ 0.2309 by Leavens' bound).

    Parameters
    ----------
    tc_k : float or None
        T_c in K (None gives None).
    area_mev : float
        𝒜 = ∫α²F dω in meV; a non-positive area gives None.

    Returns
    -------
    float or None
        k_BT_c/𝒜; multiply by 11.6045 (K/meV) for T_c/𝒜 in K/meV.
    """
    if tc_k is None or not area_mev > 0:
        return None
    return float(tc_k) * K_TO_MEV / float(area_mev)


def analyse_spectrum(
    spectrum: Alpha2F,
    *,
    mu_star: float = 0.1,
    cutoff_factor: float = 10.0,
    mu_star_reference_mev: float | None = None,
    with_eliashberg: bool = True,
    mu_star_convention: str = DEFAULT_MU_STAR_CONVENTION,
) -> dict[str, float | bool | str | None]:
    """Return the moments of ``spectrum`` and its T_c by McMillan, Allen–Dynes, Leavens–Carbotte and Eliashberg.

    Parameters
    ----------
    spectrum : Alpha2F
        The Eliashberg function; frequencies in meV.
    mu_star : float
        Coulomb pseudopotential μ* in [0, 0.5), read in ``mu_star_convention`` by the Eliashberg solver (the closed
        forms take it as given).
    cutoff_factor : float
        Matsubara cutoff of the Eliashberg solver in units of ω_max (> 1).
    mu_star_reference_mev : float, optional
        Frequency (meV) at which ``mu_star`` is quoted in the Eliashberg solver; default that of the convention for
        ``spectrum`` (10 ω_max or ω_log). Pass the full spectrum's reference
        (:func:`~aiida_enatom.numerics.eliashberg.mu_star_reference_mev`) when analysing a partial spectrum, so that
        both use the same μ*. Must be None for the convention ``'cutoff'``.
    with_eliashberg : bool
        Solve the isotropic Eliashberg equations (else ``tc_eliashberg_K`` is ``None``).
    mu_star_convention : str
        ``'ten_omega_max'`` (default), ``'cutoff'`` (EPW's ``muc``) or ``'omega_log'``: see
        :data:`~aiida_enatom.numerics.eliashberg.MU_STAR_CONVENTIONS`.

    Returns
    -------
    dict
        ``lambda``, ``omega_log_meV``, ``omega_1_meV``, ``omega_2_meV``, ``area_meV``, ``tc_mcmillan_K``,
        ``tc_allen_dynes_K``, ``tc_leavens_carbotte_K``, ``tc_strong_coupling_K`` (μ* = 0 limit),
        ``tc_eliashberg_K``, ``tc_eliashberg_below_t_min`` (T_c lies below the lowest temperature the solver
        considered; ``tc_eliashberg_K`` is then 0), ``mu_star``, ``mu_star_convention``, ``mu_star_cutoff`` (μ* at
        the Matsubara cutoff at T_c, what the solver used), ``cutoff_factor``, ``tc_over_area`` (k_BT_c/𝒜 of the
        Eliashberg T_c, dimensionless), ``tc_bound_leavens_K`` (0.2309 𝒜), ``weight_nonpositive_meV``,
        ``weight_negative_meV`` and ``lowest_frequency_meV``.

    Raises
    ------
    InputValidationError
        For μ* outside [0, 0.5), an unknown convention, a cutoff factor ≤ 1, or a spectrum without positive coupling.
    """
    mu = check_mu_star(mu_star)
    convention = check_mu_star_convention(mu_star_convention)
    result = moments(spectrum)
    out: dict[str, float | bool | None] = result.as_dict()
    out.update(
        tc_mcmillan_K=mcmillan_tc(result.coupling_lambda, result.omega_log, mu),
        tc_allen_dynes_K=allen_dynes_tc(result.coupling_lambda, result.omega_log, result.omega_2, mu),
        tc_leavens_carbotte_K=leavens_carbotte_tc(max(result.area, 0.0)),
        tc_strong_coupling_K=strong_coupling_tc(result.coupling_lambda, result.omega_2),
        tc_eliashberg_K=None,
        tc_eliashberg_below_t_min=None,
        mu_star=mu,
        mu_star_convention=convention,
        mu_star_cutoff=None,
        cutoff_factor=float(cutoff_factor),
        tc_over_area=None,
        tc_bound_leavens_K=leavens_bound_tc(max(result.area, 0.0)),
        lowest_frequency_meV=spectrum.lowest_frequency,
    )
    if with_eliashberg:
        solution = eliashberg_tc(
            spectrum,
            mu_star=mu,
            cutoff_factor=cutoff_factor,
            mu_star_reference_mev=mu_star_reference_mev,
            mu_star_convention=convention,
        )
        out['tc_eliashberg_K'] = solution.tc_k
        out['tc_eliashberg_below_t_min'] = bool(solution.below_t_min)
        out['mu_star_cutoff'] = solution.mu_star_cutoff
        out['tc_over_area'] = tc_over_area(solution.tc_k, result.area)
    return out

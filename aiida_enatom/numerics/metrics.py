"""One call for every figure of merit of an α²F spectrum: moments and T_c by every route.

This is what ``aiida-enatom analyse a2f --json`` prints and what the AiiDA metrics calcfunction stores, so the
key names are part of the public interface.
"""

from __future__ import annotations

from aiida_enatom.numerics.eliashberg import eliashberg_tc
from aiida_enatom.numerics.moments import moments
from aiida_enatom.numerics.spectra import Alpha2F
from aiida_enatom.numerics.tc import (
    allen_dynes_tc,
    check_mu_star,
    leavens_carbotte_tc,
    mcmillan_tc,
    strong_coupling_tc,
)

__all__ = ('analyse_spectrum',)


def analyse_spectrum(
    spectrum: Alpha2F,
    *,
    mu_star: float = 0.1,
    cutoff_factor: float = 10.0,
    mu_star_reference_mev: float | None = None,
    with_eliashberg: bool = True,
) -> dict[str, float | bool | None]:
    """Return the moments of ``spectrum`` and its T_c by McMillan, Allen–Dynes, Leavens–Carbotte and Eliashberg.

    Parameters
    ----------
    spectrum : Alpha2F
        The Eliashberg function; frequencies in meV.
    mu_star : float
        Coulomb pseudopotential μ* in [0, 0.5), quoted at the reference frequency of
        :func:`~aiida_enatom.numerics.eliashberg.eliashberg_tc` (10 ω_max by default).
    cutoff_factor : float
        Matsubara cutoff of the Eliashberg solver in units of ω_max (> 1).
    mu_star_reference_mev : float, optional
        Frequency (meV) at which ``mu_star`` is quoted in the Eliashberg solver; default 10 ω_max of ``spectrum``.
        Pass the full spectrum's reference when analysing a partial spectrum, so that both use the same μ*.
    with_eliashberg : bool
        Solve the isotropic Eliashberg equations (else ``tc_eliashberg_K`` is ``None``).

    Returns
    -------
    dict
        ``lambda``, ``omega_log_meV``, ``omega_1_meV``, ``omega_2_meV``, ``area_meV``, ``tc_mcmillan_K``,
        ``tc_allen_dynes_K``, ``tc_leavens_carbotte_K``, ``tc_strong_coupling_K`` (μ* = 0 limit),
        ``tc_eliashberg_K``, ``tc_eliashberg_below_t_min`` (T_c lies below the lowest temperature the solver
        considered; ``tc_eliashberg_K`` is then 0), ``mu_star``, ``cutoff_factor``, ``weight_nonpositive_meV``,
        ``weight_negative_meV`` and ``lowest_frequency_meV``.

    Raises
    ------
    InputValidationError
        For μ* outside [0, 0.5), a cutoff factor ≤ 1, or a spectrum without positive coupling.
    """
    mu = check_mu_star(mu_star)
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
        cutoff_factor=float(cutoff_factor),
        lowest_frequency_meV=spectrum.lowest_frequency,
    )
    if with_eliashberg:
        solution = eliashberg_tc(
            spectrum, mu_star=mu, cutoff_factor=cutoff_factor, mu_star_reference_mev=mu_star_reference_mev
        )
        out['tc_eliashberg_K'] = solution.tc_k
        out['tc_eliashberg_below_t_min'] = bool(solution.below_t_min)
    return out

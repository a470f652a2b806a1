"""Closed-form T_c estimates: McMillan (ω_log form), Allen–Dynes f₁f₂, Leavens–Carbotte and the strong-coupling limit.

All functions take frequencies in meV and return temperatures in K.

References
----------
W. L. McMillan, Phys. Rev. 167, 331 (1968).
P. B. Allen and R. C. Dynes, Phys. Rev. B 12, 905 (1975).
C. R. Leavens and J. P. Carbotte, J. Low Temp. Phys. 14, 195 (1974).
"""

from __future__ import annotations

import math

from aiida_enatom.constants import MEV_TO_K
from aiida_enatom.exceptions import InputValidationError

__all__ = (
    'LEAVENS_CARBOTTE_SLOPE',
    'STRONG_COUPLING_SLOPE',
    'allen_dynes_factors',
    'allen_dynes_tc',
    'check_mu_star',
    'leavens_carbotte_tc',
    'mcmillan_tc',
    'strong_coupling_tc',
)

#: T_c ≈ 0.148 𝒜 (Leavens and Carbotte 1974).
LEAVENS_CARBOTTE_SLOPE = 0.148
#: T_c → 0.1827 ω̄₂ √λ for λ → ∞ at μ* = 0 (Allen and Dynes 1975).
STRONG_COUPLING_SLOPE = 0.1827


def check_mu_star(mu_star: float) -> float:
    """Return ``mu_star`` as float after checking 0 ≤ μ* < 0.5.

    Raises
    ------
    InputValidationError
        If μ* is outside [0, 0.5) or not finite.
    """
    value = float(mu_star)
    if not (0.0 <= value < 0.5):
        raise InputValidationError(f'mu_star = {mu_star!r} is outside the valid range [0, 0.5)')
    return value


def mcmillan_tc(coupling_lambda: float, omega_log_mev: float, mu_star: float) -> float:
    """McMillan T_c in the Allen–Dynes ω_log form, in K.

    Parameters
    ----------
    coupling_lambda : float
        λ (dimensionless).
    omega_log_mev : float
        ω_log in meV.
    mu_star : float
        Coulomb pseudopotential μ*, in [0, 0.5).

    Returns
    -------
    float
        T_c in K; exactly 0.0 when λ ≤ μ*(1 + 0.62λ) (the formula has no superconducting solution).

    Notes
    -----
    .. math:: T_c = \\frac{ω_{log}}{1.2}\\exp\\Big[-\\frac{1.04(1+λ)}{λ-μ^*(1+0.62λ)}\\Big]

    This is what QE's ``lambda.x`` and EPW print under the name "Allen-Dynes".
    """
    mu = check_mu_star(mu_star)
    denominator = coupling_lambda - mu * (1.0 + 0.62 * coupling_lambda)
    if denominator <= 0:
        return 0.0
    return omega_log_mev * MEV_TO_K / 1.2 * math.exp(-1.04 * (1.0 + coupling_lambda) / denominator)


def allen_dynes_factors(
    coupling_lambda: float, omega_log_mev: float, omega_2_mev: float, mu_star: float
) -> tuple[float, float]:
    """Allen–Dynes strong-coupling and shape factors (f₁, f₂).

    Notes
    -----
    .. math::
        f_1 = [1 + (λ/Λ_1)^{3/2}]^{1/3},\\quad f_2 = 1 + \\frac{(\\bar ω_2/ω_{log} - 1)λ^2}{λ^2 + Λ_2^2},\\quad
        Λ_1 = 2.46(1+3.8μ^*),\\quad Λ_2 = 1.82(1+6.3μ^*)(\\bar ω_2/ω_{log}).
    """
    mu = check_mu_star(mu_star)
    ratio = omega_2_mev / omega_log_mev
    lambda_1 = 2.46 * (1.0 + 3.8 * mu)
    lambda_2 = 1.82 * (1.0 + 6.3 * mu) * ratio
    f1 = (1.0 + (coupling_lambda / lambda_1) ** 1.5) ** (1.0 / 3.0)
    f2 = 1.0 + (ratio - 1.0) * coupling_lambda**2 / (coupling_lambda**2 + lambda_2**2)
    return f1, f2


def allen_dynes_tc(coupling_lambda: float, omega_log_mev: float, omega_2_mev: float, mu_star: float) -> float:
    """Allen–Dynes T_c with the f₁f₂ corrections, in K (0.0 where McMillan gives 0)."""
    f1, f2 = allen_dynes_factors(coupling_lambda, omega_log_mev, omega_2_mev, mu_star)
    return f1 * f2 * mcmillan_tc(coupling_lambda, omega_log_mev, mu_star)


def leavens_carbotte_tc(area_mev: float) -> float:
    """Leavens–Carbotte estimate T_c ≈ 0.148 𝒜, in K, from the area 𝒜 = ∫α²F dω in meV."""
    if area_mev < 0:
        raise InputValidationError(f'area = {area_mev!r} meV is negative; 𝒜 must be ≥ 0')
    return LEAVENS_CARBOTTE_SLOPE * area_mev * MEV_TO_K


def strong_coupling_tc(coupling_lambda: float, omega_2_mev: float) -> float:
    """Allen–Dynes strong-coupling limit (μ* = 0) T_c ≈ 0.1827 ω̄₂ √λ, in K."""
    if coupling_lambda < 0:
        raise InputValidationError(f'lambda = {coupling_lambda!r} is negative')
    return STRONG_COUPLING_SLOPE * omega_2_mev * math.sqrt(coupling_lambda) * MEV_TO_K

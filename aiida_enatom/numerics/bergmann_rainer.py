"""Bergmann–Rainer functional derivative δT_c/δα²F(Ω) of the isotropic Eliashberg T_c.

References
----------
G. Bergmann and D. Rainer, Z. Phys. 263, 59 (1973).
P. B. Allen and R. C. Dynes, Phys. Rev. B 12, 905 (1975) (the maximum near Ω ≈ 7 k_B T_c).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from aiida_enatom.constants import K_TO_MEV
from aiida_enatom.exceptions import ConvergenceError, InputValidationError
from aiida_enatom.numerics.eliashberg import EliashbergResult, eliashberg_tc
from aiida_enatom.numerics.matsubara import (
    DEFAULT_MU_STAR_CONVENTION,
    Kernel,
    PairingState,
    pair_indices,
    pairing_state,
    solver_setup,
    state_at,
)
from aiida_enatom.numerics.spectra import Alpha2F

__all__ = ('FunctionalDerivative', 'pairing_eigenvalue_temperature_derivative', 'tc_functional_derivative')


@dataclass(frozen=True)
class FunctionalDerivative:
    """δT_c/δα²F(Ω) on a grid of Ω, with T_c and the position of the maximum."""

    tc_k: float
    """Eliashberg T_c in K at which the derivative is taken."""
    omega_mev: NDArray[np.float64] = field(repr=False)
    """Frequencies Ω in meV, shape (n_omega,)."""
    dtc_da2f_k_per_mev: NDArray[np.float64] = field(repr=False)
    """δT_c/δα²F(Ω) in K/meV, shape (n_omega,): δT_c = ∫ (δT_c/δα²F(Ω)) δα²F(Ω) dΩ."""
    peak_omega_mev: float
    """Ω in meV where the derivative is largest (parabolic refinement of the grid maximum)."""
    peak_omega_over_kTc: float  # noqa: N815 (k_B T_c: the name the API promises)
    """peak_omega_mev / (k_B T_c), dimensionless (≈ 7 for most spectra)."""
    drho_dt_per_k: float
    """∂ρ/∂T at T_c in K⁻¹ (negative)."""
    eliashberg: EliashbergResult = field(repr=False)
    """The T_c solution the derivative is built on."""


def _drho_dlambda(state: PairingState) -> NDArray[np.float64]:
    """c_k = ∂ρ/∂λ(k) for k = 0…2N−1 by Hellmann–Feynman, shape (2N,); c_0 = 0 (λ(0) cancels in M)."""
    size = state.size
    psi = state.u * state.phi
    product = np.outer(psi, psi)
    difference, total = pair_indices(size)
    off_diagonal = product.copy()
    np.fill_diagonal(off_diagonal, 0.0)
    coefficients = np.bincount(difference.ravel(), weights=off_diagonal.ravel(), minlength=2 * size)
    coefficients += np.bincount(total.ravel(), weights=product.ravel(), minlength=2 * size)
    # Z_n(2n+1) contains 2Σ_{l=1}^{n} λ(l): ∂/∂λ(k) of −Σ_n φ_n² D_n is −2Σ_{n≥k} φ_n² for 1 ≤ k ≤ N−1.
    tail = np.cumsum((state.phi**2)[::-1])[::-1]
    coefficients[1:size] -= 2.0 * tail[1:]
    coefficients[0] = 0.0
    return coefficients


def _drho_dtemperature(kernel: Kernel, state: PairingState) -> float:
    """∂ρ/∂(k_BT) in meV⁻¹ at the state's temperature, by Hellmann–Feynman on ∂M/∂T.

    M depends on T through λ(k) (ν_k = 2πkT), the window weights u(ω_n/ω_c) and, when ω_c = 2πT·min_matsubara,
    through ω_c and μ*(ω_c) (unless μ* is applied at the cutoff without rescaling).
    """
    temperature = state.temperature_mev
    psi = state.u * state.phi
    through_lambda = _drho_dlambda(state) @ kernel.lambdas_dt(temperature, 2 * state.size)
    dlog_cutoff = state.cutoff_dt / state.cutoff_mev
    dx_dt = state.x * (1.0 / temperature - dlog_cutoff)
    du_dt = state.du_dx * dx_dt
    through_window = 2.0 * float((du_dt * state.phi) @ (state.pairing @ psi))
    dmu_dt = state.mu_star_cutoff**2 * dlog_cutoff if state.rescales_mu_star else 0.0
    through_mu = -2.0 * dmu_dt * float(np.sum(psi)) ** 2
    return float(through_lambda + through_window + through_mu)


def pairing_eigenvalue_temperature_derivative(
    spectrum: Alpha2F,
    temperature_k: float,
    *,
    mu_star: float,
    cutoff_factor: float = 10.0,
    mu_star_reference_mev: float | None = None,
    min_matsubara: int = 12,
    max_matsubara: int = 1024,
    mu_star_convention: str = DEFAULT_MU_STAR_CONVENTION,
) -> float:
    """Analytic ∂ρ/∂T of the top pairing eigenvalue (see :func:`~aiida_enatom.numerics.eliashberg.pairing_eigenvalue`).

    Parameters
    ----------
    spectrum, temperature_k, mu_star, cutoff_factor, mu_star_reference_mev, min_matsubara, max_matsubara
        As for :func:`~aiida_enatom.numerics.eliashberg.pairing_eigenvalue`; temperature in K.
    mu_star_convention : str, optional
        As for :func:`~aiida_enatom.numerics.eliashberg.pairing_eigenvalue`.

    Returns
    -------
    float
        ∂ρ/∂T in K⁻¹.

    Raises
    ------
    InputValidationError
        On invalid parameters (see :func:`~aiida_enatom.numerics.eliashberg.eliashberg_tc`).

    Notes
    -----
    Hellmann–Feynman, ∂ρ/∂T = φᵀ(∂M/∂T)φ for the unit top eigenvector φ, with
    ∂λ(k)/∂T = −(2/T)∫2ωα²F(ω)ν_k²/(ω² + ν_k²)² dω, the derivative of the soft-cutoff weights
    ∂√w_n/∂T = (d√w/dx) x_n(1/T − ω_c'/ω_c) and, where ω_c = 2πT·min_matsubara, ∂μ*(ω_c)/∂T = μ*(ω_c)²ω_c'/ω_c.
    The result is exact where the top eigenvalue is simple.
    """
    kernel, options = solver_setup(
        spectrum,
        mu_star=mu_star,
        cutoff_factor=cutoff_factor,
        mu_star_reference_mev=mu_star_reference_mev,
        min_matsubara=min_matsubara,
        max_matsubara=max_matsubara,
        mu_star_convention=mu_star_convention,
    )
    return _drho_dtemperature(kernel, state_at(kernel, options, temperature_k)) * K_TO_MEV


def _omega_grid(spectrum: Alpha2F, omega_mev: ArrayLike | None) -> NDArray[np.float64]:
    if omega_mev is None:
        return np.array(spectrum.frequency[spectrum.positive], dtype=float)
    omega = np.asarray(omega_mev, dtype=float)
    if omega.ndim != 1 or omega.size == 0:
        raise InputValidationError(f'omega_mev must be a non-empty one-dimensional array, got shape {omega.shape}')
    if not np.all(np.isfinite(omega)) or np.any(omega < 0):
        bad = int(np.flatnonzero(~(np.isfinite(omega) & (omega >= 0)))[0])
        raise InputValidationError(f'omega_mev must be finite and ≥ 0 meV; element {bad} is {omega[bad]!r}')
    return omega.copy()


def _peak(omega: NDArray[np.float64], values: NDArray[np.float64]) -> float:
    """Abscissa of the maximum: grid argmax, refined by a parabola through its neighbours on a sorted grid."""
    order = np.argsort(omega, kind='stable')
    omega, values = omega[order], values[order]
    best = int(np.argmax(values))
    if 0 < best < omega.size - 1:
        x0, x1, x2 = omega[best - 1 : best + 2]
        y0, y1, y2 = values[best - 1 : best + 2]
        denominator = (x0 - x1) * (x0 - x2) * (x1 - x2)
        a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / denominator
        b = (x2**2 * (y0 - y1) + x1**2 * (y2 - y0) + x0**2 * (y1 - y2)) / denominator
        if a < 0:
            return float(-b / (2.0 * a))
    return float(omega[best])


def tc_functional_derivative(
    spectrum: Alpha2F,
    omega_mev: ArrayLike | None = None,
    *,
    mu_star: float,
    cutoff_factor: float = 10.0,
    mu_star_reference_mev: float | None = None,
    t_min_k: float = 1.0,
    min_matsubara: int = 12,
    max_matsubara: int = 1024,
    mu_star_convention: str = DEFAULT_MU_STAR_CONVENTION,
) -> FunctionalDerivative:
    """Bergmann–Rainer functional derivative δT_c/δα²F(Ω) of the isotropic Eliashberg T_c.

    Parameters
    ----------
    spectrum : Alpha2F
        Eliashberg function α²F(ω), frequencies in meV.
    omega_mev : array_like, shape (n_omega,), optional
        Frequencies Ω ≥ 0 in meV at which to evaluate the derivative; default the spectrum's grid points with ω > 0.
    mu_star, cutoff_factor, mu_star_reference_mev, t_min_k, min_matsubara, max_matsubara, mu_star_convention
        As for :func:`~aiida_enatom.numerics.eliashberg.eliashberg_tc`.

    Returns
    -------
    FunctionalDerivative
        T_c, the derivative in K/meV on ``omega_mev`` and the position of its maximum.

    Raises
    ------
    InputValidationError
        On invalid parameters, or when T_c is below t_min (the derivative is then undefined).
    ConvergenceError
        If the T_c root finder did not converge.

    Notes
    -----
    At T_c, ρ(T, α²F) = 0, so by the implicit-function theorem

    .. math::
        \\frac{δT_c}{δα^2F(Ω)} = -\\frac{∂ρ/∂α^2F(Ω)}{∂ρ/∂T},\\qquad
        \\frac{∂ρ}{∂α^2F(Ω)} = \\sum_k \\frac{∂ρ}{∂λ(k)} \\frac{2Ω}{Ω^2 + ν_k^2},

    with ∂ρ/∂λ(k) = φᵀ(∂M/∂λ(k))φ (Hellmann–Feynman, unit top eigenvector φ). λ(0) cancels in M, so the
    derivative is ∝ Ω as Ω → 0. ∂ρ/∂T is analytic as well
    (:func:`pairing_eigenvalue_temperature_derivative`). The cutoff ω_c and the μ* reference ω_ref are held
    fixed (they depend on α²F only through ω_max). On a grid with trapezoid weights t_j, changing the grid value
    α²F(ω_j) by ε changes T_c by (δT_c/δα²F(ω_j)) t_j ε to first order.
    The whole Ω grid is handled in one matrix product, shape (n_omega, 2N).
    """
    kernel, options = solver_setup(
        spectrum,
        mu_star=mu_star,
        cutoff_factor=cutoff_factor,
        mu_star_reference_mev=mu_star_reference_mev,
        min_matsubara=min_matsubara,
        max_matsubara=max_matsubara,
        mu_star_convention=mu_star_convention,
    )
    omega = _omega_grid(spectrum, omega_mev)
    solution = eliashberg_tc(
        spectrum,
        mu_star=mu_star,
        cutoff_factor=cutoff_factor,
        mu_star_reference_mev=mu_star_reference_mev,
        t_min_k=t_min_k,
        min_matsubara=min_matsubara,
        max_matsubara=max_matsubara,
        mu_star_convention=mu_star_convention,
    )
    if solution.below_t_min:
        raise InputValidationError(
            f'T_c is below t_min_k = {solution.t_min_k:.6g} K for mu_star = {mu_star}; '
            f'the functional derivative is undefined there (lower t_min_k or check the spectrum)'
        )
    if not solution.success:
        raise ConvergenceError(f'Eliashberg T_c did not converge: {solution.message}')
    temperature = solution.tc_k * K_TO_MEV
    state = pairing_state(kernel, options, temperature)
    coefficients = _drho_dlambda(state)[1:]
    nu = 2.0 * math.pi * temperature * np.arange(1, coefficients.size + 1)
    drho_da2f = (2.0 * omega[:, None] / (omega[:, None] ** 2 + nu**2)) @ coefficients
    drho_dt = _drho_dtemperature(kernel, state)
    derivative = -drho_da2f / drho_dt * (1.0 / K_TO_MEV)  # ∂T/∂α²F in meV/meV → K/meV
    omega.setflags(write=False)
    derivative.setflags(write=False)
    peak = _peak(omega, derivative)
    return FunctionalDerivative(
        tc_k=solution.tc_k,
        omega_mev=omega,
        dtc_da2f_k_per_mev=derivative,
        peak_omega_mev=peak,
        peak_omega_over_kTc=peak / temperature,
        drho_dt_per_k=drho_dt * K_TO_MEV,
        eliashberg=solution,
    )

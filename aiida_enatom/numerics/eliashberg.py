"""Critical temperature from the linearised isotropic Eliashberg equations on the Matsubara axis.

The pairing matrix and the solver options live in :mod:`~aiida_enatom.numerics.matsubara` (shared with the
Bergmann–Rainer derivative); the μ* conventions are re-exported here.

References
----------
G. M. Eliashberg, Sov. Phys. JETP 11, 696 (1960).
P. B. Allen and R. C. Dynes, Phys. Rev. B 12, 905 (1975) (matrix form of the linearised gap equation at T_c).
P. B. Allen and B. Mitrović, Solid State Physics 37, 1 (1982) (Matsubara-axis formulation, μ* rescaling).
P. Morel and P. W. Anderson, Phys. Rev. 125, 1263 (1962) (μ* at different cutoffs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize
from numpy.typing import NDArray

from aiida_enatom.constants import K_TO_MEV, MEV_TO_K
from aiida_enatom.exceptions import ConvergenceError
from aiida_enatom.numerics.matsubara import (
    CUTOFF_HALF_WIDTH,
    DEFAULT_MU_STAR_CONVENTION,
    MU_STAR_CONVENTIONS,
    PairingState,
    SolverOptions,
    check_mu_star_convention,
    check_temperature,
    mu_star_reference_mev,
    pairing_state,
    solver_setup,
    state_at,
)
from aiida_enatom.numerics.moments import moments
from aiida_enatom.numerics.spectra import Alpha2F
from aiida_enatom.numerics.tc import allen_dynes_tc

__all__ = (
    'CUTOFF_HALF_WIDTH',
    'DEFAULT_MU_STAR_CONVENTION',
    'MU_STAR_CONVENTIONS',
    'EliashbergResult',
    'check_mu_star_convention',
    'eliashberg_tc',
    'mu_star_reference_mev',
    'pairing_eigenvalue',
)

#: Relative tolerance on T_c of the root finder.
_TC_RTOL: float = 1.0e-10
#: Step factor of the bracket search.
_BRACKET_FACTOR: float = 1.25
#: Largest number of bracket expansions before giving up.
_MAX_BRACKET_STEPS: int = 200


@dataclass(frozen=True)
class EliashbergResult:
    """Outcome of :func:`eliashberg_tc`.

    ``success`` is ``True`` when T_c was located to the solver tolerance, or when ρ(t_min) < 0 proves that
    T_c is below the lowest temperature considered (then ``tc_k == 0.0`` and ``below_t_min`` is ``True``).
    """

    tc_k: float
    """Critical temperature in K; 0.0 if T_c is below :attr:`t_min_k`."""
    mu_star: float
    """μ* as given, quoted at :attr:`reference_mev`."""
    mu_star_convention: str
    """The convention of :attr:`mu_star` (a key of :data:`MU_STAR_CONVENTIONS`)."""
    mu_star_cutoff: float
    """μ*(ω_c) after the Morel–Anderson rescaling to the cutoff used at T_c (or at t_min)."""
    cutoff_mev: float
    """Matsubara cutoff ω_c in meV at T_c (or at t_min when ``below_t_min``)."""
    reference_mev: float
    """Reference frequency ω_ref in meV at which :attr:`mu_star` is quoted (the cutoff at T_c for ``'cutoff'``)."""
    n_matsubara: int
    """Number N of positive Matsubara frequencies with non-zero weight at T_c (or at t_min)."""
    below_t_min: bool
    """True when ρ(t_min) < 0, i.e. T_c < :attr:`t_min_k`."""
    t_min_k: float
    """Lowest temperature considered in K: the requested ``t_min_k``, raised if needed to keep N ≤ ``max_matsubara``."""
    eigenvector: NDArray[np.float64] = field(repr=False)
    """Top eigenvector φ_n = Δ_n/(2n+1) of the pairing matrix at T_c, shape (n_matsubara,), unit norm, φ₀ > 0."""
    success: bool
    """Whether the answer is trustworthy (see the class docstring)."""
    message: str
    """Human-readable account of how the answer was obtained."""
    n_evaluations: int
    """Number of pairing-matrix diagonalisations."""

    @property
    def gap_shape(self) -> NDArray[np.float64]:
        """Δ_n ∝ (2n+1) φ_n at T_c, shape (n_matsubara,), normalised to Δ₀ = 1 (dimensionless)."""
        n = np.arange(self.eigenvector.size)
        gap = (2 * n + 1) * self.eigenvector
        return gap / gap[0]

    @property
    def matsubara_mev(self) -> NDArray[np.float64]:
        """Positive fermionic Matsubara frequencies ω_n = πk_BT(2n+1) at T_c in meV, shape (n_matsubara,)."""
        temperature = (self.tc_k if self.tc_k > 0 else self.t_min_k) * K_TO_MEV
        return math.pi * temperature * (2 * np.arange(self.n_matsubara) + 1.0)

    def as_dict(self) -> dict[str, float | int | bool | str]:
        """Scalar fields as a flat dict with unit-suffixed keys (the eigenvector is left out)."""
        return {
            'tc_k': self.tc_k,
            'mu_star': self.mu_star,
            'mu_star_convention': self.mu_star_convention,
            'mu_star_cutoff': self.mu_star_cutoff,
            'cutoff_mev': self.cutoff_mev,
            'reference_mev': self.reference_mev,
            'n_matsubara': self.n_matsubara,
            'below_t_min': self.below_t_min,
            't_min_k': self.t_min_k,
            'success': self.success,
            'message': self.message,
            'n_evaluations': self.n_evaluations,
        }


# --------------------------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------------------------


def pairing_eigenvalue(
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
    """Largest eigenvalue ρ(T) of the linearised isotropic Eliashberg pairing matrix.

    ρ > 0 below T_c, ρ < 0 above, and ρ(T) is a continuous (C¹ almost everywhere) function of T.

    Parameters
    ----------
    spectrum : Alpha2F
        Eliashberg function α²F(ω), frequencies in meV; only ω > 0 enters, with the trapezoid rule.
    temperature_k : float
        Temperature T in K, > 0.
    mu_star : float
        Coulomb pseudopotential μ* in [0, 0.5), quoted at ``mu_star_reference_mev``.
    cutoff_factor : float, optional
        Matsubara cutoff ω_c = ``cutoff_factor`` · ω_max (> 1), with ω_max the highest ω where α²F ≠ 0.
    mu_star_reference_mev : float, optional
        Frequency ω_ref (meV) at which ``mu_star`` is quoted; default 10·ω_max.
    min_matsubara : int, optional
        ω_c is raised to 2πk_BT·``min_matsubara`` when that is larger (strong coupling, T_c ≳ ω_max), so that
        at least about ``min_matsubara`` frequencies carry pairing weight.
    max_matsubara : int, optional
        Largest matrix dimension N accepted.
    mu_star_convention : str, optional
        How ``mu_star`` is read: a key of :data:`MU_STAR_CONVENTIONS` (see :func:`eliashberg_tc`).

    Returns
    -------
    float
        ρ(T), dimensionless.

    Raises
    ------
    InputValidationError
        On invalid parameters, λ ≤ 0, or when T needs more than ``max_matsubara`` frequencies.

    Notes
    -----
    See :func:`eliashberg_tc` for the matrix and the soft cutoff.
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
    return state_at(kernel, options, temperature_k).rho


def _lowest_temperature_mev(options: SolverOptions, t_min_k: float) -> float:
    """max(t_min, the lowest T at which N ≤ max_matsubara), in meV."""
    # N(T) = ceil((ω_c(1+δ)/(πT) − 1)/2) ≤ max  ⇐  ω_c(1+δ)/(πT) ≤ 2·max + 1 (ω_c is the fixed branch here).
    floor = options.omega_cutoff_min_mev * (1.0 + CUTOFF_HALF_WIDTH) / (math.pi * (2 * options.max_matsubara + 1))
    temperature = max(t_min_k * K_TO_MEV, floor * (1.0 + 1.0e-12))
    while options.n_matsubara(temperature) > options.max_matsubara:  # guard against rounding
        temperature *= 1.0 + 1.0e-9
    return temperature


def eliashberg_tc(
    spectrum: Alpha2F,
    *,
    mu_star: float,
    cutoff_factor: float = 10.0,
    mu_star_reference_mev: float | None = None,
    t_min_k: float = 1.0,
    min_matsubara: int = 12,
    max_matsubara: int = 1024,
    mu_star_convention: str = DEFAULT_MU_STAR_CONVENTION,
) -> EliashbergResult:
    """T_c from the linearised isotropic Eliashberg equations on the imaginary (Matsubara) axis.

    Parameters
    ----------
    spectrum : Alpha2F
        Eliashberg function α²F(ω), frequencies in meV. Only ω > 0 enters, integrated with the trapezoid rule
        as in :mod:`~aiida_enatom.numerics.moments`.
    mu_star : float
        Coulomb pseudopotential μ* in [0, 0.5), quoted at the reference frequency ω_ref of ``mu_star_convention``.
    cutoff_factor : float, optional
        Matsubara cutoff ω_c = ``cutoff_factor`` · ω_max, > 1 (ω_max: highest ω with α²F ≠ 0). Default 10.
    mu_star_reference_mev : float, optional
        Reference frequency ω_ref in meV at which ``mu_star`` is quoted. Default that of ``mu_star_convention``:
        10·ω_max (so that with the default ``cutoff_factor`` no rescaling happens) or ω_log.
    t_min_k : float, optional
        Lowest temperature considered, in K (> 0). It is raised if needed so that N ≤ ``max_matsubara``; the
        value used is reported in :attr:`EliashbergResult.t_min_k`.
    min_matsubara : int, optional
        Lower bound on the cutoff in units of the Matsubara spacing: ω_c(T) = max(cutoff_factor·ω_max,
        2πk_BT·min_matsubara). Only matters when T_c is not small against ω_max (λ ≳ 5).
    max_matsubara : int, optional
        Largest matrix dimension N (the cost grows as N³).
    mu_star_convention : str, optional
        How ``mu_star`` is read, a key of :data:`MU_STAR_CONVENTIONS`: ``'ten_omega_max'`` (default; quoted at
        ``mu_star_reference_mev`` or 10 ω_max and rescaled to the cutoff), ``'omega_log'`` (quoted at
        ``mu_star_reference_mev`` or ω_log, rescaled) or ``'cutoff'`` (applied at the cutoff as given, EPW's
        ``muc``; ``mu_star_reference_mev`` must then be None).

    Returns
    -------
    EliashbergResult
        T_c in K and the diagnostics. If ρ(t_min) < 0 then ``tc_k == 0.0``, ``below_t_min`` is ``True`` and the
        message says so; this is an answer, not an error.

    Raises
    ------
    InputValidationError
        If μ* ∉ [0, 0.5), cutoff_factor ≤ 1, t_min_k ≤ 0, λ ≤ 0, or μ* cannot be rescaled to the cutoff.
    ConvergenceError
        If no temperature with ρ < 0 is found (cannot happen for a valid spectrum; kept as a guard).

    Notes
    -----
    With ω_n = πT(2n+1), ν_k = 2πkT (k_B = 1), λ(k) = ∫2ωα²F(ω)/(ω² + ν_k²)dω and φ_n = Δ_n/(2n+1), the
    linearised gap equation at T_c is M(T)φ = 0 with the real symmetric N × N matrix

    .. math::
        M_{nm} = \\sqrt{w_n w_m}\\,[λ(n-m) + λ(n+m+1) - 2μ^*(ω_c)]
                 - δ_{nm}\\Big[(2n+1) + λ(0) + 2\\sum_{l=1}^{n}λ(l)\\Big],

    where the bracket on the diagonal is (2n+1)Z_n, summed over *all* Matsubara frequencies (exact, not
    truncated), and w_n = w(ω_n/ω_c) is a soft cutoff: 1 below (1 − δ)ω_c, cos²[π(x − 1 + δ)/(4δ)] on the ramp,
    0 above (1 + δ)ω_c, δ = :data:`CUTOFF_HALF_WIDTH`. The diagonal λ(0) of the kernel is kept unwindowed so that
    it cancels exactly against the λ(0) of Z_n, as it does without a cutoff. N counts all ω_n with w_n > 0.
    A frequency enters the matrix with zero coupling (a decoupled diagonal entry −(2n+1) − 2Σλ(l) < ρ), and all
    entries are continuous in T, so ρ(T) is continuous across changes of N.

    μ* is quoted at ω_ref and rescaled to ω_c (the window midpoint) at every T with Morel–Anderson,
    1/μ*(ω_c) = 1/μ*(ω_ref) + ln(ω_ref/ω_c); in the convention ``'cutoff'`` it is used at ω_c as given. T_c is
    the root of ρ(T), the largest eigenvalue of M, bracketed around the Allen–Dynes estimate and refined with
    Brent's method.

    Examples
    --------
    >>> import numpy as np
    >>> from aiida_enatom.numerics.spectra import Alpha2F
    >>> omega = np.array([9.9, 10.0, 10.1])  # Einstein spike: λ(k) = λω_E²/(ω_E² + ν_k²) exactly
    >>> spectrum = Alpha2F(omega, np.array([0.0, 1.0 * 10.0 / (2 * 0.1), 0.0]))  # λ = 1, ω_E = 10 meV
    >>> result = eliashberg_tc(spectrum, mu_star=0.0, cutoff_factor=40)
    >>> round(result.tc_k * 8.617333262e-2 / 10.0, 4)  # k_B T_c / ω_E
    0.1146
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
    t_low = _lowest_temperature_mev(options, check_temperature(t_min_k, 't_min_k'))
    evaluations = 0
    low: list[PairingState] = []  # the state at t_low once computed: the costliest matrix, never built twice

    def rho(temperature_mev: float) -> float:
        nonlocal evaluations
        if temperature_mev == t_low and low:
            return low[0].rho
        evaluations += 1
        state = pairing_state(kernel, options, temperature_mev)
        if temperature_mev == t_low:
            low.append(state)
        return state.rho

    estimate, fallback = _initial_estimate_mev(spectrum, options)
    t_start = max(estimate, t_low)
    rho_start = rho(t_start)
    if rho_start < 0.0 and fallback and rho(t_low) < 0.0:
        # Allen–Dynes gives no T_c and ρ(t_min) < 0: T_c < t_min, without the walk down through larger matrices.
        return _below_t_min_result(options, low[0], t_low, evaluations)
    step = _BRACKET_FACTOR  # the step ratio is squared after every failed step: 1.25, 1.56, 2.44, 5.96, ...
    if rho_start > 0.0:
        t_a, t_b = t_start, t_start * step
        for _ in range(_MAX_BRACKET_STEPS):
            if rho(t_b) < 0.0:
                break
            step = min(step * step, 1.0e3)
            t_a, t_b = t_b, t_b * step
        else:
            raise ConvergenceError(f'ρ(T) stayed positive up to T = {t_b * MEV_TO_K:.6g} K; no T_c bracket found')
    elif rho_start < 0.0:
        t_a, t_b = t_start, t_start
        while True:
            if t_a <= t_low:
                rho(t_low)
                return _below_t_min_result(options, low[0], t_low, evaluations)
            t_b, t_a = t_a, max(t_a / step, t_low)
            step = min(step * step, 1.0e3)
            if rho(t_a) > 0.0:
                break
    else:
        t_a = t_b = t_start

    if t_a == t_b:
        root, converged, message = t_a, True, 'ρ vanishes at the initial estimate'
    else:
        root, info = scipy.optimize.brentq(
            rho, t_a, t_b, xtol=1.0e-12 * t_a, rtol=_TC_RTOL, full_output=True, disp=False
        )
        converged = bool(info.converged)
        message = f'brentq: {info.flag} after {info.iterations} iterations'
    state = pairing_state(kernel, options, root)
    return _result(options, state, t_low, evaluations + 1, tc_mev=root, success=converged, message=message)


def _below_t_min_result(
    options: SolverOptions, state: PairingState, t_low: float, evaluations: int
) -> EliashbergResult:
    """The answer T_c < t_min from the (already computed) state at t_low."""
    message = f'T_c is below t_min = {t_low * MEV_TO_K:.6g} K: ρ(t_min) = {state.rho:.4g} < 0; tc_k set to 0.0'
    return _result(options, state, t_low, evaluations, tc_mev=None, success=True, message=message)


def _result(
    options: SolverOptions,
    state: PairingState,
    t_low: float,
    evaluations: int,
    *,
    tc_mev: float | None,
    success: bool,
    message: str,
) -> EliashbergResult:
    """The result for the final pairing state; ``tc_mev`` None means T_c below t_min (``tc_k`` 0)."""
    return EliashbergResult(
        tc_k=0.0 if tc_mev is None else tc_mev * MEV_TO_K,
        mu_star=options.mu_star,
        mu_star_convention=options.convention,
        mu_star_cutoff=state.mu_star_cutoff,
        cutoff_mev=state.cutoff_mev,
        reference_mev=state.cutoff_mev if options.reference_mev is None else options.reference_mev,
        n_matsubara=state.size,
        below_t_min=tc_mev is None,
        t_min_k=t_low * MEV_TO_K,
        eigenvector=_frozen(state.phi),
        success=success,
        message=message,
        n_evaluations=evaluations,
    )


def _frozen(array: NDArray[np.float64]) -> NDArray[np.float64]:
    out = np.array(array, dtype=float)
    out.setflags(write=False)
    return out


def _initial_estimate_mev(spectrum: Alpha2F, options: SolverOptions) -> tuple[float, bool]:
    """Allen–Dynes T_c (meV) with μ* at the cutoff, or (ω_log/100, True) when Allen–Dynes gives 0."""
    values = moments(spectrum)
    mu_cut = options.mu_star_at(options.omega_cutoff_min_mev)
    estimate = allen_dynes_tc(values.coupling_lambda, values.omega_log, values.omega_2, min(mu_cut, 0.499)) * K_TO_MEV
    return (estimate, False) if estimate > 0.0 else (0.01 * values.omega_log, True)

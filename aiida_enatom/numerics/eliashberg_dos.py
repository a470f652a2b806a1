"""T_c from the linearised isotropic Eliashberg equations with an energy-dependent electronic DOS N(ε).

The constant-DOS solver (:func:`~aiida_enatom.numerics.eliashberg.eliashberg_tc`) integrates every electron energy ε
with N(ε) = N(0), which turns the ε-integral of the Green's function into π/|ω_n Z_n|. Here N(ε)/N(0) enters that
integral, as in the "full-bandwidth" / variable-DOS Eliashberg equations (Pickett 1982; Lee et al. 2023, Eqs. 29–31;
IsoME's variable-DOS mode, Lucrezi et al. 2024). Linearised at T_c (φ² dropped from the denominator) the normal-state
self-energies Z_n and χ_n are solved self-consistently at each T, and the gap equation becomes a symmetric
eigenproblem of the same shape as the constant-DOS one; only its diagonal changes.

Conventions (documented in ``docs/eliashberg.md``):

- N(ε)/N(0) is taken from the tabulated DOS inside the window |ε| ≤ W around E_F (linear interpolation between the
  tabulated points, integrated analytically) and continued with N(0) outside it. A constant N(ε) therefore gives the
  constant-DOS T_c exactly for every W, and T_c(W) converges once W covers the structure of N(ε) that matters.
- The chemical potential stays at the DFT Fermi level (no number-conserving shift of μ); the particle–hole-asymmetric
  self-energy χ_n is included unless ``include_shift=False``.
- μ* multiplies the same N(ε)/N(0)-weighted ε-integral as λ, with the cutoff, soft window and μ* convention of the
  constant-DOS solver (:mod:`~aiida_enatom.numerics.matsubara`).

References
----------
W. E. Pickett, Phys. Rev. B 26, 1186 (1982) (Eliashberg equations with an energy-dependent DOS).
H. Lee et al., npj Comput. Mater. 9, 156 (2023), Eqs. (29)–(31) (EPW's full-bandwidth isotropic equations).
R. Lucrezi et al., Comput. Phys. Commun. (2024) (IsoME; the variable-DOS mode).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.optimize
from numpy.typing import ArrayLike, NDArray

from aiida_enatom.constants import EV_TO_MEV, K_TO_MEV, MEV_TO_K
from aiida_enatom.exceptions import ConvergenceError, InputValidationError
from aiida_enatom.numerics.eliashberg import DEFAULT_MU_STAR_CONVENTION, eliashberg_tc
from aiida_enatom.numerics.matsubara import (
    Kernel,
    SolverOptions,
    check_temperature,
    cutoff_window,
    pair_indices,
    solver_setup,
)
from aiida_enatom.numerics.spectra import Alpha2F

__all__ = (
    'DEFAULT_WINDOW_MEV',
    'DosDeviation',
    'EliashbergDosResult',
    'dos_deviation',
    'eliashberg_dos_metrics',
    'eliashberg_tc_dos',
    'pairing_eigenvalue_dos',
)

#: Relative tolerance on T_c of the root finder.
_TC_RTOL: float = 1.0e-10
#: Convergence of the Z_n, χ_n self-consistency: largest change of Z_n and of χ_n/(ω_n Z_n).
_SELF_CONSISTENCY_TOL: float = 1.0e-13
_MAX_SELF_CONSISTENCY: int = 500
_MAX_BRACKET_STEPS: int = 200


@dataclass(frozen=True)
class DosDeviation:
    """g(ε) = N(ε)/N(0) − 1 on the window |ε| ≤ W, piecewise linear between the nodes; g = 0 outside."""

    energy_mev: NDArray[np.float64]
    """Nodes ε_k − E_F in meV, increasing, from −W to W, shape (K,)."""
    deviation: NDArray[np.float64]
    """g(ε_k), dimensionless, shape (K,)."""
    window_mev: float
    """Half-width W of the window, meV."""
    dos_fermi: float
    """N(0) in the units of the DOS given (linear interpolation at E_F)."""

    def integrals(self, scale: NDArray[np.float64], shift: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
        """∫ g(ε)/Θ dε and ∫ g(ε)(ε+χ)/Θ dε with Θ = c² + (ε+χ)², exact for piecewise-linear g.

        Parameters
        ----------
        scale : ndarray
            c_n = ω_n Z_n > 0 in meV, shape (N,).
        shift : ndarray
            χ_n in meV, shape (N,).

        Returns
        -------
        tuple of ndarray
            I0 in meV⁻¹ and I1 (dimensionless), each shape (N,).
        """
        a = self.energy_mev[:-1]
        b = self.energy_mev[1:]
        slope = np.diff(self.deviation) / (b - a)
        c = scale[:, None]
        s_a = a[None, :] + shift[:, None]
        s_b = b[None, :] + shift[:, None]
        # g = α + β s on each segment with s = ε + χ.
        beta = slope[None, :]
        alpha = self.deviation[None, :-1] - beta * s_a
        arctan = np.arctan2((s_b - s_a) * c, c * c + s_a * s_b)  # atan(s_b/c) − atan(s_a/c), no branch jump
        f0 = arctan / c
        f1 = 0.5 * np.log((c * c + s_b * s_b) / (c * c + s_a * s_a))
        f2 = (s_b - s_a) - c * arctan
        return np.sum(alpha * f0 + beta * f1, axis=1), np.sum(alpha * f1 + beta * f2, axis=1)

    @property
    def is_symmetric(self) -> bool:
        """Whether g(−ε) = g(ε) on the nodes (then χ_n = 0 exactly)."""
        return bool(
            np.allclose(self.energy_mev, -self.energy_mev[::-1], rtol=0.0, atol=1.0e-9 * self.window_mev)
            and np.array_equal(self.deviation, self.deviation[::-1])
        )


def dos_deviation(energy_mev: ArrayLike, dos: ArrayLike, window_mev: float) -> DosDeviation:
    """Validate a tabulated DOS and cut g(ε) = N(ε)/N(0) − 1 to the window |ε| ≤ W.

    Parameters
    ----------
    energy_mev : array_like
        ε − E_F in meV, strictly increasing, shape (K,); must cover [−W, W].
    dos : array_like
        N(ε) ≥ 0 in any unit (only N(ε)/N(0) enters), shape (K,); N(0) > 0.
    window_mev : float
        Half-width W in meV (> 0).

    Returns
    -------
    DosDeviation
        The nodes inside the window plus the two window edges (N linearly interpolated there).

    Raises
    ------
    InputValidationError
        On shapes, non-finite or negative values, a non-increasing grid, N(0) ≤ 0 or a window the grid does not cover.
    """
    energy = np.asarray(energy_mev, dtype=float)
    values = np.asarray(dos, dtype=float)
    if energy.ndim != 1 or energy.shape != values.shape or energy.size < 2:
        raise InputValidationError(
            f'energy_mev and dos must be one-dimensional of the same length ≥ 2, got {energy.shape} and {values.shape}'
        )
    if not (np.all(np.isfinite(energy)) and np.all(np.isfinite(values))):
        raise InputValidationError('energy_mev and dos must be finite')
    if np.any(np.diff(energy) <= 0.0):
        raise InputValidationError('energy_mev must be strictly increasing')
    if np.any(values < 0.0):
        raise InputValidationError(f'dos must be ≥ 0; its minimum is {values.min():.4g}')
    window = float(window_mev)
    if not (math.isfinite(window) and window > 0.0):
        raise InputValidationError(f'window_mev = {window_mev!r} is not valid; it must be a finite energy > 0 meV')
    if energy[0] > -window or energy[-1] < window:
        raise InputValidationError(
            f'the DOS covers ε − E_F ∈ [{energy[0]:.6g}, {energy[-1]:.6g}] meV, not the window ±{window:.6g} meV; '
            'lower window_mev'
        )
    dos_fermi = float(np.interp(0.0, energy, values))
    if not dos_fermi > 0.0:
        raise InputValidationError(f'N(E_F) = {dos_fermi:.4g} ≤ 0: no states at the Fermi level')
    inside = (energy > -window) & (energy < window)
    nodes = np.concatenate(([-window], energy[inside], [window]))
    deviation = np.interp(nodes, energy, values) / dos_fermi - 1.0
    return DosDeviation(energy_mev=nodes, deviation=deviation, window_mev=window, dos_fermi=dos_fermi)


@dataclass(frozen=True)
class _DosState:
    rho: float
    size: int
    cutoff_mev: float
    mu_star_cutoff: float
    z0: float
    chi0_mev: float
    iterations: int
    self_energies: tuple[NDArray[np.float64], NDArray[np.float64]]
    """Z_n and χ_n (meV) at this T: the start of the self-consistency at a nearby T."""


def _self_energies(
    kernel: Kernel,
    deviation: DosDeviation,
    temperature_mev: float,
    size: int,
    weight: NDArray,
    include_shift: bool,
    start: tuple[NDArray, NDArray] | None,
) -> tuple[NDArray, NDArray, NDArray, NDArray, int]:
    """Self-consistent Z_n, χ_n (meV) of the normal state and the ε-integrals I0_n, I1_n at ω_n, n < size.

    ``start`` (Z_n, χ_n of a nearby T with the same size) only speeds up the iteration, the fixed point is the same.
    """
    lambdas = kernel.lambdas(temperature_mev, 2 * size)
    n = np.arange(size)
    omega = math.pi * temperature_mev * (2 * n + 1)
    difference, total = pair_indices(size)
    minus = (lambdas[difference] - lambdas[total]) * weight[None, :]
    plus = (lambdas[difference] + lambdas[total]) * weight[None, :]
    z_constant = 1.0 + (lambdas[0] + 2.0 * np.concatenate(([0.0], np.cumsum(lambdas[1:size])))) / (2 * n + 1)
    shift = include_shift and not deviation.is_symmetric
    if start is not None and start[0].size == size:
        z, chi = start[0].copy(), (start[1].copy() if shift else np.zeros(size))
    else:
        z, chi = z_constant.copy(), np.zeros(size)
    for iteration in range(1, _MAX_SELF_CONSISTENCY + 1):
        scale = omega * z
        i0, i1 = deviation.integrals(scale, chi)
        z_new = z_constant + temperature_mev / omega * (minus @ (scale * i0))
        chi_new = -temperature_mev * (plus @ i1) if shift else chi
        if np.any(z_new <= 0.0):
            raise ConvergenceError(
                f'Z_n ≤ 0 at T = {temperature_mev * MEV_TO_K:.6g} K: the DOS deviation is too strong for the '
                'normal-state self-consistency'
            )
        change = max(float(np.max(np.abs(z_new - z))), float(np.max(np.abs(chi_new - chi) / (omega * z_new))))
        z, chi = z_new, chi_new
        if change < _SELF_CONSISTENCY_TOL:
            i0, i1 = deviation.integrals(omega * z, chi)
            return z, chi, i0, i1, iteration
    raise ConvergenceError(
        f'Z_n, χ_n not self-consistent after {_MAX_SELF_CONSISTENCY} iterations at T = '
        f'{temperature_mev * MEV_TO_K:.6g} K (last change {change:.3g})'
    )


def _dos_state(
    kernel: Kernel,
    options: SolverOptions,
    deviation: DosDeviation,
    temperature_mev: float,
    include_shift: bool,
    start: tuple[NDArray, NDArray] | None = None,
) -> _DosState:
    """Pairing matrix with the N(ε)-weighted diagonal at k_BT = ``temperature_mev`` and its largest eigenvalue."""
    size = options.n_matsubara(temperature_mev)
    cutoff, _ = options.cutoff(temperature_mev)
    mu_cut = options.mu_star_at(cutoff)
    n = np.arange(size)
    omega = math.pi * temperature_mev * (2 * n + 1)
    u, _ = cutoff_window(omega / cutoff)
    weight = u * u
    z, chi, i0, _, iterations = _self_energies(kernel, deviation, temperature_mev, size, weight, include_shift, start)
    lambdas = kernel.lambdas(temperature_mev, 2 * size)
    difference, total = pair_indices(size)
    pairing = lambdas[difference] + lambdas[total] - 2.0 * mu_cut
    pairing[n, n] -= lambdas[0]
    # J_n = ∫ N(ε)/N(0) dε / Θ_n(ε) = π/(ω_n Z_n) + I0_n; the diagonal is 1/(T J_n) (= (2n+1)Z_n for constant N).
    scale = omega * z
    diagonal = scale / (temperature_mev * (math.pi + scale * i0)) - lambdas[0]
    matrix = (u[:, None] * u[None, :]) * pairing
    matrix[n, n] -= diagonal
    rho = float(scipy.linalg.eigh(matrix, eigvals_only=True, subset_by_index=[size - 1, size - 1])[0])
    return _DosState(
        rho=rho,
        size=size,
        cutoff_mev=cutoff,
        mu_star_cutoff=mu_cut,
        z0=float(z[0]),
        chi0_mev=float(chi[0]),
        iterations=iterations,
        self_energies=(z, chi),
    )


@dataclass(frozen=True)
class EliashbergDosResult:
    """Outcome of :func:`eliashberg_tc_dos`."""

    tc_k: float
    """T_c with N(ε) in K; 0.0 if below :attr:`t_min_k`."""
    tc_constant_dos_k: float
    """T_c of the constant-DOS solver with the same options, K."""
    window_mev: float
    """Half-width W of the energy window in which N(ε) enters, meV."""
    include_shift: bool
    """Whether χ_n was included."""
    dos_ratio_min: float
    """Smallest N(ε)/N(0) inside the window."""
    dos_ratio_max: float
    """Largest N(ε)/N(0) inside the window."""
    z0: float
    """Z at the first Matsubara frequency at T_c."""
    chi0_mev: float
    """χ at the first Matsubara frequency at T_c, meV."""
    mu_star: float
    mu_star_convention: str
    mu_star_cutoff: float
    """μ* at the Matsubara cutoff used at T_c."""
    cutoff_mev: float
    n_matsubara: int
    below_t_min: bool
    t_min_k: float
    success: bool
    message: str
    n_evaluations: int

    @property
    def tc_ratio(self) -> float:
        """T_c(N(ε))/T_c(constant DOS); NaN when the latter is 0."""
        return self.tc_k / self.tc_constant_dos_k if self.tc_constant_dos_k > 0 else math.nan

    def as_dict(self) -> dict[str, float | int | bool | str]:
        """All fields and ``tc_ratio`` as a flat dict."""
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        out['tc_ratio'] = self.tc_ratio
        return out


def _setup(spectrum: Alpha2F, energy_mev, dos, window_mev, solver: dict) -> tuple[Kernel, SolverOptions, DosDeviation]:
    kernel, options = solver_setup(spectrum, **solver)
    return kernel, options, dos_deviation(energy_mev, dos, window_mev)


def pairing_eigenvalue_dos(
    spectrum: Alpha2F,
    energy_mev: ArrayLike,
    dos: ArrayLike,
    temperature_k: float,
    *,
    mu_star: float,
    window_mev: float,
    include_shift: bool = True,
    cutoff_factor: float = 10.0,
    mu_star_reference_mev: float | None = None,
    min_matsubara: int = 12,
    max_matsubara: int = 1024,
    mu_star_convention: str = DEFAULT_MU_STAR_CONVENTION,
) -> float:
    """Largest eigenvalue ρ(T) of the pairing matrix with N(ε) (> 0 below T_c); arguments as :func:`eliashberg_tc_dos`.

    Returns
    -------
    float
        ρ(T), dimensionless.
    """
    kernel, options, deviation = _setup(
        spectrum,
        energy_mev,
        dos,
        window_mev,
        {
            'mu_star': mu_star,
            'cutoff_factor': cutoff_factor,
            'mu_star_reference_mev': mu_star_reference_mev,
            'min_matsubara': min_matsubara,
            'max_matsubara': max_matsubara,
            'mu_star_convention': mu_star_convention,
        },
    )
    temperature = check_temperature(temperature_k, 'temperature_k') * K_TO_MEV
    if options.n_matsubara(temperature) > options.max_matsubara:
        raise InputValidationError(f'temperature {temperature_k} K needs more than max_matsubara frequencies')
    return _dos_state(kernel, options, deviation, temperature, include_shift).rho


def eliashberg_tc_dos(
    spectrum: Alpha2F,
    energy_mev: ArrayLike,
    dos: ArrayLike,
    *,
    mu_star: float,
    window_mev: float,
    include_shift: bool = True,
    cutoff_factor: float = 10.0,
    mu_star_reference_mev: float | None = None,
    t_min_k: float = 1.0,
    min_matsubara: int = 12,
    max_matsubara: int = 1024,
    mu_star_convention: str = DEFAULT_MU_STAR_CONVENTION,
) -> EliashbergDosResult:
    r"""T_c from the linearised isotropic Eliashberg equations with an energy-dependent DOS N(ε).

    Parameters
    ----------
    spectrum : Alpha2F
        Eliashberg function α²F(ω), meV (only ω > 0 enters, trapezoid rule, as the constant-DOS solver).
    energy_mev : array_like
        ε − E_F in meV, strictly increasing, shape (K,); must cover ±``window_mev``.
    dos : array_like
        Electronic DOS N(ε) ≥ 0 at ``energy_mev``, any unit (only N(ε)/N(0) enters), shape (K,).
    mu_star : float
        Coulomb pseudopotential μ* in [0, 0.5), read in ``mu_star_convention``.
    window_mev : float
        Half-width W (meV) of the window |ε| ≤ W in which the tabulated N(ε) is used; N(0) outside.
    include_shift : bool, optional
        Include the self-energy χ_n of particle–hole asymmetry (default). It vanishes for a DOS symmetric about E_F.
    cutoff_factor, mu_star_reference_mev, t_min_k, min_matsubara, max_matsubara, mu_star_convention
        As :func:`~aiida_enatom.numerics.eliashberg.eliashberg_tc`.

    Returns
    -------
    EliashbergDosResult
        T_c with N(ε), the constant-DOS T_c with the same options and diagnostics.

    Raises
    ------
    InputValidationError
        On invalid parameters or a DOS that does not cover the window.
    ConvergenceError
        If the normal-state self-consistency or the T_c bracket fails.

    Notes
    -----
    With ω_n = πT(2n+1), λ(k) as in the constant-DOS solver, g(ε) = N(ε)/N(0) − 1 inside the window (0 outside),
    Θ_n(ε) = (ω_n Z_n)² + (ε + χ_n)² and w_m the soft cutoff weight, the normal state at T is

    .. math::
        Z_n = Z_n^{(0)} + \frac{T}{ω_n}\sum_{m≥0} w_m [λ(n-m) - λ(n+m+1)]\, ω_m Z_m \int g(ε)\,dε/Θ_m(ε),\qquad
        χ_n = -T\sum_{m≥0} w_m [λ(n-m) + λ(n+m+1)] \int g(ε)(ε+χ_m)\,dε/Θ_m(ε),

    with Z_n^{(0)} = 1 + [λ(0) + 2Σ_{l=1}^{n}λ(l)]/(2n+1) the exact constant-DOS renormalisation. With
    J_n = ∫ N(ε)/N(0) dε/Θ_n(ε) = π/(ω_n Z_n) + ∫ g dε/Θ_n, the linearised gap equation in y_n = T J_n φ_n is
    the symmetric eigenproblem of the constant-DOS solver with the diagonal (2n+1)Z_n replaced by 1/(T J_n);
    T_c is where its largest eigenvalue crosses zero. The ε-integrals are exact for piecewise-linear g.
    """
    solver = {
        'mu_star': mu_star,
        'cutoff_factor': cutoff_factor,
        'mu_star_reference_mev': mu_star_reference_mev,
        'min_matsubara': min_matsubara,
        'max_matsubara': max_matsubara,
        'mu_star_convention': mu_star_convention,
    }
    kernel, options, deviation = _setup(spectrum, energy_mev, dos, window_mev, solver)
    constant = eliashberg_tc(spectrum, t_min_k=t_min_k, **solver)
    t_low = constant.t_min_k * K_TO_MEV
    evaluations = 0
    previous: list[tuple[NDArray, NDArray]] = []

    def state(temperature_mev: float) -> _DosState:
        nonlocal evaluations
        evaluations += 1
        result = _dos_state(
            kernel, options, deviation, temperature_mev, include_shift, previous[-1] if previous else None
        )
        previous.append(result.self_energies)
        return result

    def finish(tc_mev: float | None, final: _DosState, success: bool, message: str) -> EliashbergDosResult:
        ratio = deviation.deviation + 1.0
        return EliashbergDosResult(
            tc_k=0.0 if tc_mev is None else tc_mev * MEV_TO_K,
            tc_constant_dos_k=constant.tc_k,
            window_mev=deviation.window_mev,
            include_shift=bool(include_shift),
            dos_ratio_min=float(ratio.min()),
            dos_ratio_max=float(ratio.max()),
            z0=final.z0,
            chi0_mev=final.chi0_mev,
            mu_star=options.mu_star,
            mu_star_convention=options.convention,
            mu_star_cutoff=final.mu_star_cutoff,
            cutoff_mev=final.cutoff_mev,
            n_matsubara=final.size,
            below_t_min=tc_mev is None,
            t_min_k=t_low * MEV_TO_K,
            success=success,
            message=message,
            n_evaluations=evaluations,
        )

    start = max(constant.tc_k * K_TO_MEV, t_low)
    first = state(start)
    if first.rho == 0.0:
        return finish(start, first, True, 'ρ vanishes at the constant-DOS T_c')
    step = 1.05
    t_a = t_b = start
    if first.rho > 0.0:
        for _ in range(_MAX_BRACKET_STEPS):
            t_a, t_b = t_b, t_b * step
            step = min(step * step, 1.0e3)
            if state(t_b).rho < 0.0:
                break
        else:
            raise ConvergenceError(f'ρ(T) stayed positive up to T = {t_b * MEV_TO_K:.6g} K; no T_c bracket found')
    else:
        while True:
            if t_a <= t_low:
                low = state(t_low)
                message = f'T_c is below t_min = {t_low * MEV_TO_K:.6g} K: ρ(t_min) = {low.rho:.4g} < 0'
                return finish(None, low, True, message)
            t_b, t_a = t_a, max(t_a / step, t_low)
            step = min(step * step, 1.0e3)
            if state(t_a).rho > 0.0:
                break
    root, info = scipy.optimize.brentq(
        lambda t: state(t).rho, t_a, t_b, xtol=1.0e-12 * t_a, rtol=_TC_RTOL, full_output=True, disp=False
    )
    final = state(root)
    return finish(root, final, bool(info.converged), f'brentq: {info.flag} after {info.iterations} iterations')


#: Default half-width W of the N(ε) window in the pipeline, meV (H₃S at 200 GPa: T_c within 0.5 % of W = 1–8 eV).
DEFAULT_WINDOW_MEV: float = 2000.0


def eliashberg_dos_metrics(
    spectrum: Alpha2F,
    energy_ev: ArrayLike,
    dos: ArrayLike,
    fermi_energy_ev: float,
    *,
    mu_star: float,
    window_mev: float = DEFAULT_WINDOW_MEV,
    mu_star_convention: str = DEFAULT_MU_STAR_CONVENTION,
) -> dict[str, float | bool | str | None]:
    """Record keys of the N(ε) Eliashberg T_c of a point, from a DOS on an absolute energy grid in eV.

    Parameters
    ----------
    spectrum : Alpha2F
        α²F(ω) of the point, meV.
    energy_ev : array_like
        Energies of the DOS in eV (absolute, as projwfc.x writes them), shape (K,).
    dos : array_like
        Total DOS at ``energy_ev`` (any unit), shape (K,).
    fermi_energy_ev : float
        E_F in eV on the same scale.
    mu_star : float
        μ* as for the constant-DOS T_c of the point.
    window_mev : float, optional
        Half-width W of the window in meV.
    mu_star_convention : str, optional
        As :func:`eliashberg_tc_dos`.

    Returns
    -------
    dict
        ``tc_eliashberg_dos_K`` (χ_n included), ``tc_eliashberg_dos_no_shift_K`` (χ_n = 0),
        ``tc_eliashberg_dos_ratio`` (T_c(N(ε))/T_c(constant N)), ``tc_eliashberg_constant_dos_K``,
        ``eliashberg_dos_window_meV``, ``eliashberg_dos_ratio_min``, ``eliashberg_dos_ratio_max``,
        ``eliashberg_dos_chi0_meV``, ``eliashberg_dos_success``.
    """
    energy = (np.asarray(energy_ev, dtype=float) - float(fermi_energy_ev)) * EV_TO_MEV
    options = {'mu_star': mu_star, 'window_mev': window_mev, 'mu_star_convention': mu_star_convention}
    full = eliashberg_tc_dos(spectrum, energy, dos, **options)
    plain = eliashberg_tc_dos(spectrum, energy, dos, include_shift=False, **options)
    return {
        'tc_eliashberg_dos_K': full.tc_k,
        'tc_eliashberg_dos_no_shift_K': plain.tc_k,
        # undefined when T_c with constant N(0) is 0 (below the solver's floor, e.g. Al): None, which AiiDA can
        # store (a NaN in a Dict is refused, and the calcfunction would except)
        'tc_eliashberg_dos_ratio': full.tc_ratio if math.isfinite(full.tc_ratio) else None,
        'tc_eliashberg_constant_dos_K': full.tc_constant_dos_k,
        'eliashberg_dos_window_meV': full.window_mev,
        'eliashberg_dos_ratio_min': full.dos_ratio_min,
        'eliashberg_dos_ratio_max': full.dos_ratio_max,
        'eliashberg_dos_chi0_meV': full.chi0_mev,
        'eliashberg_dos_success': full.success and plain.success,
    }

"""Critical temperature from the linearised isotropic Eliashberg equations on the Matsubara axis.

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
from functools import lru_cache

import numpy as np
import scipy.linalg
import scipy.optimize
from numpy.typing import NDArray

from aiida_enatom.constants import K_TO_MEV, MEV_TO_K
from aiida_enatom.exceptions import ConvergenceError, InputValidationError
from aiida_enatom.numerics.moments import moments
from aiida_enatom.numerics.spectra import Alpha2F
from aiida_enatom.numerics.tc import allen_dynes_tc, check_mu_star

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

#: Half-width δ of the soft Matsubara cutoff, relative to ω_c: the pairing weight falls from 1 to 0
#: over ω_n/ω_c ∈ [1 − δ, 1 + δ].
CUTOFF_HALF_WIDTH: float = 0.2

#: The conventions for the frequency at which μ* is quoted: name → what the solver does with ``mu_star``.
MU_STAR_CONVENTIONS: dict[str, str] = {
    'ten_omega_max': (
        'μ* is quoted at ω_ref = 10 ω_max (ω_max: highest ω with α²F ≠ 0) and rescaled with Morel–Anderson to the '
        'Matsubara cutoff ω_c in use at each T; with the default cutoff 10 ω_max it is used as given unless ω_c is '
        'raised to 2πk_BT·min_matsubara (λ ≳ 5)'
    ),
    'cutoff': (
        "μ* is applied at the Matsubara cutoff ω_c as given and never rescaled, as EPW's muc at its wscut: T_c then "
        'depends on the cutoff factor'
    ),
    'omega_log': 'μ* is quoted at ω_log of the spectrum and rescaled with Morel–Anderson to the cutoff ω_c',
}
#: The convention of every T_c unless another is asked for.
DEFAULT_MU_STAR_CONVENTION = 'ten_omega_max'

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
# Internal building blocks, shared with :mod:`aiida_enatom.numerics.bergmann_rainer`.
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kernel:
    """α²F reduced to what the Matsubara kernel needs: λ(k) = Σ_i g_i/(ω_i² + ν_k²)."""

    omega: NDArray[np.float64]
    """Frequencies ω_i > 0 with α²F ≠ 0, meV, shape (n_i,)."""
    weight: NDArray[np.float64]
    """g_i = 2 ω_i α²F(ω_i) t_i with t_i the trapezoid weight, meV², shape (n_i,)."""
    omega_max: float
    """Highest ω > 0 with α²F ≠ 0, meV."""
    coupling_lambda: float
    """λ = λ(0)."""

    def lambdas(self, temperature_mev: float, count: int) -> NDArray[np.float64]:
        """λ(k) for k = 0…count−1 at temperature k_BT in meV, shape (count,)."""
        nu2 = (2.0 * math.pi * temperature_mev * np.arange(count)) ** 2
        return (1.0 / (self.omega**2 + nu2[:, None])) @ self.weight

    def lambdas_dt(self, temperature_mev: float, count: int) -> NDArray[np.float64]:
        """∂λ(k)/∂(k_BT) for k = 0…count−1, in meV⁻¹, shape (count,)."""
        nu2 = (2.0 * math.pi * temperature_mev * np.arange(count)) ** 2
        inverse = 1.0 / (self.omega**2 + nu2[:, None])
        return -2.0 / temperature_mev * nu2 * ((inverse * inverse) @ self.weight)


def _trapezoid_weights(omega: NDArray[np.float64]) -> NDArray[np.float64]:
    steps = np.diff(omega)
    weights = np.zeros_like(omega)
    weights[:-1] += 0.5 * steps
    weights[1:] += 0.5 * steps
    return weights


def _prepare_kernel(spectrum: Alpha2F) -> _Kernel:
    if not isinstance(spectrum, Alpha2F):
        raise InputValidationError(f'spectrum must be an Alpha2F, got {type(spectrum).__name__}')
    mask = spectrum.positive
    omega = spectrum.frequency[mask]
    a2f = spectrum.spectrum[mask]
    weight = 2.0 * omega * a2f * _trapezoid_weights(omega)
    nonzero = a2f != 0
    if not np.any(nonzero):
        raise InputValidationError('spectrum is zero at every ω > 0: λ = 0, there is no pairing')
    coupling = float(np.sum(weight / omega**2))
    if not coupling > 0:
        raise InputValidationError(f'λ = {coupling:.6g} ≤ 0: the spectrum has no positive coupling, T_c is undefined')
    return _Kernel(
        omega=omega[nonzero],
        weight=weight[nonzero],
        omega_max=float(omega[nonzero][-1]),
        coupling_lambda=coupling,
    )


@dataclass(frozen=True)
class _Options:
    """Validated solver options."""

    mu_star: float
    convention: str
    cutoff_factor: float
    reference_mev: float | None
    """ω_ref in meV; None when μ* is applied at the cutoff without rescaling (convention ``'cutoff'``)."""
    omega_cutoff_min_mev: float
    min_matsubara: int
    max_matsubara: int

    def cutoff(self, temperature_mev: float) -> tuple[float, float]:
        """ω_c(T) = max(cutoff_factor·ω_max, 2πT·min_matsubara) in meV and dω_c/d(k_BT)."""
        thermal = 2.0 * math.pi * temperature_mev * self.min_matsubara
        if thermal > self.omega_cutoff_min_mev:
            return thermal, 2.0 * math.pi * self.min_matsubara
        return self.omega_cutoff_min_mev, 0.0

    def mu_star_at(self, cutoff_mev: float) -> float:
        """Morel–Anderson μ*(ω_c) from μ*(ω_ref): 1/μ*(ω_c) = 1/μ*(ω_ref) + ln(ω_ref/ω_c); μ* itself without ω_ref."""
        if self.reference_mev is None:
            return self.mu_star
        return _rescale_mu_star(self.mu_star, self.reference_mev, cutoff_mev)

    def n_matsubara(self, temperature_mev: float) -> int:
        """Number of ω_n = πT(2n+1) below (1 + δ)ω_c, i.e. with non-zero pairing weight."""
        cutoff, _ = self.cutoff(temperature_mev)
        top = cutoff * (1.0 + CUTOFF_HALF_WIDTH) / (math.pi * temperature_mev)
        return max(1, math.ceil(0.5 * (top - 1.0)))


def _rescale_mu_star(mu_star: float, reference_mev: float, cutoff_mev: float) -> float:
    if mu_star == 0.0:
        return 0.0
    inverse = 1.0 / mu_star + math.log(reference_mev / cutoff_mev)
    if inverse <= 0.0:
        raise InputValidationError(
            f'mu_star = {mu_star} at the reference {reference_mev:.6g} meV cannot be rescaled to the cutoff '
            f'{cutoff_mev:.6g} meV (1/μ* + ln(ω_ref/ω_c) = {inverse:.4g} ≤ 0); lower cutoff_factor or mu_star, '
            f'or raise mu_star_reference_mev'
        )
    return 1.0 / inverse


def check_mu_star_convention(convention: str) -> str:
    """Return ``convention`` after checking it is a key of :data:`MU_STAR_CONVENTIONS`.

    Raises
    ------
    InputValidationError
        If it is not one of them.
    """
    if convention not in MU_STAR_CONVENTIONS:
        raise InputValidationError(
            f'mu_star_convention = {convention!r} is not valid; choose one of {", ".join(MU_STAR_CONVENTIONS)}'
        )
    return str(convention)


def mu_star_reference_mev(spectrum: Alpha2F, convention: str = DEFAULT_MU_STAR_CONVENTION) -> float | None:
    """The frequency (meV) at which μ* is quoted for ``spectrum`` in ``convention``; None for ``'cutoff'``.

    Pass it as ``mu_star_reference_mev`` when solving a *partial* of ``spectrum``, so that the partial and the full
    spectrum use the same μ*.

    Parameters
    ----------
    spectrum : Alpha2F
        The (full) Eliashberg function, meV.
    convention : str
        A key of :data:`MU_STAR_CONVENTIONS`.

    Returns
    -------
    float or None
        10 ω_max (``'ten_omega_max'``), ω_log (``'omega_log'``) in meV, or None (``'cutoff'``: no reference).
    """
    name = check_mu_star_convention(convention)
    if name == 'cutoff':
        return None
    if name == 'omega_log':
        return float(moments(spectrum).omega_log)
    return 10.0 * _prepare_kernel(spectrum).omega_max


def _setup(
    spectrum: Alpha2F,
    *,
    mu_star: float,
    cutoff_factor: float,
    mu_star_reference_mev: float | None,
    min_matsubara: int,
    max_matsubara: int,
    mu_star_convention: str = DEFAULT_MU_STAR_CONVENTION,
) -> tuple[_Kernel, _Options]:
    """The kernel of ``spectrum`` and the validated solver options shared by every public function."""
    kernel = _prepare_kernel(spectrum)
    mu = check_mu_star(mu_star)
    convention = check_mu_star_convention(mu_star_convention)
    factor = float(cutoff_factor)
    if not (math.isfinite(factor) and factor > 1.0):
        raise InputValidationError(f'cutoff_factor = {cutoff_factor!r} is not valid; it must be a finite number > 1')
    reference: float | None
    if convention == 'cutoff':
        if mu_star_reference_mev is not None:
            raise InputValidationError(
                f"mu_star_reference_mev = {mu_star_reference_mev!r} contradicts mu_star_convention = 'cutoff' "
                '(μ* applied at the cutoff, no reference frequency); leave it None or choose another convention'
            )
        reference = None
    elif mu_star_reference_mev is None:
        reference = 10.0 * kernel.omega_max if convention == 'ten_omega_max' else moments(spectrum).omega_log
    else:
        reference = float(mu_star_reference_mev)
        if not (math.isfinite(reference) and reference > 0.0):
            raise InputValidationError(
                f'mu_star_reference_mev = {mu_star_reference_mev!r} is not valid; it must be a finite frequency > 0 meV'
            )
    if int(min_matsubara) != min_matsubara or min_matsubara < 1:
        raise InputValidationError(f'min_matsubara = {min_matsubara!r} is not valid; it must be an integer ≥ 1')
    if int(max_matsubara) != max_matsubara or max_matsubara < 2 * min_matsubara:
        raise InputValidationError(
            f'max_matsubara = {max_matsubara!r} is not valid; it must be an integer ≥ 2·min_matsubara = '
            f'{2 * min_matsubara}'
        )
    options = _Options(
        mu_star=mu,
        convention=convention,
        cutoff_factor=factor,
        reference_mev=reference,
        omega_cutoff_min_mev=factor * kernel.omega_max,
        min_matsubara=int(min_matsubara),
        max_matsubara=int(max_matsubara),
    )
    options.mu_star_at(options.omega_cutoff_min_mev)  # fail early if the rescaling is impossible
    return kernel, options


def _window(x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Square root u(x) of the soft-cutoff weight w = u² and du/dx.

    w(x) = 1 for x ≤ 1 − δ, cos²[π(x − 1 + δ)/(4δ)] on the ramp, 0 for x ≥ 1 + δ; w is C¹.
    """
    theta = np.clip((x - 1.0 + CUTOFF_HALF_WIDTH) * (math.pi / (4.0 * CUTOFF_HALF_WIDTH)), 0.0, 0.5 * math.pi)
    on_ramp = (theta > 0.0) & (theta < 0.5 * math.pi)
    return np.cos(theta), np.where(on_ramp, -np.sin(theta) * (math.pi / (4.0 * CUTOFF_HALF_WIDTH)), 0.0)


@lru_cache(maxsize=64)
def _indices(size: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """|n − m| and n + m + 1 for n, m = 0…size−1, each shape (size, size), read-only."""
    n = np.arange(size)
    difference = np.abs(n[:, None] - n[None, :])
    total = n[:, None] + n[None, :] + 1
    difference.setflags(write=False)
    total.setflags(write=False)
    return difference, total


@dataclass(frozen=True)
class _PairingState:
    """Pairing matrix M(T) = S∘K − diag(D), its top eigenpair, and the pieces its derivatives need."""

    temperature_mev: float
    cutoff_mev: float
    cutoff_dt: float
    """dω_c/d(k_BT) (dimensionless)."""
    mu_star_cutoff: float
    rescales_mu_star: bool
    """Whether μ*(ω_c) follows ω_c (Morel–Anderson from a fixed ω_ref) or is fixed (convention ``'cutoff'``)."""
    x: NDArray[np.float64]
    """ω_n/ω_c, shape (N,)."""
    u: NDArray[np.float64]
    """√w_n, shape (N,)."""
    du_dx: NDArray[np.float64]
    lambdas: NDArray[np.float64]
    """λ(k), k = 0…2N−1."""
    pairing: NDArray[np.float64]
    """K'_nm = λ(|n−m|)(1 − δ_nm) + λ(n+m+1) − 2μ*(ω_c), shape (N, N)."""
    rho: float
    phi: NDArray[np.float64]

    @property
    def size(self) -> int:
        return self.u.size


def _top_eigenpair(matrix: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
    size = matrix.shape[0]
    values, vectors = scipy.linalg.eigh(
        matrix, subset_by_index=[size - 1, size - 1], overwrite_a=True, check_finite=False
    )
    phi = vectors[:, 0]
    if phi[0] < 0:
        phi = -phi
    return float(values[0]), phi


def _pairing_state(kernel: _Kernel, options: _Options, temperature_mev: float) -> _PairingState:
    size = options.n_matsubara(temperature_mev)
    cutoff, cutoff_dt = options.cutoff(temperature_mev)
    mu_cut = options.mu_star_at(cutoff)
    n = np.arange(size)
    x = math.pi * temperature_mev * (2 * n + 1) / cutoff
    u, du_dx = _window(x)
    lambdas = kernel.lambdas(temperature_mev, 2 * size)
    difference, total = _indices(size)
    pairing = lambdas[difference] + lambdas[total] - 2.0 * mu_cut
    # λ(0) of the pairing kernel cancels exactly against λ(0) in Z_n: leave both out.
    pairing[n, n] -= lambdas[0]
    diagonal = (2 * n + 1) + 2.0 * np.concatenate(([0.0], np.cumsum(lambdas[1:size])))
    matrix = (u[:, None] * u[None, :]) * pairing
    matrix[n, n] -= diagonal
    rho, phi = _top_eigenpair(matrix)
    return _PairingState(
        temperature_mev=temperature_mev,
        cutoff_mev=cutoff,
        cutoff_dt=cutoff_dt,
        mu_star_cutoff=mu_cut,
        rescales_mu_star=options.reference_mev is not None,
        x=x,
        u=u,
        du_dx=du_dx,
        lambdas=lambdas,
        pairing=pairing,
        rho=rho,
        phi=phi,
    )


def _check_temperature(temperature_k: float, name: str) -> float:
    value = float(temperature_k)
    if not (math.isfinite(value) and value > 0.0):
        raise InputValidationError(f'{name} = {temperature_k!r} is not valid; it must be a finite temperature > 0 K')
    return value


def _check_size(options: _Options, temperature_mev: float) -> None:
    size = options.n_matsubara(temperature_mev)
    if size > options.max_matsubara:
        raise InputValidationError(
            f'temperature {temperature_mev * MEV_TO_K:.6g} K needs N = {size} Matsubara frequencies, more than '
            f'max_matsubara = {options.max_matsubara}; raise the temperature or max_matsubara'
        )


def _state_at(kernel: _Kernel, options: _Options, temperature_k: float) -> _PairingState:
    """The pairing state at ``temperature_k`` (K), after checking T and the matrix size."""
    temperature_mev = _check_temperature(temperature_k, 'temperature_k') * K_TO_MEV
    _check_size(options, temperature_mev)
    return _pairing_state(kernel, options, temperature_mev)


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
    kernel, options = _setup(
        spectrum,
        mu_star=mu_star,
        cutoff_factor=cutoff_factor,
        mu_star_reference_mev=mu_star_reference_mev,
        min_matsubara=min_matsubara,
        max_matsubara=max_matsubara,
        mu_star_convention=mu_star_convention,
    )
    return _state_at(kernel, options, temperature_k).rho


def _lowest_temperature_mev(options: _Options, t_min_k: float) -> float:
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
    kernel, options = _setup(
        spectrum,
        mu_star=mu_star,
        cutoff_factor=cutoff_factor,
        mu_star_reference_mev=mu_star_reference_mev,
        min_matsubara=min_matsubara,
        max_matsubara=max_matsubara,
        mu_star_convention=mu_star_convention,
    )
    t_low = _lowest_temperature_mev(options, _check_temperature(t_min_k, 't_min_k'))
    evaluations = 0

    def rho(temperature_mev: float) -> float:
        nonlocal evaluations
        evaluations += 1
        return _pairing_state(kernel, options, temperature_mev).rho

    estimate = _initial_estimate_mev(spectrum, options)
    t_start = max(estimate, t_low)
    rho_start = rho(t_start)
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
                return _below_t_min_result(kernel, options, t_low, evaluations)
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
    state = _pairing_state(kernel, options, root)
    return _result(options, state, t_low, evaluations, tc_mev=root, success=converged, message=message)


def _below_t_min_result(kernel: _Kernel, options: _Options, t_low: float, evaluations: int) -> EliashbergResult:
    state = _pairing_state(kernel, options, t_low)
    message = f'T_c is below t_min = {t_low * MEV_TO_K:.6g} K: ρ(t_min) = {state.rho:.4g} < 0; tc_k set to 0.0'
    return _result(options, state, t_low, evaluations, tc_mev=None, success=True, message=message)


def _result(
    options: _Options,
    state: _PairingState,
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
        n_evaluations=evaluations + 1,
    )


def _frozen(array: NDArray[np.float64]) -> NDArray[np.float64]:
    out = np.array(array, dtype=float)
    out.setflags(write=False)
    return out


def _initial_estimate_mev(spectrum: Alpha2F, options: _Options) -> float:
    """Allen–Dynes T_c (meV) with μ* at the cutoff, or ω_log/100 when Allen–Dynes gives 0."""
    values = moments(spectrum)
    mu_cut = options.mu_star_at(options.omega_cutoff_min_mev)
    estimate = allen_dynes_tc(values.coupling_lambda, values.omega_log, values.omega_2, min(mu_cut, 0.499)) * K_TO_MEV
    return estimate if estimate > 0.0 else 0.01 * values.omega_log

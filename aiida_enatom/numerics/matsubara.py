"""The linearised isotropic Eliashberg gap equation on the Matsubara axis: the pairing matrix and its pieces.

This module holds what :mod:`~aiida_enatom.numerics.eliashberg` (T_c) and
:mod:`~aiida_enatom.numerics.bergmann_rainer` (δT_c/δα²F) share: the kernel λ(k) of an α²F, the validated solver
options (cutoff, μ* convention and its Morel–Anderson rescaling), and the pairing matrix M(T) with its top
eigenpair. The equations and conventions are documented on :func:`~aiida_enatom.numerics.eliashberg.eliashberg_tc`.

References
----------
P. B. Allen and R. C. Dynes, Phys. Rev. B 12, 905 (1975) (matrix form of the linearised gap equation at T_c).
P. Morel and P. W. Anderson, Phys. Rev. 125, 1263 (1962) (μ* at different cutoffs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.linalg
from numpy.typing import NDArray

from aiida_enatom.constants import K_TO_MEV, MEV_TO_K
from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.moments import moments
from aiida_enatom.numerics.spectra import Alpha2F
from aiida_enatom.numerics.tc import check_mu_star

__all__ = (
    'CUTOFF_HALF_WIDTH',
    'DEFAULT_MU_STAR_CONVENTION',
    'MU_STAR_CONVENTIONS',
    'Kernel',
    'PairingState',
    'SolverOptions',
    'check_mu_star_convention',
    'check_temperature',
    'cutoff_window',
    'mu_star_reference_mev',
    'pair_indices',
    'pairing_state',
    'prepare_kernel',
    'solver_setup',
    'state_at',
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


@dataclass(frozen=True)
class Kernel:
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


def prepare_kernel(spectrum: Alpha2F) -> Kernel:
    """The kernel of ``spectrum`` (ω > 0, trapezoid weights); raises InputValidationError without coupling."""
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
    return Kernel(
        omega=omega[nonzero],
        weight=weight[nonzero],
        omega_max=float(omega[nonzero][-1]),
        coupling_lambda=coupling,
    )


@dataclass(frozen=True)
class SolverOptions:
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
    return 10.0 * prepare_kernel(spectrum).omega_max


def solver_setup(
    spectrum: Alpha2F,
    *,
    mu_star: float,
    cutoff_factor: float,
    mu_star_reference_mev: float | None,
    min_matsubara: int,
    max_matsubara: int,
    mu_star_convention: str = DEFAULT_MU_STAR_CONVENTION,
) -> tuple[Kernel, SolverOptions]:
    """The kernel of ``spectrum`` and the validated solver options shared by every public function."""
    kernel = prepare_kernel(spectrum)
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
    options = SolverOptions(
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


def cutoff_window(x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Square root u = √w of the soft Matsubara cutoff weight at x = ω_n/ω_c and du/dx, each shape of ``x``.

    The weight used by :func:`pairing_state` (see :data:`CUTOFF_HALF_WIDTH`); public for solvers that build their
    own pairing matrix on the same cutoff (e.g. :mod:`~aiida_enatom.numerics.eliashberg_dos`).
    """
    return _window(x)


@lru_cache(maxsize=64)
def pair_indices(size: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """|n − m| and n + m + 1 for n, m = 0…size−1, each shape (size, size), read-only."""
    n = np.arange(size)
    difference = np.abs(n[:, None] - n[None, :])
    total = n[:, None] + n[None, :] + 1
    difference.setflags(write=False)
    total.setflags(write=False)
    return difference, total


@dataclass(frozen=True)
class PairingState:
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
        """Matrix dimension N."""
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


def pairing_state(kernel: Kernel, options: SolverOptions, temperature_mev: float) -> PairingState:
    """Build M(T) at k_BT = ``temperature_mev`` (meV) and find its top eigenpair (no size check)."""
    size = options.n_matsubara(temperature_mev)
    cutoff, cutoff_dt = options.cutoff(temperature_mev)
    mu_cut = options.mu_star_at(cutoff)
    n = np.arange(size)
    x = math.pi * temperature_mev * (2 * n + 1) / cutoff
    u, du_dx = _window(x)
    lambdas = kernel.lambdas(temperature_mev, 2 * size)
    difference, total = pair_indices(size)
    pairing = lambdas[difference] + lambdas[total] - 2.0 * mu_cut
    # λ(0) of the pairing kernel cancels exactly against λ(0) in Z_n: leave both out.
    pairing[n, n] -= lambdas[0]
    diagonal = (2 * n + 1) + 2.0 * np.concatenate(([0.0], np.cumsum(lambdas[1:size])))
    matrix = (u[:, None] * u[None, :]) * pairing
    matrix[n, n] -= diagonal
    rho, phi = _top_eigenpair(matrix)
    return PairingState(
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


def check_temperature(temperature_k: float, name: str) -> float:
    """Return ``temperature_k`` as float after checking it is finite and > 0 K (``name`` for the message)."""
    value = float(temperature_k)
    if not (math.isfinite(value) and value > 0.0):
        raise InputValidationError(f'{name} = {temperature_k!r} is not valid; it must be a finite temperature > 0 K')
    return value


def _check_size(options: SolverOptions, temperature_mev: float) -> None:
    size = options.n_matsubara(temperature_mev)
    if size > options.max_matsubara:
        raise InputValidationError(
            f'temperature {temperature_mev * MEV_TO_K:.6g} K needs N = {size} Matsubara frequencies, more than '
            f'max_matsubara = {options.max_matsubara}; raise the temperature or max_matsubara'
        )


def state_at(kernel: Kernel, options: SolverOptions, temperature_k: float) -> PairingState:
    """The pairing state at ``temperature_k`` (K), after checking T and the matrix size."""
    temperature_mev = check_temperature(temperature_k, 'temperature_k') * K_TO_MEV
    _check_size(options, temperature_mev)
    return pairing_state(kernel, options, temperature_mev)

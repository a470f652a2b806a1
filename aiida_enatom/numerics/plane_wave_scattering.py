"""Rigid and backflow shares of I² from enatom fields: plane-wave matrix elements on a free-electron Fermi sphere.

The approximation (seed paper Eq. 2 with plane waves; ``docs/enatom.md``, "I² from the enatom")
------------------------------------------------------------------------------------------------
With plane waves ψ_k = e^{ik·r}/√Ω₀ normalised in a cell Ω₀ (the enatom workflow uses the primitive cell, the cell of
the α²F calculation for the project's prototypes, so that the numbers compare with route 2 of
:mod:`aiida_enatom.numerics.scattering_route2`), and the Bloch-phased displacement of atom j's sublattice, the matrix
element of the enatom field F_j = ∂V/∂R_j is

.. math:: ⟨k|F_j|k′⟩ = \\tilde F_j(q)/Ω_0,\\qquad q = k′ − k,\\qquad \\tilde F_j(q) = ∫ F_j(r) e^{−iq·r} d^3r

(umklapp included: k and k′ are extended-zone momenta). For k, k′ uniform on a sphere of radius k_F, |q| has the
density P(q) = q/(2k_F²) on [0, 2k_F] and a uniform direction, so the double Fermi-surface average of Eq. 2 is

.. math:: I^2_{pw} = \\frac{1}{Ω_0^2} ∫ d^3q\\, w(q)\\, |\\tilde F_j(q)|^2,\\qquad
          w(q) = \\frac{P(|q|)}{4π|q|^2}\\, θ(2k_F − |q|),\\qquad ∫ w\\, d^3q = 1.

The rigid part −∇v_j has \\tilde F ∥ q and the backflow ∇×W_j has \\tilde F ⊥ q, so
|\\tilde F|² = |q̂·\\tilde F|² + |q̂×\\tilde F|² splits I² into a rigid and a backflow part with no cross term:
I² = I²_rigid + I²_backflow exactly, and the **backflow share** I²_backflow/I² lies in [0, 1].

How it is evaluated (no q grid)
-------------------------------
The field on the periodic supercell grid is restricted to atom j's Wigner–Seitz cell of the supercell lattice (the
grid points nearer to R_j than to any of its periodic images; points on the boundary are shared equally between the
tied images) after its G = 0 mean F₀ is removed, and embedded in a zero-padded box ``padding`` times the supercell.
Writing \\tilde F as the grid sum ΔV Σ_i F(r_i) e^{−iq·r_i} (exact for the band-limited grid field when
2k_F is below the grid's Nyquist wavevector) turns the q integral into a double real-space sum with analytic kernels,

.. math:: ∫ d^3q\\, w(q)\\, \\tilde F_α^* \\tilde F_β\\, \\hat q_α \\hat q_β
          = ΔV^2 \\sum_{i,j} F_α(r_i) F_β(r_j)\\, K_{αβ}(r_j − r_i),\\qquad
          K_{αβ}(R) = K_1(R)\\, δ_{αβ} − K_2(R)\\, \\hat R_α \\hat R_β ,

with X = 2k_F R, K_1 = 2[1 − j_0(X)]/X², K_2 = 2[3(1 − j_0(X)) − (1 − \\cos X)]/X² and the trace
K = 3K_1 − K_2 = j_0(k_F R)² (the free-electron pair kernel) for the total. The double sum is a correlation, so by
Parseval it is Σ_G K̂_αβ(G) Re[F̂_α(G)^* F̂_β(G)]/N on the padded box: one FFT of the field per atom, the kernel
spectra once per box and k_F. The q integral is therefore exact for the truncated field (no discretisation in q at
all); padding 2 holds the correlation without wrap-around (tested against 3).

As a cross-check, :func:`lattice_fermi_average` evaluates the same integral as a sum over the supercell's own
reciprocal lattice vectors 0 < |G| ≤ 2k_F with weights w(G)(2π)³/Ω_sc: the periodic field's Fourier coefficients are
exact there (they are the q-points commensurate with the supercell, where a displaced-supercell calculation equals
DFPT) and need no truncation, but the quadrature of w (its 1/q singularity and the sharp edge at 2k_F) is coarse.

Limits: plane waves ignore the Bloch (orbital) character of the states and a Fermi sphere is not a real Fermi
surface; the grids hold only the local potential (the non-local projectors move rigidly and are not included).

References: the seed paper's Eq. 2 (McMillan's I²); W. L. McMillan, Phys. Rev. 167, 331 (1968); the rigid-atom
model it is compared with: G. D. Gaspari and B. L. Györffy, Phys. Rev. Lett. 28, 801 (1972).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.fft
from numpy.typing import ArrayLike, NDArray

from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.displacements import SymmetryOperations, atom_mapping, crystal_symmetry
from aiida_enatom.numerics.helmholtz import reciprocal_cell

__all__ = (
    'PlaneWaveAverage',
    'fermi_sphere_kernels',
    'free_electron_wavevector',
    'lattice_fermi_average',
    'orbit_sizes',
    'plane_wave_fermi_average',
    'plane_wave_metrics',
    'primitive_volume',
    'q_density',
    'species_plane_wave_averages',
    'wigner_seitz_embedding',
)

#: Below this X = 2k_F R the kernels are summed from their Taylor series (the closed forms cancel).
_SERIES_BELOW = 0.5
#: Terms of the Taylor series (X ≤ 0.5: the first omitted term is below 1e-30).
_SERIES_TERMS = 12
#: Two images of a grid point are tied (shared) when their distances to the atom differ by less than this (Å).
_TIE_TOLERANCE = 1.0e-6


def free_electron_wavevector(n_electrons: float, volume: float) -> float:
    """Free-electron Fermi wavevector k_F = (3π² n)^{1/3} of ``n_electrons`` in ``volume``.

    Parameters
    ----------
    n_electrons : float
        Number of valence electrons (both spins) in the volume, > 0.
    volume : float
        Volume in Å³, > 0.

    Returns
    -------
    float
        k_F in Å⁻¹.

    Examples
    --------
    >>> round(free_electron_wavevector(3.0, 16.6), 3)  # Al, 3 electrons in 16.6 Å³
    1.75
    """
    if not (np.isfinite(n_electrons) and n_electrons > 0 and np.isfinite(volume) and volume > 0):
        raise InputValidationError(f'n_electrons = {n_electrons} and volume = {volume} Å³ must both be positive')
    return float((3.0 * np.pi**2 * n_electrons / volume) ** (1.0 / 3.0))


def q_density(q: ArrayLike, k_fermi: float) -> NDArray[np.float64]:
    """P(q) = q/(2k_F²) on [0, 2k_F], else 0: the density of |k′ − k| for k, k′ uniform on a sphere of radius k_F.

    Parameters
    ----------
    q : array_like
        Momentum transfers |q| in Å⁻¹.
    k_fermi : float
        k_F in Å⁻¹.

    Returns
    -------
    numpy.ndarray
        P(q) in Å (∫₀^{2k_F} P dq = 1).
    """
    q = np.asarray(q, dtype=float)
    return np.where((q >= 0) & (q <= 2.0 * k_fermi), q / (2.0 * k_fermi**2), 0.0)


def _series_coefficients() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Taylor coefficients in X² of K_1 and K_2 (index n ↦ X^{2n})."""
    from math import factorial

    k1, k2 = [], []
    for n in range(1, _SERIES_TERMS + 1):
        sign = (-1.0) ** (n + 1)
        k1.append(2.0 * sign / factorial(2 * n + 1))
        k2.append(2.0 * sign * (3.0 / factorial(2 * n + 1) - 1.0 / factorial(2 * n)))
    return np.array(k1), np.array(k2)


def fermi_sphere_kernels(
    distance: ArrayLike, k_fermi: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Real-space kernels of the Fermi-sphere average: K, K₁, K₂ at distances R.

    K_{αβ}(R) = ∫ d³q w(q) q̂_α q̂_β e^{iq·R} = K₁ δ_{αβ} − K₂ R̂_α R̂_β and K = Σ_α K_{αα} = ∫ d³q w(q) e^{iq·R}
    (module docstring). With X = 2k_F R:

    * K = j₀(k_F R)² = 2(1 − cos X)/X²,
    * K₁ = 2[1 − j₀(X)]/X²,
    * K₂ = 2[3(1 − j₀(X)) − (1 − cos X)]/X².

    At R = 0: K = 1, K₁ = 1/3, K₂ = 0.

    Parameters
    ----------
    distance : array_like
        R ≥ 0 in Å, any shape.
    k_fermi : float
        k_F in Å⁻¹.

    Returns
    -------
    tuple of three numpy.ndarray
        K, K₁, K₂ (dimensionless), each of the shape of ``distance``.
    """
    if not (np.isfinite(k_fermi) and k_fermi > 0):
        raise InputValidationError(f'k_fermi must be positive; got {k_fermi}')
    x = 2.0 * k_fermi * np.asarray(distance, dtype=float)
    if np.any(x < 0):
        raise InputValidationError('distances must be non-negative')
    half = 0.5 * x
    kernel = np.sinc(half / np.pi) ** 2  # np.sinc(t) = sin(πt)/(πt): j0(X/2)²
    small = x < _SERIES_BELOW
    k1, k2 = np.empty_like(x), np.empty_like(x)
    big = ~small
    xb = x[big]
    one_minus_j0 = 1.0 - np.sin(xb) / xb
    one_minus_cos = 2.0 * np.sin(0.5 * xb) ** 2
    k1[big] = 2.0 * one_minus_j0 / xb**2
    k2[big] = 2.0 * (3.0 * one_minus_j0 - one_minus_cos) / xb**2
    c1, c2 = _series_coefficients()
    x2 = x[small] ** 2
    powers = x2[..., None] ** np.arange(_SERIES_TERMS)
    k1[small] = powers @ c1
    k2[small] = powers @ c2
    return kernel, k1, k2


def _as_field(values: ArrayLike, name: str = 'field') -> NDArray[np.float64]:
    array = np.asarray(values)
    if np.iscomplexobj(array):
        raise InputValidationError(f'{name} must be real')
    array = array.astype(float, copy=False)
    if array.ndim != 4 or array.shape[0] != 3 or min(array.shape[1:]) < 2:
        raise InputValidationError(f'{name} must have shape (3, n1, n2, n3) with n ≥ 2; got {array.shape}')
    if not np.all(np.isfinite(array)):
        raise InputValidationError(f'{name} holds non-finite values')
    return array


def _as_cell(cell: ArrayLike) -> NDArray[np.float64]:
    cell = np.asarray(cell, dtype=float)
    reciprocal_cell(cell)  # validates shape, finiteness and singularity
    return cell


def _check_positive(**values: float) -> None:
    for name, value in values.items():
        if not (np.isfinite(value) and value > 0):
            raise InputValidationError(f'{name} must be positive; got {value}')


def _check_nyquist(shape: Sequence[int], cell: NDArray[np.float64], k_fermi: float) -> None:
    """Refuse grids whose Nyquist wavevector (the distance to the nearest Nyquist plane) is below 2k_F."""
    # planes of constant m_k are perpendicular to a_k, 2π/|a_k| apart: the Nyquist plane m_k = n_k/2 lies π n_k/|a_k|
    # from G = 0, and the smallest of these is the radius of the sphere the grid resolves
    nyquist = min(np.pi * n / length for n, length in zip(shape, np.linalg.norm(cell, axis=1), strict=True))
    if 2.0 * k_fermi >= nyquist:
        raise InputValidationError(
            f'2k_F = {2 * k_fermi:.3f} Å⁻¹ is not below the grid Nyquist wavevector {nyquist:.3f} Å⁻¹: the grid is '
            'too coarse to resolve the Fermi-surface momentum transfers'
        )


def wigner_seitz_embedding(
    field: ArrayLike, cell: ArrayLike, center: ArrayLike, *, padding: int = 2
) -> NDArray[np.float64]:
    """Restrict a periodic grid field to the atom's Wigner–Seitz cell and embed it in a zero-padded box.

    Each grid point is placed at its periodic image nearest to ``center`` (27 neighbouring images checked, as
    :func:`~aiida_enatom.numerics.radial.minimum_image_distances`). Points with several nearest images (on the
    Wigner–Seitz faces) are shared equally between them, which keeps the site symmetry and Σ (the G = 0 sum).

    Parameters
    ----------
    field : array_like, shape (3, n1, n2, n3)
        Periodic vector field on the supercell grid (any unit).
    cell : array_like, shape (3, 3)
        Supercell lattice vectors as rows, Å.
    center : array_like, shape (3,)
        Cartesian position of the atom, Å.
    padding : int
        The box is ``padding`` × the supercell along each axis (≥ 2).

    Returns
    -------
    numpy.ndarray, shape (3, padding·n1, padding·n2, padding·n3)
        The embedded field; grid point p of the box sits at Σ_k (p_k/n_k) a_k (same spacing as the input).
    """
    field = _as_field(field)
    cell = _as_cell(cell)
    if int(padding) != padding or padding < 2:
        raise InputValidationError(f'padding must be an integer ≥ 2; got {padding}')
    padding = int(padding)
    shape = field.shape[1:]
    center_frac = np.asarray(center, dtype=float) @ np.linalg.inv(cell)
    # per axis: offset of grid index i from the centre in fractions, wrapped to [-1/2, 1/2), and its base image
    base = [np.round(np.arange(n) / n - center_frac[k]).astype(int) for k, n in enumerate(shape)]
    wrapped = [np.arange(n) / n - center_frac[k] - base[k] for k, n in enumerate(shape)]

    metric = cell @ cell.T
    shifts = np.array(list(itertools.product((-1, 0, 1), repeat=3)))

    def squared_distance(shift):
        u = [(wrapped[k] + shift[k]).reshape([-1 if j == k else 1 for j in range(3)]) for k in range(3)]
        # diagonal terms are 1-D and cross terms 2-D: five full-size additions
        squared = (metric[0, 0] * u[0] ** 2 + 2.0 * metric[0, 1] * u[0] * u[1]) + (
            metric[1, 1] * u[1] ** 2 + 2.0 * metric[1, 2] * u[1] * u[2]
        )
        return squared + (metric[2, 2] * u[2] ** 2 + 2.0 * metric[0, 2] * u[0] * u[2])

    best = np.full(shape, np.inf)
    choice = np.zeros(shape, dtype=np.int8)
    for index, shift in enumerate(shifts):
        squared = squared_distance(shift)
        closer = squared < best
        np.copyto(best, squared, where=closer)
        np.copyto(choice, index, where=closer)
    # |d| ≤ |best| + tol  ⇔  d² ≤ best² + 2 tol |best| + tol²
    limit = best + 2.0 * _TIE_TOLERANCE * np.sqrt(best) + _TIE_TOLERANCE**2
    tied = [np.nonzero((squared_distance(shift) <= limit).ravel())[0] for shift in shifts]
    count = np.zeros(int(np.prod(shape)), dtype=int)
    for points in tied:
        count[points] += 1

    # box index of grid point i in image `shift`: i − n·(base − shift), wrapped into the box; per axis and shift
    box_shape = tuple(padding * n for n in shape)
    table = [
        np.stack([(np.arange(n) - n * (base[k] - s)) % (padding * n) for s in (-1, 0, 1)], axis=1)
        for k, n in enumerate(shape)
    ]
    grid_index = np.indices(shape).reshape(3, -1)

    def flat_target(points, shift_rows):
        return np.ravel_multi_index(
            tuple(table[k][grid_index[k, points], shift_rows[:, k] + 1] for k in range(3)), box_shape
        )

    values = field.reshape(3, -1)
    weight = 1.0 / count
    box = np.zeros((3, int(np.prod(box_shape))))
    everyone = np.arange(values.shape[1])
    box[:, flat_target(everyone, shifts[choice.ravel()])] = values * weight
    for index, points in enumerate(tied):  # the other images of points on the Wigner–Seitz faces
        points = points[choice.ravel()[points] != index]
        if points.size:
            box[:, flat_target(points, np.broadcast_to(shifts[index], (points.size, 3)))] += (
                values[:, points] * weight[points]
            )
    box = box.reshape(3, *box_shape)
    return box


@functools.lru_cache(maxsize=2)
def _kernel_tables(
    shape: tuple[int, int, int], cell_bytes: bytes, k_fermi: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """K, K₁, K₂ and the unit vectors R̂ on a periodic box grid (minimum-image R), cached per box and k_F."""
    cell = np.frombuffer(cell_bytes, dtype=np.float64).reshape(3, 3)
    metric = cell @ cell.T
    axes = [np.fft.fftfreq(n) for n in shape]  # fractions in [-1/2, 1/2)
    shifts = np.array(list(itertools.product((-1, 0, 1), repeat=3)))

    def broadcast(values, k):
        return values.reshape([-1 if j == k else 1 for j in range(3)])

    best = np.full(shape, np.inf)
    choice = np.zeros(shape, dtype=np.int8)
    for index, shift in enumerate(shifts):
        u = [broadcast(axes[k] + shift[k], k) for k in range(3)]
        # diagonal terms are 1-D and cross terms 2-D: five full-size additions per shift
        squared = (metric[0, 0] * u[0] ** 2 + 2.0 * metric[0, 1] * u[0] * u[1]) + (
            metric[1, 1] * u[1] ** 2 + 2.0 * metric[1, 2] * u[1] * u[2]
        )
        squared = squared + (metric[2, 2] * u[2] ** 2 + 2.0 * metric[0, 2] * u[0] * u[2])
        closer = squared < best
        np.copyto(best, squared, where=closer)
        np.copyto(choice, index, where=closer)
    best = np.sqrt(np.maximum(best, 0.0))
    frac = np.stack([broadcast(axes[k], k) + shifts[choice, k] for k in range(3)])
    vector = np.einsum('k...,kc->c...', frac, cell)
    kernel, k1, k2 = fermi_sphere_kernels(best, k_fermi)
    with np.errstate(invalid='ignore', divide='ignore'):
        unit = np.where(best[None] > 0, vector / best[None], 0.0)
    tables = (kernel, k1, k2, unit)
    for table in tables:
        table.flags.writeable = False
    return tables


@functools.lru_cache(maxsize=2)
def _kernel_spectra(
    shape: tuple[int, int, int], cell_bytes: bytes, k_fermi: float
) -> tuple[NDArray[np.float64], dict[tuple[int, int], NDArray[np.float64]]]:
    """Half-spectra of K and of K_αβ = K₁δ_αβ − K₂R̂_αR̂_β on a box, with the rfft double-count weights and 1/N.

    The kernels are real and even in R, so their spectra are real; Σ_d K(d) c(d) = Σ_G (weighted K̂)(G) ĉ(G) for a
    real even correlation c with half-spectrum ĉ.
    """
    kernel, k1, k2, unit = _kernel_tables(shape, cell_bytes, k_fermi)
    n3 = shape[2]
    weight = np.full(n3 // 2 + 1, 2.0)
    weight[0] = 1.0
    if n3 % 2 == 0:
        weight[-1] = 1.0
    weight = weight / np.prod(shape)

    def spectrum(values: NDArray[np.float64]) -> NDArray[np.float64]:
        out = scipy.fft.rfftn(values, workers=-1).real * weight
        out.flags.writeable = False
        return out

    tensor = {}
    for alpha, beta in itertools.combinations_with_replacement(range(3), 2):
        values = -k2 * unit[alpha] * unit[beta]
        if alpha == beta:
            values = values + k1
        tensor[(alpha, beta)] = spectrum(values)
    return spectrum(kernel), tensor


@dataclass(frozen=True)
class PlaneWaveAverage:
    """Plane-wave Fermi-sphere averages of |⟨k|F_j|k′⟩|² of one atom, split into rigid and backflow parts.

    All averages are in [F]² (eV²/Å² for F in eV/Å) and already divided by Ω₀².
    """

    rigid: float
    """⟨⟨|⟨k|−∇v_j|k′⟩|²⟩⟩: the longitudinal part (q̂·F̃) of the truncated field, exact q integral."""
    backflow: float
    """⟨⟨|⟨k|∇×W_j|k′⟩|²⟩⟩: the transverse part (q̂×F̃)."""
    k_fermi: float
    """k_F in Å⁻¹."""
    cell_volume: float
    """Ω₀ in Å³ (normalisation of the plane waves)."""
    lattice_rigid: float
    """The rigid part as a sum over the supercell's reciprocal lattice 0 < |G| ≤ 2k_F (no truncation)."""
    lattice_backflow: float
    """The backflow part as that lattice sum."""
    lattice_qpoints: int
    """Number of supercell reciprocal lattice vectors in 0 < |G| ≤ 2k_F."""
    lattice_weight: float
    """Σ_G w(G)(2π)³/Ω_sc of the lattice sum (1 for an exact quadrature of w)."""
    mean_field: NDArray[np.float64] = field(repr=False)
    """F₀, the G = 0 mean removed before the truncation, shape (3,), [F]."""

    @property
    def total(self) -> float:
        """The sum rigid + backflow."""
        return self.rigid + self.backflow

    @property
    def backflow_share(self) -> float:
        """The ratio backflow / total (0 when the total is 0)."""
        return self.backflow / self.total if self.total > 0 else 0.0

    @property
    def lattice_backflow_share(self) -> float:
        """The backflow share of the lattice sum."""
        total = self.lattice_rigid + self.lattice_backflow
        return self.lattice_backflow / total if total > 0 else 0.0

    def as_dict(self) -> dict[str, float | int | list[float]]:
        """JSON-able dict with the fields and the derived ``total``, ``backflow_share``, ``lattice_backflow_share``."""
        return {
            'rigid': self.rigid,
            'backflow': self.backflow,
            'total': self.total,
            'backflow_share': self.backflow_share,
            'k_fermi': self.k_fermi,
            'cell_volume': self.cell_volume,
            'lattice_rigid': self.lattice_rigid,
            'lattice_backflow': self.lattice_backflow,
            'lattice_backflow_share': self.lattice_backflow_share,
            'lattice_qpoints': self.lattice_qpoints,
            'lattice_weight': self.lattice_weight,
            'mean_field': [float(x) for x in self.mean_field],
        }


def lattice_fermi_average(
    field: ArrayLike, cell: ArrayLike, *, k_fermi: float, cell_volume: float
) -> tuple[float, float, int, float]:
    """The Fermi-sphere average as a sum over the supercell reciprocal lattice vectors 0 < |G| ≤ 2k_F.

    With F̃(G) = Ω_sc F(G) (F(G) the periodic field's Fourier coefficients) and weights
    w_G = w(|G|)(2π)³/Ω_sc = π²/(k_F² |G| Ω_sc):
    rigid = Σ_G w_G |Ĝ·F̃(G)|²/Ω₀², backflow = Σ_G w_G (|F̃|² − |Ĝ·F̃|²)/Ω₀². G = 0 (the mean F₀) is left out.

    Parameters
    ----------
    field : array_like, shape (3, n1, n2, n3)
        Periodic field on the supercell grid, [F] (eV/Å).
    cell : array_like, shape (3, 3)
        Supercell lattice vectors as rows, Å.
    k_fermi : float
        k_F in Å⁻¹.
    cell_volume : float
        Ω₀ in Å³.

    Returns
    -------
    tuple
        ``(rigid, backflow, n_qpoints, weight_sum)`` in [F]², –, –.
    """
    field = _as_field(field)
    cell = _as_cell(cell)
    _check_positive(k_fermi=k_fermi, cell_volume=cell_volume)
    shape = field.shape[1:]
    _check_nyquist(shape, cell, k_fermi)
    volume = abs(float(np.linalg.det(cell)))
    coefficients = scipy.fft.fftn(field, axes=(1, 2, 3), workers=-1) * (volume / np.prod(shape))  # F̃(G), [F]·Å³
    recip = reciprocal_cell(cell)
    m = np.meshgrid(*(np.fft.fftfreq(n, 1.0 / n) for n in shape), indexing='ij')
    g = np.einsum('kijl,kc->cijl', np.array(m), recip)
    length = np.sqrt(np.sum(g**2, axis=0))
    inside = (length > 0) & (length <= 2.0 * k_fermi)
    g_in, f_in, q_in = g[:, inside], coefficients[:, inside], length[inside]
    weight = np.pi**2 / (k_fermi**2 * q_in * volume)
    longitudinal = np.abs(np.sum(g_in * f_in, axis=0) / q_in) ** 2
    total = np.sum(np.abs(f_in) ** 2, axis=0)
    rigid = float(np.sum(weight * longitudinal)) / cell_volume**2
    backflow = float(np.sum(weight * (total - longitudinal))) / cell_volume**2
    return rigid, backflow, int(inside.sum()), float(weight.sum())


def plane_wave_fermi_average(
    field: ArrayLike,
    cell: ArrayLike,
    center: ArrayLike,
    *,
    k_fermi: float,
    cell_volume: float,
    padding: int = 2,
) -> PlaneWaveAverage:
    """Rigid and backflow parts of the plane-wave Fermi-sphere average of |⟨k|F_j|k′⟩|² for one atom.

    Parameters
    ----------
    field : array_like, shape (3, n1, n2, n3)
        F_j = ∂V/∂R_j of atom j on the periodic supercell grid, Cartesian components, [F] (eV/Å). Grid point
        (i1, i2, i3) sits at Σ_k (i_k/n_k) a_k.
    cell : array_like, shape (3, 3)
        Supercell lattice vectors as rows, Å.
    center : array_like, shape (3,)
        Cartesian position of atom j, Å (the centre of its Wigner–Seitz region).
    k_fermi : float
        Fermi wavevector of the sphere, Å⁻¹ (:func:`free_electron_wavevector`).
    cell_volume : float
        Ω₀, the volume in which the plane waves are normalised, Å³ (the cell of the α²F calculation).
    padding : int
        Zero-padding factor of the embedding box (≥ 2; 2 is exact up to the Wigner–Seitz faces, see
        :func:`wigner_seitz_embedding`).

    Returns
    -------
    PlaneWaveAverage
        ``rigid`` and ``backflow`` in [F]² (eV²/Å²), their sum and share, and the lattice-sum cross-check.

    Raises
    ------
    InputValidationError
        On malformed inputs, or when 2k_F is not below the grid's Nyquist wavevector.

    Notes
    -----
    Cost: one forward real FFT of three components on the padded box (padding³ × the grid) and element-wise products
    with the kernel spectra (seven real FFTs, cached per box and k_F), plus the lattice sum (one three-component FFT on
    the grid).
    """
    field = _as_field(field)
    cell = _as_cell(cell)
    _check_positive(k_fermi=k_fermi, cell_volume=cell_volume)
    shape = field.shape[1:]
    _check_nyquist(shape, cell, k_fermi)
    mean = field.mean(axis=(1, 2, 3))
    centred = field - mean[:, None, None, None]
    lattice = lattice_fermi_average(centred, cell, k_fermi=k_fermi, cell_volume=cell_volume)

    box = wigner_seitz_embedding(centred, cell, center, padding=padding)
    box_shape = box.shape[1:]
    box_cell = cell * padding
    kernel, tensor = _kernel_spectra(tuple(box_shape), box_cell.tobytes(), float(k_fermi))
    spectrum = scipy.fft.rfftn(box, axes=(1, 2, 3), workers=-1)
    del box
    # Parseval: Σ_d K(d) Σ_i F_α(r_i) F_β(r_i + d) = Σ_G K̂(G) Re[F̂_α*(G) F̂_β(G)] / N (weights in the spectra)
    total, rigid = 0.0, 0.0
    for alpha, beta in itertools.combinations_with_replacement(range(3), 2):
        cross = (np.conj(spectrum[alpha]) * spectrum[beta]).real
        factor = 1.0 if alpha == beta else 2.0
        if alpha == beta:
            total += float(np.sum(kernel * cross))
        rigid += factor * float(np.sum(tensor[(alpha, beta)] * cross))
    dv2 = (abs(float(np.linalg.det(cell))) / np.prod(shape)) ** 2 / cell_volume**2
    total, rigid = dv2 * total, dv2 * rigid
    backflow = total - rigid
    return PlaneWaveAverage(
        rigid=rigid,
        backflow=backflow,
        k_fermi=float(k_fermi),
        cell_volume=float(cell_volume),
        lattice_rigid=lattice[0],
        lattice_backflow=lattice[1],
        lattice_qpoints=lattice[2],
        lattice_weight=lattice[3],
        mean_field=mean,
    )


def species_plane_wave_averages(
    averages: Mapping[str, PlaneWaveAverage], elements: Mapping[str, str], multiplicities: Mapping[str, int]
) -> dict[str, dict[str, float]]:
    """Per-species mean of the per-atom averages, weighted by the number of atoms each inequivalent atom stands for.

    Parameters
    ----------
    averages : mapping of str to PlaneWaveAverage
        Per inequivalent atom label.
    elements : mapping of str to str
        Element of each label.
    multiplicities : mapping of str to int
        Number of equivalent atoms (in any common cell) of each label, ≥ 1.

    Returns
    -------
    dict
        ``{element: {'rigid', 'backflow', 'total', 'backflow_share', 'lattice_rigid', 'lattice_backflow',
        'lattice_backflow_share'}}``; shares are those of the weighted means.
    """
    out: dict[str, dict[str, float]] = {}
    for element in sorted(set(elements.values())):
        labels = [label for label in averages if elements[label] == element]
        weights = np.array([multiplicities[label] for label in labels], dtype=float)
        if np.any(weights < 1):
            raise InputValidationError(f'multiplicities must be ≥ 1; got {dict(zip(labels, weights, strict=True))}')

        def mean(attribute: str, labels=labels, weights=weights) -> float:
            values = np.array([getattr(averages[label], attribute) for label in labels])
            return float(np.sum(weights * values) / np.sum(weights))

        rigid, backflow = mean('rigid'), mean('backflow')
        lattice_rigid, lattice_backflow = mean('lattice_rigid'), mean('lattice_backflow')
        out[element] = {
            'rigid': rigid,
            'backflow': backflow,
            'total': rigid + backflow,
            'backflow_share': backflow / (rigid + backflow) if rigid + backflow > 0 else 0.0,
            'lattice_rigid': lattice_rigid,
            'lattice_backflow': lattice_backflow,
            'lattice_backflow_share': (
                lattice_backflow / (lattice_rigid + lattice_backflow) if lattice_rigid + lattice_backflow > 0 else 0.0
            ),
        }
    return out


def primitive_volume(symmetry: SymmetryOperations, cell: ArrayLike) -> float:
    """Volume of the primitive cell of a supercell: Ω_sc divided by the number of its pure lattice translations.

    Parameters
    ----------
    symmetry : SymmetryOperations
        Operations of the supercell, pure translations included
        (:func:`~aiida_enatom.numerics.displacements.crystal_symmetry`).
    cell : array_like, shape (3, 3)
        Supercell lattice vectors as rows, Å.

    Returns
    -------
    float
        Volume in Å³.
    """
    cell = _as_cell(cell)
    identity = np.all(np.asarray(symmetry.rotations) == np.eye(3, dtype=int), axis=(1, 2))
    return abs(float(np.linalg.det(cell))) / max(int(identity.sum()), 1)


def orbit_sizes(
    symmetry: SymmetryOperations,
    cell: ArrayLike,
    scaled_positions: ArrayLike,
    numbers: Sequence[int],
    sites: Sequence[int],
) -> dict[int, int]:
    """Number of supercell atoms equivalent to each of ``sites`` (the size of its orbit under ``symmetry``).

    Parameters
    ----------
    symmetry : SymmetryOperations
        Operations of the supercell.
    cell, scaled_positions, numbers
        The supercell (rows in Å, fractional positions, species labels).
    sites : sequence of int
        Supercell indices of the atoms.

    Returns
    -------
    dict of int to int
        Orbit size per site.
    """
    mapping = atom_mapping(symmetry, cell, scaled_positions, numbers)
    return {int(site): len(np.unique(mapping[:, int(site)])) for site in sites}


def plane_wave_metrics(
    fields: Mapping[int, Mapping[str, ArrayLike]],
    cell: ArrayLike,
    scaled_positions: ArrayLike,
    numbers: Sequence[int],
    elements: Mapping[int, str],
    n_electrons: float,
    *,
    summary_component: str = 'total',
) -> dict:
    """Record keys of the plane-wave rigid/backflow split of I² for the inequivalent atoms of a supercell.

    Parameters
    ----------
    fields : mapping of int to mapping of str to array_like
        Per supercell site of an inequivalent atom, per potential component (e.g. ``'total'``, ``'hxc'``,
        ``'bare'``), its field F_j, shape (3, n1, n2, n3), eV/Å.
    cell : array_like, shape (3, 3)
        Supercell lattice vectors as rows, Å.
    scaled_positions : array_like, shape (n_atoms, 3)
        Fractional positions of the supercell atoms.
    numbers : sequence of int
        Species label of each supercell atom (for the symmetry).
    elements : mapping of int to str
        Element of each site in ``fields``.
    n_electrons : float
        Valence electrons in the supercell (k_F from n_electrons / Ω_sc).
    summary_component : str
        The component whose averages become the per-element keys.

    Returns
    -------
    dict
        Per element El (multiplicity-weighted over its inequivalent atoms): ``I2_<El>_pw_rigid_eV2_per_A2``,
        ``I2_<El>_pw_backflow_eV2_per_A2``, ``I2_<El>_pw_eV2_per_A2``, ``I2_<El>_backflow_share``,
        ``I2_<El>_backflow_share_lattice``; ``pw_k_fermi_per_A``, ``pw_cell_volume_A3`` (Ω₀ = the primitive cell),
        ``pw_electrons_per_cell``, ``pw_lattice_qpoints``, ``pw_bare_backflow_share_lattice_max`` (if a ``'bare'``
        component is given, else None) and ``pw_atoms`` = ``{'atom_NN': {'site', 'element', 'multiplicity',
        <component>: PlaneWaveAverage.as_dict()}}`` with NN the index of the site in sorted order.
    """
    cell = _as_cell(cell)
    positions = np.asarray(scaled_positions, dtype=float)
    sites = sorted(int(site) for site in fields)
    symmetry = crystal_symmetry(cell, positions, numbers)
    multiplicity = orbit_sizes(symmetry, cell, positions, numbers, sites)
    cell_volume = primitive_volume(symmetry, cell)
    supercell_volume = abs(float(np.linalg.det(cell)))
    k_fermi = free_electron_wavevector(float(n_electrons), supercell_volume)

    atoms, averages, labels_elements, weights = {}, {}, {}, {}
    for index, site in enumerate(sites):
        label = f'atom_{index:02d}'
        center = positions[site] @ cell
        entry: dict = {'site': site, 'element': elements[site], 'multiplicity': multiplicity[site]}
        for component, values in fields[site].items():
            result = plane_wave_fermi_average(values, cell, center, k_fermi=k_fermi, cell_volume=cell_volume)
            entry[component] = result.as_dict()
            if component == summary_component:
                averages[label] = result
        if label not in averages:
            raise InputValidationError(f'site {site} has no {summary_component!r} field')
        atoms[label], labels_elements[label], weights[label] = entry, elements[site], multiplicity[site]

    bare = [atom['bare']['lattice_backflow_share'] for atom in atoms.values() if 'bare' in atom]
    out: dict = {
        'pw_k_fermi_per_A': k_fermi,
        'pw_cell_volume_A3': cell_volume,
        'pw_electrons_per_cell': float(n_electrons) * cell_volume / supercell_volume,
        'pw_lattice_qpoints': next(iter(averages.values())).lattice_qpoints,
        'pw_bare_backflow_share_lattice_max': max(bare) if bare else None,
    }
    for element, values in species_plane_wave_averages(averages, labels_elements, weights).items():
        out[f'I2_{element}_pw_rigid_eV2_per_A2'] = values['rigid']
        out[f'I2_{element}_pw_backflow_eV2_per_A2'] = values['backflow']
        out[f'I2_{element}_pw_eV2_per_A2'] = values['total']
        out[f'I2_{element}_backflow_share'] = values['backflow_share']
        out[f'I2_{element}_backflow_share_lattice'] = values['lattice_backflow_share']
    out['pw_atoms'] = atoms
    return out

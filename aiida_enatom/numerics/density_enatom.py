"""The density enatom (the seed paper's Eq. 4): ∂n/∂R_j = −∇ρ_j + ∇×B_j from displaced supercells.

The field ∂n/∂R_j (Cartesian components, e/Å⁴) is obtained exactly as the potential enatom, by central
differences of the valence densities of the displaced supercells (pp.x ``plot_num=0``), and split by the same
periodic Helmholtz decomposition (:func:`~aiida_enatom.numerics.helmholtz.helmholtz_decompose`).

Conventions
-----------
* G = 0 of the rigid density: the decomposition fixes ρ_j only up to a constant. Here ``∫_Ω ρ_j d³r = Z_j``
  (the valence charge of atom j), i.e. the mean of ρ_j over the supercell is Z_j/Ω. With Σ_j Z_j = N_el
  Ball's rigid sum rule then reads Σ_j ρ_j = n (not n − ⟨n⟩), and a ρ_j localised within the supercell decays
  to ≈ 0 at half the supercell, so a negative spherical average there is a property of ρ_j, not of the
  convention.
* Charge neutrality: moving an atom does not change the number of electrons, so ``∫_Ω ∂n/∂R_j d³r = Ω F₀_j``
  must vanish; :func:`charge_neutrality` reports it.
* The acoustic sum rule Σ_j ∂n/∂R_j = −∇n and the rigid/backflow sum rules are those of
  :func:`~aiida_enatom.numerics.sum_rules.sum_rule_residuals` with the density in place of the potential.
* Angular projections (:func:`angular_projections`): for a site of cubic symmetry the field of an atom is, to the
  lowest orders, ``F = p(r) r̂ + f(r) K(r̂) + …`` with ``K_α(r̂) = r̂_α (5 r̂_α² − 3)``. The rigid part of a
  spherical ρ_j gives ``p = −dρ_j/dr`` and no ``f``; a divergence-free backflow has zero flux through every
  sphere, so its ``p`` vanishes and its leading term is ``f``. The sign of ``f`` is the sign of the deformation:
  for a displacement u along +x, ``f > 0`` moves density forward along the cube axes ([100], K_x = 2) and
  backward along the face diagonals ([110], K_x = −1/(2√2)), the nearest-neighbour directions of fcc.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.helmholtz import coulomb_gauge_potential, helmholtz_decompose
from aiida_enatom.numerics.radial import inscribed_radius

__all__ = (
    'AngularProjections',
    'DensityEnatom',
    'angular_projections',
    'charge_neutrality',
    'density_enatom',
    'negative_shell',
)


@dataclass(frozen=True)
class DensityEnatom:
    """Helmholtz parts of one atom's density derivative ``∂n/∂R_j = −∇ρ_j + ∇×B_j + F₀``."""

    rigid: NDArray[np.float64]
    """ρ_j, shape (n1, n2, n3), e/Å³, mean Z_j/Ω (module convention)."""
    backflow: NDArray[np.float64]
    """∇×B_j, shape (3, n1, n2, n3), e/Å⁴ (holds the Nyquist-plane content)."""
    vector_potential: NDArray[np.float64]
    """B_j in the Coulomb gauge (∇·B_j = 0), shape (3, n1, n2, n3), e/Å³."""
    mean: NDArray[np.float64]
    """F₀, shape (3,), e/Å⁴ (zero for a charge-neutral displacement)."""
    norms: dict[str, float]
    """RMS |∇ρ_j| and |∇×B_j| (e/Å⁴), |F₀| and ``backflow_to_rigid`` = ‖∇×B_j‖/‖∇ρ_j‖."""


def density_enatom(field: ArrayLike, cell: ArrayLike, valence_charge: float) -> DensityEnatom:
    """Split one atom's density derivative into the rigid density ρ_j and the backflow ∇×B_j.

    Parameters
    ----------
    field : array_like, shape (3, n1, n2, n3)
        ∂n/∂R_j, Cartesian components, e/Å⁴ (central differences of valence densities in e/Å³ over Å).
    cell : array_like, shape (3, 3)
        Supercell lattice vectors as rows, Å.
    valence_charge : float
        Z_j, the valence charge of atom j's pseudopotential (e); fixes the G = 0 component of ρ_j.

    Returns
    -------
    DensityEnatom

    Raises
    ------
    InputValidationError
        On a wrong shape, a non-finite field or charge, or a singular cell.
    """
    if not np.isfinite(valence_charge):
        raise InputValidationError(f'valence_charge must be finite; got {valence_charge}')
    cell = np.asarray(cell, dtype=float)
    parts = helmholtz_decompose(field, cell)
    volume = abs(float(np.linalg.det(cell)))
    return DensityEnatom(
        rigid=parts.rigid + float(valence_charge) / volume,
        backflow=parts.backflow,
        vector_potential=coulomb_gauge_potential(field, cell),
        mean=parts.mean,
        norms=parts.norms(),
    )


def charge_neutrality(field: ArrayLike, cell: ArrayLike) -> dict[str, float]:
    """How far ``∫_Ω ∂n/∂R_j d³r`` is from zero.

    Parameters
    ----------
    field : array_like, shape (3, n1, n2, n3)
        ∂n/∂R_j, e/Å⁴.
    cell : array_like, shape (3, 3)
        Lattice vectors as rows, Å.

    Returns
    -------
    dict
        ``integral`` = |∫ ∂n/∂R_j d³r| (e/Å, the electrons created per Å of displacement) and ``relative`` =
        |⟨F⟩| / ⟨|F|⟩ (the grid mean of the vector over the grid mean of its length; 0 when neutral).
    """
    field = np.asarray(field, dtype=float)
    if field.ndim != 4 or field.shape[0] != 3:
        raise InputValidationError(f'field must have shape (3, n1, n2, n3); got {field.shape}')
    volume = abs(float(np.linalg.det(np.asarray(cell, dtype=float))))
    mean = field.mean(axis=(1, 2, 3))
    size = float(np.mean(np.sqrt(np.sum(field**2, axis=0))))
    return {
        'integral': float(np.linalg.norm(mean) * volume),
        'relative': float(np.linalg.norm(mean) / size) if size > 0 else float('inf'),
    }


@dataclass(frozen=True)
class AngularProjections:
    """Shell averages of a vector field around an atom: the radial (p) and cubic (f) parts."""

    radius: NDArray[np.float64]
    """Bin centres, shape (n_bins,), Å (bins with grid points only)."""
    radial: NDArray[np.float64]
    """p(r) = ⟨F·r̂⟩ over the shell, shape (n_bins,), units of the field."""
    cubic: NDArray[np.float64]
    """f(r) = ⟨F·K(r̂)⟩ / ⟨|K(r̂)|²⟩ over the shell, K_α = r̂_α(5r̂_α² − 3), shape (n_bins,), units of the field."""
    r_max: float
    """Outer radius, Å."""

    def dominant_cubic(self) -> tuple[float, float]:
        """Value and radius (Å) of the cubic projection where |f(r)| is largest: the sign of the deformation."""
        index = int(np.argmax(np.abs(self.cubic)))
        return float(self.cubic[index]), float(self.radius[index])


def angular_projections(
    field: ArrayLike, cell: ArrayLike, center: ArrayLike, *, bin_width: float = 0.05, r_max: float | None = None
) -> AngularProjections:
    """Radial and cubic angular projections of a vector field on spherical shells around ``center``.

    Parameters
    ----------
    field : array_like, shape (3, n1, n2, n3)
        Cartesian components (e.g. the rigid part −∇ρ_j or the backflow ∇×B_j).
    cell : array_like, shape (3, 3)
        Lattice vectors as rows, Å (the cube axes of K are the Cartesian axes).
    center : array_like, shape (3,)
        Cartesian centre (the atom), Å.
    bin_width : float
        Shell width, Å.
    r_max : float, optional
        Outer radius, Å (default half the shortest supercell vector).

    Returns
    -------
    AngularProjections
        For ``F = g(r) r̂`` exactly ``radial = g`` and ``cubic = 0``; for ``F = h(r) K(r̂)`` exactly
        ``cubic = h`` and ``radial = 0`` (⟨Σ_α r̂_α K_α⟩ = 5⟨Σ r̂_α⁴⟩ − 3 vanishes on a sphere, and on a grid
        the projections are least-squares fits on each shell).
    """
    field = np.asarray(field, dtype=float)
    cell = np.asarray(cell, dtype=float)
    if field.ndim != 4 or field.shape[0] != 3:
        raise InputValidationError(f'field must have shape (3, n1, n2, n3); got {field.shape}')
    if not bin_width > 0:
        raise InputValidationError(f'bin_width must be positive; got {bin_width}')
    shape = field.shape[1:]
    r_max = inscribed_radius(cell) if r_max is None else float(r_max)
    offsets = _minimum_image_offsets(shape, cell, np.asarray(center, dtype=float))
    distance = np.sqrt(np.sum(offsets**2, axis=0))
    inside = (distance <= r_max) & (distance > 0)
    unit = offsets[:, inside] / distance[inside]
    values = field[:, inside]
    kubic = unit * (5.0 * unit**2 - 3.0)
    n_bins = int(np.ceil(r_max / bin_width))
    index = np.minimum((distance[inside] / bin_width).astype(int), n_bins - 1)

    def shell_sum(weights: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.bincount(index, weights=weights, minlength=n_bins)

    # Least-squares fit of F ≈ p r̂ + f K on each shell (2×2 normal equations: r̂ and K are not exactly
    # orthogonal on a finite set of grid points).
    a11 = shell_sum(np.ones(index.size))
    a12 = shell_sum(np.sum(unit * kubic, axis=0))
    a22 = shell_sum(np.sum(kubic**2, axis=0))
    b1 = shell_sum(np.sum(unit * values, axis=0))
    b2 = shell_sum(np.sum(kubic * values, axis=0))
    det = a11 * a22 - a12**2
    keep = (a11 > 0) & (det > 1e-12 * np.maximum(a11 * a22, 1e-300))
    radial = np.where(keep, (a22 * b1 - a12 * b2) / np.where(keep, det, 1.0), 0.0)
    cubic = np.where(keep, (a11 * b2 - a12 * b1) / np.where(keep, det, 1.0), 0.0)
    radius = (np.arange(n_bins) + 0.5) * bin_width
    return AngularProjections(radius=radius[keep], radial=radial[keep], cubic=cubic[keep], r_max=r_max)


def _minimum_image_offsets(shape: tuple[int, ...], cell: NDArray, center: NDArray) -> NDArray[np.float64]:
    """Cartesian vectors (3, n1, n2, n3) from ``center`` to each grid point's nearest periodic image, Å.

    As :func:`~aiida_enatom.numerics.radial.minimum_image_distances`: the 27 images next to the wrapped
    fractional difference are compared, which is exact for any cell.
    """
    center_frac = center @ np.linalg.inv(cell)
    axes = [np.arange(n) / n - center_frac[k] for k, n in enumerate(shape)]
    axes = [a - np.round(a) for a in axes]
    best = np.zeros((3, *shape))
    best_norm = np.full(shape, np.inf)
    for shift in itertools.product((-1, 0, 1), repeat=3):
        cart = np.zeros((3, *shape))
        for k in range(3):
            frac = (axes[k] + shift[k]).reshape([-1 if j == k else 1 for j in range(3)])
            cart += frac[None] * cell[k][:, None, None, None]
        norm = np.sum(cart**2, axis=0)
        closer = norm < best_norm
        best_norm[closer] = norm[closer]
        best[:, closer] = cart[:, closer]
    return best


def negative_shell(radius: ArrayLike, value: ArrayLike, r_from: float) -> dict[str, float | None]:
    """The most negative shell of a spherically averaged density beyond ``r_from``.

    Parameters
    ----------
    radius : array_like, shape (n_bins,)
        Bin centres, Å (increasing).
    value : array_like, shape (n_bins,)
        Spherical average ρ_j(r), e/Å³.
    r_from : float
        Search only r ≥ r_from, Å (e.g. half the nearest-neighbour distance).

    Returns
    -------
    dict
        ``min_density`` (e/Å³) and ``radius`` (Å) of the minimum of ρ_j(r) for r ≥ r_from; ``onset`` = the first
        r ≥ r_from where ρ_j(r) < 0 (``None`` if it never is); ``negative_charge`` = ∫ 4πr² min(ρ_j, 0) dr over
        r ≥ r_from (e, ≤ 0; bins treated as shells of their width).
    """
    radius = np.asarray(radius, dtype=float)
    value = np.asarray(value, dtype=float)
    if radius.shape != value.shape or radius.ndim != 1 or radius.size < 2:
        raise InputValidationError(f'radius and value must be equal 1D arrays; got {radius.shape}, {value.shape}')
    mask = radius >= r_from
    if not np.any(mask):
        raise InputValidationError(f'no bin at r ≥ {r_from} Å (largest {radius.max():.3f} Å)')
    r, v = radius[mask], value[mask]
    index = int(np.argmin(v))
    negative = np.flatnonzero(v < 0)
    width = float(np.median(np.diff(radius)))
    return {
        'min_density': float(v[index]),
        'radius': float(r[index]),
        'onset': float(r[negative[0]]) if negative.size else None,
        'negative_charge': float(np.sum(4.0 * np.pi * r**2 * np.minimum(v, 0.0) * width)),
    }

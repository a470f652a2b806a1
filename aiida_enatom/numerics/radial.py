"""Spherical averages v_j(r) of grid fields around an atom (minimum-image distances) and their tail."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from aiida_enatom.exceptions import InputValidationError

__all__ = ('RadialProfile', 'inscribed_radius', 'minimum_image_distances', 'spherical_average')


@dataclass(frozen=True)
class RadialProfile:
    """Binned spherical average of a grid field around a centre."""

    radius: NDArray[np.float64]
    """Bin centres, shape (n_bins,), Å (only bins holding at least one grid point)."""
    value: NDArray[np.float64]
    """Mean of the field over the grid points in each bin, shape (n_bins,), units of the field."""
    counts: NDArray[np.int_]
    """Number of grid points per bin, shape (n_bins,)."""
    r_max: float
    """Outer radius of the average, Å: by default half the shortest supercell lattice vector."""

    def tail(self, width: float | None = None) -> dict[str, float]:
        """Size of the profile near ``r_max`` (half the supercell size).

        Parameters
        ----------
        width : float, optional
            Shell width in Å over which the tail is averaged (default: 10 % of ``r_max``).

        Returns
        -------
        dict
            ``tail`` = mean |v(r)| for r in [r_max − width, r_max] (units of the field), ``peak`` = max |v(r)|
            and ``relative`` = tail/peak (``inf`` if the peak is zero).
        """
        width = 0.1 * self.r_max if width is None else float(width)
        shell = self.radius >= self.r_max - width
        if not np.any(shell):
            raise InputValidationError(f'no bin within {width} Å of r_max = {self.r_max} Å')
        tail = float(np.mean(np.abs(self.value[shell])))
        peak = float(np.max(np.abs(self.value)))
        return {'tail': tail, 'peak': peak, 'relative': tail / peak if peak > 0 else float('inf')}


def inscribed_radius(cell: ArrayLike) -> float:
    """Half the shortest non-zero lattice vector of ``cell`` (rows, Å): the largest sphere free of images."""
    cell = np.asarray(cell, dtype=float)
    shifts = np.array([s for s in itertools.product(range(-2, 3), repeat=3) if any(s)], dtype=float)
    return float(0.5 * np.min(np.linalg.norm(shifts @ cell, axis=1)))


def minimum_image_distances(shape: tuple[int, int, int], cell: ArrayLike, center: ArrayLike) -> NDArray[np.float64]:
    """Distance from ``center`` to every grid point, to the nearest periodic image.

    Parameters
    ----------
    shape : tuple of 3 int
        Grid shape (n1, n2, n3); point ``i`` is at ``Σ_k (i_k/n_k) a_k``.
    cell : array_like, shape (3, 3)
        Lattice vectors as rows, Å.
    center : array_like, shape (3,)
        Cartesian centre, Å.

    Returns
    -------
    numpy.ndarray, shape (n1, n2, n3)
        Distances in Å (exact for any cell: the 27 neighbouring images of the wrapped difference are checked).
    """
    cell = np.asarray(cell, dtype=float)
    center_frac = np.asarray(center, dtype=float) @ np.linalg.inv(cell)
    axes = [np.arange(n) / n - center_frac[k] for k, n in enumerate(shape)]
    axes = [a - np.round(a) for a in axes]
    best = np.full(shape, np.inf)
    for shift in itertools.product((-1, 0, 1), repeat=3):
        cart = np.zeros((3, *shape))
        for k in range(3):
            frac = (axes[k] + shift[k]).reshape([-1 if j == k else 1 for j in range(3)])
            cart += frac[None] * cell[k][:, None, None, None]
        np.minimum(best, np.sqrt(np.sum(cart**2, axis=0)), out=best)
    return best


def spherical_average(
    field: ArrayLike,
    cell: ArrayLike,
    center: ArrayLike,
    *,
    bin_width: float = 0.05,
    r_max: float | None = None,
) -> RadialProfile:
    """Spherical average v(r) of a scalar grid around ``center`` with minimum-image distances.

    Parameters
    ----------
    field : array_like, shape (n1, n2, n3)
        Scalar field (e.g. the rigid potential v_j in eV or Ry).
    cell : array_like, shape (3, 3)
        Lattice vectors as rows, Å.
    center : array_like, shape (3,)
        Cartesian centre (the atom), Å.
    bin_width : float
        Radial bin width, Å.
    r_max : float, optional
        Outer radius, Å (default :func:`inscribed_radius`, half the supercell size).

    Returns
    -------
    RadialProfile
        Bins with at least one grid point.
    """
    field = np.asarray(field, dtype=float)
    if field.ndim != 3:
        raise InputValidationError(f'field must have shape (n1, n2, n3); got {field.shape}')
    if not bin_width > 0:
        raise InputValidationError(f'bin_width must be positive; got {bin_width}')
    r_max = inscribed_radius(cell) if r_max is None else float(r_max)
    distance = minimum_image_distances(field.shape, cell, center).ravel()
    inside = distance <= r_max
    n_bins = int(np.ceil(r_max / bin_width))
    index = np.minimum((distance[inside] / bin_width).astype(int), n_bins - 1)
    counts = np.bincount(index, minlength=n_bins)
    sums = np.bincount(index, weights=field.ravel()[inside], minlength=n_bins)
    keep = counts > 0
    radius = (np.arange(n_bins) + 0.5) * bin_width
    return RadialProfile(radius=radius[keep], value=sums[keep] / counts[keep], counts=counts[keep], r_max=r_max)

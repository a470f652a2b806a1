"""Choice and validation of one real-space FFT grid shared by the pristine and all displaced supercell SCFs.

The enatom fields of symmetry-equivalent atoms are obtained by moving grids with the space-group operations
of the pristine supercell, so the grid must be mapped onto itself by every operation: the integer rotation
``W`` (supercell fractional coordinates) and the fractional translation ``t`` must take grid points to grid
points. That holds when ``n_i W_ij / n_j`` and ``n_i t_i`` are integers for every operation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from aiida_enatom.constants import BOHR_TO_ANGSTROM
from aiida_enatom.exceptions import InputValidationError

__all__ = ('GridCompatibility', 'check_grid_compatibility', 'fft_grid_for_cutoff', 'minimum_fft_grid')

#: Largest denominator of a fractional translation that is resolved (larger ones are treated as inexact).
_MAX_DENOMINATOR = 96
_TOLERANCE = 1.0e-5
#: Tolerance in grid-index units (as :data:`aiida_enatom.numerics.displacements.GRID_TOLERANCE`).
_GRID_TOLERANCE = 1.0e-3


def _is_fft_friendly(n: int) -> bool:
    """Return whether ``n`` has no prime factors other than 2, 3 and 5 (as pw.x's ``good_fft_order``)."""
    for prime in (2, 3, 5):
        while n % prime == 0:
            n //= prime
    return n == 1


def minimum_fft_grid(cell: ArrayLike, ecutrho: float) -> tuple[int, int, int]:
    """Smallest grid that holds the density cutoff, as pw.x computes it before rounding to a good FFT size.

    Parameters
    ----------
    cell : array_like, shape (3, 3)
        Lattice vectors as rows, Å.
    ecutrho : float
        Density (charge) cutoff in Ry.

    Returns
    -------
    tuple of int
        ``n_i = int(2 sqrt(ecutrho) |a_i| / 2π) + 1`` with ``|a_i|`` in bohr and ``sqrt(ecutrho)`` in bohr⁻¹.
    """
    cell = np.asarray(cell, dtype=float)
    if cell.shape != (3, 3) or ecutrho <= 0:
        raise InputValidationError(f'need a (3, 3) cell and a positive ecutrho; got {cell.shape} and {ecutrho}')
    lengths = np.linalg.norm(cell, axis=1) / BOHR_TO_ANGSTROM
    return tuple(int(2.0 * math.sqrt(ecutrho) * length / (2.0 * math.pi)) + 1 for length in lengths)  # type: ignore[return-value]


def _denominator(value: float) -> int:
    """Smallest q ≤ _MAX_DENOMINATOR with q·value integer (within tolerance)."""
    value = value % 1.0
    for q in range(1, _MAX_DENOMINATOR + 1):
        if abs(q * value - round(q * value)) < q * _TOLERANCE:
            return q
    raise InputValidationError(f'fractional translation {value:.8f} is not a rational number with a small denominator')


@dataclass(frozen=True)
class GridCompatibility:
    """Which constraints a grid must satisfy for a set of symmetry operations."""

    multiples: tuple[int, int, int]
    """``n_i`` must be a multiple of ``multiples[i]`` (translations)."""
    coupled_axes: tuple[tuple[int, int], ...]
    """Pairs of axes ``(i, j)`` that a rotation mixes; they must have equal ``n``."""


def _constraints(rotations: NDArray, translations: NDArray) -> GridCompatibility:
    multiples = [1, 1, 1]
    coupled = set()
    for rotation, translation in zip(rotations, translations, strict=True):
        for i in range(3):
            multiples[i] = math.lcm(multiples[i], _denominator(float(translation[i])))
            for j in range(3):
                if i != j and rotation[i, j] != 0:
                    coupled.add((min(i, j), max(i, j)))
    return GridCompatibility(multiples=tuple(multiples), coupled_axes=tuple(sorted(coupled)))  # type: ignore[arg-type]


def check_grid_compatibility(grid: ArrayLike, rotations: ArrayLike, translations: ArrayLike) -> None:
    """Raise if a grid is not mapped onto itself by all symmetry operations.

    Parameters
    ----------
    grid : array_like of int, shape (3,)
        ``(n1, n2, n3)``.
    rotations : array_like of int, shape (n_ops, 3, 3)
        Rotations in fractional coordinates of the cell the grid belongs to (spglib convention).
    translations : array_like, shape (n_ops, 3)
        Fractional translations.

    Raises
    ------
    InputValidationError
        Naming the first operation that does not map grid points onto grid points (the same condition as
        :func:`aiida_enatom.numerics.displacements.grid_index_map`, checked without building index maps).
    """
    grid = tuple(int(n) for n in np.asarray(grid).ravel())
    if len(grid) != 3 or min(grid) < 1:
        raise InputValidationError(f'an FFT grid has three positive sizes; got {grid}')
    n = np.array(grid, dtype=float)
    rotations = np.asarray(rotations, dtype=float).reshape(-1, 3, 3)
    translations = np.asarray(translations, dtype=float).reshape(-1, 3)
    # Operation (R, t) maps grid index i to diag(n) R diag(n)^-1 i + n t: both parts must be integral.
    matrices = n[None, :, None] * rotations / n[None, None, :]
    shifts = n[None, :] * translations
    bad = (np.abs(matrices - np.round(matrices)).max(axis=(1, 2)) > _GRID_TOLERANCE) | (
        np.abs(shifts - np.round(shifts)).max(axis=1) > _GRID_TOLERANCE
    )
    if np.any(bad):
        index = int(np.flatnonzero(bad)[0])
        raise InputValidationError(
            f'FFT grid {grid} is incompatible with symmetry operation {index} '
            f'(R={rotations[index].astype(int).tolist()}, t={np.round(translations[index], 6).tolist()}): it does '
            'not map grid points onto grid points (use equal sizes on axes the rotations mix and sizes divisible by '
            'the denominators of the fractional translations)'
        )


def fft_grid_for_cutoff(
    cell: ArrayLike, ecutrho: float, rotations: ArrayLike, translations: ArrayLike
) -> tuple[int, int, int]:
    """Smallest FFT-friendly grid that holds ``ecutrho`` and is mapped onto itself by all symmetry operations.

    Parameters
    ----------
    cell : array_like, shape (3, 3)
        Lattice vectors as rows, Å.
    ecutrho : float
        Density cutoff in Ry.
    rotations : array_like of int, shape (n_ops, 3, 3)
        Rotations in fractional coordinates of ``cell``.
    translations : array_like, shape (n_ops, 3)
        Fractional translations (including the pure translations of a supercell).

    Returns
    -------
    tuple of int
        ``(n1, n2, n3)``: each ``n_i`` ≥ :func:`minimum_fft_grid`, a product of 2, 3 and 5, a multiple of the
        translations' denominators, and equal on axes mixed by a rotation.

    Examples
    --------
    >>> import numpy as np
    >>> fft_grid_for_cutoff(np.eye(3) * 4.05, 60.0, [np.eye(3, dtype=int)], [[0.5, 0.0, 0.0]])
    (20, 20, 20)
    """
    constraints = _constraints(
        np.asarray(rotations, dtype=int).reshape(-1, 3, 3), np.asarray(translations).reshape(-1, 3)
    )
    grid = list(minimum_fft_grid(cell, ecutrho))
    while True:
        for i, j in constraints.coupled_axes:
            grid[i] = grid[j] = max(grid[i], grid[j])
        new = []
        for n, multiple in zip(grid, constraints.multiples, strict=True):
            while n % multiple or not _is_fft_friendly(n):
                n += 1
            new.append(n)
        if all(new[i] == new[j] for i, j in constraints.coupled_axes):
            break
        grid = new
    result = tuple(new)
    check_grid_compatibility(result, rotations, translations)
    return result  # type: ignore[return-value]

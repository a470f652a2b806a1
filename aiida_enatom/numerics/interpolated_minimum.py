"""Most imaginary phonon of a Fourier-interpolated (matdyn.x) q-mesh: its frequency and where it sits.

The q-point is what a direct ph.x check needs: ph.x takes ``xq`` in Cartesian units of 2π/alat, and an AiiDA
``KpointsData`` takes crystal coordinates (fractions of the reciprocal vectors b_i). With the primitive vectors a_i
in units of alat (the rows of ``cell_alat``), q = Σ c_i b_i and b_i · a_j = 2π δ_ij give c_i = q · a_i for q in
2π/alat.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from aiida_enatom.exceptions import InputValidationError

__all__ = ('InterpolatedMinimum', 'interpolated_minimum')


@dataclass(frozen=True)
class InterpolatedMinimum:
    """The lowest frequency of an interpolated mesh and its q-point."""

    lowest_meV: float  # noqa: N815 (unit suffix)
    """Lowest frequency (meV) over every q and branch; negative for an imaginary mode."""
    qpoint_cartesian: tuple[float, float, float]
    """q of the lowest frequency, Cartesian, units of 2π/alat (as matdyn.x writes it and ph.x reads ``xq``)."""
    qpoint_crystal: tuple[float, float, float] | None
    """The same q in crystal coordinates (fractions of the reciprocal vectors); None without a cell."""
    n_below: int
    """Number of (q, branch) frequencies below −``threshold_meV`` (imaginary beyond the tolerance)."""
    n_frequencies: int
    """Number of (q, branch) frequencies on the mesh (matdyn.x lists the irreducible q of a ``dos`` mesh)."""


def interpolated_minimum(
    qpoints: ArrayLike,
    frequencies: ArrayLike,
    cell_alat: ArrayLike | None = None,
    threshold_meV: float = 0.0,
) -> InterpolatedMinimum:
    """Return the most imaginary (lowest) frequency of an interpolated mesh and the q-point where it occurs.

    Parameters
    ----------
    qpoints
        q-points in Cartesian coordinates, units of 2π/alat, shape (n_q, 3).
    frequencies
        Frequencies in meV, imaginary ones negative, shape (n_q, n_branches).
    cell_alat
        Primitive vectors as rows in units of alat, shape (3, 3) (the cell of the q2r.x force-constants file);
        without it :attr:`InterpolatedMinimum.qpoint_crystal` is None.
    threshold_meV
        Tolerance (≥ 0) for counting imaginary modes in :attr:`InterpolatedMinimum.n_below`.

    Returns
    -------
    InterpolatedMinimum
        On ties the first q in file order wins.

    Raises
    ------
    InputValidationError
        If the shapes do not match, the mesh is empty, a value is not finite, the cell is singular or the
        threshold is negative.
    """
    q = np.asarray(qpoints, dtype=float)
    omega = np.asarray(frequencies, dtype=float)
    if q.ndim != 2 or q.shape[1] != 3 or q.shape[0] == 0:
        raise InputValidationError(f'interpolated_minimum: qpoints must have shape (n_q ≥ 1, 3), got {q.shape}')
    if omega.ndim != 2 or omega.shape[0] != q.shape[0] or omega.shape[1] == 0:
        raise InputValidationError(
            f'interpolated_minimum: frequencies must have shape ({q.shape[0]}, n_branches ≥ 1), got {omega.shape}'
        )
    crystal = None
    if cell_alat is not None:
        cell = np.asarray(cell_alat, dtype=float)
        if cell.shape != (3, 3) or not np.all(np.isfinite(cell)) or abs(np.linalg.det(cell)) < 1e-12:
            raise InputValidationError(
                f'interpolated_minimum: cell_alat must be a non-singular 3×3 matrix, got {cell.tolist()!r}'
            )
    if not (np.all(np.isfinite(q)) and np.all(np.isfinite(omega))):
        raise InputValidationError('interpolated_minimum: qpoints and frequencies must be finite numbers')
    if not threshold_meV >= 0:
        raise InputValidationError(f'interpolated_minimum: threshold_meV must be ≥ 0, got {threshold_meV!r}')
    iq = int(np.argmin(omega.min(axis=1)))
    if cell_alat is not None:
        crystal = tuple(float(value) for value in cell @ q[iq])
    return InterpolatedMinimum(
        lowest_meV=float(omega[iq].min()),
        qpoint_cartesian=(float(q[iq, 0]), float(q[iq, 1]), float(q[iq, 2])),
        qpoint_crystal=crystal,
        n_below=int(np.count_nonzero(omega < -threshold_meV)),
        n_frequencies=int(omega.size),
    )

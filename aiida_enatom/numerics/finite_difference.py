"""Central finite differences F ≈ [V(+u) − V(−u)]/2u of displaced-supercell potential grids, with linearity checks.

The potentials are grids of the *same* supercell (shape (n1, n2, n3), lattice vectors as rows in Å); the
derivative has the units of the potential per Å (pp.x grids are in Ry, so Ry/Å unless converted at I/O).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from aiida_enatom.exceptions import InputValidationError

__all__ = ('AMPLITUDE_RANGE', 'FiniteDifference', 'central_difference')

#: Accepted displacement amplitudes u in Å (inclusive): below, numerical noise of the SCF dominates;
#: above, the response is no longer linear in u.
AMPLITUDE_RANGE: tuple[float, float] = (1.0e-4, 0.1)

#: Lattice vectors of two grids agree if they differ by less than this (Å).
CELL_TOLERANCE: float = 1.0e-5


@dataclass(frozen=True)
class FiniteDifference:
    """Result of :func:`central_difference`."""

    derivative: NDArray[np.float64]
    """F = [V(+u) − V(−u)]/2u, shape (n1, n2, n3), in [V]/Å."""
    amplitude: float
    """Displacement amplitude u in Å."""
    asymmetry: float | None
    """‖V(+u) + V(−u) − 2V(0)‖ / ‖V(+u) − V(−u)‖ (needs V(0)); ≈ u·|V''|/|V'|, first sign of non-linearity."""
    linearity: float | None
    """‖F(2u) − F(u)‖ / ‖F(u)‖ with F(2u) = [V(+2u) − V(−2u)]/4u (needs ±2u); ≈ 3|c|u² for F(u) = F + c u²."""
    richardson: NDArray[np.float64] | None
    """[4F(u) − F(2u)]/3, the O(u⁴) Richardson estimate (needs ±2u), shape (n1, n2, n3)."""


def _check_amplitude(amplitude: float) -> float:
    low, high = AMPLITUDE_RANGE
    try:
        amplitude = float(amplitude)
    except (TypeError, ValueError) as exc:
        raise InputValidationError(f'displacement amplitude must be a number in Å; got {amplitude!r}') from exc
    if not np.isfinite(amplitude) or amplitude <= 0:
        raise InputValidationError(f'displacement amplitude must be positive and finite; got {amplitude} Å')
    if amplitude < low:
        raise InputValidationError(
            f'displacement amplitude {amplitude:g} Å is too small (< {low:g} Å): the difference would be SCF noise'
        )
    if amplitude > high:
        raise InputValidationError(
            f'displacement amplitude {amplitude:g} Å is too large (> {high:g} Å): the response is not linear'
        )
    return amplitude


def _check_grids(grids: Mapping[str, ArrayLike | None], cells: Mapping[str, ArrayLike] | None) -> dict[str, NDArray]:
    arrays: dict[str, NDArray] = {}
    for name, grid in grids.items():
        if grid is None:
            continue
        array = np.asarray(grid)
        if np.iscomplexobj(array):
            raise InputValidationError(f'{name} must be real; got a complex array')
        array = np.asarray(array, dtype=float)
        if array.ndim != 3:
            raise InputValidationError(f'{name} must be a 3D grid (n1, n2, n3); got shape {array.shape}')
        if not np.all(np.isfinite(array)):
            raise InputValidationError(f'{name} contains NaN or infinite values')
        arrays[name] = array
    reference_name = 'v_plus'
    reference = arrays[reference_name]
    for name, array in arrays.items():
        if array.shape != reference.shape:
            raise InputValidationError(
                f'grid shapes differ: {name} has {array.shape} but {reference_name} has {reference.shape}'
            )
    if cells:
        unknown = set(cells) - set(grids)
        if unknown:
            raise InputValidationError(f'cells given for unknown grids {sorted(unknown)}; valid: {sorted(grids)}')
        items = [(name, np.asarray(cell, dtype=float)) for name, cell in cells.items() if name in arrays]
        for name, cell in items:
            if cell.shape != (3, 3):
                raise InputValidationError(f'cell of {name} must have shape (3, 3); got {cell.shape}')
        if items:
            ref_name, ref_cell = items[0]
            for name, cell in items[1:]:
                diff = float(np.abs(cell - ref_cell).max())
                if diff > CELL_TOLERANCE:
                    raise InputValidationError(
                        f'cells differ: {name} and {ref_name} differ by up to {diff:.3g} Å '
                        f'(tolerance {CELL_TOLERANCE:g} Å); all grids must be of the same supercell'
                    )
    return arrays


def central_difference(
    v_plus: ArrayLike,
    v_minus: ArrayLike,
    amplitude: float,
    *,
    v_zero: ArrayLike | None = None,
    v_plus2: ArrayLike | None = None,
    v_minus2: ArrayLike | None = None,
    cells: Mapping[str, ArrayLike] | None = None,
) -> FiniteDifference:
    """Derivative of a potential grid with respect to one atomic displacement, by central differences.

    Parameters
    ----------
    v_plus, v_minus : array_like, shape (n1, n2, n3)
        Potentials of the supercells with the atom displaced by +u and −u along one direction ([V], e.g. Ry).
    amplitude : float
        u in Å, within :data:`AMPLITUDE_RANGE`.
    v_zero : array_like, shape (n1, n2, n3), optional
        Potential of the undisplaced supercell; enables :attr:`FiniteDifference.asymmetry`.
    v_plus2, v_minus2 : array_like, shape (n1, n2, n3), optional
        Potentials at ±2u (both or neither); enable :attr:`FiniteDifference.linearity` and ``richardson``.
    cells : mapping of str to array_like (3, 3), optional
        Lattice vectors (rows, Å) of the grids, keyed by the argument names above (``'v_plus'``, ...);
        all given cells must agree within :data:`CELL_TOLERANCE`.

    Returns
    -------
    FiniteDifference
        The derivative in [V]/Å and the linearity diagnostics (``None`` where the inputs are missing).

    Raises
    ------
    InputValidationError
        If the amplitude is out of range, a grid is not 3D, real and finite, grid shapes or cells differ
        (the message names the offending grid), or only one of ``v_plus2``/``v_minus2`` is given.

    Notes
    -----
    For :math:`V(u) = V_0 + V' u + V'' u^2/2 + V''' u^3/6`, the central difference is :math:`V' + V''' u^2/6`:
    exact for potentials quadratic in u; ``asymmetry`` measures :math:`V''` and ``linearity`` :math:`V'''`.
    Norms are Euclidean norms over all grid points.

    Examples
    --------
    >>> import numpy as np
    >>> slope = np.full((2, 2, 2), 3.0)
    >>> fd = central_difference(0.02 * slope, -0.02 * slope, 0.02)
    >>> float(fd.derivative[0, 0, 0])
    3.0
    """
    amplitude = _check_amplitude(amplitude)
    if (v_plus2 is None) != (v_minus2 is None):
        raise InputValidationError('v_plus2 and v_minus2 must be given together (or neither)')
    grids = _check_grids(
        {'v_plus': v_plus, 'v_minus': v_minus, 'v_zero': v_zero, 'v_plus2': v_plus2, 'v_minus2': v_minus2}, cells
    )
    odd = grids['v_plus'] - grids['v_minus']
    derivative = odd / (2.0 * amplitude)
    odd_norm = float(np.linalg.norm(odd))

    asymmetry = None
    if 'v_zero' in grids:
        even = grids['v_plus'] + grids['v_minus'] - 2.0 * grids['v_zero']
        asymmetry = float(np.linalg.norm(even) / odd_norm) if odd_norm > 0 else float('inf')

    linearity = richardson = None
    if 'v_plus2' in grids:
        derivative2 = (grids['v_plus2'] - grids['v_minus2']) / (4.0 * amplitude)
        norm = float(np.linalg.norm(derivative))
        linearity = float(np.linalg.norm(derivative2 - derivative) / norm) if norm > 0 else float('inf')
        richardson = (4.0 * derivative - derivative2) / 3.0
    return FiniteDifference(
        derivative=derivative, amplitude=amplitude, asymmetry=asymmetry, linearity=linearity, richardson=richardson
    )

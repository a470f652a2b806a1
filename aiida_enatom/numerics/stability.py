"""Lowest phonon frequency of a ph.x q-grid, with the acoustic modes at Γ treated as what they are.

ph.x does not impose the acoustic sum rule, so the three acoustic modes at Γ come out as small real or imaginary
frequencies (±1–3 meV for a converged H3S run, more at low cutoffs) instead of zero. They are translations of the
whole crystal, not an instability, and matdyn.x (``asr``) removes them on the fine mesh. Counting them on the
coarse grid would flag every stable metal with a slightly violated sum rule as unstable.

At Γ the three modes of smallest |ω| are taken as the acoustic ones: an imaginary optical mode (a real
instability at Γ) has a large |ω| and stays in. Imaginary frequencies are negative numbers throughout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from aiida_enatom.exceptions import InputValidationError

__all__ = ('CoarseGridMinimum', 'coarse_grid_minimum')

#: |q| below which a q-point is Γ (q in units of 2π/alat, as ph.x prints it).
_GAMMA_TOLERANCE = 1.0e-8
_N_ACOUSTIC = 3


@dataclass(frozen=True)
class CoarseGridMinimum:
    """Lowest frequency of a ph.x q-grid and the size of the acoustic-sum-rule violation at Γ."""

    lowest_meV: float  # noqa: N815 (unit suffix)
    """Lowest frequency (meV) over all q, Γ's three acoustic modes left out; ``inf`` for an empty grid."""
    acoustic_gamma_max_abs_meV: float | None  # noqa: N815
    """Largest |ω| (meV) of the three acoustic modes at Γ (0 with the sum rule exact); None without Γ."""


def coarse_grid_minimum(qpoints: Sequence[ArrayLike], frequencies: Sequence[ArrayLike]) -> CoarseGridMinimum:
    """Return the lowest frequency of the q-grid with the acoustic modes at Γ excluded.

    Parameters
    ----------
    qpoints
        One q-point per dynamical matrix, shape (n_q, 3), any units (only q = 0 is detected).
    frequencies
        The frequencies of each dynamical matrix in meV, imaginary ones negative; shape (n_q, 3 n_atoms).

    Returns
    -------
    CoarseGridMinimum
        The lowest non-acoustic frequency and the acoustic-sum-rule violation at Γ.

    Raises
    ------
    InputValidationError
        If the two sequences differ in length, a q-point is not a 3-vector, or Γ has fewer than 3 modes.
    """
    if len(qpoints) != len(frequencies):
        raise InputValidationError(
            f'coarse_grid_minimum: {len(qpoints)} q-points but {len(frequencies)} frequency sets; they must pair up'
        )
    lowest = float('inf')
    acoustic: float | None = None
    for qpoint, values in zip(qpoints, frequencies, strict=True):
        q = np.asarray(qpoint, dtype=float)
        omega = np.asarray(values, dtype=float).ravel()
        if q.shape != (3,):
            raise InputValidationError(f'coarse_grid_minimum: q-point {qpoint!r} is not a 3-vector')
        if omega.size == 0:
            continue
        if np.linalg.norm(q) < _GAMMA_TOLERANCE:
            if omega.size < _N_ACOUSTIC:
                raise InputValidationError(
                    f'coarse_grid_minimum: Γ has {omega.size} modes; a crystal has 3 n_atoms ≥ 3 (imaginary ones '
                    'negative, in meV)'
                )
            order = np.argsort(np.abs(omega))
            acoustic = float(np.max(np.abs(omega[order[:_N_ACOUSTIC]])))
            omega = omega[order[_N_ACOUSTIC:]]
            if omega.size == 0:  # one atom per cell: Γ has only the acoustic modes
                continue
        lowest = min(lowest, float(np.min(omega)))
    return CoarseGridMinimum(lowest_meV=lowest, acoustic_gamma_max_abs_meV=acoustic)

"""Dynamical-stability verdict: the lowest frequency of a ph.x q-grid and the rule that weighs the evidence.

Lowest frequency of a ph.x grid, with the acoustic modes at Γ treated as what they are.

ph.x does not impose the acoustic sum rule, so the three acoustic modes at Γ come out as small real or imaginary
frequencies (±1–3 meV for a converged H3S run, more at low cutoffs) instead of zero. They are translations of the
whole crystal, not an instability, and matdyn.x (``asr``) removes them on the fine mesh. Counting them on the
coarse grid would flag every stable metal with a slightly violated sum rule as unstable.

At Γ the three modes of smallest |ω| are taken as the acoustic ones: an imaginary optical mode (a real
instability at Γ) has a large |ω| and stays in. Imaginary frequencies are negative numbers throughout.

The verdict (:func:`decide_stability`) weighs three kinds of evidence, from the most to the least direct:

``'ph_grid'``
    ph.x's own frequencies on its q-grid (exact at those q). An imaginary mode there decides: unstable.
``'direct_q'``
    ph.x run directly at the worst q of the interpolated mesh. Used only when the grid is stable and the
    interpolation is not; it decides either way, because an interpolation of a coarse grid can invent or hide
    soft modes between the grid points, while ph.x at that q cannot.
``'interpolated_mesh'``
    matdyn.x's Fourier interpolation of the grid's force constants to a fine mesh. It decides when it agrees
    with a stable grid (stable), or when it is unstable and no direct check was run (unstable, the conservative
    reading).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from aiida_enatom.exceptions import InputValidationError

__all__ = (
    'EVIDENCE_DIRECT_Q',
    'EVIDENCE_INTERPOLATED_MESH',
    'EVIDENCE_PH_GRID',
    'CoarseGridMinimum',
    'StabilityVerdict',
    'coarse_grid_minimum',
    'decide_stability',
    'needs_direct_check',
)

EVIDENCE_PH_GRID = 'ph_grid'
EVIDENCE_INTERPOLATED_MESH = 'interpolated_mesh'
EVIDENCE_DIRECT_Q = 'direct_q'

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


@dataclass(frozen=True)
class StabilityVerdict:
    """The stability verdict and the evidence that decided it."""

    dynamically_stable: bool
    evidence: str
    """``'ph_grid'``, ``'interpolated_mesh'`` or ``'direct_q'`` (module docstring)."""
    lowest_meV: float  # noqa: N815 (unit suffix)
    """Lowest frequency (meV) of the evidence that decided: the grid's for ``'ph_grid'``; min(grid, mesh) for
    ``'interpolated_mesh'``; min(grid, direct check) for ``'direct_q'``."""


def _check(name: str, value: float) -> float:
    value = float(value)
    if np.isnan(value):
        raise InputValidationError(f'decide_stability: {name} is NaN; give a frequency in meV (inf if none)')
    return value


def needs_direct_check(grid_lowest_meV: float, mesh_lowest_meV: float, threshold_meV: float) -> bool:
    """Return whether ph.x should be run at the worst interpolated q: the grid is stable and the mesh is not.

    Parameters
    ----------
    grid_lowest_meV
        Lowest frequency on ph.x's q-grid (acoustic modes at Γ left out), meV.
    mesh_lowest_meV
        Lowest frequency on the interpolated mesh, meV.
    threshold_meV
        Tolerance (≥ 0): a frequency below −threshold is an instability.

    Raises
    ------
    InputValidationError
        If the threshold is negative or a frequency is NaN.
    """
    if not float(threshold_meV) >= 0:
        raise InputValidationError(f'decide_stability: threshold_meV must be ≥ 0, got {threshold_meV!r}')
    grid, mesh = _check('grid_lowest_meV', grid_lowest_meV), _check('mesh_lowest_meV', mesh_lowest_meV)
    return grid >= -threshold_meV and mesh < -threshold_meV


def decide_stability(
    grid_lowest_meV: float,
    mesh_lowest_meV: float,
    threshold_meV: float,
    direct_lowest_meV: float | None = None,
) -> StabilityVerdict:
    """Return the stability verdict from the grid, the interpolated mesh and, if run, the direct ph.x check.

    The rule: unstable on ph.x's grid → unstable (``'ph_grid'``); grid and mesh stable → stable
    (``'interpolated_mesh'``); grid stable, mesh unstable → the direct check decides (``'direct_q'``), or, without
    one, unstable (``'interpolated_mesh'``). "Stable" means ≥ −``threshold_meV``.

    Parameters
    ----------
    grid_lowest_meV
        Lowest frequency on ph.x's q-grid, the three acoustic modes at Γ left out (:func:`coarse_grid_minimum`).
    mesh_lowest_meV
        Lowest frequency on matdyn.x's interpolated mesh.
    threshold_meV
        Tolerance (≥ 0) for small imaginary frequencies.
    direct_lowest_meV
        Lowest frequency of ph.x run at the worst interpolated q, or None if it was not run. Ignored unless
        :func:`needs_direct_check` is true (a check that was not needed does not change the verdict).

    Returns
    -------
    StabilityVerdict

    Raises
    ------
    InputValidationError
        If the threshold is negative or a frequency is NaN.
    """
    needed = needs_direct_check(grid_lowest_meV, mesh_lowest_meV, threshold_meV)
    grid, mesh = float(grid_lowest_meV), float(mesh_lowest_meV)
    if grid < -threshold_meV:
        return StabilityVerdict(False, EVIDENCE_PH_GRID, grid)
    if not needed or direct_lowest_meV is None:
        return StabilityVerdict(not needed, EVIDENCE_INTERPOLATED_MESH, min(grid, mesh))
    direct = _check('direct_lowest_meV', direct_lowest_meV)
    return StabilityVerdict(direct >= -threshold_meV, EVIDENCE_DIRECT_Q, min(grid, direct))

"""The frequency split of α²F at a gap between the metal and the hydrogen phonon branches.

When the 3·N_M lowest branches (N_M metal atoms) lie below every other branch at every q, the phonon spectrum has a
gap and α²F vanishes inside it. λ above the gap is then the paper's first estimate of λ_H (the *frequency split*),
a cross-check of the species-pair split of :mod:`~aiida_enatom.numerics.projections`, which does not need a gap.

Keys of :func:`frequency_split_metrics` (None when there is no gap):

- ``frequency_gap_low_meV``, ``frequency_gap_high_meV``: top of the low branches and bottom of the high ones;
- ``lambda_H_frequency_split``, ``lambda_M_frequency_split``: λ of α²F above and below the gap's midpoint
  (they add up to λ exactly, on the same trapezoid grid).
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import ArrayLike

from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.moments import moments
from aiida_enatom.numerics.projections import find_frequency_gap, split_at_frequency
from aiida_enatom.numerics.spectra import Alpha2F

__all__ = ('FREQUENCY_SPLIT_KEYS', 'frequency_split_metrics', 'gap_from_dos', 'gap_from_modes')

FREQUENCY_SPLIT_KEYS = (
    'frequency_gap_low_meV',
    'frequency_gap_high_meV',
    'lambda_H_frequency_split',
    'lambda_M_frequency_split',
)


def gap_from_modes(frequencies_mev: ArrayLike, n_low_modes: int) -> tuple[float, float] | None:
    """Gap between the ``n_low_modes`` lowest branches and the others over all q (meV), or None if they overlap.

    Parameters
    ----------
    frequencies_mev : array_like, shape (n_q, n_modes)
        Phonon energies in meV at every q of a mesh.
    n_low_modes : int
        Branches below the gap: 3 × the number of metal atoms.
    """
    return find_frequency_gap(frequencies_mev, n_low_modes)


def gap_from_dos(
    frequency_mev: ArrayLike,
    dos: ArrayLike,
    n_low_modes: int,
    n_modes: int,
    *,
    threshold: float = 1.0e-3,
    count_tolerance: float = 0.25,
) -> tuple[float, float] | None:
    """Gap of a phonon DOS that has exactly ``n_low_modes`` of ``n_modes`` branches below it (meV), or None.

    Parameters
    ----------
    frequency_mev : array_like, shape (n,)
        Ascending frequencies in meV (matdyn's DOS grid).
    dos : array_like, shape (n,)
        Phonon DOS, any normalisation (the mode count is taken relative to its integral).
    n_low_modes : int
        Branches expected below the gap (3 × the number of metal atoms), 0 < ``n_low_modes`` < ``n_modes``.
    n_modes : int
        All branches, 3 × the number of atoms.
    threshold : float
        The DOS counts as zero below ``threshold`` × its maximum.
    count_tolerance : float
        Largest difference, in modes, between the integrated DOS below the gap and ``n_low_modes``.

    Returns
    -------
    (float, float) or None
        The last grid frequency with DOS below the gap and the first above it, or None when no empty interval
        between occupied frequencies has ``n_low_modes`` branches below it (the widest such interval otherwise:
        a sampled DOS can have empty points inside a band).

    Raises
    ------
    InputValidationError
        On arrays of different or too small shape, a grid that is not ascending, or inconsistent mode counts.
    """
    omega = np.asarray(frequency_mev, dtype=float)
    values = np.asarray(dos, dtype=float)
    if omega.ndim != 1 or omega.shape != values.shape or omega.size < 3:
        raise InputValidationError(
            f'frequency and dos must be 1-D of equal length ≥ 3, got {omega.shape}, {values.shape}'
        )
    if np.any(np.diff(omega) <= 0):
        raise InputValidationError('the phonon DOS frequencies must be strictly ascending')
    if not 0 < n_low_modes < n_modes:
        raise InputValidationError(f'n_low_modes = {n_low_modes} must be in 1…{n_modes - 1} (n_modes = {n_modes})')
    occupied = np.flatnonzero(values > threshold * values.max()) if values.max() > 0 else np.array([], dtype=int)
    if occupied.size < 2:
        return None
    cumulative = np.concatenate(([0.0], np.cumsum(0.5 * (values[1:] + values[:-1]) * np.diff(omega))))
    total = cumulative[occupied[-1]] - cumulative[occupied[0]]
    if not total > 0:
        return None
    best: tuple[float, float] | None = None
    for left, right in itertools.pairwise(occupied):
        if right - left < 2:
            continue  # no empty grid point between two occupied ones
        below = (cumulative[left] - cumulative[occupied[0]]) / total * n_modes
        if abs(below - n_low_modes) <= count_tolerance and (
            best is None or omega[right] - omega[left] > best[1] - best[0]
        ):
            best = (float(omega[left]), float(omega[right]))
    return best


def frequency_split_metrics(spectrum: Alpha2F, gap: tuple[float, float] | None) -> dict[str, float | None]:
    """λ above and below the midpoint of ``gap`` (the frequency split), with the gap edges; None without a gap.

    Parameters
    ----------
    spectrum : Alpha2F
        The total α²F, meV.
    gap : (float, float) or None
        (top of the metal branches, bottom of the H branches) in meV, from :func:`gap_from_dos` or
        :func:`gap_from_modes`.

    Returns
    -------
    dict
        :data:`FREQUENCY_SPLIT_KEYS`.
    """
    out: dict[str, float | None] = dict.fromkeys(FREQUENCY_SPLIT_KEYS)
    if gap is None:
        return out
    low, high = gap
    if not low < high:
        raise InputValidationError(f'gap = {gap!r}: the lower edge must lie below the upper one')
    below, above = split_at_frequency(spectrum, 0.5 * (low + high))
    out.update(
        frequency_gap_low_meV=float(low),
        frequency_gap_high_meV=float(high),
        lambda_H_frequency_split=_coupling(above),
        lambda_M_frequency_split=_coupling(below),
    )
    return out


def _coupling(part: Alpha2F) -> float:
    """λ of a part that may be zero everywhere (then 0.0)."""
    if not np.any(part.spectrum[part.positive] != 0):
        return 0.0
    return float(moments(part).coupling_lambda)

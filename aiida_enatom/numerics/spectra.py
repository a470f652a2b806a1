"""The Eliashberg spectral function α²F(ω) as a validated, immutable container."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray

from aiida_enatom.exceptions import InputValidationError

__all__ = ('Alpha2F',)


def _as_finite_1d(values: ArrayLike, name: str) -> NDArray[np.float64]:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise InputValidationError(f'{name} must be one-dimensional, got shape {array.shape}')
    if not np.all(np.isfinite(array)):
        bad = int(np.flatnonzero(~np.isfinite(array))[0])
        raise InputValidationError(f'{name} must be finite; element {bad} is {array[bad]!r}')
    return array


@dataclass(frozen=True)
class Alpha2F:
    """Eliashberg function α²F(ω) on a frequency grid, with optional partial spectra.

    Parameters
    ----------
    frequency : array_like, shape (n_freq,)
        Frequency grid ω in meV, strictly increasing. Points with ω ≤ 0 are allowed (matdyn writes imaginary
        modes as negative frequencies) but never enter the moments; their weight is reported by
        :attr:`weight_nonpositive`.
    spectrum : array_like, shape (n_freq,)
        Total α²F(ω), dimensionless.
    partials : mapping of str to array_like, optional
        Partial spectra, each of shape (n_freq,), keyed by species (``'H'``) or by a species pair
        (``'H-H'``, ``'H-S'``, ``'S-S'``; the two species in alphabetical order).
    label : str, optional
        Free-text description (for example the smearing).

    Raises
    ------
    InputValidationError
        If arrays are not finite, shapes differ, the grid is not strictly increasing, or there is no point
        with ω > 0.
    """

    frequency: NDArray[np.float64]
    spectrum: NDArray[np.float64]
    partials: Mapping[str, NDArray[np.float64]] = field(default_factory=dict)
    label: str = ''

    def __post_init__(self) -> None:
        frequency = _as_finite_1d(self.frequency, 'frequency')
        spectrum = _as_finite_1d(self.spectrum, 'spectrum')
        if frequency.size < 2:
            raise InputValidationError(f'frequency needs at least 2 points, got {frequency.size}')
        if spectrum.shape != frequency.shape:
            raise InputValidationError(
                f'spectrum has shape {spectrum.shape} but frequency has shape {frequency.shape}; they must match'
            )
        steps = np.diff(frequency)
        if np.any(steps <= 0):
            bad = int(np.flatnonzero(steps <= 0)[0])
            raise InputValidationError(
                f'frequency must be strictly increasing; element {bad + 1} ({frequency[bad + 1]} meV) '
                f'does not exceed element {bad} ({frequency[bad]} meV)'
            )
        if np.count_nonzero(frequency > 0) < 2:
            raise InputValidationError('frequency needs at least 2 points with ω > 0 meV')
        partials = {}
        for key, values in dict(self.partials).items():
            array = _as_finite_1d(values, f'partial spectrum {key!r}')
            if array.shape != frequency.shape:
                raise InputValidationError(
                    f'partial spectrum {key!r} has shape {array.shape}; it must match frequency {frequency.shape}'
                )
            array.setflags(write=False)
            partials[str(key)] = array
        frequency.setflags(write=False)
        spectrum.setflags(write=False)
        object.__setattr__(self, 'frequency', frequency)
        object.__setattr__(self, 'spectrum', spectrum)
        object.__setattr__(self, 'partials', MappingProxyType(partials))

    @property
    def positive(self) -> NDArray[np.bool_]:
        """Mask of the grid points with ω > 0 that enter the moments, shape (n_freq,)."""
        return self.frequency > 0

    @property
    def weight_nonpositive(self) -> float:
        """∫ |α²F| dω over ω ≤ 0 (dimensionless × meV): weight that the moments leave out.

        Non-zero usually means imaginary phonon modes, i.e. a dynamically unstable structure.
        """
        mask = self.frequency <= 0
        if np.count_nonzero(mask) < 2:
            return float(abs(self.spectrum[mask]).sum() * 0.0)
        return float(np.trapezoid(np.abs(self.spectrum[mask]), self.frequency[mask]))

    @property
    def weight_negative(self) -> float:
        """∫ min(α²F, 0) dω over ω > 0 (≤ 0, meV): negative spectral weight, a smearing or instability artefact."""
        mask = self.positive
        return float(np.trapezoid(np.minimum(self.spectrum[mask], 0.0), self.frequency[mask]))

    @property
    def lowest_frequency(self) -> float:
        """Lowest frequency (meV) at which |α²F| is non-zero; negative for imaginary modes."""
        nonzero = np.flatnonzero(np.abs(self.spectrum) > 0)
        return float(self.frequency[nonzero[0]]) if nonzero.size else float(self.frequency[0])

    def partial(self, key: str) -> Alpha2F:
        """Return the partial spectrum ``key`` as an :class:`Alpha2F` on the same grid.

        Raises
        ------
        KeyError
            If ``key`` is not one of :attr:`partials`; the message lists the available keys.
        """
        if key not in self.partials:
            raise KeyError(f'no partial spectrum {key!r}; available: {sorted(self.partials)}')
        return Alpha2F(self.frequency, self.partials[key], label=f'{self.label} {key}'.strip())

    def scaled(self, factor: float) -> Alpha2F:
        """Return a copy with the total and all partial spectra multiplied by ``factor``."""
        return Alpha2F(
            self.frequency,
            self.spectrum * factor,
            {key: value * factor for key, value in self.partials.items()},
            self.label,
        )

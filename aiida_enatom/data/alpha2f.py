"""``Alpha2FData``: α²F(ω) for every electron-phonon smearing, with species-pair and per-species partials."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from aiida import orm
from numpy.typing import ArrayLike, NDArray

from aiida_enatom.numerics.spectra import Alpha2F

__all__ = ('Alpha2FData',)


class Alpha2FData(orm.ArrayData):
    """Eliashberg functions α²F(ω) of one calculation, one per electron-phonon smearing σ.

    Arrays (all frequencies in meV):

    * ``frequency_meV``, shape (n_freq,): the common frequency grid;
    * ``alpha2f``, shape (n_smear, n_freq): total α²F for each smearing;
    * ``smearing_Ry``, shape (n_smear,): the smearings σ in Ry (QE's ``el_ph_sigma`` multiples);
    * ``partial_<i>``, shape (n_smear, n_freq): partial spectrum number ``i``; the key of each (``'H-H'``,
      ``'H-S'``, ``'S-S'``, ``'H'``, ``'S'``) is in the attribute ``partial_keys`` (array names cannot hold ``-``);
    * ``phonon_dos_frequency_meV`` and ``phonon_dos`` (states/meV/cell), optional: matdyn's phonon DOS.

    Validation lives in :class:`aiida_enatom.numerics.spectra.Alpha2F`: :meth:`set_from` builds nothing that
    has not passed through it.
    """

    ARRAY_FREQUENCY = 'frequency_meV'
    ARRAY_ALPHA2F = 'alpha2f'
    ARRAY_SMEARING = 'smearing_Ry'
    ARRAY_PHONON_DOS_FREQUENCY = 'phonon_dos_frequency_meV'
    ARRAY_PHONON_DOS = 'phonon_dos'
    KEY_PARTIALS = 'partial_keys'

    def set_from(
        self,
        spectra: Sequence[Alpha2F],
        smearings: ArrayLike,
        *,
        phonon_dos: tuple[ArrayLike, ArrayLike] | None = None,
    ) -> None:
        """Store ``spectra`` (one per smearing) and, optionally, the phonon DOS.

        Parameters
        ----------
        spectra : sequence of Alpha2F
            One validated spectrum per smearing, all on the same frequency grid (meV) and with the same partial keys.
        smearings : array_like, shape (n_smear,)
            Electron-phonon smearing of each spectrum in Ry.
        phonon_dos : tuple of array_like, optional
            ``(frequency_meV, dos)``, each of shape (n_dos,).

        Raises
        ------
        ValueError
            If there are no spectra, the smearings do not match them, or the grids or partial keys differ.
        """
        spectra = list(spectra)
        smearings = np.asarray(smearings, dtype=float)
        if not spectra:
            raise ValueError('at least one spectrum is needed')
        if smearings.shape != (len(spectra),):
            raise ValueError(f'{len(spectra)} spectra but smearings of shape {smearings.shape}')
        reference = spectra[0]
        keys = list(reference.partials)
        for index, spectrum in enumerate(spectra[1:], start=1):
            if not np.array_equal(spectrum.frequency, reference.frequency):
                raise ValueError(f'spectrum {index} is not on the frequency grid of spectrum 0')
            if list(spectrum.partials) != keys:
                raise ValueError(f'spectrum {index} has partials {list(spectrum.partials)}, spectrum 0 has {keys}')
        self.set_array(self.ARRAY_FREQUENCY, np.array(reference.frequency))
        self.set_array(self.ARRAY_ALPHA2F, np.array([spectrum.spectrum for spectrum in spectra]))
        self.set_array(self.ARRAY_SMEARING, smearings)
        for index, key in enumerate(keys):
            self.set_array(f'partial_{index}', np.array([spectrum.partials[key] for spectrum in spectra]))
        self.base.attributes.set(self.KEY_PARTIALS, keys)
        self.base.attributes.set('labels', [spectrum.label for spectrum in spectra])
        if phonon_dos is not None:
            frequency, dos = (np.asarray(values, dtype=float) for values in phonon_dos)
            if frequency.shape != dos.shape or frequency.ndim != 1:
                raise ValueError(f'phonon DOS arrays have shapes {frequency.shape} and {dos.shape}')
            self.set_array(self.ARRAY_PHONON_DOS_FREQUENCY, frequency)
            self.set_array(self.ARRAY_PHONON_DOS, dos)

    @property
    def frequency(self) -> NDArray[np.float64]:
        """Frequency grid in meV, shape (n_freq,)."""
        return self.get_array(self.ARRAY_FREQUENCY)

    @property
    def alpha2f(self) -> NDArray[np.float64]:
        """Total α²F for every smearing, shape (n_smear, n_freq)."""
        return self.get_array(self.ARRAY_ALPHA2F)

    @property
    def smearings(self) -> NDArray[np.float64]:
        """Electron-phonon smearings in Ry, shape (n_smear,)."""
        return self.get_array(self.ARRAY_SMEARING)

    @property
    def partial_keys(self) -> list[str]:
        """Keys of the partial spectra (``'H-H'``, ``'H-S'``, ..., ``'H'``, ``'S'``), possibly empty."""
        return list(self.base.attributes.get(self.KEY_PARTIALS, []))

    @property
    def number_of_smearings(self) -> int:
        """Number of smearings n_smear."""
        return int(self.smearings.size)

    def get_partial(self, key: str) -> NDArray[np.float64]:
        """Return the partial spectrum ``key`` for every smearing, shape (n_smear, n_freq).

        Raises
        ------
        KeyError
            If there is no such partial; the message lists the available ones.
        """
        keys = self.partial_keys
        if key not in keys:
            raise KeyError(f'no partial spectrum {key!r}; available: {keys}')
        return self.get_array(f'partial_{keys.index(key)}')

    @property
    def phonon_dos(self) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
        """``(frequency_meV, dos)`` of the phonon DOS, or ``None`` when not stored."""
        if self.ARRAY_PHONON_DOS not in self.get_arraynames():
            return None
        return self.get_array(self.ARRAY_PHONON_DOS_FREQUENCY), self.get_array(self.ARRAY_PHONON_DOS)

    def to_alpha2f(self, index: int = 0) -> Alpha2F:
        """Return the spectrum of smearing number ``index`` (with its partials) as a validated :class:`Alpha2F`.

        Raises
        ------
        IndexError
            If ``index`` is out of range.
        """
        n_smear = self.number_of_smearings
        if not -n_smear <= index < n_smear:
            raise IndexError(f'smearing index {index} out of range for {n_smear} smearings')
        labels = self.base.attributes.get('labels', [])
        partials = {key: self.get_partial(key)[index] for key in self.partial_keys}
        label = labels[index] if index < len(labels) else f'sigma={self.smearings[index]:g} Ry'
        return Alpha2F(self.frequency, self.alpha2f[index], partials, label)

    def to_alpha2f_list(self) -> list[Alpha2F]:
        """Return one :class:`Alpha2F` per smearing."""
        return [self.to_alpha2f(index) for index in range(self.number_of_smearings)]

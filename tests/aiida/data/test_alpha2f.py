"""Alpha2FData: round trip with the pure Alpha2F type, storage, and errors."""

from __future__ import annotations

import numpy as np
import pytest

from aiida_enatom.data.alpha2f import Alpha2FData
from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.spectra import Alpha2F


def _spectra(n_smear=3, n_freq=50):
    frequency = np.linspace(-5.0, 200.0, n_freq)
    spectra = []
    for index in range(n_smear):
        hh = np.exp(-(((frequency - 150.0) / 20.0) ** 2)) * (1 + index)
        ss = np.exp(-(((frequency - 50.0) / 10.0) ** 2))
        hs = 0.1 * ss
        partials = {'H-H': hh, 'H-S': hs, 'S-S': ss, 'H': hh + hs / 2, 'S': ss + hs / 2}
        spectra.append(Alpha2F(frequency, hh + hs + ss, partials, f'sigma {index}'))
    return spectra


def test_round_trip_stored():
    spectra = _spectra()
    node = Alpha2FData()
    node.set_from(spectra, [0.005, 0.01, 0.015], phonon_dos=(np.linspace(0, 200, 10), np.ones(10)))
    node.store()
    loaded = type(node).collection.get(pk=node.pk)
    assert loaded.number_of_smearings == 3
    assert loaded.alpha2f.shape == (3, 50)
    assert loaded.partial_keys == ['H-H', 'H-S', 'S-S', 'H', 'S']
    np.testing.assert_array_equal(loaded.smearings, [0.005, 0.01, 0.015])
    for index, original in enumerate(spectra):
        back = loaded.to_alpha2f(index)
        np.testing.assert_array_equal(back.frequency, original.frequency)
        np.testing.assert_array_equal(back.spectrum, original.spectrum)
        for key in original.partials:
            np.testing.assert_array_equal(back.partials[key], original.partials[key])
        assert back.label == original.label
    np.testing.assert_array_equal(loaded.get_partial('H-S')[1], spectra[1].partials['H-S'])
    frequency, dos = loaded.phonon_dos
    assert frequency.shape == dos.shape == (10,)
    assert len(loaded.to_alpha2f_list()) == 3


def test_without_partials_or_dos():
    spectrum = Alpha2F(np.linspace(0.0, 10.0, 5), np.ones(5))
    node = Alpha2FData()
    node.set_from([spectrum], [0.02])
    assert node.partial_keys == []
    assert node.phonon_dos is None
    assert dict(node.to_alpha2f(0).partials) == {}


@pytest.mark.parametrize(
    ('smearings', 'match'),
    [([0.01, 0.02], 'smearings of shape'), ([], 'smearings of shape')],
)
def test_smearing_mismatch(smearings, match):
    with pytest.raises(ValueError, match=match):
        Alpha2FData().set_from(_spectra(n_smear=3), smearings)


def test_grid_and_key_mismatch():
    first, second = _spectra(n_smear=2)
    other_grid = Alpha2F(first.frequency + 1.0, first.spectrum, dict(first.partials))
    with pytest.raises(ValueError, match='frequency grid'):
        Alpha2FData().set_from([first, other_grid], [0.01, 0.02])
    no_partials = Alpha2F(second.frequency, second.spectrum)
    with pytest.raises(ValueError, match='partials'):
        Alpha2FData().set_from([first, no_partials], [0.01, 0.02])
    with pytest.raises(ValueError, match='at least one'):
        Alpha2FData().set_from([], [])


def test_errors_on_access():
    node = Alpha2FData()
    node.set_from(_spectra(n_smear=2), [0.01, 0.02])
    with pytest.raises(IndexError, match='out of range'):
        node.to_alpha2f(2)
    with pytest.raises(KeyError, match='available'):
        node.get_partial('Ca')


def test_validation_lives_in_alpha2f():
    with pytest.raises(InputValidationError):
        Alpha2F(np.array([0.0, 1.0, 1.0]), np.zeros(3))

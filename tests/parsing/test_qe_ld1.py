"""ld1.x test-configuration parser on real QE 6.7 outputs (tests/fixtures/qe/pseudo_validation/README.md)."""

from __future__ import annotations

import math

import pytest

from aiida_enatom.exceptions import ParsingError
from aiida_enatom.io.qe_ld1 import Ld1TestResult, angular_momentum, parse_ld1_tests


def _parse(fixtures_path, element: str) -> Ld1TestResult:
    folder = fixtures_path / 'qe' / 'pseudo_validation' / f'ld1_tests_{element}'
    return parse_ld1_tests(folder / 'ld1.out', (folder / 'ld1.in').read_text())


def test_hydrogen(fixtures_path):
    result = _parse(fixtures_path, 'H')
    assert result.configurations == ['1s1', '1s0.5', '1s0.75', '1s0.25']
    assert result.delta_e == [0.000006, 0.0, 0.000023]
    assert result.max_abs_delta_e == 0.000023
    assert result.eigenvalues == [('1S', 1.0, -0.47721, -0.47721)]
    # the Bessel-basis test at the largest cutoff (90 Ry) of the reference configuration
    assert result.bessel == {0: [-0.4769, 0.0032, 0.0348]}
    assert result.bessel_ghosts() == []


def test_lithium_semicore(fixtures_path):
    result = _parse(fixtures_path, 'Li')
    assert result.configurations == ['1s2 2s1 2p0', '1s2 2s0 2p1', '1s2 2s0.5 2p0', '1s2 2s0 2p0']
    assert result.delta_e == [-0.000025, -0.000002, -0.000024]
    assert result.eigenvalues == [
        ('1S', 2.0, -3.81124, -3.81123),
        ('2S', 1.0, -0.21125, -0.21125),
        ('2P', 0.0, -0.08011, -0.08011),
    ]
    assert result.bessel == {0: [-3.8078, -0.209, -0.0033], 1: [-0.0801, 0.0164, 0.06]}
    assert result.bessel_ghosts() == []


def test_bessel_ghosts_are_found():
    eigenvalues = [('1S', 1.0, -0.5, -0.5), ('2P', 0.0, -0.1, -0.1)]
    result = Ld1TestResult([], [], eigenvalues, {0: [-0.7, -0.6, -0.3], 1: [-0.1], 2: [-0.2]})
    # l=0: state 1 is 0.2 Ry below AE 1s; state 2 has no AE partner and lies below the 1s; state 3 is above it;
    # l=2: no AE d level at all, so any bound Bessel state is extra
    assert result.bessel_ghosts() == [
        'l=0: Bessel state 1 at -0.7000 Ry < AE -0.5000',
        'l=0: extra bound state at -0.6000 Ry',
        'l=2: extra bound state at -0.2000 Ry',
    ]
    assert result.bessel_ghosts(tolerance=0.25) == ['l=0: extra bound state at -0.6000 Ry']


def test_no_test_configurations():
    assert math.isnan(Ld1TestResult([], [], []).max_abs_delta_e)


@pytest.mark.parametrize(('label', 'value'), [('1S', 0), ('2p', 1), ('3D', 2), ('4f', 3)])
def test_angular_momentum(label, value):
    assert angular_momentum(label) == value


def test_not_an_ld1_test_output(fixtures_path):
    with pytest.raises(ParsingError, match=r'pw\.out: no "e AE'):
        parse_ld1_tests(
            fixtures_path / 'qe' / 'pseudo_validation' / 'pw_validation_h_atom' / 'pw.out', filename='pw.out'
        )

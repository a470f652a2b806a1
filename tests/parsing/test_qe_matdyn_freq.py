"""matdyn.x frequency file (``flfrq``): real QE 6.7 output (expanded fcc Al, 16³ mesh); bad input → ParsingError."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aiida_enatom.exceptions import ParsingError
from aiida_enatom.io.qe_matdyn_freq import parse_matdyn_frequencies

AL = Path(__file__).parents[1] / 'fixtures' / 'qe' / 'al_q333_qe67_soft_interpolation'


def test_real_al_mesh():
    parsed = parse_matdyn_frequencies(AL / 'phonon_frequencies.dat')
    # 145 irreducible q of the 16x16x16 mesh of fcc (matdyn.x with dos = .true.), 3 branches.
    assert parsed.qpoints.shape == (145, 3)
    assert parsed.frequencies_cm1.shape == (145, 3)
    assert parsed.n_branches == 3
    np.testing.assert_array_equal(parsed.qpoints[0], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(parsed.qpoints[1], [-0.0625, 0.0625, -0.0625])
    np.testing.assert_allclose(parsed.frequencies_cm1[0], [0.0, 0.0, 0.0], atol=1e-4)
    # The most imaginary value of the file, checked by hand: the transverse branch at (0, 3/8, 0) 2π/a.
    row, column = np.unravel_index(np.argmin(parsed.frequencies_cm1), parsed.frequencies_cm1.shape)
    np.testing.assert_allclose(parsed.qpoints[row], [0.0, 0.375, 0.0])
    assert parsed.frequencies_cm1[row, column] == pytest.approx(-15.3385)
    assert np.count_nonzero(parsed.frequencies_cm1 < -5.0) == 16


def test_touching_fields_are_read_by_column():
    text = (
        ' &plot nbnd=   8, nks=   1 /\n'
        '            0.500000 -0.500000  0.500000\n'
        '-1204.1234-1020.5360   12.0000   13.0000 1234.5678 9999.9999\n'
        '   15.0000   16.0000\n'
    )
    parsed = parse_matdyn_frequencies(text)
    np.testing.assert_allclose(parsed.qpoints, [[0.5, -0.5, 0.5]])
    np.testing.assert_allclose(
        parsed.frequencies_cm1, [[-1204.1234, -1020.536, 12.0, 13.0, 1234.5678, 9999.9999, 15.0, 16.0]]
    )


@pytest.mark.parametrize(
    ('text', 'match'),
    [
        ('', 'file is empty'),
        ('  nbnd=3 nks=1\n', 'not the "&plot'),
        (' &plot nbnd=   3, nks=   2 /\n            0.0  0.0  0.0\n   1.0   2.0   3.0\n', 'truncated'),
        (
            ' &plot nbnd=   3, nks=   1 /\n            0.000000  0.000000  0.000000\n'
            '  **********    2.0000    3.0000\n',
            'line 3: field 1',
        ),
        (' &plot nbnd=   0, nks=   1 /\n', 'both must be'),
    ],
)
def test_malformed_files_are_named(text, match):
    with pytest.raises(ParsingError, match=match):
        parse_matdyn_frequencies(text, filename='phonon_frequencies.dat')

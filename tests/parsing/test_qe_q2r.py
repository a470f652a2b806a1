"""q2r.x parsers on the real MgH fixture; malformed input raises ParsingError only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiida_enatom.exceptions import ParsingError
from aiida_enatom.io.qe_q2r import parse_a2f_matdyn, parse_force_constants

FIXTURE = Path(__file__).parents[1] / 'fixtures' / 'qe' / 'elph_mgh_rocksalt'
FC_TEXT = (FIXTURE / 'alh222.fc').read_text()
GAMMA_TEXT = (FIXTURE / 'elph_dir' / 'a2Fmatdyn.61').read_text()


def test_force_constants():
    fc = parse_force_constants(FIXTURE / 'alh222.fc')
    assert fc.species == ('Mg', 'H')
    assert fc.grid == (2, 2, 2)
    np.testing.assert_allclose(fc.alat_bohr, 7.40)
    # Masses written in Ry units (amu × 911.444); back to the input amass within print precision.
    np.testing.assert_allclose(fc.masses_amu, [24.305, 1.008], rtol=1e-9)
    np.testing.assert_allclose(fc.positions[1], [0.5, 0.0, 0.0])
    np.testing.assert_allclose(fc.cell, [[-0.5, 0, 0.5], [0, 0.5, 0.5], [-0.5, 0.5, 0]])
    # First value of block (1,1,1,1), straight from the file.
    first = float(FC_TEXT.splitlines()[8].split()[3])
    assert fc.constants[0, 0, 0, 0, 0, 0, 0] == first
    assert fc.constants.shape == (2, 2, 2, 3, 3, 2, 2)


def test_a2f_matdyn():
    gamma = parse_a2f_matdyn(GAMMA_TEXT, 2)
    header = [float(x) for x in GAMMA_TEXT.splitlines()[0].split()]
    assert (gamma.smearing_ry, gamma.fermi_energy_ry, gamma.dos_ef) == tuple(header)
    assert gamma.grid == (2, 2, 2)
    with pytest.raises(ParsingError, match='block header'):
        parse_a2f_matdyn(GAMMA_TEXT, 3)


@pytest.mark.parametrize('cut', [0, 1, 5, 20, 300])
def test_truncated_reports_line(cut):
    text = '\n'.join(FC_TEXT.splitlines()[:cut])
    with pytest.raises(ParsingError) as info:
        parse_force_constants(text, 'fc')
    assert info.value.filename == 'fc' and info.value.line is not None


def test_corrupted_value_reports_line():
    lines = FC_TEXT.splitlines()
    lines[12] = lines[12].replace('E', 'X')
    with pytest.raises(ParsingError) as info:
        parse_force_constants('\n'.join(lines))
    assert info.value.line == 13


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.integers(0, 40))
def test_fuzz_only_parsing_error(noise, keep):
    prefix = '\n'.join(FC_TEXT.splitlines()[:keep])
    for text in (noise, prefix + noise):
        for parse in (parse_force_constants, lambda t: parse_a2f_matdyn(t, 2)):
            try:
                parse(text)
            except ParsingError:
                pass


@pytest.mark.parametrize(('text', 'n_atoms'), [(FC_TEXT, 2), (GAMMA_TEXT, 2)])
def test_vectorised_blocks_equal_the_line_by_line_reader(text, n_atoms):
    """The array fast path and the checking reader give the same constants, element by element."""
    from aiida_enatom.io._qe_text import LineReader
    from aiida_enatom.io.qe_q2r import _read_blocks, _read_blocks_line_by_line

    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.split()[:4] == ['1', '1', '1', '1'])
    grid = tuple(int(x) for x in lines[first - 1].split()[:3])
    fast, slow = LineReader(text, 'f'), LineReader(text, 'f')
    fast.index = slow.index = first
    expected = _read_blocks_line_by_line(slow, grid, n_atoms)
    assert np.array_equal(_read_blocks(fast, grid, n_atoms), expected)
    assert fast.index == slow.index
    assert len(np.unique(expected)) > 10  # distinct values: a transposed cell or block order would show

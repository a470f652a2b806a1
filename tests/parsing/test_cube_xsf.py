"""Cube reader/writer (real pp.x output, round trips, hypothesis fuzzing) and the XSF writer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiida_enatom.constants import BOHR_TO_ANGSTROM
from aiida_enatom.exceptions import ParsingError
from aiida_enatom.io.cube import format_cube, parse_cube, write_cube
from aiida_enatom.io.xsf import format_xsf, parse_xsf_grids, write_xsf
from aiida_enatom.numerics.radial import minimum_image_distances

FIXTURES = Path(__file__).parent.parent / 'fixtures' / 'pp_cube'
H2_CELL = np.array([[3.0, 0.0, 0.0], [0.4, 3.2, 0.0], [0.0, 0.3, 3.4]])
TRICLINIC = np.array([[3.0, 0.0, 0.0], [0.7, 3.4, 0.0], [-0.5, 0.6, 2.8]])


def test_real_pp_cube():
    grid = parse_cube(FIXTURES / 'h2_vtot.cube')
    assert grid.data.shape == (12, 15, 15)
    # voxel written with 6 decimals in bohr: cell good to ~15 × 5e-7 bohr
    np.testing.assert_allclose(grid.cell, H2_CELL, atol=1e-5)
    np.testing.assert_array_equal(grid.numbers, [1, 1])
    # pp.x wraps the atom at the origin to a1 + a2 + a3
    np.testing.assert_allclose(grid.positions[0], H2_CELL.sum(axis=0), atol=1e-5)
    np.testing.assert_allclose(grid.positions[1], [0.74, 0.4, 3.4], atol=1e-5)
    # first and last values as printed (Ry); the last i3 run of each (i1, i2) row is 6 + 6 + 3 values
    assert grid.data[0, 0, 0] == -7.4163
    assert grid.data[0, 0, 14] == -4.8186
    assert grid.data[0, 1, 0] == -5.1411
    # index order: the deepest potential is on an atom (grid point 0 is on the atom at the origin)
    low = np.unravel_index(np.argmin(grid.data), grid.data.shape)
    distance = min(minimum_image_distances(grid.data.shape, grid.cell, p)[low] for p in grid.positions)
    assert distance < 0.3


@pytest.mark.parametrize('shape', [(4, 5, 6), (3, 3, 7), (2, 2, 2)])
def test_cube_round_trip(tmp_path, shape):
    rng = np.random.default_rng(0)
    data = rng.normal(size=shape) * 10.0 ** rng.integers(-3, 3, size=shape)
    positions = rng.uniform(0, 3, size=(3, 3))
    path = tmp_path / 'x.cube'
    write_cube(path, data, TRICLINIC, numbers=[1, 16, 57], positions=positions, origin=[0.1, 0.2, 0.3])
    grid = parse_cube(path)
    # values written with 6 significant digits (%.5E)
    np.testing.assert_allclose(grid.data, data, rtol=5e-6, atol=0)
    # lengths written with 6 decimals in bohr
    atol = 1e-6 * BOHR_TO_ANGSTROM * max(shape)
    np.testing.assert_allclose(grid.cell, TRICLINIC, atol=atol)
    np.testing.assert_allclose(grid.positions, positions, atol=1e-6)
    np.testing.assert_allclose(grid.origin, [0.1, 0.2, 0.3], atol=1e-6)
    np.testing.assert_array_equal(grid.numbers, [1, 16, 57])


def test_cube_in_angstrom_and_fortran_exponents():
    text = 'c1\nc2\n 0 0 0 0\n -2 1.5 0 0\n -2 0 1.5 0\n -2 0 0 1.5\n1.0D+00 2 3 4 5 6 7 8.0d0\n'
    grid = parse_cube(text)
    np.testing.assert_allclose(grid.cell, np.eye(3) * 3.0)
    np.testing.assert_allclose(grid.data.ravel(), np.arange(1, 9))


def header(natoms=0, sizes=(2, 2, 2)):
    lines = ['c1', 'c2', f'{natoms} 0 0 0'] + [
        f'{n} {1.0 * (k == 0)} {1.0 * (k == 1)} {1.0 * (k == 2)}' for k, n in enumerate(sizes)
    ]
    return '\n'.join(lines) + '\n'


@pytest.mark.parametrize(
    ('text', 'match'),
    [
        ('', 'at least 6 header lines'),
        (header() + '1 2 3', 'needs 8 values, found 3'),
        (header() + '1 2 3 4 5 6 7 8 9', 'needs 8 values, found 9'),
        (header() + '1 2 3 x 5 6 7 8', 'not a number'),
        (header() + '1 2 3 nan 5 6 7 8', 'non-finite'),
        (header(sizes=(2, 0, 2)) + '1', 'non-zero'),
        (header(sizes=(2, -2, 2)) + '1', 'mix bohr'),
        (header(natoms=-1) + '1', 'orbital'),
        (header(natoms=3) + '1 1 0 0 0\n', 'atom'),
        ('c1\nc2\n0 0 0\n2 1 0 0\n2 0 1 0\n2 0 0 1\n', 'origin'),
        ('c1\nc2\n0 0 0 0\n2 1 0 0\n2 1 0 0\n2 0 0 1\n1 2 3 4 5 6 7 8', 'singular'),
    ],
)
def test_malformed_cube(text, match):
    with pytest.raises(ParsingError, match=match):
        parse_cube(text)


def test_parsing_error_has_line():
    with pytest.raises(ParsingError) as info:
        parse_cube('c1\nc2\n0 0 0 0\n2 1 0 0\n2 0 1 0\nx 0 0 1\n')
    assert info.value.line == 6


VALID = format_cube(np.arange(8.0).reshape(2, 2, 2), np.eye(3) * 2.0, numbers=[1], positions=[[0.5, 0.5, 0.5]])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_fuzz_random_text_only_parsing_error(text):
    try:
        parse_cube(text)
    except ParsingError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(VALID) - 1), st.integers(0, len(VALID)), st.text(max_size=20))
def test_fuzz_mutated_valid_file_only_parsing_error(start, length, insert):
    """Splice random text into a valid file: parse or raise ParsingError, nothing else."""
    mutated = VALID[:start] + insert + VALID[start + length :]
    try:
        grid = parse_cube(mutated)
    except ParsingError:
        return
    assert grid.data.ndim == 3


def test_xsf_general_grid(tmp_path):
    rng = np.random.default_rng(1)
    rigid = rng.normal(size=(4, 5, 3))
    norm = np.abs(rng.normal(size=(4, 5, 3)))
    path = tmp_path / 'enatom.xsf'
    write_xsf(path, {'rigid': rigid, 'backflow_norm': norm}, TRICLINIC, numbers=[1], positions=[[0.1, 0.2, 0.3]])
    text = path.read_text()
    assert 'BEGIN_DATAGRID_3D_rigid' in text
    assert '\n5 6 4\n' in text  # repeated boundary points: n + 1 per axis
    grids = parse_xsf_grids(path)
    # %.8E: 9 significant digits
    np.testing.assert_allclose(grids['rigid'], rigid, rtol=1e-8)
    np.testing.assert_allclose(grids['backflow_norm'], norm, rtol=1e-8)
    # first index fastest: the second number of the data is grid point (1, 0, 0)
    data_start = text.index('BEGIN_DATAGRID_3D_rigid')
    values = text[data_start:].splitlines()[6].split()
    np.testing.assert_allclose(float(values[1]), rigid[1, 0, 0], rtol=1e-8)
    np.testing.assert_allclose(float(values[4]), rigid[0, 0, 0], rtol=1e-8)  # repeated point i1 = 4 ≡ 0
    # the spanning vectors are the full lattice vectors
    span = np.array([[float(x) for x in line.split()] for line in text[data_start:].splitlines()[3:6]])
    np.testing.assert_allclose(span, TRICLINIC, atol=1e-10)


def test_xsf_errors():
    with pytest.raises(ValueError, match='spaces'):
        format_xsf({'a b': np.zeros((2, 2, 2))}, np.eye(3))
    with pytest.raises(ParsingError, match='not terminated'):
        parse_xsf_grids('BEGIN_DATAGRID_3D_x\n2 2 2\n')
    bad = format_xsf({'x': np.arange(8.0).reshape(2, 2, 2)}, np.eye(3)).replace('0.00000000E+00', '9.0E+00', 1)
    with pytest.raises(ParsingError, match='periodic images'):
        parse_xsf_grids(bad)

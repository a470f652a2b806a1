"""ph.x dynamical-matrix files: real values from QE 6.7 (MgH) and QE 6.0 (Al, AlAs); malformed input → ParsingError."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiida_enatom.constants import BOHR_TO_ANGSTROM, CM1_TO_MEV, RY_TO_MEV
from aiida_enatom.exceptions import ParsingError
from aiida_enatom.io.qe_dyn import parse_dyn0, parse_dyn_file

FIXTURES = Path(__file__).parents[1] / 'fixtures' / 'qe'
MGH = FIXTURES / 'elph_mgh_rocksalt'
REF = FIXTURES / 'ph_reference_qe60'
DYN2 = (MGH / 'alh.dyn2').read_text()
#: Ry/bohr² → eV/Å².
RY_BOHR2 = RY_TO_MEV * 1e-3 / BOHR_TO_ANGSTROM**2


def _ph_out_frequencies(block: int) -> np.ndarray:
    """cm⁻¹ values of the ``block``-th (0-based) "Diagonalizing" section of the MgH ph.x stdout."""
    text = (MGH / 'ph.out').read_text().split('Diagonalizing the dynamical matrix')[block + 1]
    return np.array([float(x) for x in re.findall(r'freq \(\s*\d+\) =\s*\S+ \[THz\] =\s*(\S+) \[cm-1\]', text)[:6]])


def test_mgh_header_and_geometry():
    dyn = parse_dyn_file(MGH / 'alh.dyn2')
    alat = 7.40 * BOHR_TO_ANGSTROM
    assert dyn.title == 'phonons of rocksalt AlH'
    assert dyn.ibrav == 2 and dyn.species == ('Mg', 'H') and dyn.n_atoms == 2
    np.testing.assert_allclose(dyn.alat_angstrom, alat)
    # ph.in amass 24.305 / 1.008; the file has them × amu_ry (QE's 911.444…).
    np.testing.assert_allclose(dyn.masses_amu, [24.305, 1.008], rtol=1e-9)
    np.testing.assert_allclose(dyn.cell, np.array([[-0.5, 0, 0.5], [0, 0.5, 0.5], [-0.5, 0.5, 0]]) * alat)
    np.testing.assert_allclose(dyn.positions, [[0, 0, 0], [0.5 * alat, 0, 0]])


def test_mgh_star_and_matrix_values():
    dyn = parse_dyn_file(MGH / 'alh.dyn2')
    # The L star: 4 matrices; q as written (2π/alat) and in reduced coordinates.
    np.testing.assert_allclose(dyn.q_points[0], [0.5, -0.5, 0.5])
    np.testing.assert_allclose(dyn.q_points[3], [0.5, -0.5, -0.5])
    assert dyn.matrices.shape == (4, 6, 6)
    np.testing.assert_allclose(np.abs(dyn.q_points_reduced), 0.5 * (np.abs(dyn.q_points_reduced) > 0.25))
    np.testing.assert_allclose(dyn.q_points_per_angstrom[0], np.array([0.5, -0.5, 0.5]) * 2 * np.pi / dyn.alat_angstrom)
    # Block (1,1) row 1 of the first matrix: 0.22872567 0 -0.09184796 0 0.09184796 0 (Ry/bohr²).
    np.testing.assert_allclose(dyn.matrices[0, 0, :3].real, np.array([0.22872567, -0.09184796, 0.09184796]) * RY_BOHR2)
    # Block (2,2) row 2, column 3 of the last matrix: 0.00403791.
    np.testing.assert_allclose(dyn.matrices[3, 4, 5].real, 0.00403791 * RY_BOHR2)
    np.testing.assert_allclose(dyn.diagonal_q_point, dyn.q_points[0])


def test_mgh_frequencies_match_ph_stdout():
    for iq in (1, 2, 3):
        dyn = parse_dyn_file(MGH / f'alh.dyn{iq}')
        np.testing.assert_allclose(dyn.frequency_mev, _ph_out_frequencies(iq - 1) * CM1_TO_MEV, rtol=0, atol=1e-9)
    dyn = parse_dyn_file(MGH / 'alh.dyn2')
    assert dyn.frequency_mev[5] == pytest.approx(880.109818 * CM1_TO_MEV, abs=1e-9)
    np.testing.assert_allclose(dyn.frequency_mev[5], 26.385029 * 4.135667696, rtol=1e-6)  # the THz column


def test_displacements_are_patterns_and_eigenvectors_orthonormal():
    gamma = parse_dyn_file(MGH / 'alh.dyn1')
    # Printed vectors are displacement patterns: at Γ the acoustic modes move both atoms equally, and the optical
    # mode has u_Mg/u_H = −M_H/M_Mg (printed: 0.032682 / −0.788070).
    np.testing.assert_allclose(gamma.displacements[:3, 0], gamma.displacements[3:, 0], atol=5e-5)
    np.testing.assert_allclose(gamma.displacements[0, 3].real, 0.032682)
    np.testing.assert_allclose(gamma.displacements[0, 3] / gamma.displacements[3, 3], -1.008 / 24.305, rtol=2e-4)
    for iq in (1, 2, 3):
        e = parse_dyn_file(MGH / f'alh.dyn{iq}').eigenvectors
        np.testing.assert_allclose(e.conj().T @ e, np.eye(6), atol=1e-5)


def test_reference_al_and_gzip():
    dyn = parse_dyn_file(REF / 'al.dyn7')
    assert dyn.n_atoms == 1 and dyn.matrices.shape == (3, 3, 3) and dyn.species == ('Al',)
    np.testing.assert_allclose(dyn.q_points, [[0, -1, 0], [-1, 0, 0], [0, 0, -1]])
    dyn = parse_dyn_file(REF / 'al.dyn5.gz')
    assert dyn.matrices.shape == (24, 3, 3)
    grid = parse_dyn0(REF / 'al.dyn0')
    assert grid.grid == (4, 4, 4) and grid.q_points.shape == (8, 3)
    np.testing.assert_allclose(grid.q_points[4], [0.75, -0.25, 0.75])
    grid = parse_dyn0(MGH / 'alh.dyn0')
    assert grid.grid == (2, 2, 2) and grid.q_points.shape == (3, 3)


def test_insulator_sections():
    dyn = parse_dyn_file(REF / 'alas.dyn1')
    np.testing.assert_allclose(np.diag(dyn.dielectric_tensor), 13.744216097853)
    np.testing.assert_allclose(dyn.born_charges[0], np.eye(3) * 1.882645103587, atol=1e-12)
    np.testing.assert_allclose(dyn.born_charges[1, 1, 1], -3.233740772498)
    raman = parse_dyn_file(REF / 'alas.dynG')
    np.testing.assert_allclose(raman.born_charges[0, 0, 0], 2.141758532033)
    np.testing.assert_allclose(raman.frequency_mev[3], 353.012218 * CM1_TO_MEV)
    assert parse_dyn_file(MGH / 'alh.dyn1').dielectric_tensor is None


def test_ibrav_zero_gives_the_same_cell():
    lines = DYN2.splitlines()
    lines[2] = lines[2].replace('  2   2   7.4', '  2   0   7.4')
    vectors = ['Basis vectors', '   -0.5 0.0 0.5', '    0.0 0.5 0.5', '   -0.5 0.5 0.0']
    dyn0 = parse_dyn_file('\n'.join(lines[:3] + vectors + lines[3:]))
    dyn2 = parse_dyn_file(DYN2)
    assert dyn0.ibrav == 0
    np.testing.assert_allclose(dyn0.cell, dyn2.cell)
    np.testing.assert_allclose(dyn0.q_points_reduced, dyn2.q_points_reduced)


def test_fused_fixed_point_fields():
    # f12.8 leaves no blank before a value ≤ −10: the 8 decimals still separate the fields.
    lines = DYN2.splitlines()
    row = lines.index('    1    1') + 1
    lines[row] = '  0.22872567   0.00000000-12.34567890   0.00000000     0.09184796   0.00000000'
    dyn = parse_dyn_file('\n'.join(lines))
    np.testing.assert_allclose(dyn.matrices[0, 0, 1].real, -12.3456789 * RY_BOHR2)


def _mutated(old: str, new: str, count: int = 1) -> str:
    assert old in DYN2
    return DYN2.replace(old, new, count)


@pytest.mark.parametrize(
    ('text', 'line', 'message'),
    [
        ('', 1, 'end of file'),
        ('Dynamical matrix\n', 1, 'Dynamical matrix file'),
        (_mutated("  'H   '", '  H   '), 5, 'label'),
        (_mutated('    1    2\n', '    1    3\n'), 17, 'block header'),
        (_mutated('-0.09184796   0.00000000     0.09184796', '-0.0918x796   0.00000000     0.09184796'), 14, 'numbers'),
        (_mutated('8.177650 [THz]', '8.277650 [THz]'), 98, 'disagree'),
        (_mutated('freq (    2)', 'freq (    3)'), 101, 'expected mode 2'),
        (
            _mutated(
                '     Diagonalizing the dynamical matrix\n\n     q = (    0.500000000',
                '     Diagonalizing the dynamical matrix\n\n     q = (    0.700000000',
            ),
            95,
            'not one of',
        ),
        (DYN2 + 'garbage\n', 117, 'unexpected content'),
        (_mutated('     Diagonalizing', '     Polarizing'), 93, 'Diagonalizing'),
    ],
)
def test_malformed_reports_line(text, line, message):
    with pytest.raises(ParsingError, match=message) as info:
        parse_dyn_file(text, 'dyn')
    assert info.value.filename == 'dyn'
    assert info.value.line == line


@pytest.mark.parametrize('cut', [1, 2, 3, 5, 7, 12, 15, 40, 88, 92, 95, 111])
def test_truncated_reports_line(cut):
    text = '\n'.join(DYN2.splitlines()[:cut])
    with pytest.raises(ParsingError) as info:
        parse_dyn_file(text)
    assert info.value.line is not None and info.value.line >= 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 112), st.sampled_from(['', 'x', '1', '*', '-', ' ', '(', '\n']), st.integers(0, 80))
def test_fuzz_mutations_raise_only_parsing_error(line, replacement, column):
    lines = DYN2.splitlines()
    target = lines[line]
    lines[line] = target[:column] + replacement + target[column + 1 :]
    try:
        parse_dyn_file('\n'.join(lines))
    except ParsingError:
        pass


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_text_raises_only_parsing_error(text):
    with pytest.raises(ParsingError):
        parse_dyn_file(text)
    with pytest.raises(ParsingError):
        parse_dyn0('x' + text)

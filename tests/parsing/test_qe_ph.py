"""ph.x per-q el-ph files (elph.inp_lambda, a2Fq2r): real values, located errors, fuzz."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiida_enatom.constants import AMU_TO_ME, CM1_TO_MEV, RY_TO_MEV, THZ_TO_MEV
from aiida_enatom.exceptions import ParsingError
from aiida_enatom.io.qe_ph import parse_a2fq2r, parse_elph_lambda

FIXTURES = Path(__file__).parents[1] / 'fixtures' / 'qe'
MGH = FIXTURES / 'elph_mgh_rocksalt'
REF = FIXTURES / 'ph_reference_qe60' / 'elph_dir'
LAMBDA2 = (MGH / 'elph_dir' / 'elph.inp_lambda.2').read_text()
GAMMA2 = (MGH / 'elph_dir' / 'a2Fq2r.51.2').read_text()
#: Γ file unit → meV·amu with the π/2 folded in.
GAMMA_UNIT = 0.5 * np.pi * RY_TO_MEV / (AMU_TO_ME / 2)


def test_elph_lambda_mgh_values():
    data = parse_elph_lambda(MGH / 'elph_dir' / 'elph.inp_lambda.2')
    np.testing.assert_allclose(data.q_point, [0.5, -0.5, 0.5])
    np.testing.assert_allclose(data.smearing_ry, 0.005 * np.arange(1, 11))
    assert data.ngauss == 0 and data.coupling_lambda.shape == (10, 6)
    np.testing.assert_allclose(data.dos_ef_per_mev[0], 4.218224 / RY_TO_MEV)
    np.testing.assert_allclose(data.fermi_energy_mev[9], 8253.072)
    np.testing.assert_allclose(data.coupling_lambda[0, 3], 0.0232)
    np.testing.assert_allclose(data.linewidth_mev[1, 4], 396.47e-3 * THZ_TO_MEV)
    # ω from the printed ω² (Ry²) agrees with the cm⁻¹ of the dyn file to the 6 significant digits of ω².
    np.testing.assert_allclose(data.frequency_mev[5], 880.109818 * CM1_TO_MEV, rtol=1e-6)


def test_elph_lambda_matches_ph_stdout():
    # ph.x prints the same block on stdout (second q-point); every λ/γ pair in the file is there, in order.
    stdout = (MGH / 'ph.out').read_text()
    printed = re.findall(r'lambda\(\s*\d+\)=\s*(\S+)\s+gamma=\s*(\S+) GHz', stdout)[60:120]
    data = parse_elph_lambda(LAMBDA2)
    np.testing.assert_allclose(data.coupling_lambda.ravel(), [float(p[0]) for p in printed])
    np.testing.assert_allclose(data.linewidth_mev.ravel(), [float(p[1]) * THZ_TO_MEV * 1e-3 for p in printed])


def test_elph_lambda_reference_al_and_wrapped_omega2():
    data = parse_elph_lambda(REF / 'elph.inp_lambda.7')
    np.testing.assert_allclose(data.q_point, [0, -1, 0])
    assert data.frequency_mev.shape == (3,) and data.coupling_lambda.shape == (10, 3)
    # ω² wrapped over two lines (6 per line) is read as one list.
    lines = LAMBDA2.splitlines()
    values = lines[1].split()
    wrapped = '\n'.join([lines[0], ' '.join(values[:4]), ' '.join(values[4:]), *lines[2:]])
    np.testing.assert_allclose(parse_elph_lambda(wrapped).frequency_mev, parse_elph_lambda(LAMBDA2).frequency_mev)


def test_elph_lambda_overflow_is_nan():
    text = LAMBDA2.replace('lambda(    4)=  0.0232   gamma=   51.78', 'lambda(    4)=********   gamma=********', 1)
    data = parse_elph_lambda(text)
    assert np.isnan(data.coupling_lambda[0, 3]) and np.isnan(data.linewidth_mev[0, 3])
    assert np.isfinite(data.coupling_lambda[0, 4])


def test_a2fq2r_mgh_values():
    star = parse_a2fq2r(MGH / 'elph_dir' / 'a2Fq2r.51.2')
    assert star.smearing_ry == 0.005
    np.testing.assert_allclose(star.fermi_energy_mev, 0.59638995626242197 * RY_TO_MEV)
    np.testing.assert_allclose(star.dos_ef_per_mev, 4.2182241559384588 / RY_TO_MEV)
    assert star.q_points.shape == (4, 3) and star.gamma_mev_amu.shape == (4, 6, 6)
    np.testing.assert_allclose(star.q_points[2], [-0.5, -0.5, -0.5])
    np.testing.assert_allclose(
        star.gamma_mev_amu[0, 0, :3].real, np.array([0.00215193, -0.00128905, 0.00128905]) * GAMMA_UNIT
    )
    np.testing.assert_allclose(star.gamma_mev_amu[0, 4, 5].real, 0.00289735 * GAMMA_UNIT)
    explicit = parse_a2fq2r(GAMMA2, n_atoms=2)
    np.testing.assert_array_equal(explicit.gamma_mev_amu, star.gamma_mev_amu)


def test_a2fq2r_reference_al_gzip():
    star = parse_a2fq2r(REF / 'a2Fq2r.51.5.gz')
    assert star.gamma_mev_amu.shape == (24, 3, 3)
    assert parse_a2fq2r(REF / 'a2Fq2r.55.7').smearing_ry == 0.025


@pytest.mark.parametrize(
    ('text', 'line', 'message'),
    [
        ('', 1, 'end of file'),
        (LAMBDA2.replace('    10     6', '    10     5', 1), 1, 'nsig/3nat'),
        (LAMBDA2.replace('ngauss=   0', 'ngauss=   1', 2), 19, 'ngauss changes'),
        (LAMBDA2.replace('DOS =  4.218224', 'DOS =  4.2x8224', 1), 4, 'DOS'),
        (LAMBDA2.replace('lambda(    2)', 'lambda(    3)', 1), 6, 'expected mode 2'),
        ('\n'.join(LAMBDA2.splitlines()[:-1]), 82, 'end of file'),
        (LAMBDA2 + 'junk\n', 83, 'unexpected content'),
    ],
)
def test_elph_lambda_malformed_reports_line(text, line, message):
    with pytest.raises(ParsingError, match=message) as info:
        parse_elph_lambda(text, 'lam')
    assert (info.value.filename, info.value.line) == ('lam', line)


@pytest.mark.parametrize(
    ('text', 'n_atoms', 'line', 'message'),
    [
        ('', None, 1, 'end of file'),
        (GAMMA2.replace('           4\n', '           5\n', 1), None, 4, 'declares 5 matrices, found 4'),
        (GAMMA2, 3, 16, 'block header'),
        (GAMMA2.replace('0.00630769', '0.0063O769', 1), None, 21, 'numbers'),
        (GAMMA2 + '\n   1   2\n', None, 88, 'unexpected content'),
        ('1 1 1\n 1\n nothing\n', None, 3, 'infer the number of atoms'),
    ],
)
def test_a2fq2r_malformed_reports_line(text, n_atoms, line, message):
    with pytest.raises(ParsingError, match=message) as info:
        parse_a2fq2r(text, n_atoms, 'g')
    assert (info.value.filename, info.value.line) == ('g', line)


@pytest.mark.parametrize('cut', [1, 2, 3, 5, 9, 30, 60, 81])
def test_elph_lambda_truncated(cut):
    with pytest.raises(ParsingError) as info:
        parse_elph_lambda('\n'.join(LAMBDA2.splitlines()[:cut]))
    assert info.value.line is not None


@pytest.mark.parametrize('cut', [1, 2, 4, 8, 20, 50, 70, 85])
def test_a2fq2r_truncated(cut):
    with pytest.raises(ParsingError) as info:
        parse_a2fq2r('\n'.join(GAMMA2.splitlines()[:cut]))
    assert info.value.line is not None


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 81), st.sampled_from(['', 'x', '9', '*', '-', ' ', '=', '\n']), st.integers(0, 60))
def test_fuzz_elph_lambda_mutations(line, replacement, column):
    lines = LAMBDA2.splitlines()
    lines[line] = lines[line][:column] + replacement + lines[line][column + 1 :]
    try:
        parse_elph_lambda('\n'.join(lines))
    except ParsingError:
        pass


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 85), st.sampled_from(['', 'x', '9', '*', '-', ' ', '\n']), st.integers(0, 80))
def test_fuzz_a2fq2r_mutations(line, replacement, column):
    lines = GAMMA2.splitlines()
    lines[line] = lines[line][:column] + replacement + lines[line][column + 1 :]
    try:
        parse_a2fq2r('\n'.join(lines))
    except ParsingError:
        pass


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_text(text):
    with pytest.raises(ParsingError):
        parse_elph_lambda(text)
    with pytest.raises(ParsingError):
        parse_a2fq2r(text)

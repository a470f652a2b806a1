"""lambda.x parsers on real QE 6.7 runs (fcc Al, q 2×2×2 own run and q 4×4×4 reference el-ph data)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aiida_enatom.constants import MEV_TO_K, THZ_TO_MEV
from aiida_enatom.exceptions import ParsingError
from aiida_enatom.io.qe_lambda_x import (
    parse_alpha2f_dat,
    parse_lambda_dat,
    parse_lambda_x_input,
    parse_lambda_x_output,
)
from aiida_enatom.numerics.moments import moments
from aiida_enatom.numerics.tc import mcmillan_tc

RUNS = ['qe/al_q222_qe67/lambda_x', 'qe/al_q444_qe60_reference/lambda_x']


def test_output_q444(fixtures_path, data_regression):
    out = parse_lambda_x_output(fixtures_path / RUNS[1] / 'lambda.out')
    assert len(out.entries) == 10
    entry = out.entry(2)
    assert (entry.degauss_ry, entry.coupling_lambda, entry.coupling_lambda_a2f) == (0.010, 0.434902, 0.434966)
    assert (entry.omega_log_k, entry.dos_ef, entry.tc_k) == (352.761, 1.881761, 2.310)
    data_regression.check([entry.__dict__ for entry in out.entries])


def test_output_overflowed_tc_is_nan(fixtures_path):
    """At λ = 0.018 the McMillan denominator is negative and lambda.x prints ``*********``."""
    out = parse_lambda_x_output(fixtures_path / RUNS[0] / 'lambda.out')
    assert math.isnan(out.entry(1).tc_k)
    assert mcmillan_tc(out.entry(1).coupling_lambda, out.entry(1).omega_log_k / MEV_TO_K, 0.10) == 0.0
    assert out.entry(2).tc_k == 0.002


@pytest.mark.parametrize('run', RUNS)
def test_lambda_dat_matches_stdout(fixtures_path, run):
    out = parse_lambda_x_output(fixtures_path / run / 'lambda.out')
    dat = parse_lambda_dat(fixtures_path / run / 'lambda.dat')
    for printed, written in zip(out.entries, dat.entries, strict=True):
        assert written.tc_k is None
        assert (written.degauss_ry, written.coupling_lambda, written.coupling_lambda_a2f) == (
            printed.degauss_ry,
            printed.coupling_lambda,
            printed.coupling_lambda_a2f,
        )
        assert (written.omega_log_k, written.dos_ef) == (printed.omega_log_k, printed.dos_ef)


def test_input(fixtures_path):
    inp = parse_lambda_x_input(fixtures_path / RUNS[1] / 'lambda.in')
    assert (inp.emax_thz, inp.degauss_q_thz, inp.ngauss_q, inp.mu_star) == (12.0, 0.12, 0, 0.10)
    assert inp.weights.tolist() == [1, 8, 4, 6, 24, 12, 3, 6]
    assert inp.qpoints.shape == (8, 3) and inp.qpoints[4].tolist() == [0.75, -0.25, 0.75]
    assert inp.files == tuple(f'elph.inp_lambda.{n}' for n in range(1, 9))


def test_alpha2f_dat(fixtures_path, num_regression):
    table = parse_alpha2f_dat(fixtures_path / RUNS[0] / 'alpha2F.dat')
    assert table.degauss_ry == pytest.approx([0.005 * n for n in range(1, 11)])
    assert table.spectra.shape == (10, 200)
    # lambda.x's grid (QE 6.7): 200 points from 0 to emax = 12 THz, rebuilt exactly from the f8.4 column
    np.testing.assert_allclose(table.frequency_mev, np.linspace(0, 12, 200) * THZ_TO_MEV, rtol=1e-12)
    num_regression.check({'frequency_mev': table.frequency_mev[::5], 'degauss_0.015': table.spectra[2, ::5]})


@pytest.mark.parametrize('run', RUNS)
@pytest.mark.parametrize('index', range(1, 11))
def test_moments_reproduce_lambda_x(fixtures_path, run, index):
    """Our moments of alpha2F.dat reproduce lambda.x's own integral λ_a2F and ω_log.

    lambda.x sums α²F/ω over its uniform grid from the second point (rectangles); the trapezoid differs by half
    the last point, where α²F = 0. The remaining difference is the f10.5 printing of α²F (1e-5 absolute) and of
    λ (1e-6) and ω_log (1e-3 K); lambda.x's 1 THz = 47.9924 K is within 1e-6 of CODATA.
    """
    entry = parse_lambda_x_output(fixtures_path / run / 'lambda.out').entry(index)
    result = moments(parse_alpha2f_dat(fixtures_path / run / 'alpha2F.dat').to_alpha2f(index))
    assert result.coupling_lambda == pytest.approx(entry.coupling_lambda_a2f, rel=2e-5, abs=2e-6)
    assert result.omega_log * MEV_TO_K == pytest.approx(entry.omega_log_k, rel=1e-5, abs=2e-3)


@pytest.mark.parametrize('run', RUNS)
def test_printed_tc_is_mcmillan(fixtures_path, run):
    """The table's T_c is McMillan's formula (ω_log form) of the printed λ (the q-sum) and ω_log, μ* from input."""
    mu_star = parse_lambda_x_input(fixtures_path / run / 'lambda.in').mu_star
    for entry in parse_lambda_x_output(fixtures_path / run / 'lambda.out').entries:
        expected = mcmillan_tc(entry.coupling_lambda, entry.omega_log_k / MEV_TO_K, mu_star)
        if math.isnan(entry.tc_k):
            assert expected == 0.0
        else:
            assert entry.tc_k == pytest.approx(expected, abs=6e-4)


def test_failures(fixtures_path):
    failures = fixtures_path / 'qe/failures'
    with pytest.raises(ParsingError, match='1 rows but there are 10') as info:
        parse_lambda_x_output(failures / 'lambda_x_truncated.out')
    assert info.value.line == 12
    with pytest.raises(ParsingError, match='no "lambda = …" lines') as info:
        parse_lambda_x_output(failures / 'lambda_x_missing_file' / 'lambda.out')
    assert info.value.line == 1
    with pytest.raises(ParsingError, match='6 values, expected 11') as info:
        parse_alpha2f_dat(failures / 'alpha2F.dat_truncated')
    assert info.value.line == 28
    with pytest.raises(ParsingError, match='header'):
        parse_lambda_dat(failures / 'garbage.txt')
    with pytest.raises(ParsingError, match='ends early'):
        parse_lambda_x_input('12.0 0.12 0\n2\n0 0 0 1\n')


def test_qe_error_block_is_reported():
    text = (
        '\n %%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%\n'
        '     Error in routine lambda (50):\n     wrong/too many gauss.broad.\n'
    )
    with pytest.raises(ParsingError, match=r'wrong/too many gauss\.broad\.') as info:
        parse_lambda_x_output(text)
    assert info.value.line == 3


def test_alpha2f_dat_wraps_more_than_ten_broadenings():
    """With more than 10 broadenings lambda.x's formats continue header and rows on the next line (built here)."""
    degauss = [0.005 * n for n in range(1, 13)]
    lines = ['# E(THz)' + ''.join(f'{value:10.3f}' for value in degauss[:10])]
    lines.append(''.join(f'{value:10.3f}' for value in degauss[10:]))
    for energy in (0.0, 0.5, 1.0):
        values = [energy * n for n in range(1, 13)]
        lines.append(f'{energy:8.4f}' + ''.join(f'{value:10.5f}' for value in values[:10]))
        lines.append(''.join(f'{value:10.5f}' for value in values[10:]))
    table = parse_alpha2f_dat('\n'.join(lines))
    assert table.degauss_ry == pytest.approx(degauss)
    assert table.spectra.shape == (12, 3)
    assert table.spectra[11].tolist() == [0.0, 6.0, 12.0]

"""Column files with explicit units (Nb from IsoME, La from Elk), format detection and ``read_alpha2f``."""

from __future__ import annotations

import numpy as np
import pytest

from aiida_enatom.constants import HA_TO_MEV, MEV_TO_K, THZ_TO_MEV
from aiida_enatom.exceptions import InputValidationError, ParsingError
from aiida_enatom.io.alpha2f import detect_format, read_alpha2f
from aiida_enatom.io.columns import parse_columns
from aiida_enatom.numerics.moments import moments
from aiida_enatom.numerics.tc import allen_dynes_tc

NB = 'reference/Nb.a2F.xz'
ELK = 'reference/elk_ALPHA2F.OUT'


def test_nb_columns(fixtures_path):
    data = parse_columns(fixtures_path / NB, unit='THz')
    assert data.n_columns == 20
    assert data.frequency_mev.shape == (2000,)
    assert data.column_values == pytest.approx([0.005 * n for n in range(1, 21)])
    assert data.frequency_mev[1] == pytest.approx(4.0020010005002498e-3 * THZ_TO_MEV, rel=1e-14)
    assert data.spectra[0, 0] == 7.5782468833821427e-9


def test_nb_lambda_and_omega_log_are_plausible(fixtures_path):
    """bcc Nb: λ = 1.20–1.41 at smearings 0.005–0.025, 0.94–0.98 from 0.05 on; ω_log = 156–159 K."""
    data = parse_columns(fixtures_path / NB, unit='THz')
    lambdas, omega_logs = [], []
    for index in range(1, 21):
        result = moments(data.to_alpha2f(index))
        lambdas.append(result.coupling_lambda)
        omega_logs.append(result.omega_log * MEV_TO_K)
    assert all(1.0 < value < 1.5 for value in lambdas[:5])
    assert all(0.9 < value < 1.5 for value in lambdas)
    assert all(0.93 < value < 0.98 for value in lambdas[9:])
    assert all(150.0 < value < 165.0 for value in omega_logs)
    assert lambdas[1] == pytest.approx(1.4059, abs=1e-4)  # σ = 0.010: the largest
    same = read_alpha2f(fixtures_path / NB, unit='THz', smearing_index=2)
    assert moments(same).coupling_lambda == lambdas[1]


def test_elk_matches_elk_own_numbers(fixtures_path):
    """Elk's ELIASHBERG.OUT for this ALPHA2F.OUT (miicck/eliashberg, elk/): λ = 3.30625952302329,
    ω_log = 2.784494124347733e-3 Ha, ω_rms = 3.990839795527629e-3 Ha, T_c = 208.638799077484 K (Allen–Dynes with
    f₁f₂, μ* = 0.15). Our trapezoid moments agree to 1e-10; the tolerance leaves room for summation order only."""
    spectrum = read_alpha2f(fixtures_path / ELK, unit='Ha')
    result = moments(spectrum)
    assert result.coupling_lambda == pytest.approx(3.30625952302329, rel=1e-8)
    assert result.omega_log / HA_TO_MEV == pytest.approx(2.784494124347733e-3, rel=1e-8)
    assert result.omega_2 / HA_TO_MEV == pytest.approx(3.990839795527629e-3, rel=1e-8)
    tc = allen_dynes_tc(result.coupling_lambda, result.omega_log, result.omega_2, 0.15)
    assert tc == pytest.approx(208.638799077484, rel=1e-7)


@pytest.mark.parametrize('unit', ['Ha', 'hartree', 'HA'])
def test_unit_spellings(fixtures_path, unit):
    data = parse_columns(fixtures_path / ELK, unit=unit)
    assert data.unit == 'Ha'
    assert data.frequency_mev[0] == pytest.approx(4.99402e-06 * HA_TO_MEV)


def test_wrong_unit_lists_valid_units(fixtures_path):
    with pytest.raises(InputValidationError, match='valid units are: meV, eV, THz, cm-1, K, Ry, Ha'):
        parse_columns(fixtures_path / ELK, unit='GHz')
    with pytest.raises(InputValidationError, match='valid units are'):
        read_alpha2f(fixtures_path / ELK, unit='hz')


def test_header_unit_must_agree(fixtures_path):
    with pytest.raises(ParsingError, match="header names the unit 'THz'") as info:
        parse_columns(fixtures_path / NB, unit='meV')
    assert info.value.line == 1


def test_column_failures(fixtures_path):
    with pytest.raises(ParsingError, match='first row') as info:
        parse_columns('0.1 1.0\n0.2 2.0\n0.3\n', 'a.dat', unit='meV')
    assert (info.value.filename, info.value.line) == ('a.dat', 3)
    with pytest.raises(ParsingError, match='increase strictly') as info:
        parse_columns('# w a2f\n0.1 1.0\n0.1 2.0\n', unit='meV')
    assert info.value.line == 3
    with pytest.raises(ParsingError, match='no data rows'):
        parse_columns(fixtures_path / 'qe/failures/empty', unit='meV')


@pytest.mark.parametrize(
    ('path', 'expected'),
    [
        ('qe/al_q222_qe67/a2F.dos1', 'matdyn'),
        ('qe/al_q444_qe60_reference/a2F.dos10', 'matdyn'),
        ('qe/al_q222_qe67/lambda_x/alpha2F.dat', 'lambda_x'),
        (ELK, 'columns'),
        (NB, 'columns'),
    ],
)
def test_detect_format(fixtures_path, path, expected):
    assert detect_format(fixtures_path / path) == expected


def test_detect_format_failures(fixtures_path):
    for name in ('empty', 'garbage.txt', 'garbage.bin'):
        with pytest.raises(ParsingError) as info:
            detect_format(fixtures_path / 'qe/failures' / name)
        assert info.value.line == 1


def test_read_alpha2f_each_format(fixtures_path):
    matdyn = read_alpha2f(fixtures_path / 'qe/al_q222_qe67/a2F.dos4')
    assert matdyn.label == 'matdyn a2F.dos4'
    lambda_x = read_alpha2f(fixtures_path / 'qe/al_q222_qe67/lambda_x/alpha2F.dat', smearing_index=4)
    assert 'degauss=0.02' in lambda_x.label
    # the same physics by two routes (tetrahedra on the interpolated 10³ mesh vs Gaussians on 3 q-points)
    assert moments(matdyn).coupling_lambda == pytest.approx(0.3996, abs=1e-4)
    assert moments(lambda_x).coupling_lambda == pytest.approx(0.3287, abs=1e-4)
    elk = read_alpha2f(str(fixtures_path / ELK), fmt='columns', unit='Ha')
    np.testing.assert_allclose(elk.frequency[:2], np.array([4.99402e-06, 1.498235e-05]) * HA_TO_MEV)


def test_read_alpha2f_argument_errors(fixtures_path):
    path = fixtures_path / 'qe/al_q222_qe67/a2F.dos4'
    with pytest.raises(InputValidationError, match='unknown format'):
        read_alpha2f(path, fmt='epw')
    with pytest.raises(InputValidationError, match='frequencies in Ry'):
        read_alpha2f(path, fmt='matdyn', unit='THz')
    with pytest.raises(InputValidationError, match='explicit unit'):
        read_alpha2f(fixtures_path / ELK, fmt='columns')
    with pytest.raises(InputValidationError, match='1-based'):
        read_alpha2f(path, smearing_index=0)


def test_read_alpha2f_content_errors(fixtures_path, tmp_path):
    with pytest.raises(ParsingError, match='frequencies in Ry'):
        read_alpha2f(fixtures_path / 'qe/al_q222_qe67/a2F.dos4', unit='meV')
    with pytest.raises(ParsingError, match=r'read a2F\.dos5'):
        read_alpha2f(fixtures_path / 'qe/al_q222_qe67/a2F.dos4', smearing_index=5)
    with pytest.raises(ParsingError, match=r'holds 20 spectra; choose smearing_index among 1 \(0.005\)'):
        read_alpha2f(fixtures_path / NB, unit='THz')
    with pytest.raises(ParsingError, match='explicit unit'):
        read_alpha2f(fixtures_path / ELK)
    with pytest.raises(ParsingError, match='cannot read file'):
        read_alpha2f(fixtures_path / 'does-not-exist')
    only_negative = tmp_path / 'negative.dat'
    only_negative.write_text('-2.0 0.1\n-1.0 0.2\n0.0 0.0\n')
    with pytest.raises(ParsingError, match=r'not a valid α²F spectrum: .*ω > 0') as info:
        read_alpha2f(only_negative, unit='meV')
    assert info.value.filename == str(only_negative)
    all_imaginary = fixtures_path / 'qe/al_q222_qe67_unstable/a10/a2F.dos1'
    with pytest.raises(ParsingError, match='not a valid α²F spectrum'):
        read_alpha2f(all_imaginary)
    unstable = read_alpha2f(fixtures_path / 'qe/al_q222_qe67_unstable/a9/a2F.dos1')
    assert unstable.weight_nonpositive > 1.0

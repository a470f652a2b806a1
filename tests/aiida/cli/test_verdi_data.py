"""``verdi data enatom show|export|plot`` through verdi itself: output, files, and one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from aiida import orm
from aiida.cmdline.commands.cmd_verdi import verdi
from click.testing import CliRunner

from aiida_enatom.data.alpha2f import Alpha2FData
from aiida_enatom.io.columns import parse_columns
from aiida_enatom.numerics import Alpha2F, moments

SMEARINGS = [0.005, 0.01, 0.015]


def _spectra():
    """Three smearings of a two-peak model: S–S at 50 meV, H–H at 150 meV (height 1 + index), an H–S cross term."""
    frequency = np.linspace(-5.0, 200.0, 83)
    spectra = []
    for index in range(len(SMEARINGS)):
        hh = np.exp(-(((frequency - 150.0) / 20.0) ** 2)) * (1 + index)
        ss = np.exp(-(((frequency - 50.0) / 10.0) ** 2))
        hs = 0.1 * ss
        partials = {'H-H': hh, 'H-S': hs, 'S-S': ss, 'H': hh + hs / 2, 'S': ss + hs / 2}
        spectra.append(Alpha2F(frequency, hh + hs + ss, partials, f'sigma {index}'))
    return spectra


@pytest.fixture(scope='module')
def alpha2f_node(aiida_profile):
    node = Alpha2FData()
    node.set_from(_spectra(), SMEARINGS)
    return node.store()


def _verdi(*args):
    return CliRunner().invoke(verdi, ['data', 'enatom', *map(str, args)], catch_exceptions=True)


def _assert_clean_failure(result, *fragments):
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert 'Traceback' not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith(('Critical:', 'Error:'))]
    assert len(lines) == 1, result.output
    for fragment in fragments:
        assert fragment in lines[0], result.output


def test_group_is_registered():
    result = CliRunner().invoke(verdi, ['data', '--help'])
    assert result.exit_code == 0
    assert 'enatom' in result.output.split()


def test_show_table(alpha2f_node):
    result = _verdi('show', alpha2f_node.pk)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f'Alpha2FData<{alpha2f_node.pk}> {alpha2f_node.uuid}'
    assert '83 points, -5.000 .. 200.000 meV' in result.output
    assert 'H-H, H-S, S-S, H, S' in result.output
    header = next(line for line in lines if 'sigma (Ry)' in line)
    assert header.split()[-1] == 'lambda[S]'
    table = lines[lines.index(header) + 1 :][:3]
    expected = [moments(spectrum).coupling_lambda for spectrum in _spectra()]
    for row, sigma, lam in zip(table, SMEARINGS, expected, strict=True):
        assert row.split()[1] == f'{sigma:.4f}'
        assert row.split()[2] == f'{lam:.4f}'
    # the spectrum is zero at ω < 0 here, so there is no imaginary-mode warning
    assert 'Warning' not in result.output


def test_show_json(alpha2f_node):
    result = _verdi('show', alpha2f_node.pk, '--json')
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary['pk'] == alpha2f_node.pk
    assert summary['n_points'] == 83
    assert summary['partial_keys'] == ['H-H', 'H-S', 'S-S', 'H', 'S']
    assert [row['smearing_Ry'] for row in summary['smearings']] == SMEARINGS
    for row, spectrum in zip(summary['smearings'], _spectra(), strict=True):
        reference = moments(spectrum)
        assert row['lambda'] == pytest.approx(reference.coupling_lambda, rel=1e-12)
        assert row['area_meV'] == pytest.approx(reference.area, rel=1e-12)
        # the species-pair partials partition λ
        pairs = sum(row['lambda_partials'][key] for key in ('H-H', 'H-S', 'S-S'))
        assert pairs == pytest.approx(row['lambda'], rel=1e-12)
    # λ_HH grows with the H–H height (1, 2, 3), λ_SS does not
    lambda_hh = [row['lambda_partials']['H-H'] for row in summary['smearings']]
    np.testing.assert_allclose(np.array(lambda_hh) / lambda_hh[0], [1.0, 2.0, 3.0], rtol=1e-12)


def test_show_warns_about_imaginary_modes_and_undefined_moments(aiida_profile):
    """Weight at ω < 0 (5 % of the area) is reported; a smearing without coupling shows n/a and why, no crash."""
    frequency = np.linspace(-20.0, 100.0, 121)
    peak = np.exp(-(((frequency - 60.0) / 8.0) ** 2))
    unstable = Alpha2F(frequency, peak + 0.05 * np.exp(-(((frequency + 10.0) / 3.0) ** 2)) * 8.0 / 3.0)
    empty = Alpha2F(frequency, np.zeros_like(frequency))
    node = Alpha2FData()
    node.set_from([unstable, empty], [0.01, 0.02])
    node.store()
    result = _verdi('show', node.pk)
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith('Warning:')]
    assert len(warnings) == 2, result.output
    assert warnings[0].startswith('Warning: smearing 0: weight')
    assert '(5.0% of the area)' in warnings[0]
    assert warnings[1].startswith('Warning: smearing 1: λ = 0 ≤ 0')
    row = next(line for line in result.output.splitlines() if line.split()[:2] == ['1', '0.0200'])
    assert row.split()[2:] == ['n/a', 'n/a', 'n/a']
    summary = json.loads(_verdi('show', node.pk, '--json').output)
    assert summary['smearings'][1]['lambda'] is None
    assert summary['smearings'][0]['weight_nonpositive_meV'] == pytest.approx(0.05 * 8.0 * np.sqrt(np.pi), rel=1e-3)


def test_export_dat_round_trip(alpha2f_node, tmp_path):
    path = tmp_path / 'a2f.dat'
    result = _verdi('export', alpha2f_node.pk, '-o', path, '--smearing-index', 1)
    assert result.exit_code == 0, result.output
    assert 'Success' in result.output
    text = path.read_text()
    assert f'pk={alpha2f_node.pk}' in text
    assert 'sigma = 0.01 Ry' in text
    assert text.splitlines()[2].split() == ['#', 'omega', '(meV)', 'alpha2F', 'H-H', 'H-S', 'S-S', 'H', 'S']
    parsed = parse_columns(path, unit='meV')
    reference = _spectra()[1]
    assert parsed.n_columns == 6
    np.testing.assert_allclose(parsed.frequency_mev, reference.frequency, rtol=1e-7)
    np.testing.assert_allclose(parsed.spectra[0], reference.spectrum, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(parsed.spectra[4], reference.partials['H'], rtol=1e-7, atol=1e-12)
    # an existing file is not replaced without --overwrite
    _assert_clean_failure(_verdi('export', alpha2f_node.pk, '-o', path), 'exists', '--overwrite')
    assert _verdi('export', alpha2f_node.pk, '-o', path, '--overwrite').exit_code == 0
    assert 'sigma = 0.005 Ry' in path.read_text()


def test_export_json(alpha2f_node, tmp_path):
    path = tmp_path / 'a2f.json'  # the suffix picks the format
    result = _verdi('export', alpha2f_node.pk, '-o', path, '-s', 2)
    assert result.exit_code == 0, result.output
    content = json.loads(path.read_text())
    reference = _spectra()[2]
    assert content['smearing_Ry'] == 0.015
    assert content['label'] == 'sigma 2'
    np.testing.assert_array_equal(content['alpha2f'], reference.spectrum)
    np.testing.assert_array_equal(content['partials']['H-S'], reference.partials['H-S'])
    forced = tmp_path / 'forced.txt'
    assert _verdi('export', alpha2f_node.pk, '-o', forced, '--format', 'json').exit_code == 0
    assert json.loads(forced.read_text())['smearing_index'] == 0


@pytest.mark.parametrize('partials', [False, True])
def test_plot(alpha2f_node, tmp_path, partials):
    path = tmp_path / 'a2f.png'
    result = _verdi('plot', alpha2f_node.pk, '-o', path, *(['--partials'] if partials else []))
    assert result.exit_code == 0, result.output
    assert path.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert path.stat().st_size > 5000


def test_plot_partials_without_partials(aiida_profile, tmp_path):
    node = Alpha2FData()
    node.set_from([Alpha2F(np.linspace(0.0, 10.0, 5), np.ones(5))], [0.02])
    node.store()
    _assert_clean_failure(_verdi('plot', node.pk, '-o', tmp_path / 'x.png', '--partials'), 'no partial spectra')
    assert not (tmp_path / 'x.png').exists()


@pytest.mark.parametrize('command', ['show', 'export', 'plot'])
def test_wrong_node_type(aiida_profile, tmp_path, command):
    other = orm.Int(5).store()
    extra = [] if command == 'show' else ['-o', tmp_path / 'out.png']
    result = _verdi(command, other.pk, *extra)
    _assert_clean_failure(result, str(other.pk))


@pytest.mark.parametrize('command', ['show', 'export', 'plot'])
def test_missing_pk(aiida_profile, tmp_path, command):
    missing = orm.QueryBuilder().append(orm.Node, project='id').all(flat=True)
    pk = max(missing) + 1000
    extra = [] if command == 'show' else ['-o', tmp_path / 'out.png']
    _assert_clean_failure(_verdi(command, pk, *extra), str(pk))


@pytest.mark.parametrize('command', ['export', 'plot'])
def test_smearing_index_out_of_range(alpha2f_node, tmp_path, command):
    result = _verdi(command, alpha2f_node.pk, '-o', tmp_path / 'out.png', '--smearing-index', 3)
    _assert_clean_failure(result, '--smearing-index 3', '3 smearing(s), valid 0..2')
    assert not (tmp_path / 'out.png').exists()

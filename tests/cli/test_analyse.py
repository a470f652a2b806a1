"""``aiida-enatom analyse`` runs without any AiiDA profile: checked in subprocesses with an empty AIIDA_PATH."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from aiida_enatom.constants import MEV_TO_K, THZ_TO_MEV

REQUIRED_A2F_KEYS = {
    'lambda',
    'omega_log_meV',
    'omega_1_meV',
    'omega_2_meV',
    'area_meV',
    'tc_mcmillan_K',
    'tc_allen_dynes_K',
    'tc_leavens_carbotte_K',
    'tc_eliashberg_K',
    'mu_star',
}


def run_cli(*args: str, aiida_path: pathlib.Path) -> subprocess.CompletedProcess:
    """Run ``aiida-enatom ARGS`` in a fresh interpreter whose AiiDA configuration folder has no profile."""
    env = {**os.environ, 'AIIDA_PATH': str(aiida_path)}
    command = [sys.executable, '-c', 'from aiida_enatom.cli import cmd_root; cmd_root()', *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False, timeout=120)


@pytest.fixture
def einstein_file(tmp_path) -> pathlib.Path:
    """A two-column file in THz: a Gaussian at 15 THz (62.04 meV) with λ = 2."""
    nu = np.linspace(0.05, 25.0, 1000)
    width, centre, coupling = 0.4, 15.0, 2.0
    a2f = 0.5 * coupling * centre * np.exp(-0.5 * ((nu - centre) / width) ** 2) / (np.sqrt(2 * np.pi) * width)
    path = tmp_path / 'einstein.dat'
    np.savetxt(path, np.column_stack([nu, a2f]), header='nu (THz)  a2F')
    return path


def test_a2f_json_without_profile(einstein_file, tmp_path):
    result = run_cli('analyse', 'a2f', str(einstein_file), '--unit', 'THz', '--json', aiida_path=tmp_path / 'aiida')
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert REQUIRED_A2F_KEYS <= set(data)
    # Einstein spectrum: λ as built (to σ²/ω_E² ≈ 7e-4), ω_log ≈ ω_E in meV after the THz conversion
    np.testing.assert_allclose(data['lambda'], 2.0, rtol=2e-3)
    np.testing.assert_allclose(data['omega_log_meV'], 15.0 * THZ_TO_MEV, rtol=2e-3)
    np.testing.assert_allclose(data['tc_leavens_carbotte_K'], 0.148 * data['area_meV'] * MEV_TO_K, rtol=1e-12)
    assert 0 < data['tc_mcmillan_K'] < data['tc_allen_dynes_K'] < data['tc_eliashberg_K']
    for config in (tmp_path / 'aiida').rglob('config.json'):  # no profile was needed nor created
        assert not json.loads(config.read_text()).get('profiles')


def test_a2f_table_and_plot(einstein_file, tmp_path):
    plot = tmp_path / 'a2f.png'
    result = run_cli(
        'analyse', 'a2f', str(einstein_file), '--unit', 'THz', '--plot', str(plot), aiida_path=tmp_path / 'aiida'
    )
    assert result.returncode == 0, result.stderr
    assert 'T_c isotropic Eliashberg' in result.stdout
    assert plot.stat().st_size > 10_000


def test_derivative_json(einstein_file, tmp_path):
    result = run_cli(
        'analyse', 'derivative', str(einstein_file), '--unit', 'THz', '--json', aiida_path=tmp_path / 'aiida'
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {'tc_K', 'omega_meV', 'dtc_da2f_K_per_meV', 'peak_omega_over_kTc'} <= set(data)
    assert len(data['omega_meV']) == len(data['dtc_da2f_K_per_meV']) > 100
    assert data['tc_K'] > 0


@pytest.mark.parametrize(
    ('args', 'message'),
    [
        (['--unit', 'THz', '--mu-star', '0.6'], 'mu-star'),
        (['--unit', 'THz', '--mu-star', '-0.1'], 'mu-star'),
        (['--unit', 'THz', '--cutoff-factor', '-3'], 'cutoff-factor'),
        (['--unit', 'furlongs'], 'furlongs'),
        (['--unit', 'THz', '--mu-star-convention', 'epw'], 'mu-star-convention'),
    ],
)
def test_bad_options_give_one_clear_line(einstein_file, tmp_path, args, message):
    result = run_cli('analyse', 'a2f', str(einstein_file), *args, aiida_path=tmp_path / 'aiida')
    assert result.returncode != 0
    assert message in result.stderr
    assert 'Traceback' not in result.stderr


def test_unreadable_files(tmp_path):
    missing = run_cli('analyse', 'a2f', str(tmp_path / 'nope.dat'), '--unit', 'meV', aiida_path=tmp_path / 'aiida')
    assert missing.returncode != 0 and 'nope.dat' in missing.stderr and 'Traceback' not in missing.stderr
    garbage = tmp_path / 'garbage.dat'
    garbage.write_text('this is not\na spectrum\n')
    bad = run_cli('analyse', 'a2f', str(garbage), '--unit', 'meV', aiida_path=tmp_path / 'aiida')
    assert bad.returncode != 0 and 'garbage.dat' in bad.stderr and 'Traceback' not in bad.stderr


def test_real_matdyn_file_agrees_with_qe_closing_lambda(fixtures_path, tmp_path):
    """On matdyn's own a2F.dos5 (QE 6.7, fcc Al) λ matches the λ matdyn printed at the end of that file."""
    from aiida_enatom.io.qe_matdyn import parse_a2f_dos

    path = fixtures_path / 'qe' / 'al_q222_qe67' / 'a2F.dos5'
    result = run_cli('analyse', 'a2f', str(path), '--json', aiida_path=tmp_path / 'aiida')
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    # matdyn's closing λ is a midpoint sum over the same bins: agreement to 1e-5 (see docs/parsers.md)
    np.testing.assert_allclose(data['lambda'], parse_a2f_dos(path).lambda_qe, rtol=1e-5)
    assert data['tc_eliashberg_K'] > data['tc_allen_dynes_K'] > 0


def test_mu_star_convention_on_isome_nb(fixtures_path, tmp_path):
    """IsoME's Nb (column 15) at μ* = 0.12 applied at a 5 ω_max cutoff (EPW's convention): 10.35 K, recorded."""
    path = fixtures_path / 'reference' / 'Nb.a2F.xz'
    args = ['--unit', 'THz', '--smearing-index', '15', '--mu-star', '0.12', '--json']
    result = run_cli(
        'analyse',
        'a2f',
        str(path),
        *args,
        '--mu-star-convention',
        'cutoff',
        '--cutoff-factor',
        '5',
        aiida_path=tmp_path / 'aiida',
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data['mu_star_convention'] == 'cutoff' and data['mu_star_cutoff'] == 0.12
    assert data['tc_eliashberg_K'] == pytest.approx(10.346, abs=1e-3)
    assert data['tc_bound_leavens_K'] == pytest.approx(0.2309 * data['area_meV'] * MEV_TO_K, rel=1e-12)
    derivative = run_cli('analyse', 'derivative', str(path), *args, aiida_path=tmp_path / 'aiida')
    assert json.loads(derivative.stdout)['mu_star_convention'] == 'ten_omega_max'
    assert json.loads(derivative.stdout)['tc_K'] == pytest.approx(10.691, abs=1e-3)


def test_cli_conventions_are_the_solver_conventions():
    from aiida_enatom.cli.analyse import MU_STAR_CONVENTIONS
    from aiida_enatom.numerics.eliashberg import MU_STAR_CONVENTIONS as SOLVER

    assert MU_STAR_CONVENTIONS == tuple(SOLVER)


def test_closed_pipe_is_quiet(tmp_path):
    """``aiida-enatom campaign validate FILE | head -1``: the reader closes the pipe early; no traceback per line.

    aiida-core's echo writes through logging, which by default prints a "Logging error" traceback for every write to
    a closed pipe; the root command turns that off.
    """
    workflows = pathlib.Path(__file__).resolve().parents[2] / 'workflows'
    env = {**os.environ, 'AIIDA_PATH': str(tmp_path)}
    command = [sys.executable, '-c', 'from aiida_enatom.cli import cmd_root; cmd_root()']
    proc = subprocess.Popen(
        [*command, 'campaign', 'validate', str(workflows / 'small-cells.yaml')],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    proc.stdout.close()  # as `head` does after its lines: every write of the command meets a closed pipe
    stderr = proc.stderr.read()
    assert proc.wait(timeout=120) == 0
    assert 'Traceback' not in stderr and 'Logging error' not in stderr, stderr

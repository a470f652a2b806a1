"""``analyse`` warns when a column file's frequencies are implausible for phonons in the unit given (a THz file as meV).

λ does not depend on the frequency unit (λ = 2∫α²F/ω dω), so only ω_max can reveal a wrong ``--unit``.
"""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from aiida_enatom.cli.analyse import cmd_analyse
from aiida_enatom.constants import FREQUENCY_UNITS_TO_MEV
from aiida_enatom.io.alpha2f import PLAUSIBLE_OMEGA_MAX_MEV, implausible_frequencies
from aiida_enatom.numerics.spectra import Alpha2F


def _write(path, omega_max: float, peak: float) -> None:
    omega = np.linspace(omega_max / 60, omega_max, 60)
    np.savetxt(path, np.column_stack([omega, 0.8 * np.exp(-0.5 * ((omega - peak) / (0.15 * omega_max)) ** 2)]))


@pytest.fixture
def aluminium_in_thz(tmp_path):
    """An Al-like α²F in THz (ω_max 10 THz = 41 meV) without a header naming the unit."""
    path = tmp_path / 'al.dat'
    _write(path, 10.0, 7.0)
    return path


@pytest.mark.parametrize('command', ['a2f', 'derivative'])
def test_thz_file_read_as_mev_warns_and_names_thz(aluminium_in_thz, command):
    result = CliRunner().invoke(cmd_analyse, [command, str(aluminium_in_thz), '--unit', 'meV'])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith('Warning:')]
    assert len(warnings) == 1, result.output
    assert 'highest frequency is 10 meV' in warnings[0] and 'below the 20-400 meV' in warnings[0]
    assert 'if the file is in THz (ω_max 41.36 meV), pass that --unit' in warnings[0]


def test_same_file_with_the_right_unit_is_quiet(aluminium_in_thz):
    result = CliRunner().invoke(cmd_analyse, ['a2f', str(aluminium_in_thz), '--unit', 'THz'])
    assert result.exit_code == 0, result.output
    assert 'Warning' not in result.output and 'highest frequency' not in result.output


def test_cm1_file_read_as_mev_warns_above(tmp_path):
    path = tmp_path / 'h.dat'
    _write(path, 2000.0, 1200.0)  # a hydride in cm-1 (ω_max 248 meV)
    result = CliRunner().invoke(cmd_analyse, ['a2f', str(path), '--unit', 'meV'])
    assert result.exit_code == 0, result.output
    assert 'above the 20-400 meV' in result.output and 'cm-1 (ω_max 248 meV)' in result.output


@pytest.mark.parametrize(
    ('omega_max_mev', 'unit', 'warned'),
    [(9.0, 'meV', True), (19.9, 'meV', True), (20.0, 'meV', False), (250.0, 'meV', False), (400.1, 'meV', True)],
)
def test_threshold(omega_max_mev, unit, warned):
    omega = np.linspace(omega_max_mev / 50, omega_max_mev, 50)
    spectrum = Alpha2F(omega, np.full_like(omega, 0.1))
    assert (implausible_frequencies(spectrum, unit) is not None) is warned
    assert PLAUSIBLE_OMEGA_MAX_MEV == (20.0, 400.0)


def test_message_gives_omega_max_in_the_unit_read():
    omega = np.linspace(0.1, 3.0, 30) * FREQUENCY_UNITS_TO_MEV['THz']  # 3 THz read as THz: 12.4 meV (like Pb)
    message = implausible_frequencies(Alpha2F(omega, np.full_like(omega, 0.1)), 'THz')
    assert message.startswith('the highest frequency is 12.41 meV (3 THz), below')

"""The validation package without QE: cases, pw.x input and run plumbing, the comparisons, the report."""

from __future__ import annotations

import math
import stat
from pathlib import Path

import numpy as np
import pytest

from aiida_enatom.exceptions import ConvergenceError
from aiida_enatom.numerics.eos import birch_murnaghan_energy
from aiida_enatom.pseudos.validate import (
    CRYSTALS,
    PwError,
    compare_atom_levels,
    cutoff_differences,
    cutoff_ladder,
    elements_needed,
    eos_result,
    format_row,
    format_table,
    run_pw,
)
from aiida_enatom.pseudos.validate.__main__ import translate_legacy_arguments
from aiida_enatom.pseudos.validate.atom import occupied_ae_levels
from aiida_enatom.pseudos.validate.crystals import cutoff_system, h3s, hcp
from aiida_enatom.pseudos.validate.pw import write_pw_input


@pytest.fixture
def validation_dir(fixtures_path):
    return fixtures_path / 'qe' / 'pseudo_validation'


@pytest.fixture
def fake_pw(tmp_path):
    """Return ``make(output_file)``: a fake pw.x that saves its stdin to tmp_path/stdin.txt and prints the file."""

    def make(output_file):
        script = tmp_path / 'fake_pw.x'
        script.write_text(f"#!/bin/sh\ncat > '{tmp_path / 'stdin.txt'}'\ncat '{output_file}'\n")
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
        return str(script)

    return make


# ----- cases -------------------------------------------------------------------------------------------------------
def test_elements_needed_adds_the_partners_of_the_test_crystals():
    assert elements_needed(['H']) == ['H', 'Li', 'S']  # LiH (lattice) and H3S (cutoffs)
    assert elements_needed(['H'], cutoffs=False) == ['H', 'Li']
    assert elements_needed(['H'], eos=False) == ['H', 'S']
    # S's cutoff test runs on its lattice crystal MgS, so Mg is needed even without the lattice test
    assert elements_needed(['S'], eos=False) == ['Mg', 'S']
    assert elements_needed(['Al'], eos=False, cutoffs=False) == ['Al']


def test_cutoff_system_falls_back_to_the_crystal_with_two_thirds_of_its_mesh():
    al = cutoff_system('Al')
    assert (al.label, al.a, al.kpoints, al.metal) == ('Al fcc', 4.050, (8, 8, 8), True)
    assert cutoff_system('H').build is h3s
    assert cutoff_system('Y').kpoints == (5, 5, 3)  # (8, 8, 5) * 2 // 3


def test_structures_have_the_textbook_volumes():
    assert abs(np.linalg.det(CRYSTALS['Al'].build(4.0)[0])) == pytest.approx(4.0**3 / 4)  # fcc: a³/4
    assert abs(np.linalg.det(CRYSTALS['Li'].build(3.0)[0])) == pytest.approx(3.0**3 / 2)  # bcc: a³/2
    cell, species, positions = hcp('Mg', 1.624)(3.0)
    assert abs(np.linalg.det(cell)) == pytest.approx(math.sqrt(3) / 2 * 3.0**2 * 1.624 * 3.0)
    assert species == ['Mg', 'Mg'] and positions.shape == (2, 3)
    cell, species, positions = h3s(3.09)
    assert species == ['S', 'H', 'H', 'H']
    # every H at a/2 from S along a cube axis (the symmetric H-S bond of Im-3m)
    assert np.linalg.norm(positions[1:] - positions[0], axis=1) == pytest.approx([3.09 / math.sqrt(2)] * 3)


# ----- pw.x input, run, parse ---------------------------------------------------------------------------------------
def test_pw_input_reproduces_the_stored_fixture(validation_dir):
    cell, species, positions = CRYSTALS['Li'].build(3.451)
    upfs = {'Li': Path('/tmp/pv/upf/Li.pbe-s-rrkjus_enatom.UPF')}  # the folder named in the fixture README
    text = write_pw_input(
        cell, species, positions, upfs, ecutwfc=20, ecutrho=160, kpoints=(4, 4, 4), smearing=True, stress=True
    )
    assert text == (validation_dir / 'pw_validation_li_bcc' / 'pw.in').read_text()


def test_pw_input_refuses_upfs_in_two_folders(tmp_path):
    cell, species, positions = CRYSTALS['H'].build(4.0)
    upfs = {'Li': tmp_path / 'a' / 'Li.UPF', 'H': tmp_path / 'b' / 'H.UPF'}
    with pytest.raises(ValueError, match='same folder'):
        write_pw_input(cell, species, positions, upfs, ecutwfc=20, ecutrho=160, kpoints=None)
    with pytest.raises(ValueError, match='no UPF file for Li'):
        write_pw_input(cell, species, positions, {'H': upfs['H']}, ecutwfc=20, ecutrho=160, kpoints=None)


def test_run_pw_feeds_the_input_and_parses_the_output(validation_dir, fake_pw, tmp_path):
    pw = fake_pw(validation_dir / 'pw_validation_h_atom' / 'pw.out')
    upfs = {'H': tmp_path / 'H.UPF'}
    result = run_pw(
        np.eye(3) * 6.0, ['H'], np.zeros((1, 3)), upfs, ecutwfc=20, ecutrho=160, kpoints=None, nbnd=5, pw=pw
    )
    assert result.energy_ry == -0.92003327 and result.pressure_gpa is None
    sent = (tmp_path / 'stdin.txt').read_text()
    assert 'K_POINTS gamma' in sent and 'nbnd=5' in sent and 'tstress=.true.' in sent


@pytest.mark.parametrize(
    ('case', 'error', 'match'),
    [
        ('pw_validation_unconverged', ConvergenceError, 'convergence NOT achieved'),
        ('pw_validation_missing_pseudo', PwError, 'readpp'),
    ],
)
def test_run_pw_failures(validation_dir, fake_pw, tmp_path, case, error, match):
    pw = fake_pw(validation_dir / case / 'pw.out')
    cell, species, positions = CRYSTALS['Li'].build(3.451)
    with pytest.raises(error, match=match):
        run_pw(cell, species, positions, {'Li': tmp_path / 'Li.UPF'}, ecutwfc=20, ecutrho=160, kpoints=(4, 4, 4), pw=pw)


def test_run_pw_missing_executable(tmp_path):
    with pytest.raises(PwError, match=r"'no-such-pw\.x' not found"):
        run_pw(
            np.eye(3), ['H'], np.zeros((1, 3)), {'H': tmp_path / 'H.UPF'}, ecutwfc=20, ecutrho=80, kpoints=None,
            pw='no-such-pw.x',
        )  # fmt: skip


def test_parser_agrees_with_aiida_quantumespresso(validation_dir):
    """Energy and pressure against aiida-quantumespresso's raw pw.x parser (it reads the Ry/bohr³ stress column)."""
    parse_raw = pytest.importorskip('aiida_quantumespresso.parsers.parse_raw.pw')
    from aiida_enatom.io.qe_pw import parse_pw_output

    for case in ('pw_validation_li_bcc', 'pw_validation_lih_insulator'):
        text = (validation_dir / case / 'pw.out').read_text()
        ours = parse_pw_output(text)
        theirs, logs = parse_raw.parse_stdout(text, {'CONTROL': {}})
        assert not logs.error
        # aiida-qe converts Ry to eV with qe-tools' older CODATA factor: compare in Ry, as printed
        ry_to_ev = pytest.importorskip('qe_tools').CONSTANTS.ry_to_ev
        assert ours.energy_ry == pytest.approx(theirs['trajectory']['energy'][-1] / ry_to_ev, rel=1e-14)
        pressure = np.trace(theirs['trajectory']['stress'][-1]) / 3  # GPa
        assert ours.pressure_gpa == pytest.approx(pressure, abs=5e-4)  # kbar printed with 2 decimals
        assert ours.nat == theirs['number_of_atoms']


# ----- comparisons ----------------------------------------------------------------------------------------------------
def test_occupied_levels_carry_their_degeneracy():
    rows = [('1S', 2.0, -3.8, -3.8), ('2S', 1.0, -0.2, -0.2), ('2P', 0.5, -0.1, -0.1), ('3D', 0.0, 0.1, 0.1)]
    assert occupied_ae_levels(rows) == [-3.8, -0.2, -0.1, -0.1, -0.1]


def test_atom_levels_alignment_by_hand():
    ae = [-1.0, -0.5, -0.5, -0.5]
    # pw = AE + 0.2 except one p level + 0.24; then an extra state at -1.4: shift = mean(+0.2 x3, +0.24, ...)
    pw = [-1.4, -0.8, -0.3, -0.3, -0.26, 0.5]
    check = compare_atom_levels(pw, ae)
    # lowest four pw levels vs AE: -1.4 - (-1.0) = -0.4, -0.8 + 0.5 = -0.3, +0.2, +0.2: mean -0.075
    assert check.shift == pytest.approx(-0.075)
    assert check.max_deviation == pytest.approx(0.325)  # |-0.4 + 0.075|
    assert check.ghosts == pytest.approx([-1.325])  # -1.4 + 0.075 < -1.0 - 0.1
    assert not check.ok


def test_atom_levels_clean_case():
    check = compare_atom_levels([-0.9, -0.4, -0.4, -0.4, 0.3], [-1.0, -0.5, -0.5, -0.5])
    assert check.shift == pytest.approx(0.1)
    assert check.max_deviation == pytest.approx(0.0, abs=1e-15)
    assert check.ghosts == [] and check.ok
    with pytest.raises(ValueError, match='fewer than the 4 occupied'):
        compare_atom_levels([-0.9, -0.4], [-1.0, -0.5, -0.5, -0.5])


def test_cutoff_differences_by_hand():
    delta_e, delta_p = cutoff_differences([-10.0031, -10.0012, -10.0], [3.5, 1.25, 1.0])
    assert delta_e == pytest.approx([-3.1, -1.2, 0.0])
    assert delta_p == pytest.approx([2.5, 0.25, 0.0])


def test_cutoff_ladder_from_the_recommended_cutoffs():
    from aiida_enatom.pseudos import recommended_cutoffs

    ladder, dual = cutoff_ladder('Al')
    normal = recommended_cutoffs('normal', ['Al'])['Al']
    assert dual == normal['cutoff_rho'] / normal['cutoff_wfc']
    assert ladder[-1] == 2 * normal['cutoff_wfc'] and normal['cutoff_wfc'] in ladder
    assert ladder == sorted(set(ladder))


def test_lattice_parameter_from_a_synthetic_eos():
    test = CRYSTALS['Al']
    a0 = 4.0  # 1.23 % below experiment
    v0 = a0**3 / 4
    volumes = list(np.linspace(0.9, 1.1, 7) * test.a_exp**3 / 4)
    energies = list(birch_murnaghan_energy(volumes, -57.3, v0, 80.0, 4.5))
    result = eos_result(test, volumes, energies)
    assert result.a0 == pytest.approx(a0, rel=1e-10)
    assert result.error_percent == pytest.approx(100 * (4.0 - 4.05) / 4.05, rel=1e-8)
    assert result.bulk_modulus == pytest.approx(80.0, rel=1e-8)
    assert result.b0_prime == pytest.approx(4.5, rel=1e-7)
    assert result.v0 == pytest.approx(v0, rel=1e-10)


# ----- report and old command line -----------------------------------------------------------------------------------
SUMMARY = {
    'element': 'Al',
    'ld1': {'max_abs_delta_e': 0.000123, 'bessel_ghosts': []},
    'atom': {'max_deviation': 0.0045, 'ghosts': [-2.0]},
    'eos': {'label': 'Al fcc', 'a0': 4.04, 'a_exp': 4.05, 'error_percent': -0.2469, 'bulk_modulus': 77.86},
}


def test_report_row_by_hand():
    assert format_row(SUMMARY) == (
        '| Al | 0.123 | 0 | 4.5 / 1 | Al fcc | 4.040 | 4.050 | -0.25 | 77.9 | — |'
    )  # fmt: skip
    no_eos = {key: value for key, value in SUMMARY.items() if key != 'eos'}
    assert format_row(no_eos) == '| Al | 0.123 | 0 | 4.5 / 1 | — | — | — | — | — | — |'


def test_report_cutoff_column_is_the_normal_cutoff():
    from aiida_enatom.pseudos import recommended_cutoffs

    normal = recommended_cutoffs('normal', ['Al'])['Al']['cutoff_wfc']
    cutoffs = {'ecutwfc': [normal / 2, normal, 2 * normal], 'delta_energy_mry_per_atom': [5.0, 0.456, 0.0]}
    cutoffs['delta_pressure_gpa'] = [2.0, -0.125, 0.0]
    assert format_row(SUMMARY | {'cutoffs': cutoffs}).endswith('| +0.46 / -0.12 |')
    table = format_table([SUMMARY, SUMMARY]).splitlines()
    assert len(table) == 4 and table[0].startswith('| element |') and table[1].startswith('|---|')


@pytest.mark.parametrize(
    ('argv', 'expected'),
    [
        (['--elements', 'H', 'S', '--json', 'x.json'], ['--json', 'x.json', 'H', 'S']),
        (['--no-eos', '--elements', 'La'], ['--no-eos', 'La']),
        (['Al', '--pw', 'pw.x'], ['Al', '--pw', 'pw.x']),
    ],
)
def test_legacy_elements_option(argv, expected):
    assert translate_legacy_arguments(argv) == expected

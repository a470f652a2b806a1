"""pw.x scf stdout parser on real QE 6.7 outputs (tests/fixtures/qe/pseudo_validation/README.md)."""

from __future__ import annotations

import pytest

from aiida_enatom.constants import RY_TO_EV
from aiida_enatom.exceptions import ConvergenceError, ParsingError
from aiida_enatom.io.qe_pw import PwError, parse_pw_output


@pytest.fixture
def validation_dir(fixtures_path):
    return fixtures_path / 'qe' / 'pseudo_validation'


def test_metal_with_stress(validation_dir):
    out = parse_pw_output(validation_dir / 'pw_validation_li_bcc' / 'pw.out')
    assert out.energy_ry == -14.75723744
    assert out.energy_ev == pytest.approx(-14.75723744 * RY_TO_EV, rel=1e-15)
    # "total   stress ... (kbar)     P=     -140.78": 1 GPa = 10 kbar
    assert out.pressure_gpa == pytest.approx(-14.078, abs=1e-12)
    assert out.nat == 1
    assert out.volume_bohr3 == 138.6761
    # first k-point only (Γ), printed in eV; the second k-point starts with -46.5921
    printed_ev = [-46.5900, -2.0887, 15.2263, 15.2263, 15.2263, 20.1594]
    assert [e * RY_TO_EV for e in out.eigenvalues_ry] == pytest.approx(printed_ev, abs=1e-12)


def test_insulator_layout(validation_dir):
    out = parse_pw_output(validation_dir / 'pw_validation_lih_insulator' / 'pw.out')
    assert (out.energy_ry, out.nat) == (-15.94939512, 2)
    assert out.pressure_gpa == pytest.approx(-12.42, abs=1e-12)
    assert [e * RY_TO_EV for e in out.eigenvalues_ry] == pytest.approx([-45.0980, -4.1006], abs=1e-12)


def test_atom_in_box_without_stress(validation_dir):
    out = parse_pw_output(validation_dir / 'pw_validation_h_atom' / 'pw.out')
    assert out.pressure_gpa is None
    assert out.energy_ry == -0.92003327
    assert [e * RY_TO_EV for e in out.eigenvalues_ry] == pytest.approx(
        [-6.4361, -0.4631, 2.2995, 2.2995, 2.2997], abs=1e-12
    )


def test_unconverged_scf_is_an_error(validation_dir):
    with pytest.raises(ConvergenceError, match='convergence NOT achieved'):
        parse_pw_output(validation_dir / 'pw_validation_unconverged' / 'pw.out')


def test_qe_error_banner_is_reported_on_one_line(validation_dir):
    with pytest.raises(PwError) as info:
        parse_pw_output(validation_dir / 'pw_validation_missing_pseudo' / 'pw.out')
    message = str(info.value)
    assert 'Error in routine readpp (1): file /usr/share/espresso/pseudo/Li.missing.UPF not found' in message
    assert '\n' not in message


def test_killed_run_without_final_energy(validation_dir):
    text = (validation_dir / 'pw_validation_li_bcc' / 'pw.out').read_text()
    truncated = text.split('!    total energy')[0]
    with pytest.raises(ParsingError, match=r'killed\.out: no final total energy'):
        parse_pw_output(truncated, filename='killed.out')


def test_touching_fixed_format_eigenvalues():
    text = (
        '     number of atoms/cell      =            1\n'
        '     End of self-consistent calculation\n\n'
        '          k = 0.0000 0.0000 0.0000 (   201 PWs)   bands (ev):\n\n'
        '  -110.1234-101.2345  -1.0000\n\n'
        '     the Fermi energy is     1.0735 ev\n\n'
        '!    total energy              =     -14.75723744 Ry\n'
    )
    out = parse_pw_output(text)
    assert [e * RY_TO_EV for e in out.eigenvalues_ry] == pytest.approx([-110.1234, -101.2345, -1.0], abs=1e-12)

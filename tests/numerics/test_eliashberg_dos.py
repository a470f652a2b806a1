"""Tests of the Eliashberg T_c with an energy-dependent electronic DOS N(ε) (numerics/eliashberg_dos.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import quad

from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.eliashberg import eliashberg_tc
from aiida_enatom.numerics.eliashberg_dos import dos_deviation, eliashberg_tc_dos, pairing_eigenvalue_dos
from aiida_enatom.numerics.spectra import Alpha2F

H3S = Path(__file__).parents[1] / 'fixtures' / 'reference' / 'h3s_quickstart_fast'
GRID = np.arange(-3000.0, 3000.0 + 1.0, 10.0)  # ε − E_F, meV


def spectrum() -> Alpha2F:
    """A Gaussian phonon peak at 60 meV (width 8 meV), λ ≈ 1.5: a small, fast matrix."""
    omega = np.linspace(0.0, 120.0, 241)
    values = np.exp(-0.5 * ((omega - 60.0) / 8.0) ** 2)
    values[(omega == 0.0) | (omega > 100.0)] = 0.0
    scale = 1.5 / (2.0 * np.trapezoid(values[1:] / omega[1:], omega[1:]))
    return Alpha2F(omega, scale * values)


def triangle(centre: float, half_width: float, height: float) -> np.ndarray:
    """N(ε)/N(0)-shaped profile 1 + height·max(0, 1 − |ε − centre|/half_width) on GRID (compact support)."""
    return 1.0 + height * np.clip(1.0 - np.abs(GRID - centre) / half_width, 0.0, None)


def solve(dos: np.ndarray, window: float = 600.0, **kwargs):
    return eliashberg_tc_dos(spectrum(), GRID, dos, mu_star=0.1, window_mev=window, **kwargs)


@pytest.mark.parametrize('window', [200.0, 2500.0])
def test_constant_dos_reproduces_the_constant_dos_solver(window):
    reference = eliashberg_tc(spectrum(), mu_star=0.1).tc_k
    result = solve(np.full(GRID.shape, 0.37), window=window)
    assert result.tc_k == pytest.approx(reference, rel=1e-9)
    assert result.tc_ratio == pytest.approx(1.0, rel=1e-9)
    assert result.chi0_mev == 0.0


def test_only_the_dos_ratio_enters():
    dos = triangle(80.0, 150.0, 0.8) * (1.0 + 0.2 * np.sin(GRID / 70.0))
    assert solve(3.7 * dos).tc_k == pytest.approx(solve(dos).tc_k, rel=1e-9)


def test_more_states_near_the_fermi_level_raise_tc():
    # λ and μ* are normalised by N(0): what counts is N(ε)/N(0) within a few phonon energies. E_F on a symmetric
    # peak (N(ε)/N(0) < 1 around it) lowers T_c; E_F in a symmetric dip (N(ε)/N(0) > 1 around it) raises it.
    flat = eliashberg_tc(spectrum(), mu_star=0.1).tc_k
    on_peak = solve(triangle(0.0, 200.0, 0.5)).tc_k
    in_dip = solve(triangle(0.0, 200.0, -0.5)).tc_k
    assert on_peak < 0.97 * flat
    assert in_dip > 1.03 * flat


def test_symmetric_dos_has_no_shift():
    dos = triangle(0.0, 200.0, 0.5)
    with_shift = solve(dos, include_shift=True)
    assert with_shift.chi0_mev == 0.0
    assert with_shift.tc_k == solve(dos, include_shift=False).tc_k


def test_mirrored_dos_gives_the_same_tc():
    # ε → −ε with χ → −χ maps the equations for N(ε) onto those for N(−ε): T_c is the same, χ changes sign.
    dos = triangle(120.0, 150.0, 0.9)
    right = solve(dos)
    left = solve(dos[::-1].copy())
    assert right.chi0_mev != 0.0
    assert left.tc_k == pytest.approx(right.tc_k, rel=1e-8)
    assert left.chi0_mev == pytest.approx(-right.chi0_mev, rel=1e-6)


def test_tc_is_independent_of_the_window_once_it_covers_the_structure():
    dos = triangle(100.0, 80.0, 0.6)  # N(ε) = N(0) outside 20–180 meV
    narrow = solve(dos, window=200.0).tc_k
    assert solve(dos, window=1500.0).tc_k == pytest.approx(narrow, rel=1e-9)
    assert solve(dos, window=100.0).tc_k != pytest.approx(narrow, rel=1e-4)  # a window that cuts the peak differs


def test_energy_integrals_against_quadrature():
    # Independent check of the analytic segment integrals (piecewise-linear g, shift χ ≠ 0) by adaptive quadrature.
    dos = triangle(50.0, 120.0, 0.7) * (1.0 + 0.3 * np.cos(GRID / 40.0))
    deviation = dos_deviation(GRID, dos, 300.0)
    scale = np.array([15.0, 80.0, 700.0])
    shift = np.array([-25.0, 10.0, 40.0])
    i0, i1 = deviation.integrals(scale, shift)

    def g(energy):
        return np.interp(energy, deviation.energy_mev, deviation.deviation)

    for c, chi, a, b in zip(scale, shift, i0, i1, strict=True):
        points = list(deviation.energy_mev)
        ref0 = quad(lambda e, c=c, chi=chi: g(e) / (c**2 + (e + chi) ** 2), -300.0, 300.0, points=points, limit=500)[0]
        ref1 = quad(
            lambda e, c=c, chi=chi: g(e) * (e + chi) / (c**2 + (e + chi) ** 2), -300.0, 300.0, points=points, limit=500
        )[0]
        assert a == pytest.approx(ref0, rel=1e-8, abs=1e-14)
        assert b == pytest.approx(ref1, rel=1e-8, abs=1e-12)


def test_eigenvalue_changes_sign_at_tc():
    dos = triangle(80.0, 150.0, 0.8)
    result = solve(dos)
    kwargs = {'mu_star': 0.1, 'window_mev': 600.0}
    assert pairing_eigenvalue_dos(spectrum(), GRID, dos, 0.99 * result.tc_k, **kwargs) > 0.0
    assert pairing_eigenvalue_dos(spectrum(), GRID, dos, 1.01 * result.tc_k, **kwargs) < 0.0


@pytest.mark.parametrize(
    ('energy', 'dos', 'window', 'match'),
    [
        (GRID, np.ones(GRID.size), 5000.0, 'not the window'),
        (GRID, -np.ones(GRID.size), 500.0, '≥ 0'),
        (GRID[::-1], np.ones(GRID.size), 500.0, 'increasing'),
        (GRID, np.where(np.abs(GRID) < 50.0, 0.0, 1.0), 500.0, 'no states'),
        (GRID, np.ones(GRID.size), 0.0, 'window_mev'),
    ],
)
def test_invalid_dos_is_rejected(energy, dos, window, match):
    with pytest.raises(InputValidationError, match=match):
        dos_deviation(energy, dos, window)


def test_h3s_200gpa_stored_dos():
    """H3S 200 GPa (fast quickstart): α²F and projwfc.x's DOS of the same point; numbers of docs/eliashberg.md."""
    a2f = np.loadtxt(H3S / 'alpha2f_200GPa.dat')
    dos = np.loadtxt(H3S / 'electronic_dos_200GPa.dat')
    header = (H3S / 'electronic_dos_200GPa.dat').read_text().splitlines()
    fermi = float(next(line for line in header if 'fermi_energy_eV' in line).split('=')[1].split()[0])
    result = eliashberg_tc_dos(
        Alpha2F(a2f[:, 0], a2f[:, 1]), (dos[:, 0] - fermi) * 1.0e3, dos[:, 1], mu_star=0.1, window_mev=500.0
    )
    assert result.tc_constant_dos_k == pytest.approx(232.11, abs=0.01)
    assert result.tc_k == pytest.approx(261.95, abs=0.05)


def test_metrics_of_a_coupling_too_weak_for_tc_are_storable():
    """λ ≈ 0.05: T_c is below the solver's floor with either DOS; no key is NaN (AiiDA refuses NaN in a Dict)."""
    import json
    import math

    from aiida_enatom.numerics.eliashberg_dos import eliashberg_dos_metrics

    base = spectrum()
    weak = Alpha2F(base.frequency, base.spectrum * (0.05 / 1.5))
    keys = eliashberg_dos_metrics(weak, GRID * 1e-3, triangle(0.0, 200.0, 0.5), 0.0, mu_star=0.1, window_mev=600.0)
    assert keys['tc_eliashberg_constant_dos_K'] == 0.0
    assert keys['tc_eliashberg_dos_ratio'] is None
    assert not any(isinstance(value, float) and not math.isfinite(value) for value in keys.values())
    json.dumps(keys, allow_nan=False)

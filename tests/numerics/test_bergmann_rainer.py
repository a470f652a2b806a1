"""Tests of the Bergmann–Rainer functional derivative δT_c/δα²F(Ω) and the analytic ∂ρ/∂T."""

from __future__ import annotations

import numpy as np
import pytest

from aiida_enatom.constants import K_TO_MEV
from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.bergmann_rainer import pairing_eigenvalue_temperature_derivative, tc_functional_derivative
from aiida_enatom.numerics.eliashberg import eliashberg_tc, pairing_eigenvalue
from aiida_enatom.numerics.spectra import Alpha2F
from tests.numerics.test_eliashberg import einstein_spike, hydride_like


def trapezoid_weights(omega):
    steps = np.diff(omega)
    weights = np.zeros_like(omega)
    weights[:-1] += 0.5 * steps
    weights[1:] += 0.5 * steps
    return weights


def box(height: float) -> Alpha2F:
    """α²F = height on [1, 100] meV (λ = 2·height·ln 100): a broad spectrum."""
    omega = np.linspace(0.0, 100.0, 1001)
    return Alpha2F(omega, np.where(omega >= 1.0, height, 0.0))


@pytest.fixture(scope='module')
def hydride():
    spectrum = hydride_like()
    return spectrum, tc_functional_derivative(spectrum, mu_star=0.1)


@pytest.mark.parametrize('index', [20, 200, 600, 1200, 1850])
def test_matches_finite_difference_of_one_grid_value(hydride, index):
    spectrum, derivative = hydride
    omega, a2f = spectrum.frequency, spectrum.spectrum
    weight = trapezoid_weights(omega)[index]
    eps = 1e-3 * max(a2f[index], 0.1)

    def tc(shift):
        changed = a2f.copy()
        changed[index] += shift
        return eliashberg_tc(Alpha2F(omega, changed), mu_star=0.1).tc_k

    finite = (tc(eps) - tc(-eps)) / (2 * eps * weight)
    # the grid point carries trapezoid weight t_j, so δT_c = D(ω_j) t_j ε. Central differences err by O(ε²)
    # (~1e-7 relative) and the root tolerance 1e-10·T_c over δT_c ~ 1e-4 K gives ~1e-7: measured ≤ 6e-7
    np.testing.assert_allclose(derivative.dtc_da2f_k_per_mev[index - 1], finite, rtol=1e-5)
    assert derivative.omega_mev[index - 1] == omega[index]  # default grid: ω > 0 points (ω₀ = 0 is dropped)


@pytest.mark.parametrize('centre', [12.3, 47.0, 131.7])
def test_matches_a_narrow_bump_between_grid_points(hydride, centre):
    spectrum, _ = hydride
    omega = spectrum.frequency
    width, area = 0.6, 2e-3  # meV; 4 grid spacings wide, area ≪ 𝒜 = 125 meV
    bump = area * np.exp(-0.5 * ((omega - centre) / width) ** 2) / (np.sqrt(2 * np.pi) * width)

    def tc(sign):
        return eliashberg_tc(Alpha2F(omega, spectrum.spectrum + sign * bump), mu_star=0.1).tc_k

    response = (tc(1) - tc(-1)) / (2 * area)
    analytic = tc_functional_derivative(spectrum, [centre], mu_star=0.1).dtc_da2f_k_per_mev[0]
    # a bump of width σ samples D(Ω) with an error (σ²/2)D''/D ~ 1e-4 at these Ω
    np.testing.assert_allclose(analytic, response, rtol=1e-3)


def test_proportional_to_omega_at_small_omega(hydride):
    spectrum, _ = hydride
    omega = np.array([0.0, 1e-3, 2e-3, 4e-3])
    values = tc_functional_derivative(spectrum, omega, mu_star=0.1).dtc_da2f_k_per_mev
    assert values[0] == 0.0
    # D(Ω) = Σ_k c_k 2Ω/(Ω² + ν_k²) with ν_k ≥ 2πk_BT_c ≈ 130 meV: linear up to (Ω/ν_1)² ~ 1e-9
    np.testing.assert_allclose(values[2:] / omega[2:], values[1] / omega[1], rtol=1e-8)
    assert values[1] > 0


@pytest.mark.parametrize(('spectrum', 'mu_star', 'measured'), [('box', 0.1, 7.79), ('hydride', 0.1, 7.21)])
def test_peak_near_seven_kTc(spectrum, mu_star, measured):
    spectrum = box(0.2) if spectrum == 'box' else hydride_like()
    tc_mev = eliashberg_tc(spectrum, mu_star=mu_star).tc_k * K_TO_MEV
    grid = np.linspace(0.0, 20.0 * tc_mev, 2001)
    derivative = tc_functional_derivative(spectrum, grid, mu_star=mu_star)
    # Bergmann & Rainer / Allen & Dynes: the maximum sits near 7 k_BT_c for broad spectra
    assert 6.5 < derivative.peak_omega_over_kTc < 8.5
    np.testing.assert_allclose(derivative.peak_omega_over_kTc, measured, atol=0.01)  # measured values
    assert derivative.peak_omega_mev == pytest.approx(derivative.peak_omega_over_kTc * tc_mev, rel=1e-12)


@pytest.mark.parametrize(
    ('spectrum', 'temperature_k', 'mu_star'),
    [
        ('hydride', 50.0, 0.0),
        ('hydride', 150.0, 0.1),
        ('hydride', 300.0, 0.13),
        ('einstein', 150.0, 0.15),  # λ = 20: k_BT ≫ ω_E/10π, ω_c = 2πk_BT·min_matsubara depends on T
        ('einstein', 10.0, 0.15),  # same spectrum on the fixed-cutoff branch (below 15.4 K)
    ],
)
def test_temperature_derivative_matches_finite_difference(spectrum, temperature_k, mu_star):
    spectrum = hydride_like() if spectrum == 'hydride' else einstein_spike(10.0, 20.0)
    step = 1e-4 * temperature_k
    finite = (
        pairing_eigenvalue(spectrum, temperature_k + step, mu_star=mu_star)
        - pairing_eigenvalue(spectrum, temperature_k - step, mu_star=mu_star)
    ) / (2 * step)
    analytic = pairing_eigenvalue_temperature_derivative(spectrum, temperature_k, mu_star=mu_star)
    # central differences with h = 1e-4 T: O(h²) ≈ 1e-8 relative (measured ≤ 1e-8)
    np.testing.assert_allclose(analytic, finite, rtol=1e-6)
    assert analytic < 0


def test_uniform_scaling_response(hydride):
    spectrum, derivative = hydride
    omega, a2f = spectrum.frequency, spectrum.spectrum
    eps = 1e-4
    up = eliashberg_tc(Alpha2F(omega, (1 + eps) * a2f), mu_star=0.1).tc_k
    down = eliashberg_tc(Alpha2F(omega, (1 - eps) * a2f), mu_star=0.1).tc_k
    mask = omega > 0
    predicted = np.sum(derivative.dtc_da2f_k_per_mev * trapezoid_weights(omega[mask]) * a2f[mask])
    # dT_c/dε for α²F → (1+ε)α²F sums the derivative over every grid point at once
    np.testing.assert_allclose(predicted, (up - down) / (2 * eps), rtol=1e-5)


def test_result_fields(hydride):
    spectrum, derivative = hydride
    assert derivative.tc_k == eliashberg_tc(spectrum, mu_star=0.1).tc_k
    assert derivative.omega_mev.shape == derivative.dtc_da2f_k_per_mev.shape == (spectrum.frequency.size - 1,)
    assert not derivative.dtc_da2f_k_per_mev.flags.writeable
    assert derivative.drho_dt_per_k < 0
    np.testing.assert_allclose(
        derivative.drho_dt_per_k,
        pairing_eigenvalue_temperature_derivative(spectrum, derivative.tc_k, mu_star=0.1),
        rtol=1e-12,
    )
    grid_peak = derivative.omega_mev[np.argmax(derivative.dtc_da2f_k_per_mev)]
    assert abs(derivative.peak_omega_mev - grid_peak) < 0.15  # parabolic refinement within one spacing


def test_invalid_inputs():
    with pytest.raises(InputValidationError, match='t_min'):
        tc_functional_derivative(einstein_spike(10.0, 0.3), mu_star=0.15)
    with pytest.raises(InputValidationError, match='omega_mev'):
        tc_functional_derivative(einstein_spike(10.0, 1.0), [-1.0, 2.0], mu_star=0.1)
    with pytest.raises(InputValidationError, match='omega_mev'):
        tc_functional_derivative(einstein_spike(10.0, 1.0), [[1.0, 2.0]], mu_star=0.1)
    with pytest.raises(InputValidationError, match='mu_star'):
        tc_functional_derivative(einstein_spike(10.0, 1.0), mu_star=0.7)
    with pytest.raises(InputValidationError, match='temperature_k'):
        pairing_eigenvalue_temperature_derivative(einstein_spike(10.0, 1.0), -1.0, mu_star=0.1)


@pytest.mark.parametrize('module', ['bergmann_rainer', 'eliashberg', 'derivative_metrics'])
def test_numerics_modules_import_no_private_names(module):
    """The Matsubara machinery is shared through the public interface of ``matsubara`` (issue 10 §6)."""
    import ast
    import importlib

    source = importlib.import_module(f'aiida_enatom.numerics.{module}').__file__
    tree = ast.parse(open(source, encoding='utf-8').read())
    private = [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or '').startswith('aiida_enatom')
        for alias in node.names
        if alias.name.startswith('_')
    ]
    assert private == []

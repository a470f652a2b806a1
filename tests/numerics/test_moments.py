"""Moments of α²F against analytic spectra (box, Einstein, Debye-like) and the Alpha2F validation."""

import numpy as np
import pytest

from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics import Alpha2F, a2f_area, coupling_lambda, cumulative_lambda, moments
from tests.conftest import box_spectrum, einstein_spectrum


@pytest.mark.parametrize('n', [2001, 20001])
def test_box_spectrum_exact_moments(n):
    """α²F = c on [a, b]: λ = 2c ln(b/a), ω_log = √(ab), ω̄₂² = (b² − a²)/(2 ln(b/a)), 𝒜 = c(b − a)."""
    a, b, c = 10.0, 80.0, 0.7
    omega, a2f = box_spectrum(a, b, c, n=n)
    result = moments(Alpha2F(omega, a2f))
    # Only the curvature of 1/ω and ln ω/ω limits the trapezoid rule: the error scales as h²,
    # ≈ h²/(12 a²) ≈ 1e-6 relative at n = 2001 (h = 0.035 meV) and 1e-8 at n = 20001.
    rtol = 2e-6 if n == 2001 else 2e-8
    np.testing.assert_allclose(result.coupling_lambda, 2 * c * np.log(b / a), rtol=rtol)
    np.testing.assert_allclose(result.omega_log, np.sqrt(a * b), rtol=rtol)
    np.testing.assert_allclose(result.omega_2, np.sqrt((b**2 - a**2) / (2 * np.log(b / a))), rtol=rtol)
    np.testing.assert_allclose(result.area, c * (b - a), rtol=1e-12)  # a constant is integrated exactly
    np.testing.assert_allclose(result.area, result.coupling_lambda * result.omega_1 / 2, rtol=1e-12)


def test_einstein_limit():
    """A narrow Gaussian at ω_E: λ as set, ω_log and ω̄₂ → ω_E with corrections of order (σ/ω_E)²."""
    omega_e, width = 60.0, 0.3
    result = moments(Alpha2F(*einstein_spectrum(omega_e, 1.3, width)))
    # λ = 2∫α²F/ω = λ₀ ⟨ω_E/ω⟩ = λ₀(1 + σ²/ω_E² + …): relative shift 2.5e-5
    np.testing.assert_allclose(result.coupling_lambda, 1.3, rtol=1e-4)
    np.testing.assert_allclose(result.omega_log, omega_e, rtol=1e-4)
    np.testing.assert_allclose(result.omega_2, omega_e, rtol=1e-4)


def test_debye_like_spectrum():
    """α²F = c(ω/ω_D)² on [0, ω_D]: λ = c, ω_log = ω_D e^(−1/2), ω̄₂ = ω_D/√2, 𝒜 = cω_D/3."""
    omega_d, c = 40.0, 0.9
    omega = np.linspace(0, omega_d, 40001)
    result = moments(Alpha2F(omega, c * (omega / omega_d) ** 2))
    # smooth integrands; h = 1e-3 meV gives trapezoid errors ≪ 1e-6
    np.testing.assert_allclose(result.coupling_lambda, c, rtol=1e-6)
    np.testing.assert_allclose(result.omega_log, omega_d * np.exp(-0.5), rtol=1e-5)
    np.testing.assert_allclose(result.omega_2, omega_d / np.sqrt(2), rtol=1e-6)
    np.testing.assert_allclose(result.area, c * omega_d / 3, rtol=1e-6)


def test_moments_are_linear_in_scale_and_cumulative_ends_at_lambda():
    omega, a2f = box_spectrum(5.0, 50.0, 0.4, n=4001)
    spectrum = Alpha2F(omega, a2f)
    scaled = spectrum.scaled(3.0)
    np.testing.assert_allclose(coupling_lambda(scaled), 3 * coupling_lambda(spectrum), rtol=1e-12)
    np.testing.assert_allclose(a2f_area(scaled), 3 * a2f_area(spectrum), rtol=1e-12)
    # ω_log and ω̄₂ are averages: invariant under scaling
    np.testing.assert_allclose(moments(scaled).omega_log, moments(spectrum).omega_log, rtol=1e-12)
    running = cumulative_lambda(spectrum)
    np.testing.assert_allclose(running[-1], coupling_lambda(spectrum), rtol=1e-12)
    assert np.all(np.diff(running) >= 0)


def test_nonpositive_weight_is_reported_not_dropped_silently():
    """Imaginary modes written as ω < 0 are left out of the moments but their weight is reported."""
    omega = np.linspace(-20.0, 100.0, 1201)
    a2f = np.where(omega <= 0, 0.2, np.where((omega > 20) & (omega < 60), 0.5, 0.0))
    result = moments(Alpha2F(omega, a2f))
    np.testing.assert_allclose(result.weight_nonpositive, 0.2 * 20.0, rtol=1e-12)  # constant on [−20, 0]: exact
    positive_only = moments(Alpha2F(omega[omega > 0], a2f[omega > 0]))
    assert result.coupling_lambda == pytest.approx(positive_only.coupling_lambda, rel=1e-12)


def test_negative_spectral_weight_is_reported():
    omega = np.linspace(0, 100, 1001)
    a2f = np.where(omega < 10, -0.01, 0.3)
    assert moments(Alpha2F(omega, a2f)).weight_negative < 0


@pytest.mark.parametrize(
    ('frequency', 'spectrum', 'message'),
    [
        ([0, 1, 1, 2], [0, 1, 1, 0], 'strictly increasing'),
        ([0, 1, 2], [0, 1], 'must match'),
        ([0, 1, np.nan], [0, 1, 1], 'finite'),
        ([-2, -1, 0], [1, 1, 1], 'ω > 0'),
        ([[0, 1]], [[0, 1]], 'one-dimensional'),
    ],
)
def test_invalid_spectra_raise_clear_errors(frequency, spectrum, message):
    with pytest.raises(InputValidationError, match=message):
        Alpha2F(frequency, spectrum)


def test_zero_coupling_raises():
    with pytest.raises(InputValidationError, match='λ'):
        moments(Alpha2F([0, 1, 2, 3], [0, 0, 0, 0]))


def test_partial_spectra_validated_and_accessible():
    omega = np.linspace(0, 10, 11)
    spectrum = Alpha2F(omega, np.ones(11), {'H': np.full(11, 0.75), 'S': np.full(11, 0.25)})
    np.testing.assert_allclose(spectrum.partial('H').spectrum + spectrum.partial('S').spectrum, spectrum.spectrum)
    with pytest.raises(KeyError, match='available'):
        spectrum.partial('La')
    with pytest.raises(InputValidationError, match="'H'"):
        Alpha2F(omega, np.ones(11), {'H': np.ones(5)})
    with pytest.raises(ValueError, match='read-only'):
        spectrum.spectrum[0] = 2.0

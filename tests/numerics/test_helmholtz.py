"""Helmholtz decomposition on synthetic fields with known rigid, backflow and constant parts (STYLE §3.4)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.fft

from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.helmholtz import (
    helmholtz_decompose,
    reciprocal_cell,
    spectral_curl,
    spectral_divergence,
    spectral_gradient,
)

CUBIC = np.diag([3.1, 3.1, 3.1])
TRICLINIC = np.array([[3.0, 0.0, 0.0], [0.7, 3.4, 0.0], [-0.5, 0.6, 2.8]])
# Machine-precision tolerance: spectral derivatives of band-limited content are exact up to FFT rounding
# (~1e-15 relative per transform, a few transforms deep).
RTOL = 1e-10


def grid_positions(shape, cell):
    """Cartesian positions (3, n1, n2, n3) of the grid points, Å."""
    frac = np.stack(np.meshgrid(*[np.arange(n) / n for n in shape], indexing='ij'))
    return np.einsum('kabc,kx->xabc', frac, cell)


def analytic_field(shape, cell, seed):
    """φ, A (random smooth Fourier content, no Nyquist modes), the constant F₀ and F = −∇φ + ∇×A + F₀.

    φ = Σ a_k cos(G_k·r + θ_k), A = Σ c_k cos(G_k·r + θ'_k); derivatives analytic (independent of the FFT).
    """
    rng = np.random.default_rng(seed)
    recip = reciprocal_cell(cell)
    r = grid_positions(shape, cell)
    phi = np.zeros(shape)
    grad_phi = np.zeros((3, *shape))
    curl_a = np.zeros((3, *shape))
    for _ in range(12):
        m = rng.integers(-2, 3, size=3)
        if not m.any():
            continue
        g = m @ recip
        phase = np.einsum('x,xabc->abc', g, r) + rng.uniform(0, 2 * np.pi)
        amp = rng.normal()
        phi += amp * np.cos(phase)
        grad_phi += -amp * np.sin(phase)[None] * g[:, None, None, None]
        c = rng.normal(size=3)
        phase_a = np.einsum('x,xabc->abc', g, r) + rng.uniform(0, 2 * np.pi)
        # ∇×(c cos(G·r+θ)) = −sin(G·r+θ) G×c
        curl_a += -np.sin(phase_a)[None] * np.cross(g, c)[:, None, None, None]
    mean = rng.normal(size=3)
    field = -grad_phi + curl_a + mean[:, None, None, None]
    return phi - phi.mean(), grad_phi, curl_a, mean, field


def rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


@pytest.mark.parametrize('cell', [CUBIC, TRICLINIC], ids=['cubic', 'triclinic'])
@pytest.mark.parametrize('shape', [(16, 18, 20), (15, 17, 13)], ids=['even', 'odd'])
def test_recovers_known_parts(cell, shape):
    phi, grad_phi, curl_a, mean, field = analytic_field(shape, cell, seed=1)
    parts = helmholtz_decompose(field, cell)
    assert rel(parts.rigid, phi) < RTOL
    assert rel(parts.backflow, curl_a) < RTOL
    np.testing.assert_allclose(parts.mean, mean, rtol=RTOL, atol=1e-12 * np.abs(field).max())
    np.testing.assert_allclose(parts.longitudinal, -grad_phi, atol=RTOL * np.abs(grad_phi).max())


@pytest.mark.parametrize('cell', [CUBIC, TRICLINIC], ids=['cubic', 'triclinic'])
def test_exact_reconstruction_with_nyquist_content(cell):
    """Random white noise has Nyquist content on even grids; reconstruction must still be exact and real."""
    field = np.random.default_rng(2).normal(size=(3, 12, 10, 8))
    parts = helmholtz_decompose(field, cell)
    assert parts.rigid.dtype == np.float64
    assert parts.backflow.dtype == np.float64
    recon = parts.longitudinal + parts.backflow + parts.mean[:, None, None, None]
    # rounding of two real FFT round trips on O(1) data
    np.testing.assert_allclose(recon, field, rtol=0, atol=1e-13)
    np.testing.assert_allclose(parts.rigid.mean(), 0.0, atol=1e-15)
    np.testing.assert_allclose(parts.backflow.mean(axis=(1, 2, 3)), 0.0, atol=1e-15)


def test_nyquist_content_goes_to_backflow():
    """A pure Nyquist cosine along a1 is not differentiable on the grid: it is all backflow, rigid is zero."""
    shape = (8, 6, 4)
    field = np.zeros((3, *shape))
    field[0] = np.cos(np.pi * np.arange(8))[:, None, None]
    parts = helmholtz_decompose(field, CUBIC)
    np.testing.assert_allclose(parts.rigid, 0.0, atol=1e-15)
    np.testing.assert_allclose(parts.backflow, field, atol=1e-14)


@pytest.mark.parametrize('cell', [CUBIC, TRICLINIC], ids=['cubic', 'triclinic'])
def test_pure_gradient_and_pure_curl(cell):
    shape = (16, 14, 12)
    _, grad_phi, curl_a, _, _ = analytic_field(shape, cell, seed=3)
    gradient_parts = helmholtz_decompose(-grad_phi, cell)
    scale = np.abs(grad_phi).max()
    np.testing.assert_allclose(gradient_parts.backflow, 0.0, atol=1e-12 * scale)
    np.testing.assert_allclose(gradient_parts.mean, 0.0, atol=1e-12 * scale)
    curl_parts = helmholtz_decompose(curl_a, cell)
    np.testing.assert_allclose(curl_parts.rigid, 0.0, atol=1e-12 * np.abs(curl_a).max())
    assert rel(curl_parts.backflow, curl_a) < RTOL


@pytest.mark.parametrize('cell', [CUBIC, TRICLINIC], ids=['cubic', 'triclinic'])
def test_divergence_curl_and_orthogonality(cell):
    field = np.random.default_rng(4).normal(size=(3, 12, 14, 10))
    parts = helmholtz_decompose(field, cell)
    longitudinal = parts.longitudinal
    # spectral operators on O(1) white noise; derivatives scale with |G_max| ~ 2π n/(2L) ~ 15 Å⁻¹
    np.testing.assert_allclose(spectral_divergence(parts.backflow, cell), 0.0, atol=1e-11)
    np.testing.assert_allclose(spectral_curl(longitudinal, cell), 0.0, atol=1e-11)
    inner = np.sum(longitudinal * parts.backflow)
    norms = np.linalg.norm(longitudinal) * np.linalg.norm(parts.backflow)
    assert abs(inner) / norms < 1e-13
    # and the decomposition is not trivial for white noise
    assert np.linalg.norm(longitudinal) > 0.3 * np.linalg.norm(field)


def test_agrees_with_complex_fftn_reference():
    """rfftn implementation versus an independent full-fftn projection (odd grid: no Nyquist ambiguity)."""
    cell = TRICLINIC
    shape = (9, 11, 7)
    field = np.random.default_rng(5).normal(size=(3, *shape))
    recip = reciprocal_cell(cell)
    m = np.meshgrid(*[np.fft.fftfreq(n, 1 / n) for n in shape], indexing='ij')
    g = np.einsum('kabc,kx->xabc', np.stack(m), recip)
    fh = np.fft.fftn(field, axes=(1, 2, 3))
    g2 = np.sum(g**2, axis=0)
    g2[0, 0, 0] = np.inf
    v = 1j * np.sum(g * fh, axis=0) / g2
    rigid_ref = np.fft.ifftn(v).real
    parts = helmholtz_decompose(field, cell)
    np.testing.assert_allclose(parts.rigid, rigid_ref, atol=1e-14)


def test_spectral_gradient_matches_analytic():
    shape = (16, 16, 16)
    phi, grad_phi, *_ = analytic_field(shape, TRICLINIC, seed=6)
    np.testing.assert_allclose(spectral_gradient(phi, TRICLINIC), grad_phi, atol=1e-12 * np.abs(grad_phi).max())


def test_norms_ratio():
    shape = (12, 12, 12)
    _, grad_phi, curl_a, _, _ = analytic_field(shape, CUBIC, seed=7)
    parts = helmholtz_decompose(-grad_phi + 2.0 * curl_a, CUBIC)
    expected = 2.0 * np.linalg.norm(curl_a) / np.linalg.norm(grad_phi)
    np.testing.assert_allclose(parts.norms()['backflow_to_rigid'], expected, rtol=1e-10)


def test_real_fft_of_rigid_has_no_nyquist():
    field = np.random.default_rng(8).normal(size=(3, 8, 8, 8))
    rh = scipy.fft.fftn(helmholtz_decompose(field, CUBIC).rigid)
    np.testing.assert_allclose(rh[4], 0.0, atol=1e-12)
    np.testing.assert_allclose(rh[:, 4], 0.0, atol=1e-12)
    np.testing.assert_allclose(rh[:, :, 4], 0.0, atol=1e-12)


@pytest.mark.parametrize(
    ('field', 'cell', 'match'),
    [
        (np.zeros((2, 4, 4, 4)), CUBIC, r'shape \(3, n1, n2, n3\)'),
        (np.zeros((3, 4, 4)), CUBIC, r'shape \(3, n1, n2, n3\)'),
        (np.zeros((3, 4, 4, 4), dtype=complex), CUBIC, 'real'),
        (np.full((3, 4, 4, 4), np.nan), CUBIC, 'NaN'),
        (np.zeros((3, 4, 4, 4)), np.zeros((3, 3)), 'singular'),
        (np.zeros((3, 4, 4, 4)), np.eye(2), r'\(3, 3\)'),
        (np.zeros((3, 1, 4, 4)), CUBIC, 'at least 2'),
    ],
)
def test_bad_input(field, cell, match):
    with pytest.raises(InputValidationError, match=match):
        helmholtz_decompose(field, cell)

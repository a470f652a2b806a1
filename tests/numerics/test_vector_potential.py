"""The Coulomb-gauge vector potential W of the backflow: ∇·W = 0, ∇×W = backflow, against analytic fields."""

from __future__ import annotations

import numpy as np
import pytest

from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.helmholtz import (
    coulomb_gauge_potential,
    helmholtz_decompose,
    reciprocal_cell,
    spectral_curl,
    spectral_divergence,
)
from tests.numerics.test_helmholtz import CUBIC, TRICLINIC, grid_positions, rel

RTOL = 1e-10


def analytic_field_and_w(shape, cell, seed):
    """F = −∇φ + ∇×A + F₀ with A = Σ c_k cos(G_k·r + θ_k) and the analytic Coulomb-gauge W.

    For one mode ∇×(c cos θ) = ∇×(c_⊥ cos θ) with c_⊥ = c − Ĝ(Ĝ·c), and ∇·(c_⊥ cos θ) = −sin θ G·c_⊥ = 0:
    W = Σ c_⊥,k cos(G_k·r + θ_k) is the unique zero-mean divergence-free potential (independent of the FFT).
    """
    rng = np.random.default_rng(seed)
    recip = reciprocal_cell(cell)
    r = grid_positions(shape, cell)
    field = np.zeros((3, *shape))
    curl_a = np.zeros((3, *shape))
    w = np.zeros((3, *shape))
    for _ in range(12):
        m = rng.integers(-2, 3, size=3)
        if not m.any():
            continue
        g = m @ recip
        phase = np.einsum('x,xabc->abc', g, r) + rng.uniform(0, 2 * np.pi)
        field += rng.normal() * np.sin(phase)[None] * g[:, None, None, None]  # −∇(a cos) part
        c = rng.normal(size=3)
        c_perp = c - g * (g @ c) / (g @ g)
        phase_a = np.einsum('x,xabc->abc', g, r) + rng.uniform(0, 2 * np.pi)
        curl_a += -np.sin(phase_a)[None] * np.cross(g, c)[:, None, None, None]
        w += np.cos(phase_a)[None] * c_perp[:, None, None, None]
    field += curl_a + rng.normal(size=3)[:, None, None, None]
    return field, curl_a, w


@pytest.mark.parametrize('cell', [CUBIC, TRICLINIC], ids=['cubic', 'triclinic'])
@pytest.mark.parametrize('shape', [(16, 18, 20), (15, 17, 13)], ids=['even', 'odd'])
def test_recovers_analytic_w(cell, shape):
    field, curl_a, w_exact = analytic_field_and_w(shape, cell, seed=3)
    w = coulomb_gauge_potential(field, cell)
    assert rel(w, w_exact) < RTOL
    assert rel(spectral_curl(w, cell), curl_a) < RTOL
    scale = np.abs(w).max() * np.abs(reciprocal_cell(cell)).max()
    assert np.abs(spectral_divergence(w, cell)).max() < 1e-13 * scale
    np.testing.assert_allclose(w.mean(axis=(1, 2, 3)), 0.0, atol=1e-14 * np.abs(w).max())


@pytest.mark.parametrize('cell', [CUBIC, TRICLINIC], ids=['cubic', 'triclinic'])
def test_curl_reproduces_backflow_of_noise(cell):
    """White noise on an odd grid (no Nyquist planes): ∇×W equals the decomposition's backflow, ∇·W = 0."""
    field = np.random.default_rng(4).normal(size=(3, 11, 9, 13))
    w = coulomb_gauge_potential(field, cell)
    np.testing.assert_allclose(spectral_curl(w, cell), helmholtz_decompose(field, cell).backflow, atol=1e-12)
    assert np.abs(spectral_divergence(w, cell)).max() < 1e-12


def test_even_grid_leaves_only_nyquist_content():
    """On an even grid ∇×W misses exactly the Nyquist-plane content that the module assigns to the backflow."""
    cell = CUBIC
    field = np.random.default_rng(5).normal(size=(3, 12, 10, 8))
    backflow = helmholtz_decompose(field, cell).backflow
    difference = backflow - spectral_curl(coulomb_gauge_potential(field, cell), cell)
    spectrum = np.fft.fftn(difference, axes=(1, 2, 3))
    m = [np.fft.fftfreq(n, 1.0 / n) for n in field.shape[1:]]
    off_nyquist = (
        (np.abs(m[0]) != 6)[:, None, None] & (np.abs(m[1]) != 5)[None, :, None] & (np.abs(m[2]) != 4)[None, None, :]
    )
    assert np.abs(spectrum[:, off_nyquist]).max() < 1e-11
    assert np.abs(spectrum[:, ~off_nyquist]).max() > 1e-3


def test_pure_gradient_has_no_vector_potential():
    cell = TRICLINIC
    field, _, _ = analytic_field_and_w((15, 17, 13), cell, seed=6)
    longitudinal = helmholtz_decompose(field, cell).longitudinal
    assert np.abs(coulomb_gauge_potential(longitudinal, cell)).max() < 1e-12 * np.abs(longitudinal).max()


def test_units_scale_with_length():
    """W has the units of the field times length: doubling the cell (same grid values) doubles W."""
    field, _, _ = analytic_field_and_w((15, 17, 13), CUBIC, seed=7)
    np.testing.assert_allclose(
        coulomb_gauge_potential(field, 2 * CUBIC), 2 * coulomb_gauge_potential(field, CUBIC), rtol=1e-12, atol=1e-14
    )


def test_bad_input():
    with pytest.raises(InputValidationError, match='shape'):
        coulomb_gauge_potential(np.zeros((2, 4, 4, 4)), CUBIC)
    with pytest.raises(InputValidationError, match='complex'):
        coulomb_gauge_potential(np.zeros((3, 4, 4, 4), dtype=complex), CUBIC)

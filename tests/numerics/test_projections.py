"""Projections on synthetic modes: sum rules, covariance, monatomic limit; tetrahedron normalisation."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from aiida_enatom.numerics.interpolation import _tetrahedra, monkhorst_pack_mesh, tetrahedron_alpha2f
from aiida_enatom.numerics.projections import eigenvector_weights, pair_linewidths, species_channels


def _random_case(seed: int, n_atoms: int, n_q: int = 3):
    rng = np.random.default_rng(seed)
    n = 3 * n_atoms
    a = rng.normal(size=(n_q, n, n)) + 1j * rng.normal(size=(n_q, n, n))
    gamma = a @ a.conj().transpose(0, 2, 1)  # Hermitian positive semi-definite
    vectors = np.linalg.qr(rng.normal(size=(n_q, n, n)) + 1j * rng.normal(size=(n_q, n, n)))[0]
    masses = rng.uniform(1, 50, size=n_atoms)
    return vectors, gamma, masses


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31), st.integers(1, 4))
def test_pairs_sum_to_mode_linewidth(seed, n_atoms):
    vectors, gamma, masses = _random_case(seed, n_atoms)
    pairs = pair_linewidths(vectors, gamma, masses)
    scale = np.repeat(1 / np.sqrt(masses), 3)
    direct = np.einsum('qpn,qpr,qrn->qn', vectors.conj(), gamma * scale[:, None] * scale[None, :], vectors).real
    np.testing.assert_allclose(pairs.sum(axis=(1, 2)), direct, rtol=1e-10, atol=1e-12 * np.abs(direct).max())
    species = ['H', 'X', 'H', 'X'][:n_atoms]
    channels = species_channels(pairs, species, eigenvector_weights(vectors, n_atoms))
    kinds = sorted(set(species))
    for group in (kinds, [f'ev:{s}' for s in kinds]):
        np.testing.assert_allclose(sum(channels[k] for k in group), channels['total'], atol=1e-10 * direct.max())
    assert np.all(np.concatenate([channels[f'ev:{s}'] for s in kinds]) >= -1e-12)  # γ ≥ 0 for PSD Γ


def test_permutation_covariance():
    vectors, gamma, masses = _random_case(1, 3)
    perm = np.array([2, 0, 1])
    rows = (3 * perm[:, None] + np.arange(3)).ravel()
    pairs = pair_linewidths(vectors, gamma, masses)
    permuted = pair_linewidths(vectors[:, rows, :], gamma[:, rows][:, :, rows], masses[perm])
    np.testing.assert_allclose(permuted, pairs[:, perm][:, :, perm], rtol=1e-12, atol=1e-12)


def test_monatomic_species_part_is_total():
    vectors, gamma, masses = _random_case(2, 2)
    channels = species_channels(pair_linewidths(vectors, gamma, masses), ['Al', 'Al'])
    np.testing.assert_allclose(channels['Al'], channels['total'], rtol=1e-14)
    np.testing.assert_allclose(channels['Al-Al'], channels['total'], rtol=1e-14)


def test_tetrahedron_dos_normalisation():
    # One dispersive branch ω(q) = 10 + 3 Σ cos 2πq_k (meV), γ = ω so that γ/ω = 1: with dos = 1/(2π) the
    # "α²F" is the phonon DOS of the branch and integrates to 1 (linear tetrahedra conserve weight exactly).
    mesh = (8, 8, 8)
    q = monkhorst_pack_mesh(mesh)
    omega = (10 + 3 * np.cos(2 * np.pi * q).sum(axis=1))[:, None]
    grid = np.linspace(0.5, 20, 4000)
    dos = tetrahedron_alpha2f(omega, omega[None], mesh, 1 / (2 * np.pi), grid)[0]
    # Riemann sum on a 4000-point grid over a DOS with √ edges: 1e-3.
    np.testing.assert_allclose(np.trapezoid(dos, grid), 1.0, rtol=1e-3)
    assert _tetrahedra(mesh).shape == (6 * 512, 4)

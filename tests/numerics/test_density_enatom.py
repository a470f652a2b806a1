"""Density enatom: rigid-ion model with an exact answer, charge neutrality, angular projections, negative shells."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.density_enatom import angular_projections, charge_neutrality, density_enatom, negative_shell
from aiida_enatom.numerics.helmholtz import spectral_curl, spectral_divergence
from aiida_enatom.numerics.sum_rules import sum_rule_residuals
from tests.numerics.test_helmholtz import grid_positions

A = 6.0
CELL = np.array([[0.0, A / 2, A / 2], [A / 2, 0.0, A / 2], [A / 2, A / 2, 0.0]]) * 1.0
SHAPE = (40, 40, 40)
SIGMA = 0.7  # Å; Nyquist content ~ exp(-(π/Δ)²σ²/4) ≈ 1e-12 on the 8-atom grid (Δ = 0.21 Å)


def gaussian_and_gradient(cell, shape, center, charge, sigma=SIGMA):
    """Periodic sum of a normalised Gaussian of charge ``charge`` (e/Å³) and its analytic gradient (e/Å⁴)."""
    r = grid_positions(shape, cell)
    density = np.zeros(shape)
    gradient = np.zeros((3, *shape))
    norm = charge / (np.pi * sigma**2) ** 1.5
    for shift in itertools.product(range(-1, 2), repeat=3):
        d = r - (np.asarray(center) + np.array(shift) @ cell)[:, None, None, None]
        g = norm * np.exp(-np.sum(d**2, axis=0) / sigma**2)
        density += g
        gradient += -2.0 * d / sigma**2 * g[None]
    return density, gradient


def rigid_ion_crystal(cell, shape, positions, charge):
    """n = Σ_j g(r − R_j) moving rigidly: ∂n/∂R_j = −∇g_j; returns n, the fields and the single-atom densities."""
    densities, fields = [], []
    for position in positions:
        g, grad = gaussian_and_gradient(cell, shape, position, charge)
        densities.append(g)
        fields.append(-grad)
    return sum(densities), np.stack(fields), densities


def test_rigid_ion_model_is_recovered_exactly():
    """Rigid Gaussian ions: ρ_j is the ion's density with ∫ρ_j = Z, no backflow, neutral, all sum rules hold."""
    cell = 2 * CELL  # 8-atom fcc supercell of the primitive cell
    positions = [np.array(s) @ CELL for s in itertools.product((0, 1), repeat=3)]
    charge = 3.0
    n, fields, singles = rigid_ion_crystal(cell, SHAPE, positions, charge)
    volume = abs(np.linalg.det(cell))
    np.testing.assert_allclose(n.mean() * volume, charge * len(positions), rtol=1e-10)
    parts = density_enatom(fields[0], cell, charge)
    np.testing.assert_allclose(parts.rigid, singles[0], atol=1e-9 * singles[0].max())
    np.testing.assert_allclose(parts.rigid.mean() * volume, charge, rtol=1e-12)
    assert parts.norms['backflow_to_rigid'] < 1e-9
    assert charge_neutrality(fields[0], cell)['relative'] < 1e-12
    residuals = sum_rule_residuals(n, fields, cell)
    assert residuals.translational < 1e-9
    assert residuals.rigid < 1e-9
    rigid_sum = sum(density_enatom(f, cell, charge).rigid for f in fields)
    np.testing.assert_allclose(rigid_sum, n, atol=1e-9 * n.max())  # Σ_j ρ_j = n with the ∫ρ_j = Z convention


def test_backflow_and_coulomb_gauge_potential():
    """A transverse addition ∇×(ẑ φ) shows up as backflow; B is divergence-free and ∇×B is the backflow."""
    cell = np.diag([5.0, 5.0, 5.0])
    shape = (30, 30, 30)
    _, grad = gaussian_and_gradient(cell, shape, [2.5, 2.5, 2.5], 1.0)
    swirl = np.stack([grad[1], -grad[0], np.zeros(shape)])  # ∇×(ẑ g) = (∂_y g, −∂_x g, 0)
    parts = density_enatom(-grad + 0.1 * swirl, cell, 1.0)
    np.testing.assert_allclose(parts.backflow, 0.1 * swirl, atol=1e-9 * np.abs(swirl).max())
    np.testing.assert_allclose(spectral_curl(parts.vector_potential, cell), parts.backflow, atol=1e-9)
    assert np.abs(spectral_divergence(parts.vector_potential, cell)).max() < 1e-12


def test_charge_neutrality_detects_a_net_charge():
    cell = np.diag([2.0, 3.0, 4.0])
    field = np.zeros((3, 4, 4, 4))
    field[0] = 0.5
    result = charge_neutrality(field, cell)
    assert result['integral'] == pytest.approx(0.5 * 24.0)
    assert result['relative'] == pytest.approx(1.0)


def unit_vectors(cell, shape, center):
    r = grid_positions(shape, cell) - np.asarray(center)[:, None, None, None]
    r -= np.einsum('kx,kabc->xabc', cell, np.round(np.einsum('xk,xabc->kabc', np.linalg.inv(cell), r)))
    norm = np.sqrt(np.sum(r**2, axis=0))
    return r / np.where(norm > 0, norm, 1.0)[None]


@pytest.mark.parametrize(('p', 'f'), [(1.0, 0.0), (0.0, 2.0), (-0.5, 3.0)])
def test_angular_projections_exact(p, f):
    """F = p r̂ + f K(r̂) with K_α = r̂_α(5r̂_α² − 3) is fitted exactly on every shell."""
    cell = np.diag([6.0, 6.0, 6.0])
    shape = (24, 24, 24)
    center = np.array([3.0, 3.0, 3.0])
    u = unit_vectors(cell, shape, center)
    field = p * u + f * u * (5 * u**2 - 3)
    proj = angular_projections(field, cell, center, bin_width=0.3)
    np.testing.assert_allclose(proj.radial, p, atol=1e-12)
    np.testing.assert_allclose(proj.cubic, f, atol=1e-12)
    if f:
        assert proj.dominant_cubic()[0] == pytest.approx(f)


def test_radial_projection_of_rigid_part_is_minus_the_slope():
    """For a spherical Gaussian ρ the rigid field −∇ρ has p(r) = −dρ/dr and no cubic part."""
    cell = np.diag([6.0, 6.0, 6.0])
    shape = (48, 48, 48)
    center = np.array([3.0, 3.0, 3.0])
    _, grad = gaussian_and_gradient(cell, shape, center, 1.0, sigma=0.8)
    proj = angular_projections(-grad, cell, center, bin_width=0.1, r_max=2.5)
    norm = 1.0 / (np.pi * 0.8**2) ** 1.5
    slope = -2.0 * proj.radius / 0.8**2 * norm * np.exp(-(proj.radius**2) / 0.8**2)
    # binning: the shell average of −ρ'(r) differs from −ρ'(bin centre) by O(bin width²); the innermost bins
    # hold a few grid points away from their centre (spacing 0.125 Å), so compare from 0.3 Å on
    outer = proj.radius > 0.3
    np.testing.assert_allclose(proj.radial[outer], -slope[outer], atol=0.02 * np.abs(slope).max())
    # the variation of −ρ' inside a thin shell of a few grid points leaks into K at the same binning level
    assert np.abs(proj.cubic[outer]).max() < 0.02 * np.abs(slope).max()


def test_negative_shell():
    r = np.linspace(0.05, 4.95, 50)
    rho = np.exp(-2 * r) - 0.01 * np.exp(-((r - 3.0) ** 2) / 0.1)
    shell = negative_shell(r, rho, r_from=1.5)
    assert shell['radius'] == pytest.approx(3.0, abs=0.1)
    assert shell['min_density'] < 0
    assert 2.0 < shell['onset'] < 3.0
    assert shell['negative_charge'] < 0
    positive = negative_shell(r, np.exp(-2 * r), r_from=1.5)
    assert positive['onset'] is None
    assert positive['negative_charge'] == 0.0
    with pytest.raises(InputValidationError, match='no bin'):
        negative_shell(r, rho, r_from=10.0)


def test_bad_input():
    with pytest.raises(InputValidationError, match='finite'):
        density_enatom(np.zeros((3, 4, 4, 4)), np.eye(3), float('nan'))
    with pytest.raises(InputValidationError, match='shape'):
        angular_projections(np.zeros((4, 4, 4)), np.eye(3), np.zeros(3))
    with pytest.raises(InputValidationError, match='shape'):
        charge_neutrality(np.zeros((2, 4, 4, 4)), np.eye(3))

"""The fast isotope path (issue 10 §7) equals the frozen reference path of ``_isotopes_reference`` to rounding."""

from __future__ import annotations

import numpy as np
import pytest

from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.interpolation import _delta_weights, monkhorst_pack_mesh, tetrahedron_alpha2f
from aiida_enatom.numerics.isotopes import TC_ROUTES, _time_reversal, isotope_effect
from aiida_enatom.numerics.projections import gaussian_alpha2f

from . import _isotopes_reference as reference
from ._h3s import h3s_model
from ._h3s import matdyn_grid_mev as h3s_grid
from ._mgh import matdyn_grid_mev, mgh_model


def _geometric_weights(energies, levels):
    """The reference's iso-surface polygon weights, one row at a time (it takes one level per call)."""
    rows = zip(energies, levels, strict=True)
    return np.array([reference._iso_surface_weights(e[None], level)[0] for e, level in rows])


@pytest.mark.parametrize('degenerate', [None, (1, 2), (0, 1), (2, 3)])
def test_closed_form_tetrahedron_weights_equal_geometric(degenerate):
    rng = np.random.default_rng(7)
    energies = np.sort(rng.normal(size=(3000, 4)), axis=1)
    if degenerate is not None:  # two corners 1e-9 apart: the closed form divides by neither difference
        low, high = degenerate
        energies[:, high] = energies[:, low] + 1e-9 * rng.random(3000)
    levels = energies[:, 0] + rng.random(3000) * (energies[:, 3] - energies[:, 0])
    keep = (levels > energies[:, 0]) & (levels < energies[:, 3])
    energies, levels = energies[keep], levels[keep]
    case = np.where(levels <= energies[:, 1], 0, np.where(levels < energies[:, 2], 1, 2))
    expected = _geometric_weights(energies, levels)
    for part in range(3):
        rows = case == part
        got = _delta_weights(part, *energies[rows].T, levels[rows])
        scale = np.abs(expected[rows]).sum(axis=1, keepdims=True)
        assert np.all(np.abs(got - expected[rows]) <= 1e-10 * scale)


def test_tetrahedron_equals_reference_on_any_grid():
    """Five dispersive branches on a 10×9×8 mesh, one imaginary mode, a descending grid that starts below zero."""
    mesh = (10, 9, 8)
    q = 2 * np.pi * monkhorst_pack_mesh(mesh)
    rng = np.random.default_rng(1)
    omega = np.sort(
        np.stack([10 * k + np.cos(q) @ rng.normal(size=3) + np.sin(q) @ rng.normal(size=3) for k in range(5)], 1),
        axis=1,
    )
    omega[0, 0] = -0.5
    gamma = rng.random((3, *omega.shape))
    grid = np.linspace(-2.0, 60.0, 300)[::-1].copy()
    expected = reference.tetrahedron_alpha2f(omega, gamma, mesh, 0.7, grid)
    got = tetrahedron_alpha2f(omega, gamma, mesh, 0.7, grid)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-13 * np.abs(expected).max())


def test_windowed_gaussians_equal_dense():
    rng = np.random.default_rng(2)
    omega = rng.random((500, 6)) * 100 - 1
    gamma = rng.normal(size=(4, 500, 6))
    grid = np.linspace(-1.0, 101.0, 200)
    weights = np.full(500, 1 / 500)
    dense = gaussian_alpha2f(omega, gamma, weights, 0.3, grid, 1.0)
    assert np.array_equal(dense, reference.gaussian_alpha2f(omega, gamma, weights, 0.3, grid, 1.0))
    windowed = gaussian_alpha2f(omega, gamma, weights, 0.3, grid, 1.0, cutoff_sigmas=10.0)
    np.testing.assert_allclose(windowed, dense, rtol=0, atol=1e-14 * np.abs(dense).max())
    with pytest.raises(InputValidationError, match='cutoff_sigmas'):
        gaussian_alpha2f(omega, gamma, weights, 0.3, grid, 1.0, cutoff_sigmas=3.0)


@pytest.mark.parametrize('mesh', [(8, 8, 8), (5, 6, 7), (1, 2, 3)])
def test_time_reversal_partners(mesh):
    kept, source = _time_reversal(mesh)
    q = monkhorst_pack_mesh(mesh)
    partner = q[kept][source]
    same = np.all(np.isclose(partner, q), axis=1)
    opposite = np.all(np.isclose(np.mod(partner + q + 0.5, 1.0), 0.5), axis=1)  # partner ≡ −q
    assert np.all(same | opposite)
    assert np.all(same[kept])
    assert kept.size == (q.shape[0] + np.count_nonzero(same & opposite)) // 2  # self-partners counted once


def _assert_same_effect(fast, slow):
    for name in ('base', 'substituted'):
        got, expected = getattr(fast, name), getattr(slow, name)
        np.testing.assert_allclose(got.frequency, expected.frequency, rtol=1e-13)
        scale = np.abs(expected.spectrum).max()
        np.testing.assert_allclose(got.spectrum, expected.spectrum, rtol=0, atol=1e-12 * scale)
        assert set(got.partials) == set(expected.partials)
        for key, values in expected.partials.items():
            np.testing.assert_allclose(got.partials[key], values, rtol=0, atol=1e-12 * scale)
    for route in TC_ROUTES:
        assert fast.tc_k[route] == pytest.approx(slow.tc_k[route], abs=1e-9)
        assert fast.tc_substituted_k[route] == pytest.approx(slow.tc_substituted_k[route], abs=1e-9)
        assert fast.tc_ratio[route] == pytest.approx(slow.tc_ratio[route], abs=1e-12)
        for group in ('all', 'H', 'M'):
            assert fast.alpha[group][route] == pytest.approx(slow.alpha[group][route], abs=1e-10)
    assert fast.as_dict() == pytest.approx(slow.as_dict(), abs=1e-9)


def test_h3s_fast_path_equals_reference_path():
    """H₃S (the real fast-protocol point) on 8³: every spectrum, T_c and α as before the speed-up."""
    model = h3s_model((8, 8, 8))
    grid = h3s_grid()
    fast = isotope_effect(model, {'H': 'D'}, grid, mu_star=0.1)
    slow = reference.isotope_effect(model, {'H': 'D'}, grid, mu_star=0.1)
    _assert_same_effect(fast, slow)


def test_mgh_fast_path_equals_reference_path_on_odd_mesh():
    """MgH on a 5×6×7 mesh (odd and even sides), another mass and μ* convention, stored spectrum given."""
    model = mgh_model(smearing=4, q_mesh=(5, 6, 7))
    grid = matdyn_grid_mev()
    options = {'mu_star': 0.12, 'mu_star_convention': 'omega_log', 'log_step': 0.1}
    slow = reference.isotope_effect(model, {'H': 3.0, 'Mg': 26.0}, grid, **options)
    fast = isotope_effect(model, {'H': 3.0, 'Mg': 26.0}, grid, base=slow.base, **options)
    _assert_same_effect(fast, slow)

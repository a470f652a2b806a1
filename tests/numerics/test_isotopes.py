"""Isotope substitution from stored C(R) and Γ(R): exact limits and the real MgH el-ph run."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.isotopes import (
    ISOTOPE_MASSES_AMU,
    TC_ROUTES,
    isotope_effect,
    substituted_alpha2f,
    substituted_masses,
)
from aiida_enatom.numerics.metrics import analyse_spectrum
from aiida_enatom.numerics.moments import moments

from ._h3s import h3s_model
from ._h3s import matdyn_grid_mev as h3s_grid
from ._mgh import matdyn_grid_mev, matdyn_lambda, mgh_model

MU_REFERENCE_MEV = 1500.0  # any fixed μ* reference (meV) for hand-made comparisons


@pytest.fixture(scope='module')
def model():
    return mgh_model(smearing=4, q_mesh=(8, 8, 8))


@pytest.fixture(scope='module')
def effects(model):
    grid = matdyn_grid_mev()
    return {mu: isotope_effect(model, {'H': 'D'}, grid, mu_star=mu) for mu in (0.0, 0.1)}


def test_substituted_masses():
    masses = substituted_masses(['Mg', 'H', 'H'], [24.305, 1.008, 1.008], {'H': 'D'})
    np.testing.assert_allclose(masses, [24.305, ISOTOPE_MASSES_AMU['D'], ISOTOPE_MASSES_AMU['D']])
    assert ISOTOPE_MASSES_AMU['D'] == pytest.approx(2.014102, abs=1e-6)  # atomic mass of ²H (CODATA)
    assert substituted_masses(['Mg', 'H'], [24.305, 1.008], {'Mg': 26.0})[0] == 26.0


@pytest.mark.parametrize(
    ('substitution', 'match'),
    [
        ({'Li': 7.0}, "cannot substitute 'Li': the structure has only H, Mg"),
        ({'H': 0.0}, "mass of 'H' must be a positive number of amu, got 0.0"),
        ({'H': -2.0}, "mass of 'H' must be a positive number of amu"),
        ({'H': 'X'}, "unknown isotope 'X' for 'H'"),
        ({'Mg': 'D'}, "unknown isotope 'D' for 'Mg'"),
    ],
)
def test_substituted_masses_rejects(substitution, match):
    with pytest.raises(InputValidationError, match=match):
        substituted_masses(['Mg', 'H'], [24.305, 1.008], substitution)


def test_unchanged_masses_reproduce_stored_spectrum(model):
    grid = matdyn_grid_mev()
    stored = model.stored_alpha2f(grid)
    same = substituted_alpha2f(model, [model.masses_amu], grid)[0]
    np.testing.assert_array_equal(same.frequency, grid)  # the grid factor is exactly 1
    scale = np.abs(stored.spectrum).max()
    np.testing.assert_allclose(same.spectrum, stored.spectrum, rtol=0, atol=1e-12 * scale)
    assert set(same.partials) == set(stored.partials)
    for key, values in stored.partials.items():
        np.testing.assert_allclose(same.partials[key], values, rtol=0, atol=1e-12 * scale)


def test_uniform_mass_scaling_gives_half_at_zero_mu_star(model):
    """Every mass × s at μ* = 0: α²F(ω) → α²F(√s ω), so T_c ∝ M^(-1/2) by every route (re-diagonalised here)."""
    grid = matdyn_grid_mev()
    factor = math.exp(0.1)
    spectra = substituted_alpha2f(
        model, [model.masses_amu, model.masses_amu * factor], grid, partials=False, method='gaussian'
    )
    np.testing.assert_allclose(spectra[1].frequency, spectra[0].frequency / math.sqrt(factor), rtol=1e-12)
    np.testing.assert_allclose(spectra[1].spectrum, spectra[0].spectrum, rtol=0, atol=1e-9 * spectra[0].spectrum.max())
    tc = [analyse_spectrum(s, mu_star=0.0, mu_star_reference_mev=MU_REFERENCE_MEV) for s in spectra]
    for route in TC_ROUTES:
        alpha = -math.log(tc[1][f'tc_{route}_K'] / tc[0][f'tc_{route}_K']) / math.log(factor)
        assert alpha == pytest.approx(0.5, abs=1e-6), route


def test_coefficients_at_zero_mu_star(effects):
    effect = effects[0.0]
    for route in TC_ROUTES:
        assert effect.alpha['all'][route] == pytest.approx(0.5, abs=1e-9)
        # Chain rule: moving ln M_H and ln M_M together is moving all masses; exact to O(h²) in the difference.
        assert effect.alpha['H'][route] + effect.alpha['M'][route] == pytest.approx(0.5, abs=1e-5)
    # The light atom carries the isotope effect.
    assert effect.alpha['H']['eliashberg'] > 0.4
    assert 0.0 < effect.alpha['M']['eliashberg'] < 0.1


def test_coulomb_repulsion_lowers_alpha(effects):
    effect = effects[0.1]
    # μ* held at a fixed frequency: the Eliashberg α drops below ½; the formulas keep ½ by construction.
    assert 0.45 < effect.alpha['all']['eliashberg'] < 0.5
    assert effect.alpha['all']['allen_dynes'] == pytest.approx(0.5, abs=1e-9)
    total = effect.alpha['H']['eliashberg'] + effect.alpha['M']['eliashberg']
    assert total == pytest.approx(effect.alpha['all']['eliashberg'], abs=1e-5)


def test_step_convergence(model):
    grid = matdyn_grid_mev()
    coarse = isotope_effect(model, {'H': 'D'}, grid, mu_star=0.1, log_step=0.1).alpha
    fine = isotope_effect(model, {'H': 'D'}, grid, mu_star=0.1, log_step=0.025).alpha
    for group in ('H', 'M'):
        assert coarse[group]['eliashberg'] == pytest.approx(fine[group]['eliashberg'], abs=1e-4)


def test_deuteration_on_real_run(effects, model):
    """MgH (real QE 6.7 el-ph run): the stored-mass λ is matdyn's; deuteration keeps λ and softens the H modes."""
    effect = effects[0.1]
    assert moments(effect.base).coupling_lambda == pytest.approx(matdyn_lambda()[3], rel=0.02)  # 8³ vs matdyn's 16³
    # λ = Σ_q Tr[Γ(q) C(q)⁻¹] does not depend on the masses; the sampled tetrahedra move it by < 1 %.
    assert moments(effect.substituted).coupling_lambda == pytest.approx(moments(effect.base).coupling_lambda, rel=1e-2)
    ratio_top = effect.substituted.frequency[-1] / effect.base.frequency[-1]
    assert 1 / math.sqrt(2.0141 / 1.008) < ratio_top < 1.0  # H-dominated top of the spectrum, slightly mixed
    ratio = effect.tc_ratio['eliashberg']
    exponent = -math.log(ratio) / math.log(ISOTOPE_MASSES_AMU['D'] / 1.008)
    assert exponent == pytest.approx(effect.alpha['H']['eliashberg'], abs=0.03)  # finite vs differential
    record = effect.as_dict()
    assert record['tc_eliashberg_D_K'] == effect.tc_substituted_k['eliashberg']
    assert record['isotope_alpha_H'] == effect.alpha['H']['eliashberg']
    assert record['isotope_alpha_M'] == effect.alpha['M']['eliashberg']
    assert record['isotope_alpha'] == effect.alpha['all']['eliashberg']
    assert set(effect.substituted.partials) == {'H', 'Mg', 'H-H', 'H-Mg', 'Mg-Mg', 'ev:H', 'ev:Mg'}


def test_bad_step(model):
    with pytest.raises(InputValidationError, match='log_step'):
        isotope_effect(model, {'H': 'D'}, matdyn_grid_mev(), mu_star=0.1, log_step=0.0)


def test_cutoff_convention_scales_mu_star_with_the_spectrum(model, effects):
    """μ* applied at the Matsubara cutoff (∝ ω_max): nothing in T_c is fixed in energy, so α_all = ½ at any μ*."""
    stored = effects[0.1].base  # also checks that a given base spectrum is accepted
    effect = isotope_effect(model, {'H': 2.0}, matdyn_grid_mev(), mu_star=0.1, mu_star_convention='cutoff', base=stored)
    assert effect.mu_star_reference_mev is None
    assert effect.alpha['all']['eliashberg'] == pytest.approx(0.5, abs=1e-9)
    assert effect.alpha['H']['eliashberg'] + effect.alpha['M']['eliashberg'] == pytest.approx(0.5, abs=1e-5)
    assert 'tc_eliashberg_substituted_K' in effect.as_dict('substituted')


def test_h3s_deuteration():
    """H₃S at 200 GPa (real fast-protocol QE run): D₃S/H₃S T_c ratio and the H share of the isotope effect."""
    effect = isotope_effect(h3s_model((8, 8, 8)), {'H': 'D'}, h3s_grid(), mu_star=0.1)
    # Measured on the 16³ mesh of the point as well (same to 1e-4): ratio 0.732, α_H 0.458, α_M 0.033.
    assert effect.tc_ratio['eliashberg'] == pytest.approx(0.732, abs=0.005)
    assert effect.alpha['H']['eliashberg'] == pytest.approx(0.458, abs=0.005)
    assert 0.0 < effect.alpha['M']['eliashberg'] < 0.05  # the metal hardly matters: "metallic hydrogen"
    assert effect.alpha['all']['eliashberg'] == pytest.approx(0.491, abs=0.003)

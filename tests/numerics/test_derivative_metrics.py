"""The Bergmann–Rainer derivative reduced per species: H-mode share, scaling response and the H-only derivative."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize

from aiida_enatom.numerics.bergmann_rainer import tc_functional_derivative
from aiida_enatom.numerics.derivative_metrics import DERIVATIVE_KEYS, derivative_metrics, trapezoid_weights
from aiida_enatom.numerics.eliashberg import eliashberg_tc, mu_star_reference_mev
from aiida_enatom.numerics.spectra import Alpha2F

MU = 0.1


def two_species(overlap: bool = False) -> Alpha2F:
    """Metal peak at 30 meV and H peak at 160 meV (λ ≈ 0.5 + 1.2); with ``overlap`` the H partial also has a share
    of the metal peak (a quarter), as cross terms give."""
    omega = np.linspace(0.0, 300.0, 1501)
    metal = 0.4 * np.exp(-0.5 * ((omega - 30.0) / 6.0) ** 2)
    hydrogen = 1.0 * np.exp(-0.5 * ((omega - 160.0) / 25.0) ** 2)
    metal[0] = hydrogen[0] = 0.0
    if overlap:
        return Alpha2F(omega, metal + hydrogen, {'H': hydrogen + 0.25 * metal, 'M': 0.75 * metal})
    return Alpha2F(omega, metal + hydrogen, {'H': hydrogen, 'M': metal})


@pytest.fixture(scope='module')
def result():
    spectrum = two_species()
    scalars, arrays = derivative_metrics(spectrum, mu_star=MU)
    return spectrum, scalars, arrays, None


def test_keys_and_arrays(result):
    spectrum, scalars, arrays, _ = result
    assert set(scalars) == set(DERIVATIVE_KEYS)
    assert all(value is not None for value in scalars.values())
    n = int(np.count_nonzero(spectrum.positive))
    assert {key: value.shape for key, value in arrays.items()} == {
        'omega_meV': (n,),
        'dtc_da2f_K_per_meV': (n,),
        'dtc_da2f_H_only_K_per_meV': (n,),
    }


def test_full_derivative_is_the_bergmann_rainer_one(result):
    spectrum, scalars, arrays, _ = result
    direct = tc_functional_derivative(spectrum, mu_star=MU)
    np.testing.assert_array_equal(arrays['dtc_da2f_K_per_meV'], direct.dtc_da2f_k_per_mev)
    assert scalars['dtc_da2f_peak_omega_meV'] == direct.peak_omega_mev
    assert 5.0 < scalars['dtc_da2f_peak_over_kTc'] < 9.0


def test_scaling_response_matches_finite_differences(result):
    """∫Dα²F = dT_c/ds for α²F → sα²F; ∫Dα²F_H/∫Dα²F = (dT_c/dε for α²F + εα²F_H) / (dT_c/ds): independent numbers."""
    spectrum, scalars, _, _ = result
    omega, total, hydrogen = spectrum.frequency, spectrum.spectrum, spectrum.partials['H']
    eps = 1e-4

    def tc(values):
        return eliashberg_tc(
            Alpha2F(omega, values), mu_star=MU, mu_star_reference_mev=10.0 * 300.0 * 0 + 10.0 * omega_max
        )

    omega_max = mu_star_reference_mev(spectrum) / 10.0
    scale = (tc((1 + eps) * total).tc_k - tc((1 - eps) * total).tc_k) / (2 * eps)
    h_only = (tc(total + eps * hydrogen).tc_k - tc(total - eps * hydrogen).tc_k) / (2 * eps)
    assert scalars['dtc_dscale_K'] == pytest.approx(scale, rel=1e-5)
    assert scalars['dtc_dscale_share_H'] == pytest.approx(h_only / scale, rel=1e-5)
    assert 0.5 < scalars['dtc_dscale_share_H'] < 1.0


def test_share_of_h_modes_limits():
    spectrum = two_species()
    omega = spectrum.frequency
    only_h = Alpha2F(omega, spectrum.spectrum, {'H': spectrum.spectrum})
    no_h = Alpha2F(omega, spectrum.spectrum, {'H': np.zeros_like(omega)})
    assert derivative_metrics(only_h, mu_star=MU)[0]['dtc_da2f_share_H_modes'] == 1.0
    scalars, arrays = derivative_metrics(no_h, mu_star=MU)
    assert scalars['dtc_da2f_share_H_modes'] == 0.0
    assert scalars['dtc_dscale_share_H'] == 0.0
    assert scalars['dtc_da2f_H_only_peak_omega_meV'] is None and 'dtc_da2f_H_only_K_per_meV' not in arrays


def test_share_of_h_modes_by_hand(result):
    """Bins where α²F_H > α²F/2 are those above the crossing of the two peaks; the share is a plain weighted sum."""
    spectrum, scalars, arrays, _ = result
    mask = spectrum.positive
    omega, a2f, a2f_h = spectrum.frequency[mask], spectrum.spectrum[mask], spectrum.partials['H'][mask]
    weights = np.abs(arrays['dtc_da2f_K_per_meV']) * trapezoid_weights(omega)
    dominated = (a2f > 0) & (2 * a2f_h > a2f)
    # the H peak overtakes the metal one at 0.4 exp(−(ω−30)²/72) = exp(−(ω−160)²/1250)
    crossing = scipy.optimize.brentq(
        lambda x: 0.4 * np.exp(-0.5 * ((x - 30) / 6) ** 2) - np.exp(-0.5 * ((x - 160) / 25) ** 2), 30, 160
    )
    assert omega[dominated].min() == omega[omega > crossing].min()
    assert scalars['dtc_da2f_share_H_modes'] == pytest.approx(weights[dominated].sum() / weights[a2f > 0].sum())
    assert 0.5 < scalars['dtc_da2f_share_H_modes'] < 1.0
    # a quarter of the metal peak in the H partial (cross terms) moves the crossing down: a larger share
    overlapping = derivative_metrics(two_species(overlap=True), mu_star=MU)[0]
    assert overlapping['dtc_da2f_share_H_modes'] > scalars['dtc_da2f_share_H_modes']


def test_h_only_derivative_uses_the_full_reference(result):
    spectrum, scalars, arrays, _ = result
    reference = mu_star_reference_mev(spectrum)
    alone = tc_functional_derivative(
        spectrum.partial('H'), spectrum.frequency[spectrum.positive], mu_star=MU, mu_star_reference_mev=reference
    )
    np.testing.assert_array_equal(arrays['dtc_da2f_H_only_K_per_meV'], alone.dtc_da2f_k_per_mev)
    assert scalars['dtc_da2f_H_only_peak_omega_meV'] == alone.peak_omega_mev


def test_below_t_min_gives_none():
    omega = np.linspace(0.0, 3.0, 301)  # ω_max = 3 meV keeps N ≈ 70 at the 1 K floor: a cheap 'below t_min'
    weak = Alpha2F(omega, np.where(omega > 0, 0.01, 0.0), {'H': np.where(omega > 0, 0.01, 0.0)})
    scalars, arrays = derivative_metrics(weak, mu_star=0.3)
    assert all(value is None for value in scalars.values())
    assert set(arrays) == {'omega_meV'}


def test_h3s_quickstart_derivative_summary():
    """H₃S at 200 GPa (quickstart, fast; μ* = 0.1): the derivative peaks at 7.18 k_BT_c, 92.6 % of ∫|D| lies in
    H-dominated bins and 95.4 % of dT_c/ds comes from the H partial."""
    from tests.numerics.test_mu_star_conventions import h3s_quickstart

    scalars, arrays = derivative_metrics(h3s_quickstart(200), mu_star=MU)
    assert scalars['dtc_da2f_peak_over_kTc'] == pytest.approx(7.182, abs=1e-3)
    assert scalars['dtc_da2f_share_H_modes'] == pytest.approx(0.926, abs=1e-3)
    assert scalars['dtc_dscale_share_H'] == pytest.approx(0.954, abs=1e-3)
    assert scalars['dtc_da2f_H_only_peak_omega_meV'] < scalars['dtc_da2f_peak_omega_meV']
    assert arrays['dtc_da2f_H_only_K_per_meV'].shape == arrays['omega_meV'].shape

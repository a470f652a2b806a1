"""μ* conventions of the Eliashberg solver, and the T_c/𝒜 measures with Leavens' bound, on Nb and analytic spectra."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aiida_enatom.constants import K_TO_MEV
from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.io.columns import parse_columns
from aiida_enatom.numerics.bergmann_rainer import pairing_eigenvalue_temperature_derivative
from aiida_enatom.numerics.eliashberg import (
    MU_STAR_CONVENTIONS,
    eliashberg_tc,
    mu_star_reference_mev,
    pairing_eigenvalue,
)
from aiida_enatom.numerics.metrics import LEAVENS_BOUND_SLOPE, analyse_spectrum, leavens_bound_tc, tc_over_area
from aiida_enatom.numerics.moments import moments
from aiida_enatom.numerics.spectra import Alpha2F
from tests.conftest import FIXTURES
from tests.numerics.test_eliashberg import MAX_TC_OVER_AREA, einstein_spike, hydride_like

#: IsoME.jl's Nb.a2F, smearing column 15 (σ = 0.075): the column whose T_c at μ* = 0.12 in our convention is the
#: 10.69 K quoted for "IsoME's Nb spectrum" (columns 14–17 give 10.74, 10.69, 10.69, 10.71 K).
NB_COLUMN = 15
#: Numbers quoted for this spectrum at μ* = 0.12 (K): ours, μ* applied at a 5 ω_max cutoff, μ* referred to ω_log.
NB_QUOTED = {'ten_omega_max': 10.69, 'cutoff_5': 10.36, 'omega_log': 8.53}


def h3s_quickstart(pressure: int) -> Alpha2F:
    """H₃S α²F of the quickstart (fast protocol, QE 6.7) at 200 or 250 GPa, with its species partials."""
    path = FIXTURES / 'reference' / 'h3s_quickstart_fast' / f'alpha2f_{pressure}GPa.dat'
    keys = path.read_text(encoding='utf-8').splitlines()[0].split('columns:')[1].split()[2:]
    data = np.loadtxt(path)
    return Alpha2F(data[:, 0], data[:, 1], {key: data[:, 2 + index] for index, key in enumerate(keys)})


@pytest.fixture(scope='module')
def nb():
    return parse_columns(FIXTURES / 'reference' / 'Nb.a2F.xz', unit='THz').to_alpha2f(NB_COLUMN)


def test_nb_spread_of_conventions(nb):
    ours = eliashberg_tc(nb, mu_star=0.12).tc_k
    epw_5 = eliashberg_tc(nb, mu_star=0.12, cutoff_factor=5.0, mu_star_convention='cutoff').tc_k
    omega_log = eliashberg_tc(nb, mu_star=0.12, mu_star_convention='omega_log').tc_k
    # Our own numbers (solver tolerance 1e-10; pinned to 1e-3 K).
    assert ours == pytest.approx(10.691, abs=1e-3)
    assert epw_5 == pytest.approx(10.346, abs=1e-3)
    assert omega_log == pytest.approx(8.523, abs=1e-3)
    # The quoted numbers, rounded to 0.01 K, agree within 0.15 %.
    for value, key in ((ours, 'ten_omega_max'), (epw_5, 'cutoff_5'), (omega_log, 'omega_log')):
        assert value == pytest.approx(NB_QUOTED[key], rel=1.5e-3)
    assert omega_log < epw_5 < ours


def test_cutoff_convention_equals_rescaling_from_the_cutoff(nb):
    """EPW's convention at a cutoff c·ω_max is ours with μ* quoted at c·ω_max: identical matrices."""
    omega_max = mu_star_reference_mev(nb) / 10.0
    for factor in (5.0, 10.0):
        epw = eliashberg_tc(nb, mu_star=0.12, cutoff_factor=factor, mu_star_convention='cutoff')
        quoted = eliashberg_tc(nb, mu_star=0.12, cutoff_factor=factor, mu_star_reference_mev=factor * omega_max)
        assert epw.tc_k == pytest.approx(quoted.tc_k, rel=1e-9)
        assert epw.mu_star_cutoff == 0.12
        assert epw.mu_star_convention == 'cutoff'
        assert epw.reference_mev == pytest.approx(factor * omega_max, rel=1e-12)
    # At the default cutoff 10 ω_max, EPW's convention and ours coincide.
    assert eliashberg_tc(nb, mu_star=0.12, mu_star_convention='cutoff').tc_k == pytest.approx(10.691, abs=1e-3)


def test_omega_log_convention_is_morel_anderson_from_omega_log(nb):
    """μ* at ω_log equals μ*' = 1/(1/μ* + ln(ω_log/10ω_max)) quoted at 10 ω_max (exact rescaling identity)."""
    omega_log = moments(nb).omega_log
    assert mu_star_reference_mev(nb, 'omega_log') == omega_log
    rescaled = 1.0 / (1.0 / 0.12 + math.log(omega_log / mu_star_reference_mev(nb)))
    direct = eliashberg_tc(nb, mu_star=0.12, mu_star_convention='omega_log')
    assert direct.mu_star_cutoff == pytest.approx(rescaled, rel=1e-12)
    assert direct.tc_k == pytest.approx(eliashberg_tc(nb, mu_star=rescaled).tc_k, rel=1e-9)


def test_conventions_agree_at_mu_star_zero():
    spectrum = hydride_like()
    values = [eliashberg_tc(spectrum, mu_star=0.0, mu_star_convention=name).tc_k for name in MU_STAR_CONVENTIONS]
    np.testing.assert_allclose(values, values[0], rtol=1e-10)


def test_temperature_derivative_without_rescaling_matches_finite_difference():
    """λ = 20 Einstein at 150 K: ω_c = 2πk_BT·min_matsubara follows T; with 'cutoff' μ* must not follow it."""
    spectrum = einstein_spike(10.0, 20.0)
    step = 1e-2
    finite = (
        pairing_eigenvalue(spectrum, 150.0 + step, mu_star=0.15, mu_star_convention='cutoff')
        - pairing_eigenvalue(spectrum, 150.0 - step, mu_star=0.15, mu_star_convention='cutoff')
    ) / (2 * step)
    analytic = pairing_eigenvalue_temperature_derivative(spectrum, 150.0, mu_star=0.15, mu_star_convention='cutoff')
    np.testing.assert_allclose(analytic, finite, rtol=1e-6)


def test_invalid_conventions():
    spectrum = hydride_like()
    with pytest.raises(InputValidationError, match='mu_star_convention'):
        eliashberg_tc(spectrum, mu_star=0.1, mu_star_convention='epw')
    with pytest.raises(InputValidationError, match="'cutoff'"):
        eliashberg_tc(spectrum, mu_star=0.1, mu_star_convention='cutoff', mu_star_reference_mev=100.0)
    with pytest.raises(InputValidationError, match='choose one of ten_omega_max, cutoff, omega_log'):
        analyse_spectrum(spectrum, mu_star=0.1, mu_star_convention='Cutoff')


def test_analyse_spectrum_records_the_convention(nb):
    result = analyse_spectrum(nb, mu_star=0.12, cutoff_factor=5.0, mu_star_convention='cutoff')
    assert result['mu_star_convention'] == 'cutoff'
    assert result['mu_star_cutoff'] == 0.12
    assert result['tc_eliashberg_K'] == pytest.approx(10.346, abs=1e-3)
    default = analyse_spectrum(nb, mu_star=0.12, with_eliashberg=False)
    assert default['mu_star_convention'] == 'ten_omega_max'
    assert default['tc_over_area'] is None and default['mu_star_cutoff'] is None


def test_leavens_bound_is_the_maximum_of_tc_over_area():
    """Einstein spectra at μ* = 0: k_BT_c/𝒜 peaks at 0.2309 (at ω_E ≈ 7.6 k_BT_c) and never exceeds it."""
    ratios = []
    for coupling in np.linspace(0.6, 2.0, 15):
        result = analyse_spectrum(einstein_spike(50.0, coupling), mu_star=0.0)
        assert result['tc_eliashberg_K'] <= result['tc_bound_leavens_K'] * (1 + 1e-3)
        ratios.append(result['tc_over_area'])
    assert max(ratios) == pytest.approx(MAX_TC_OVER_AREA, rel=2e-3)
    assert LEAVENS_BOUND_SLOPE == MAX_TC_OVER_AREA


def test_leavens_bound_and_ratio_on_real_and_model_spectra(nb):
    for spectrum, mu_star in ((nb, 0.12), (nb, 0.0), (hydride_like(), 0.1)):
        result = analyse_spectrum(spectrum, mu_star=mu_star)
        area = result['area_meV']
        assert result['tc_bound_leavens_K'] == pytest.approx(0.2309 * area / K_TO_MEV, rel=1e-12)
        assert result['tc_over_area'] == pytest.approx(result['tc_eliashberg_K'] * K_TO_MEV / area, rel=1e-12)
        assert 0 < result['tc_over_area'] < LEAVENS_BOUND_SLOPE
    # Nb at μ* = 0.12: k_BT_c/𝒜 = 0.132, below the Leavens–Carbotte line 0.148 and far from the bound 0.2309.
    assert analyse_spectrum(nb, mu_star=0.12)['tc_over_area'] == pytest.approx(0.1320, abs=1e-4)


def test_bound_helpers_validate():
    assert leavens_bound_tc(0.0) == 0.0
    assert tc_over_area(None, 10.0) is None
    assert tc_over_area(10.0, 0.0) is None
    with pytest.raises(InputValidationError, match='area'):
        leavens_bound_tc(-1.0)


def test_h3s_spread_of_conventions():
    """H₃S at 200 GPa (quickstart, fast): the conventions at μ* = 0.13 span 192.8–223.9 K (stored λ = 2.143)."""
    spectrum = h3s_quickstart(200)
    assert moments(spectrum).coupling_lambda == pytest.approx(2.1427, abs=1e-4)
    values = {
        'ten_omega_max': eliashberg_tc(spectrum, mu_star=0.13).tc_k,
        'cutoff_5': eliashberg_tc(spectrum, mu_star=0.13, cutoff_factor=5.0, mu_star_convention='cutoff').tc_k,
        'cutoff_20': eliashberg_tc(spectrum, mu_star=0.13, cutoff_factor=20.0, mu_star_convention='cutoff').tc_k,
        'omega_log': eliashberg_tc(spectrum, mu_star=0.13, mu_star_convention='omega_log').tc_k,
    }
    expected = {'ten_omega_max': 220.0, 'cutoff_5': 217.6, 'cutoff_20': 223.9, 'omega_log': 192.8}
    assert values == pytest.approx(expected, abs=0.05)
    # the stored point's own T_c at μ* = 0.10 (compute_metrics of the quickstart run)
    assert eliashberg_tc(spectrum, mu_star=0.10).tc_k == pytest.approx(232.113, abs=1e-3)
    result = analyse_spectrum(spectrum, mu_star=0.13)
    assert result['tc_over_area'] == pytest.approx(0.1576, abs=1e-4)  # far from Leavens' 0.2309

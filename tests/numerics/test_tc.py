"""Closed-form T_c formulas against hand-evaluated values and their limits."""

import math

import numpy as np
import pytest

from aiida_enatom.constants import MEV_TO_K
from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics import allen_dynes_tc, leavens_carbotte_tc, mcmillan_tc, strong_coupling_tc
from aiida_enatom.numerics.tc import allen_dynes_factors


def test_mcmillan_hand_values():
    # λ = 1, μ* = 0.1, ω_log = 20 meV: exponent −1.04·2/(1 − 0.162) = −2.482100…
    expected = 20.0 * MEV_TO_K / 1.2 * math.exp(-2.08 / 0.838)
    np.testing.assert_allclose(mcmillan_tc(1.0, 20.0, 0.1), expected, rtol=1e-14)
    np.testing.assert_allclose(expected, 16.1627, rtol=1e-4)  # 232.09 K / 1.2 × e^−2.48210 = 193.41 K × 0.083567


def test_mcmillan_no_solution_is_zero():
    # λ ≤ μ*(1 + 0.62λ) ⇔ 0.1 ≤ 0.3·1.062: no superconductivity
    assert mcmillan_tc(0.1, 30.0, 0.3) == 0.0


def test_allen_dynes_factors_and_monotonicity():
    f1, f2 = allen_dynes_factors(2.0, 100.0, 100.0, 0.1)
    assert f2 == pytest.approx(1.0)  # ω̄₂ = ω_log: no shape correction
    np.testing.assert_allclose(f1, (1 + (2.0 / (2.46 * 1.38)) ** 1.5) ** (1 / 3), rtol=1e-14)
    f1_weak, _ = allen_dynes_factors(0.01, 100.0, 120.0, 0.1)
    assert f1_weak == pytest.approx(1.0, abs=1e-3)  # correction vanishes at weak coupling
    lambdas = [0.5, 1.0, 2.0, 3.0]
    tcs = [allen_dynes_tc(x, 100.0, 130.0, 0.1) for x in lambdas]
    assert np.all(np.diff(tcs) > 0)
    mus = [0.0, 0.1, 0.15, 0.2]
    assert np.all(np.diff([allen_dynes_tc(2.0, 100.0, 130.0, m) for m in mus]) < 0)


def test_leavens_carbotte_and_strong_coupling():
    np.testing.assert_allclose(leavens_carbotte_tc(100.0), 0.148 * 100.0 * MEV_TO_K, rtol=1e-14)
    np.testing.assert_allclose(strong_coupling_tc(4.0, 50.0), 0.1827 * 50.0 * 2.0 * MEV_TO_K, rtol=1e-14)


@pytest.mark.parametrize('mu_star', [-0.01, 0.5, 0.7, float('nan')])
def test_mu_star_out_of_range(mu_star):
    with pytest.raises(InputValidationError, match=r'\[0, 0.5\)'):
        mcmillan_tc(1.0, 20.0, mu_star)

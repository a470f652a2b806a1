"""McMillan–Hopfield I² and η: hand-evaluated numbers and unit checks."""

from __future__ import annotations

import numpy as np
import pytest

from aiida_enatom.constants import AMU_MEV2_TO_EV_PER_A2
from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.hopfield import hopfield_parameter, renormalise_projected_dos, scattering_strength


def test_h3s_like_numbers():
    # λ_H = 2, ω̄₂ = 150 meV, M_H = 1.008 amu, N_H(0) = 0.1 states/eV/spin/atom:
    # η = 2 × 1.008 × 22500 × 2.392253e-4 = 10.8512 eV/Å²; I² = η/N = 108.512 eV²/Å².
    assert hopfield_parameter(2.0, 150.0, 1.008) == pytest.approx(10.85126, rel=1e-5)
    assert scattering_strength(2.0, 150.0, 1.008, 0.1) == pytest.approx(108.5126, rel=1e-5)


def test_unit_factor_from_si():
    # 1 amu × (1 meV/ħ)² in eV/Å², recomputed from CODATA values.
    amu, ev, hbar = 1.66053906660e-27, 1.602176634e-19, 1.054571817e-34
    assert AMU_MEV2_TO_EV_PER_A2 == pytest.approx(amu * (1e-3 * ev / hbar) ** 2 / ev * 1e-20, rel=1e-9)


def test_scaling():
    base = scattering_strength(1.0, 100.0, 2.0, 0.5)
    assert scattering_strength(2.0, 100.0, 2.0, 0.5) == pytest.approx(2 * base)
    assert scattering_strength(1.0, 200.0, 2.0, 0.5) == pytest.approx(4 * base)
    assert scattering_strength(1.0, 100.0, 2.0, 1.0) == pytest.approx(base / 2)


def test_renormalise():
    out = renormalise_projected_dos({'H1': 0.1, 'H2': 0.1, 'S': 0.2}, 0.5)
    np.testing.assert_allclose(sum(out.values()), 0.5, rtol=1e-14)
    np.testing.assert_allclose([out['H1'], out['S']], [0.125, 0.25], rtol=1e-14)
    with pytest.raises(InputValidationError):
        renormalise_projected_dos({'H': 0.0}, 1.0)
    with pytest.raises(InputValidationError):
        scattering_strength(1.0, 100.0, 1.0, 0.0)

"""H and metal figures of merit: per species, the aggregated metal M, and T_c of the partial spectra alone."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aiida_enatom.constants import AMU_MEV2_TO_EV_PER_A2, K_TO_MEV
from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.metrics import analyse_spectrum
from aiida_enatom.numerics.species_metrics import species_metrics
from aiida_enatom.numerics.spectra import Alpha2F
from aiida_enatom.numerics.tc import leavens_carbotte_tc

EINSTEIN_LAMBDA_ONE = 0.11462  # k_B T_c / ω_E for λ = 1, μ* = 0 (Allen & Dynes 1975)
OMEGA_H, OMEGA_M = 150.0, 30.0  # meV


def _spikes(parts: dict[str, tuple[float, float]]) -> Alpha2F:
    """Einstein spikes (exact under the trapezoid rule), one per partial: key → (ω_E meV, λ)."""
    grid = sorted({w + d for w, _ in parts.values() for d in (-0.01 * w, 0.0, 0.01 * w)})
    omega = np.array(grid)
    partials = {}
    for key, (omega_e, coupling) in parts.items():
        values = np.zeros_like(omega)
        values[np.argmin(abs(omega - omega_e))] = coupling * omega_e / (2.0 * 0.01 * omega_e)
        partials[key] = values
    return Alpha2F(omega, np.sum(list(partials.values()), axis=0), partials)


def test_h_alone_is_the_einstein_limit_and_metal_aliases_the_single_metal():
    spectrum = _spikes({'H': (OMEGA_H, 1.0), 'S': (OMEGA_M, 0.3)})
    full = analyse_spectrum(spectrum, mu_star=0.0)
    out = species_metrics(
        spectrum,
        counts={'H': 3, 'S': 1},
        masses={'H': 1.008, 'S': 32.06},
        fermi_dos_per_atom={'H': 0.05, 'S': 0.15},
        mu_star=0.0,
        full_metrics=full,
    )
    assert out['lambda_H'] == pytest.approx(1.0, rel=1e-12)
    assert out['lambda_S'] == pytest.approx(0.3, rel=1e-12)
    assert out['lambda_H'] + out['lambda_S'] == pytest.approx(full['lambda'], rel=1e-12)
    for key in ('lambda', 'omega_2', 'area', 'I2', 'eta', 'N'):
        h_key = {'lambda': 'lambda_{}', 'omega_2': 'omega_2_{}_meV', 'area': 'area_{}_meV'}.get(key)
        h_key = h_key or {'I2': 'I2_{}_eV2_per_A2', 'eta': 'eta_{}_eV_per_A2', 'N': 'N_{}_0_states_per_eV_spin'}[key]
        assert out[h_key.format('M')] == out[h_key.format('S')]  # one metal: M is that metal
    # T_c of the H spectrum alone: the Einstein λ = 1 limit at ω_E = 150 meV
    assert out['tc_eliashberg_H_K'] * K_TO_MEV / OMEGA_H == pytest.approx(EINSTEIN_LAMBDA_ONE, rel=5e-4)
    assert out['tc_leavens_carbotte_H_K'] == pytest.approx(leavens_carbotte_tc(OMEGA_H / 2.0), rel=1e-12)
    assert out['delta_tc_eliashberg_K'] == pytest.approx(full['tc_eliashberg_K'] - out['tc_eliashberg_H_K'])
    assert out['delta_tc_eliashberg_K'] > 0  # the metal adds a little coupling
    # McMillan–Hopfield per H atom: η = (λ_H/3) M_H ω_E², I² = η / N_H(0)
    eta = 1.0 / 3.0 * 1.008 * OMEGA_H**2 * AMU_MEV2_TO_EV_PER_A2
    assert out['eta_H_eV_per_A2'] == pytest.approx(eta, rel=1e-10)
    assert out['I2_H_eV2_per_A2'] == pytest.approx(eta / 0.05, rel=1e-10)


def test_several_metals_aggregate():
    spectrum = _spikes({'H': (OMEGA_H, 1.2), 'Ca': (20.0, 0.2), 'La': (OMEGA_M, 0.4)})
    out = species_metrics(
        spectrum,
        counts={'H': 10, 'Ca': 1, 'La': 3},
        masses={'H': 1.008, 'Ca': 40.08, 'La': 138.9},
        fermi_dos_per_atom={'H': 0.02, 'Ca': 0.3, 'La': 0.5},
        mu_star=0.1,
    )
    assert out['lambda_M'] == pytest.approx(0.6, rel=1e-12)
    assert out['area_M_meV'] == pytest.approx(out['area_Ca_meV'] + out['area_La_meV'], rel=1e-12)
    assert out['N_M_0_states_per_eV_spin'] == pytest.approx((0.3 + 3 * 0.5) / 4)
    mean_mass = (40.08 + 3 * 138.9) / 4
    eta = 0.6 / 4 * mean_mass * out['omega_2_M_meV'] ** 2 * AMU_MEV2_TO_EV_PER_A2
    assert out['eta_M_eV_per_A2'] == pytest.approx(eta, rel=1e-10)
    omega_2 = math.sqrt((0.2 * 20.0**2 + 0.4 * OMEGA_M**2) / 0.6)  # ⟨ω²⟩ of two Einstein peaks, λ-weighted
    assert out['omega_2_M_meV'] == pytest.approx(omega_2, rel=1e-10)
    assert out['tc_allen_dynes_M_K'] is not None and out['tc_allen_dynes_M_K'] < out['tc_allen_dynes_H_K']
    assert 'delta_tc_eliashberg_K' not in out  # only with full_metrics


def test_no_metal_gives_none_for_m():
    spectrum = _spikes({'H': (OMEGA_H, 1.0)})
    out = species_metrics(spectrum, counts={'H': 2}, masses={'H': 1.008}, fermi_dos_per_atom={'H': 0.1}, mu_star=0.1)
    assert out['lambda_M'] is None and out['tc_eliashberg_M_K'] is None and out['I2_M_eV2_per_A2'] is None
    assert out['lambda_H'] == pytest.approx(1.0)


def test_bad_input():
    spectrum = _spikes({'H': (OMEGA_H, 1.0)})
    with pytest.raises(InputValidationError, match="no partial spectrum for species 'S'"):
        species_metrics(
            spectrum,
            counts={'H': 2, 'S': 1},
            masses={'H': 1.0, 'S': 32.0},
            fermi_dos_per_atom={'H': 0.1, 'S': 0.1},
            mu_star=0.1,
        )
    with pytest.raises(InputValidationError, match='every species needs'):
        species_metrics(spectrum, counts={'H': 0}, masses={'H': 1.0}, fermi_dos_per_atom={'H': 0.1}, mu_star=0.1)

"""Third-order Birch–Murnaghan E(V) and its fit: exact recovery, units, and independent finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from aiida_enatom.constants import EV_PER_A3_TO_GPA
from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.eos import EosFitError, birch_murnaghan_energy, fit_birch_murnaghan


@pytest.mark.parametrize(
    ('e0', 'v0', 'b0', 'b0_prime'),
    [(-3.2, 19.0, 75.0, 4.3), (-1520.7, 41.1, 11.5, 3.4), (0.0, 120.0, 250.0, 5.1)],
)
def test_fit_recovers_the_parameters_exactly(e0, v0, b0, b0_prime):
    volumes = v0 * np.linspace(0.91, 1.09, 7)
    fit = fit_birch_murnaghan(volumes, birch_murnaghan_energy(volumes, e0, v0, b0, b0_prime))
    assert fit.v0_a3 == pytest.approx(v0, rel=1e-11)
    assert fit.b0_gpa == pytest.approx(b0, rel=1e-9)
    assert fit.b0_prime == pytest.approx(b0_prime, rel=1e-8)
    assert fit.e0_ev == pytest.approx(e0, abs=1e-10)
    assert fit.rms_residual_ev < 1e-10


def test_energy_function_against_finite_differences():
    """B0 = V E''(V0) and B0' = dB/dP = -V0 B'(V0) / B0 at V0, from central differences of E(V) only."""
    e0, v0, b0, b0_prime = -3.2, 19.0, 75.0, 4.3

    def energy(v):
        return float(birch_murnaghan_energy(v, e0, v0, b0, b0_prime))

    def bulk_modulus(v, h=1e-3):
        return v * (energy(v + h) - 2 * energy(v) + energy(v - h)) / h**2 * EV_PER_A3_TO_GPA

    h = 1e-3
    # P(V0) = 0; for scale, P at 1 % volume strain is B0 x 0.01 = 4.7e-3 eV/Å³ (the O(h²) error is ~1e-9)
    assert (energy(v0 + h) - energy(v0 - h)) / (2 * h) == pytest.approx(0.0, abs=1e-7)
    assert bulk_modulus(v0) == pytest.approx(b0, rel=1e-6)
    db_dv = (bulk_modulus(v0 + 0.05) - bulk_modulus(v0 - 0.05)) / 0.1
    assert -v0 * db_dv / b0 == pytest.approx(b0_prime, rel=1e-3)


def test_ev_per_cubic_angstrom_in_gpa():
    # 1 eV/Å³ = 1.602176634e-19 J / 1e-30 m³ = 1.602176634e11 Pa (exact since the 2019 SI)
    assert EV_PER_A3_TO_GPA == pytest.approx(160.2176634, rel=1e-15)


def test_volumes_on_one_side_of_the_minimum():
    volumes = 19.0 * np.linspace(1.2, 1.5, 7)
    with pytest.raises(EosFitError, match='no energy minimum inside the sampled volume range'):
        fit_birch_murnaghan(volumes, birch_murnaghan_energy(volumes, 0.0, 19.0, 75.0, 4.3))


@pytest.mark.parametrize(
    ('volumes', 'energies', 'match'),
    [
        ([1.0, 2.0, 3.0], [0.0, -1.0, 0.0], 'at least 4 distinct volumes'),
        ([1.0, 1.0, 2.0, 2.0, 3.0], [0.0, 0.0, -1.0, -1.0, 0.0], 'at least 4 distinct volumes'),
        ([1.0, 2.0, 3.0, 4.0], [0.0, -1.0, 0.0], 'equal length'),
        ([1.0, 2.0, 3.0, -4.0], [0.0, -1.0, 0.0, 1.0], 'positive'),
        ([1.0, 2.0, 3.0, 4.0], [0.0, np.nan, 0.0, 1.0], 'finite'),
    ],
)
def test_bad_input(volumes, energies, match):
    with pytest.raises(InputValidationError, match=match):
        fit_birch_murnaghan(volumes, energies)

"""AiiDA-free fixtures shared by all test trees: analytic spectra and the fixture folder."""

from __future__ import annotations

import pathlib

import matplotlib
import numpy as np
import pytest

matplotlib.use('Agg')

FIXTURES = pathlib.Path(__file__).parent / 'fixtures'


@pytest.fixture
def fixtures_path() -> pathlib.Path:
    """Return the folder of stored test files."""
    return FIXTURES


def box_spectrum(low: float, high: float, height: float, n: int = 20001):
    """Return (ω, α²F) for α²F = ``height`` on [low, high] meV (zero elsewhere, so the grid spans only the box).

    Sampling a step function on a wider grid would add O(h) ramps at the edges; spanning exactly the box keeps
    the trapezoid error O(h²) from the curvature of 1/ω alone.
    """
    omega = np.linspace(low, high, n)
    return omega, np.full(n, height)


def einstein_spectrum(omega_e: float, coupling: float, width: float, n: int = 4001):
    """Return (ω, α²F): a normalised Gaussian at ``omega_e`` meV with weight λω_E/2 (so λ ≈ ``coupling``)."""
    omega = np.linspace(max(omega_e - 12 * width, 1e-6), omega_e + 12 * width, n)
    gauss = np.exp(-0.5 * ((omega - omega_e) / width) ** 2) / (np.sqrt(2 * np.pi) * width)
    return omega, 0.5 * coupling * omega_e * gauss

"""Spherical averages with minimum-image distances, and the tail at half the supercell."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.radial import inscribed_radius, minimum_image_distances, spherical_average

TRICLINIC = np.array([[5.0, 0.0, 0.0], [1.2, 5.3, 0.0], [-0.8, 0.9, 4.7]])


def brute_force_distances(shape, cell, center):
    frac = np.stack(np.meshgrid(*[np.arange(n) / n for n in shape], indexing='ij'), axis=-1)
    points = frac @ cell
    best = np.full(shape, np.inf)
    for shift in itertools.product(range(-3, 4), repeat=3):
        best = np.minimum(best, np.linalg.norm(points + np.array(shift) @ cell - center, axis=-1))
    return best


def test_minimum_image_distances_triclinic():
    center = np.array([4.1, -0.3, 2.2])
    np.testing.assert_allclose(
        minimum_image_distances((9, 8, 7), TRICLINIC, center),
        brute_force_distances((9, 8, 7), TRICLINIC, center),
        atol=1e-12,
    )


def test_inscribed_radius():
    np.testing.assert_allclose(inscribed_radius(np.eye(3) * 6.0), 3.0)
    # fcc primitive cell with a = 4: shortest lattice vector a/√2
    fcc = 2.0 * np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0]], dtype=float)
    np.testing.assert_allclose(inscribed_radius(fcc), 4.0 / np.sqrt(2) / 2)


@pytest.mark.parametrize('bin_width', [0.05, 0.2])
def test_radial_profile_of_distance(bin_width):
    """For f = |r − c| the bin mean lies inside the bin."""
    center = np.array([1.3, 2.2, 0.4])
    distance = minimum_image_distances((24, 24, 24), TRICLINIC, center)
    profile = spherical_average(distance, TRICLINIC, center, bin_width=bin_width)
    assert np.all(np.abs(profile.value - profile.radius) <= bin_width / 2 + 1e-12)
    assert profile.radius.max() <= profile.r_max + bin_width / 2
    assert profile.counts.sum() == np.count_nonzero(distance <= profile.r_max)


def test_gaussian_profile_and_tail():
    center = np.array([2.0, 2.0, 2.0])
    cell = np.eye(3) * 8.0
    r = minimum_image_distances((32, 32, 32), cell, center)
    field = np.exp(-(r**2) / (2 * 0.5**2))
    profile = spherical_average(field, cell, center, bin_width=0.1)
    # value at r=0 bin is the grid point on the centre (exactly 1)
    np.testing.assert_allclose(profile.value[0], 1.0)
    # Gaussian over bin [0.9, 1.0): bin mean lies between its end values
    k = np.searchsorted(profile.radius, 0.95)
    assert np.exp(-(1.0**2) / 0.5) <= profile.value[k] <= np.exp(-(0.9**2) / 0.5)
    tail = profile.tail()
    # tail shell [r_max − 0.4, r_max] = [3.6, 4.0] Å: mean of the Gaussian between its values at 4.0 and 3.6
    assert np.exp(-(4.0**2) / 0.5) <= tail['relative'] <= np.exp(-(3.6**2) / 0.5)
    np.testing.assert_allclose(tail['peak'], 1.0)
    constant = spherical_average(np.ones_like(field), cell, center).tail()
    np.testing.assert_allclose(constant['relative'], 1.0)


def test_bad_inputs():
    with pytest.raises(InputValidationError, match='shape'):
        spherical_average(np.zeros((4, 4)), np.eye(3), np.zeros(3))
    with pytest.raises(InputValidationError, match='bin_width'):
        spherical_average(np.zeros((4, 4, 4)), np.eye(3), np.zeros(3), bin_width=0)

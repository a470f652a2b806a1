"""Enatom plots: the slice geometry is right and the plots draw what they claim on Agg axes."""

from __future__ import annotations

import matplotlib

matplotlib.use('Agg')

import numpy as np
import pytest

from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.helmholtz import helmholtz_decompose
from aiida_enatom.numerics.radial import minimum_image_distances, spherical_average
from aiida_enatom.plotting.enatom import (
    plane_slice,
    plot_backflow_slice,
    plot_radial_profiles,
    plot_rigid_slice,
)
from tests.numerics.enatom_model import h3s_model

TRICLINIC = np.array([[4.0, 0.0, 0.0], [1.0, 4.2, 0.0], [-0.6, 0.8, 3.9]])


@pytest.mark.parametrize('normal_axis', [0, 1, 2])
def test_plane_slice_coordinates_are_distances(normal_axis):
    """With f = |r − c|, every slice value equals the in-plane distance from the centre (plane through c)."""
    shape = (16, 18, 20)
    # centre exactly on a grid point, so the plane passes through it
    center = np.array([3, 5, 7]) / np.array(shape) @ TRICLINIC
    field = minimum_image_distances(shape, TRICLINIC, center)
    x, y, values = plane_slice(field, TRICLINIC, center, normal_axis=normal_axis)
    near = np.hypot(x, y) < 1.5  # well inside the minimum-image region
    np.testing.assert_allclose(values[near], np.hypot(x, y)[near], atol=1e-12)
    np.testing.assert_allclose(values.min(), 0.0, atol=1e-12)
    assert np.hypot(x, y)[np.unravel_index(np.argmin(values), values.shape)] < 1e-12


def test_plane_slice_bad_axis():
    with pytest.raises(InputValidationError, match='normal_axis'):
        plane_slice(np.zeros((4, 4, 4)), np.eye(3), np.zeros(3), normal_axis=3)


@pytest.fixture(scope='module')
def h_components():
    model = h3s_model(n=16)
    atom = 2
    return model, atom, helmholtz_decompose(model.field(atom), model.cell)


def test_slices_draw(h_components):
    model, atom, parts = h_components
    center = model.positions[atom] @ model.cell
    ax = plot_rigid_slice(parts, center)
    mesh = ax.collections[0]
    assert mesh.get_array().size == 16 * 16
    vmin, vmax = mesh.get_clim()
    np.testing.assert_allclose(-vmin, vmax)
    ax = plot_backflow_slice(parts, center, normal_axis=0)
    assert ax.collections[0].get_array().min() >= 0.0
    assert 'W' in ax.figure.axes[-1].get_ylabel()


def test_radial_profiles_draw(h_components):
    model, atom, parts = h_components
    center = model.positions[atom] @ model.cell
    profile = spherical_average(parts.rigid, model.cell, center, bin_width=0.1)
    ax = plot_radial_profiles({'H': profile})
    np.testing.assert_allclose(ax.lines[0].get_ydata(), profile.value)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ['H']
    with pytest.raises(InputValidationError):
        plot_radial_profiles({})

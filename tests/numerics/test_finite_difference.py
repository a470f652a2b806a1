"""Central finite differences of displaced-supercell potentials: exactness, linearity diagnostics, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.finite_difference import central_difference

RNG = np.random.default_rng(11)
V0, V1, V2, V3 = (RNG.normal(size=(6, 5, 4)) for _ in range(4))


def quadratic(u):
    return V0 + u * V1 + u**2 * V2


def cubic(u):
    return quadratic(u) + u**3 * V3


@pytest.mark.parametrize('u', [1e-4, 0.01, 0.1])
def test_exact_on_quadratic_model(u):
    fd = central_difference(
        quadratic(u), quadratic(-u), u, v_zero=V0, v_plus2=quadratic(2 * u), v_minus2=quadratic(-2 * u)
    )
    # the u² term cancels exactly; only rounding of (V(+u) − V(−u))/2u, amplified by |V0|/u, remains
    np.testing.assert_allclose(fd.derivative, V1, rtol=0, atol=1e-15 / u * 10)
    np.testing.assert_allclose(fd.linearity, 0.0, atol=1e-15 / u**2 * 10)
    # asymmetry = ‖2u² V2‖ / ‖2u V1‖ = u ‖V2‖/‖V1‖
    np.testing.assert_allclose(fd.asymmetry, u * np.linalg.norm(V2) / np.linalg.norm(V1), rtol=1e-6)


def test_linear_field_gives_constant_derivative():
    fd = central_difference(np.full((3, 3, 3), 0.05 * 2.5), np.full((3, 3, 3), -0.05 * 2.5), 0.05)
    np.testing.assert_allclose(fd.derivative, 2.5, rtol=1e-14)


def test_linearity_measures_cubic_term():
    u = 0.05
    fd = central_difference(cubic(u), cubic(-u), u, v_plus2=cubic(2 * u), v_minus2=cubic(-2 * u))
    # F(u) = V1 + u² V3, F(2u) = V1 + 4u² V3 → ‖3u² V3‖/‖V1 + u² V3‖
    expected = np.linalg.norm(3 * u**2 * V3) / np.linalg.norm(V1 + u**2 * V3)
    np.testing.assert_allclose(fd.linearity, expected, rtol=1e-10)
    # Richardson removes the u² error
    np.testing.assert_allclose(fd.richardson, V1, atol=1e-12)
    np.testing.assert_allclose(fd.derivative, V1 + u**2 * V3, atol=1e-13)
    assert fd.asymmetry is None


@pytest.mark.parametrize('u', [5e-5, 0.2, 0.0, -0.01, np.nan])
def test_amplitude_out_of_range(u):
    with pytest.raises(InputValidationError, match='amplitude'):
        central_difference(V0, V0, u)


def test_shape_mismatch_names_grid():
    with pytest.raises(InputValidationError, match='v_minus has'):
        central_difference(V0, V0[:, :, :3], 0.01)
    with pytest.raises(InputValidationError, match='v_zero has'):
        central_difference(V0, V0, 0.01, v_zero=V0[:5])


def test_cell_mismatch_names_grid():
    cell = np.eye(3) * 4.0
    other = cell.copy()
    other[1, 1] += 1e-3
    with pytest.raises(InputValidationError, match='cells differ: v_minus and v_plus'):
        central_difference(V0, V0, 0.01, cells={'v_plus': cell, 'v_minus': other})
    fd = central_difference(V0, V0, 0.01, cells={'v_plus': cell, 'v_minus': cell + 1e-7})
    np.testing.assert_allclose(fd.derivative, 0.0)


def test_other_bad_inputs():
    with pytest.raises(InputValidationError, match='together'):
        central_difference(V0, V0, 0.01, v_plus2=V0)
    with pytest.raises(InputValidationError, match='3D grid'):
        central_difference(V0[0], V0[0], 0.01)
    with pytest.raises(InputValidationError, match='NaN'):
        central_difference(np.full_like(V0, np.nan), V0, 0.01)
    with pytest.raises(InputValidationError, match='unknown grids'):
        central_difference(V0, V0, 0.01, cells={'v_plus3': np.eye(3)})

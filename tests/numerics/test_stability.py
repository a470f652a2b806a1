"""Lowest frequency of a ph.x q-grid: the acoustic modes at Γ are not an instability, imaginary optical ones are."""

from __future__ import annotations

import numpy as np
import pytest

from aiida_enatom.constants import CM1_TO_MEV
from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.stability import coarse_grid_minimum

# ph.x 6.7, H3S (Im-3m) at 200 GPa, `balanced` protocol (q 4x4x4, k 12x12x12; this repository's offline PBE
# family): the first frequencies (cm⁻¹) of the first three dynamical matrices, as printed in its aiida.out.
H3S_GAMMA = [-17.122799] * 3 + [490.919998] * 3 + [1173.187623] * 3 + [1651.805402] * 3
H3S_Q2 = [239.344640, 368.857295, 490.386029, 584.900493, 862.283009, 1009.391629]
H3S_Q3 = [313.727833, 501.0, 573.0, 879.0]


def mev(values):
    return np.asarray(values) * CM1_TO_MEV


def test_real_h3s_grid_is_stable_once_the_acoustic_modes_are_left_out():
    result = coarse_grid_minimum(
        [[0, 0, 0], [0.2165, 0.2165, 0], [-0.433, -0.433, 0]], [mev(H3S_GAMMA), mev(H3S_Q2), mev(H3S_Q3)]
    )
    assert result.lowest_meV == pytest.approx(239.344640 * CM1_TO_MEV)
    assert result.acoustic_gamma_max_abs_meV == pytest.approx(17.122799 * CM1_TO_MEV)  # 2.12 meV
    # Counting the acoustic modes would have put the minimum at -2.12 meV, below the 2 meV threshold.
    assert np.min(mev(H3S_GAMMA)) < -2.0


def test_imaginary_optical_mode_at_gamma_is_kept():
    gamma = mev([-300.0, -2.0, 1.0, 2.0, 500.0, 500.0])
    result = coarse_grid_minimum([[0.0, 0.0, 0.0]], [gamma])
    assert result.lowest_meV == pytest.approx(-300.0 * CM1_TO_MEV)
    assert result.acoustic_gamma_max_abs_meV == pytest.approx(2.0 * CM1_TO_MEV)


def test_imaginary_mode_away_from_gamma_is_kept():
    # The fast protocol (k 8x8x8) at the same q as H3S_Q2: -484 cm⁻¹, a k-sampling artefact, but the grid says so.
    result = coarse_grid_minimum([[0, 0, 0], [0.2165, 0.2165, 0]], [mev(H3S_GAMMA), mev([-484.211693, 242.9])])
    assert result.lowest_meV == pytest.approx(-484.211693 * CM1_TO_MEV)


def test_one_atom_cell_gamma_has_only_acoustic_modes():
    result = coarse_grid_minimum([[0, 0, 0], [0.5, 0.5, 0.5]], [mev([-3.0, 1.0, 2.0]), mev([150.0, 150.0, 300.0])])
    assert result.lowest_meV == pytest.approx(150.0 * CM1_TO_MEV)
    assert result.acoustic_gamma_max_abs_meV == pytest.approx(3.0 * CM1_TO_MEV)


def test_grid_without_gamma_and_empty_grid():
    result = coarse_grid_minimum([[0.5, 0, 0]], [mev([-1.0, 100.0])])
    assert result.lowest_meV == pytest.approx(-1.0 * CM1_TO_MEV)
    assert result.acoustic_gamma_max_abs_meV is None
    assert coarse_grid_minimum([], []).lowest_meV == float('inf')


@pytest.mark.parametrize(
    ('qpoints', 'frequencies', 'match'),
    [
        ([[0, 0, 0]], [], 'must pair up'),
        ([[0, 0]], [[1.0, 2.0, 3.0]], 'not a 3-vector'),
        ([[0, 0, 0]], [[1.0, 2.0]], 'Γ has 2 modes'),
    ],
)
def test_bad_input_is_named(qpoints, frequencies, match):
    with pytest.raises(InputValidationError, match=match):
        coarse_grid_minimum(qpoints, frequencies)

"""Most imaginary mode of an interpolated mesh: analytic cases and a real matdyn.x mesh (expanded fcc Al, QE 6.7)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aiida_enatom.constants import CM1_TO_MEV
from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.io.qe_matdyn_freq import parse_matdyn_frequencies
from aiida_enatom.io.qe_q2r import parse_force_constants
from aiida_enatom.numerics.interpolated_minimum import interpolated_minimum

AL = Path(__file__).parents[1] / 'fixtures' / 'qe' / 'al_q333_qe67_soft_interpolation'
H3S = AL.parent / 'h3s_fast_qe67_soft_q'
#: fcc primitive vectors (QE ibrav = 2) in units of alat; their reciprocal vectors in 2π/alat.
FCC = np.array([[-0.5, 0.0, 0.5], [0.0, 0.5, 0.5], [-0.5, 0.5, 0.0]])
FCC_RECIPROCAL = np.array([[-1.0, -1.0, 1.0], [1.0, 1.0, 1.0], [-1.0, 1.0, -1.0]])


def test_real_al_mesh_worst_q_in_both_coordinates():
    frequencies = parse_matdyn_frequencies(AL / 'phonon_frequencies.dat')
    constants = parse_force_constants(AL / 'al333.fc')
    np.testing.assert_allclose(constants.cell, FCC)
    result = interpolated_minimum(
        frequencies.qpoints, frequencies.frequencies_cm1 * CM1_TO_MEV, constants.cell, threshold_meV=5 * CM1_TO_MEV
    )
    assert result.lowest_meV == pytest.approx(-15.3385 * CM1_TO_MEV)  # −1.90 meV
    np.testing.assert_allclose(result.qpoint_cartesian, [0.0, 0.375, 0.0])
    # c_i = q · a_i: (0, 3/16, 3/16), i.e. q = 3/16 (b2 + b3); rebuilding q from b_i closes the loop.
    np.testing.assert_allclose(result.qpoint_crystal, [0.0, 0.1875, 0.1875], atol=1e-12)
    np.testing.assert_allclose(np.asarray(result.qpoint_crystal) @ FCC_RECIPROCAL, [0.0, 0.375, 0.0], atol=1e-12)
    assert result.n_below == 16
    assert result.n_frequencies == 145 * 3


def test_real_h3s_former_fast_mesh():
    """H3S 200 GPa, k 8³ / MV 0.03 Ry, q 4³ → matdyn 16³ (fixture README): the −427 cm⁻¹ of the issue."""
    frequencies = parse_matdyn_frequencies(H3S / 'phonon_frequencies.dat')
    constants = parse_force_constants(H3S / 'h3s.fc.gz')
    assert constants.grid == (4, 4, 4)
    assert frequencies.frequencies_cm1.shape == (145, 12)
    result = interpolated_minimum(
        frequencies.qpoints, frequencies.frequencies_cm1 * CM1_TO_MEV, constants.cell, threshold_meV=3.0
    )
    assert result.lowest_meV == pytest.approx(-427.3377 * CM1_TO_MEV)  # −53.0 meV
    # (3/16, 3/16, 1/8) 2π/a in 2π/alat (alat = |a1| = a√3/2) and in crystal coordinates of the bcc cell.
    np.testing.assert_allclose(result.qpoint_cartesian, np.array([3, 3, 2]) / 16 * np.sqrt(3) / 2, atol=2e-6)
    np.testing.assert_allclose(result.qpoint_crystal, [0.0625, 0.0625, 0.125], atol=2e-6)
    assert result.n_below == 5
    assert result.n_frequencies == 145 * 12


def test_first_of_equal_minima_and_no_cell():
    q = [[0.0, 0.0, 0.0], [0.1, 0.0, 0.0], [0.2, 0.0, 0.0]]
    omega = [[0.0, 1.0], [-4.0, 2.0], [3.0, -4.0]]
    result = interpolated_minimum(q, omega)
    assert result.lowest_meV == -4.0
    assert result.qpoint_cartesian == (0.1, 0.0, 0.0)
    assert result.qpoint_crystal is None
    assert result.n_below == 2
    assert interpolated_minimum(q, omega, threshold_meV=4.0).n_below == 0


def test_stable_mesh_reports_its_lowest_mode():
    result = interpolated_minimum([[0, 0, 0], [0.5, 0.5, 0.5]], [[0.0, 0.0, 0.0], [10.0, 10.0, 20.0]], FCC)
    assert result.lowest_meV == 0.0
    assert result.qpoint_crystal == (0.0, 0.0, 0.0)
    assert result.n_below == 0


@pytest.mark.parametrize(
    ('qpoints', 'frequencies', 'cell', 'threshold', 'match'),
    [
        ([], [], None, 0.0, r'shape \(n_q ≥ 1, 3\)'),
        ([[0, 0]], [[1.0]], None, 0.0, r'shape \(n_q ≥ 1, 3\)'),
        ([[0, 0, 0]], [[1.0], [2.0]], None, 0.0, r'shape \(1, n_branches ≥ 1\)'),
        ([[0, 0, 0]], [[np.nan]], None, 0.0, 'finite'),
        ([[0, 0, 0]], [[1.0]], np.zeros((3, 3)), 0.0, 'non-singular'),
        ([[0, 0, 0]], [[1.0]], None, -1.0, 'threshold_meV must be ≥ 0'),
    ],
)
def test_bad_input_is_named(qpoints, frequencies, cell, threshold, match):
    with pytest.raises(InputValidationError, match=match):
        interpolated_minimum(qpoints, frequencies, cell, threshold)

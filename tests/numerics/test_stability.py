"""Stability verdict: the ph.x grid minimum (acoustic modes at Γ left out) and the rule weighing grid, mesh and q."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aiida_enatom.constants import CM1_TO_MEV
from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.io.qe_dyn import parse_dyn_file
from aiida_enatom.io.qe_matdyn_freq import parse_matdyn_frequencies
from aiida_enatom.numerics.interpolated_minimum import interpolated_minimum
from aiida_enatom.numerics.stability import (
    EVIDENCE_DIRECT_Q,
    EVIDENCE_INTERPOLATED_MESH,
    EVIDENCE_PH_GRID,
    coarse_grid_minimum,
    decide_stability,
    needs_direct_check,
)

AL = Path(__file__).parents[1] / 'fixtures' / 'qe' / 'al_q333_qe67_soft_interpolation'
AL_SPURIOUS = AL.parent / 'al_q333_qe67_spurious_interpolation'

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


# ---- the verdict ---------------------------------------------------------------------------------------------------

#: H3S at 200 GPa, `fast` protocol before this change (k 8³, MV 0.03 Ry, q 4³, matdyn 16³): the numbers of the issue.
#: ph.x grid lowest 30.1 meV at (¼,¼,0) 2π/a; interpolated mesh −425 cm⁻¹ at (0.162, 0.162, 0.108) 2π/alat; ph.x run
#: directly there (same SCF) −145 cm⁻¹.
H3S_FAST_GRID_MEV = 30.1
H3S_FAST_MESH_MEV = -425.0 * CM1_TO_MEV
H3S_FAST_DIRECT_MEV = -145.0 * CM1_TO_MEV


def test_h3s_fast_interpolation_only_instability_confirmed_by_the_direct_check():
    assert needs_direct_check(H3S_FAST_GRID_MEV, H3S_FAST_MESH_MEV, 3.0)
    verdict = decide_stability(H3S_FAST_GRID_MEV, H3S_FAST_MESH_MEV, 3.0, H3S_FAST_DIRECT_MEV)
    assert verdict.dynamically_stable is False
    assert verdict.evidence == EVIDENCE_DIRECT_Q
    assert verdict.lowest_meV == pytest.approx(-145.0 * CM1_TO_MEV)  # −18.0 meV: min(grid, direct), not the mesh
    # Without the direct check the same point stays unstable on the interpolation alone.
    without = decide_stability(H3S_FAST_GRID_MEV, H3S_FAST_MESH_MEV, 3.0)
    assert (without.dynamically_stable, without.evidence) == (False, EVIDENCE_INTERPOLATED_MESH)
    assert without.lowest_meV == pytest.approx(H3S_FAST_MESH_MEV)


def test_stable_by_the_direct_check_reports_the_lower_of_grid_and_direct():
    verdict = decide_stability(30.1, -52.7, 3.0, direct_lowest_meV=27.3)
    assert (verdict.dynamically_stable, verdict.evidence, verdict.lowest_meV) == (True, EVIDENCE_DIRECT_Q, 27.3)
    verdict = decide_stability(30.1, -52.7, 3.0, direct_lowest_meV=-2.5)  # within the tolerance
    assert (verdict.dynamically_stable, verdict.evidence, verdict.lowest_meV) == (True, EVIDENCE_DIRECT_Q, -2.5)


def test_real_al_grid_stable_mesh_and_direct_unstable():
    """Expanded fcc Al (fixture README): the soft TA mode between the 3³ grid points is real."""
    dyns = [parse_dyn_file(AL / f'al.dyn{index}') for index in range(1, 5)]
    grid = coarse_grid_minimum([dyn.diagonal_q_point for dyn in dyns], [dyn.frequency_mev for dyn in dyns])
    assert grid.lowest_meV == pytest.approx(24.143254 * CM1_TO_MEV, rel=1e-5)
    frequencies = parse_matdyn_frequencies(AL / 'phonon_frequencies.dat')
    mesh = interpolated_minimum(frequencies.qpoints, frequencies.frequencies_cm1 * CM1_TO_MEV)
    direct = parse_dyn_file(AL / 'al.dyn_direct')
    np.testing.assert_allclose(direct.diagonal_q_point, mesh.qpoint_cartesian)  # ph.x ran at the worst mesh q
    direct_lowest = coarse_grid_minimum([direct.diagonal_q_point], [direct.frequency_mev]).lowest_meV
    assert direct_lowest == pytest.approx(-18.81382 * CM1_TO_MEV, rel=1e-5)
    threshold = 1.0  # meV; mesh −1.90 meV and direct −2.33 meV are both beyond it
    assert needs_direct_check(grid.lowest_meV, mesh.lowest_meV, threshold)
    verdict = decide_stability(grid.lowest_meV, mesh.lowest_meV, threshold, direct_lowest)
    assert (verdict.dynamically_stable, verdict.evidence) == (False, EVIDENCE_DIRECT_Q)
    assert verdict.lowest_meV == pytest.approx(direct_lowest)
    # With the 5 meV tolerance of the `test` protocol the same mesh is within the noise: stable, no check needed.
    assert not needs_direct_check(grid.lowest_meV, mesh.lowest_meV, 5.0)
    assert decide_stability(grid.lowest_meV, mesh.lowest_meV, 5.0).evidence == EVIDENCE_INTERPOLATED_MESH


def _real_case(folder: Path) -> tuple[float, float, float]:
    """Grid minimum, mesh minimum and direct-check minimum (meV) of a stored Al case."""
    dyns = [parse_dyn_file(folder / f'al.dyn{index}') for index in range(1, 5)]
    grid = coarse_grid_minimum([dyn.diagonal_q_point for dyn in dyns], [dyn.frequency_mev for dyn in dyns])
    frequencies = parse_matdyn_frequencies(folder / 'phonon_frequencies.dat')
    mesh = interpolated_minimum(frequencies.qpoints, frequencies.frequencies_cm1 * CM1_TO_MEV)
    direct = parse_dyn_file(folder / 'al.dyn_direct')
    np.testing.assert_allclose(direct.diagonal_q_point, mesh.qpoint_cartesian)  # ph.x ran at the worst mesh q
    return (
        grid.lowest_meV,
        mesh.lowest_meV,
        coarse_grid_minimum([direct.diagonal_q_point], [direct.frequency_mev]).lowest_meV,
    )


def test_real_al_spurious_interpolated_mode_is_removed_by_the_direct_check():
    """fcc Al at 8.0 bohr, MV 0.01 Ry (fixture README): the mesh's −16.8 cm⁻¹ is an interpolation artefact."""
    grid, mesh, direct = _real_case(AL_SPURIOUS)
    assert grid == pytest.approx(81.334028 * CM1_TO_MEV, rel=1e-5)
    assert mesh == pytest.approx(-16.7621 * CM1_TO_MEV)
    assert direct == pytest.approx(19.441771 * CM1_TO_MEV, rel=1e-5)
    assert needs_direct_check(grid, mesh, 1.0)
    verdict = decide_stability(grid, mesh, 1.0, direct)
    assert (verdict.dynamically_stable, verdict.evidence) == (True, EVIDENCE_DIRECT_Q)
    assert verdict.lowest_meV == pytest.approx(direct)  # min(grid 10.1 meV, direct 2.41 meV)


@pytest.mark.parametrize(
    ('grid', 'mesh', 'direct', 'stable', 'evidence', 'lowest'),
    [
        (-60.0, -80.0, None, False, EVIDENCE_PH_GRID, -60.0),  # the grid decides; the mesh is not consulted
        (-60.0, -80.0, 20.0, False, EVIDENCE_PH_GRID, -60.0),  # a direct check cannot overrule the grid
        (-3.0, -80.0, 20.0, True, EVIDENCE_DIRECT_Q, -3.0),  # −3.0 is at the threshold: stable
        (10.0, -3.0, None, True, EVIDENCE_INTERPOLATED_MESH, -3.0),
        (10.0, 5.0, None, True, EVIDENCE_INTERPOLATED_MESH, 5.0),
        (10.0, 5.0, -50.0, True, EVIDENCE_INTERPOLATED_MESH, 5.0),  # an unneeded check does not change the verdict
        (10.0, -3.01, None, False, EVIDENCE_INTERPOLATED_MESH, -3.01),
        (10.0, -40.0, -3.01, False, EVIDENCE_DIRECT_Q, -3.01),
        (float('inf'), -40.0, 12.0, True, EVIDENCE_DIRECT_Q, 12.0),  # a grid with only Γ of a one-atom cell
    ],
)
def test_rule(grid, mesh, direct, stable, evidence, lowest):
    verdict = decide_stability(grid, mesh, 3.0, direct)
    assert (verdict.dynamically_stable, verdict.evidence, verdict.lowest_meV) == (stable, evidence, lowest)


@pytest.mark.parametrize(
    ('args', 'match'),
    [
        ((1.0, 1.0, -1.0), 'threshold_meV must be ≥ 0'),
        ((float('nan'), 1.0, 3.0), 'grid_lowest_meV is NaN'),
        ((1.0, float('nan'), 3.0), 'mesh_lowest_meV is NaN'),
        ((1.0, -9.0, 3.0, float('nan')), 'direct_lowest_meV is NaN'),
    ],
)
def test_bad_verdict_input_is_named(args, match):
    with pytest.raises(InputValidationError, match=match):
        decide_stability(*args)

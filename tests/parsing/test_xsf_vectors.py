"""XSF arrows of a vector field (XCrySDen dummy atoms) and the sub-grid they are drawn on."""

from __future__ import annotations

import numpy as np
import pytest

from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.io.xsf import format_xsf_vector_field, parse_xsf_vector_field, subsample_vector_field

CELL = np.array([[4.0, 0.0, 0.0], [1.0, 4.0, 0.0], [0.0, 0.5, 5.0]])


def test_subsample_positions_and_values():
    field = np.random.default_rng(0).normal(size=(3, 10, 12, 9))
    points, vectors = subsample_vector_field(field, CELL, max_arrows=200)
    # stride 2 gives 5·6·5 = 150 ≤ 200 (stride 1 gives 1080)
    assert points.shape == vectors.shape == (150, 3)
    np.testing.assert_allclose(points[1], np.array([0, 0, 2 / 9]) @ CELL)
    np.testing.assert_array_equal(vectors[1], field[:, 0, 0, 2])
    np.testing.assert_array_equal(vectors[-1], field[:, 8, 10, 8])


def test_round_trip_and_atoms(tmp_path):
    points = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]])
    vectors = np.array([[1e-3, -2e-3, 0.5], [0.0, 1.0, -1.0]])
    text = format_xsf_vector_field(points, vectors, CELL, numbers=[13], positions=[[2.0, 2.0, 2.5]])
    lines = text.splitlines()
    assert lines[lines.index('PRIMCOORD') + 1] == '3 1'
    assert lines[lines.index('PRIMCOORD') + 2].split()[0] == '13'
    got_points, got_vectors = parse_xsf_vector_field(text)
    np.testing.assert_allclose(got_points, points, atol=1e-10)
    np.testing.assert_allclose(got_vectors, vectors, rtol=1e-8)


def test_bad_input():
    with pytest.raises(InputValidationError, match='counts must match'):
        format_xsf_vector_field(np.zeros((2, 3)), np.zeros((3, 3)), CELL)
    with pytest.raises(InputValidationError, match='finite'):
        format_xsf_vector_field(np.zeros((1, 3)), np.full((1, 3), np.nan), CELL)
    with pytest.raises(InputValidationError, match='shape'):
        subsample_vector_field(np.zeros((2, 4, 4, 4)), CELL)

"""Minimal displacement sets (phonopy) and the symmetry reconstruction of equivalent atoms' fields."""

from __future__ import annotations

import numpy as np
import pytest

from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.displacements import (
    atom_mapping,
    crystal_symmetry,
    grid_index_map,
    minimal_displacements,
    minus_partners,
    reconstruct_atom_fields,
    rotate_scalar_field,
    rotate_vector_field,
)
from aiida_enatom.numerics.finite_difference import central_difference
from tests.numerics.enatom_model import bcc, cah6_model, h3s_model


def fcc(inner):
    shifts = ([0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0])
    return [list((np.array(x) + t) % 1.0) for t in shifts for x in inner]


def lah10():
    x = 0.12
    f32 = [[x, x, x], [-x, -x, x], [-x, x, -x], [x, -x, -x], [x, x, -x], [-x, -x, -x], [x, -x, x], [-x, x, x]]
    positions = fcc([[0.5, 0.5, 0.5]]) + fcc([[0.25, 0.25, 0.25], [0.75, 0.75, 0.75]]) + fcc(f32)
    return np.eye(3) * 5.1, positions, [57] * 4 + [1] * 40


# (name, cell, positions, numbers, n_directions, n_displacements with phonopy's is_plusminus='auto')
STRUCTURES = {
    'H3S': (np.eye(3) * 3.0, h3s_model().positions, h3s_model().numbers, 2, 2),
    'CaH6': (np.eye(3) * 3.5, cah6_model().positions, cah6_model().numbers, 2, 3),
    'LaH10': (*lah10(), 3, 4),
}


@pytest.mark.parametrize('name', list(STRUCTURES))
def test_minimal_displacement_counts(name):
    """phonopy's counts. The issue quotes 2 (H3S), 2 (CaH6), 4 (LaH10): CaH6's 2 is the number of directions
    (its H 12d site lacks an operation reversing the chosen [110] direction, so ±u costs one more supercell),
    LaH10's 4 includes the −u of H 32f (3 directions)."""
    cell, positions, numbers, n_directions, n_displacements = STRUCTURES[name]
    dataset = minimal_displacements(cell, positions, numbers, amplitude=0.01)
    assert dataset.n_directions == n_directions
    assert dataset.n_displacements == n_displacements
    assert dataset.n_supercell_calculations == n_displacements + 1
    np.testing.assert_allclose(np.linalg.norm(dataset.displacements, axis=1), 0.01, rtol=1e-12)


def test_symmetry_counts_h3s():
    model = h3s_model()
    symmetry = crystal_symmetry(model.cell, model.positions, model.numbers)
    assert len(symmetry) == 96  # 48 point operations × body centring


@pytest.mark.parametrize('factory', [h3s_model, cah6_model], ids=['H3S', 'CaH6'])
def test_reconstruction_reproduces_direct_fields(factory):
    """Fields of all atoms from the minimal set equal the analytic ∂V/∂R_j of the model (bcc, with backflow)."""
    model = factory()
    dataset = minimal_displacements(model.cell, model.positions, model.numbers)
    symmetry = crystal_symmetry(model.cell, model.positions, model.numbers)
    direct = np.stack([model.field(j) for j in range(len(model.numbers))])
    directional = np.stack(
        [np.einsum('x,xabc->abc', d, direct[j]) for j, d in zip(dataset.atoms, dataset.directions, strict=True)]
    )
    fields = reconstruct_atom_fields(
        directional, dataset.atoms, dataset.directions, model.cell, model.positions, model.numbers, symmetry
    )
    # pure index permutation and 3×3 rotations of exact data: rounding only
    np.testing.assert_allclose(fields, direct, rtol=0, atol=1e-12 * np.abs(direct).max())


def test_reconstruction_from_finite_differences_with_symmetric_minus():
    """End to end on H3S: V(+u) computed, V(−u) from a site operation, central difference, reconstruction."""
    model = h3s_model()
    dataset = minimal_displacements(model.cell, model.positions, model.numbers, amplitude=0.01)
    symmetry = crystal_symmetry(model.cell, model.positions, model.numbers)
    partners = minus_partners(dataset, symmetry)
    assert all(p.operation is not None for p in partners)  # H3S: every site is centrosymmetric
    derivatives = []
    for partner in partners:
        index = partner.displacement
        displacement = np.zeros((len(model.numbers), 3))
        displacement[dataset.atoms[index]] = dataset.displacements[index]
        v_plus = model.potential(displacement)
        op = partner.operation
        v_minus = rotate_scalar_field(v_plus, symmetry.rotations[op], symmetry.translations[op])
        np.testing.assert_allclose(v_minus, model.potential(-displacement), atol=1e-12)
        derivatives.append(central_difference(v_plus, v_minus, 0.01).derivative)
    fields = reconstruct_atom_fields(
        np.stack(derivatives),
        dataset.atoms,
        dataset.directions,
        model.cell,
        model.positions,
        model.numbers,
        symmetry,
    )
    direct = np.stack([model.field(j) for j in range(len(model.numbers))])
    # central-difference error u²/6 |V'''| ~ 1e-4 × |V'''|/|V'| ~ a few 1e-4 relative for σ ≈ 0.3 Å Gaussians
    np.testing.assert_allclose(fields, direct, rtol=0, atol=2e-3 * np.abs(direct).max())


def test_cah6_needs_explicit_minus():
    model = cah6_model()
    dataset = minimal_displacements(model.cell, model.positions, model.numbers)
    symmetry = crystal_symmetry(model.cell, model.positions, model.numbers)
    partners = minus_partners(dataset, symmetry)
    assert len(partners) == dataset.n_directions == 2
    assert sum(p.dataset_index is not None for p in partners) == 1


def test_rotate_vector_field_equivariance():
    model = h3s_model(n=12)
    symmetry = crystal_symmetry(model.cell, model.positions, model.numbers)
    mapping = atom_mapping(symmetry, model.cell, model.positions, model.numbers)
    op = 5
    source = 2
    rotated = rotate_vector_field(model.field(source), symmetry.rotations[op], symmetry.translations[op], model.cell)
    np.testing.assert_allclose(rotated, model.field(mapping[op, source]), atol=1e-12)


def test_incompatible_grid_is_refused():
    model = h3s_model(n=12)
    symmetry = crystal_symmetry(model.cell, model.positions, model.numbers)
    three_fold = next(k for k, r in enumerate(symmetry.rotations) if r[2, 2] == 0)  # mixes z with x or y
    with pytest.raises(InputValidationError, match='incompatible'):
        grid_index_map(symmetry.rotations[three_fold], symmetry.translations[three_fold], (12, 12, 10))
    centring = next(k for k, t in enumerate(symmetry.translations) if np.allclose(t, 0.5))
    with pytest.raises(InputValidationError, match='translation'):
        grid_index_map(symmetry.rotations[centring], symmetry.translations[centring], (13, 13, 13))


def test_incomplete_directions_are_refused():
    """A displacement along the 4-fold axis of an H 6b site alone cannot give all three components."""
    model = h3s_model(n=12)
    symmetry = crystal_symmetry(model.cell, model.positions, model.numbers)
    atom = 2  # H at (0, 1/2, 1/2): 4-fold axis along x
    direction = np.array([[1.0, 0.0, 0.0]])
    field = np.einsum('x,xabc->abc', direction[0], model.field(atom))[None]
    with pytest.raises(InputValidationError, match='do not span'):
        reconstruct_atom_fields(field, [atom], direction, model.cell, model.positions, model.numbers, symmetry)


def test_missing_species_is_refused():
    model = h3s_model(n=12)
    symmetry = crystal_symmetry(model.cell, model.positions, model.numbers)
    field = model.field(0)[None, 0]
    with pytest.raises(InputValidationError, match='not symmetry-equivalent'):
        reconstruct_atom_fields(field, [0], [[1, 0, 0]], model.cell, model.positions, model.numbers, symmetry)


def test_bcc_helper_is_body_centred():
    assert len(bcc([[0, 0, 0]])) == 2

"""Composition of the enatom numerics used by the ``enatom.enatom`` WorkChain's calcfunctions (one entry each).

Each function here combines the building blocks of :mod:`~aiida_enatom.numerics.displacements`,
:mod:`~aiida_enatom.numerics.finite_difference` and :mod:`~aiida_enatom.numerics.sum_rules` into the single
step that one calcfunction wraps. Units are whatever the grids carry (the calcfunctions pass eV and Å).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.displacements import (
    DisplacementSet,
    SymmetryOperations,
    minus_partners,
    reconstruct_atom_fields,
    rotate_scalar_field,
)
from aiida_enatom.numerics.finite_difference import central_difference
from aiida_enatom.numerics.sum_rules import SumRuleResiduals, sum_rule_residuals

__all__ = (
    'PotentialDerivatives',
    'all_atom_sum_rules',
    'minimum_image_distance',
    'potential_derivatives',
    'supercell_matrix_for_min_image',
)


def minimum_image_distance(cell: ArrayLike) -> float:
    """Length of the shortest non-zero lattice vector of ``cell`` (rows, Å), the distance to the nearest image."""
    cell = np.asarray(cell, dtype=float)
    shifts = np.array([s for s in itertools.product(range(-2, 3), repeat=3) if any(s)], dtype=float)
    return float(np.min(np.linalg.norm(shifts @ cell, axis=1)))


def supercell_matrix_for_min_image(cell: ArrayLike, distance: float, *, max_multiple: int = 12) -> NDArray[np.int_]:
    """Smallest diagonal supercell matrix whose periodic images are at least ``distance`` apart.

    Parameters
    ----------
    cell : array_like, shape (3, 3)
        Unit-cell lattice vectors as rows, Å.
    distance : float
        Required minimum image distance, Å (positive).
    max_multiple : int
        Largest multiple tried along each axis.

    Returns
    -------
    numpy.ndarray of int, shape (3, 3)
        ``diag(n1, n2, n3)`` with the fewest atoms (ties: the most isotropic) such that
        :func:`minimum_image_distance` of the supercell is ≥ ``distance``.

    Raises
    ------
    InputValidationError
        If ``distance`` is not positive or needs more than ``max_multiple`` repetitions along an axis.

    Examples
    --------
    >>> supercell_matrix_for_min_image(np.diag([3.0, 3.0, 6.0]), 5.9).diagonal().tolist()
    [2, 2, 1]
    """
    cell = np.asarray(cell, dtype=float)
    if not distance > 0:
        raise InputValidationError(f'the minimum image distance must be positive; got {distance} Å')
    best = None
    for multiples in itertools.product(range(1, max_multiple + 1), repeat=3):
        size = int(np.prod(multiples))
        if best is not None and size > best[0]:
            continue
        if minimum_image_distance(np.diag(multiples) @ cell) >= distance - 1e-8:
            key = (size, max(multiples) - min(multiples))
            if best is None or key < best[:2]:
                best = (*key, multiples)
    if best is None:
        raise InputValidationError(
            f'a minimum image distance of {distance} Å needs more than {max_multiple} repetitions of the cell'
        )
    return np.diag(best[2]).astype(int)


@dataclass(frozen=True)
class PotentialDerivatives:
    """Full Cartesian fields F_j = ∂V/∂R_j of the displaced (inequivalent) atoms and their diagnostics."""

    fields: dict[int, NDArray[np.float64]]
    """Supercell atom index → F_j, shape (3, n1, n2, n3), [V]/Å."""
    asymmetry: tuple[float, ...]
    """Per central difference: ‖V(+u) + V(−u) − 2V(0)‖ / ‖V(+u) − V(−u)‖ (≈ u|V''|/|V'|, the linearity number)."""


def potential_derivatives(
    pristine: ArrayLike,
    displaced: Sequence[ArrayLike],
    dataset: DisplacementSet,
    symmetry: SymmetryOperations,
) -> PotentialDerivatives:
    """Central differences of the displaced potentials, completed by site symmetry to Cartesian fields.

    Parameters
    ----------
    pristine : array_like, shape (n1, n2, n3)
        V of the undisplaced supercell.
    displaced : sequence of array_like, shape (n1, n2, n3)
        V of each displaced supercell, in the order of ``dataset``.
    dataset : DisplacementSet
        The minimal displacement set (phonopy, ``is_plusminus='auto'``).
    symmetry : SymmetryOperations
        Operations of the undisplaced supercell (they supply −u where the dataset does not, and the missing
        Cartesian directions).

    Returns
    -------
    PotentialDerivatives

    Raises
    ------
    InputValidationError
        If the number of grids does not match the dataset, grids differ in shape, the amplitude is out of
        range, or the FFT grid is incompatible with the symmetry.
    """
    if len(displaced) != dataset.n_displacements:
        raise InputValidationError(
            f'{len(displaced)} displaced potentials for {dataset.n_displacements} displacements in the dataset'
        )
    pristine = np.asarray(pristine, dtype=float)
    grids = [np.asarray(grid, dtype=float) for grid in displaced]
    for index, grid in enumerate(grids):
        if grid.shape != pristine.shape:
            raise InputValidationError(
                f'grid of displacement {index} has shape {grid.shape}, the pristine supercell {pristine.shape}: '
                'all supercell SCFs must use the same FFT grid'
            )
    directional, atoms, directions, asymmetry = [], [], [], []
    for partner in minus_partners(dataset, symmetry):
        plus = grids[partner.displacement]
        if partner.dataset_index is not None:
            minus = grids[partner.dataset_index]
        else:
            op = partner.operation
            minus = rotate_scalar_field(plus, symmetry.rotations[op], symmetry.translations[op])
        amplitude = float(np.linalg.norm(dataset.displacements[partner.displacement]))
        difference = central_difference(plus, minus, amplitude, v_zero=pristine)
        directional.append(difference.derivative)
        atoms.append(int(dataset.atoms[partner.displacement]))
        directions.append(dataset.directions[partner.displacement])
        asymmetry.append(float(difference.asymmetry))
    every = reconstruct_atom_fields(
        np.stack(directional),
        atoms,
        np.array(directions),
        dataset.supercell_cell,
        dataset.supercell_positions,
        dataset.supercell_numbers,
        symmetry,
    )
    fields = {atom: every[atom] for atom in sorted(set(atoms))}
    return PotentialDerivatives(fields=fields, asymmetry=tuple(asymmetry))


def all_atom_sum_rules(
    potential: ArrayLike,
    fields: dict[int, ArrayLike],
    cell: ArrayLike,
    scaled_positions: ArrayLike,
    numbers: Sequence[int],
    symmetry: SymmetryOperations,
) -> SumRuleResiduals:
    """Ball's sum-rule residuals after generating every atom's field from the inequivalent ones by symmetry.

    Parameters
    ----------
    potential : array_like, shape (n1, n2, n3)
        V of the undisplaced supercell.
    fields : dict of int to array_like, shape (3, n1, n2, n3)
        Supercell atom index → F_j of the inequivalent atoms.
    cell, scaled_positions, numbers
        The supercell (rows in Å, fractional positions, atomic numbers).
    symmetry : SymmetryOperations
        Operations of the supercell.

    Returns
    -------
    SumRuleResiduals
        ``backflow_to_rigid`` is per supercell atom.
    """
    atoms = sorted(fields)
    components = np.concatenate([np.asarray(fields[atom], dtype=float) for atom in atoms])
    every = reconstruct_atom_fields(
        components,
        np.repeat(atoms, 3),
        np.tile(np.eye(3), (len(atoms), 1)),
        cell,
        scaled_positions,
        numbers,
        symmetry,
    )
    return sum_rule_residuals(potential, every, cell)

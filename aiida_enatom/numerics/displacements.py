"""Symmetry of the enatom: the minimal displacement set and the rotation of grid fields to equivalent atoms.

Conventions
-----------
* A space-group operation ``(R, t)`` acts on fractional coordinates as ``x' = R x + t`` (spglib convention,
  integer ``R``); in Cartesian coordinates (lattice vectors as rows of ``cell``) its rotation is
  ``Ř = cellᵀ R cell⁻ᵀ``.
* A potential grid transforms as ``V'(g r) = V(r)``; the field of atom j as
  ``F_{g(j)}(g r) = Ř F_j(r)``, because displacing atom j by u and applying g displaces atom g(j) by Ř u.
* On a grid of shape ``(n1, n2, n3)`` the operation maps index ``i`` to ``diag(n) R diag(n)⁻¹ i + n∘t``,
  which must be integral: otherwise the grid is incompatible with the operation and the rotation is refused.

phonopy (for the displacement dataset) and spglib (for the operations) are imported inside the functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from aiida_enatom.exceptions import InputValidationError

__all__ = (
    'DisplacementSet',
    'MinusPartner',
    'SymmetryOperations',
    'atom_mapping',
    'cartesian_rotation',
    'crystal_symmetry',
    'grid_index_map',
    'minimal_displacements',
    'minus_partners',
    'reconstruct_atom_fields',
    'rotate_scalar_field',
    'rotate_vector_field',
)

#: Tolerance, in grid-index units, for an operation to map grid points onto grid points.
GRID_TOLERANCE: float = 1.0e-3


@dataclass(frozen=True)
class SymmetryOperations:
    """Space-group operations of a (super)cell in fractional coordinates."""

    rotations: NDArray[np.int_]
    """Integer rotation matrices R, shape (n_ops, 3, 3), acting on fractional column vectors."""
    translations: NDArray[np.float64]
    """Fractional translations t, shape (n_ops, 3)."""

    def __len__(self) -> int:
        return len(self.rotations)


@dataclass(frozen=True)
class DisplacementSet:
    """phonopy's minimal displacement dataset for one supercell."""

    atoms: NDArray[np.int_]
    """Supercell index of the displaced atom of each displacement, shape (n_displacements,)."""
    displacements: NDArray[np.float64]
    """Cartesian displacement vectors, shape (n_displacements, 3), Å (length = the amplitude)."""
    n_directions: int
    """Number of symmetry-independent (atom, direction) pairs (phonopy with ``is_plusminus=False``)."""
    supercell_cell: NDArray[np.float64]
    """Supercell lattice vectors as rows, shape (3, 3), Å."""
    supercell_positions: NDArray[np.float64]
    """Supercell fractional positions, shape (n_atoms, 3)."""
    supercell_numbers: NDArray[np.int_]
    """Supercell atomic numbers, shape (n_atoms,)."""

    @property
    def n_displacements(self) -> int:
        """Number of displaced supercells, including the −u partners that symmetry does not supply."""
        return len(self.atoms)

    @property
    def n_supercell_calculations(self) -> int:
        """SCF calculations needed: the displaced supercells plus the undisplaced one."""
        return self.n_displacements + 1

    @property
    def directions(self) -> NDArray[np.float64]:
        """Unit displacement directions, shape (n_displacements, 3)."""
        return self.displacements / np.linalg.norm(self.displacements, axis=1)[:, None]


@dataclass(frozen=True)
class MinusPartner:
    """Where the −u potential of one displacement comes from: a computed supercell or a site-symmetry operation."""

    displacement: int
    """Index of the (+) displacement in the dataset."""
    dataset_index: int | None
    """Index of the computed −u displacement, or ``None``."""
    operation: int | None
    """Index of a site-symmetry operation g with Ř d = −d (then V(−u) = rotated V(+u)), or ``None``."""


def minimal_displacements(
    cell: ArrayLike,
    scaled_positions: ArrayLike,
    numbers: Sequence[int],
    *,
    supercell_matrix: ArrayLike | None = None,
    amplitude: float = 0.01,
    symprec: float = 1.0e-5,
) -> DisplacementSet:
    """Minimal set of displaced supercells for central differences, from phonopy.

    Parameters
    ----------
    cell : array_like, shape (3, 3)
        Unit-cell lattice vectors as rows, Å.
    scaled_positions : array_like, shape (n_atoms, 3)
        Fractional positions.
    numbers : sequence of int, length n_atoms
        Atomic numbers.
    supercell_matrix : array_like, shape (3, 3) or (3,), optional
        phonopy supercell matrix (default identity).
    amplitude : float
        Displacement length u in Å (default 0.01).
    symprec : float
        Symmetry tolerance passed to phonopy (Å).

    Returns
    -------
    DisplacementSet
        phonopy's ``generate_displacements(distance=u, is_plusminus='auto')`` dataset and the number of
        independent directions (``is_plusminus=False``).

    Notes
    -----
    Counts with phonopy 3.5 for the conventional cells: H3S (Im-3m) 2 directions, 2 displacements; CaH6
    (Im-3m, H 12d) 2 directions, 3 displacements (the H 12d site, −4m2, has no operation reversing the chosen
    direction); LaH10 (Fm-3m) 3 directions, 4 displacements (H 32f, 3m). SCF count = displacements + 1.
    """
    from phonopy import Phonopy
    from phonopy.structure.atoms import PhonopyAtoms

    numbers = np.asarray(numbers, dtype=int)
    unitcell = PhonopyAtoms(
        numbers=numbers, cell=np.asarray(cell, dtype=float), scaled_positions=np.asarray(scaled_positions, dtype=float)
    )
    matrix = np.eye(3, dtype=int) if supercell_matrix is None else np.asarray(supercell_matrix, dtype=int)
    counts = {}
    for plusminus in (False, 'auto'):
        phonon = Phonopy(unitcell, supercell_matrix=matrix, symprec=symprec)
        phonon.generate_displacements(distance=amplitude, is_plusminus=plusminus)
        counts[plusminus] = phonon.dataset['first_atoms']
    first_atoms = counts['auto']
    supercell = phonon.supercell
    return DisplacementSet(
        atoms=np.array([entry['number'] for entry in first_atoms], dtype=int),
        displacements=np.array([entry['displacement'] for entry in first_atoms], dtype=float),
        n_directions=len(counts[False]),
        supercell_cell=np.array(supercell.cell, dtype=float),
        supercell_positions=np.array(supercell.scaled_positions, dtype=float),
        supercell_numbers=np.array(supercell.numbers, dtype=int),
    )


def crystal_symmetry(
    cell: ArrayLike, scaled_positions: ArrayLike, numbers: Sequence[int], *, symprec: float = 1.0e-5
) -> SymmetryOperations:
    """Space-group operations of a (super)cell, including its pure lattice translations, from spglib.

    Parameters
    ----------
    cell : array_like, shape (3, 3)
        Lattice vectors as rows, Å.
    scaled_positions : array_like, shape (n_atoms, 3)
        Fractional positions.
    numbers : sequence of int
        Atomic numbers (or any species labels as integers).
    symprec : float
        Tolerance in Å.

    Raises
    ------
    InputValidationError
        If spglib finds no symmetry (e.g. overlapping atoms).
    """
    import spglib

    structure = (np.asarray(cell, dtype=float), np.asarray(scaled_positions, dtype=float), np.asarray(numbers))
    symmetry = spglib.get_symmetry(structure, symprec=symprec)
    if symmetry is None:
        raise InputValidationError('spglib could not determine the symmetry of the structure')
    return SymmetryOperations(
        rotations=np.asarray(symmetry['rotations'], dtype=int),
        translations=np.asarray(symmetry['translations'], dtype=float),
    )


def cartesian_rotation(rotation: ArrayLike, cell: ArrayLike) -> NDArray[np.float64]:
    """Cartesian rotation ``Ř = cellᵀ R cell⁻ᵀ`` of a fractional rotation R, shape (3, 3)."""
    cell = np.asarray(cell, dtype=float)
    return cell.T @ np.asarray(rotation, dtype=float) @ np.linalg.inv(cell.T)


def grid_index_map(rotation: ArrayLike, translation: ArrayLike, shape: Sequence[int]) -> NDArray[np.intp]:
    """Flat index of the image ``g r`` of every grid point r.

    Parameters
    ----------
    rotation : array_like, shape (3, 3)
        Fractional rotation R (integer).
    translation : array_like, shape (3,)
        Fractional translation t.
    shape : sequence of 3 int
        Grid shape (n1, n2, n3).

    Returns
    -------
    numpy.ndarray of int, shape (n1·n2·n3,)
        ``target[flat(i)] = flat(i')`` with ``i' = diag(n) R diag(n)⁻¹ i + n∘t (mod n)``.

    Raises
    ------
    InputValidationError
        If the grid is incompatible with the operation (``n_a R_ab / n_b`` or ``n_a t_a`` not integral).
    """
    n = np.asarray(shape, dtype=int)
    rotation = np.asarray(rotation, dtype=float)
    translation = np.asarray(translation, dtype=float)
    matrix = n[:, None] * rotation / n[None, :]
    shift = n * translation
    bad_matrix = np.abs(matrix - np.round(matrix)).max() > GRID_TOLERANCE
    bad_shift = np.abs(shift - np.round(shift)).max() > GRID_TOLERANCE
    if bad_matrix or bad_shift:
        what = 'rotation' if bad_matrix else 'translation'
        raise InputValidationError(
            f'FFT grid {tuple(int(x) for x in n)} is incompatible with the symmetry operation '
            f'R={rotation.astype(int).tolist()}, t={np.round(translation, 6).tolist()}: its {what} does not map grid '
            'points onto grid points (choose a grid with equal sizes along equivalent axes, divisible by the '
            'denominators of the fractional translations)'
        )
    matrix = np.round(matrix).astype(np.int64)
    shift = np.round(shift).astype(np.int64)
    index = np.indices(tuple(n), dtype=np.int64).reshape(3, -1)
    image = (matrix @ index + shift[:, None]) % n[:, None]
    return np.ravel_multi_index(tuple(image), tuple(n))


def rotate_scalar_field(field: ArrayLike, rotation: ArrayLike, translation: ArrayLike) -> NDArray[np.float64]:
    """Apply a space-group operation to a scalar grid: ``out(g r) = f(r)``, shape (n1, n2, n3)."""
    field = np.asarray(field, dtype=float)
    if field.ndim != 3:
        raise InputValidationError(f'scalar field must have shape (n1, n2, n3); got {field.shape}')
    target = grid_index_map(rotation, translation, field.shape)
    out = np.empty(field.size)
    out[target] = field.ravel()
    return out.reshape(field.shape)


def rotate_vector_field(
    field: ArrayLike, rotation: ArrayLike, translation: ArrayLike, cell: ArrayLike
) -> NDArray[np.float64]:
    """Apply a space-group operation to a Cartesian vector grid: ``out(g r) = Ř f(r)``, shape (3, n1, n2, n3)."""
    field = np.asarray(field, dtype=float)
    if field.ndim != 4 or field.shape[0] != 3:
        raise InputValidationError(f'vector field must have shape (3, n1, n2, n3); got {field.shape}')
    target = grid_index_map(rotation, translation, field.shape[1:])
    rotated = cartesian_rotation(rotation, cell) @ field.reshape(3, -1)
    out = np.empty_like(rotated)
    out[:, target] = rotated
    return out.reshape(field.shape)


def atom_mapping(
    symmetry: SymmetryOperations,
    cell: ArrayLike,
    scaled_positions: ArrayLike,
    numbers: Sequence[int],
    *,
    symprec: float = 1.0e-4,
) -> NDArray[np.int_]:
    """Image atom of every atom under every operation.

    Returns
    -------
    numpy.ndarray of int, shape (n_ops, n_atoms)
        ``mapping[k, j]`` is the index of ``g_k(j)``.

    Raises
    ------
    InputValidationError
        If an operation does not map the structure onto itself within ``symprec`` (Å).
    """
    cell = np.asarray(cell, dtype=float)
    positions = np.asarray(scaled_positions, dtype=float)
    numbers = np.asarray(numbers)
    mapping = np.empty((len(symmetry), len(positions)), dtype=int)
    for k, (rot, trans) in enumerate(zip(symmetry.rotations, symmetry.translations, strict=True)):
        image = positions @ rot.T + trans
        delta = image[:, None, :] - positions[None, :, :]
        delta -= np.round(delta)
        distance = np.linalg.norm(delta @ cell, axis=-1)
        match = np.argmin(distance, axis=1)
        if np.any(distance[np.arange(len(positions)), match] > symprec) or np.any(numbers[match] != numbers):
            raise InputValidationError(f'operation {k} does not map the structure onto itself (tolerance {symprec} Å)')
        mapping[k] = match
    return mapping


def minus_partners(
    dataset: DisplacementSet, symmetry: SymmetryOperations, *, tolerance: float = 1.0e-6
) -> list[MinusPartner]:
    """For every displacement, the source of its −u potential (a computed supercell or a site operation).

    Only displacements whose −d is not itself in the dataset earlier are listed (the "+" members).

    Raises
    ------
    InputValidationError
        If neither the dataset nor the site symmetry supplies −u for some displacement.
    """
    cell = dataset.supercell_cell
    mapping = atom_mapping(symmetry, cell, dataset.supercell_positions, dataset.supercell_numbers)
    directions = dataset.directions
    partners: list[MinusPartner] = []
    used: set[int] = set()
    for index, (atom, direction) in enumerate(zip(dataset.atoms, directions, strict=True)):
        if index in used:
            continue
        same = [
            other
            for other in range(len(dataset.atoms))
            if other != index
            and dataset.atoms[other] == atom
            and np.allclose(directions[other], -direction, atol=tolerance)
        ]
        if same:
            used.add(same[0])
            partners.append(MinusPartner(displacement=index, dataset_index=same[0], operation=None))
            continue
        for op in np.flatnonzero(mapping[:, atom] == atom):
            rotated = cartesian_rotation(symmetry.rotations[op], cell) @ direction
            if np.allclose(rotated, -direction, atol=tolerance):
                partners.append(MinusPartner(displacement=index, dataset_index=None, operation=int(op)))
                break
        else:
            raise InputValidationError(f'no −u partner for displacement {index} (atom {atom}): compute it explicitly')
    return partners


def reconstruct_atom_fields(
    directional_fields: ArrayLike,
    atoms: Sequence[int],
    directions: ArrayLike,
    cell: ArrayLike,
    scaled_positions: ArrayLike,
    numbers: Sequence[int],
    symmetry: SymmetryOperations,
    *,
    rank_tolerance: float = 1.0e-8,
) -> NDArray[np.float64]:
    """Full Cartesian fields F_j = ∂V/∂R_j of all atoms from the directional derivatives of a minimal set.

    Parameters
    ----------
    directional_fields : array_like, shape (n_fields, n1, n2, n3)
        ``d̂_k · F_{j_k}(r)``: derivative of the potential along the unit direction ``d̂_k`` of atom ``j_k``
        (e.g. the central differences of the dataset, in [V]/Å).
    atoms : sequence of int, length n_fields
        Supercell index ``j_k`` of each field.
    directions : array_like, shape (n_fields, 3)
        Cartesian directions (normalised here).
    cell, scaled_positions, numbers
        The supercell (rows in Å, fractional positions, atomic numbers).
    symmetry : SymmetryOperations
        Operations of the supercell (:func:`crystal_symmetry`).
    rank_tolerance : float
        Smallest accepted eigenvalue of the (normalised) normal matrix Σ d dᵀ of an independent atom.

    Returns
    -------
    numpy.ndarray, shape (n_atoms, 3, n1, n2, n3)
        F_j for every supercell atom.

    Raises
    ------
    InputValidationError
        If the grid is incompatible with an operation, the site symmetry does not complete the given directions
        to all three Cartesian directions, or some atom is not equivalent to any displaced atom.

    Notes
    -----
    For each displaced atom j the site operations g (g(j) = j) turn a field ``f_d`` into ``f_{Ř d}(r) =
    f_d(g⁻¹ r)``; the three Cartesian components follow by least squares over all generated directions.
    Every other atom k takes ``F_k(r) = Ř F_j(g⁻¹ r)`` for one operation with g(j) = k.
    """
    fields = np.asarray(directional_fields, dtype=float)
    if fields.ndim != 4:
        raise InputValidationError(f'directional_fields must have shape (n_fields, n1, n2, n3); got {fields.shape}')
    atoms = np.asarray(atoms, dtype=int)
    directions = np.asarray(directions, dtype=float).reshape(-1, 3)
    if not len(atoms) == len(directions) == len(fields):
        raise InputValidationError('directional_fields, atoms and directions must have the same length')
    directions = directions / np.linalg.norm(directions, axis=1)[:, None]
    cell = np.asarray(cell, dtype=float)
    grid = fields.shape[1:]
    mapping = atom_mapping(symmetry, cell, scaled_positions, numbers)
    n_atoms = mapping.shape[1]
    rotations_cart = [cartesian_rotation(rot, cell) for rot in symmetry.rotations]

    full: dict[int, NDArray[np.float64]] = {}
    for atom in np.unique(atoms):
        normal = np.zeros((3, 3))
        rhs = np.zeros((3, fields[0].size))
        for field, direction in zip(fields[atoms == atom], directions[atoms == atom], strict=True):
            for op in np.flatnonzero(mapping[:, atom] == atom):
                rotated = rotations_cart[op] @ direction
                image = rotate_scalar_field(field, symmetry.rotations[op], symmetry.translations[op])
                normal += np.outer(rotated, rotated)
                rhs += rotated[:, None] * image.ravel()[None, :]
        eigenvalues = np.linalg.eigvalsh(normal)
        if eigenvalues[0] < rank_tolerance * eigenvalues[-1]:
            raise InputValidationError(
                f'the directions given for atom {atom} and its site symmetry do not span three dimensions'
            )
        full[int(atom)] = np.linalg.solve(normal, rhs).reshape((3, *grid))

    result = np.empty((n_atoms, 3, *grid))
    for target in range(n_atoms):
        if target in full:
            result[target] = full[target]
            continue
        for source in full:
            ops = np.flatnonzero(mapping[:, source] == target)
            if len(ops):
                op = ops[0]
                result[target] = rotate_vector_field(
                    full[source], symmetry.rotations[op], symmetry.translations[op], cell
                )
                break
        else:
            raise InputValidationError(f'atom {target} is not symmetry-equivalent to any displaced atom')
    return result

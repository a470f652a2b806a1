"""Built-in prototype structures of the hydrides the project targets (pure: returns pymatgen structures).

These are starting geometries only: every workflow relaxes them at the requested pressure first.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from aiida_enatom.exceptions import InputValidationError

__all__ = ('PROTOTYPES', 'PROTOTYPE_ALIASES', 'Prototype', 'canonical_prototype_name', 'prototype_structure')


@dataclass(frozen=True)
class Prototype:
    """A cubic prototype: space group, conventional lattice constant (Å), species and Wyckoff representatives."""

    space_group: str
    lattice_constant: float
    species: tuple[str, ...]
    coordinates: tuple[tuple[float, float, float], ...]
    pressure_gpa: float
    """Pressure near which the lattice constant is reasonable."""


PROTOTYPES: dict[str, Prototype] = {
    'H3S': Prototype('Im-3m', 3.09, ('S', 'H'), ((0, 0, 0), (0.5, 0, 0)), 200.0),
    'CaH6': Prototype('Im-3m', 3.54, ('Ca', 'H'), ((0, 0, 0), (0.25, 0, 0.5)), 150.0),
    'LaH10': Prototype('Fm-3m', 5.10, ('La', 'H', 'H'), ((0, 0, 0), (0.25, 0.25, 0.25), (0.12, 0.12, 0.38)), 250.0),
    'Li': Prototype('Fm-3m', 4.30, ('Li',), ((0, 0, 0),), 0.0),
    'Al': Prototype('Fm-3m', 4.04, ('Al',), ((0, 0, 0),), 0.0),
    # YH10: the LaH10 clathrate (Y 4a, H 8c, H 32f x = 0.12); MgH6: the CaH6 sodalite (Mg 2a, H 12d)
    'YH10': Prototype('Fm-3m', 5.00, ('Y', 'H', 'H'), ((0, 0, 0), (0.25, 0.25, 0.25), (0.12, 0.12, 0.38)), 250.0),
    'MgH6': Prototype('Im-3m', 3.30, ('Mg', 'H'), ((0, 0, 0), (0.25, 0, 0.5)), 300.0),
}

#: Other names of the prototypes (alias → key of :data:`PROTOTYPES`); SH3 is the seed paper's name of H3S.
PROTOTYPE_ALIASES: dict[str, str] = {'SH3': 'H3S'}


def canonical_prototype_name(name: str) -> str:
    """Return the key of :data:`PROTOTYPES` for ``name`` or one of its :data:`PROTOTYPE_ALIASES`.

    Raises
    ------
    InputValidationError
        For an unknown name; the message lists the known names and aliases.
    """
    if name in PROTOTYPES:
        return name
    if name in PROTOTYPE_ALIASES:
        return PROTOTYPE_ALIASES[name]
    aliases = ', '.join(f'{alias} = {target}' for alias, target in PROTOTYPE_ALIASES.items())
    raise InputValidationError(f'unknown prototype {name!r}; known: {", ".join(PROTOTYPES)} (aliases: {aliases})')


def prototype_structure(name: str, *, primitive: bool = True, lattice_constant: float | None = None):
    """Return the prototype ``name`` as a :class:`pymatgen.core.Structure`.

    Parameters
    ----------
    name : str
        One of :data:`PROTOTYPES` (``'H3S'``, ``'CaH6'``, ``'LaH10'``, ``'Li'``, ``'Al'``, ``'YH10'``, ``'MgH6'``) or
        of :data:`PROTOTYPE_ALIASES` (``'SH3'``).
    primitive : bool
        Return spglib's standard primitive cell (default; cubic axes along x, y, z, so that pw.x finds every
        symmetry operation) instead of the conventional cubic cell.
    lattice_constant : float, optional
        Conventional cubic lattice constant in Å; the prototype's own value when not given.

    Raises
    ------
    InputValidationError
        For an unknown name (the message lists the known ones) or a lattice constant that is not a positive number.
    """
    from pymatgen.core import Lattice, Structure

    spec = PROTOTYPES[canonical_prototype_name(name)]
    a = spec.lattice_constant if lattice_constant is None else float(lattice_constant)
    if not (math.isfinite(a) and a > 0):
        raise InputValidationError(
            f'lattice constant {lattice_constant!r} Å of prototype {name!r} is not a positive number'
        )
    species, coordinates = [], []
    for element, representative in zip(spec.species, spec.coordinates, strict=True):
        orbit = _orbit(spec.space_group, representative)
        species.extend([element] * len(orbit))
        coordinates.extend(orbit)
    structure = Structure(Lattice.cubic(a), species, coordinates)
    if not primitive:
        return structure
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    return SpacegroupAnalyzer(structure, symprec=1e-3).get_primitive_standard_structure()


def _orbit(space_group: str, representative: tuple[float, float, float]) -> list[list[float]]:
    """Return the fractional coordinates, in [0, 1), of every site equivalent to ``representative``.

    Uses the operations of the standard setting of ``space_group`` (Hermann–Mauguin short symbol) from spglib's
    database, applied to all sites at once; this is what :meth:`pymatgen.core.Structure.from_spacegroup` does, but
    without its pairwise duplicate search (seconds for the 192 operations of Fm-3m).
    """
    import numpy as np
    import spglib

    operations = spglib.get_symmetry_from_database(_hall_number(space_group))
    images = np.einsum('oij,j->oi', operations['rotations'], np.asarray(representative, dtype=float))
    images = np.mod(images + operations['translations'], 1.0)
    images[np.isclose(images, 1.0, atol=1e-8)] = 0.0
    unique = np.unique(np.round(images, 8), axis=0)
    return unique.tolist()


@functools.cache
def _hall_number(space_group: str) -> int:
    """Return spglib's Hall number of the standard setting of ``space_group`` (Hermann–Mauguin short symbol)."""
    import spglib

    for hall_number in range(1, 531):
        if spglib.get_spacegroup_type(hall_number).international_short == space_group:
            return hall_number
    raise InputValidationError(f'unknown space group symbol {space_group!r}')

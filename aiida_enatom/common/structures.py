"""Built-in prototype structures of the hydrides the project targets (pure: returns pymatgen structures).

These are starting geometries only: every workflow relaxes them at the requested pressure first.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiida_enatom.exceptions import InputValidationError

__all__ = ('PROTOTYPES', 'Prototype', 'prototype_structure')


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
}


def prototype_structure(name: str, *, primitive: bool = True):
    """Return the prototype ``name`` as a :class:`pymatgen.core.Structure`.

    Parameters
    ----------
    name : str
        One of :data:`PROTOTYPES` (``'H3S'``, ``'CaH6'``, ``'LaH10'``, ``'Li'``, ``'Al'``).
    primitive : bool
        Return spglib's standard primitive cell (default; cubic axes along x, y, z, so that pw.x finds every
        symmetry operation) instead of the conventional cubic cell.

    Raises
    ------
    InputValidationError
        For an unknown name; the message lists the known ones.
    """
    from pymatgen.core import Lattice, Structure

    if name not in PROTOTYPES:
        raise InputValidationError(f'unknown prototype {name!r}; known: {", ".join(PROTOTYPES)}')
    spec = PROTOTYPES[name]
    structure = Structure.from_spacegroup(
        spec.space_group, Lattice.cubic(spec.lattice_constant), list(spec.species), [list(c) for c in spec.coordinates]
    )
    if not primitive:
        return structure
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    return SpacegroupAnalyzer(structure, symprec=1e-3).get_primitive_standard_structure()

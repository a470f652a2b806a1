"""The validation cases: which crystal tests each element's lattice constant and cutoffs, and how to build it."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

__all__ = (
    'CRYSTALS',
    'CUTOFF_SYSTEMS',
    'CrystalTest',
    'CutoffSystem',
    'Structure',
    'antifluorite',
    'bcc',
    'cutoff_system',
    'elements_needed',
    'fcc',
    'h3s',
    'hcp',
    'rocksalt',
)

Structure = tuple[np.ndarray, list[str], np.ndarray]
"""``(cell, species, positions)``: lattice vectors as rows (3, 3) in Å, symbols, Cartesian positions (nat, 3) in Å."""


def _fcc(a: float) -> np.ndarray:
    return 0.5 * a * np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0]])


def _bcc(a: float) -> np.ndarray:
    return 0.5 * a * np.array([[1.0, 1.0, 1.0], [-1.0, 1.0, 1.0], [-1.0, -1.0, 1.0]])


def fcc(element: str) -> Callable[[float], Structure]:
    """Return a builder of the one-atom fcc primitive cell of ``element`` (lattice parameter a in Å)."""
    return lambda a: (_fcc(a), [element], np.zeros((1, 3)))


def bcc(element: str) -> Callable[[float], Structure]:
    """Return a builder of the one-atom bcc primitive cell of ``element`` (a in Å)."""
    return lambda a: (_bcc(a), [element], np.zeros((1, 3)))


def hcp(element: str, c_over_a: float) -> Callable[[float], Structure]:
    """Return a builder of the two-atom hcp cell of ``element`` at fixed c/a (a in Å)."""

    def build(a: float) -> Structure:
        c = a * c_over_a
        cell = np.array([[a, 0.0, 0.0], [-a / 2, a * math.sqrt(3) / 2, 0.0], [0.0, 0.0, c]])
        frac = np.array([[1 / 3, 2 / 3, 0.25], [2 / 3, 1 / 3, 0.75]])
        return cell, [element, element], frac @ cell

    return build


def rocksalt(cation: str, anion: str) -> Callable[[float], Structure]:
    """Return a builder of the two-atom rocksalt primitive cell (conventional cubic a in Å)."""
    return lambda a: (_fcc(a), [cation, anion], np.array([[0.0, 0.0, 0.0], [a / 2, 0.0, 0.0]]))


def antifluorite(cation: str, anion: str) -> Callable[[float], Structure]:
    """Return a builder of the antifluorite (Li2S-type) primitive cell (conventional cubic a in Å)."""
    return lambda a: (
        _fcc(a),
        [anion, cation, cation],
        np.array([[0.0, 0.0, 0.0], [a / 4, a / 4, a / 4], [3 * a / 4, 3 * a / 4, 3 * a / 4]]),
    )


def h3s(a: float) -> Structure:
    """Return Im-3m H3S (S 2a, H 6b) in the bcc primitive cell, conventional cubic a in Å."""
    positions = np.array([[0.0, 0.0, 0.0], [0.0, a / 2, a / 2], [a / 2, 0.0, a / 2], [a / 2, a / 2, 0.0]])
    return _bcc(a), ['S', 'H', 'H', 'H'], positions


@dataclass(frozen=True)
class CrystalTest:
    """A crystal whose experimental lattice parameter tests the pseudopotential of ``element``.

    Attributes
    ----------
    element : str
        The element under test.
    label : str
        Human-readable name of the crystal.
    build : callable
        ``a [Å] -> (cell, species, cartesian positions)``.
    a_exp : float
        Experimental lattice parameter, Å.
    reference : str
        Source and conditions of ``a_exp``.
    kpoints : tuple of int
        k-mesh for the equation of state.
    metal : bool
        Use smearing.
    """

    element: str
    label: str
    build: Callable[[float], Structure]
    a_exp: float
    reference: str
    kpoints: tuple[int, int, int]
    metal: bool = True


CRYSTALS: dict[str, CrystalTest] = {
    'H': CrystalTest(
        'H',
        'LiH rocksalt',
        rocksalt('Li', 'H'),
        4.083,
        'LiH, X-ray, room temperature (Wyckoff; Smith & Leider 1968)',
        (6, 6, 6),
        metal=False,
    ),
    'Li': CrystalTest(
        'Li', 'Li bcc', bcc('Li'), 3.451, 'bcc Li at 20 K, extrapolated (Berliner et al., PRB 39, 1989)', (12, 12, 12)
    ),
    'Al': CrystalTest('Al', 'Al fcc', fcc('Al'), 4.050, 'fcc Al at room temperature (4.0495 Å; Wyckoff)', (12, 12, 12)),
    'S': CrystalTest(
        'S',
        'MgS rocksalt',
        rocksalt('Mg', 'S'),
        5.203,
        'MgS rocksalt, X-ray at room temperature (Wyckoff)',
        (6, 6, 6),
        metal=False,
    ),
    'Mg': CrystalTest(
        'Mg', 'Mg hcp (c/a=1.624)', hcp('Mg', 1.624), 3.209, 'hcp Mg, room temperature (Wyckoff)', (10, 10, 6)
    ),
    'Ca': CrystalTest('Ca', 'Ca fcc', fcc('Ca'), 5.588, 'fcc Ca, room temperature (Wyckoff)', (10, 10, 10)),
    'Y': CrystalTest('Y', 'Y hcp (c/a=1.571)', hcp('Y', 1.571), 3.647, 'hcp Y, room temperature (Wyckoff)', (8, 8, 5)),
    'La': CrystalTest('La', 'La fcc', fcc('La'), 5.303, 'fcc (beta) La, quenched (Wyckoff)', (8, 8, 8)),
}
"""Lattice-constant test of each element (the crystal, its experimental lattice parameter and the source)."""


class CutoffSystem(NamedTuple):
    """A system for the cutoff-convergence test: label, builder, lattice parameter (Å), k-mesh, smearing."""

    label: str
    build: Callable[[float], Structure]
    a: float
    kpoints: tuple[int, int, int]
    metal: bool


CUTOFF_SYSTEMS: dict[str, CutoffSystem] = {
    'H': CutoffSystem('H3S Im-3m, a=3.09 Å (~140 GPa)', h3s, 3.09, (6, 6, 6), True),
}
"""Systems for the cutoff test where it differs from the lattice-constant crystal."""


def cutoff_system(element: str) -> CutoffSystem:
    """Return the cutoff-test system of ``element``.

    Parameters
    ----------
    element : str
        Element symbol with an entry in :data:`CUTOFF_SYSTEMS` or :data:`CRYSTALS`.

    Returns
    -------
    CutoffSystem
        The :data:`CUTOFF_SYSTEMS` entry, else the element's :data:`CRYSTALS` crystal at its experimental lattice
        parameter with each k-mesh division reduced to 2/3 (at least 2).

    Raises
    ------
    KeyError
        If the element has neither.
    """
    if element in CUTOFF_SYSTEMS:
        return CUTOFF_SYSTEMS[element]
    test = CRYSTALS[element]
    kpoints = tuple(max(2, k * 2 // 3) for k in test.kpoints)
    return CutoffSystem(test.label, test.build, test.a_exp, kpoints, test.metal)


def elements_needed(elements: Iterable[str], *, eos: bool = True, cutoffs: bool = True) -> list[str]:
    """Return every element whose pseudopotential the validation of ``elements`` needs (the partners in compounds).

    Parameters
    ----------
    elements : iterable of str
        Elements to validate.
    eos : bool
        Whether the lattice-constant test runs (its crystal may be a compound, e.g. LiH for H).
    cutoffs : bool
        Whether the cutoff test runs (H3S for H; MgS for S even without the lattice-constant test).

    Returns
    -------
    list of str
        Sorted element symbols.
    """
    needed = set(elements)
    for element in list(needed):
        if eos and element in CRYSTALS:
            needed.update(CRYSTALS[element].build(1.0)[1])
        if cutoffs and (element in CUTOFF_SYSTEMS or element in CRYSTALS):
            needed.update(cutoff_system(element).build(1.0)[1])
    return sorted(needed)

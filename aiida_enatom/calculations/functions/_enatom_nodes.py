"""Conversions between AiiDA nodes and the arrays of the enatom calcfunctions (shared helpers, no calcfunction)."""

from __future__ import annotations

import numpy as np
from aiida import orm

from aiida_enatom.constants import BOHR_TO_ANGSTROM, RY_TO_EV
from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.io.qe_filplot import parse_filplot
from aiida_enatom.numerics.displacements import DisplacementSet

__all__ = ('FILPLOT', 'RY_TO_EV', 'density_grid', 'displacement_set', 'kind_numbers', 'potential_grid')

#: Name of pp.x's full-precision intermediate file in a ``PpCalculation``'s folder.
FILPLOT = 'aiida.filplot'

#: 1 Ry in eV (pp.x grids are in Ry; the enatom outputs are in eV and eV/Å).
#: Lattice vectors rebuilt from a pp.x cube voxel must match the supercell within this (Å).
CELL_TOLERANCE: float = 1.0e-4


def kind_numbers(structure: orm.StructureData) -> tuple[list[str], np.ndarray]:
    """Sorted kind names and, per site, the 1-based index of its kind (used as species labels for symmetry)."""
    names = sorted(kind.name for kind in structure.kinds)
    return names, np.array([names.index(site.kind_name) + 1 for site in structure.sites], dtype=int)


def displacement_set(dataset: orm.Dict) -> DisplacementSet:
    """Rebuild the :class:`DisplacementSet` stored by ``generate_displacements``."""
    data = dataset.get_dict()
    return DisplacementSet(
        atoms=np.array(data['atoms'], dtype=int),
        displacements=np.array(data['displacements'], dtype=float),
        n_directions=int(data['n_directions']),
        supercell_cell=np.array(data['supercell_cell'], dtype=float),
        supercell_positions=np.array(data['supercell_positions'], dtype=float),
        supercell_numbers=np.array(data['supercell_numbers'], dtype=int),
    )


def density_grid(node: orm.ArrayData | orm.FolderData, cell: np.ndarray, name: str) -> np.ndarray:
    """Return a pp.x ``plot_num=0`` valence density grid in e/Å³ (pp.x writes e/bohr³); as :func:`potential_grid`."""
    return _pp_grid(node, cell, name) / BOHR_TO_ANGSTROM**3


def potential_grid(node: orm.ArrayData | orm.FolderData, cell: np.ndarray, name: str) -> np.ndarray:
    """Return a pp.x potential grid in eV after checking that its cell is ``cell`` (rows, Å); see :func:`_pp_grid`."""
    return _pp_grid(node, cell, name) * RY_TO_EV


def _pp_grid(node: orm.ArrayData | orm.FolderData, cell: np.ndarray, name: str) -> np.ndarray:
    """Return a pp.x grid in pp.x's units (Ry or e/bohr³) after checking that its cell is ``cell`` (rows, Å).

    Parameters
    ----------
    node
        Either the ``output_data`` ArrayData of a ``PpCalculation`` (cube grid, five significant digits) or its
        ``retrieved`` FolderData holding ``aiida.filplot`` (ten significant digits).
    cell
        Supercell lattice vectors as rows, Å.
    name
        Label of the grid for error messages.

    Raises
    ------
    InputValidationError
        If the grid's cell differs from ``cell`` or the folder has no ``aiida.filplot``; the message names the grid.
    """
    if isinstance(node, orm.FolderData):
        if FILPLOT not in node.base.repository.list_object_names():
            raise InputValidationError(f'potential {name}: the retrieved folder holds no {FILPLOT}')
        grid = parse_filplot(node.base.repository.get_object_content(FILPLOT), filename=f'{name}/{FILPLOT}')
        data, grid_cell = grid.data, grid.cell * BOHR_TO_ANGSTROM
    else:
        data = node.get_array('data')
        grid_cell = node.get_array('voxel') * BOHR_TO_ANGSTROM * np.array(data.shape)[:, None]
    difference = float(np.abs(grid_cell - np.asarray(cell)).max())
    if difference > CELL_TOLERANCE:
        raise InputValidationError(
            f'the cell of potential {name} (grid {data.shape}) differs from the supercell by up to '
            f'{difference:.3g} Å: all grids must belong to the same supercell'
        )
    return data

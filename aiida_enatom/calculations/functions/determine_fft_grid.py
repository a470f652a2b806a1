"""Calcfunction: one FFT grid for all supercell SCFs, compatible with the supercell's symmetry operations."""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.calculations.functions._enatom_nodes import displacement_set
from aiida_enatom.numerics.displacements import crystal_symmetry
from aiida_enatom.numerics.fft_grid import check_grid_compatibility, fft_grid_for_cutoff


@calcfunction
def determine_fft_grid(dataset: orm.Dict, ecutrho: orm.Float, fft_grid: orm.List | None = None) -> orm.List:
    """Return ``[nr1, nr2, nr3]`` for the pristine and all displaced supercells.

    Parameters
    ----------
    dataset
        The displacement dataset of ``generate_displacements`` (it holds the pristine supercell).
    ecutrho
        Density cutoff of the SCFs in Ry.
    fft_grid
        A grid requested by the user; it is only checked against the symmetry operations.

    Raises
    ------
    aiida_enatom.exceptions.InputValidationError
        If the requested grid is not mapped onto itself by some symmetry operation of the supercell.
    """
    supercell = displacement_set(dataset)
    symmetry = crystal_symmetry(supercell.supercell_cell, supercell.supercell_positions, supercell.supercell_numbers)
    if fft_grid is not None:
        grid = tuple(int(n) for n in fft_grid.get_list())
        check_grid_compatibility(grid, symmetry.rotations, symmetry.translations)
    else:
        grid = fft_grid_for_cutoff(supercell.supercell_cell, ecutrho.value, symmetry.rotations, symmetry.translations)
    return orm.List(list(np.asarray(grid, dtype=int).tolist()))

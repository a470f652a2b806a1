"""Pure helpers of the enatom WorkChain: FFT-grid choice, supercell for a minimum image distance, filplot parser."""

from __future__ import annotations

import numpy as np
import pytest

from aiida_enatom.exceptions import InputValidationError, ParsingError
from aiida_enatom.io.qe_filplot import parse_filplot
from aiida_enatom.numerics.displacements import crystal_symmetry
from aiida_enatom.numerics.enatom_pipeline import minimum_image_distance, supercell_matrix_for_min_image
from aiida_enatom.numerics.fft_grid import check_grid_compatibility, fft_grid_for_cutoff, minimum_fft_grid

FCC = 4.04 / 2 * np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0]])


def test_fft_grid_is_symmetric_and_divisible():
    """The grid of a 2×2×2 fcc supercell holds the cutoff, is FFT-friendly, even and isotropic."""
    cell = 2 * FCC
    positions = np.array([[i, j, k] for i in (0, 0.5) for j in (0, 0.5) for k in (0, 0.5)])
    symmetry = crystal_symmetry(cell, positions, [1] * 8)
    grid = fft_grid_for_cutoff(cell, 48.0, symmetry.rotations, symmetry.translations)
    assert grid[0] == grid[1] == grid[2]
    assert grid[0] % 2 == 0
    assert all(n >= m for n, m in zip(grid, minimum_fft_grid(cell, 48.0), strict=True))
    with pytest.raises(InputValidationError, match='incompatible'):
        check_grid_compatibility((25, 24, 24), symmetry.rotations, symmetry.translations)


def test_supercell_for_min_image():
    """fcc primitive: the nearest-neighbour distance grows with n; 7 Å needs 3×3×3."""
    assert minimum_image_distance(FCC) == pytest.approx(4.04 / np.sqrt(2))
    assert np.diag(supercell_matrix_for_min_image(FCC, 7.0)).tolist() == [3, 3, 3]
    with pytest.raises(InputValidationError, match='positive'):
        supercell_matrix_for_min_image(FCC, 0.0)


FILPLOT = """
       2       3       4       2       3       4       1       1
     0        4.00000000      0.00000000      0.00000000      0.00000000      0.00000000      0.00000000
   1.0000000000000000        0.0000000000000000        0.0000000000000000
   0.0000000000000000        1.5000000000000000        0.0000000000000000
   0.0000000000000000        0.0000000000000000        2.0000000000000000
      100.0000000000        4.0000000000       25.0000000000     2
   1   Al    3.00
   1       0.000000000    0.000000000    0.000000000    1
"""


def test_parse_filplot_order_and_cell():
    """Values run with the first index fastest (Fortran order); the cell is at × alat (bohr)."""
    values = np.arange(24, dtype=float)
    body = '\n'.join(' '.join(f'{v:17.9E}' for v in values[i : i + 5]) for i in range(0, 24, 5))
    grid = parse_filplot(FILPLOT + body + '\n')
    assert grid.data.shape == (2, 3, 4)
    assert grid.data[1, 0, 0] == 1.0
    assert grid.data[0, 1, 0] == 2.0
    assert grid.data[0, 0, 1] == 6.0
    assert np.allclose(np.diag(grid.cell), [4.0, 6.0, 8.0])
    assert grid.plot_num == 2
    assert grid.species == ('Al',)
    with pytest.raises(ParsingError, match='values for a grid'):
        parse_filplot(FILPLOT + body.rsplit(' ', 1)[0] + '\n')

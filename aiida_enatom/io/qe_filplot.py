"""Parser of pp.x's intermediate ``filplot`` file: the 3D grid of ``plot_num`` at full (10-digit) precision.

pp.x writes the requested quantity first to ``filplot`` (``plot_io.f90``: a header, then the values five per
line in ``1pe17.9``) and only then formats it (e.g. as a Gaussian cube with five significant digits). Potential
*differences* of displaced supercells need the full precision: with 5 digits the derivative of a 0.01 Å
central difference is only good to about 1e-3 relative.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from aiida_enatom.exceptions import ParsingError

__all__ = ('FilplotGrid', 'parse_filplot')


@dataclass(frozen=True)
class FilplotGrid:
    """Content of a pp.x ``filplot`` file (QE units)."""

    data: NDArray[np.float64]
    """Values on the grid, shape (nr1, nr2, nr3); point (i, j, k) at (i/nr1) a1 + (j/nr2) a2 + (k/nr3) a3."""
    cell: NDArray[np.float64]
    """Lattice vectors as rows, shape (3, 3), bohr."""
    plot_num: int
    """pp.x ``plot_num`` of the quantity."""
    positions: NDArray[np.float64]
    """Cartesian atomic positions, shape (nat, 3), bohr."""
    species: tuple[str, ...]
    """Species label of each atom."""


def parse_filplot(source: str | PathLike[str], filename: str | None = None) -> FilplotGrid:
    """Parse the text of a pp.x ``filplot`` file (``ibrav = 0`` only, as AiiDA always writes).

    Parameters
    ----------
    source : str or path-like
        A path to the file, or its content (a ``str`` containing a newline).
    filename : str, optional
        Name used in error messages when ``source`` is text.

    Returns
    -------
    FilplotGrid

    Raises
    ------
    ParsingError
        If the header is malformed, ``ibrav`` is not 0, or the number of values is not nr1x·nr2x·nr3.
    """
    if isinstance(source, str) and '\n' in source:
        text, name = source, filename or '<string>'
    else:
        path = Path(source)
        text, name = path.read_text(), filename or str(path)
    lines = text.splitlines()
    try:
        nr1x, nr2x, nr3x, nr1, nr2, nr3, nat, ntyp = (int(x) for x in lines[1].split()[:8])
        header = lines[2].split()
        ibrav, alat = int(header[0]), float(header[1])
    except (IndexError, ValueError) as exception:
        raise ParsingError(f'malformed filplot header: {exception}', name, 2) from None
    if ibrav != 0:
        raise ParsingError(f'only ibrav = 0 is supported (got {ibrav})', name, 3)
    try:
        cell = np.array([[float(x) for x in lines[3 + i].split()[:3]] for i in range(3)]) * alat
        plot_num = int(lines[6].split()[3])
        types = {int(lines[7 + t].split()[0]): lines[7 + t].split()[1] for t in range(ntyp)}
        atoms = [lines[7 + ntyp + a].split() for a in range(nat)]
        positions = np.array([[float(x) for x in atom[1:4]] for atom in atoms]) * alat
        species = tuple(types[int(atom[4])] for atom in atoms)
    except (IndexError, ValueError, KeyError) as exception:
        raise ParsingError(f'malformed filplot header: {exception}', name, 4) from None
    start = 7 + ntyp + nat
    values = np.array(' '.join(lines[start:]).split(), dtype=float)
    if values.size != nr1x * nr2x * nr3:
        raise ParsingError(f'{values.size} values for a grid of {nr1x}×{nr2x}×{nr3} points', name, start + 1)
    data = values.reshape((nr3, nr2x, nr1x))[:nr3, :nr2, :nr1].transpose(2, 1, 0).copy()
    del nr3x
    return FilplotGrid(data=data, cell=cell, plot_num=plot_num, positions=positions.reshape(-1, 3), species=species)

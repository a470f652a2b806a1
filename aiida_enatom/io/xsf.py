"""XSF (XCrySDen) files with DATAGRID_3D blocks, for viewing enatom grids in VESTA or XCrySDen.

XSF stores a *general* grid: the points on the far faces of the cell are repeated, so a periodic grid of
shape (n1, n2, n3) is written as (n1 + 1, n2 + 1, n3 + 1) points with the first index fastest, and the spanning
vectors are the full lattice vectors. Lengths are in Å; values are written as given.
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike

import numpy as np
from numpy.typing import ArrayLike, NDArray

from aiida_enatom.exceptions import InputValidationError, ParsingError
from aiida_enatom.io._qe_text import read_source

__all__ = ('format_xsf', 'parse_xsf_grids', 'write_xsf')


def format_xsf(
    grids: Mapping[str, ArrayLike],
    cell: ArrayLike,
    *,
    numbers: ArrayLike = (),
    positions: ArrayLike = (),
    origin: ArrayLike = (0.0, 0.0, 0.0),
    comment: str = 'aiida-enatom',
) -> str:
    """XSF text of a periodic crystal with one or more scalar grids in one DATAGRID_3D block.

    Parameters
    ----------
    grids : mapping of str to array_like, each shape (n1, n2, n3)
        Named periodic grids (names without spaces, e.g. ``{'rigid': v, 'backflow_norm': |∇×W|}``).
    cell : array_like, shape (3, 3)
        Lattice vectors as rows, Å.
    numbers : array_like of int, shape (n_atoms,)
        Atomic numbers.
    positions : array_like, shape (n_atoms, 3)
        Cartesian positions, Å.
    origin : array_like, shape (3,)
        Position of grid point (0, 0, 0), Å.
    comment : str
        Block comment.

    Raises
    ------
    InputValidationError
        If a grid is not 3D, a grid name is empty or has spaces, or atoms and positions differ in number.
    """
    cell = np.asarray(cell, dtype=float)
    numbers = np.asarray(numbers, dtype=int).reshape(-1)
    positions = np.asarray(positions, dtype=float).reshape(-1, 3)
    if len(numbers) != len(positions):
        raise InputValidationError(f'{len(numbers)} atomic numbers but {len(positions)} positions')
    if not grids:
        raise InputValidationError('at least one grid is needed')
    out = ['CRYSTAL', 'PRIMVEC']
    out += [''.join(f'{x:16.10f}' for x in vec) for vec in cell]
    out += ['PRIMCOORD', f'{len(numbers)} 1']
    out += [f'{z:4d}' + ''.join(f'{x:16.10f}' for x in pos) for z, pos in zip(numbers, positions, strict=True)]
    out += ['BEGIN_BLOCK_DATAGRID_3D', ' '.join(comment.split()) or 'grid']
    for name, grid in grids.items():
        if not name or any(c.isspace() for c in name):
            raise InputValidationError(f'grid name {name!r} must be non-empty and without spaces')
        grid = np.asarray(grid, dtype=float)
        if grid.ndim != 3:
            raise InputValidationError(f'grid {name!r} must have shape (n1, n2, n3); got {grid.shape}')
        general = np.pad(grid, [(0, 1)] * 3, mode='wrap')
        out.append(f'BEGIN_DATAGRID_3D_{name}')
        out.append(' '.join(str(n) for n in general.shape))
        out.append(''.join(f'{x:16.10f}' for x in np.asarray(origin, dtype=float)))
        out += [''.join(f'{x:16.10f}' for x in vec) for vec in cell]
        values = general.ravel(order='F')
        full = len(values) - len(values) % 6
        body = np.char.mod('%.8E', values)
        lines = [' '.join(chunk) for chunk in body[:full].reshape(-1, 6)]
        if full < len(values):
            lines.append(' '.join(body[full:]))
        out += lines
        out.append('END_DATAGRID_3D')
    out.append('END_BLOCK_DATAGRID_3D')
    return '\n'.join(out) + '\n'


def write_xsf(path: str | PathLike[str], grids: Mapping[str, ArrayLike], cell: ArrayLike, **kwargs) -> None:
    """Write :func:`format_xsf` output to ``path`` (keyword arguments as in :func:`format_xsf`)."""
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(format_xsf(grids, cell, **kwargs))


def parse_xsf_grids(source: str | PathLike[str], filename: str | None = None) -> dict[str, NDArray[np.float64]]:
    """Read the DATAGRID_3D grids of an XSF file back as periodic grids (the repeated far faces dropped).

    Parameters
    ----------
    source : str or os.PathLike
        Content (``str``) or path.
    filename : str, optional
        Name for error messages.

    Returns
    -------
    dict of str to numpy.ndarray
        Grid name → values, shape (n1, n2, n3) for a written shape (n1 + 1, n2 + 1, n3 + 1).

    Raises
    ------
    ParsingError
        On a malformed or unterminated grid, or when the repeated faces are not periodic images.
    """
    text, name = read_source(source, filename)
    lines = text.splitlines()
    grids: dict[str, NDArray[np.float64]] = {}
    index = 0
    while index < len(lines):
        line = lines[index].strip()
        if not line.upper().startswith('BEGIN_DATAGRID_3D'):
            index += 1
            continue
        grid_name = line[len('BEGIN_DATAGRID_3D') :].lstrip('_') or f'grid{len(grids)}'
        start = index + 1
        try:
            end = next(k for k in range(start, len(lines)) if lines[k].strip().upper().startswith('END_DATAGRID_3D'))
        except StopIteration:
            raise ParsingError(f'grid {grid_name!r} is not terminated by END_DATAGRID_3D', name, index + 1) from None
        tokens = ' '.join(lines[start:end]).split()
        try:
            shape = tuple(int(t) for t in tokens[:3])
            values = np.array([float(t) for t in tokens[3:]])
        except ValueError as exc:
            raise ParsingError(f'grid {grid_name!r}: {exc}', name, start + 1) from None
        if len(shape) != 3 or min(shape) < 2:
            raise ParsingError(f'grid {grid_name!r}: invalid shape {shape}', name, start + 1)
        count = shape[0] * shape[1] * shape[2]
        if len(values) != 12 + count:
            raise ParsingError(f'grid {grid_name!r}: expected {12 + count} numbers, found {len(values)}', name, start)
        general = values[12:].reshape(shape, order='F')
        periodic = general[:-1, :-1, :-1]
        if not np.allclose(np.pad(periodic, [(0, 1)] * 3, mode='wrap'), general, rtol=1e-7, atol=0):
            raise ParsingError(f'grid {grid_name!r}: the repeated far faces are not periodic images', name, start)
        grids[grid_name] = periodic
        index = end + 1
    return grids

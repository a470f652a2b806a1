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

__all__ = (
    'format_xsf',
    'format_xsf_vector_field',
    'parse_xsf_grids',
    'parse_xsf_vector_field',
    'subsample_vector_field',
    'write_xsf',
)


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


def subsample_vector_field(
    field: ArrayLike, cell: ArrayLike, *, max_arrows: int = 4000
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Grid points and vectors of a periodic vector grid on a regular sub-grid, for arrow plots.

    Parameters
    ----------
    field : array_like, shape (3, n1, n2, n3)
        Cartesian components on the periodic grid of ``cell`` (point ``i`` at ``Σ_k (i_k/n_k) a_k``).
    cell : array_like, shape (3, 3)
        Lattice vectors as rows, Å.
    max_arrows : int
        Upper bound on the number of points: one stride ``s`` on every axis, the smallest with
        ``Π ceil(n_k/s) ≤ max_arrows``.

    Returns
    -------
    points : numpy.ndarray, shape (n_points, 3)
        Cartesian positions, Å.
    vectors : numpy.ndarray, shape (n_points, 3)
        The field at those points (its units).
    """
    field = np.asarray(field, dtype=float)
    if field.ndim != 4 or field.shape[0] != 3:
        raise InputValidationError(f'field must have shape (3, n1, n2, n3); got {field.shape}')
    if max_arrows < 1:
        raise InputValidationError(f'max_arrows must be positive; got {max_arrows}')
    shape = field.shape[1:]
    stride = 1
    while int(np.prod([-(-n // stride) for n in shape])) > max_arrows:
        stride += 1
    index = np.stack(np.meshgrid(*[np.arange(0, n, stride) for n in shape], indexing='ij'), axis=-1).reshape(-1, 3)
    points = (index / np.array(shape)) @ np.asarray(cell, dtype=float)
    vectors = field[:, index[:, 0], index[:, 1], index[:, 2]].T
    return points, vectors


def format_xsf_vector_field(
    points: ArrayLike,
    vectors: ArrayLike,
    cell: ArrayLike,
    *,
    numbers: ArrayLike = (),
    positions: ArrayLike = (),
) -> str:
    """XSF text of a crystal with a vector field drawn as arrows on dummy atoms ``X`` (XCrySDen convention).

    XSF has no vector grids; XCrySDen shows a vector field as the "forces" of dummy atoms ``X`` appended to
    ``PRIMCOORD`` (``X x y z Fx Fy Fz``, see the XCrySDen documentation on vector fields). The real atoms carry
    zero vectors. Scalar components for isosurfaces go in a separate :func:`format_xsf` file.

    Parameters
    ----------
    points : array_like, shape (n_points, 3)
        Cartesian arrow positions, Å (e.g. from :func:`subsample_vector_field`).
    vectors : array_like, shape (n_points, 3)
        Cartesian vectors at those points (written as given).
    cell : array_like, shape (3, 3)
        Lattice vectors as rows, Å.
    numbers : array_like of int, shape (n_atoms,)
        Atomic numbers of the real atoms.
    positions : array_like, shape (n_atoms, 3)
        Cartesian positions of the real atoms, Å.
    """
    cell = np.asarray(cell, dtype=float)
    points = np.asarray(points, dtype=float).reshape(-1, 3)
    vectors = np.asarray(vectors, dtype=float).reshape(-1, 3)
    numbers = np.asarray(numbers, dtype=int).reshape(-1)
    positions = np.asarray(positions, dtype=float).reshape(-1, 3)
    if len(points) != len(vectors) or len(numbers) != len(positions):
        raise InputValidationError(
            f'{len(points)} points with {len(vectors)} vectors, {len(numbers)} atomic numbers with '
            f'{len(positions)} positions: the counts must match'
        )
    if not (np.all(np.isfinite(points)) and np.all(np.isfinite(vectors))):
        raise InputValidationError('points and vectors must be finite')
    out = ['CRYSTAL', 'PRIMVEC']
    out += [''.join(f'{x:16.10f}' for x in vec) for vec in cell]
    out += ['PRIMCOORD', f'{len(numbers) + len(points)} 1']
    zero = ''.join(f'{0.0:16.10f}' for _ in range(3))
    out += [f'{z:4d}' + ''.join(f'{x:16.10f}' for x in pos) + zero for z, pos in zip(numbers, positions, strict=True)]
    out += [
        '   X' + ''.join(f'{x:16.10f}' for x in pos) + ''.join(f'{x:16.8E}' for x in vec)
        for pos, vec in zip(points, vectors, strict=True)
    ]
    return '\n'.join(out) + '\n'


def parse_xsf_vector_field(
    source: str | PathLike[str], filename: str | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Read the dummy-atom (``X``) arrows of :func:`format_xsf_vector_field` back: positions and vectors (n, 3)."""
    text, name = read_source(source, filename)
    lines = text.splitlines()
    try:
        start = next(k for k, line in enumerate(lines) if line.strip().upper() == 'PRIMCOORD')
        count = int(lines[start + 1].split()[0])
    except (StopIteration, IndexError, ValueError):
        raise ParsingError('no PRIMCOORD block with an atom count', name, 1) from None
    points, vectors = [], []
    for offset, line in enumerate(lines[start + 2 : start + 2 + count]):
        tokens = line.split()
        if tokens and tokens[0].upper() == 'X':
            if len(tokens) != 7:
                raise ParsingError(f'dummy atom line needs 7 columns, found {len(tokens)}', name, start + 3 + offset)
            values = [float(t) for t in tokens[1:]]
            points.append(values[:3])
            vectors.append(values[3:])
    return np.array(points, dtype=float).reshape(-1, 3), np.array(vectors, dtype=float).reshape(-1, 3)


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

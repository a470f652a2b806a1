"""Gaussian cube files: reader (pp.x ``output_format=6`` / ``iflag=3``) and writer (for VESTA), bohr on disk.

Format: two comment lines; ``natoms ox oy oz``; three lines ``n_k vx vy vz`` (voxel vectors; a negative ``n_k``
means Å instead of bohr); ``natoms`` lines ``Z charge x y z``; then the values with the last index fastest
(``for i1: for i2: for i3``), each ``i3`` run starting a new line, six per line. The grid is periodic: no point
is repeated at the far faces. Values are returned as written: pp.x potentials (``plot_num`` 1, 2) are in **Ry**;
multiply by :data:`aiida_enatom.constants.RY_TO_EV` for eV. Lengths are converted to Å on reading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from os import PathLike

import numpy as np
from numpy.typing import ArrayLike, NDArray

from aiida_enatom.constants import BOHR_TO_ANGSTROM
from aiida_enatom.exceptions import InputValidationError, ParsingError
from aiida_enatom.io._qe_text import read_source

__all__ = ('VolumetricGrid', 'format_cube', 'parse_cube', 'write_cube')


@dataclass(frozen=True)
class VolumetricGrid:
    """A scalar field on the periodic grid of a cell, with the atoms of the cell."""

    data: NDArray[np.float64]
    """Values, shape (n1, n2, n3), in the file's units (Ry for pp.x potentials)."""
    cell: NDArray[np.float64]
    """Lattice vectors as rows (voxel vector × number of points), shape (3, 3), Å."""
    origin: NDArray[np.float64] = field(default_factory=lambda: np.zeros(3))
    """Cartesian position of grid point (0, 0, 0), shape (3,), Å."""
    numbers: NDArray[np.int_] = field(default_factory=lambda: np.zeros(0, dtype=int))
    """Atomic numbers, shape (n_atoms,)."""
    positions: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 3)))
    """Cartesian atomic positions, shape (n_atoms, 3), Å."""
    comments: tuple[str, str] = ('', '')
    """The two header lines."""

    @property
    def voxel(self) -> NDArray[np.float64]:
        """Voxel vectors (rows), shape (3, 3), Å."""
        return self.cell / np.array(self.data.shape)[:, None]


def _floats(tokens: list[str], count: int, what: str, filename: str, line: int) -> list[float]:
    if len(tokens) < count:
        raise ParsingError(f'{what}: expected {count} numbers, found {len(tokens)}', filename, line)
    try:
        values = [float(token.replace('D', 'E').replace('d', 'e')) for token in tokens[:count]]
    except ValueError as exc:
        raise ParsingError(f'{what}: not a number ({exc})', filename, line) from None
    if not all(np.isfinite(values)):
        raise ParsingError(f'{what}: non-finite number', filename, line)
    return values


def _int(token: str, what: str, filename: str, line: int) -> int:
    try:
        return int(token)
    except ValueError:
        raise ParsingError(f'{what}: expected an integer, found {token!r}', filename, line) from None


def parse_cube(source: str | PathLike[str], filename: str | None = None) -> VolumetricGrid:
    """Parse a Gaussian cube file (e.g. written by pp.x with ``output_format=6``).

    Parameters
    ----------
    source : str or os.PathLike
        The file content (``str``) or a path (``PathLike``; ``.gz``/``.xz``/``.bz2`` are decompressed).
    filename : str, optional
        Name for error messages.

    Returns
    -------
    VolumetricGrid
        Values in the file's units, lengths in Å.

    Raises
    ------
    ParsingError
        On any malformed content (with the line number): short header, non-numeric or non-finite numbers,
        zero or mixed-unit grid sizes, a singular voxel, missing atoms, too few or too many values,
        or an orbital (negative ``natoms``) cube.
    """
    text, name = read_source(source, filename)
    lines = text.splitlines()
    if len(lines) < 6:
        raise ParsingError(f'a cube file has at least 6 header lines; found {len(lines)}', name, len(lines) or None)
    comments = (lines[0].strip(), lines[1].strip())
    tokens = lines[2].split()
    if not tokens:
        raise ParsingError('missing number of atoms and origin', name, 3)
    natoms = _int(tokens[0], 'number of atoms', name, 3)
    if natoms < 0:
        raise ParsingError('orbital cube files (negative number of atoms) are not supported', name, 3)
    origin = np.array(_floats(tokens[1:], 3, 'origin', name, 3))

    sizes, voxel = [], []
    for k in range(3):
        tokens = lines[3 + k].split()
        if not tokens:
            raise ParsingError('missing grid size and voxel vector', name, 4 + k)
        sizes.append(_int(tokens[0], 'grid size', name, 4 + k))
        voxel.append(_floats(tokens[1:], 3, 'voxel vector', name, 4 + k))
    if any(n == 0 for n in sizes):
        raise ParsingError(f'grid sizes must be non-zero; found {sizes}', name, 4)
    if len({n > 0 for n in sizes}) != 1:
        raise ParsingError(f'grid sizes mix bohr (positive) and Å (negative) units: {sizes}', name, 4)
    scale = BOHR_TO_ANGSTROM if sizes[0] > 0 else 1.0
    shape = tuple(abs(n) for n in sizes)
    voxel_a = np.array(voxel) * scale
    cell = voxel_a * np.array(shape)[:, None]
    if abs(np.linalg.det(cell)) <= 1e-10 * max(float(np.prod(np.linalg.norm(cell, axis=1))), 1e-300):
        raise ParsingError('voxel vectors are linearly dependent (singular cell)', name, 4)

    if len(lines) < 6 + natoms:
        raise ParsingError(f'expected {natoms} atom lines, the file ends after {len(lines) - 6}', name, len(lines))
    numbers = np.zeros(natoms, dtype=int)
    positions = np.zeros((natoms, 3))
    for j in range(natoms):
        line = 7 + j
        tokens = lines[6 + j].split()
        if not tokens:
            raise ParsingError('empty atom line', name, line)
        numbers[j] = _int(tokens[0], 'atomic number', name, line)
        values = _floats(tokens[1:], 4, 'atom charge and position', name, line)
        positions[j] = np.array(values[1:]) * scale
    origin = origin * scale

    count = shape[0] * shape[1] * shape[2]
    values_text = ' '.join(lines[6 + natoms :]).split()
    if len(values_text) != count:
        raise ParsingError(
            f'grid {shape} needs {count} values, found {len(values_text)}', name, 7 + natoms if values_text else None
        )
    try:
        data = np.array([float(v.replace('D', 'E').replace('d', 'e')) for v in values_text])
    except ValueError:
        bad = next(i for i, v in enumerate(values_text) if not _is_float(v))
        raise ParsingError(f'value {bad + 1} ({values_text[bad]!r}) is not a number', name, None) from None
    if not np.all(np.isfinite(data)):
        raise ParsingError('the grid contains non-finite values', name, None)
    return VolumetricGrid(
        data=data.reshape(shape),
        cell=cell,
        origin=origin,
        numbers=numbers,
        positions=positions,
        comments=comments,
    )


def _is_float(token: str) -> bool:
    try:
        float(token.replace('D', 'E').replace('d', 'e'))
    except ValueError:
        return False
    return True


def format_cube(
    data: ArrayLike,
    cell: ArrayLike,
    *,
    numbers: ArrayLike = (),
    positions: ArrayLike = (),
    origin: ArrayLike = (0.0, 0.0, 0.0),
    comments: tuple[str, str] = ('aiida-enatom', 'values as given; lengths in bohr'),
) -> str:
    """Cube-file text of a periodic scalar grid (lengths written in bohr).

    Parameters
    ----------
    data : array_like, shape (n1, n2, n3)
        Values (written as given; state the unit in ``comments``).
    cell : array_like, shape (3, 3)
        Lattice vectors as rows, Å.
    numbers : array_like of int, shape (n_atoms,)
        Atomic numbers.
    positions : array_like, shape (n_atoms, 3)
        Cartesian positions, Å.
    origin : array_like, shape (3,)
        Position of grid point (0, 0, 0), Å.
    comments : tuple of two str
        Header lines (newlines are replaced by spaces).

    Raises
    ------
    InputValidationError
        If a grid is not 3D, a grid name is empty or has spaces, or atoms and positions differ in number.
    """
    data = np.asarray(data, dtype=float)
    if data.ndim != 3:
        raise InputValidationError(f'data must have shape (n1, n2, n3); got {data.shape}')
    cell = np.asarray(cell, dtype=float) / BOHR_TO_ANGSTROM
    numbers = np.asarray(numbers, dtype=int).reshape(-1)
    positions = np.asarray(positions, dtype=float).reshape(-1, 3) / BOHR_TO_ANGSTROM
    if len(numbers) != len(positions):
        raise InputValidationError(f'{len(numbers)} atomic numbers but {len(positions)} positions')
    origin = np.asarray(origin, dtype=float) / BOHR_TO_ANGSTROM
    voxel = cell / np.array(data.shape)[:, None]
    out = [' '.join(c.split()) for c in comments]
    out.append(f'{len(numbers):5d}' + ''.join(f'{x:12.6f}' for x in origin))
    for n, vec in zip(data.shape, voxel, strict=True):
        out.append(f'{n:5d}' + ''.join(f'{x:12.6f}' for x in vec))
    for z, pos in zip(numbers, positions, strict=True):
        out.append(f'{z:5d}{float(z):12.6f}' + ''.join(f'{x:12.6f}' for x in pos))
    n3 = data.shape[2]
    row = ''.join(' %12.5E' + ('\n' if (k + 1) % 6 == 0 or k == n3 - 1 else '') for k in range(n3))
    body = (row * (data.shape[0] * data.shape[1])) % tuple(data.ravel())
    return '\n'.join(out) + '\n' + body


def write_cube(path: str | PathLike[str], data: ArrayLike, cell: ArrayLike, **kwargs) -> None:
    """Write :func:`format_cube` output to ``path`` (keyword arguments as in :func:`format_cube`)."""
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(format_cube(data, cell, **kwargs))

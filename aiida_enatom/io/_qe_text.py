"""Text reading shared by the parsers of Quantum ESPRESSO (Fortran-written) files: sources, numbers, structures.

Every failure becomes a located ``ParsingError``.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import math
import re
from os import PathLike
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from aiida_enatom.constants import AMU_TO_ME
from aiida_enatom.exceptions import ParsingError

__all__ = (
    'AMU_RY',
    'FLOAT_RE',
    'QE_ERROR_BLOCK',
    'AtomsMixin',
    'LineReader',
    'Structure',
    'fortran_float',
    'is_comment',
    'lattice_from_ibrav',
    'parse_numbers',
    'qe_error_message',
    'read_source',
    'read_structure',
)

#: A Fortran real, with ``D`` exponents accepted.
FLOAT_RE = r'[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eEdD][-+]?\d+)?'
#: QE's mass unit (``amu_ry``): 1 amu in Rydberg atomic units of mass (m_e/2).
AMU_RY = AMU_TO_ME / 2.0

#: The banner QE's ``errore`` prints around an error message (stdout or ``CRASH``): group 1 is the message.
QE_ERROR_BLOCK = re.compile(r'%{10,}\s*\n(.*?)\n\s*%{10,}', re.DOTALL)

#: Compressed suffixes read transparently (QE's Debian examples ship gzipped reference files).
_OPENERS = {'.gz': gzip.open, '.xz': lzma.open, '.bz2': bz2.open}

#: A Fortran E-format field whose exponent has three digits loses its ``E`` (``0.123456-100``).
_FORTRAN_BARE_EXPONENT = re.compile(r'^([-+]?(?:\d+\.\d*|\.\d+))([-+]\d{3})$')
_OVERFLOW = re.compile(r'^\*+$')
_NOT_FINITE = {'nan', '+nan', '-nan', 'inf', '+inf', '-inf', 'infinity', '+infinity', '-infinity'}


def read_source(
    source: str | PathLike[str], filename: str | None = None, *, errors: str = 'strict', max_bytes: int | None = None
) -> tuple[str, str]:
    """Return ``(text, filename)`` for a path or for the text itself.

    Parameters
    ----------
    source : str or os.PathLike
        A :class:`~pathlib.Path` (any ``PathLike``) is read from disk; names ending in ``.gz``, ``.xz`` or
        ``.bz2`` are decompressed. A plain ``str`` is the file *content*.
    filename : str, optional
        Name used in error messages; defaults to the path, or ``'<string>'`` for text.
    errors : str, optional
        How bytes that are not UTF-8 are decoded (as in :meth:`bytes.decode`); ``'strict'`` makes them an error.
    max_bytes : int, optional
        Refuse a file larger than this many bytes (after decompression) before reading it whole.

    Raises
    ------
    ParsingError
        If the file cannot be read or decoded, or is larger than ``max_bytes``.
    """
    if isinstance(source, PathLike):
        path = Path(source)
        name = filename or str(path)
        opener = _OPENERS.get(path.suffix.lower())
        try:
            if opener is None:
                if max_bytes is not None and path.stat().st_size > max_bytes:
                    raise ParsingError(_too_large(path.stat().st_size, max_bytes), name)
                raw = path.read_bytes()
            else:
                with opener(path, 'rb') as handle:
                    raw = handle.read() if max_bytes is None else handle.read(max_bytes + 1)
                if max_bytes is not None and len(raw) > max_bytes:
                    raise ParsingError(_too_large(None, max_bytes), name)
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise ParsingError(f'cannot read file: {exc}', name) from exc
        try:
            return raw.decode('utf-8', errors), name
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b'\n') + 1
            raise ParsingError('file is not UTF-8/ASCII text', name, line) from exc
    if not isinstance(source, str):
        raise ParsingError(f'expected text or a path, got {type(source).__name__}', filename)
    return source, filename or '<string>'


def _too_large(size: int | None, max_bytes: int) -> str:
    what = f'{size / 2**20:.0f} MiB' if size is not None else 'more than that once decompressed'
    return f'file is too large ({what}); at most {max_bytes / 2**20:g} MiB is read'


def is_comment(line: str) -> bool:
    """Whether a line is a comment (first non-blank character ``#`` or ``!``)."""
    stripped = line.lstrip()
    return stripped.startswith(('#', '!'))


def fortran_float(token: str) -> float:
    """Convert one Fortran real (``D`` exponents, bare three-digit exponents) to float; ``ValueError`` if not one."""
    text = token.replace('D', 'E').replace('d', 'e')
    match = _FORTRAN_BARE_EXPONENT.match(text)
    if match:
        text = f'{match.group(1)}e{match.group(2)}'
    if '_' in text:
        raise ValueError(token)
    return float(text)


def _to_float(token: str) -> float:
    """Convert one Fortran token to a float that is written with digits; ``ValueError`` otherwise."""
    if token.lower() in _NOT_FINITE or not any(char.isdigit() for char in token):
        raise ValueError(token)
    return fortran_float(token)


def parse_numbers(
    line: str, filename: str, lineno: int, *, allow_overflow: bool = False, allow_nan: bool = False
) -> list[float]:
    """Split a line into numbers.

    Parameters
    ----------
    line : str
        The text of the line.
    filename : str
        File name for error messages.
    lineno : int
        1-based line number for error messages.
    allow_overflow : bool, optional
        Accept Fortran overflow fields (``*****``) and return them as NaN.
    allow_nan : bool, optional
        Accept ``NaN`` tokens (as Fortran prints 0/0).

    Raises
    ------
    ParsingError
        If a token is not a finite number (unless allowed above).
    """
    tokens = line.split()
    if '_' not in line:
        try:
            fast = [float(token) for token in tokens]
        except ValueError:
            pass
        else:
            if all(math.isfinite(value) for value in fast):
                return fast
    values = []
    for token in tokens:
        if _OVERFLOW.match(token):
            if not allow_overflow:
                raise ParsingError(f'Fortran overflow field {token!r} where a number was expected', filename, lineno)
            values.append(math.nan)
            continue
        if allow_nan and token.lower() in {'nan', '+nan', '-nan'}:
            values.append(math.nan)
            continue
        try:
            value = _to_float(token)
        except ValueError:
            raise ParsingError(f'expected a number, found {token!r}', filename, lineno) from None
        if not math.isfinite(value):
            raise ParsingError(f'number {token!r} is not finite', filename, lineno)
        values.append(value)
    return values


class LineReader:
    """Sequential reader over the lines of a text file that reports file and 1-based line on errors."""

    def __init__(self, text: str, filename: str):
        self.lines = text.splitlines()
        self.filename = filename
        self.index = 0

    @property
    def lineno(self) -> int:
        """1-based number of the next line to be read."""
        return self.index + 1

    def error(self, message: str, line: int | None = None) -> ParsingError:
        """Build a ``ParsingError`` located at ``line`` (default: the last line read)."""
        return ParsingError(message, self.filename, line if line is not None else max(self.index, 1))

    def at_end(self) -> bool:
        """Whether every line has been consumed."""
        return self.index >= len(self.lines)

    def peek(self) -> str | None:
        """Return the next line without consuming it, or ``None`` at the end."""
        return None if self.at_end() else self.lines[self.index]

    def next(self, what: str) -> str:
        """Consume and return the next line; ``what`` names the expected content for the error message."""
        if self.at_end():
            raise ParsingError(f'unexpected end of file while reading {what}', self.filename, len(self.lines) + 1)
        line = self.lines[self.index]
        self.index += 1
        return line

    def next_nonblank(self, what: str) -> str:
        """Consume blank lines and return the first non-blank one."""
        while True:
            line = self.next(what)
            if line.strip():
                return line

    def skip_blank(self) -> None:
        """Consume blank lines."""
        while not self.at_end() and not self.lines[self.index].strip():
            self.index += 1

    def floats(self, what: str, count: int | None = None, *, minimum: int | None = None) -> list[float]:
        """Parse the next non-blank line as whitespace-separated Fortran reals."""
        line = self.next_nonblank(what)
        return self.parse_floats(line, what, count, minimum=minimum)

    def parse_floats(
        self, line: str, what: str, count: int | None = None, *, minimum: int | None = None
    ) -> list[float]:
        """Parse ``line`` (already consumed) as reals (see :func:`fortran_float`)."""
        try:
            values = [fortran_float(token) for token in line.split()]
        except ValueError:
            raise self.error(f'expected numbers for {what}, got {line.strip()!r}') from None
        if count is not None and len(values) != count:
            raise self.error(f'expected {count} numbers for {what}, got {len(values)}: {line.strip()!r}')
        if minimum is not None and len(values) < minimum:
            raise self.error(f'expected at least {minimum} numbers for {what}, got {len(values)}')
        if not all(np.isfinite(values)):
            raise self.error(f'non-finite number in {what}: {line.strip()!r}')
        return values

    def ints(self, what: str, count: int | None = None, *, minimum: int | None = None) -> list[int]:
        """Parse the next non-blank line as whitespace-separated integers."""
        line = self.next_nonblank(what)
        tokens = line.split()
        try:
            values = [int(token) for token in tokens]
        except ValueError:
            raise self.error(f'expected integers for {what}, got {line.strip()!r}') from None
        if count is not None and len(values) != count:
            raise self.error(f'expected {count} integers for {what}, got {len(values)}: {line.strip()!r}')
        if minimum is not None and len(values) < minimum:
            raise self.error(f'expected at least {minimum} integers for {what}, got {len(values)}')
        return values

    def match(self, pattern: str | re.Pattern[str], what: str) -> re.Match[str]:
        """Consume the next non-blank line and require it to match ``pattern``."""
        line = self.next_nonblank(what)
        found = re.search(pattern, line)
        if found is None:
            raise self.error(f'expected {what}, got {line.strip()!r}')
        return found


def lattice_from_ibrav(ibrav: int, celldm: list[float], reader: LineReader) -> NDArray[np.float64]:
    """Primitive vectors (rows) in units of ``alat`` = celldm(1) for the Bravais lattices QE codes by ``ibrav``.

    Implemented: 1 (sc), 2 (fcc), 3 and -3 (bcc), 4 (hexagonal), 6 (simple tetragonal), 8 (simple
    orthorhombic), following the conventions of QE's ``latgen`` documented in ``INPUT_PW``. Other values raise a
    ``ParsingError`` (write the file with ``ibrav=0`` instead).
    """
    b_over_a, c_over_a = celldm[1], celldm[2]
    half = 0.5
    lattices = {
        1: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
        2: [[-half, 0, half], [0, half, half], [-half, half, 0]],
        3: [[half, half, half], [-half, half, half], [-half, -half, half]],
        -3: [[-half, half, half], [half, -half, half], [half, half, -half]],
        4: [[1, 0, 0], [-half, np.sqrt(3.0) / 2, 0], [0, 0, c_over_a]],
        6: [[1, 0, 0], [0, 1, 0], [0, 0, c_over_a]],
        8: [[1, 0, 0], [0, b_over_a, 0], [0, 0, c_over_a]],
    }
    if ibrav not in lattices:
        raise reader.error(f'ibrav={ibrav} is not supported; supported: {sorted(lattices)} and 0 (explicit vectors)')
    cell = np.asarray(lattices[ibrav], dtype=float)
    if abs(np.linalg.det(cell)) < 1e-8:
        raise reader.error(f'degenerate cell for ibrav={ibrav} with celldm={celldm}')
    return cell


class Structure(NamedTuple):
    """The structure header that ph.x dynamical-matrix files and q2r.x force-constant files share (QE units)."""

    ibrav: int
    celldm: list[float]
    cell: NDArray[np.float64]
    """Primitive vectors as rows, units of alat."""
    type_names: list[str]
    type_masses_amu: list[float]
    atom_types: list[int]
    """0-based type of each atom."""
    positions: list[list[float]]
    """Cartesian positions, units of alat."""


def read_structure(reader: LineReader, *, basis_label: bool) -> Structure:
    """Read ``ntyp nat ibrav celldm(1..6)``, the lattice vectors (``ibrav = 0`` only), the types and the atoms.

    ``basis_label``: the lattice vectors follow a ``Basis vectors`` line (dyn files, not q2r files).
    """
    head = reader.floats('header "ntyp nat ibrav celldm(1..6)"', 9)
    n_types, n_atoms, ibrav = int(head[0]), int(head[1]), int(head[2])
    if n_types < 1 or n_atoms < 1 or head[:3] != [float(n_types), float(n_atoms), float(ibrav)]:
        raise reader.error(f'invalid ntyp/nat/ibrav in header: {head[:3]}')
    celldm = head[3:]
    if celldm[0] <= 0:
        raise reader.error(f'celldm(1) must be positive, got {celldm[0]}')
    if ibrav == 0:
        if basis_label:
            line = reader.next_nonblank('"Basis vectors"')
            if line.strip().lower() != 'basis vectors':
                raise reader.error(f'expected "Basis vectors" for ibrav = 0, got {line.strip()!r}')
        cell = np.array([reader.floats(f'lattice vector {k + 1}', 3) for k in range(3)])
        if abs(np.linalg.det(cell)) < 1e-8:
            raise reader.error('lattice vectors are degenerate')
    else:
        cell = lattice_from_ibrav(ibrav, celldm, reader)
    names, masses = [], []
    for t in range(n_types):
        line = reader.next_nonblank(f'atomic type {t + 1}')
        parts = line.split("'")
        if len(parts) != 3:
            raise reader.error(f'expected "index \'label\' mass", got {line.strip()!r}')
        index = reader.parse_floats(parts[0], 'type index', 1)
        mass = reader.parse_floats(parts[2], 'type mass', 1)
        if index[0] != t + 1 or mass[0] <= 0:
            raise reader.error(f'bad atomic type line {line.strip()!r}')
        names.append(parts[1].strip())
        masses.append(mass[0] / AMU_RY)
    types, positions = [], []
    for a in range(n_atoms):
        values = reader.floats(f'atom {a + 1} "index type x y z"', 5)
        if values[0] != a + 1 or values[1] not in range(1, n_types + 1):
            raise reader.error(f'bad atom line for atom {a + 1}: {values}')
        types.append(int(values[1]) - 1)
        positions.append(values[2:])
    return Structure(ibrav, celldm, cell, names, masses, types, positions)


class AtomsMixin:
    """Per-atom views of a parsed structure with ``type_names``, ``type_masses_amu``, ``atom_types``, ``positions``."""

    type_names: tuple[str, ...]
    type_masses_amu: NDArray[np.float64]
    atom_types: NDArray[np.int64]
    positions: NDArray[np.float64]

    @property
    def n_atoms(self) -> int:
        """Number of atoms in the cell."""
        return int(self.positions.shape[0])

    @property
    def species(self) -> tuple[str, ...]:
        """Species label of each atom."""
        return tuple(self.type_names[t] for t in self.atom_types)

    @property
    def masses_amu(self) -> NDArray[np.float64]:
        """Mass of each atom in amu, shape (n_atoms,)."""
        return self.type_masses_amu[self.atom_types]


def qe_error_message(text: str) -> str | None:
    """Return the message of the first QE error banner in ``text`` on one line, or ``None`` if there is none.

    Parameters
    ----------
    text : str
        Standard output (or ``CRASH`` file) of any QE executable.

    Returns
    -------
    str or None
        E.g. ``'Error in routine readpp (1): file /x/Li.UPF not found'``.
    """
    match = QE_ERROR_BLOCK.search(text)
    if match is None:
        return None
    return ' '.join(line.strip() for line in match.group(1).splitlines() if line.strip())

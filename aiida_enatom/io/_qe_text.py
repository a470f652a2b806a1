"""Line reader shared by the Quantum ESPRESSO text parsers: every failure becomes a located ``ParsingError``."""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from aiida_enatom.exceptions import ParsingError

__all__ = ('LineReader', 'lattice_from_ibrav', 'read_source')

#: A Fortran real, with ``D`` exponents accepted.
FLOAT_RE = r'[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eEdD][-+]?\d+)?'


def read_source(source: str | PathLike[str], filename: str | None = None) -> tuple[str, str]:
    """Return ``(text, filename)`` from a path or from the text itself.

    A :class:`~pathlib.Path` (or any ``PathLike``) is read from disk; a ``str`` is taken as the file content.
    """
    if isinstance(source, PathLike):
        path = Path(source)
        try:
            return path.read_text(errors='replace'), filename or str(path)
        except OSError as exc:
            raise ParsingError(f'cannot read file: {exc}', filename or str(path)) from exc
    if not isinstance(source, str):
        raise ParsingError(f'expected text or a path, got {type(source).__name__}', filename)
    return source, filename or '<string>'


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
        """Parse the next non-blank line as whitespace-separated reals (Fortran ``D`` exponents allowed)."""
        line = self.next_nonblank(what)
        return self.parse_floats(line, what, count, minimum=minimum)

    def parse_floats(
        self, line: str, what: str, count: int | None = None, *, minimum: int | None = None
    ) -> list[float]:
        """Parse ``line`` (already consumed) as reals."""
        try:
            values = [float(token.replace('D', 'E').replace('d', 'e')) for token in line.split()]
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

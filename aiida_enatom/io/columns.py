"""Parser of plain column files of α²F: ω and one or more spectra (for example one per smearing), explicit unit.

Layout: optional comment lines (``#`` or ``!``), then rows of equal length with at least two numbers, ω first.
Examples: Elk's ``ALPHA2F.OUT`` (ω in hartree, one spectrum), IsoME's ``Nb.a2F`` (``# E (THz)`` header listing
one smearing per spectrum column). The unit of ω is never guessed: the caller states it. When the last comment
line before the data names a unit in brackets, e.g. ``# E (THz)``, it must agree with the stated one, and when
that line also lists exactly one number per spectrum column, those numbers are kept as the column labels
(smearings).
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from os import PathLike

import numpy as np
from numpy.typing import NDArray

from aiida_enatom.constants import FREQUENCY_UNITS_TO_MEV, frequency_factor_to_mev
from aiida_enatom.exceptions import InputValidationError, ParsingError
from aiida_enatom.io._qe_text import is_comment, parse_numbers, read_source
from aiida_enatom.numerics.spectra import Alpha2F

__all__ = ('ColumnsAlpha2F', 'canonical_unit', 'parse_columns')

_HEADER_UNIT = re.compile(r'[\(\[]\s*([A-Za-z][A-Za-z0-9^\-⁻¹]*)\s*[\)\]]')


def canonical_unit(unit: str) -> str:
    """Return the canonical spelling of a frequency unit (a key of ``FREQUENCY_UNITS_TO_MEV``).

    Raises
    ------
    InputValidationError
        If the unit is unknown; the message lists the valid units.
    """
    try:
        factor = frequency_factor_to_mev(unit)
    except ValueError as exc:
        raise InputValidationError(str(exc)) from None
    return next(key for key, value in FREQUENCY_UNITS_TO_MEV.items() if value == factor)


def _header_unit(line: str) -> str | None:
    """Unit named in brackets on a header line, if it is a known frequency unit."""
    for match in _HEADER_UNIT.finditer(line):
        try:
            return canonical_unit(match.group(1))
        except InputValidationError:
            continue
    return None


@dataclass(frozen=True)
class ColumnsAlpha2F:
    """Content of a column file of α²F, frequencies converted to meV."""

    frequency_mev: NDArray[np.float64]
    """Frequency grid ω in meV, shape (n_freq,), strictly increasing."""
    spectra: NDArray[np.float64]
    """α²F for each spectrum column, shape (n_columns, n_freq)."""
    column_values: tuple[float, ...] | None
    """Numbers of the header line, one per spectrum column (e.g. smearings), if the header has them."""
    unit: str
    """Unit of ω in the file (canonical spelling)."""
    header: tuple[str, ...]
    """Comment lines before the data, stripped."""
    filename: str
    """Name of the parsed file."""

    @property
    def n_columns(self) -> int:
        """Number of spectrum columns."""
        return int(self.spectra.shape[0])

    def to_alpha2f(self, column: int = 1, *, label: str | None = None) -> Alpha2F:
        """Return spectrum ``column`` (1-based: 1 is the first column after ω) as an Alpha2F in meV.

        Raises
        ------
        IndexError
            If ``column`` is outside 1…n_columns.
        InputValidationError
            If fewer than two grid points have ω > 0.
        """
        if not 1 <= column <= self.n_columns:
            raise IndexError(f'column must be in 1..{self.n_columns}, got {column}')
        if label is None:
            label = f'{self.filename} column {column}'
            if self.column_values is not None:
                label += f' ({self.column_values[column - 1]:g})'
        return Alpha2F(self.frequency_mev, self.spectra[column - 1], label=label)


def parse_columns(source: str | PathLike[str], filename: str | None = None, *, unit: str) -> ColumnsAlpha2F:
    """Parse a plain column file: ω then one or more α²F columns.

    Parameters
    ----------
    source : str or os.PathLike
        A path (``.gz``/``.xz``/``.bz2`` are decompressed) or the file content as a ``str``.
    filename : str, optional
        Name for error messages.
    unit : str
        Unit of the ω column: one of meV, eV, THz, cm-1, K, Ry, Ha (case-insensitive; ``hartree``, ``rydberg``,
        ``cm^-1`` accepted). Required: the unit of a bare column file cannot be inferred.

    Returns
    -------
    ColumnsAlpha2F
        Frequencies in meV and the spectra.

    Raises
    ------
    InputValidationError
        If ``unit`` is unknown (the message lists the valid units).
    ParsingError
        If ``unit`` contradicts a unit named in the header, the file is empty, a row has a different number of
        values from the first row, a value is not a finite number, there are fewer than two rows, or ω does not
        increase strictly.
    """
    unit = canonical_unit(unit)
    text, name = read_source(source, filename)
    fast = _fast_rows(text)
    if fast is not None:
        return _finish(fast[1], fast[0], [], unit, name)
    header: list[tuple[int, str]] = []
    rows: list[list[float]] = []
    row_lines: list[int] = []
    last = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        last = lineno
        if is_comment(line):
            if not rows:
                header.append((lineno, line.strip()))
            continue
        values = parse_numbers(line, name, lineno)
        if rows and len(values) != len(rows[0]):
            raise ParsingError(
                f'row has {len(values)} values but the first row (line {row_lines[0]}) has {len(rows[0])}; '
                'the file may be truncated',
                name,
                lineno,
            )
        if not rows and len(values) < 2:
            raise ParsingError(f'a row needs ω and at least one α²F value, found {len(values)}', name, lineno)
        rows.append(values)
        row_lines.append(lineno)
    if not rows:
        raise ParsingError('no data rows: empty file or only comments', name, max(last, 1))
    if len(rows) < 2:
        raise ParsingError('fewer than two data rows', name, row_lines[0])
    return _finish(np.array(rows, dtype=float), header, row_lines, unit, name)


def _fast_rows(text: str) -> tuple[list[tuple[int, str]], NDArray[np.float64]] | None:
    """(header lines, data) by numpy's C parser when every row is plain finite numbers of one length, else ``None``.

    Keeps a large file at a few times its size in memory; any irregularity (ragged rows, Fortran ``D`` exponents,
    NaN, fewer than two rows or columns, ω not increasing) returns ``None`` so that the line-by-line parser
    reports it with its line.
    """
    header: list[tuple[int, str]] = []
    start, lineno = 0, 0
    while start < len(text):  # the header only: no list of every line
        end = text.find('\n', start)
        end = len(text) if end < 0 else end + 1
        line, lineno = text[start:end], lineno + 1
        if line.strip() and not is_comment(line):
            break
        if line.strip():
            header.append((lineno, line.strip()))
        start = end
    if text.find('#', start) >= 0 or text.find('!', start) >= 0:
        return None  # comments among the rows: the line-by-line parser decides
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            data = np.loadtxt(io.StringIO(text), comments=('#', '!'), ndmin=2, dtype=float)
    except ValueError:
        return None
    if data.shape[0] < 2 or data.shape[1] < 2 or not np.isfinite(data).all() or not (np.diff(data[:, 0]) > 0).all():
        return None
    return header, data


def _finish(
    data: NDArray[np.float64], header: list[tuple[int, str]], row_lines: list[int], unit: str, name: str
) -> ColumnsAlpha2F:
    """Check the grid and the header of parsed rows and build the :class:`ColumnsAlpha2F`."""
    steps = np.diff(data[:, 0])
    bad = np.flatnonzero(~(steps > 0))
    if bad.size:
        raise ParsingError(
            f'frequencies must increase strictly; {data[bad[0] + 1, 0]:.7g} follows {data[bad[0], 0]:.7g}',
            name,
            row_lines[bad[0] + 1],
        )
    column_values: tuple[float, ...] | None = None
    if header:
        header_line, last_header = header[-1]
        stated = _header_unit(last_header)
        if stated is not None and stated != unit:
            raise ParsingError(f'the header names the unit {stated!r} but unit={unit!r} was given', name, header_line)
        tokens = [token for token in re.split(r'\s+', last_header.lstrip('#!').strip()) if token]
        numbers = []
        for token in tokens:
            try:
                numbers.extend(parse_numbers(token, name, header_line))
            except ParsingError:
                numbers = []
        if len(numbers) == data.shape[1] - 1:
            column_values = tuple(numbers)
    frequency = data[:, 0] * frequency_factor_to_mev(unit)
    spectra = np.ascontiguousarray(data[:, 1:].T)
    frequency.setflags(write=False)
    spectra.setflags(write=False)
    return ColumnsAlpha2F(frequency, spectra, column_values, unit, tuple(line for _, line in header), name)

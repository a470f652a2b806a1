"""Parser of matdyn.x's frequency file (``flfrq``; aiida-quantumespresso names it ``phonon_frequencies.dat``).

matdyn.x writes it for every q-point it diagonalises: the path or list it was given, or, with ``dos=.true.``, the
irreducible points of the ``nk1 × nk2 × nk3`` mesh. Format (QE 6.x ``matdyn.f90``, as written by QE 6.7):

- a header ``&plot nbnd=  N, nks=  M /`` (N branches = 3 × n_atoms, M q-points);
- per q-point one line ``(10x, 3f10.6)`` with q in Cartesian units of 2π/alat, then the N frequencies in cm⁻¹
  as ``(6f10.4)``, six per line. Imaginary frequencies are negative.

The fields are fixed-width, so two wide numbers can touch (``-1204.1234-1020.5360``); they are read by column,
not split on blanks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from os import PathLike

import numpy as np
from numpy.typing import NDArray

from aiida_enatom.exceptions import ParsingError
from aiida_enatom.io._qe_text import read_source

__all__ = ('MatdynFrequencies', 'parse_matdyn_frequencies')

_HEADER = re.compile(r'^\s*&plot\s+nbnd\s*=\s*(\d+)\s*,\s*nks\s*=\s*(\d+)\s*/\s*$', re.IGNORECASE)
_FIELD = 10
_PER_LINE = 6


@dataclass(frozen=True)
class MatdynFrequencies:
    """Content of a matdyn.x frequency file."""

    qpoints: NDArray[np.float64]
    """q-points in Cartesian coordinates, units of 2π/alat (alat of the force-constants file), shape (n_q, 3)."""
    frequencies_cm1: NDArray[np.float64]
    """Frequencies in cm⁻¹ per q-point, imaginary ones negative, shape (n_q, n_branches)."""
    filename: str
    """Name of the parsed file."""

    @property
    def n_branches(self) -> int:
        """Number of phonon branches (3 × number of atoms)."""
        return int(self.frequencies_cm1.shape[1])


def _fields(line: str, count: int, name: str, lineno: int, offset: int = 0) -> list[float]:
    """Read ``count`` fixed-width (10-character) reals starting at column ``offset``."""
    values = []
    for index in range(count):
        text = line[offset + index * _FIELD : offset + (index + 1) * _FIELD].strip()
        try:
            values.append(float(text))
        except ValueError:
            raise ParsingError(
                f'field {index + 1} ({text!r}) is not a number; expected {count} values of 10 columns each '
                f'(Fortran f10.x)',
                name,
                lineno,
            ) from None
    return values


def parse_matdyn_frequencies(source: str | PathLike[str], filename: str | None = None) -> MatdynFrequencies:
    """Parse matdyn.x's frequency file (``flfrq``).

    Parameters
    ----------
    source : str or os.PathLike
        A path (``.gz``/``.xz``/``.bz2`` are decompressed) or the file content as a ``str``.
    filename : str, optional
        Name for error messages (default: the path, or ``'<string>'``).

    Returns
    -------
    MatdynFrequencies
        q-points (2π/alat, Cartesian) and frequencies (cm⁻¹).

    Raises
    ------
    ParsingError
        If the ``&plot nbnd=…, nks=… /`` header is missing, a field is not a number (including Fortran's
        ``**********`` overflow), or the file holds fewer or more q-points than the header says. The message
        names the file and the 1-based line.
    """
    text, name = read_source(source, filename)
    lines = [(lineno, line) for lineno, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise ParsingError('file is empty; expected a "&plot nbnd=…, nks=… /" header', name, 1)
    header_lineno, header = lines[0]
    match = _HEADER.match(header)
    if not match:
        raise ParsingError(
            f'first line {header.strip()!r} is not the "&plot nbnd=…, nks=… /" header of a matdyn frequency file',
            name,
            header_lineno,
        )
    n_branches, n_q = int(match.group(1)), int(match.group(2))
    if n_branches < 1 or n_q < 1:
        raise ParsingError(f'header gives nbnd = {n_branches}, nks = {n_q}; both must be ≥ 1', name, header_lineno)
    lines_per_q = 1 + -(-n_branches // _PER_LINE)
    body = lines[1:]
    if len(body) != n_q * lines_per_q:
        last = body[-1][0] if body else header_lineno
        raise ParsingError(
            f'{len(body)} data lines, but nks = {n_q} q-points with nbnd = {n_branches} need {n_q * lines_per_q} '
            f'({lines_per_q} per q-point): the file is truncated or not from matdyn.x',
            name,
            last,
        )
    qpoints = np.empty((n_q, 3))
    frequencies = np.empty((n_q, n_branches))
    for iq in range(n_q):
        block = body[iq * lines_per_q : (iq + 1) * lines_per_q]
        lineno, line = block[0]
        qpoints[iq] = _fields(line, 3, name, lineno, offset=_FIELD)
        values: list[float] = []
        for lineno, line in block[1:]:
            values.extend(_fields(line, min(_PER_LINE, n_branches - len(values)), name, lineno))
        frequencies[iq] = values
    for array in (qpoints, frequencies):
        array.setflags(write=False)
    return MatdynFrequencies(qpoints=qpoints, frequencies_cm1=frequencies, filename=name)

"""Parsers of matdyn.x's electron–phonon outputs: the spectra ``a2F.dosN`` and the summary file ``lambda``.

Both files are written by ``matdyn.x`` run with ``dos=.true., la2F=.true.`` after ``q2r.x`` with ``la2F=.true.``;
one ``a2F.dosN`` per electronic broadening N = 1…``el_ph_nsigma`` of ph.x (broadening N × ``el_ph_sigma`` Ry).

Formats (as written by QE 6.0 and 6.7; see ``docs/parsers.md``):

``a2F.dosN``
    A blank line and three ``#`` header lines (``frequencies in Rydberg``), then one row per frequency:
    ω (Ry), α²F_total, α²F per mode (3 × nat columns). QE 6.7 writes a row on one line (``(3X,1000E16.6)``,
    which wraps only after 1000 values); QE 6.0 writes ω and the total on one line and the modes six per line
    below it. Rows are rebuilt from the known row length, whatever the wrapping. The file ends with
    ``lambda = λ   Delta = Δω`` (QE's own integral of this spectrum and the grid step in Ry).
``lambda``
    A title line, then one line per broadening:
    ``Broadening σ lambda λ dos(Ef) N(E_F)`` and, from QE 6.x (present in 6.7, absent in 6.0),
    ``omega_ln [K] ω_log``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from os import PathLike

import numpy as np
from numpy.typing import NDArray

from aiida_enatom.constants import RY_TO_MEV
from aiida_enatom.exceptions import ParsingError
from aiida_enatom.io._qe_text import is_comment, parse_numbers, read_source
from aiida_enatom.numerics.spectra import Alpha2F

__all__ = ('MatdynA2FDos', 'MatdynLambda', 'MatdynLambdaEntry', 'parse_a2f_dos', 'parse_lambda_file')

_FOOTER = re.compile(r'^\s*lambda\s*=\s*(\S+)\s+Delta\s*=\s*(\S+)\s*$')
_LAMBDA_LINE = re.compile(
    r'^\s*Broadening\s+(\S+)\s+lambda\s+(\S+)\s+dos\(Ef\)\s*(\S+)(?:\s+omega_ln\s*\[K\]\s*(\S+))?\s*$'
)
_LAMBDA_TITLE = 'electron-phonon coupling constant'
_DOS_NAME = re.compile(r'a2F\.dos(\d+)(?:\.(?:gz|xz|bz2))?$')


@dataclass(frozen=True)
class MatdynA2FDos:
    """Content of one matdyn ``a2F.dosN`` file, frequencies converted to meV."""

    frequency_mev: NDArray[np.float64]
    """Frequency grid ω in meV, shape (n_freq,), strictly increasing (matdyn's bin centres; negative for imaginary
    modes)."""
    total: NDArray[np.float64]
    """Total α²F(ω), dimensionless, shape (n_freq,)."""
    per_mode: NDArray[np.float64]
    """α²F per phonon branch (sorted by frequency at each q), shape (n_modes, n_freq); sums to :attr:`total`."""
    lambda_qe: float
    """λ that matdyn printed at the end of the file: its midpoint sum 2 Σ α²F(ω)/ω Δω over this grid."""
    frequency_step_mev: float
    """Grid step Δω in meV (``Delta`` of the last line, converted from Ry)."""
    header: tuple[str, ...]
    """The ``#`` header lines, stripped."""
    smearing_index: int | None
    """N of the file name ``a2F.dosN`` (1-based electronic broadening index), if the name has that form."""
    filename: str
    """Name of the parsed file."""

    @property
    def n_modes(self) -> int:
        """Number of phonon branches (3 × number of atoms)."""
        return int(self.per_mode.shape[0])

    @property
    def frequency_ry(self) -> NDArray[np.float64]:
        """Frequency grid in Ry, as written in the file (recomputed from meV)."""
        return self.frequency_mev / RY_TO_MEV

    def to_alpha2f(self, *, include_modes: bool = False, label: str | None = None) -> Alpha2F:
        """Return the total spectrum as an :class:`~aiida_enatom.numerics.spectra.Alpha2F` (ω in meV).

        Parameters
        ----------
        include_modes : bool, optional
            Attach the per-branch spectra as partials keyed ``'mode_01'``, ``'mode_02'``, ….
        label : str, optional
            Label of the spectrum; default ``'matdyn a2F.dosN'``.

        Raises
        ------
        InputValidationError
            If the grid has fewer than two points with ω > 0 (the moments would be undefined).
        """
        partials = {}
        if include_modes:
            width = max(2, len(str(self.n_modes)))
            partials = {f'mode_{index + 1:0{width}d}': self.per_mode[index] for index in range(self.n_modes)}
        if label is None:
            label = f'matdyn a2F.dos{self.smearing_index}' if self.smearing_index else f'matdyn {self.filename}'
        return Alpha2F(self.frequency_mev, self.total, partials, label)


@dataclass(frozen=True)
class MatdynLambdaEntry:
    """One line of matdyn's ``lambda`` file (one electronic broadening)."""

    broadening_ry: float
    """Electronic (Gaussian) broadening σ of the double-delta Fermi-surface sum, in Ry."""
    coupling_lambda: float
    """λ as printed by matdyn (4 decimals)."""
    dos_ef: float
    """Electronic DOS at E_F in states/spin/Ry/cell, at this broadening."""
    omega_log_k: float | None
    """ω_log in K (QE ≥ 6.x); ``None`` when the file has no ``omega_ln`` column (QE 6.0); NaN if QE printed NaN."""


@dataclass(frozen=True)
class MatdynLambda:
    """Content of matdyn's ``lambda`` file."""

    entries: tuple[MatdynLambdaEntry, ...]
    """One entry per broadening, in file order (broadening index 1, 2, …)."""
    filename: str
    """Name of the parsed file."""

    @property
    def has_omega_log(self) -> bool:
        """Whether the file has the ``omega_ln [K]`` column."""
        return self.entries[0].omega_log_k is not None

    def entry(self, smearing_index: int) -> MatdynLambdaEntry:
        """Return the entry of broadening ``smearing_index`` (1-based, as in ``a2F.dosN``).

        Raises
        ------
        IndexError
            If the index is outside 1…len(entries); the message gives the valid range.
        """
        if not 1 <= smearing_index <= len(self.entries):
            raise IndexError(f'smearing_index must be in 1..{len(self.entries)}, got {smearing_index}')
        return self.entries[smearing_index - 1]


def _smearing_index(filename: str) -> int | None:
    match = _DOS_NAME.search(filename)
    return int(match.group(1)) if match else None


def _group_rows(
    records: list[tuple[int, list[float]]], filename: str, n_modes: int | None
) -> tuple[NDArray[np.float64], list[int]]:
    """Rebuild rows (ω, total, modes…) from numeric lines, whatever the line wrapping.

    A row length W is accepted when every row starts at the beginning of a line, ω increases strictly and the
    per-mode values add up to the total (to the precision of the printed digits). The smallest such W wins.
    """
    flat = np.array([value for _, values in records for value in values], dtype=float)
    size = flat.size
    line_start: dict[int, int] = {}
    offset = 0
    for index, (_, values) in enumerate(records):
        line_start[offset] = index
        offset += len(values)
    if n_modes is not None:
        if n_modes < 1:
            raise ParsingError(f'n_modes must be positive, got {n_modes}', filename)
        widths: list[int] = [n_modes + 2]
    else:
        widths = [width for width in range(3, size // 2 + 1) if size % width == 0]
    first_problem: ParsingError | None = None
    for width in widths:
        if size % width or size < 2 * width:
            continue
        starts = range(0, size, width)
        if not all(start in line_start for start in starts):
            continue
        rows = flat.reshape(-1, width)
        linenos = [records[line_start[start]][0] for start in starts]
        steps = np.diff(rows[:, 0])
        bad = np.flatnonzero(~(steps > 0))
        if bad.size:
            first_problem = first_problem or ParsingError(
                f'frequencies must increase (row of {width} values: ω, total, {width - 2} modes); '
                f'{rows[bad[0] + 1, 0]:.7g} Ry follows {rows[bad[0], 0]:.7g} Ry',
                filename,
                linenos[bad[0] + 1],
            )
            continue
        modes = rows[:, 2:]
        tolerance = 1e-6 + 1e-5 * (np.abs(rows[:, 1]) + np.abs(modes).sum(axis=1)) + 1e-8 * modes.shape[1]
        bad = np.flatnonzero(np.abs(rows[:, 1] - modes.sum(axis=1)) > tolerance)
        if bad.size:
            first_problem = first_problem or ParsingError(
                f'the {width - 2} per-mode values do not add up to the total {rows[bad[0], 1]:.7g}',
                filename,
                linenos[bad[0]],
            )
            continue
        return rows, linenos
    if first_problem is not None:
        raise first_problem
    first_count = len(records[0][1])
    if first_count >= 3:
        for lineno, values in records[1:]:
            if len(values) != first_count:
                raise ParsingError(
                    f'line has {len(values)} values but the first data line has {first_count}; '
                    'the file may be truncated or corrupted',
                    filename,
                    lineno,
                )
    expected = f'rows of {n_modes + 2} values' if n_modes is not None else 'at least two rows of equal length'
    raise ParsingError(
        f'cannot group the {size} values into {expected} (ω, total α²F, one value per mode) starting on line '
        'boundaries; the file may be truncated',
        filename,
        records[-1][0],
    )


def parse_a2f_dos(
    source: str | PathLike[str], filename: str | None = None, *, n_modes: int | None = None
) -> MatdynA2FDos:
    """Parse a matdyn ``a2F.dosN`` file.

    Parameters
    ----------
    source : str or os.PathLike
        A path (``.gz``/``.xz``/``.bz2`` are decompressed) or the file content as a ``str``.
    filename : str, optional
        Name for error messages and for the broadening index N (default: the path, or ``'<string>'``).
    n_modes : int, optional
        Number of phonon branches (3 × nat), if known; otherwise deduced from the layout of the rows.

    Returns
    -------
    MatdynA2FDos
        Frequencies in meV, total and per-mode α²F, matdyn's own λ and grid step.

    Raises
    ------
    ParsingError
        If the file is empty, has no unit header, is truncated (no ``lambda = … Delta = …`` last line, or an
        incomplete row), holds non-numbers, or its frequencies do not increase. The message names the file and
        the 1-based line.

    Notes
    -----
    Negative frequencies (imaginary modes, which matdyn bins below zero) are kept; the
    :class:`~aiida_enatom.numerics.spectra.Alpha2F` returned by :meth:`MatdynA2FDos.to_alpha2f` reports their
    weight and leaves them out of the moments.
    """
    text, name = read_source(source, filename)
    header: list[str] = []
    records: list[tuple[int, list[float]]] = []
    footer: tuple[int, float, float] | None = None
    last_nonblank = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        last_nonblank = lineno
        if footer is not None:
            raise ParsingError('unexpected text after the closing "lambda = … Delta = …" line', name, lineno)
        if is_comment(line):
            if records:
                raise ParsingError('comment line inside the data rows', name, lineno)
            header.append(line.strip())
            continue
        if 'lambda' in line:
            match = _FOOTER.match(line)
            if not match:
                raise ParsingError('malformed closing line; expected "lambda = <λ>  Delta = <Δω>"', name, lineno)
            lam, delta = parse_numbers(f'{match.group(1)} {match.group(2)}', name, lineno)
            if not delta > 0:
                raise ParsingError(f'grid step Delta = {delta!r} Ry must be positive', name, lineno)
            footer = (lineno, lam, delta)
            continue
        records.append((lineno, parse_numbers(line, name, lineno)))
    if not header and not records:
        raise ParsingError('file is empty', name, 1 if not text else last_nonblank or 1)
    if not any('rydberg' in line.lower() for line in header):
        raise ParsingError(
            'no header line stating the frequency unit ("#  frequencies in Rydberg"); not a matdyn a2F.dos file',
            name,
            1,
        )
    if not records:
        raise ParsingError('no data rows after the header', name, last_nonblank)
    rows, _ = _group_rows(records, name, n_modes)
    if footer is None:
        raise ParsingError(
            'missing the closing "lambda = … Delta = …" line that matdyn writes last: the file is truncated',
            name,
            last_nonblank,
        )
    footer_line, lambda_qe, delta_ry = footer
    if rows.shape[0] > 1:
        spacing = (rows[-1, 0] - rows[0, 0]) / (rows.shape[0] - 1)
        if abs(spacing - delta_ry) > 1e-3 * delta_ry + 1e-6:
            raise ParsingError(
                f'mean grid step {spacing:.6g} Ry differs from Delta = {delta_ry:.6g} Ry on the closing line',
                name,
                footer_line,
            )
    frequency = rows[:, 0] * RY_TO_MEV
    total = rows[:, 1].copy()
    per_mode = np.ascontiguousarray(rows[:, 2:].T)
    for array in (frequency, total, per_mode):
        array.setflags(write=False)
    return MatdynA2FDos(
        frequency_mev=frequency,
        total=total,
        per_mode=per_mode,
        lambda_qe=float(lambda_qe),
        frequency_step_mev=float(delta_ry * RY_TO_MEV),
        header=tuple(header),
        smearing_index=_smearing_index(name),
        filename=name,
    )


def parse_lambda_file(source: str | PathLike[str], filename: str | None = None) -> MatdynLambda:
    """Parse the ``lambda`` file written by matdyn (``dos=.true., la2F=.true.``).

    Parameters
    ----------
    source : str or os.PathLike
        A path or the file content as a ``str``.
    filename : str, optional
        Name for error messages (default: the path, or ``'<string>'``).

    Returns
    -------
    MatdynLambda
        One :class:`MatdynLambdaEntry` per broadening.

    Raises
    ------
    ParsingError
        If the file is empty, a line is neither blank, the title, nor a ``Broadening …`` line, a value is not a
        number, lines disagree on having ``omega_ln``, or broadenings are not positive and increasing.
    """
    text, name = read_source(source, filename)
    entries: list[MatdynLambdaEntry] = []
    last = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        last = lineno
        if _LAMBDA_TITLE in line.lower() and not entries:
            continue
        match = _LAMBDA_LINE.match(line)
        if not match:
            raise ParsingError('expected "Broadening <σ> lambda <λ> dos(Ef) <N> [omega_ln [K] <ω_log>]"', name, lineno)
        sigma, lam, dos = parse_numbers(' '.join(match.group(1, 2, 3)), name, lineno)
        omega_log: float | None = None
        if match.group(4) is not None:
            (omega_log,) = parse_numbers(match.group(4), name, lineno, allow_nan=True)
        if entries and (omega_log is None) != (entries[0].omega_log_k is None):
            raise ParsingError('some lines have an omega_ln column and others do not', name, lineno)
        if not sigma > 0 or (entries and not sigma > entries[-1].broadening_ry):
            raise ParsingError(f'broadening {sigma!r} Ry must be positive and increasing', name, lineno)
        if omega_log is not None and not math.isnan(omega_log) and omega_log < 0:
            raise ParsingError(f'omega_ln {omega_log!r} K is negative', name, lineno)
        entries.append(MatdynLambdaEntry(sigma, lam, dos, omega_log))
    if not entries:
        raise ParsingError('no "Broadening … lambda …" lines: empty or truncated lambda file', name, max(last, 1))
    return MatdynLambda(tuple(entries), name)

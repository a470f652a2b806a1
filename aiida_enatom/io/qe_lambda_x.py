"""Parsers of QE's ``lambda.x``: its standard input, its printed Allen–Dynes table, ``lambda.dat`` and ``alpha2F.dat``.

``lambda.x`` (PHonon, QE 6.7) sums the per-q files ``elph_dir/elph.inp_lambda.*`` of ph.x over the q-points with
user-given weights, broadens each λ_qν with a Gaussian of width ``degaussq`` (THz) on a fixed grid from 0 to ``emax``
(THz; 200 points in QE 6.7), and writes, for each electronic broadening of the ph.x run:

- on standard output, ``lambda = λ ( λ_a2F )  <log w>= ω_log K  N(Ef)= N at degauss= σ`` and then the table
  ``lambda  omega_log  T_c`` with T_c = ω_log/1.2 exp[−1.04(1+λ)/(λ − μ*(1+0.62λ))] (McMillan's formula in
  its Allen–Dynes ω_log form; printed as ``*****`` when it overflows, i.e. when the denominator is ≤ 0);
- ``lambda.dat``: ``# degauss lambda int alpha2F <log w> N(Ef)`` and one row per broadening;
- ``alpha2F.dat``: ``# E(THz)`` followed by the broadenings (Ry), then rows ω (THz), α²F per broadening.
  The Fortran formats hold 10 broadenings per line; with more, header and rows continue on the next lines.

λ is the direct sum Σ_q w_q Σ_ν λ_qν; λ_a2F (in parentheses) is 2∫α²F/ω on the broadened grid; ω_log is
computed from the broadened α²F (with 1 THz = 47.9924 K).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from os import PathLike

import numpy as np
from numpy.typing import NDArray

from aiida_enatom.constants import THZ_TO_MEV
from aiida_enatom.exceptions import ParsingError
from aiida_enatom.io._qe_text import parse_numbers, read_source
from aiida_enatom.numerics.spectra import Alpha2F

__all__ = (
    'LambdaXAlpha2F',
    'LambdaXEntry',
    'LambdaXInput',
    'LambdaXOutput',
    'parse_alpha2f_dat',
    'parse_lambda_dat',
    'parse_lambda_x_input',
    'parse_lambda_x_output',
)

_NUM = r'(\S+)'
_STDOUT_LINE = re.compile(
    rf'^\s*lambda\s*=\s*{_NUM}\s*\(\s*{_NUM}\s*\)\s*<log w>=\s*{_NUM}\s*K'
    rf'\s*N\(Ef\)=\s*{_NUM}\s*at degauss=\s*{_NUM}\s*$'
)
_TABLE_HEADER = re.compile(r'^\s*lambda\s+omega_log\s+T_c\s*$')
_DAT_HEADER = re.compile(r'^\s*#\s*degauss\s+lambda\s+int alpha2F\s+<log w>\s+N\(Ef\)\s*$')
_A2F_HEADER = re.compile(r'^\s*#\s*E\s*\(\s*THz\s*\)(.*)$')
#: lambda.x writes at most this many values per line in alpha2F.dat (Fortran formats ``10(f10.3)``/``10(f10.5)``).
_PER_LINE = 10
#: Half a unit in the last place of the f8.4 frequency column of alpha2F.dat, in THz.
_F84_HALF_ULP = 5.0e-5


@dataclass(frozen=True)
class LambdaXEntry:
    """Results of lambda.x for one electronic broadening."""

    degauss_ry: float
    """Electronic broadening of the ph.x run in Ry (printed with 3 decimals)."""
    coupling_lambda: float
    """λ = Σ_q w_q Σ_ν λ_qν, the direct sum over the q-points."""
    coupling_lambda_a2f: float
    """λ from 2∫α²F(ω)/ω dω on lambda.x's broadened grid (the value in parentheses)."""
    omega_log_k: float
    """ω_log in K from the broadened α²F (NaN if lambda.x printed NaN)."""
    dos_ef: float
    """Electronic DOS at E_F, states/spin/Ry/cell."""
    tc_k: float | None = None
    """McMillan T_c in K from the stdout table; NaN where lambda.x printed an overflow (``*****``); ``None`` for
    ``lambda.dat``, which has no T_c."""


@dataclass(frozen=True)
class LambdaXOutput:
    """Entries parsed from lambda.x's standard output or from ``lambda.dat``."""

    entries: tuple[LambdaXEntry, ...]
    """One entry per electronic broadening, in file order (index 1, 2, …)."""
    filename: str
    """Name of the parsed file."""

    def entry(self, smearing_index: int) -> LambdaXEntry:
        """Return the entry of broadening ``smearing_index`` (1-based).

        Raises
        ------
        IndexError
            If the index is outside 1…len(entries).
        """
        if not 1 <= smearing_index <= len(self.entries):
            raise IndexError(f'smearing_index must be in 1..{len(self.entries)}, got {smearing_index}')
        return self.entries[smearing_index - 1]


@dataclass(frozen=True)
class LambdaXInput:
    """Standard input of lambda.x."""

    emax_thz: float
    """Upper end of the α²F grid, THz."""
    degauss_q_thz: float
    """Gaussian broadening of the sum over q, THz (not the electronic broadening)."""
    ngauss_q: int
    """Smearing type of that broadening (0 = Gaussian, 1 = Methfessel–Paxton, …)."""
    qpoints: NDArray[np.float64]
    """q-points as given (2π/a units), shape (n_q, 3)."""
    weights: NDArray[np.float64]
    """Weights of the q-points as given (lambda.x normalises them), shape (n_q,)."""
    files: tuple[str, ...]
    """The ``elph.inp_lambda.*`` files, one per q-point."""
    mu_star: float
    """μ* used for the printed T_c."""


@dataclass(frozen=True)
class LambdaXAlpha2F:
    """Content of lambda.x's ``alpha2F.dat``."""

    frequency_mev: NDArray[np.float64]
    """Frequency grid in meV, shape (n_freq,) (lambda.x's uniform grid from 0 to ``emax``)."""
    spectra: NDArray[np.float64]
    """α²F for each electronic broadening, shape (n_sigma, n_freq)."""
    degauss_ry: tuple[float, ...]
    """Electronic broadenings from the header, Ry."""
    filename: str
    """Name of the parsed file."""

    def to_alpha2f(self, smearing_index: int, *, label: str | None = None) -> Alpha2F:
        """Return the spectrum of broadening ``smearing_index`` (1-based) as an Alpha2F in meV.

        Raises
        ------
        IndexError
            If the index is outside 1…n_sigma.
        """
        if not 1 <= smearing_index <= len(self.degauss_ry):
            raise IndexError(f'smearing_index must be in 1..{len(self.degauss_ry)}, got {smearing_index}')
        if label is None:
            label = f'lambda.x alpha2F.dat degauss={self.degauss_ry[smearing_index - 1]:g} Ry'
        return Alpha2F(self.frequency_mev, self.spectra[smearing_index - 1], label=label)


def _error_message(lines: list[str]) -> tuple[int, str] | None:
    """Return (line, message) of a QE ``Error in routine`` block, if any."""
    for index, line in enumerate(lines):
        if 'Error in routine' in line:
            detail = lines[index + 1].strip() if index + 1 < len(lines) else ''
            return index + 1, f'lambda.x stopped with an error: {line.strip()} {detail}'.strip()
    return None


def parse_lambda_x_output(source: str | PathLike[str], filename: str | None = None) -> LambdaXOutput:
    """Parse the standard output of lambda.x.

    Parameters
    ----------
    source : str or os.PathLike
        A path or the output text as a ``str``.
    filename : str, optional
        Name for error messages.

    Returns
    -------
    LambdaXOutput
        One entry per broadening, with λ, λ_a2F, ω_log, N(E_F) and the printed T_c.

    Raises
    ------
    ParsingError
        If the output is empty, reports a QE error, lacks the ``lambda omega_log T_c`` table (truncated), has a
        table whose length or values disagree with the ``lambda = …`` lines, or holds unexpected text.
    """
    text, name = read_source(source, filename)
    lines = text.splitlines()
    error = _error_message(lines)
    if error is not None:
        raise ParsingError(error[1], name, error[0])
    summary: list[tuple[int, list[float]]] = []
    table: list[tuple[int, list[float]]] = []
    in_table = False
    last = 0
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        last = lineno
        if in_table:
            values = parse_numbers(line, name, lineno, allow_overflow=True, allow_nan=True)
            if len(values) != 3:
                raise ParsingError(
                    f'table row needs 3 values (lambda, omega_log, T_c), found {len(values)}', name, lineno
                )
            table.append((lineno, values))
            continue
        if _TABLE_HEADER.match(line):
            in_table = True
            continue
        match = _STDOUT_LINE.match(line)
        if not match:
            raise ParsingError(
                'expected "lambda = <λ> ( <λ_a2F> )  <log w>= <ω> K  N(Ef)= <N> at degauss= <σ>"', name, lineno
            )
        summary.append((lineno, parse_numbers(' '.join(match.groups()), name, lineno, allow_nan=True)))
    if not summary:
        raise ParsingError('no "lambda = …" lines: empty or not a lambda.x output', name, max(last, 1))
    if not in_table:
        raise ParsingError('missing the "lambda omega_log T_c" table: the output is truncated', name, last)
    if len(table) != len(summary):
        raise ParsingError(
            f'the table has {len(table)} rows but there are {len(summary)} "lambda = …" lines: truncated output',
            name,
            last,
        )
    entries = []
    for (lineno, (lam, lam_a2f, omega_log, dos, sigma)), (row_line, (lam_row, omega_row, tc)) in zip(
        summary, table, strict=True
    ):
        if not math.isclose(lam, lam_row, abs_tol=1.01e-5) or not (
            math.isclose(omega_log, omega_row, abs_tol=1.01e-3) or (math.isnan(omega_log) and math.isnan(omega_row))
        ):
            raise ParsingError(
                f'table row ({lam_row}, {omega_row}) disagrees with line {lineno} ({lam}, {omega_log})', name, row_line
            )
        if any(math.isnan(value) for value in (lam, lam_a2f, dos, sigma)):
            raise ParsingError('lambda, N(Ef) and degauss must be numbers', name, lineno)
        entries.append(LambdaXEntry(sigma, lam, lam_a2f, omega_log, dos, tc))
    return LambdaXOutput(tuple(entries), name)


def parse_lambda_dat(source: str | PathLike[str], filename: str | None = None) -> LambdaXOutput:
    """Parse ``lambda.dat`` written by lambda.x (no T_c: entries have ``tc_k=None``).

    Raises
    ------
    ParsingError
        If the header is missing, a row does not have 5 numbers, or the file is empty.
    """
    text, name = read_source(source, filename)
    entries: list[LambdaXEntry] = []
    header = False
    last = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        last = lineno
        if not header:
            if not _DAT_HEADER.match(line):
                raise ParsingError(
                    'expected the header "# degauss   lambda    int alpha2F  <log w>     N(Ef)"', name, lineno
                )
            header = True
            continue
        values = parse_numbers(line, name, lineno, allow_nan=True)
        if len(values) != 5 or any(math.isnan(values[index]) for index in (0, 1, 2, 4)):
            raise ParsingError('row needs 5 numbers: degauss, lambda, int alpha2F, <log w>, N(Ef)', name, lineno)
        sigma, lam, lam_a2f, omega_log, dos = values
        entries.append(LambdaXEntry(sigma, lam, lam_a2f, omega_log, dos, None))
    if not entries:
        raise ParsingError('no data rows: empty or truncated lambda.dat', name, max(last, 1))
    return LambdaXOutput(tuple(entries), name)


def parse_alpha2f_dat(source: str | PathLike[str], filename: str | None = None) -> LambdaXAlpha2F:
    """Parse ``alpha2F.dat`` written by lambda.x (ω in THz, one column per electronic broadening).

    Parameters
    ----------
    source : str or os.PathLike
        A path or the file content as a ``str``.
    filename : str, optional
        Name for error messages.

    Returns
    -------
    LambdaXAlpha2F
        Frequencies in meV and one spectrum per broadening.

    Raises
    ------
    ParsingError
        If the ``# E(THz)`` header is missing or has no broadenings, a row is incomplete (truncated file) or
        has too many values, or the frequencies do not increase.

    Notes
    -----
    The frequency column is printed as ``f8.4`` (0.1 GHz resolution), coarse at the lowest frequencies where
    α²F/ω is weighted most. lambda.x's grid is uniform from 0, so when the printed values agree with a uniform
    grid to within half a unit in the last place, that exact grid is used instead of the rounded values.
    """
    text, name = read_source(source, filename)
    lines = [(lineno, line) for lineno, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise ParsingError('file is empty', name, 1)
    first_line, first = lines[0]
    match = _A2F_HEADER.match(first)
    if not match:
        raise ParsingError('expected the header "# E(THz)" followed by the broadenings', name, first_line)
    piece = parse_numbers(match.group(1), name, first_line)
    degauss = list(piece)
    position = 1
    while len(piece) == _PER_LINE and position < len(lines):
        lineno, line = lines[position]
        values = parse_numbers(line, name, lineno)
        if len(values) > _PER_LINE:
            break
        piece = values
        degauss.extend(values)
        position += 1
    if not degauss:
        raise ParsingError('the "# E(THz)" header lists no broadenings', name, first_line)
    width = 1 + len(degauss)
    rows: list[list[float]] = []
    row_lines: list[int] = []
    current: list[float] = []
    for lineno, line in lines[position:]:
        values = parse_numbers(line, name, lineno)
        expected = min(_PER_LINE + 1, width) if not current else min(_PER_LINE, width - len(current))
        if len(values) != expected:
            raise ParsingError(
                f'line has {len(values)} values, expected {expected} (rows are ω and {len(degauss)} spectra, '
                f'{_PER_LINE} values per line after the first)',
                name,
                lineno,
            )
        if not current:
            row_lines.append(lineno)
        current.extend(values)
        if len(current) == width:
            rows.append(current)
            current = []
    if current:
        raise ParsingError('the last row is incomplete: the file is truncated', name, lines[-1][0])
    if len(rows) < 2:
        raise ParsingError('fewer than two data rows', name, lines[-1][0])
    data = np.array(rows, dtype=float)
    printed = data[:, 0]
    steps = np.diff(printed)
    bad = np.flatnonzero(steps < 0)
    if bad.size:
        raise ParsingError(
            f'frequency {printed[bad[0] + 1]:.7g} THz is below the previous one', name, row_lines[bad[0] + 1]
        )
    uniform = np.linspace(printed[0], printed[-1], printed.size)
    if np.all(np.abs(uniform - printed) <= _F84_HALF_ULP * 1.0001):
        frequency_thz = uniform
    else:
        frequency_thz = printed
    if not np.all(np.diff(frequency_thz) > 0):
        index = int(np.flatnonzero(np.diff(frequency_thz) <= 0)[0])
        raise ParsingError(
            'frequencies repeat (printed precision too low for the grid step)', name, row_lines[index + 1]
        )
    frequency = frequency_thz * THZ_TO_MEV
    spectra = np.ascontiguousarray(data[:, 1:].T)
    frequency.setflags(write=False)
    spectra.setflags(write=False)
    return LambdaXAlpha2F(frequency, spectra, tuple(degauss), name)


def parse_lambda_x_input(source: str | PathLike[str], filename: str | None = None) -> LambdaXInput:
    """Parse the standard input of lambda.x.

    The input is ``emax degaussq ngaussq`` / ``nks`` / ``nks`` lines ``q1 q2 q3 wk`` / ``nks`` file names /
    ``mustar``.

    Raises
    ------
    ParsingError
        If a line is missing or malformed.
    """
    text, name = read_source(source, filename)
    lines = [(lineno, line) for lineno, line in enumerate(text.splitlines(), start=1) if line.strip()]
    cursor = 0

    def take(count: int | None, what: str) -> tuple[int, list[float]]:
        nonlocal cursor
        if cursor >= len(lines):
            raise ParsingError(f'missing {what}: the input ends early', name, lines[-1][0] if lines else 1)
        lineno, line = lines[cursor]
        cursor += 1
        tokens = line.split('!')[0].split()
        values = parse_numbers(' '.join(tokens[:count] if count else tokens), name, lineno)
        if count is not None and len(values) < count:
            raise ParsingError(f'{what} needs {count} numbers, found {len(values)}', name, lineno)
        return lineno, values

    lineno, (emax, degauss_q, ngauss) = take(3, 'emax, degaussq, ngaussq')
    lineno, (count,) = take(1, 'the number of q-points')
    if count != int(count) or not 1 <= count <= 200:
        raise ParsingError(f'number of q-points must be an integer in 1..200, got {count!r}', name, lineno)
    qpoints = []
    for _ in range(int(count)):
        qpoints.append(take(4, 'a q-point and its weight')[1])
    files = []
    for _ in range(int(count)):
        if cursor >= len(lines):
            raise ParsingError('missing an elph.inp_lambda file name: the input ends early', name, lines[-1][0])
        files.append(lines[cursor][1].split('!')[0].strip())
        cursor += 1
    _, (mu_star,) = take(1, 'mu*')
    if ngauss != int(ngauss):
        raise ParsingError(f'ngaussq must be an integer, got {ngauss!r}', name, lines[0][0])
    array = np.array(qpoints, dtype=float)
    return LambdaXInput(emax, degauss_q, int(ngauss), array[:, :3], array[:, 3], tuple(files), mu_star)

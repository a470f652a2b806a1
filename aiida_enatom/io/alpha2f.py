"""Read an α²F file of any supported format into an :class:`~aiida_enatom.numerics.spectra.Alpha2F` (ω in meV).

Formats and how they are recognised (first match wins, see :func:`detect_format`):

``'matdyn'``
    matdyn.x ``a2F.dosN``: a header line containing ``Eliashberg function a2F`` or ``frequencies in Rydberg``,
    or a closing ``lambda = … Delta = …`` line. ω in Ry.
``'lambda_x'``
    lambda.x ``alpha2F.dat``: the first non-blank line starts with ``# E(THz)``. ω in THz.
``'columns'``
    Anything else whose first non-comment line holds at least two numbers. The unit must be given.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from os import PathLike
from pathlib import Path

from aiida_enatom.constants import FREQUENCY_UNITS_TO_MEV
from aiida_enatom.exceptions import InputValidationError, ParsingError
from aiida_enatom.io._qe_text import is_comment, read_source
from aiida_enatom.io.columns import canonical_unit, parse_columns
from aiida_enatom.io.qe_lambda_x import parse_alpha2f_dat
from aiida_enatom.io.qe_matdyn import parse_a2f_dos
from aiida_enatom.numerics.spectra import Alpha2F

__all__ = (
    'FORMATS',
    'MAX_ABS_ALPHA2F',
    'MAX_ABS_FREQUENCY_MEV',
    'MAX_FILE_BYTES',
    'PLAUSIBLE_OMEGA_MAX_MEV',
    'detect_format',
    'implausible_frequencies',
    'read_alpha2f',
)

#: Largest α²F file read, bytes: a matdyn ``a2F.dosN`` of a 200-atom cell at 1000 frequencies is about 10 MB.
MAX_FILE_BYTES = 64 << 20
#: Largest |ω| accepted, meV (10 eV: far above any phonon; larger values are a unit error or garbage).
MAX_ABS_FREQUENCY_MEV = 1.0e4
#: Largest |α²F| accepted (dimensionless; physical spectra are below about 10).
MAX_ABS_ALPHA2F = 1.0e4

#: Range of the highest phonon frequency ω_max (meV) of real solids: Pb, Tl and Hg are below 20 meV (Pb about 9 meV),
#: most metals 20–100 meV, hydrides under pressure 150–300 meV, and nothing reaches 400 meV.
PLAUSIBLE_OMEGA_MAX_MEV = (20.0, 400.0)

#: Formats understood by :func:`read_alpha2f`, with the native unit of ω (``None``: must be given).
FORMATS: dict[str, str | None] = {'matdyn': 'Ry', 'lambda_x': 'THz', 'columns': None}

_MATDYN_FOOTER = re.compile(r'^\s*lambda\s*=\s*\S+\s+Delta\s*=')
_LAMBDA_X_HEADER = re.compile(r'^# E\(THz\)')
_NUMBER = re.compile(r'^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eEdD][-+]?\d+)?$')
#: Lines inspected by the detection (the matdyn header is on lines 2–4; its footer is last).
_SNIFF_LINES = 20


def _detect(text: str, name: str) -> str:
    lines = text.splitlines()
    nonblank = [(lineno, line) for lineno, line in enumerate(lines, start=1) if line.strip()]
    if not nonblank:
        raise ParsingError('file is empty: cannot detect its format', name, 1)
    head = nonblank[:_SNIFF_LINES]
    for _, line in head:
        lowered = line.lower()
        if is_comment(line) and ('eliashberg function a2f' in lowered or 'frequencies in rydberg' in lowered):
            return 'matdyn'
    if _MATDYN_FOOTER.match(nonblank[-1][1]):
        return 'matdyn'
    if _LAMBDA_X_HEADER.match(nonblank[0][1]):
        return 'lambda_x'
    for lineno, line in nonblank:
        if is_comment(line):
            continue
        tokens = line.split()
        if len(tokens) >= 2 and all(_NUMBER.match(token) for token in tokens):
            return 'columns'
        raise ParsingError(
            'cannot detect the format: the first data line is not a row of numbers and no matdyn or lambda.x '
            'header was found',
            name,
            lineno,
        )
    raise ParsingError('cannot detect the format: only comment lines', name, nonblank[-1][0])


def detect_format(source: str | PathLike[str], filename: str | None = None) -> str:
    """Detect the format of an α²F file.

    Parameters
    ----------
    source : str or os.PathLike
        A path or the file content as a ``str`` (as for the parsers; :func:`read_alpha2f` takes paths).
    filename : str, optional
        Name for error messages.

    Returns
    -------
    str
        ``'matdyn'``, ``'lambda_x'`` or ``'columns'`` (see the module docstring for the rules).

    Raises
    ------
    ParsingError
        If the file is empty or matches none of the formats.
    """
    text, name = read_source(source, filename)
    return _detect(text, name)


def read_alpha2f(
    path: str | PathLike[str],
    *,
    fmt: str | None = None,
    unit: str | None = None,
    smearing_index: int | None = None,
) -> Alpha2F:
    """Read one α²F spectrum from a file, with frequencies in meV.

    Parameters
    ----------
    path : str or os.PathLike
        Path of the file (``.gz``/``.xz``/``.bz2`` are decompressed).
    fmt : {'matdyn', 'lambda_x', 'columns'}, optional
        Format; detected from the content when omitted.
    unit : str, optional
        Unit of ω in the file. Required for ``'columns'`` (meV, eV, THz, cm-1, K, Ry, Ha); for ``'matdyn'`` (Ry)
        and ``'lambda_x'`` (THz) it may be omitted, and must equal the native unit if given.
    smearing_index : int, optional
        1-based index of the spectrum when the file holds several (lambda.x ``alpha2F.dat``, multi-column files);
        required then, and the error lists the choices. A matdyn ``a2F.dosN`` holds one spectrum: if given, it
        must equal N.

    Returns
    -------
    Alpha2F
        The spectrum; points with ω ≤ 0 (imaginary modes) are kept and reported by the Alpha2F.

    Raises
    ------
    InputValidationError
        If an argument is invalid by itself (unknown ``fmt`` or ``unit``, ``smearing_index`` < 1, a unit other
        than the native one of an explicit ``fmt``, or ``fmt='columns'`` without a unit); the message lists
        the valid values.
    ParsingError
        For everything that depends on the file's content: it cannot be read, detected or parsed, it does not
        fit the arguments (a detected column file without ``unit``, a detected format whose native unit differs
        from ``unit``, a header unit that contradicts ``unit``, a missing or out-of-range ``smearing_index``),
        or its spectrum is not a valid Alpha2F (for example fewer than two points with ω > 0).
    """
    if fmt is not None and fmt not in FORMATS:
        raise InputValidationError(f'unknown format {fmt!r}; valid formats are: {", ".join(FORMATS)}')
    if unit is not None:
        unit = canonical_unit(unit)
    if fmt is not None:
        _check_unit(fmt, unit, InputValidationError, None)
    if smearing_index is not None and (isinstance(smearing_index, bool) or smearing_index < 1):
        raise InputValidationError(f'smearing_index is 1-based and must be ≥ 1, got {smearing_index!r}')
    path = Path(path)
    text, name = read_source(path, max_bytes=MAX_FILE_BYTES)
    if fmt is None:
        fmt = _detect(text, name)
        _check_unit(fmt, unit, ParsingError, name)
    build: Callable[[], Alpha2F]
    if fmt == 'matdyn':
        dos = parse_a2f_dos(text, name)
        if smearing_index is not None and dos.smearing_index is not None and smearing_index != dos.smearing_index:
            raise ParsingError(
                f'the file holds only broadening {dos.smearing_index}; read a2F.dos{smearing_index}', name
            )
        build = dos.to_alpha2f
    elif fmt == 'lambda_x':
        table = parse_alpha2f_dat(text, name)
        chosen = _choose(smearing_index, len(table.degauss_ry), table.degauss_ry, name, 'degauss in Ry')
        build = partial(table.to_alpha2f, chosen)
    else:
        if unit is None:
            raise ParsingError('the file was detected as a plain column file, which needs an explicit unit', name)
        columns = parse_columns(text, name, unit=unit)
        chosen = _choose(smearing_index, columns.n_columns, columns.column_values, name, 'header value')
        build = partial(columns.to_alpha2f, chosen)
    try:
        spectrum = build()
    except InputValidationError as exc:
        raise ParsingError(f'not a valid α²F spectrum: {exc}', name) from exc
    _check_magnitudes(spectrum, name)
    return spectrum


def implausible_frequencies(spectrum: Alpha2F, unit: str | None) -> str | None:
    """Return a one-line warning when the spectrum's ω_max is implausible for phonons, or ``None``.

    The moments and λ do not reveal a wrong unit (λ = 2∫α²F/ω dω does not change when ω is scaled), so only the
    frequency scale can: ω_max outside :data:`PLAUSIBLE_OMEGA_MAX_MEV`. The message gives ω_max in the units that
    would make it plausible. A hydride's THz file read as meV (ω_max ≈ 50 "meV", as for an ordinary metal) is not
    caught by this test: the numbers are plausible for another material.

    Parameters
    ----------
    spectrum : Alpha2F
        Frequencies in meV (as read with ``unit``).
    unit : str or None
        The unit the file was read with (canonical name), used in the message.
    """
    positive = spectrum.frequency[spectrum.frequency > 0]
    if positive.size == 0:
        return None
    omega_max = float(positive.max())
    low, high = PLAUSIBLE_OMEGA_MAX_MEV
    if low <= omega_max <= high:
        return None
    given = unit or 'meV'
    raw = omega_max / FREQUENCY_UNITS_TO_MEV[given]
    alternatives = [
        f'{candidate} (ω_max {raw * factor:.4g} meV)'
        for candidate, factor in FREQUENCY_UNITS_TO_MEV.items()
        if candidate != given and low <= raw * factor <= high
    ]
    side = 'below' if omega_max < low else 'above'
    as_given = '' if given == 'meV' else f' ({raw:.4g} {given})'
    hint = f'if the file is in {" or ".join(alternatives)}, pass that --unit' if alternatives else 'check the unit'
    return (
        f'the highest frequency is {omega_max:.4g} meV{as_given}, {side} the {low:g}-{high:g} meV of real '
        f'phonon spectra (Pb ~9, most metals 20-100, hydrides 150-300 meV); {hint}'
    )


def _check_magnitudes(spectrum: Alpha2F, name: str) -> None:
    """Refuse frequencies or α²F values so large that the moments would overflow (garbage or a unit error)."""
    for values, limit, what in (
        (spectrum.frequency, MAX_ABS_FREQUENCY_MEV, 'frequency |ω| (meV)'),
        (spectrum.spectrum, MAX_ABS_ALPHA2F, 'α²F value'),
    ):
        index = int(abs(values).argmax())
        if abs(values[index]) > limit:
            raise ParsingError(
                f'{what} {values[index]:.4g} at point {index + 1} is above {limit:g}; check the unit and the columns '
                '(phonon frequencies are below about 500 meV, α²F below about 10)',
                name,
            )


def _choose(index: int | None, count: int, values: tuple[float, ...] | None, name: str, what: str) -> int:
    """Validate a 1-based spectrum index, requiring one when there are several spectra."""
    if index is None:
        if count == 1:
            return 1
        listing = ', '.join(
            f'{position} ({values[position - 1]:g})' if values else str(position) for position in range(1, count + 1)
        )
        raise ParsingError(f'the file holds {count} spectra; choose smearing_index among {listing} [{what}]', name)
    if not 1 <= index <= count:
        raise ParsingError(f'smearing_index must be in 1..{count} for this file, got {index}', name)
    return index


def _check_unit(fmt: str, unit: str | None, error: type[Exception], name: str | None) -> None:
    """Check ``unit`` against the native unit of ``fmt``; columns need one."""
    native = FORMATS[fmt]
    if native is not None and unit is not None and unit != native:
        message = f'{fmt} files have frequencies in {native}, but unit={unit!r} was given'
        raise error(message) if name is None else ParsingError(message, name)
    if native is None and unit is None and name is None:
        valid = ', '.join(FREQUENCY_UNITS_TO_MEV)
        raise error(f'a column file needs an explicit unit; valid units are: {valid}')

"""Reading text sources and Fortran-written numbers for the α²F parsers; every failure is a located ParsingError."""

from __future__ import annotations

import bz2
import gzip
import lzma
import math
import re
from os import PathLike
from pathlib import Path

from aiida_enatom.exceptions import ParsingError

__all__ = ('is_comment', 'parse_numbers', 'read_source')

#: Compressed suffixes read transparently (QE's Debian examples ship gzipped reference files).
_OPENERS = {'.gz': gzip.open, '.xz': lzma.open, '.bz2': bz2.open}

#: A Fortran E-format field whose exponent has three digits loses its ``E`` (``0.123456-100``).
_FORTRAN_BARE_EXPONENT = re.compile(r'^([-+]?(?:\d+\.\d*|\.\d+))([-+]\d{3})$')
_OVERFLOW = re.compile(r'^\*+$')
_NOT_FINITE = {'nan', '+nan', '-nan', 'inf', '+inf', '-inf', 'infinity', '+infinity', '-infinity'}


def read_source(source: str | PathLike[str], filename: str | None = None) -> tuple[str, str]:
    """Return ``(text, filename)`` for a path or for the text itself.

    Parameters
    ----------
    source : str or os.PathLike
        A :class:`~pathlib.Path` (any ``PathLike``) is read from disk; names ending in ``.gz``, ``.xz`` or
        ``.bz2`` are decompressed. A plain ``str`` is the file *content*.
    filename : str, optional
        Name used in error messages; defaults to the path, or ``'<string>'`` for text.

    Raises
    ------
    ParsingError
        If the file cannot be read or decoded.
    """
    if isinstance(source, PathLike):
        path = Path(source)
        name = filename or str(path)
        opener = _OPENERS.get(path.suffix.lower())
        try:
            if opener is None:
                raw = path.read_bytes()
            else:
                with opener(path, 'rb') as handle:
                    raw = handle.read()
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise ParsingError(f'cannot read file: {exc}', name) from exc
        try:
            return raw.decode('utf-8'), name
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b'\n') + 1
            raise ParsingError('file is not UTF-8/ASCII text', name, line) from exc
    if not isinstance(source, str):
        raise ParsingError(f'expected text or a path, got {type(source).__name__}', filename)
    return source, filename or '<string>'


def is_comment(line: str) -> bool:
    """Whether a line is a comment (first non-blank character ``#`` or ``!``)."""
    stripped = line.lstrip()
    return stripped.startswith(('#', '!'))


def _to_float(token: str) -> float:
    """Convert one Fortran token to float; ``ValueError`` if it is not a number."""
    text = token.replace('D', 'E').replace('d', 'e')
    match = _FORTRAN_BARE_EXPONENT.match(text)
    if match:
        text = f'{match.group(1)}e{match.group(2)}'
    if '_' in text or text.lower() in _NOT_FINITE or not any(char.isdigit() for char in text):
        raise ValueError(token)
    return float(text)


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

"""Typed exceptions of aiida-enatom (pure layer; no AiiDA import)."""

from __future__ import annotations


class EnatomError(Exception):
    """Base class of every error raised on purpose by aiida-enatom."""


class InputValidationError(EnatomError, ValueError):
    """An input array, parameter or file content is not valid; the message says what would be."""


class ParsingError(EnatomError, ValueError):
    """A file could not be parsed.

    Parameters
    ----------
    message : str
        What is wrong.
    filename : str, optional
        The file being parsed (``'<string>'`` when parsing text).
    line : int, optional
        1-based line number where the problem was found.
    """

    def __init__(self, message: str, filename: str | None = None, line: int | None = None):
        self.filename = filename or '<string>'
        self.line = line
        where = self.filename if line is None else f'{self.filename}, line {line}'
        super().__init__(f'{where}: {message}')


class ConvergenceError(EnatomError, RuntimeError):
    """A numerical procedure did not converge."""

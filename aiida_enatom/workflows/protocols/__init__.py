"""Protocol files (YAML) of the aiida-enatom WorkChains; :func:`get_protocol_filepath` locates them."""

from __future__ import annotations

import pathlib

__all__ = ('PROTOCOLS_DIR', 'get_protocol_filepath')

PROTOCOLS_DIR = pathlib.Path(__file__).resolve().parent
"""Folder that holds one ``<workflow>.yaml`` per WorkChain."""


def get_protocol_filepath(name: str) -> pathlib.Path:
    """Return the path of the protocol file ``<name>.yaml``.

    Raises
    ------
    FileNotFoundError
        If there is no such protocol file; the message lists the available ones.
    """
    path = PROTOCOLS_DIR / f'{name}.yaml'
    if not path.is_file():
        available = sorted(candidate.stem for candidate in PROTOCOLS_DIR.glob('*.yaml'))
        raise FileNotFoundError(f'no protocol file {path.name}; available: {available}')
    return path

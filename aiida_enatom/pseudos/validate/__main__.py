"""``python -m aiida_enatom.pseudos.validate``: the same as ``aiida-enatom pseudos validate`` (kept for old scripts).

The former argparse spelling ``--elements H S`` is still accepted and becomes the positional ``H S``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ('main', 'translate_legacy_arguments')


def translate_legacy_arguments(argv: Sequence[str]) -> list[str]:
    """Turn ``--elements A B ...`` (the former argparse option) into positional arguments.

    Parameters
    ----------
    argv : sequence of str
        Command-line arguments without the program name.

    Returns
    -------
    list of str
        The same arguments with every ``--elements`` dropped and the elements that followed it moved to the end.
    """
    rest: list[str] = []
    elements: list[str] = []
    collecting = False
    for token in argv:
        if token == '--elements':
            collecting = True
        elif collecting and not token.startswith('-'):
            elements.append(token)
        else:
            collecting = False
            rest.append(token)
    return [*rest, *elements]


def main(argv: Sequence[str] | None = None) -> None:
    """Run ``aiida-enatom pseudos validate`` with ``argv`` (default ``sys.argv[1:]``); exits the interpreter."""
    from aiida_enatom.cli.pseudos import cmd_validate

    args = translate_legacy_arguments(sys.argv[1:] if argv is None else argv)
    cmd_validate.main(args=args, prog_name='python -m aiida_enatom.pseudos.validate')


if __name__ == '__main__':
    main()

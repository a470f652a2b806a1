"""``--options``: run resources of every CalcJob a launch creates (machines, ranks, walltime, queue, pools)."""

from __future__ import annotations

import pathlib
from typing import Any

import click
import yaml
from aiida.cmdline.utils import echo

__all__ = ('RunOptions', 'options_option', 'parse_options')

EXAMPLE = "'{num_machines: 2, mpiprocs_per_machine: 48, walltime: 06:00:00, queue: compute, pools: 8}'"


class RunOptions:
    """Validated ``--options``: AiiDA ``metadata.options``, the pool overrides and what the rank check needs.

    Attributes
    ----------
    raw : dict
        The mapping the user gave (keys of :data:`~aiida_enatom.setup.run_options.RUN_OPTION_KEYS`).
    metadata : dict
        ``metadata.options`` for ``get_builder_from_protocol(options=...)``; empty without ``--options``.
    overrides : dict
        Builder overrides that set the k-point pools of pw.x and ph.x (empty unless ``pools`` is given).
    """

    def __init__(self, raw: dict[str, Any], workflow: str = 'pressure_point'):
        from aiida_enatom.setup.run_options import pool_overrides, run_options

        self.raw = raw
        self.metadata = run_options(raw)
        self.overrides = pool_overrides(raw['pools'], workflow) if 'pools' in raw else {}

    @property
    def ranks_per_machine(self) -> int | None:
        """MPI ranks per machine if given, else None (the computer's default applies)."""
        return self.raw.get('mpiprocs_per_machine')

    @property
    def pools(self) -> int | None:
        """k-point pools if given, else None (the protocols' 2)."""
        return self.raw.get('pools')


def parse_options(text: str | None, workflow: str = 'pressure_point', option: str = '--options') -> RunOptions:
    """Parse ``--options``: a YAML mapping inline or the path of a YAML file holding one.

    ``workflow`` (``'pressure_point'`` or ``'enatom'``) selects where the pool overrides go.

    Exits with one line naming the problem and the valid keys when the text is not such a mapping or a value is
    invalid (e.g. a walltime that is not a duration, a queue name with characters a scheduler script must not see).
    """
    from aiida_enatom.setup.common import SetupError
    from aiida_enatom.setup.run_options import RUN_OPTION_KEYS

    if text is None:
        return RunOptions({}, workflow)
    source = text
    path = pathlib.Path(text)
    try:
        if len(text) < 4096 and path.is_file():
            source = path.read_text(encoding='utf-8')
    except OSError as exception:
        echo.echo_critical(f'{option} {text!r}: cannot read the file ({exception.strerror})')
    try:
        raw = yaml.safe_load(source)
    except yaml.YAMLError:
        echo.echo_critical(f'{option}: not a YAML mapping; give e.g. {EXAMPLE} or the path of a YAML file')
    if not isinstance(raw, dict):
        echo.echo_critical(
            f'{option}: {text[:60]!r} is not a mapping; give keys {", ".join(RUN_OPTION_KEYS)}, e.g. {EXAMPLE}'
        )
    try:
        return RunOptions(raw, workflow)
    except SetupError as exception:
        echo.echo_critical(f'{option}: {str(exception).removeprefix("options.")}')


def options_option(function):
    """Add ``--options YAML`` to a launch command (the value reaches the command as ``run_options_text``)."""
    return click.option(
        '--options',
        'run_options_text',
        metavar='YAML',
        default=None,
        help='Run resources of every CalcJob, as a YAML mapping or the path of a YAML file: num_machines, '
        'mpiprocs_per_machine, walltime (HH:MM:SS or e.g. 6h), queue, account, qos, pools (k-point pools of pw.x and '
        'ph.x). Not given: ranks from the computer, pools 2, walltime 12 h. '
        f'Example: --options {EXAMPLE}',
    )(function)

"""``aiida-enatom show``: headline numbers of a pressure point, an α²F or an enatom WorkChain."""

from __future__ import annotations

import json
import math
from typing import Any

import click
from aiida.cmdline.utils import echo

from aiida_enatom.cli import utils
from aiida_enatom.results.read import HEADLINE, summarise

__all__ = ('HEADLINE', 'cmd_show')


#: Keys that say which process it is and at what pressure, not what it computed (a relaxed cell is no result).
_BOOKKEEPING = frozenset(
    (
        'pk',
        'uuid',
        'process_label',
        'process_state',
        'exit_status',
        'exit_message',
        'pressure_GPa',
        'target_pressure_GPa',
    )
)


def _format(value: Any) -> str:
    if isinstance(value, float):
        return 'nan' if math.isnan(value) else f'{value:.4g}'
    if isinstance(value, list):
        return '[' + ', '.join(_format(item) for item in value) + ']'
    return str(value)


@click.command('show')
@click.argument('pk', type=click.IntRange(1, 2**63 - 1))
@click.option('--json', 'as_json', is_flag=True, help='Print one JSON object instead of a table.')
@utils.with_dbenv()
def cmd_show(pk: int, as_json: bool):
    """Print the metrics of the process PK (enatom.pressure_point, enatom.alpha2f or enatom.enatom)."""
    from aiida import orm
    from aiida.common.exceptions import NotExistent

    from aiida_enatom.exceptions import EnatomError

    try:
        node = orm.load_node(pk)
    except NotExistent:
        echo.echo_critical(f'no node with PK {pk} in this profile')
    process_type = getattr(node, 'process_type', None) or ''
    if process_type.endswith(('enatom.pressure_point', 'enatom.alpha2f')):
        try:
            summary = summarise(node)
        except EnatomError as exception:
            echo.echo_critical(str(exception))
    elif process_type.endswith('enatom.enatom'):
        from aiida_enatom.cli.summary_enatom import summarise as summarise_enatom

        summary = summarise_enatom(node)
    else:
        kind = process_type or type(node).__name__
        echo.echo_critical(
            f'node {pk} is a {kind}, not an enatom.pressure_point, enatom.alpha2f or enatom.enatom process'
        )
    failed = not node.is_finished_ok
    has_results = any(value is not None for key, value in summary.items() if key not in _BOOKKEEPING)
    if failed:
        # the failure comes first; a point without any result exits non-zero (no table of None)
        (echo.echo_warning if has_results and node.is_terminated else echo.echo_error)(utils.failure_message(node))
    if as_json:
        echo.echo(json.dumps(summary, indent=2, default=str))
    else:
        shown = {key: value for key, value in summary.items() if not failed or value is not None}
        width = max(len(key) for key in shown)
        for key, value in shown.items():
            echo.echo(f'{key:<{width}}  {_format(value)}')
    if failed and not has_results:
        raise SystemExit(1)

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
    if as_json:
        echo.echo(json.dumps(summary, indent=2, default=str))
        return
    width = max(len(key) for key in summary)
    for key, value in summary.items():
        echo.echo(f'{key:<{width}}  {_format(value)}')

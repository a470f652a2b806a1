"""``aiida-enatom export``: every point of a campaign as CSV or JSON, with node UUIDs on every row."""

from __future__ import annotations

import pathlib

import click
from aiida.cmdline.utils import echo

from aiida_enatom.cli import utils
from aiida_enatom.cli.utils import output_path_callback


@click.command('export')
@click.argument('group')
@click.option('--format', 'fmt', type=click.Choice(['csv', 'json']), default='csv', show_default=True)
@click.option(
    '-o',
    '--output',
    type=click.Path(dir_okay=False, path_type=pathlib.Path),
    default=None,
    callback=output_path_callback(),
    help='File to write (default: standard output).',
)
@utils.with_dbenv()
def cmd_export(group: str, fmt: str, output: pathlib.Path | None) -> None:
    """Export every point of campaign GROUP (stable or not; the status column says) with its node UUID."""
    from aiida import orm

    from aiida_enatom.cli.tables import write_rows
    from aiida_enatom.results.query import records

    if not orm.QueryBuilder().append(orm.Group, filters={'label': group}).count():
        echo.echo_critical(f'no group {group!r} in this profile (`verdi group list` shows the groups)')
    rows = records(group)
    rows.sort(key=lambda row: (row.get('candidate') or '', row.get('target_pressure_GPa') or 0.0))
    try:
        write_rows(rows, fmt, output=output)
    except OSError as exception:
        echo.echo_critical(f'cannot write {output}: {exception.strerror}')
    if output is not None:
        echo.echo_success(f'{len(rows)} point(s) of {group!r} written to {output}')

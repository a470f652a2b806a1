"""``aiida-enatom rank``: rank stored pressure points by 𝒜, 𝒜_H, I_H², T_c or λ_H (one database query)."""

from __future__ import annotations

import click
from aiida.cmdline.utils import echo

from aiida_enatom.cli import utils
from aiida_enatom.cli.tables import FORMATS, write_rows
from aiida_enatom.common.record import RANK_KEYS

#: Rows of the default table: a ranking is read from the top.
TABLE_LIMIT = 50


@click.command('rank')
@click.argument('group', required=False)
@click.option('--by', type=click.Choice(list(RANK_KEYS)), default='area_H', show_default=True, help='Ranking key.')
@click.option('--format', 'fmt', type=click.Choice(FORMATS), default='table', show_default=True)
@click.option('--include-unstable', is_flag=True, help='Also list unstable and failed points (marked).')
@click.option(
    '--limit',
    type=click.IntRange(0),
    default=None,
    help='Show at most N points; 0 for all [default: 50 for the table, all for csv and json].',
)
@utils.with_dbenv()
def cmd_rank(group: str | None, by: str, fmt: str, include_unstable: bool, limit: int | None) -> None:
    """Rank the points of campaign GROUP (every campaign without GROUP), best first.

    Unstable or failed points never rank unless --include-unstable, and are then marked with '!' in the table.
    JSON rows carry every record key plus uuid.
    """
    from aiida import orm

    from aiida_enatom.results.query import rank_records

    if group and not orm.QueryBuilder().append(orm.Group, filters={'label': group}).count():
        echo.echo_critical(f'no group {group!r} in this profile (`verdi group list` shows the groups)')
    if limit is None:
        limit = TABLE_LIMIT if fmt == 'table' else 0
    rows = rank_records(group, by=by, include_unstable=include_unstable, limit=limit or None, full=fmt == 'json')
    if not rows:
        echo.echo_warning('no rankable point' + (f' in {group!r}' if group else '') + ' yet')
    write_rows(rows, fmt, key=RANK_KEYS[by])

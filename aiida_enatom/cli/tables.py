"""Writing result rows as an aligned table, CSV or JSON (shared by ``rank`` and ``export``)."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from typing import Any

import click

from aiida_enatom.common.record import TABLE_COLUMNS

FORMATS = ('table', 'csv', 'json')


def _cell(value: Any) -> str:
    if value is None:
        return '-'
    if isinstance(value, float):
        return 'nan' if math.isnan(value) else f'{value:.4g}'
    return str(value)


def render_rows(rows: Sequence[dict[str, Any]], fmt: str, *, key: str | None = None) -> str:
    """Return ``rows`` as text: ``table`` (aligned, ranked key first, unrankable rows marked '!'), ``csv`` or ``json``.

    CSV and table rows carry :data:`TABLE_COLUMNS` plus ``uuid``; JSON rows are written whole.
    """
    if fmt == 'json':
        return json.dumps(list(rows), indent=2, default=str)
    columns = list(dict.fromkeys([*([key] if key else []), *TABLE_COLUMNS, 'uuid']))
    if fmt == 'csv':
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction='ignore', lineterminator='\n')
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue().rstrip('\n')
    shown = [column for column in columns if column != 'uuid'] + ['pk']
    cells = [[('' if row.get('rankable', True) else '!') + _cell(row.get(shown[0]))] for row in rows]
    for row, line in zip(rows, cells, strict=True):
        line.extend(_cell(row.get(column)) for column in shown[1:])
    widths = [max([len(column)] + [len(line[i]) for line in cells]) for i, column in enumerate(shown)]
    header = '  '.join(column.rjust(width) for column, width in zip(shown, widths, strict=True))
    body = ['  '.join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)) for line in cells]
    return '\n'.join([header, *body])


def write_rows(rows: Sequence[dict[str, Any]], fmt: str, *, key: str | None = None, output=None) -> None:
    """Print the rendered rows, or write them to the path ``output``."""
    text = render_rows(rows, fmt, key=key)
    if output is None:
        click.echo(text)
    else:
        with open(output, 'w', encoding='utf-8') as handle:
            handle.write(text + '\n')

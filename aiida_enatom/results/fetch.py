"""Run a QueryBuilder query and fetch its rows fast: the SQL that QueryBuilder builds, executed directly.

``QueryBuilder.iterall`` converts every projected value through the ORM (a JSON decode and an entity check per
value): for 10⁴ points × 20 record keys that costs 2–3 s in Python while the SQL takes 0.3–0.5 s. The queries
here project only plain columns (``id``, ``uuid``) and JSON values (``attributes.x``, ``extras.x``), so the rows
can be read straight from the database: QueryBuilder still builds the query (filters, joins, ordering, limit), and
``as_sql(inline=True)`` renders it for the profile's own SQL dialect. SQLite returns JSON values as JSON text
(decoded here); PostgreSQL's driver decodes ``jsonb`` itself.
"""

from __future__ import annotations

import json
from typing import Any

from aiida import orm

__all__ = ('fetch_rows',)


def fetch_rows(query: orm.QueryBuilder, n_plain: int = 0) -> list[tuple[Any, ...]]:
    """Return the rows of ``query``; its first ``n_plain`` projections are plain columns, the rest JSON values.

    Parameters
    ----------
    query : QueryBuilder
        A query whose projections are plain columns first, then ``attributes.*`` / ``extras.*`` values.
    n_plain : int
        Number of leading plain (non-JSON) projections.
    """
    import sqlalchemy
    from aiida.manage import get_manager

    storage = get_manager().get_profile_storage()
    session = storage.get_session()
    rows = session.execute(sqlalchemy.text(query.as_sql(inline=True))).fetchall()
    if 'sqlite' not in type(storage).__module__:
        return [tuple(row) for row in rows]
    decode = json.loads
    return [
        tuple(row[:n_plain]) + tuple(None if value is None else decode(value) for value in row[n_plain:])
        for row in rows
    ]

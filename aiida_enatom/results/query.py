"""QueryBuilder queries over stored results records: rank, export and campaign status.

Every function here is one database query (plus, for ``status``, one query of the failures' last report line);
none loops over nodes in Python. Records are the ``results`` outputs of ``enatom.pressure_point``
(:mod:`aiida_enatom.common.record`); campaign membership is the group the points were added to.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from aiida import orm

from aiida_enatom.common.record import RANK_KEYS, SUMMARY_KEYS, SUMMARY_LINK, TABLE_COLUMNS
from aiida_enatom.common.runner_tag import RUNNER_EXTRA, runner_alive
from aiida_enatom.results.fetch import fetch_rows

__all__ = (
    'TABLE_COLUMNS',
    'CampaignStatus',
    'PointState',
    'campaign_groups',
    'campaign_status',
    'rank_records',
    'records',
)

#: Process types (a plain, indexed column: cheaper to filter on than the process label inside the JSON attributes).
POINT_TYPE = 'aiida.workflows:enatom.pressure_point'
SWEEP_TYPE = 'aiida.workflows:enatom.sweep'


def _points_query(group: str | None) -> orm.QueryBuilder:
    query = orm.QueryBuilder()
    if group is not None:
        query.append(orm.Group, filters={'label': group}, tag='group')
        query.append(
            orm.WorkChainNode,
            with_group='group',
            filters={'process_type': POINT_TYPE},
            tag='point',
            project=['uuid', 'id'],
        )
    else:
        query.append(orm.WorkChainNode, filters={'process_type': POINT_TYPE}, tag='point', project=['uuid', 'id'])
    return query


def records(
    group: str | None = None,
    *,
    columns: tuple[str, ...] | None = None,
    include_unrankable: bool = True,
    order_by: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Return results records as flat dicts with ``uuid`` and ``pk``.

    Parameters
    ----------
    group : str, optional
        Campaign group label; all pressure points of the profile when None.
    columns : tuple of str, optional
        Record keys to return. When they are all :data:`~aiida_enatom.common.record.SUMMARY_KEYS`, one query over the
        records' small summaries answers; else (and for ``None``: whole records) the ``results`` Dicts are read.
    include_unrankable : bool
        Include unstable, sum-rule-failed points (their ``status`` says which).
    order_by : str, optional
        Record key to sort on, descending; points where it is null are left out.
    limit : int, optional
        At most this many rows.
    """
    if columns is not None and set(columns) <= set(SUMMARY_KEYS):
        return _summary_rows(group, columns, include_unrankable, order_by, limit)
    if order_by is not None or limit is not None or not include_unrankable:
        # rank on the summaries, then read the whole records of the rows that made it (one more query)
        ranked = _summary_rows(group, ('rankable',), include_unrankable, order_by, limit)
        full = _record_rows([row['pk'] for row in ranked], columns)
        return [full[row['pk']] for row in ranked if row['pk'] in full]
    query = _points_query(group)
    projections = ['attributes'] if columns is None else [f'attributes.{column}' for column in columns]
    query.append(orm.Dict, with_incoming='point', edge_filters={'label': 'results'}, project=projections)
    return [_row(uuid, pk, values, columns) for uuid, pk, *values in fetch_rows(query, n_plain=2)]


def _row(uuid: str, pk: int, values: list[Any], columns: tuple[str, ...] | None) -> dict[str, Any]:
    row = dict(values[0]) if columns is None else dict(zip(columns, values, strict=True))
    row.update(uuid=uuid, pk=pk)
    return row


def _summary_rows(
    group: str | None, columns: tuple[str, ...], include_unrankable: bool, order_by: str | None, limit: int | None
) -> list[dict[str, Any]]:
    """One query over the records' summaries (small JSON, not decompressed per key like the whole record)."""
    query = _points_query(group)
    filters: dict[str, Any] = {}
    if not include_unrankable:
        filters['attributes.rankable'] = True
    if order_by is not None:
        filters[f'attributes.{order_by}'] = {'>': -1.0e300}
    query.append(
        orm.Dict,
        with_incoming='point',
        edge_filters={'label': SUMMARY_LINK},
        filters=filters,
        tag='summary',
        project=[f'attributes.{column}' for column in columns],
    )
    if order_by is not None:
        query.order_by({'summary': [{f'attributes.{order_by}': {'order': 'desc', 'cast': 'f'}}]})
    if limit is not None:
        query.limit(limit)
    return [_row(uuid, pk, values, columns) for uuid, pk, *values in fetch_rows(query, n_plain=2)]


def _record_rows(pks: list[int], columns: tuple[str, ...] | None) -> dict[int, dict[str, Any]]:
    """Whole (or ``columns`` of) records of the points ``pks``, keyed by point PK (one query)."""
    if not pks:
        return {}
    query = orm.QueryBuilder()
    query.append(orm.WorkChainNode, filters={'id': {'in': pks}}, tag='point', project=['uuid', 'id'])
    projections = ['attributes'] if columns is None else [f'attributes.{column}' for column in columns]
    query.append(orm.Dict, with_incoming='point', edge_filters={'label': 'results'}, project=projections)
    return {pk: _row(uuid, pk, values, columns) for uuid, pk, *values in fetch_rows(query, n_plain=2)}


def rank_records(
    group: str | None = None,
    *,
    by: str = 'area_H',
    include_unstable: bool = False,
    limit: int | None = None,
    full: bool = False,
) -> list[dict[str, Any]]:
    """Rank points by ``by`` (a key of :data:`~aiida_enatom.common.record.RANK_KEYS`), best first.

    Unstable or failed points are left out unless ``include_unstable``; their ``status`` then marks them. With
    ``full`` the rows are whole records, else the table columns.
    """
    key = RANK_KEYS[by]
    columns = None if full else tuple(dict.fromkeys((*TABLE_COLUMNS, key, 'rankable')))
    return records(group, columns=columns, include_unrankable=include_unstable, order_by=key, limit=limit)


def campaign_groups() -> list[str]:
    """Labels of the groups holding pressure points with an ``enatom_campaign`` extra (one query)."""
    query = orm.QueryBuilder()
    query.append(orm.Group, tag='group', project='label')
    query.append(orm.WorkChainNode, with_group='group', filters={'extras': {'has_key': 'enatom_campaign'}})
    query.distinct()
    return sorted({label for (label,) in query.iterall()})


@dataclass(frozen=True)
class PointState:
    """One point of a campaign as ``campaign status`` shows it."""

    pk: int | None
    candidate: str
    pressure_GPa: float  # noqa: N815 (unit suffix)
    state: str
    exit_status: int | None


@dataclass(frozen=True)
class CampaignStatus:
    """Counts per state and one :class:`PointState` per point (queued points have no PK yet)."""

    group: str
    points: list[PointState]
    failures: dict[int, str]

    @property
    def counts(self) -> Counter:
        """Number of points per state."""
        return Counter(point.state for point in self.points)

    @property
    def done(self) -> int:
        """Points in a terminal state."""
        return sum(point.state not in ('queued', 'running', 'created', 'orphaned') for point in self.points)


def _state(status: str | None, process_state: str | None, exit_status: int | None, runner: str | None = None) -> str:
    if process_state in ('created', 'waiting', 'running'):
        if not runner_alive(runner):
            return 'orphaned'  # run in a Python process that is gone; a relaunch submits it again
        return 'running' if process_state != 'created' else 'created'
    if status:
        return status
    if process_state == 'finished':
        return 'failed' if exit_status else 'ok'
    return process_state or 'unknown'


def _group_query(group: str, process_type: str, projections: list[str]) -> orm.QueryBuilder:
    query = orm.QueryBuilder()
    query.append(orm.Group, filters={'label': group}, tag='group')
    query.append(orm.WorkChainNode, with_group='group', filters={'process_type': process_type}, project=projections)
    return query


def campaign_status(group: str) -> CampaignStatus:
    """Return the state of every point of ``group``: one query for the sweeps, one for the points.

    Points of an active sweep that it has not launched yet (their vc-relax is still running) are ``queued``; those of
    a sweep whose in-process runner is gone are ``orphaned`` (``campaign launch`` submits them again).
    """
    planned: dict[tuple[str, float], str] = {}
    sweeps = _group_query(
        group,
        SWEEP_TYPE,
        [
            'id',
            'attributes.process_state',
            'extras.enatom_candidate',
            'extras.enatom_pressures_GPa',
            f'extras.{RUNNER_EXTRA}',
        ],
    )
    for _, state, candidate, pressures, runner in fetch_rows(sweeps, 1):
        if state in ('created', 'waiting', 'running'):
            for value in pressures or []:
                planned[(candidate, float(value))] = 'queued' if runner_alive(runner) else 'orphaned'
    points_query = _group_query(
        group,
        POINT_TYPE,
        [
            'id',
            'attributes.process_state',
            'attributes.exit_status',
            'extras.enatom_candidate',
            'extras.enatom_pressure_GPa',
            'extras.enatom_status',
            f'extras.{RUNNER_EXTRA}',
        ],
    )
    points: list[PointState] = []
    launched: set[tuple[str, float]] = set()
    for pk, state, exit_status, candidate, pressure, status, runner in fetch_rows(points_query, 1):
        launched.add((candidate, float(pressure)))
        points.append(
            PointState(pk, candidate, float(pressure), _state(status, state, exit_status, runner), exit_status)
        )
    for (candidate, pressure), state in planned.items():
        if (candidate, pressure) not in launched:
            points.append(PointState(None, candidate, pressure, state, None))
    points.sort(key=lambda point: (point.candidate, point.pressure_GPa))
    failed = [point.pk for point in points if point.pk is not None and point.state in ('failed', 'excepted', 'killed')]
    return CampaignStatus(group, points, _last_reports(failed))


def _last_reports(pks: list[int]) -> dict[int, str]:
    """Last report line of each process in ``pks`` (one query)."""
    if not pks:
        return {}
    query = orm.QueryBuilder()
    query.append(orm.Log, filters={'dbnode_id': {'in': pks}}, project=['dbnode_id', 'message', 'time'])
    query.order_by({orm.Log: [{'time': {'order': 'asc'}}]})
    last: dict[int, str] = {}
    for pk, message, _ in query.iterall():
        last[pk] = message.splitlines()[-1] if message else ''
    return last

"""QueryBuilder queries over stored results records: rank, export and campaign status.

Every function here is one database query (``status``: one for the sweeps, one aggregate for the counts, one or two
for the listed points, one for the failures' last report line); none loops over nodes in Python. Records are the
``results`` outputs of ``enatom.pressure_point`` (:mod:`aiida_enatom.common.record`); campaign membership is the
group the points were added to.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from aiida import orm

from aiida_enatom.common.record import RANK_KEYS, SUMMARY_KEYS, SUMMARY_LINK, TABLE_COLUMNS
from aiida_enatom.common.runner_tag import RUNNER_EXTRA, runner_alive
from aiida_enatom.results.fetch import fetch_counts, fetch_rows

__all__ = (
    'ACTIVE_STATES',
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

#: Extra set by ``campaign launch`` on a failed, killed or orphaned point (and an orphaned sweep) when it submits the
#: sweep that redoes it: the PK of that sweep. Superseded nodes stay in the group (their provenance is kept) but are
#: left out of ``campaign status``, so a campaign counts each (candidate, pressure) once.
SUPERSEDED_EXTRA = 'enatom_superseded_by'


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


#: States of a point that finished with a results record (``campaign status`` lists at most ``limit`` of each).
RESULT_STATES = ('ok', 'unstable', 'sum_rule_failed')

#: Point states that are not final (``campaign status`` counts the others as done).
ACTIVE_STATES = ('queued', 'running', 'created', 'orphaned')


@dataclass(frozen=True)
class CampaignStatus:
    """Counts per state over every point, and the listed points (queued points have no PK yet).

    ``points`` holds every point, or with a listing limit every point without a results record (failed, running,
    queued, …) plus at most that many of each :data:`RESULT_STATES`; ``counts`` always covers the whole campaign.
    """

    group: str
    counts: Counter
    points: list[PointState]
    failures: dict[int, str]

    @property
    def total(self) -> int:
        """Number of points of the campaign (launched or planned)."""
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        """Points in a terminal state."""
        return sum(count for state, count in self.counts.items() if state not in ACTIVE_STATES)

    @property
    def unlisted(self) -> int:
        """Points counted but not in :attr:`points` (finished points beyond the listing limit)."""
        return self.total - len(self.points)


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


def _group_query(
    group: str, process_type: str, projections: list[str], filters: dict[str, Any] | None = None
) -> orm.QueryBuilder:
    query = orm.QueryBuilder()
    query.append(orm.Group, filters={'label': group}, tag='group')
    node_filters = {'process_type': process_type, 'extras': {'!has_key': SUPERSEDED_EXTRA}, **(filters or {})}
    query.append(orm.WorkChainNode, with_group='group', filters=node_filters, project=projections)
    return query


def campaign_status(group: str, limit: int | None = None, list_points: bool = True) -> CampaignStatus:
    """Return the counts per state of every point of ``group`` and the points to list.

    Points of an active sweep that it has not launched yet (their vc-relax is still running) are ``queued``; those of
    a sweep whose in-process runner is gone are ``orphaned`` (``campaign launch`` submits them again).

    The counts come from one aggregate query (``GROUP BY`` over the states in the database), so they cost the same
    for 10 points and for 10⁵. With ``limit`` None every point is listed; otherwise every point without a results
    record (failed, killed, running, queued, …: what a user has to act on) and at most ``limit`` points of each of
    ``ok``, ``unstable`` and ``sum_rule_failed``.

    Parameters
    ----------
    group : str
        Label of the campaign group.
    limit : int or None
        Largest number of points to list per finished state.
    list_points : bool
        False: counts only (``points`` then holds only the planned, not yet launched points).
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

    counts: Counter = Counter()
    state_columns = ['attributes.process_state', 'attributes.exit_status', 'extras.enatom_status']
    aggregate = _group_query(group, POINT_TYPE, [*state_columns, f'extras.{RUNNER_EXTRA}'])
    unfinished = False  # a point without a result state in its extras: what the listing must show in full
    by_status: Counter = Counter()
    for process_state, exit_status, status, runner, count in fetch_counts(aggregate):
        counts[_state(status, process_state, exit_status, runner)] += count
        unfinished = unfinished or status not in RESULT_STATES
        by_status[status] += count

    point_columns = [
        'id',
        *state_columns,
        'extras.enatom_candidate',
        'extras.enatom_pressure_GPa',
        f'extras.{RUNNER_EXTRA}',
    ]
    if not list_points:
        rows = []
    elif limit is None:
        rows = fetch_rows(_group_query(group, POINT_TYPE, point_columns), 1)
    else:
        # The counts say which queries can return rows: with every point finished no scan for the others is made, and
        # a finished state is sampled with a bare LIMIT (no ORDER BY, so the database stops at `limit` rows instead of
        # sorting all of them; the listing is sorted below anyway).
        rows = []
        if unfinished:
            attention = {
                'or': [
                    {'extras.enatom_status': {'!in': list(RESULT_STATES)}},
                    {'extras': {'!has_key': 'enatom_status'}},
                ]
            }
            rows += fetch_rows(_group_query(group, POINT_TYPE, point_columns, attention), 1)
        for state in RESULT_STATES:
            if by_status.get(state):
                some = _group_query(group, POINT_TYPE, point_columns, {'extras.enatom_status': state})
                rows += fetch_rows(some.limit(limit), 1)
    points: list[PointState] = []
    for pk, process_state, exit_status, status, candidate, pressure, runner in rows:
        state = _state(status, process_state, exit_status, runner)
        points.append(PointState(pk, candidate, float(pressure), state, exit_status))

    if planned:  # the launched points of active sweeps (few): a planned point that exists is not queued
        candidates = sorted({candidate for candidate, _ in planned})
        launched_query = _group_query(
            group,
            POINT_TYPE,
            ['id', 'extras.enatom_candidate', 'extras.enatom_pressure_GPa'],
            {'extras.enatom_candidate': {'in': candidates}},
        )
        launched = {(candidate, float(pressure)) for _, candidate, pressure in fetch_rows(launched_query, 1)}
        for (candidate, pressure), state in planned.items():
            if (candidate, pressure) not in launched:
                points.append(PointState(None, candidate, pressure, state, None))
                counts[state] += 1
    points.sort(key=lambda point: (point.candidate, point.pressure_GPa))
    failed = [point.pk for point in points if point.pk is not None and point.state in ('failed', 'excepted', 'killed')]
    return CampaignStatus(group, counts, points, _last_reports(failed))


def _last_reports(pks: list[int]) -> dict[int, str]:
    """Last report line of each process in ``pks`` (one query) that says why it failed.

    The lines that work chains write when they end (``on_terminated``: "cleaned remote folders of calculations ...")
    come after the reason of the failure and say nothing about it, so they are used only when there is no other line.
    """
    if not pks:
        return {}
    query = orm.QueryBuilder()
    query.append(orm.Log, filters={'dbnode_id': {'in': pks}}, project=['dbnode_id', 'message', 'time'])
    query.order_by({orm.Log: [{'time': {'order': 'asc'}}]})
    last: dict[int, str] = {}
    for pk, message, _ in query.iterall():
        line = message.splitlines()[-1] if message else ''
        if pk not in last or '|on_terminated]' not in line:
            last[pk] = line
    return last

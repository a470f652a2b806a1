"""rank, export and campaign status on a database filled with stored records; the CLI through click's runner."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from click.testing import CliRunner

from aiida_enatom.cli import cmd_root
from aiida_enatom.results.query import campaign_groups, campaign_status, rank_records, records
from tests.aiida.results.factory import point_records, store_points

_STORED: dict = {}


@pytest.fixture
def campaign(aiida_profile):
    """Two campaigns, stored once per module: 40 points in 'screen-a' (some unstable), 10 in 'screen-b'."""
    from aiida import orm

    if not _STORED or not orm.QueryBuilder().append(orm.Group, filters={'label': 'screen-a'}).count():
        a = point_records(40, seed=1)
        b = point_records(10, seed=2)
        _STORED.update(a=(a, store_points(a, 'screen-a')), b=(b, store_points(b, 'screen-b')))
    return _STORED


def invoke(*args):
    result = CliRunner().invoke(cmd_root, list(args), catch_exceptions=False)
    return result


def _running_sweep(campaign: str, candidate: str, pressures: list[float], runner: str, **extras):
    """Store a bare ``enatom.sweep`` node in state RUNNING with the extras a campaign launch gives it."""
    from aiida import orm
    from aiida.engine import ProcessState

    node = orm.WorkChainNode()
    node.set_process_label('SweepWorkChain')
    node.set_process_type('aiida.workflows:enatom.sweep')
    node.set_process_state(ProcessState.RUNNING)
    node.store()
    node.base.extras.set_many(
        {
            'enatom_campaign': campaign,
            'enatom_candidate': candidate,
            'enatom_pressures_GPa': pressures,
            'enatom_runner': runner,
            **extras,
        }
    )
    return node


def test_rank_orders_and_excludes_unstable(campaign):
    stored, _ = campaign['a']
    rows = rank_records('screen-a', by='area_H')
    expected = sorted((r['area_H_meV'] for r in stored if r['rankable']), reverse=True)
    assert [row['area_H_meV'] for row in rows] == pytest.approx(expected)
    assert all(row['rankable'] for row in rows)
    with_unstable = rank_records('screen-a', by='I2_H', include_unstable=True, limit=100)
    assert len(with_unstable) == 40
    assert any(not row['rankable'] for row in with_unstable)
    everything = rank_records(None, by='tc_eliashberg_H')  # every campaign of the profile
    assert len(everything) >= sum(r['rankable'] for r in campaign['a'][0] + campaign['b'][0])
    assert len(rank_records('screen-a', limit=3)) == 3


def test_records_carry_uuid_and_every_key(campaign):
    rows = records('screen-b')
    assert len(rows) == 10
    assert all(len(row['uuid']) == 36 for row in rows)
    assert {'tc_eliashberg_H_K', 'delta_tc_eliashberg_K', 'schema_version', 'status'} <= set(rows[0])


def test_status_counts(campaign):
    status = campaign_status('screen-a')
    stored, _ = campaign['a']
    n_unstable = sum(not r['rankable'] for r in stored)
    assert len(status.points) == 40 and status.done == 40 and status.total == 40
    assert status.counts['unstable'] == n_unstable and status.counts['ok'] == 40 - n_unstable
    # a listing limit keeps at most `limit` points of each finished state; the counts stay complete
    limited = campaign_status('screen-a', limit=3)
    assert limited.counts == status.counts and limited.unlisted == 40 - 6
    assert sorted(p.state for p in limited.points) == ['ok'] * 3 + ['unstable'] * 3
    counts_only = campaign_status('screen-a', list_points=False)
    assert counts_only.counts == status.counts and counts_only.points == []
    listed = invoke('campaign', 'status', 'screen-a', '--limit', '1')
    assert listed.exit_code == 0, listed.output
    assert [line.split()[-1] for line in listed.output.splitlines()[1:3]] in (['ok', 'unstable'], ['unstable', 'ok'])
    assert '… and 38 more finished point(s)' in listed.output
    assert len(invoke('campaign', 'status', 'screen-a', '--all').output.splitlines()) == 41
    assert {'screen-a', 'screen-b'} <= set(campaign_groups())


def test_cli_rank_formats(campaign):
    table = invoke('rank', 'screen-a', '--by', 'I2_H', '--limit', '5')
    assert table.exit_code == 0, table.output
    lines = table.output.strip().splitlines()
    assert lines[0].split()[0] == 'I2_H_eV2_per_A2' and len(lines) == 6
    marked = invoke('rank', 'screen-a', '--include-unstable')
    assert any(line.lstrip().startswith('!') for line in marked.output.splitlines())
    as_json = json.loads(invoke('rank', '--by', 'tc_eliashberg', '--format', 'json').output)
    assert as_json[0]['tc_eliashberg_K'] >= as_json[-1]['tc_eliashberg_K'] and 'uuid' in as_json[0]
    as_csv = list(csv.DictReader(io.StringIO(invoke('rank', 'screen-b', '--format', 'csv').output)))
    assert as_csv and all(row['uuid'] for row in as_csv)


def test_cli_export_status_and_errors(campaign, tmp_path):
    out = tmp_path / 'a.csv'
    result = invoke('export', 'screen-a', '--format', 'csv', '-o', str(out))
    assert result.exit_code == 0, result.output
    assert len(list(csv.DictReader(out.open()))) == 40
    status = invoke('campaign', 'status', 'screen-a')
    assert status.exit_code == 0 and '40/40 done' in status.output
    for args in (
        ('rank', 'nope'),
        ('export', 'nope'),
        ('campaign', 'status', 'nope'),
        ('plot', 'nope', '--kind', 'a2f', '-o', 'x.png'),
    ):
        bad = invoke(*args)
        assert bad.exit_code != 0 and "no group 'nope'" in bad.output and 'Traceback' not in bad.output


def test_cli_plots(campaign, tmp_path):
    for kind in ('ih2-vs-pressure', 'tc-vs-area', 'lambda-vs-pressure'):
        path = tmp_path / f'{kind}.png'
        result = invoke('plot', 'screen-a', '--kind', kind, '-o', str(path), '--include-unstable')
        assert result.exit_code == 0, result.output
        assert path.stat().st_size > 10_000
    bad = invoke('plot', 'screen-a', '--kind', 'tc-vs-area', '-o', str(tmp_path / 'x.bmp'))
    assert bad.exit_code != 0 and 'unsupported format' in bad.output
    both = invoke('plot', 'screen-a', 'screen-b', '--kind', 'ih2-vs-pressure', '-o', str(tmp_path / 'ab.png'))
    n_rankable = sum(r['rankable'] for r in campaign['a'][0] + campaign['b'][0])
    assert both.exit_code == 0 and f'of {n_rankable} point(s)' in both.output, both.output
    missing = invoke('plot', 'screen-a', 'nope', '--kind', 'a2f', '-o', str(tmp_path / 'n.png'))
    assert missing.exit_code != 0 and "no group 'nope'" in missing.output


def test_orphaned_in_process_sweep(aiida_profile):
    """A sweep left 'running' by a Python process that is gone: its points are orphaned; a relaunch re-plans them."""
    import socket
    import subprocess
    import sys

    from aiida import orm

    from aiida_enatom.campaign.launch import _active_sweeps
    from aiida_enatom.common.runner_tag import current_runner

    dead = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'], capture_output=True, text=True)
    group = orm.Group(label='orphans').store()
    for runner, candidate in ((f'{socket.gethostname()}:{int(dead.stdout)}', 'gone'), (current_runner(), 'alive')):
        group.add_nodes(_running_sweep('orphans', candidate, [100.0, 150.0], runner, enatom_max_concurrent=2))
    states = {(point.candidate, point.state) for point in campaign_status('orphans').points}
    assert states == {('gone', 'orphaned'), ('alive', 'queued')}
    assert [sweep[1] for sweep in _active_sweeps('orphans')] == ['alive']
    assert 'orphaned 2' in invoke('campaign', 'status', 'orphans').output


def test_quickstart_report_on_stored_records(campaign, tmp_path, capsys):
    """The quickstart's last step: ranking table, summary.json and Figures 2 and 3 from the database."""
    from aiida_enatom.cli.quickstart import _report

    _report('screen-b', tmp_path)
    printed = capsys.readouterr().out
    assert printed.splitlines()[0].split()[0] == 'area_H_meV'
    assert len(json.loads((tmp_path / 'summary.json').read_text())) == 10
    for name in ('ih2-vs-pressure.png', 'tc-vs-area.png'):
        assert (tmp_path / name).stat().st_size > 10_000


def test_failure_line_is_the_reason_not_the_cleanup(aiida_profile):
    """The status line of a failed point is its last report line that says why, not the ``on_terminated`` clean-up."""
    from aiida import orm
    from aiida.common import timezone

    from aiida_enatom.results.query import _last_reports

    failed = orm.WorkflowNode().store()
    cleaned_only = orm.WorkflowNode().store()
    lines = [
        f'[{failed.pk}|PressurePointWorkChain|inspect_alpha2f]: Alpha2FWorkChain<9> failed with exit status 413',
        f'[{failed.pk}|PressurePointWorkChain|on_terminated]: cleaned remote folders of calculations: 1 2',
    ]
    for line in lines:
        orm.Log(timezone.now(), 'aiida', 'REPORT', failed.pk, line).store()
    cleanup = f'[{cleaned_only.pk}|SweepWorkChain|on_terminated]: cleaned remote folders of calculations: 3'
    orm.Log(timezone.now(), 'aiida', 'REPORT', cleaned_only.pk, cleanup).store()
    last = _last_reports([failed.pk, cleaned_only.pk])
    assert last[failed.pk] == lines[0]
    assert last[cleaned_only.pk] == cleanup  # nothing better to show


def test_relaunch_supersedes_orphaned_and_failed_attempts(aiida_profile):
    """After a relaunch, `campaign status` counts each (candidate, pressure) once: the new attempt, not the old ones.

    The old orphaned sweep and its failed point keep their nodes and group membership (provenance) and get the extra
    that names the sweep redoing them.
    """
    import socket
    import subprocess
    import sys
    from types import SimpleNamespace

    from aiida import orm
    from aiida.engine import ProcessState

    from aiida_enatom.campaign.launch import SweepPlan, _existing_points, _tag, _unterminated_sweeps
    from aiida_enatom.results.query import SUPERSEDED_EXTRA

    dead = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'], capture_output=True, text=True)
    gone = f'{socket.gethostname()}:{int(dead.stdout)}'
    group = orm.Group(label='relaunched').store()

    def node(process_type: str, state: ProcessState, extras: dict, exit_status: int | None = None):
        stored = orm.WorkChainNode()
        stored.set_process_type(process_type)
        stored.set_process_state(state)
        if exit_status is not None:
            stored.set_exit_status(exit_status)
        stored.store()
        stored.base.extras.set_many({'enatom_campaign': 'relaunched', 'enatom_candidate': 'CaH6', **extras})
        group.add_nodes(stored)
        return stored

    old_sweep = node(
        'aiida.workflows:enatom.sweep',
        ProcessState.WAITING,
        {'enatom_pressures_GPa': [250.0, 300.0], 'enatom_max_concurrent': 2, 'enatom_runner': gone},
    )
    failed = node(
        'aiida.workflows:enatom.pressure_point', ProcessState.FINISHED, {'enatom_pressure_GPa': 250.0}, exit_status=401
    )
    orphaned = node(
        'aiida.workflows:enatom.pressure_point',
        ProcessState.WAITING,
        {'enatom_pressure_GPa': 300.0, 'enatom_runner': gone},
    )
    before = campaign_status('relaunched')
    assert before.counts == {'failed': 1, 'orphaned': 1}
    listed = invoke('campaign', 'status', 'relaunched').output
    assert re.search(rf'{failed.pk}\s+CaH6\s+250 GPa  failed \(401\)', listed), listed  # the point's own exit code
    assert [pk for pk, *_ in _unterminated_sweeps('relaunched', alive=False)] == [old_sweep.pk]

    new_sweep = node('aiida.workflows:enatom.sweep', ProcessState.WAITING, {})
    plan = SweepPlan('CaH6', [250.0, 300.0], SimpleNamespace(max_concurrent=orm.Int(2)), [failed.pk, orphaned.pk])
    plan.supersedes.append(old_sweep.pk)
    _tag(new_sweep, plan, group, in_process=True)

    for old in (old_sweep, failed, orphaned):
        assert old.base.extras.get(SUPERSEDED_EXTRA) == new_sweep.pk
        assert old.pk in {member.pk for member in group.nodes}
    for old in (old_sweep, orphaned):  # nothing will run them again: killed and sealed, so the group can be archived
        assert old.is_killed and old.is_sealed
        assert f'SweepWorkChain<{new_sweep.pk}>' in old.process_status
    assert failed.is_finished and not failed.is_killed
    after = campaign_status('relaunched')
    assert after.counts == {'queued': 2}  # the new sweep's two points, not yet launched
    assert after.total == 2
    assert _existing_points('relaunched') == {}
    assert _unterminated_sweeps('relaunched', alive=False) == []


def test_status_watch(campaign, monkeypatch):
    """``campaign status --watch``: one block when nothing is active; refreshes while a point is, stops when none is."""
    import time

    from aiida import orm
    from aiida.engine import ProcessState

    from aiida_enatom.common.runner_tag import current_runner

    once = invoke('campaign', 'status', 'screen-b', '--watch', '5')  # every point finished: no sleep, one block
    assert once.exit_code == 0, once.output
    assert [line[:3] for line in once.output.splitlines()] == ['-- ', 'scr'] + ['   '] * 10

    sweep = _running_sweep('watched', 'X', [100.0], current_runner())
    orm.Group(label='watched').store().add_nodes(sweep)
    sleeps = []

    def sleep(seconds):  # the sweep ends during the first wait
        sleeps.append(seconds)
        sweep.set_process_state(ProcessState.FINISHED)

    monkeypatch.setattr(time, 'sleep', sleep)
    watched = invoke('campaign', 'status', 'watched', '--watch', '3')
    assert watched.exit_code == 0, watched.output
    blocks = watched.output.split('-- ')[1:]
    assert len(blocks) == 2 and sleeps == [3.0], watched.output
    assert '0/1 done (queued 1)' in blocks[0] and 'X' in blocks[0]
    assert '0/0 done' in blocks[1]

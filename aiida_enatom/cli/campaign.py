"""``aiida-enatom campaign``: validate, launch and watch a screening campaign (candidates × pressure grids)."""

from __future__ import annotations

import pathlib
import signal

import click
from aiida.cmdline.utils import echo

from aiida_enatom.cli import LazyVerdiGroup, utils

CAMPAIGN_FILE = click.Path(exists=True, dir_okay=False, path_type=pathlib.Path)


@click.group('campaign', cls=LazyVerdiGroup)
def cmd_campaign() -> None:
    """Validate, launch and watch screening campaigns (files in the repository's workflows/ folder)."""


def _load(path: pathlib.Path):
    from aiida_enatom.exceptions import EnatomError
    from aiida_enatom.io.campaign import load_campaign

    try:
        return load_campaign(path)
    except EnatomError as exception:
        echo.echo_critical(str(exception))


@cmd_campaign.command('validate')
@click.argument('campaign_file', type=CAMPAIGN_FILE)
def cmd_validate(campaign_file: pathlib.Path) -> None:
    """Check CAMPAIGN_FILE (schema, structures, pressures, μ*) without a profile; print what it would run."""
    campaign = _load(campaign_file)
    points = campaign.points()
    echo.echo_success(
        f'{campaign_file}: campaign {campaign.name!r}, {len(campaign.candidates)} candidate(s), {len(points)} '
        f'pressure point(s), protocol {campaign.protocol}, μ* = {campaign.mu_star:g}'
    )
    for candidate in campaign.candidates:
        pressures = ', '.join(f'{p:g}' for p in candidate.pressures)
        echo.echo(f'  {candidate.label:<16} {candidate.formula:<8} {pressures} GPa')


@cmd_campaign.command('launch')
@click.argument('campaign_file', type=CAMPAIGN_FILE)
@click.option('-d', '--daemon', is_flag=True, help='Submit to the daemon instead of running in this process.')
@click.option('--max-active', type=click.IntRange(1, 10000), default=None, help='Most points active at once.')
@click.option(
    '-f',
    '--follow',
    is_flag=True,
    help='With the daemon (implies --daemon): keep submitting as points finish, until every point has ended; a point '
    'submitted once is not retried. Exits non-zero if a point failed.',
)
@click.option(
    '--interval',
    type=click.FloatRange(min=1.0),
    default=30.0,
    show_default=True,
    help='With --follow: seconds between two checks.',
)
@utils.with_dbenv()
def cmd_launch(
    campaign_file: pathlib.Path, daemon: bool, max_active: int | None, follow: bool, interval: float
) -> None:
    """Launch CAMPAIGN_FILE: one enatom.sweep per candidate; finished points are reused, failed ones rerun.

    Without --daemon the sweeps run in this process (the embedded default) until all are done. With --daemon the
    sweeps that fit under --max-active are submitted; run the same command again to submit the rest, or add
    --follow to have this command do it until the campaign has ended. Prints the campaign's group label.
    """
    from aiida_enatom.campaign.launch import execute_plan, plan_campaign
    from aiida_enatom.exceptions import EnatomError

    campaign = _load(campaign_file)
    _check_code_roles(campaign)
    if follow:
        _check_daemon()
        _follow(campaign, max_active or campaign.max_active, interval)
        return
    try:
        plan = plan_campaign(campaign, max_active=max_active)
    except EnatomError as exception:
        echo.echo_critical(str(exception))
    if plan.reused:
        echo.echo_report(f'{len(plan.reused)} finished point(s) reused (extras lookup in group {plan.group_label!r})')
    if plan.active:
        echo.echo_report(f'{len(plan.active)} point(s) still running; not submitted again')
    if not plan.sweeps:
        echo.echo_success(f'nothing to submit: every point of {plan.group_label!r} is finished or running')
        echo.echo(plan.group_label)
        return
    if daemon:
        _check_daemon()
    from aiida_enatom.cli.logs import explain_expected_messages

    try:
        with explain_expected_messages():
            execute_plan(plan, max_active=max_active or campaign.max_active, daemon=daemon, on_event=echo.echo_report)
    except KeyboardInterrupt:
        echo.echo_critical(
            f'interrupted: the sweeps started here and their QE jobs were killed; run `campaign launch` again to '
            f'resume (finished points are reused), see `aiida-enatom campaign status {plan.group_label}`'
        )
    echo.echo_success(f'campaign {plan.group_label!r}: see `aiida-enatom campaign status {plan.group_label}`')
    echo.echo(plan.group_label)


def _follow(campaign, max_active: int, interval: float) -> None:
    """``campaign launch --follow``: submit as capacity frees up, wait for the end, exit 1 if a point failed."""
    from aiida_enatom.campaign.follow import follow_campaign
    from aiida_enatom.exceptions import EnatomError
    from aiida_enatom.results.query import RESULT_STATES, campaign_status

    try:
        result = follow_campaign(campaign, max_active=max_active, interval=interval, on_event=echo.echo_report)
    except EnatomError as exception:
        echo.echo_critical(str(exception))
    except KeyboardInterrupt:
        echo.echo_critical(
            f'stopped following: what was submitted keeps running in the daemon; `aiida-enatom campaign status '
            f'{campaign.name}` shows it, and the same command resumes the submitting'
        )
    status = campaign_status(campaign.name, list_points=False)
    counts = ', '.join(f'{state} {count}' for state, count in sorted(status.counts.items()))
    echo.echo_report(f'{len(result.submitted)} sweep(s) submitted in {result.rounds} round(s); points: {counts}')
    failed = sum(count for state, count in status.counts.items() if state not in RESULT_STATES)
    if failed:
        echo.echo_error(
            f'campaign {campaign.name!r}: {failed} point(s) without a result (see `aiida-enatom campaign status '
            f'{campaign.name}`); run `campaign launch` again to retry them'
        )
        echo.echo(campaign.name)
        raise SystemExit(1)
    echo.echo_success(f'campaign {campaign.name!r}: every point has a result')
    echo.echo(campaign.name)


def _check_code_roles(campaign) -> None:
    """Refuse a code given for the wrong role (e.g. the pw.x code as ph.x); missing codes are left to the plan."""
    from aiida import orm

    from aiida_enatom.cli.utils import check_code_role

    for role, label in campaign.codes.items():
        if role == 'pp' and not campaign.run_enatom:
            continue
        try:
            code = orm.load_code(label)
        except Exception:  # noqa: BLE001 - NotExistent etc.: plan_campaign names the field
            continue
        check_code_role(
            role,
            code,
            f'codes.{role}:',
            ranks_per_machine=campaign.options.get('mpiprocs_per_machine'),
            pools=campaign.options.get('pools'),
        )


def _check_daemon() -> None:
    from aiida.engine.daemon.client import get_daemon_client

    try:
        running = get_daemon_client().is_daemon_running
    except Exception as exception:  # noqa: BLE001 - e.g. a profile without a broker
        echo.echo_critical(f'cannot reach the daemon ({exception}); run without --daemon, or `verdi daemon start`')
    if not running:
        echo.echo_critical('the daemon is not running: start it with `verdi daemon start`, or run without --daemon')


@cmd_campaign.command('status')
@click.argument('group', required=False)
@click.option(
    '--limit',
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    help='With GROUP: list at most this many points per finished state (ok, unstable, sum_rule_failed); failed, '
    'running and queued points are always listed.',
)
@click.option('--all', 'list_all', is_flag=True, help='With GROUP: list every point.')
@click.option(
    '-w',
    '--watch',
    type=click.FloatRange(min=1.0),
    default=None,
    metavar='SECONDS',
    help='Print the status again every SECONDS until no point is active (Ctrl-C stops watching, not the campaign). '
    'Each refresh is one round of queries: the start-up cost of a command is paid once.',
)
@utils.with_dbenv()
def cmd_status(group: str | None, limit: int, list_all: bool, watch: float | None) -> None:
    """Counts per state with a progress bar, one line per point, and the last report line of each failure.

    Without GROUP, one summary line per campaign. The counts cover every point; the per-point lines list every point
    without a result (failed, killed, running, queued, …) and up to --limit of each finished state.
    """
    import time

    from aiida_enatom.results.query import campaign_groups

    groups = [group] if group else campaign_groups()
    if not groups:
        echo.echo_report('no campaign in this profile yet: `aiida-enatom campaign launch FILE`')
        return
    from aiida import orm

    if group and not orm.QueryBuilder().append(orm.Group, filters={'label': group}).count():
        echo.echo_critical(f'no group {group!r} in this profile; campaigns: {", ".join(campaign_groups()) or "none"}')
    if watch is None:
        _print_status(groups, None if list_all else limit, list_points=group is not None)
        return
    # A closed pipe (`... --watch 10 | head`) ends the watch quietly, as it ends `yes | head`: Python ignores SIGPIPE,
    # and aiida-core's echo handler reports each failed write instead of raising, so a watch would go on forever.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        while True:
            echo.echo(time.strftime('-- %Y-%m-%d %H:%M:%S'))
            if not _print_status(groups, None if list_all else limit, list_points=group is not None):
                return
            time.sleep(watch)
    except KeyboardInterrupt:
        echo.echo_report('stopped watching; the campaign goes on')


def _print_status(groups: list[str], limit: int | None, *, list_points: bool) -> bool:
    """Print the status of ``groups``; return whether any of their points is still active."""
    from aiida_enatom.results.query import ACTIVE_STATES, campaign_status

    active = False
    for label in groups:
        status = campaign_status(label, limit=limit, list_points=list_points)
        active = active or any(status.counts.get(state) for state in ACTIVE_STATES)
        total = status.total
        width = 30
        filled = round(width * status.done / total) if total else 0
        counts = ', '.join(f'{state} {count}' for state, count in sorted(status.counts.items()))
        echo.echo(f'{label}: [{"#" * filled}{"." * (width - filled)}] {status.done}/{total} done ({counts})')
        if not list_points:
            continue
        for point in status.points:
            pk = f'{point.pk}' if point.pk is not None else '-'
            line = f'  {pk:>8}  {point.candidate:<16} {point.pressure_GPa:>8g} GPa  {point.state}'
            if point.state == 'failed' and point.exit_status:
                line += f' ({point.exit_status})'  # the point's own exit code; the report line says which stage
            if point.pk in status.failures:
                line += f'  | {status.failures[point.pk]}'
            echo.echo(line)
        if status.unlisted:
            echo.echo(f'  … and {status.unlisted} more finished point(s) (`--all` lists every point)')
    return active

"""``aiida-enatom campaign``: validate, launch and watch a screening campaign (candidates × pressure grids)."""

from __future__ import annotations

import pathlib

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
@utils.with_dbenv()
def cmd_launch(campaign_file: pathlib.Path, daemon: bool, max_active: int | None) -> None:
    """Launch CAMPAIGN_FILE: one enatom.sweep per candidate; finished points are reused, failed ones rerun.

    Without --daemon the sweeps run in this process (the embedded default) until all are done. With --daemon the
    sweeps that fit under --max-active are submitted; run the same command again to submit the rest. Prints the
    campaign's group label.
    """
    from aiida_enatom.campaign.launch import execute_plan, plan_campaign
    from aiida_enatom.exceptions import EnatomError

    campaign = _load(campaign_file)
    _check_code_roles(campaign)
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
@utils.with_dbenv()
def cmd_status(group: str | None, limit: int, list_all: bool) -> None:
    """Counts per state with a progress bar, one line per point, and the last report line of each failure.

    Without GROUP, one summary line per campaign. The counts cover every point; the per-point lines list every point
    without a result (failed, killed, running, queued, …) and up to --limit of each finished state.
    """
    from aiida_enatom.results.query import campaign_groups, campaign_status

    groups = [group] if group else campaign_groups()
    if not groups:
        echo.echo_report('no campaign in this profile yet: `aiida-enatom campaign launch FILE`')
        return
    from aiida import orm

    if group and not orm.QueryBuilder().append(orm.Group, filters={'label': group}).count():
        echo.echo_critical(f'no group {group!r} in this profile; campaigns: {", ".join(campaign_groups()) or "none"}')
    for label in groups:
        status = campaign_status(label, limit=None if list_all else limit, list_points=group is not None)
        total = status.total
        width = 30
        filled = round(width * status.done / total) if total else 0
        counts = ', '.join(f'{state} {count}' for state, count in sorted(status.counts.items()))
        echo.echo(f'{label}: [{"#" * filled}{"." * (width - filled)}] {status.done}/{total} done ({counts})')
        if group is None:
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

"""``aiida-enatom quickstart``: set up the embedded default, run the quickstart campaign, rank it and plot it.

This is the README's main command: ``aiida-enatom setup``, then ``campaign launch workflows/quickstart.yaml`` (H3S
at two pressures, ``fast`` protocol) in this process, then the ranking, the paper's Figures 2 and 3, the α²F plots of
the best point, and a summary JSON.
"""

from __future__ import annotations

import json
import pathlib

import click
from aiida.cmdline.utils import echo

#: The shipped quickstart campaign (the repository's ``workflows/`` folder).
DEFAULT_CAMPAIGN = pathlib.Path(__file__).resolve().parents[2] / 'workflows' / 'quickstart.yaml'


@click.command('quickstart')
@click.option(
    '--campaign',
    'campaign_file',
    type=click.Path(exists=True, dir_okay=False, path_type=pathlib.Path),
    default=DEFAULT_CAMPAIGN if DEFAULT_CAMPAIGN.exists() else None,
    show_default=True,
    help='Campaign file to run.',
)
@click.option(
    '--output-dir',
    type=click.Path(file_okay=False, path_type=pathlib.Path),
    default=pathlib.Path('enatom-quickstart'),
    show_default=True,
    help='Where the summary JSON and the plots are written.',
)
@click.option(
    '--aiida-path',
    type=click.Path(file_okay=False),
    default=None,
    help='Folder holding the AiiDA configuration (default: $AIIDA_PATH, else your home folder).',
)
def cmd_quickstart(campaign_file: pathlib.Path | None, output_dir: pathlib.Path, aiida_path: str | None) -> None:
    """Set up the embedded default (idempotent), run the quickstart campaign, print its ranking and plot it.

    Writes summary.json (every record), ih2-vs-pressure.png (Fig. 2), tc-vs-area.png (Fig. 3), and alpha2f.png,
    partials.png and derivative.png of the best point to --output-dir. Running it again reuses finished points.
    """
    from aiida_enatom.campaign.launch import execute_plan, plan_campaign
    from aiida_enatom.exceptions import EnatomError
    from aiida_enatom.io.campaign import load_campaign
    from aiida_enatom.setup.main import run_setup

    if campaign_file is None:
        echo.echo_critical('no campaign file: pass --campaign FILE (the repository has workflows/quickstart.yaml)')
    try:
        campaign = load_campaign(campaign_file)
        setup = run_setup(
            aiida_path=aiida_path, on_action=lambda action: echo.echo_report(f'{action.kind}: {action.message}')
        )
        if campaign.pseudo_family is None:
            campaign = campaign.model_copy(update={'pseudo_family': setup.family_label})
        plan = plan_campaign(campaign)
    except EnatomError as exception:
        echo.echo_critical(str(exception))
    if plan.reused:
        echo.echo_report(f'{len(plan.reused)} finished point(s) reused from an earlier run')
    if plan.sweeps:
        echo.echo_report(
            f'running campaign {plan.group_label!r} in this process: {sum(len(s.pressures) for s in plan.sweeps)} '
            'point(s); follow it with `aiida-enatom campaign status` or `verdi process list` in another shell'
        )
        from aiida_enatom.cli.logs import explain_expected_messages

        with explain_expected_messages():
            execute_plan(plan, max_active=campaign.max_active, daemon=False, on_event=echo.echo_report)
    _report(plan.group_label, output_dir)


def _report(group: str, output_dir: pathlib.Path) -> None:
    """Print the ranking and write the summary and the figures of campaign ``group``."""
    import matplotlib

    matplotlib.use('Agg')
    from aiida import orm

    from aiida_enatom.cli.tables import render_rows
    from aiida_enatom.plotting import screening
    from aiida_enatom.results.query import campaign_status, rank_records, records

    rows = records(group)
    ranked = rank_records(group, by='area_H')
    status = campaign_status(group)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / 'summary.json').write_text(json.dumps(rows, indent=2, default=str))
    click.echo(render_rows(rank_records(group, by='area_H', include_unstable=True), 'table', key='area_H_meV'))
    counts = ', '.join(f'{state} {count}' for state, count in sorted(status.counts.items()))
    echo.echo_report(f'{status.total} point(s): {counts}; rows marked ! are flagged and do not rank')
    if rows:
        screening.plot_ih2_vs_pressure(rows).figure.savefig(output_dir / 'ih2-vs-pressure.png', dpi=150)
        axes = screening.plot_tc_vs_area_screening(rows, which='both')
        axes[0].figure.savefig(output_dir / 'tc-vs-area.png', dpi=150)
    best = ranked[0] if ranked else (rows[0] if rows else None)
    if best is not None and 'alpha2f' in orm.load_node(best['pk']).outputs:
        _point_plots(orm.load_node(best['pk']), best, output_dir)
    if not ranked:
        echo.echo_warning(
            'no point ranks: each is flagged (see the status column and `aiida-enatom campaign status '
            f'{group}`); the figures show them as hollow markers'
        )
        return
    echo.echo_success(
        f'best point: {best["formula"]} at {best["pressure_GPa"]:.1f} GPa, 𝒜_H = {best["area_H_meV"]:.1f} meV, '
        f'T_c(Eliashberg) = {best["tc_eliashberg_K"]:.0f} K; results in {output_dir}/'
    )


def _point_plots(node, record: dict, output_dir: pathlib.Path) -> None:
    """α²F with λ(ω), the H/metal split and δT_c/δα²F of one point, at its record's smearing."""
    from aiida_enatom.numerics.bergmann_rainer import tc_functional_derivative
    from aiida_enatom.plotting.spectra import plot_alpha2f, plot_partial_alpha2f, plot_tc_derivative

    spectrum = node.outputs.alpha2f.alpha2f.to_alpha2f(int(record.get('smearing_index') or 0))
    plot_alpha2f(spectrum).figure.savefig(output_dir / 'alpha2f.png', dpi=150)
    plot_partial_alpha2f(spectrum).figure.savefig(output_dir / 'partials.png', dpi=150)
    derivative = tc_functional_derivative(spectrum, mu_star=float(record.get('mu_star') or 0.1))
    plot_tc_derivative(spectrum, derivative.omega_mev, derivative.dtc_da2f_k_per_mev, derivative.tc_k).figure.savefig(
        output_dir / 'derivative.png', dpi=150
    )

"""``aiida-enatom plot``: the paper's Figures 2 and 3 (and λ versus pressure, α²F overlays) from a campaign."""

from __future__ import annotations

import pathlib

import click
from aiida.cmdline.utils import echo

from aiida_enatom.cli import utils
from aiida_enatom.cli.utils import IMAGE_SUFFIXES, output_path_callback

KINDS = ('ih2-vs-pressure', 'tc-vs-area', 'lambda-vs-pressure', 'a2f')


@click.command('plot')
@click.argument('groups', metavar='GROUP...', nargs=-1, required=True)
@click.option('--kind', type=click.Choice(KINDS), required=True, help='Which figure.')
@click.option(
    '-o',
    '--output',
    type=click.Path(dir_okay=False, path_type=pathlib.Path),
    required=True,
    callback=output_path_callback(IMAGE_SUFFIXES),
    help='Image file (.png, .pdf or .svg).',
)
@click.option('--include-unstable', is_flag=True, help='Draw unstable points too (hollow markers).')
@utils.with_dbenv()
def cmd_plot(groups: tuple[str, ...], kind: str, output: pathlib.Path, include_unstable: bool) -> None:
    """Plot the points of one or more campaign GROUPs together to OUTPUT (.png, .pdf or .svg).

    ih2-vs-pressure is the paper's Fig. 2 (I_H² vs pressure, one line per formula); tc-vs-area is Fig. 3 (T_c of the
    H part alone vs 𝒜_H with the 0.148 line, next to the full-α²F version); a2f overlays the α²F of every point.
    """
    import matplotlib

    matplotlib.use('Agg')
    from aiida import orm

    from aiida_enatom.exceptions import EnatomError
    from aiida_enatom.plotting import screening
    from aiida_enatom.results.query import records

    if output.suffix.lower() not in ('.png', '.pdf', '.svg'):
        echo.echo_critical(f'{output}: unsupported format {output.suffix!r}; use .png, .pdf or .svg')
    rows = []
    for group in dict.fromkeys(groups):
        if not orm.QueryBuilder().append(orm.Group, filters={'label': group}).count():
            echo.echo_critical(f'no group {group!r} in this profile (`verdi group list` shows the groups)')
        rows.extend(records(group, include_unrankable=include_unstable))
    if not rows:
        named = ', '.join(repr(group) for group in groups)
        echo.echo_critical(f'no {"" if include_unstable else "rankable "}point in {named} to plot')
    try:
        if kind == 'ih2-vs-pressure':
            figure = screening.plot_ih2_vs_pressure(rows, include_flagged=include_unstable).figure
        elif kind == 'lambda-vs-pressure':
            figure = screening.plot_lambda_vs_pressure(rows, include_flagged=include_unstable).figure
        elif kind == 'tc-vs-area':
            axes = screening.plot_tc_vs_area_screening(rows, which='both', include_flagged=include_unstable)
            figure = axes[0].figure
        else:
            figure = screening.plot_alpha2f_overlay(_spectra(rows)).figure
        figure.savefig(output, dpi=150)
    except EnatomError as exception:
        echo.echo_critical(str(exception))
    except OSError as exception:
        echo.echo_critical(f'cannot write {output}: {exception.strerror or exception}')
    echo.echo_success(f'{kind} of {len(rows)} point(s) written to {output}')


def _spectra(rows):
    """(label, Alpha2F at the record's smearing) of each row's pressure point."""
    from aiida import orm

    spectra = []
    for row in rows:
        node = orm.load_node(row['pk'])
        alpha2f = node.outputs.alpha2f.alpha2f
        label = f'{row.get("formula")} {row.get("target_pressure_GPa"):g} GPa'
        spectra.append((label, alpha2f.to_alpha2f(int(row.get('smearing_index') or 0))))
    return spectra

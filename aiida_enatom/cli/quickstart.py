"""``aiida-enatom quickstart``: set up the embedded default and run one pressure point end to end.

This is the README's main command: ``aiida-enatom setup`` followed by ``enatom.pressure_point`` on a built-in
hydride (H3S at 200 GPa by default, ``fast`` protocol), then the headline table and the plots.
"""

from __future__ import annotations

import json
import pathlib

import click
from aiida.cmdline.utils import echo

from aiida_enatom.cli.utils import protocol_choice
from aiida_enatom.common.structures import PROTOTYPES

CODES = ('pw', 'ph', 'q2r', 'matdyn', 'projwfc')


@click.command('quickstart')
@click.option(
    '--prototype',
    type=click.Choice(list(PROTOTYPES)),
    default='H3S',
    show_default=True,
    help='Built-in starting structure.',
)
@click.option(
    '--pressure',
    type=float,
    default=None,
    help="Target pressure in GPa [default: the prototype's pressure, 200 GPa for H3S].",
)
@click.option(
    '--protocol',
    type=protocol_choice('enatom.pressure_point'),
    default='fast',
    show_default=True,
    help='Protocol of the pressure point.',
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
def cmd_quickstart(
    prototype: str, pressure: float | None, protocol: str, output_dir: pathlib.Path, aiida_path: str | None
) -> None:
    """Set up the embedded default (idempotent) and compute one pressure point of a built-in hydride.

    Prints the metrics table and writes summary.json, alpha2f.png (α²F with λ(ω)), partials.png (H/metal
    split) and derivative.png (δT_c/δα²F) to --output-dir.
    """
    from aiida import orm
    from aiida.engine import run_get_node

    from aiida_enatom.common.structures import prototype_structure
    from aiida_enatom.exceptions import EnatomError
    from aiida_enatom.results.read import summarise
    from aiida_enatom.setup.main import run_setup
    from aiida_enatom.workflows.pressure_point import PressurePointWorkChain

    pressure = PROTOTYPES[prototype].pressure_gpa if pressure is None else pressure
    if pressure < 0:
        echo.echo_critical(f'--pressure must be ≥ 0 GPa; got {pressure:g}')
    try:
        setup = run_setup(
            aiida_path=aiida_path, on_action=lambda action: echo.echo_report(f'{action.kind}: {action.message}')
        )
    except EnatomError as exception:
        echo.echo_critical(str(exception))
    codes = {name: orm.load_code(f'{name}@localhost') for name in CODES}
    structure = orm.StructureData(pymatgen=prototype_structure(prototype))
    overrides = {'pseudo_family': setup.family_label, 'alpha2f': {'pseudo_family': setup.family_label}}
    try:
        builder = PressurePointWorkChain.get_builder_from_protocol(
            codes, structure, pressure=pressure, protocol=protocol, overrides=overrides
        )
    except Exception as exception:  # noqa: BLE001 - e.g. an element missing from the pseudopotential family
        echo.echo_critical(f'cannot build the pressure point: {exception}')
    echo.echo_report(
        f'running enatom.pressure_point for {prototype} at {pressure:g} GPa ({protocol} protocol) in this process; '
        'follow it with `verdi process list` in another shell'
    )
    _, node = run_get_node(builder)
    kept = {
        PressurePointWorkChain.exit_codes.ERROR_DYNAMICALLY_UNSTABLE.status,
        PressurePointWorkChain.exit_codes.ERROR_PARTIAL_SUM_RULE.status,
    }
    if not node.is_finished_ok and node.exit_status not in kept:
        echo.echo_critical(
            f'PressurePointWorkChain<{node.pk}> failed with exit status {node.exit_status}: {node.exit_message}. '
            f'Inspect it with `verdi process report {node.pk}`.'
        )
    summary = summarise(node)
    _write_outputs(node, summary, output_dir)
    click.echo(_table(summary))
    if not node.is_finished_ok:
        # The data are complete and kept; the point is flagged so that it never ranks (exit status, metrics flag).
        echo.echo_warning(f'PressurePointWorkChain<{node.pk}> exit status {node.exit_status}: {node.exit_message}')
        if node.exit_status == PressurePointWorkChain.exit_codes.ERROR_DYNAMICALLY_UNSTABLE.status:
            echo.echo_warning(
                f'lowest phonon frequency {summary.get("lowest_frequency_meV"):.1f} meV: imaginary modes on the '
                f'{protocol} q/k meshes; the numbers above are not physical. Converge with --protocol balanced.'
            )
    echo.echo_success(f'PressurePointWorkChain<{node.pk}> finished; results in {output_dir}/')


ROWS = (
    ('pressure_GPa', 'pressure (relaxed)', 'GPa'),
    ('dynamically_stable', 'dynamically stable', ''),
    ('lambda', 'λ', ''),
    ('lambda_H', 'λ_H (H–H + ½ cross)', ''),
    ('omega_log_meV', 'ω_log', 'meV'),
    ('omega_2_meV', 'ω_2', 'meV'),
    ('area_meV', '𝒜', 'meV'),
    ('area_H_meV', '𝒜_H', 'meV'),
    ('tc_allen_dynes_K', 'T_c Allen–Dynes', 'K'),
    ('tc_leavens_carbotte_K', 'T_c 0.148𝒜', 'K'),
    ('tc_eliashberg_K', 'T_c Eliashberg', 'K'),
    ('N_H_0_states_per_eV_spin', 'N_H(0)', 'states/eV/spin'),
    ('I2_H_eV2_per_A2', 'I_H²', 'eV²/Å²'),
    ('eta_H_eV_per_A2', 'η_H', 'eV/Å²'),
)


def _table(summary: dict) -> str:
    lines = []
    for key, label, unit in ROWS:
        value = summary.get(key)
        text = f'{value:12.4f}' if isinstance(value, float) else f'{value!s:>12}'
        lines.append(f'  {label:<22s}{text} {unit}')
    return '\n'.join(lines)


def _write_outputs(node, summary: dict, output_dir: pathlib.Path) -> None:
    """Write summary.json and the three plots of the default smearing."""
    import matplotlib

    matplotlib.use('Agg')
    from aiida_enatom.numerics.bergmann_rainer import tc_functional_derivative
    from aiida_enatom.plotting.spectra import plot_alpha2f, plot_partial_alpha2f, plot_tc_derivative

    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / 'summary.json').write_text(json.dumps(summary, indent=2, default=str))
    spectrum = node.outputs.alpha2f.alpha2f.to_alpha2f(int(summary.get('smearing_index') or 0))
    plot_alpha2f(spectrum).figure.savefig(output_dir / 'alpha2f.png', dpi=150)
    plot_partial_alpha2f(spectrum).figure.savefig(output_dir / 'partials.png', dpi=150)
    derivative = tc_functional_derivative(spectrum, mu_star=float(summary.get('mu_star') or 0.1))
    plot_tc_derivative(spectrum, derivative.omega_mev, derivative.dtc_da2f_k_per_mev, derivative.tc_k).figure.savefig(
        output_dir / 'derivative.png', dpi=150
    )

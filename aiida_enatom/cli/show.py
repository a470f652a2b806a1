"""``aiida-enatom show``: headline numbers of a pressure point, an α²F or an enatom WorkChain."""

from __future__ import annotations

import json
import math
from typing import Any

import click
from aiida.cmdline.utils import decorators, echo

#: Keys printed first (and always present in ``--json``, ``null`` when unknown) for α²F results.
HEADLINE = (
    'lambda',
    'omega_log_meV',
    'omega_1_meV',
    'omega_2_meV',
    'area_meV',
    'tc_mcmillan_K',
    'tc_allen_dynes_K',
    'tc_leavens_carbotte_K',
    'tc_eliashberg_K',
    'mu_star',
    'pressure_GPa',
    'dynamically_stable',
    'lowest_frequency_meV',
    'lambda_H',
    'lambda_M',
    'omega_2_H_meV',
    'omega_2_M_meV',
    'area_H_meV',
    'area_M_meV',
    'N_H_0_states_per_eV_spin',
    'N_M_0_states_per_eV_spin',
    'I2_H_eV2_per_A2',
    'I2_M_eV2_per_A2',
    'eta_H_eV_per_A2',
    'eta_M_eV_per_A2',
)


def summarise_alpha2f(node) -> dict[str, Any]:
    """Return the metrics of an ``enatom.pressure_point`` or ``enatom.alpha2f`` node as one flat dict.

    Only reads stored outputs (no computation): the ``metrics`` Dict, plus ``pressure`` (GPa) and the target pressure
    for a pressure point.
    """
    outputs = node.outputs
    metrics_node = None
    if 'alpha2f' in outputs and 'metrics' in outputs.alpha2f:
        metrics_node = outputs.alpha2f.metrics
    elif 'metrics' in outputs:
        metrics_node = outputs.metrics
    metrics = metrics_node.get_dict() if metrics_node is not None else {}
    summary: dict[str, Any] = {key: metrics.get(key) for key in HEADLINE}
    summary['pressure_GPa'] = outputs.pressure.value if 'pressure' in outputs else None
    if 'pressure' in node.inputs:
        summary['target_pressure_GPa'] = node.inputs.pressure.value
    summary.update({key: value for key, value in metrics.items() if key not in summary})
    summary.update(
        pk=node.pk,
        process_label=node.process_label,
        process_state=node.process_state.value if node.process_state else None,
        exit_status=node.exit_status,
        exit_message=node.exit_message,
    )
    return summary


def _format(value: Any) -> str:
    if isinstance(value, float):
        return 'nan' if math.isnan(value) else f'{value:.4g}'
    if isinstance(value, list):
        return '[' + ', '.join(_format(item) for item in value) + ']'
    return str(value)


@click.command('show')
@click.argument('pk', type=int)
@click.option('--json', 'as_json', is_flag=True, help='Print one JSON object instead of a table.')
@decorators.with_dbenv()
def cmd_show(pk: int, as_json: bool):
    """Print the metrics of the process PK (enatom.pressure_point, enatom.alpha2f or enatom.enatom)."""
    from aiida import orm
    from aiida.common.exceptions import NotExistent

    try:
        node = orm.load_node(pk)
    except NotExistent:
        echo.echo_critical(f'no node with PK {pk} in this profile')
    process_type = getattr(node, 'process_type', None) or ''
    if process_type.endswith(('enatom.pressure_point', 'enatom.alpha2f')):
        summary = summarise_alpha2f(node)
    elif process_type.endswith('enatom.enatom'):
        from aiida_enatom.cli.summary_enatom import summarise

        summary = summarise(node)
    else:
        kind = process_type or type(node).__name__
        echo.echo_critical(
            f'node {pk} is a {kind}, not an enatom.pressure_point, enatom.alpha2f or enatom.enatom process'
        )
    if as_json:
        echo.echo(json.dumps(summary, indent=2, default=str))
        return
    width = max(len(key) for key in summary)
    for key, value in summary.items():
        echo.echo(f'{key:<{width}}  {_format(value)}')

"""Read the results of one process node: the record of a pressure point, the metrics of an α²F WorkChain.

The record itself (keys, units, status rules) is defined in :mod:`aiida_enatom.common.record`; this module only
finds it on a node and adds the node's identity (``pk``, ``uuid``, process state, exit status).
"""

from __future__ import annotations

from typing import Any

from aiida import orm

from aiida_enatom.common.record import check_schema_version

__all__ = ('HEADLINE', 'can_rank', 'point_record', 'summarise')

#: Keys printed first by ``show`` (and always present in ``show --json``, ``null`` when unknown).
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
    'tc_allen_dynes_H_K',
    'tc_eliashberg_H_K',
    'tc_leavens_carbotte_H_K',
    'delta_tc_eliashberg_K',
    'status',
    'rankable',
)


def point_record(node: orm.ProcessNode) -> dict[str, Any] | None:
    """Return the results record of a pressure point, or None if it has none (failed, running, or an old run).

    Raises
    ------
    aiida_enatom.exceptions.InputValidationError
        If the stored record has a schema version this code cannot read.
    """
    if 'results' not in node.outputs:
        return None
    record = node.outputs.results.get_dict()
    check_schema_version(record, f'results record of {node.process_label}<{node.pk}>')
    return record


def _metrics(node: orm.ProcessNode) -> dict[str, Any]:
    outputs = node.outputs
    if 'alpha2f' in outputs and 'metrics' in outputs.alpha2f:
        return outputs.alpha2f.metrics.get_dict()
    if 'metrics' in outputs:
        return outputs.metrics.get_dict()
    return {}


def summarise(node: orm.ProcessNode) -> dict[str, Any]:
    """Return the flat summary of an ``enatom.pressure_point`` or ``enatom.alpha2f`` node.

    A pressure point with a results record returns the record; one without (failed, or stored before records
    existed) returns its metrics and pressures. Either way the :data:`HEADLINE` keys come first (None when
    unknown), then every other key, then ``pk``, ``uuid``, ``process_label``, ``process_state``, ``exit_status``
    and ``exit_message``. Only stored outputs are read; nothing is computed.
    """
    record = point_record(node)
    if record is None:
        record = _metrics(node)
        if 'pressure' in node.outputs:
            record['pressure_GPa'] = node.outputs.pressure.value
        if 'pressure' in node.inputs:
            record['target_pressure_GPa'] = node.inputs.pressure.value
    summary: dict[str, Any] = {key: record.get(key) for key in HEADLINE}
    summary.update({key: value for key, value in record.items() if key not in summary})
    summary.update(
        pk=node.pk,
        uuid=node.uuid,
        process_label=node.process_label,
        process_state=node.process_state.value if node.process_state else None,
        exit_status=node.exit_status,
        exit_message=node.exit_message,
    )
    return summary


def can_rank(summary: dict[str, Any]) -> bool:
    """Return whether a point may rank: it has a record whose status is ``ok`` (stable, sum rule passed)."""
    return bool(summary.get('rankable'))

"""The table of a pressure sweep: one row per pressure with its status and rankable numbers (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ('SWEEP_COLUMNS', 'sweep_table')

#: Columns of a sweep table, in order (record keys, plus ``relax_steps`` and ``reason``).
SWEEP_COLUMNS = (
    'target_pressure_GPa',
    'pressure_GPa',
    'status',
    'rankable',
    'relax_steps',
    'lambda',
    'lambda_H',
    'area_meV',
    'area_H_meV',
    'I2_H_eV2_per_A2',
    'eta_H_eV_per_A2',
    'omega_log_meV',
    'tc_mcmillan_K',
    'tc_allen_dynes_K',
    'tc_leavens_carbotte_K',
    'tc_eliashberg_K',
    'tc_allen_dynes_H_K',
    'tc_leavens_carbotte_H_K',
    'tc_eliashberg_H_K',
    'delta_tc_eliashberg_K',
    'dynamically_stable',
    'lowest_frequency_meV',
    'reason',
)


def sweep_table(sweep: Mapping[str, Any], records: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Return ``{'columns': SWEEP_COLUMNS, 'rows': [...]}`` with one row per target pressure, ascending.

    Parameters
    ----------
    sweep : mapping
        ``pressures_GPa`` (key → target pressure, GPa), ``relax_steps`` (key → ionic steps), ``failed``
        (key → reason).
    records : mapping
        Results record per key; a key without a record gets status ``failed`` (or ``not run``) and its reason.
    """
    pressures = dict(sweep.get('pressures_GPa', {}))
    steps = dict(sweep.get('relax_steps', {}))
    failed = dict(sweep.get('failed', {}))
    rows = []
    for key in sorted(pressures, key=lambda k: pressures[k]):
        record = dict(records.get(key, {}))
        row = {column: record.get(column) for column in SWEEP_COLUMNS}
        row['target_pressure_GPa'] = pressures[key]
        row['relax_steps'] = steps.get(key)
        if not record:
            row['status'] = 'failed' if key in failed else 'not run'
            row['rankable'] = False
        row['reason'] = failed.get(key)
        rows.append(row)
    return {'columns': list(SWEEP_COLUMNS), 'rows': rows}

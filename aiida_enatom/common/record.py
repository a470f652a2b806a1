"""The per-point results record: one flat, versioned, JSON-able dict per pressure point, built for queries.

A pressure point's record is the single place every ranking, export, plot and ``show`` reads from. It holds every
rankable number (the metrics of :func:`~aiida_enatom.numerics.metrics.analyse_spectrum` and
:func:`~aiida_enatom.numerics.species_metrics.species_metrics`, keys unchanged) **and** the context a query needs
(formula, candidate, pressures, protocol, μ*, stability, status), so that a database query never has to walk the
process tree. Keys carry their unit as a suffix (``_meV``, ``_K``, ``_GPa``, ``_eV2_per_A2``, …); the full list,
with units, is :data:`CONTEXT_FIELDS` plus the metric keys documented in ``docs/results.md``.

``schema_version`` is bumped whenever a key changes meaning or unit; a reader must check it
(:func:`check_schema_version`). Version history:

1. first version (context keys below; per-species and aggregated ``_M`` keys; T_c of the H and M partials by every
   route; ``delta_tc_<route>_K``). Keys added later without changing an existing one keep version 1: the enatom
   stage's plane-wave split of I² (``I2_<s>_pw_*``, ``I2_<s>_backflow_share*``, ``pw_*``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from aiida_enatom.exceptions import InputValidationError

__all__ = (
    'CONTEXT_FIELDS',
    'RANK_KEYS',
    'SCHEMA_VERSION',
    'STATUSES',
    'SUMMARY_KEYS',
    'SUMMARY_LINK',
    'TABLE_COLUMNS',
    'build_record',
    'check_schema_version',
    'point_status',
    'record_summary',
)

SCHEMA_VERSION = 1

#: Point states stored in a record. Only ``'ok'`` ranks; the others keep their data and are shown when asked.
STATUSES = {
    'ok': 'finished, dynamically stable, species partials sum to λ',
    'unstable': 'imaginary phonon modes (the stability verdict says which evidence decided it)',
    'sum_rule_failed': 'the species partials do not reproduce matdyn.x λ within the tolerance',
}

#: Context keys of a record: key → (unit or '', meaning).
CONTEXT_FIELDS: dict[str, tuple[str, str]] = {
    'schema_version': ('', 'version of this record layout (an integer)'),
    'formula': ('', 'reduced formula of the relaxed structure, e.g. H3S'),
    'candidate': ('', 'candidate label (campaign file) or the formula'),
    'protocol': ('', 'protocol of the point (test, fast, balanced, stringent) or "custom"'),
    'target_pressure_GPa': ('GPa', 'pressure asked for (CELL.press of the vc-relax)'),
    'pressure_GPa': ('GPa', 'pressure of the relaxed cell (final SCF stress)'),
    'number_of_atoms': ('', 'atoms in the relaxed (primitive) cell'),
    'volume_per_atom_A3': ('Å³', 'volume of the relaxed cell per atom'),
    'mu_star': ('', 'Coulomb pseudopotential μ* of every T_c, read in mu_star_convention'),
    'mu_star_convention': (
        '',
        'where μ* is quoted in the Eliashberg solver: ten_omega_max (at 10 ω_max, rescaled to the Matsubara cutoff), '
        "cutoff (applied at the cutoff, EPW's muc) or omega_log",
    ),
    'status': ('', 'one of ' + ', '.join(STATUSES)),
    'rankable': ('', 'true only for status "ok": the point enters rankings'),
    'dynamically_stable': ('', 'the stability verdict'),
    'stability_evidence': ('', 'what decided the verdict (ph_grid, interpolated_mesh or direct_q)'),
    'lowest_frequency_meV': ('meV', 'lowest phonon frequency behind the verdict (negative = imaginary)'),
}

#: ``rank --by`` choices → record key (all ranked in descending order).
RANK_KEYS: dict[str, str] = {
    'area_H': 'area_H_meV',
    'area': 'area_meV',
    'I2_H': 'I2_H_eV2_per_A2',
    'tc_eliashberg': 'tc_eliashberg_K',
    'tc_eliashberg_H': 'tc_eliashberg_H_K',
    'tc_allen_dynes': 'tc_allen_dynes_K',
    'lambda_H': 'lambda_H',
}


#: Columns of ``rank`` and ``export --format csv`` (record keys; ``uuid`` and ``pk`` are added).
TABLE_COLUMNS = (
    'formula',
    'candidate',
    'target_pressure_GPa',
    'pressure_GPa',
    'protocol',
    'status',
    'lambda',
    'lambda_H',
    'area_meV',
    'area_H_meV',
    'I2_H_eV2_per_A2',
    'eta_H_eV_per_A2',
    'tc_allen_dynes_K',
    'tc_eliashberg_K',
    'tc_eliashberg_H_K',
    'tc_leavens_carbotte_H_K',
    'delta_tc_eliashberg_K',
    'lowest_frequency_meV',
)

#: Output link label of the record's summary: a small copy of its table columns, rank keys and status, written by the
#: same calcfunction. Rankings query it: a record of ~150 keys is stored out of line by PostgreSQL (TOAST) and
#: decompressed for every key a query reads. The record stays the full result.
SUMMARY_LINK = 'results_summary'
SUMMARY_KEYS = tuple(
    dict.fromkeys((*TABLE_COLUMNS, *RANK_KEYS.values(), 'rankable', 'schema_version', 'mu_star', 'smearing_index'))
)


def record_summary(record: Mapping[str, Any]) -> dict[str, Any]:
    """Return the :data:`SUMMARY_KEYS` of a record (None where absent)."""
    return {key: record.get(key) for key in SUMMARY_KEYS}


def point_status(dynamically_stable: bool, sum_rule_passed: bool) -> str:
    """Return the record status: instability takes precedence over the partial sum rule."""
    if not dynamically_stable:
        return 'unstable'
    if not sum_rule_passed:
        return 'sum_rule_failed'
    return 'ok'


def _finite_or_none(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_finite_or_none(item) for item in value]
    return value


def build_record(
    metrics: Mapping[str, Any],
    stability: Mapping[str, Any],
    *,
    formula: str,
    candidate: str | None,
    protocol: str | None,
    target_pressure_gpa: float | None,
    pressure_gpa: float,
    number_of_atoms: int,
    volume_a3: float,
    plane_wave: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the results record of one pressure point.

    Parameters
    ----------
    metrics : mapping
        The ``metrics`` of the α²F stage (every key is kept with its name and unit).
    stability : mapping
        The stability verdict: ``dynamically_stable``, ``lowest_frequency_meV`` and optionally ``evidence``.
    formula : str
        Reduced formula of the relaxed structure.
    candidate : str or None
        Candidate label; the formula when None.
    protocol : str or None
        Protocol name; ``'custom'`` when None.
    target_pressure_gpa : float or None
        Target pressure (GPa); None when the point was not relaxed at a target.
    pressure_gpa : float
        Pressure of the relaxed cell (GPa).
    number_of_atoms : int
        Atoms in the cell.
    volume_a3 : float
        Cell volume in Å³.
    plane_wave : mapping, optional
        ``plane_wave`` of the enatom stage (the rigid/backflow split of I² with plane waves); its flat keys are
        copied (not the per-atom ``pw_atoms``) and ``I2_<s>_pw_route2_ratio`` = ``I2_<s>_pw_eV2_per_A2`` /
        ``I2_<s>_route2_eV2_per_A2`` is added where both exist.

    Returns
    -------
    dict
        Flat and JSON-able; non-finite floats become None (JSON has no NaN; SQL comparisons need numbers or NULL).

    Raises
    ------
    InputValidationError
        If ``metrics`` lacks ``lambda`` or ``mu_star``, or the stability verdict is missing.
    """
    for key in ('lambda', 'mu_star'):
        if key not in metrics:
            raise InputValidationError(f'metrics lack {key!r}; they must come from the alpha2f stage')
    if 'dynamically_stable' not in stability:
        raise InputValidationError('the stability verdict lacks "dynamically_stable"')
    if number_of_atoms <= 0 or not volume_a3 > 0:
        raise InputValidationError(f'number_of_atoms = {number_of_atoms}, volume = {volume_a3} Å³: both must be > 0')
    stable = bool(stability['dynamically_stable'])
    status = point_status(stable, bool(metrics.get('partial_sum_rule_passed', True)))
    record: dict[str, Any] = {key: _finite_or_none(value) for key, value in metrics.items()}
    record.update(
        schema_version=SCHEMA_VERSION,
        formula=formula,
        candidate=candidate or formula,
        protocol=protocol or 'custom',
        target_pressure_GPa=None if target_pressure_gpa is None else float(target_pressure_gpa),
        pressure_GPa=float(pressure_gpa),
        number_of_atoms=int(number_of_atoms),
        volume_per_atom_A3=float(volume_a3) / int(number_of_atoms),
        mu_star=float(metrics['mu_star']),
        # metrics made before the convention was a parameter all used ten_omega_max
        mu_star_convention=str(metrics.get('mu_star_convention', 'ten_omega_max')),
        status=status,
        rankable=status == 'ok',
        dynamically_stable=stable,
        stability_evidence=stability.get('evidence'),
        lowest_frequency_meV=_finite_or_none(float(stability.get('lowest_frequency_meV', math.nan))),
    )
    if plane_wave is not None:
        for key, value in plane_wave.items():
            if key != 'pw_atoms':
                record[key] = _finite_or_none(value)
            if key.startswith('I2_') and key.endswith('_pw_eV2_per_A2'):
                species = key[len('I2_') : -len('_pw_eV2_per_A2')]
                route2 = record.get(f'I2_{species}_route2_eV2_per_A2')
                record[f'I2_{species}_pw_route2_ratio'] = value / route2 if route2 and value is not None else None
    return record


def check_schema_version(record: Mapping[str, Any], source: str = 'record') -> int:
    """Return the record's schema version, raising if this code cannot read it.

    Raises
    ------
    InputValidationError
        If ``schema_version`` is missing or newer than :data:`SCHEMA_VERSION` (upgrade aiida-enatom to read it).
    """
    version = record.get('schema_version')
    if not isinstance(version, int) or version < 1:
        raise InputValidationError(f'{source}: no valid schema_version (found {version!r}); not a results record')
    if version > SCHEMA_VERSION:
        raise InputValidationError(
            f'{source}: schema_version {version} is newer than this aiida-enatom reads ({SCHEMA_VERSION}); upgrade'
        )
    return version

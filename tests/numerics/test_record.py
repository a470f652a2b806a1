"""The results record: context keys, status rules, JSON-safety and the schema version check."""

from __future__ import annotations

import json
import math

import pytest

from aiida_enatom.common.record import (
    CONTEXT_FIELDS,
    RANK_KEYS,
    SCHEMA_VERSION,
    build_record,
    check_schema_version,
    point_status,
)
from aiida_enatom.exceptions import InputValidationError

METRICS = {'lambda': 2.5, 'mu_star': 0.1, 'area_H_meV': 120.0, 'omega_log_meV': 90.0, 'partial_sum_rule_passed': True}


def _record(**overrides):
    stability = overrides.pop('stability', {'dynamically_stable': True, 'lowest_frequency_meV': 30.0})
    metrics = {**METRICS, **overrides.pop('metrics', {})}
    kwargs = dict(
        formula='H3S',
        candidate=None,
        protocol='fast',
        target_pressure_gpa=200.0,
        pressure_gpa=199.6,
        number_of_atoms=4,
        volume_a3=13.3,
    )
    kwargs.update(overrides)
    return build_record(metrics, stability, **kwargs)


def test_context_and_metrics_are_kept():
    record = _record()
    assert set(CONTEXT_FIELDS) <= set(record)
    assert record['schema_version'] == SCHEMA_VERSION
    assert record['candidate'] == 'H3S'  # defaults to the formula
    assert record['volume_per_atom_A3'] == pytest.approx(13.3 / 4)
    assert record['area_H_meV'] == 120.0 and record['status'] == 'ok' and record['rankable'] is True
    assert record['mu_star_convention'] == 'ten_omega_max'  # metrics from before the convention was recorded
    assert _record(metrics={'mu_star_convention': 'cutoff'})['mu_star_convention'] == 'cutoff'
    json.dumps(record, allow_nan=False)  # strictly JSON


def test_status_rules():
    assert point_status(True, True) == 'ok'
    assert point_status(False, False) == 'unstable'  # instability takes precedence
    assert point_status(True, False) == 'sum_rule_failed'
    unstable = _record(stability={'dynamically_stable': False, 'lowest_frequency_meV': -20.0, 'evidence': 'direct_q'})
    assert (unstable['status'], unstable['rankable'], unstable['stability_evidence']) == ('unstable', False, 'direct_q')
    failed = _record(metrics={'partial_sum_rule_passed': False})
    assert failed['status'] == 'sum_rule_failed' and not failed['rankable']


def test_non_finite_values_become_null():
    record = _record(metrics={'tc_eliashberg_K': math.nan, 'lambda_per_smearing': [1.0, math.inf]})
    assert record['tc_eliashberg_K'] is None and record['lambda_per_smearing'] == [1.0, None]


def test_rank_keys_name_record_keys():
    assert set(RANK_KEYS) == {
        'area_H',
        'area',
        'I2_H',
        'tc_eliashberg',
        'tc_eliashberg_H',
        'tc_allen_dynes',
        'lambda_H',
    }


@pytest.mark.parametrize(
    ('record', 'message'),
    [({}, 'no valid schema_version'), ({'schema_version': 'x'}, 'no valid'), ({'schema_version': 99}, 'newer')],
)
def test_schema_version_check(record, message):
    with pytest.raises(InputValidationError, match=message):
        check_schema_version(record, 'node 7')
    assert check_schema_version({'schema_version': 1}) == 1


def test_bad_input():
    with pytest.raises(InputValidationError, match="metrics lack 'lambda'"):
        build_record(
            {'mu_star': 0.1},
            {'dynamically_stable': True},
            formula='H3S',
            candidate=None,
            protocol=None,
            target_pressure_gpa=None,
            pressure_gpa=1.0,
            number_of_atoms=1,
            volume_a3=1.0,
        )
    with pytest.raises(InputValidationError, match='dynamically_stable'):
        _record(stability={})
    with pytest.raises(InputValidationError, match='must be > 0'):
        _record(number_of_atoms=0)

"""Pure parts of the ph.x split by q (no AiiDA): the on/off rule, the gathering instructions, the merged output."""

from __future__ import annotations

import pytest

from aiida_enatom.common.ph_split import (
    expected_files,
    gather_instructions,
    merge_q_parameters,
    missing_files,
    resolve_split,
    source_label,
    split_by_default,
)
from aiida_enatom.exceptions import InputValidationError


@pytest.mark.parametrize(
    ('scheduler', 'num_machines', 'expected'),
    [
        ('core.direct', 1, False),
        ('core.direct', 4, False),  # a workstation: every job shares the same cores
        ('core.slurm', 1, False),  # one node's worth of ranks: one ph.x job
        ('core.slurm', 2, True),
        ('core.pbspro', 3, True),
    ],
)
def test_default_rule(scheduler, num_machines, expected):
    assert split_by_default(scheduler, num_machines) is expected
    assert resolve_split('auto', scheduler, num_machines) is expected
    assert resolve_split(True, scheduler, num_machines) is True
    assert resolve_split(False, scheduler, num_machines) is False


@pytest.mark.parametrize('value', ['yes', 1, None, 'Auto'])
def test_resolve_refuses(value):
    with pytest.raises(InputValidationError, match='ph_split_by_q'):
        resolve_split(value, 'core.slurm', 2)


def test_gather_instructions_elph():
    instructions = gather_instructions([1, 2, 3], electron_phonon=True)
    assert instructions['retrieve_files'] is False
    assert instructions['remote_files'] == [
        ('q_0001', 'DYN_MAT', 'DYN_MAT'),
        ('q_0001', 'elph_dir', 'elph_dir'),
        ('q_0002', 'DYN_MAT/dynamical-matrix-2', 'DYN_MAT/dynamical-matrix-2'),
        ('q_0002', 'elph_dir/*.2', 'elph_dir'),
        ('q_0003', 'DYN_MAT/dynamical-matrix-3', 'DYN_MAT/dynamical-matrix-3'),
        ('q_0003', 'elph_dir/*.3', 'elph_dir'),
    ]


def test_gather_instructions_phonons_only():
    remote = gather_instructions([1, 2], electron_phonon=False)['remote_files']
    assert all('elph_dir' not in source for _, source, _ in remote)
    assert len(remote) == 2


@pytest.mark.parametrize('indices', [[], [2, 3], [1, 3], [2, 1]])
def test_gather_instructions_refuses_gaps(indices):
    with pytest.raises(InputValidationError):
        gather_instructions(indices, electron_phonon=True)


def test_expected_and_missing_files():
    expected = expected_files([1, 2], n_sigma=2)
    assert expected['DYN_MAT'] == ['dynamical-matrix-0', 'dynamical-matrix-1', 'dynamical-matrix-2']
    assert expected['elph_dir'] == sorted(
        ['elph.inp_lambda.1', 'elph.inp_lambda.2', 'a2Fq2r.51.1', 'a2Fq2r.52.1', 'a2Fq2r.51.2', 'a2Fq2r.52.2']
    )
    present = {key: list(value) for key, value in expected.items()}
    assert missing_files(expected, present) == []
    present['elph_dir'].remove('a2Fq2r.52.2')
    present['DYN_MAT'] = []
    assert missing_files(expected, present) == [
        'DYN_MAT/dynamical-matrix-0',
        'DYN_MAT/dynamical-matrix-1',
        'DYN_MAT/dynamical-matrix-2',
        'elph_dir/a2Fq2r.52.2',
    ]
    assert 'elph_dir' not in expected_files([1], n_sigma=None)


def _q_output(q_point, frequencies, irreps, wall):
    """What aiida-quantumespresso's parser gives for a start_q = last_q run: the matrix is dynamical_matrix_1."""
    return {
        'dynamical_matrix_1': {'q_point': q_point, 'frequencies': frequencies},
        'number_of_qpoints': 3,
        'number_of_irr_representations_for_each_q': [irreps],
        'wall_time_seconds': wall,
        'code_version': '6.7MaX',
    }


def test_merge_renames_by_q_index():
    outputs = {
        1: _q_output([0, 0, 0], [0.1, 0.1, 0.1], 1, 2.0),
        2: _q_output([0.5, -0.5, 0.5], [150.0, 150.0, 300.0], 2, 3.0),
        3: _q_output([0, -1, 0], [200.0, 200.0, 310.0], 2, 4.0),
    }
    merged = merge_q_parameters(outputs, 3)
    assert merged['dynamical_matrix_2']['q_point'] == [0.5, -0.5, 0.5]
    assert merged['dynamical_matrix_3']['frequencies'] == [200.0, 200.0, 310.0]
    assert merged['number_of_irr_representations_for_each_q'] == [1, 2, 2]
    assert merged['wall_time_seconds'] == 9.0
    assert merged['number_of_qpoints'] == 3
    assert merged['code_version'] == '6.7MaX'
    assert sorted(key for key in merged if key.startswith('dynamical_matrix_')) == [
        f'dynamical_matrix_{index}' for index in (1, 2, 3)
    ]


def test_merge_refuses_missing_q_and_ambiguous_runs():
    outputs = {1: _q_output([0, 0, 0], [0.1], 1, 1.0), 3: _q_output([0, -1, 0], [1.0], 1, 1.0)}
    with pytest.raises(InputValidationError, match='expected 1 to 3'):
        merge_q_parameters(outputs, 3)
    outputs[2] = {'number_of_qpoints': 3}  # a run without its dynamical matrix
    with pytest.raises(InputValidationError, match='q-point 2 has 0 dynamical matrices'):
        merge_q_parameters(outputs, 3)


def test_source_label_sorts_in_q_order():
    labels = [source_label(index) for index in (1, 2, 10, 100)]
    assert labels == sorted(labels) == ['q_0001', 'q_0002', 'q_0010', 'q_0100']

"""Tests of ``aiida-enatom launch enatom``, ``export-enatom`` and the summary used by ``show``."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from aiida_enatom.cli.export import cmd_export_enatom
from aiida_enatom.cli.launch_enatom import cmd_launch_enatom
from aiida_enatom.cli.summary_enatom import summarise

AL_CIF = 'examples/structures/Al_fcc.cif'


@pytest.fixture
def launched(monkeypatch):
    """Capture the builder passed to ``launch_process`` instead of running it."""
    from aiida_enatom.cli import utils

    captured = {}
    monkeypatch.setattr(
        utils, 'launch_process', lambda builder, daemon: captured.update(builder=builder, daemon=daemon)
    )
    return captured


def _code_options(codes):
    return ['--pw-code', codes['pw'].full_label, '--pp-code', codes['pp'].full_label]


def test_launch_builds_inputs(enatom_codes, al_family, launched):
    """The launch command maps its options onto the builder."""
    result = CliRunner().invoke(
        cmd_launch_enatom,
        [
            AL_CIF,
            '--supercell',
            '2',
            '2',
            '2',
            '--displacement',
            '0.02',
            '--protocol',
            'test',
            '--pseudo-family',
            al_family.label,
            *_code_options(enatom_codes),
        ],
    )
    assert result.exit_code == 0, result.output
    builder = launched['builder']
    assert builder.supercell_matrix.get_list() == [[2, 0, 0], [0, 2, 0], [0, 0, 2]]
    assert builder.displacement_amplitude.value == 0.02
    assert launched['daemon'] is False


@pytest.mark.parametrize(
    ('options', 'message'),
    [
        (['--supercell', '2', '2', '2', '--min-image', '6'], 'not both'),
        (['--displacement', '0.5'], 'outside the allowed range'),
        (['--displacement', '0'], 'outside the allowed range'),
        (['--min-image', '-1'], 'must be positive'),
        (['--pw-code', 'nonexistent@nowhere'], 'cannot load the pw.x code'),
    ],
)
def test_launch_bad_input(enatom_codes, launched, options, message):
    """Bad input: one clear line and a non-zero exit status."""
    result = CliRunner().invoke(cmd_launch_enatom, [AL_CIF, '--pp-code', enatom_codes['pp'].full_label, *options])
    assert result.exit_code != 0
    assert message in result.output
    lines = result.output.strip().splitlines()  # an informational Report line about the cell may come first
    assert [line for line in lines if not line.startswith('Report:')] == lines[-1:]
    assert 'Traceback' not in result.output
    assert 'builder' not in launched


def test_summary(al_enatom_node):
    """The summary has the headline keys of ``aiida-enatom show --json``."""
    summary = summarise(al_enatom_node)
    for key in (
        'n_supercell_scf',
        'sum_rule_rigid_residual',
        'sum_rule_backflow_residual',
        'linearity_error',
        'backflow_to_rigid_ratio_Al',
        'tail_Al',
    ):
        assert key in summary
    json.dumps(summary)


@pytest.mark.parametrize('fmt', ['xsf', 'cube'])
def test_export(al_enatom_node, tmp_path, fmt):
    """export-enatom writes readable grids of the right shape."""
    result = CliRunner().invoke(cmd_export_enatom, [str(al_enatom_node.pk), '--format', fmt, '-o', str(tmp_path)])
    assert result.exit_code == 0, result.output
    files = sorted(tmp_path.iterdir())
    assert files
    grid = al_enatom_node.outputs.fft_grid.get_list()
    if fmt == 'xsf':
        from aiida_enatom.io.xsf import parse_xsf_grids

        grids = parse_xsf_grids(files[0])
        assert grids['rigid_total'].shape == tuple(grid)
        expected = al_enatom_node.outputs.atoms.atom_00.rigid.get_array('total')
        assert np.allclose(grids['rigid_total'], expected, atol=1e-6)
    else:
        from aiida_enatom.io.cube import parse_cube

        assert parse_cube(files[0]).data.shape == tuple(grid)


def test_export_wrong_node(aiida_profile, tmp_path):
    """Exporting a node that is not an enatom WorkChain fails with one line."""
    from aiida import orm

    node = orm.Int(1).store()
    result = CliRunner().invoke(cmd_export_enatom, [str(node.pk), '-o', str(tmp_path)])
    assert result.exit_code != 0
    assert 'not an enatom.enatom WorkChain' in result.output

"""``aiida-enatom launch point`` and ``aiida-enatom show``: builders, PK output, JSON, one-line errors."""

from __future__ import annotations

import json

import pytest
from aiida import orm
from aiida.common import LinkType
from click.testing import CliRunner
from plumpy import ProcessState

from aiida_enatom.cli import utils
from aiida_enatom.cli.launch_point import cmd_launch_point
from aiida_enatom.cli.show import HEADLINE, cmd_show

from ..workflows.conftest import CODE_ROLES, h3s, install_family
from ..workflows.conftest import POSCAR_H3S as POSCAR


@pytest.fixture
def code_options(qe_codes, tmp_path_factory):
    install_family(tmp_path_factory.mktemp('upf'))
    options = []
    for role, executable in CODE_ROLES.items():
        if role != 'pp':
            options += [f'--{role}-code', qe_codes[executable].full_label]
    return options


@pytest.fixture
def captured(monkeypatch):
    launched = {}

    def fake_launch(builder, daemon):
        launched.update(builder=builder, daemon=daemon)
        print(12345)

    monkeypatch.setattr(utils, 'launch_process', fake_launch)
    return launched


def test_launch_point(tmp_path, code_options, captured):
    structure = tmp_path / 'POSCAR'
    structure.write_text(POSCAR)
    args = [str(structure), '--pressure', '150', '--protocol', 'fast', '--mu-star', '0.12', *code_options, '-d']
    result = CliRunner().invoke(cmd_launch_point, args)
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == '12345'
    builder = captured['builder']
    assert captured['daemon'] is True
    assert builder.pressure.value == 150.0
    assert builder.relax.base_relax.pw.parameters['CELL']['press'] == pytest.approx(1500.0)
    assert builder.alpha2f.mu_star.value == 0.12
    assert builder.structure.get_formula() == 'H3S'


def test_launch_point_run_options(tmp_path, code_options, captured, qe_codes):
    """``--options`` reaches every CalcJob's ``metadata.options`` and the pools of pw.x and ph.x (inline or a file)."""
    structure = tmp_path / 'POSCAR'
    structure.write_text(POSCAR)
    options = tmp_path / 'options.yaml'
    options.write_text('num_machines: 2\nmpiprocs_per_machine: 8\nwalltime: 01:30:00\nqueue: compute\npools: 4\n')
    pp_code = qe_codes[CODE_ROLES['pp']].full_label
    for value in (str(options), '{num_machines: 2, mpiprocs_per_machine: 8, walltime: 5400, queue: compute, pools: 4}'):
        args = [
            str(structure),
            '--pressure',
            '150',
            *code_options,
            '--enatom',
            '--pp-code',
            pp_code,
            '--options',
            value,
        ]
        result = CliRunner().invoke(cmd_launch_point, args)
        assert result.exit_code == 0, result.output
        builder = captured['builder']
        for calc_options in (
            builder.relax.base_relax.pw.metadata.options,
            builder.alpha2f.scf.pw.metadata.options,
            builder.alpha2f.ph.ph.metadata.options,
            builder.enatom.scf.pw.metadata.options,
        ):
            assert calc_options['resources'] == {'num_machines': 2, 'num_mpiprocs_per_machine': 8}
            assert calc_options['max_wallclock_seconds'] == 5400
            assert calc_options['queue_name'] == 'compute'
        assert builder.relax.base_relax.pw.parallelization['npool'] == 4
        assert builder.alpha2f.scf.pw.parallelization['npool'] == 4
        assert builder.alpha2f.ph.ph.settings['CMDLINE'] == ['-nk', '4']
        assert builder.enatom.scf.pw.parallelization['npool'] == 4


@pytest.mark.parametrize(
    ('value', 'match'),
    [
        ('walltime: soon', "--options: walltime 'soon' is not a duration"),
        ('{queue: "a;reboot"}', "--options: queue = 'a;reboot' is not a scheduler name"),
        ('{cores: 4}', '--options: unknown run option(s) cores; valid: num_machines'),
        ('[1, 2]', "--options: '[1, 2]' is not a mapping"),
        ('{mpiprocs_per_machine: 3}', 'mpiprocs_per_machine 3 is not a multiple of the 2 k-point pools'),
        ('{mpiprocs_per_machine: 6, pools: 4}', 'mpiprocs_per_machine 6 is not a multiple of the 4 k-point pools'),
    ],
)
def test_launch_point_bad_run_options(tmp_path, code_options, captured, value, match):
    structure = tmp_path / 'POSCAR'
    structure.write_text(POSCAR)
    before = orm.QueryBuilder().append(orm.Node).count()
    result = CliRunner().invoke(
        cmd_launch_point, [str(structure), '--pressure', '150', *code_options, '--options', value]
    )
    assert result.exit_code != 0
    assert match in result.output
    assert len(result.output.strip().splitlines()) == 1 and 'Traceback' not in result.output
    assert not captured
    assert orm.QueryBuilder().append(orm.Node).count() == before


def test_launch_point_enatom(tmp_path, code_options, captured, qe_codes):
    structure = tmp_path / 'POSCAR'
    structure.write_text(POSCAR)
    pp_code = qe_codes[CODE_ROLES['pp']].full_label
    args = [str(structure), '--pressure', '150', '--protocol', 'fast', *code_options, '--enatom', '--pp-code', pp_code]
    result = CliRunner().invoke(cmd_launch_point, args)
    assert result.exit_code == 0, result.output
    builder = captured['builder']
    assert builder.run_enatom.value is True
    assert builder.enatom.pp.code.full_label == pp_code
    assert 'structure' not in builder.enatom


def test_launch_point_enatom_off_ignores_pp_code(tmp_path, code_options, captured):
    structure = tmp_path / 'POSCAR'
    structure.write_text(POSCAR)
    args = [str(structure), '--pressure', '150', *code_options, '--pp-code', 'nope@nowhere']
    result = CliRunner().invoke(cmd_launch_point, args)
    assert result.exit_code == 0, result.output
    assert captured['builder'].run_enatom.value is False


@pytest.mark.parametrize(
    ('content', 'extra', 'match'),
    [
        ('not a structure', [], 'not a readable structure file'),
        (POSCAR, ['--pw-code', 'nope@nowhere'], 'cannot load the pw.x code'),
        (POSCAR, ['--enatom', '--pp-code', 'nope@nowhere'], 'cannot load the pp.x code'),
        (POSCAR, ['--pressure', '-5'], 'must be'),
    ],
)
def test_launch_point_bad_input(tmp_path, code_options, captured, content, extra, match):
    structure = tmp_path / 'POSCAR'
    structure.write_text(content)
    args = [str(structure), '--pressure', '150', *code_options, *extra]
    result = CliRunner().invoke(cmd_launch_point, args)
    assert result.exit_code != 0
    assert match in result.output
    assert 'Traceback' not in result.output
    assert not captured


def _fake_point(stable: bool = True) -> orm.WorkflowNode:
    node = orm.WorkflowNode()
    node.set_process_type('aiida.workflows:enatom.pressure_point')
    node.set_process_label('PressurePointWorkChain')
    node.set_process_state(ProcessState.FINISHED)
    node.set_exit_status(0 if stable else 452)
    pressure_in = orm.Float(200.0).store()
    node.base.links.add_incoming(pressure_in, LinkType.INPUT_WORK, 'pressure')
    node.store()
    metrics = {key: 1.0 for key in HEADLINE if key != 'pressure_GPa'}
    metrics.update(dynamically_stable=stable, lambda_S=0.4, lambda_per_smearing=[1.0, 2.0])
    for label, output in (('alpha2f__metrics', orm.Dict(metrics)), ('pressure', orm.Float(199.7))):
        output.store().base.links.add_incoming(node, LinkType.RETURN, label)
    return node


def test_show_json():
    node = _fake_point()
    result = CliRunner().invoke(cmd_show, [str(node.pk), '--json'])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(HEADLINE) <= set(data)
    assert data['pressure_GPa'] == 199.7
    assert data['target_pressure_GPa'] == 200.0
    assert data['dynamically_stable'] is True
    assert data['lambda_S'] == 0.4


def test_show_table():
    node = _fake_point(stable=False)
    result = CliRunner().invoke(cmd_show, [str(node.pk)])
    assert result.exit_code == 0, result.output
    assert 'lambda_H' in result.output
    assert 'dynamically_stable' in result.output


def test_show_errors():
    result = CliRunner().invoke(cmd_show, ['999999999'])
    assert result.exit_code != 0
    assert 'no node with PK 999999999' in result.output
    other = orm.Int(3).store()
    result = CliRunner().invoke(cmd_show, [str(other.pk)])
    assert result.exit_code != 0
    assert 'not an enatom.pressure_point' in result.output
    assert 'Traceback' not in result.output


def test_show_dispatches_enatom(monkeypatch):
    node = orm.WorkflowNode()
    node.set_process_type('aiida.workflows:enatom.enatom')
    node.set_process_state(ProcessState.FINISHED)  # a finished run: show prints its summary and nothing before it
    node.set_exit_status(0)
    node.store()
    import aiida_enatom.cli.summary_enatom as summary_enatom

    monkeypatch.setattr(summary_enatom, 'summarise', lambda n: {'pk': n.pk, 'kind': 'enatom'})
    result = CliRunner().invoke(cmd_show, [str(node.pk), '--json'])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {'pk': node.pk, 'kind': 'enatom'}


def test_h3s_helper_is_primitive():
    assert len(h3s().sites) == 4


def test_launch_point_refuses_ranks_the_pools_do_not_divide(tmp_path, code_options, captured):
    """A computer with 1 rank per machine (what `setup` made before ranks came from the computer): pw.x would stop."""
    computer = orm.Computer(
        label='one-rank', hostname='localhost', transport_type='core.local', scheduler_type='core.direct'
    ).store()
    computer.set_default_mpiprocs_per_machine(1)
    code = orm.InstalledCode(
        label='pw-one-rank',
        computer=computer,
        filepath_executable='/usr/bin/pw.x',
        default_calc_job_plugin='quantumespresso.pw',
    ).store()
    structure = tmp_path / 'POSCAR'
    structure.write_text(POSCAR)
    result = CliRunner().invoke(
        cmd_launch_point, [str(structure), '--pressure', '150', *code_options, '--pw-code', code.full_label]
    )
    assert result.exit_code != 0 and 'Traceback' not in result.output
    assert "computer 'one-rank' runs 1 MPI rank(s) per machine" in result.output
    assert 'setup computer one-rank --mpiprocs-per-machine N' in result.output
    assert not captured

"""``enatom.ph_base``: the convergence restart of ph.x keeps ``nmix_ph`` within what ph.x 6.7 accepts.

The real runs use fcc Al (Debian's LDA pseudopotential, 12/48 Ry, k 4³) and ph.x at Γ, serially. ph.x needs 3
iterations there, so with ``niter_ph = 2`` the first PhCalculation stops with "No convergence has been achieved"
(exit 410) and the handler restarts it. The restarted PhCalculation itself cannot run on aiida-quantumespresso 5.1
(issue #1212, see the xfail below); ``test_ph_x_nmix_ph_bound`` shows with fresh runs that ph.x 6.7 accepts the
handler's ``nmix_ph = 5`` and rejects upstream's 8.
"""

from __future__ import annotations

import shutil

import pytest
from aiida import orm
from aiida.engine import ProcessHandlerReport, run_get_node
from aiida.engine.utils import instantiate_process
from aiida.manage import get_manager
from aiida.plugins import CalculationFactory, WorkflowFactory
from aiida_quantumespresso.workflows.ph.base import PhBaseWorkChain
from plumpy import ProcessState

from aiida_enatom.setup.common import MPI_PREPEND_TEXT
from aiida_enatom.workflows.ph_base import ALPHA_MIX_LATE, MAX_NMIX_PH, EnatomPhBaseWorkChain

PhCalculation = CalculationFactory('quantumespresso.ph')

AL_LDA_UPF = '/usr/share/espresso/pseudo/Al.pz-vbc.UPF'
SERIAL = {'resources': {'num_machines': 1, 'num_mpiprocs_per_machine': 1}, 'withmpi': False}
#: ph.x at Γ for this Al needs 3 iterations at tr2_ph = 1e-12, so 2 stop it one short.
INPUTPH = {'tr2_ph': 1.0e-12, 'niter_ph': 2, 'nmix_ph': 4}


@pytest.fixture(scope='module')
def computer(aiida_profile, tmp_path_factory):
    """A ``core.local`` computer without poll or transport delays (one process per machine)."""
    from aiida.common.exceptions import NotExistent

    try:
        computer = orm.load_computer('enatom-ph-localhost')
    except NotExistent:
        computer = orm.Computer(
            label='enatom-ph-localhost',
            hostname='localhost',
            workdir=str(tmp_path_factory.mktemp('ph_base_scratch')),
            transport_type='core.local',
            scheduler_type='core.direct',
        ).store()
        computer.set_minimum_job_poll_interval(0.0)
        computer.set_default_mpiprocs_per_machine(1)
        computer.configure(safe_interval=0.0)
    computer.set_prepend_text(MPI_PREPEND_TEXT)
    return computer


def _code(computer, executable: str, plugin: str) -> orm.InstalledCode:
    path = shutil.which(executable)
    if path is None:
        pytest.fail(f'{executable} is not on PATH: install it with `apt-get install quantum-espresso`')
    label = f'ph-base-{executable}'
    try:
        return orm.load_code(f'{label}@{computer.label}')
    except Exception:  # noqa: BLE001 - not yet created on this profile
        return orm.InstalledCode(
            computer=computer, filepath_executable=path, label=label, default_calc_job_plugin=plugin
        ).store()


@pytest.fixture(scope='module')
def ph_code(computer):
    return _code(computer, 'ph.x', 'quantumespresso.ph')


@pytest.fixture(scope='module')
def al_scf(computer):
    """A finished pw.x SCF of fcc Al (primitive cell, LDA, 12/48 Ry, MV 0.05 Ry, k 4³)."""
    from aiida_pseudo.data.pseudo.upf import UpfData

    from aiida_enatom.common.structures import prototype_structure

    kpoints = orm.KpointsData()
    kpoints.set_kpoints_mesh([4, 4, 4])
    parameters = {
        'CONTROL': {'calculation': 'scf'},
        'SYSTEM': {'ecutwfc': 12.0, 'ecutrho': 48.0, 'occupations': 'smearing', 'smearing': 'mv', 'degauss': 0.05},
        'ELECTRONS': {'conv_thr': 1.0e-10},
    }
    inputs = {
        'code': _code(computer, 'pw.x', 'quantumespresso.pw'),
        'structure': orm.StructureData(pymatgen=prototype_structure('Al', primitive=True)),
        'pseudos': {'Al': UpfData(AL_LDA_UPF)},
        'kpoints': kpoints,
        'parameters': orm.Dict(parameters),
        'metadata': {'options': SERIAL},
    }
    _, node = run_get_node(CalculationFactory('quantumespresso.pw'), **inputs)
    assert node.is_finished_ok, node.exit_message
    return node


def _ph_builder(workchain, ph_code, parent_folder, max_iterations: int = 2):
    builder = workchain.get_builder()
    builder.ph.code = ph_code
    builder.ph.parent_folder = parent_folder
    builder.ph.parameters = orm.Dict({'INPUTPH': dict(INPUTPH)})
    builder.ph.metadata.options = SERIAL
    qpoints = orm.KpointsData()
    qpoints.set_kpoints_mesh([1, 1, 1])
    builder.qpoints = qpoints
    builder.max_iterations = orm.Int(max_iterations)
    return builder


def _children(node) -> list[orm.CalcJobNode]:
    """The PhCalculations that ``node`` called, oldest first (without the merge calcfunction)."""
    return sorted((child for child in node.called if isinstance(child, orm.CalcJobNode)), key=lambda c: c.ctime)


def _stdout(calculation) -> str:
    return calculation.outputs.retrieved.base.repository.get_object_content('aiida.out')


def _reports(node) -> str:
    return '\n'.join(log.message for log in orm.Log.collection.get_logs_for(node))


def test_entry_point_and_handler_override():
    assert WorkflowFactory('enatom.ph_base') is EnatomPhBaseWorkChain
    names = [handler.__name__ for handler in EnatomPhBaseWorkChain.get_process_handlers()]
    assert names.count('handle_convergence_not_reached') == 1  # replaces the parent's, does not add a second one
    handler = EnatomPhBaseWorkChain.handle_convergence_not_reached
    assert handler is not PhBaseWorkChain.handle_convergence_not_reached
    assert handler.priority == PhBaseWorkChain.handle_convergence_not_reached.priority == 410
    assert MAX_NMIX_PH == 5


def _failed_ph(computer) -> orm.CalcJobNode:
    node = orm.CalcJobNode(computer=computer, process_type='aiida.calculations:quantumespresso.ph')
    node.set_process_label('PhCalculation')
    node.set_process_state(ProcessState.FINISHED)
    node.set_exit_status(PhCalculation.exit_codes.ERROR_CONVERGENCE_NOT_REACHED.status)
    return node.store()


@pytest.mark.parametrize(
    ('start', 'expected'),
    [
        (
            {'nmix_ph': 4},
            [
                ({'nmix_ph': 5}, True),
                ({'nmix_ph': 5, 'alpha_mix(1)': 0.35}, True),
                ({'nmix_ph': 5, 'alpha_mix(1)': 0.175}, True),
                ({'nmix_ph': 5, 'alpha_mix(1)': 0.175, 'alpha_mix(20)': ALPHA_MIX_LATE}, True),
                ({'nmix_ph': 5, 'alpha_mix(1)': 0.175, 'alpha_mix(20)': ALPHA_MIX_LATE}, False),  # nothing left
            ],
        ),
        ({}, [({'nmix_ph': 5}, True), ({'nmix_ph': 5, 'alpha_mix(1)': 0.35}, True)]),  # ph.x default 4
        ({'nmix_ph': 5}, [({'nmix_ph': 5, 'alpha_mix(1)': 0.35}, True)]),
        ({'nmix_ph': 8}, [({'nmix_ph': 8, 'alpha_mix(1)': 0.35}, True)]),  # never lowered, never raised past 5
    ],
)
def test_handler_sequence(computer, ph_code, start, expected):
    """One handler call per failure: nmix_ph up to 5, then halve alpha_mix(1), then alpha_mix(20), then nothing."""
    builder = _ph_builder(EnatomPhBaseWorkChain, ph_code, orm.RemoteData(computer=computer, remote_path='/tmp'))
    builder.ph.parameters = orm.Dict({'INPUTPH': {'niter_ph': 2, **start}})
    process = instantiate_process(get_manager().get_runner(), builder)
    process.setup()
    process.validate_parameters()
    ignored = {'niter_ph', 'recover'}
    for parameters, do_break in expected:
        failed = _failed_ph(computer)
        report = process.handle_convergence_not_reached(failed)
        assert isinstance(report, ProcessHandlerReport)
        assert report.do_break is do_break
        assert report.exit_code.status == 0  # every step restarts
        assert process.ctx.restart_calc.pk == failed.pk
        inputph = process.ctx.inputs.parameters['INPUTPH']
        assert {key: value for key, value in inputph.items() if key not in ignored} == pytest.approx(parameters)


@pytest.fixture(scope='module')
def restart_run(ph_code, al_scf):
    """An EnatomPhBaseWorkChain (max_iterations 2) whose first ph.x run stops one iteration short of convergence."""
    _, node = run_get_node(_ph_builder(EnatomPhBaseWorkChain, ph_code, al_scf.outputs.remote_folder))
    return node


def test_restart_gets_nmix_ph_5(restart_run):
    """Real ph.x stops with "No convergence"; the handler restarts from its folder with nmix_ph = 5 (not 8)."""
    node = restart_run
    assert node.process_label == 'EnatomPhBaseWorkChain'
    first, second = _children(node)
    assert first.exit_status == PhCalculation.exit_codes.ERROR_CONVERGENCE_NOT_REACHED.status
    assert 'No convergence has been achieved' in _stdout(first)
    assert first.inputs.parameters['INPUTPH']['nmix_ph'] == 4
    assert 'increased nmix_ph from 4 to 5' in _reports(node)
    assert second.inputs.parameters['INPUTPH']['nmix_ph'] == MAX_NMIX_PH
    assert second.inputs.parameters['INPUTPH']['recover'] is True
    assert second.inputs.parent_folder.uuid == first.outputs.remote_folder.uuid


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason='aiida-quantumespresso 5.1 PhCalculation.prepare_for_submission raises KeyError: INPUTPH for every '
    'restart from a ph.x parent folder (aiida-quantumespresso issue #1212, fix proposed in PR #1283), so the '
    'restarted PhCalculation excepts before ph.x starts. With that fix applied this test passes (ph.x recovers, '
    'does iteration 3 with nmix_ph = 5 and converges); strict, so it reports when an upgrade fixes it.',
)
def test_restart_runs_ph_x(restart_run):
    """The restarted ph.x reads nmix_ph = 5 and goes on iterating from the recover data."""
    node = restart_run
    _, second = _children(node)
    assert second.is_finished, f'restart PhCalculation<{second.pk}> is {second.process_state.value}'
    stdout = _stdout(second)
    assert 'Wrong nmix_ph' not in stdout
    converge = PhCalculation.exit_codes.ERROR_CONVERGENCE_NOT_REACHED.status
    assert second.exit_status in (0, converge), second.exit_message
    # Recovered, not restarted from scratch: the numbering goes on after the first run's 2 iterations.
    assert 'iter #   3' in stdout
    if second.exit_status == 0:
        assert node.is_finished_ok, node.exit_message
    else:
        assert node.exit_status == EnatomPhBaseWorkChain.exit_codes.ERROR_MAXIMUM_ITERATIONS_EXCEEDED.status


@pytest.mark.parametrize('nmix_ph', [MAX_NMIX_PH, 8])
def test_ph_x_nmix_ph_bound(ph_code, al_scf, nmix_ph):
    """Why the subclass exists: ph.x 6.7 runs with nmix_ph = 5 and stops at input reading with 8 (upstream's value)."""
    qpoints = orm.KpointsData()
    qpoints.set_kpoints_mesh([1, 1, 1])
    inputs = {
        'code': ph_code,
        'parent_folder': al_scf.outputs.remote_folder,
        'qpoints': qpoints,
        'parameters': orm.Dict({'INPUTPH': {'tr2_ph': 1.0e-12, 'nmix_ph': nmix_ph}}),
        'metadata': {'options': SERIAL},
    }
    _, node = run_get_node(PhCalculation, **inputs)
    stdout = _stdout(node)
    if nmix_ph <= MAX_NMIX_PH:
        assert node.is_finished_ok, node.exit_message
        assert 'iter #' in stdout
        assert 'Convergence has been achieved' in stdout
    else:
        assert 'Wrong nmix_ph' in stdout
        assert 'iter #' not in stdout
        assert node.exit_status == PhCalculation.exit_codes.ERROR_OUTPUT_STDOUT_INCOMPLETE.status

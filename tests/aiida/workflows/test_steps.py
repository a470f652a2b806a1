"""Unit tests on instantiated (not run) enatom.alpha2f / enatom.pressure_point: exit codes and single steps."""

from __future__ import annotations

import pytest
from aiida import orm
from aiida.common import LinkType
from aiida.engine.utils import instantiate_process
from aiida.manage import get_manager
from plumpy import ProcessState

from aiida_enatom.workflows.alpha2f import Alpha2FWorkChain
from aiida_enatom.workflows.enatom import EnatomWorkChain
from aiida_enatom.workflows.mixins import duplicate_exit_statuses
from aiida_enatom.workflows.pressure_point import PressurePointWorkChain


@pytest.mark.parametrize('workchain', [Alpha2FWorkChain, EnatomWorkChain, PressurePointWorkChain])
def test_exit_codes_unique_including_inherited(workchain):
    assert duplicate_exit_statuses(workchain) == {}
    own = {code.status for code in workchain.spec().exit_codes.values() if code.status >= 400}
    assert own, 'the WorkChain declares its own 4xx exit codes'


def test_enatom_stage_exit_code():
    codes = PressurePointWorkChain.exit_codes
    assert codes.ERROR_SUB_PROCESS_FAILED_ENATOM.status == 455
    # 455 is neither a pressure_point nor an alpha2f status that the point forwards or mirrors.
    others = {code.status for label, code in codes.items() if label != 'ERROR_SUB_PROCESS_FAILED_ENATOM'}
    assert 455 not in others
    assert 455 not in {code.status for code in Alpha2FWorkChain.exit_codes.values()}


def test_duplicate_exit_statuses_detects_a_clash():
    from aiida_quantumespresso.workflows.ph.base import PhBaseWorkChain

    # aiida-quantumespresso's PhBaseWorkChain reuses 401 from BaseRestartWorkChain: the helper must see it.
    assert 401 in duplicate_exit_statuses(PhBaseWorkChain)


def _process(workchain, builder):
    return instantiate_process(get_manager().get_runner(), builder)


#: Processes shared by the tests that only call ``inspect_*``/``should_*`` steps (they attach no outputs).
_SHARED: dict = {}


def _shared(key: str, make_builder):
    """Return the module's process ``key``, instantiated once, with an empty context as a fresh one has.

    Instantiating a process stores its ~40 input links one query at a time: 2–3 s of CPU per test. The steps read
    only the context each test sets, so emptying it gives them what a new instance would.
    """
    if key not in _SHARED:
        _SHARED[key] = instantiate_process(get_manager().get_runner(), make_builder())
    process = _SHARED[key]
    process.ctx.clear()
    return process


def _finished(label: str, exit_status: int, outputs: dict | None = None) -> orm.WorkflowNode:
    node = orm.WorkflowNode()
    node.set_process_label(label)
    node.set_process_state(ProcessState.FINISHED)
    node.set_exit_status(exit_status)
    node.store()
    for link_label, output in (outputs or {}).items():
        output.store()
        output.base.links.add_incoming(node, LinkType.RETURN, link_label)
    return node


@pytest.fixture
def alpha2f_process(codes, pseudo_family, h3s_structure):
    builder = Alpha2FWorkChain.get_builder_from_protocol(codes, h3s_structure, protocol='test')
    return _process(Alpha2FWorkChain, builder)


@pytest.fixture
def alpha2f_steps(codes, pseudo_family, h3s_structure):
    """An Alpha2FWorkChain for step tests (shared, context emptied: :func:`_shared`)."""
    return _shared('alpha2f', lambda: Alpha2FWorkChain.get_builder_from_protocol(codes, h3s_structure, protocol='test'))


@pytest.fixture
def point_steps(codes, pseudo_family, h3s_structure):
    """A PressurePointWorkChain for step tests (shared, context emptied: :func:`_shared`)."""
    return _shared(
        'point',
        lambda: PressurePointWorkChain.get_builder_from_protocol(codes, h3s_structure, pressure=200.0, protocol='test'),
    )


@pytest.mark.parametrize(
    ('step', 'context', 'exit_code'),
    [
        ('inspect_scf_la2f', {'scf_la2f': 'PwBaseWorkChain'}, 'ERROR_SUB_PROCESS_FAILED_SCF_LA2F'),
        ('inspect_ph', {'ph': 'PhBaseWorkChain'}, 'ERROR_SUB_PROCESS_FAILED_PH'),
        ('inspect_q2r', {'q2r': 'Q2rCalculation'}, 'ERROR_SUB_PROCESS_FAILED_Q2R'),
        ('inspect_matdyn', {'matdyn': 'MatdynCalculation'}, 'ERROR_SUB_PROCESS_FAILED_MATDYN'),
    ],
)
def test_alpha2f_inspect_failed(alpha2f_steps, step, context, exit_code):
    for key, label in context.items():
        alpha2f_steps.ctx[key] = _finished(label, 300)
    result = getattr(alpha2f_steps, step)()
    assert result == getattr(Alpha2FWorkChain.exit_codes, exit_code)


def test_alpha2f_inspect_ok(alpha2f_steps):
    alpha2f_steps.ctx.scf_la2f = _finished('PwBaseWorkChain', 0)
    assert alpha2f_steps.inspect_scf_la2f() is None
    alpha2f_steps.ctx.scf = _finished('PwBaseWorkChain', 0)
    alpha2f_steps.ctx.projwfc = _finished('ProjwfcCalculation', 310)
    assert alpha2f_steps.inspect_scf_and_projwfc() == Alpha2FWorkChain.exit_codes.ERROR_SUB_PROCESS_FAILED_PROJWFC


def test_alpha2f_matdyn_without_a2f_files(alpha2f_steps):
    alpha2f_steps.ctx.matdyn = _finished('MatdynCalculation', 0, {'retrieved': orm.FolderData()})
    result = alpha2f_steps.inspect_matdyn()
    assert result == Alpha2FWorkChain.exit_codes.ERROR_SUB_PROCESS_FAILED_MATDYN


def _results_context(process, *, stable: bool, passed: bool, passed_all: bool | None = None):
    from aiida_enatom.data.alpha2f import Alpha2FData
    from aiida_enatom.numerics.spectra import Alpha2F

    alpha2f = Alpha2FData()
    alpha2f.set_from([Alpha2F([1.0, 2.0, 3.0], [0.0, 1.0, 0.0])], [0.02])
    process.ctx.alpha2f = alpha2f.store()
    process.ctx.metrics = orm.Dict({'lambda': 1.0, 'tc_allen_dynes_K': 10.0, 'dynamically_stable': stable}).store()
    process.ctx.stability = orm.Dict({'dynamically_stable': stable, 'lowest_frequency_meV': -20.0}).store()
    passed_all = passed if passed_all is None else passed_all
    sum_rule = {'passed': passed, 'passed_all': passed_all, 'message': '|Δλ|/λ = 0.05'}
    process.ctx.sum_rule = orm.Dict(sum_rule).store()
    process.ctx.fermi_dos = orm.Dict({}).store()
    process.ctx.matdyn_lambda = orm.Dict({}).store()
    process.ctx.meshes = {'summary': orm.Dict({}).store()}


@pytest.mark.parametrize(
    ('stable', 'passed', 'expected'),
    [
        (True, True, None),
        (False, True, 'ERROR_DYNAMICALLY_UNSTABLE'),
        (True, False, 'ERROR_PARTIAL_SUM_RULE'),
        (False, False, 'ERROR_DYNAMICALLY_UNSTABLE'),  # with imaginary modes the sum rule is not meaningful
    ],
)
def test_alpha2f_results(alpha2f_process, stable, passed, expected):
    _results_context(alpha2f_process, stable=stable, passed=passed)
    result = alpha2f_process.results()
    if expected is None:
        assert result is None
    else:
        assert result.status == getattr(Alpha2FWorkChain.exit_codes, expected).status
    assert set(alpha2f_process.outputs) >= {'alpha2f', 'metrics', 'stability', 'sum_rule'}  # data kept


def test_alpha2f_results_other_smearings_only_reported(alpha2f_process):
    """A sum-rule miss at a smearing other than the default one is reported, not an exit code."""
    _results_context(alpha2f_process, stable=True, passed=True, passed_all=False)
    assert alpha2f_process.results() is None


def test_point_inspect_relax_failed(point_steps):
    point_steps.ctx.relax = _finished('PwRelaxWorkChain', 401)
    assert point_steps.inspect_relax() == PressurePointWorkChain.exit_codes.ERROR_SUB_PROCESS_FAILED_RELAX


@pytest.mark.parametrize(
    ('status', 'expected'),
    [
        (0, None),
        (Alpha2FWorkChain.exit_codes.ERROR_DYNAMICALLY_UNSTABLE.status, None),
        (Alpha2FWorkChain.exit_codes.ERROR_SUB_PROCESS_FAILED_PH.status, 'ERROR_SUB_PROCESS_FAILED_ALPHA2F'),
    ],
)
def test_point_inspect_alpha2f(point_steps, status, expected):
    point_steps.ctx.alpha2f = _finished('Alpha2FWorkChain', status)
    result = point_steps.inspect_alpha2f()
    if expected is None:
        assert result is None
    else:
        assert result.status == getattr(PressurePointWorkChain.exit_codes, expected).status


def _enatom_point_builder(codes, h3s_structure):
    return PressurePointWorkChain.get_builder_from_protocol(
        codes, h3s_structure, pressure=200.0, protocol='test', overrides={'run_enatom': True}
    )


@pytest.fixture
def enatom_point_process(codes, pseudo_family, h3s_structure):
    return _process(PressurePointWorkChain, _enatom_point_builder(codes, h3s_structure))


@pytest.fixture
def enatom_point_steps(codes, pseudo_family, h3s_structure):
    """A PressurePointWorkChain with the enatom stage for step tests (shared, context emptied: :func:`_shared`)."""
    return _shared('enatom_point', lambda: _enatom_point_builder(codes, h3s_structure))


def test_point_enatom_off_by_default(point_steps):
    assert point_steps.should_run_enatom() is False
    assert 'enatom' not in point_steps.inputs or not point_steps.inputs.enatom


def test_point_enatom_on(enatom_point_steps):
    assert enatom_point_steps.should_run_enatom() is True
    inputs = enatom_point_steps.exposed_inputs(EnatomWorkChain, namespace='enatom')
    assert 'structure' not in inputs
    assert inputs['min_image_distance'].value == 5.0  # enatom's test protocol
    assert inputs['pp']['code'].default_calc_job_plugin == 'quantumespresso.pp'
    assert inputs['precise_grids'].value is True  # defaults inside the namespace are populated once it is given


@pytest.mark.parametrize(
    ('status', 'expected'),
    [
        (0, None),
        (EnatomWorkChain.exit_codes.ERROR_SUB_PROCESS_FAILED_SCF.status, 'ERROR_SUB_PROCESS_FAILED_ENATOM'),
        (EnatomWorkChain.exit_codes.ERROR_SUM_RULES_FAILED.status, 'ERROR_SUB_PROCESS_FAILED_ENATOM'),
    ],
)
def test_point_inspect_enatom(enatom_point_steps, status, expected):
    enatom_point_steps.ctx.enatom = _finished('EnatomWorkChain', status)
    result = enatom_point_steps.inspect_enatom()
    if expected is None:
        assert result is None
    else:
        assert result.status == PressurePointWorkChain.exit_codes.ERROR_SUB_PROCESS_FAILED_ENATOM.status
        assert str(status) in result.message


def test_point_results_attach_enatom(enatom_point_process, h3s_structure):
    process = enatom_point_process
    process.ctx.relax = _finished('PwRelaxWorkChain', 0, {'output_structure': h3s_structure.clone()})
    process.ctx.relaxed_structure = process.ctx.relax.outputs.output_structure
    process.ctx.pressure = orm.Float(200.0).store()
    stability = orm.Dict({'dynamically_stable': True, 'lowest_frequency_meV': 20.0})
    metrics = orm.Dict({'lambda': 2.0, 'mu_star': 0.1})
    process.ctx.alpha2f = _finished('Alpha2FWorkChain', 0, {'metrics': metrics, 'stability': stability})
    enatom_outputs = {
        'supercell': h3s_structure.clone(),
        'dataset': orm.Dict({'natom': 4}),
        'fft_grid': orm.List([24, 24, 24]),
        'metrics': orm.Dict({'n_supercell_scf': 3}),
        'sum_rules': orm.Dict({'total': {'rigid': 0.0}}),
        'atoms__atom_00__metrics': orm.Dict({'tail': 0.0}),
    }
    process.ctx.enatom = _finished('EnatomWorkChain', 0, enatom_outputs)
    assert process.results() is None
    assert set(process.outputs['enatom']) >= {'supercell', 'dataset', 'fft_grid', 'metrics', 'sum_rules', 'atoms'}
    assert process.outputs['enatom']['metrics']['n_supercell_scf'] == 3
    assert process.outputs['alpha2f']['metrics']['lambda'] == 2.0
    assert process.outputs['results']['status'] == 'ok' and process.outputs['results']['formula'] == 'H3S'

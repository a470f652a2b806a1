"""``enatom.ph_base`` and ``enatom.ph``: ph.x restarts that ph.x 6.7 accepts and that reach ph.x and recover right.

The real runs use fcc Al (Debian's LDA pseudopotential, 12/48 Ry, k 4³) and ph.x serially. At Γ ph.x needs 3
iterations, so with ``niter_ph = 2`` the first calculation stops with "No convergence has been achieved" (exit 410)
and the handler restarts it with ``nmix_ph = 5``; the restart runs as ``enatom.ph`` (aiida-quantumespresso issue
#1212 workaround) and recovers. ``test_ph_x_nmix_ph_bound`` shows with fresh runs that ph.x 6.7 accepts the handler's
``nmix_ph = 5`` and rejects upstream's 8. The el-ph run on the 2×2×2 q-mesh stops at a q ≠ Γ, so its restarts need
the parent's ``DYN_MAT`` and ``elph_dir`` and the fixes for ph.x 6.7's recover data (``RECOVER_FIX``).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from aiida import orm
from aiida.common import LinkType
from aiida.common.exceptions import InputValidationError
from aiida.common.folders import SandboxFolder
from aiida.engine import ProcessHandlerReport, run_get_node
from aiida.engine.utils import instantiate_process
from aiida.manage import get_manager
from aiida.plugins import CalculationFactory, WorkflowFactory
from aiida_quantumespresso.workflows.ph.base import PhBaseWorkChain
from plumpy import ProcessState

from aiida_enatom.calculations.functions.merge_ph_restarts import merge_restart_parameters
from aiida_enatom.calculations.ph import PROCESS_TYPE, RECOVER_FIX, UPSTREAM_PROCESS_TYPE, EnatomPhCalculation
from aiida_enatom.workflows.ph_base import ALPHA_MIX_LATE, MAX_NMIX_PH, EnatomPhBaseWorkChain, was_interrupted
from tests.aiida.workflows.conftest import SERIAL, al_scf_calculation, installed_code

PhCalculation = CalculationFactory('quantumespresso.ph')

#: ph.x at Γ for this Al needs 3 iterations at tr2_ph = 1e-12, so 2 stop it one short.
INPUTPH = {'tr2_ph': 1.0e-12, 'niter_ph': 2, 'nmix_ph': 4}
#: Interpolated el-ph as in enatom.alpha2f (ph.x 6.7 needs fildvscf for it).
ELPH = {'electron_phonon': 'interpolated', 'el_ph_sigma': 0.005, 'el_ph_nsigma': 10, 'fildvscf': 'dvscf'}


@pytest.fixture(scope='module')
def computer(enatom_computer):
    """The shared delay-free ``core.local`` computer (one process per machine) of tests/aiida/conftest.py."""
    return enatom_computer


def _code(computer, executable: str, plugin: str):
    return installed_code(computer, executable, plugin, 'ph-base')


@pytest.fixture(scope='module')
def ph_code(computer):
    return _code(computer, 'ph.x', 'quantumespresso.ph')


def _al_scf(computer, la2f: bool) -> orm.CalcJobNode:
    """Run a pw.x SCF of fcc Al (primitive cell, LDA, 12/48 Ry, MV 0.05 Ry, k 4³), with ``la2F`` if asked."""
    return al_scf_calculation(computer, la2f, 'ph-base')


@pytest.fixture(scope='module')
def al_scf(computer):
    """A finished pw.x SCF of fcc Al."""
    return _al_scf(computer, la2f=False)


@pytest.fixture(scope='module')
def al_scf_la2f(computer):
    """A finished pw.x SCF of fcc Al with ``la2F`` (for interpolated el-ph)."""
    return _al_scf(computer, la2f=True)


def _qpoints(mesh: list[int]) -> orm.KpointsData:
    qpoints = orm.KpointsData()
    qpoints.set_kpoints_mesh(mesh)
    return qpoints


def _ph_builder(workchain, ph_code, parent_folder, max_iterations: int = 2, inputph=None, mesh=(1, 1, 1)):
    builder = workchain.get_builder()
    builder.ph.code = ph_code
    builder.ph.parent_folder = parent_folder
    builder.ph.parameters = orm.Dict({'INPUTPH': dict(inputph or INPUTPH)})
    builder.ph.metadata.options = SERIAL
    builder.qpoints = _qpoints(list(mesh))
    builder.max_iterations = orm.Int(max_iterations)
    return builder


def _iterations(stdout: str) -> list[int]:
    """The ``iter #`` numbers that ph.x printed, in order."""
    return [int(number) for number in re.findall(r'iter #\s+(\d+)', stdout)]


def _frequencies(calculation) -> dict[str, list[float]]:
    """``{file name: frequencies (cm⁻¹)}`` of the dynamical-matrix files in ``retrieved/DYN_MAT``."""
    retrieved = calculation.outputs.retrieved
    frequencies = {}
    for name in retrieved.base.repository.list_object_names('DYN_MAT'):
        content = retrieved.base.repository.get_object_content(f'DYN_MAT/{name}')
        values = [float(value) for value in re.findall(r'freq \(\s*\d+\) =.*=\s*(-?[\d.]+) \[cm-1\]', content)]
        if values:
            frequencies[name] = values
    return frequencies


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
        # aiida-quantumespresso's protocol spells it `alpha_mix` (= alpha_mix(1)): halved from its value, one key left
        ({'nmix_ph': 5, 'alpha_mix': 0.4}, [({'nmix_ph': 5, 'alpha_mix(1)': 0.2}, True)]),
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


def test_restart_runs_ph_x(restart_run):
    """The restart runs as enatom.ph, reaches ph.x, recovers (iteration 3 follows 2) and converges with nmix_ph = 5."""
    node = restart_run
    first, second = _children(node)
    assert first.process_type == second.process_type == PROCESS_TYPE
    assert second.process_label == 'EnatomPhCalculation'
    assert second.is_finished_ok, f'restart {second.process_label}<{second.pk}>: {second.exit_message}'
    stdout = _stdout(second)
    assert 'Wrong nmix_ph' not in stdout
    assert _iterations(_stdout(first)) == [1, 2]
    assert _iterations(stdout) == [3]  # recovered, not started again from iteration 1
    assert 'Convergence has been achieved' in stdout
    assert node.is_finished_ok, node.exit_message
    assert node.outputs.remote_folder.uuid == second.outputs.remote_folder.uuid
    # The parent's dynamical matrices land in ./DYN_MAT (not DYN_MAT/DYN_MAT), next to the one ph.x wrote.
    assert sorted(second.outputs.remote_folder.listdir('DYN_MAT')) == ['dynamical-matrix-0', 'dynamical-matrix-1']
    assert set(_frequencies(second)) == {'dynamical-matrix-1'}


def _fake_parent(computer, process_type: str, tmp_path) -> orm.RemoteData:
    """A stored finished CalcJobNode of ``process_type`` with a ``remote_folder`` output in ``tmp_path``."""
    node = orm.CalcJobNode(computer=computer, process_type=process_type)
    node.set_process_state(ProcessState.FINISHED)
    node.set_exit_status(0)
    node.store()
    remote = orm.RemoteData(computer=computer, remote_path=str(tmp_path))
    remote.base.links.add_incoming(node, link_type=LinkType.CREATE, link_label='remote_folder')
    return remote.store()


def _prepare(ph_code, parent_folder, inputph: dict, settings: dict | None = None):
    """Instantiate ``EnatomPhCalculation`` and run its ``prepare_for_submission``; return (calcinfo, sandbox names)."""
    inputs = {
        'code': ph_code,
        'parent_folder': parent_folder,
        'qpoints': _qpoints([2, 2, 2]),
        'parameters': orm.Dict({'INPUTPH': inputph}),
        'metadata': {'options': SERIAL},
    }
    if settings is not None:
        inputs['settings'] = orm.Dict(settings)
    process = instantiate_process(get_manager().get_runner(), EnatomPhCalculation, **inputs)
    with SandboxFolder() as folder:
        calcinfo = process.prepare_for_submission(folder)
        return calcinfo, sorted(folder.get_content_list())


@pytest.mark.parametrize('symlink', [False, True])
@pytest.mark.parametrize('elph', [False, True])
def test_restart_adds_parent_folder_contents(computer, ph_code, tmp_path, symlink, elph):
    """From an enatom.ph parent: the contents of DYN_MAT (and elph_dir for el-ph) into same-named sandbox folders."""
    parent = _fake_parent(computer, PROCESS_TYPE, tmp_path)
    inputph = {'tr2_ph': 1.0e-12, **(ELPH if elph else {})}
    calcinfo, sandbox = _prepare(ph_code, parent, inputph, {'parent_folder_symlink': symlink})
    added, other = (
        (calcinfo.remote_symlink_list, calcinfo.remote_copy_list)
        if symlink
        else (calcinfo.remote_copy_list, calcinfo.remote_symlink_list)
    )
    folders = ['DYN_MAT', 'elph_dir'] if elph else ['DYN_MAT']
    # The first two entries are upstream's ./out and ./pseudo; then the folder contents, never a folder into itself.
    assert [(source, target) for _, source, target in added[2:]] == [(f'{tmp_path}/{name}/*', name) for name in folders]
    assert len(other) == 0
    assert set(folders) <= set(sandbox)
    assert calcinfo.prepend_text == RECOVER_FIX


def test_no_restart_from_pw_parent(computer, ph_code, tmp_path):
    """From a pw.x folder nothing changes: upstream's ./out and ./pseudo copies, no recover fix."""
    parent = _fake_parent(computer, 'aiida.calculations:quantumespresso.pw', tmp_path)
    calcinfo, sandbox = _prepare(ph_code, parent, {'tr2_ph': 1.0e-12, **ELPH})
    assert [target for _, _, target in calcinfo.remote_copy_list] == ['./out/', './pseudo/']
    assert 'elph_dir' not in sandbox
    assert calcinfo.prepend_text is None


def test_restart_from_upstream_ph_is_refused(computer, ph_code, tmp_path):
    """An upstream quantumespresso.ph parent would hit KeyError: 'INPUTPH' in super(): a clear error instead."""
    parent = _fake_parent(computer, UPSTREAM_PROCESS_TYPE, tmp_path)
    with pytest.raises(InputValidationError, match='#1212'):
        _prepare(ph_code, parent, {'tr2_ph': 1.0e-12})


@pytest.fixture(scope='module')
def elph_reference(ph_code, al_scf_la2f):
    """An uninterrupted el-ph ph.x run on the 2×2×2 q-mesh (3 irreducible q: Γ, L, X)."""
    inputs = {
        'code': ph_code,
        'parent_folder': al_scf_la2f.outputs.remote_folder,
        'qpoints': _qpoints([2, 2, 2]),
        'parameters': orm.Dict({'INPUTPH': {'tr2_ph': 1.0e-12, **ELPH}}),
        'metadata': {'options': SERIAL},
    }
    _, node = run_get_node(EnatomPhCalculation, **inputs)
    assert node.is_finished_ok, node.exit_message
    return node


@pytest.fixture(scope='module')
def elph_restart_run(ph_code, al_scf_la2f):
    """The same el-ph run with niter_ph = 4: Γ converges, ph.x stops at q ≠ Γ and is restarted (recover)."""
    inputph = {'tr2_ph': 1.0e-12, 'niter_ph': 4, 'nmix_ph': 4, **ELPH}
    builder = _ph_builder(
        EnatomPhBaseWorkChain,
        ph_code,
        al_scf_la2f.outputs.remote_folder,
        max_iterations=5,
        inputph=inputph,
        mesh=(2, 2, 2),
    )
    _, node = run_get_node(builder)
    return node


def _remote_files(calculation, subfolder: str) -> dict[str, str]:
    """``{name: content}`` of ``subfolder`` in the remote folder of ``calculation`` (a ``core.local`` computer)."""
    path = Path(calculation.outputs.remote_folder.get_remote_path()) / subfolder
    return {child.name: child.read_text() for child in sorted(path.iterdir())}


def _lambdas(text: str) -> list[float]:
    """The per-mode λ of an ``elph_dir/elph.inp_lambda.*`` file (all smearings, in order)."""
    return [float(value) for value in re.findall(r'lambda\(\s*\d+\)=\s*(-?[\d.]+)', text)]


def test_elph_restart_carries_dyn_mat_and_elph_dir(elph_restart_run, elph_reference):
    """After restarts at q ≠ Γ the last folder holds every q's DYN_MAT and elph_dir files, as an uninterrupted run.

    Without the copies the restart's folder would lack the files of the q-points done before (q2r.x needs them all).
    Without :data:`RECOVER_FIX` ph.x 6.7 recovers a metal at q ≠ Γ without smearing (about 396 instead of 153 cm⁻¹ at
    L) and stops when it recovers inside a q-point after one of its representations ("tag PARTIAL_EL_PHON not
    found"). The tolerances are those of tr2_ph = 1e-12: a different mixing path moves X's TA mode by 0.04 %.
    """
    node = elph_restart_run
    assert node.is_finished_ok, f'{node.exit_message}\n{_reports(node)}'
    children = _children(node)
    assert len(children) >= 3  # with niter_ph = 4 both L and X need a restart
    assert children[0].exit_status == PhCalculation.exit_codes.ERROR_CONVERGENCE_NOT_REACHED.status
    assert all(child.process_type == PROCESS_TYPE for child in children)
    for child in children[1:]:
        assert _iterations(_stdout(child))[0] > 1  # each restart recovers inside a q-point
    last = children[-1]
    reference = _remote_files(elph_reference, 'elph_dir')
    restarted = _remote_files(last, 'elph_dir')
    assert set(restarted) == set(reference)
    assert len(reference) == 33  # per q: elph.inp_lambda and a2Fq2r.51-60
    for index in range(1, 4):
        name = f'elph.inp_lambda.{index}'
        assert _lambdas(restarted[name]) == pytest.approx(_lambdas(reference[name]), rel=5.0e-3), name
    assert set(_remote_files(last, 'DYN_MAT')) == {f'dynamical-matrix-{index}' for index in range(4)}
    expected = _frequencies(elph_reference)
    assert set(expected) == {f'dynamical-matrix-{index}' for index in range(1, 4)}
    frequencies = _frequencies(last)
    for name, values in expected.items():
        assert frequencies[name] == pytest.approx(values, rel=1.0e-3), name
    # The merged output_parameters (what assess_stability reads) hold every q-point too.
    merged = node.outputs.output_parameters.get_dict()
    uninterrupted = elph_reference.outputs.output_parameters.get_dict()
    assert merged['number_of_qpoints'] == uninterrupted['number_of_qpoints'] == 3
    for index in range(1, 4):
        key = f'dynamical_matrix_{index}'
        assert merged[key]['frequencies'] == pytest.approx(uninterrupted[key]['frequencies'], rel=1.0e-3), key


@pytest.mark.parametrize('nmix_ph', [MAX_NMIX_PH, 8])
def test_ph_x_nmix_ph_bound(ph_code, al_scf, nmix_ph):
    """Why the subclass exists: ph.x 6.7 runs with nmix_ph = 5 and stops at input reading with 8 (upstream's value)."""
    inputs = {
        'code': ph_code,
        'parent_folder': al_scf.outputs.remote_folder,
        'qpoints': _qpoints([1, 1, 1]),
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


#: The end of both kill wrappers: run the real ph.x, SIGKILL it once L's dynamical matrix is written, exit 137.
_KILL_AFTER_L = """{ph_x} "$@" &
pid=$!
while kill -0 $pid 2>/dev/null && [ ! -s DYN_MAT/dynamical-matrix-2 ]; do sleep 0.01; done
kill -9 $pid 2>/dev/null
wait $pid
exit 137
"""

KILL_ONCE = (
    """#!/bin/bash
# Fault injection for test_killed_ph_x_is_recovered: the first call starts the real ph.x, waits until it has finished
# the dynamical matrix of the second q-point (L), then SIGKILLs it (as a lost node or a killed job would) and exits
# 137; later calls run ph.x unchanged. The kill must land before ph.x writes the next q-point's bands: a restart reading
# a half-written out/_ph0/aiida.q_3/aiida.save aborts (seen once with a 0.2 s wait; handle_failed_recover then starts
# again from the SCF, see KILL_THEN_UNREADABLE).
marker='{marker}'
if [ -e "$marker" ]; then exec {ph_x} "$@"; fi
touch "$marker"
"""
    + _KILL_AFTER_L
)


@pytest.fixture(scope='module')
def killed_run(computer, al_scf_la2f, tmp_path_factory):
    """The el-ph run of ``elph_reference`` whose first ph.x is SIGKILLed after the L point, in a base work chain."""
    folder = tmp_path_factory.mktemp('kill_once')
    wrapper = folder / 'ph-killed-once.sh'
    wrapper.write_text(KILL_ONCE.format(marker=folder / 'killed', ph_x=shutil.which('ph.x')))
    wrapper.chmod(0o755)
    code = installed_code(computer, 'ph.x', 'quantumespresso.ph', 'ph-base', str(wrapper))
    inputph = {'tr2_ph': 1.0e-12, **ELPH}
    builder = _ph_builder(
        EnatomPhBaseWorkChain,
        code,
        al_scf_la2f.outputs.remote_folder,
        max_iterations=3,
        inputph=inputph,
        mesh=(2, 2, 2),
    )
    _, node = run_get_node(builder)
    return node


def _dynmat(q: int, complete: bool = True, labelled: bool = True) -> dict:
    value = {'q_point': [0.0, 0.0, q / 10]}
    if complete:
        value['frequencies'] = [float(q)] * 3
    if labelled:
        value['mode_symmetry'] = ['A'] * 3
    return value


def test_merge_restart_parameters_counts_each_q_once():
    """The killed run finished q 1 and 2; its restart prints q 2 again and computes 3: three q-points, not five."""
    killed = {
        'dynamical_matrix_1': _dynmat(1),
        'dynamical_matrix_2': _dynmat(2),
        'number_of_irr_representations_for_each_q': [1, 2],
        'wall_time_seconds': 10.0,
        'number_of_qpoints': 3,
    }
    restart = {
        'dynamical_matrix_1': _dynmat(1),
        'dynamical_matrix_2': _dynmat(2),
        'dynamical_matrix_3': _dynmat(3),
        'number_of_irr_representations_for_each_q': [2, 2, 4],
        'wall_time_seconds': 5.0,
        'number_of_qpoints': 3,
    }
    merged = merge_restart_parameters([killed, restart])
    assert merged['number_of_qpoints'] == 3
    assert merged['number_of_irr_representations_for_each_q'] == [2, 2, 4]
    assert merged['wall_time_seconds'] == 15.0
    assert merged['dynamical_matrix_3'] == _dynmat(3)
    # A q-point whose only matrix is incomplete (the run stopped inside it) is not counted.
    stopped = {'dynamical_matrix_1': _dynmat(1), 'dynamical_matrix_2': _dynmat(2, complete=False)}
    assert merge_restart_parameters([stopped])['number_of_qpoints'] == 1
    # A start_q = last_q = 2 run keys its matrix by file position (1) but its symmetry labels by q index (2): the
    # matrix has frequencies but no mode_symmetry, and still counts (one q-point, as the run asked).
    one_q = {'dynamical_matrix_1': _dynmat(2, labelled=False), 'number_of_irr_representations_for_each_q': [2]}
    assert merge_restart_parameters([one_q, one_q])['number_of_qpoints'] == 1


KILL_THEN_UNREADABLE = (
    """#!/bin/bash
# Fault injection for test_unreadable_recover_data_restarts_from_the_scf: call 1 is KILL_ONCE's (real ph.x, SIGKILLed
# after L); call 2, the recover restart, stops as ph.x does on recover data it cannot read (its header, QE's error
# banner, exit 1) without running ph.x: the half-written files that cause it cannot be made on demand. Calls 3+ run
# the real ph.x unchanged.
count_file='{count}'
count=$(( $(cat "$count_file" 2>/dev/null || echo 0) + 1 ))
echo $count > "$count_file"
if [ $count -eq 2 ]; then
  echo '     Program PHONON v.6.7MaX starts on 28Nov2026'
  echo ' %%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%'
  echo '     Error in routine davcio (10):'
  echo '     error while reading from file out/_ph0/aiida.q_3/aiida.save'
  echo ' %%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%'
  exit 1
fi
if [ $count -gt 2 ]; then exec {ph_x} "$@"; fi
"""
    + _KILL_AFTER_L
)


def test_unreadable_recover_data_restarts_from_the_scf(computer, al_scf_la2f, tmp_path, elph_reference):
    """A recover restart that stops on an error starts once more from the SCF (recover off) and ends as the reference.

    Seen in the fault-injection campaign (docs/cluster.md, section 8): a ph.x SIGKILLed while writing left recover
    data its restart could not read; the restart stopped on an error banner, which ``handle_interrupted`` leaves
    alone, and the point failed (exit 413).
    """
    wrapper = tmp_path / 'ph-kill-then-unreadable.sh'
    wrapper.write_text(KILL_THEN_UNREADABLE.format(count=tmp_path / 'calls', ph_x=shutil.which('ph.x')))
    wrapper.chmod(0o755)
    code = installed_code(computer, 'ph.x', 'quantumespresso.ph', 'ph-unreadable', str(wrapper))
    builder = _ph_builder(
        EnatomPhBaseWorkChain,
        code,
        al_scf_la2f.outputs.remote_folder,
        max_iterations=4,
        inputph={'tr2_ph': 1.0e-12, **ELPH},
        mesh=(2, 2, 2),
    )
    _, node = run_get_node(builder)
    assert node.is_finished_ok, f'{node.exit_message}\n{_reports(node)}'
    incomplete = PhCalculation.exit_codes.ERROR_OUTPUT_STDOUT_INCOMPLETE.status
    killed, unreadable, fresh = _children(node)
    assert [killed.exit_status, unreadable.exit_status, fresh.exit_status] == [incomplete, incomplete, 0]
    assert unreadable.inputs.parameters['INPUTPH']['recover'] is True
    assert 'starting again from the SCF' in _reports(node)
    assert fresh.inputs.parent_folder.uuid == al_scf_la2f.outputs.remote_folder.uuid
    assert fresh.inputs.parameters['INPUTPH']['recover'] is False
    expected = _frequencies(elph_reference)
    for name, values in _frequencies(fresh).items():
        assert values == pytest.approx(expected[name], rel=1.0e-3), name


def test_was_interrupted():
    header = '     Program PHONON v.6.7MaX starts on 27Nov2026\n     Representation     1      1 modes\n'
    assert was_interrupted(header)
    assert not was_interrupted(header + '\n     JOB DONE.\n')
    assert not was_interrupted(
        header + ' %%%%%%%%%%%%%%%%%%%%\n     Error in routine phq_readin (1):\n     Wrong nmix_ph\n'
    )
    assert not was_interrupted('')
    assert not was_interrupted(None)
    assert not was_interrupted('mpirun: not found\n')  # ph.x never started: nothing to recover


def test_killed_ph_x_is_recovered(killed_run, elph_reference):
    """A ph.x SIGKILLed after two of its three q-points restarts from its recover data and ends as an uninterrupted run.

    Before ``handle_interrupted`` the incomplete stdout (exit 312) was an unhandled failure: the work chain aborted
    and the point lost every q-point ph.x had finished (seen on CaH6 at 300 GPa: 63 CPU-minutes of ph.x lost when
    the runner's machine went down).
    """
    node = killed_run
    assert node.is_finished_ok, f'{node.exit_message}\n{_reports(node)}'
    children = _children(node)
    assert [child.exit_status for child in children] == [
        PhCalculation.exit_codes.ERROR_OUTPUT_STDOUT_INCOMPLETE.status,
        0,
    ]
    assert 'restarting from its recover data' in _reports(node)
    killed, restart = children
    assert 'JOB DONE' not in _stdout(killed)
    assert restart.inputs.parent_folder.uuid == killed.outputs.remote_folder.uuid
    assert restart.inputs.parameters['INPUTPH']['recover'] is True
    # Γ and L are not computed again: ph.x lists their representations as done and solves only X's (the third q).
    restarted = _stdout(restart)
    assert restarted.count('Calculation of q') == 3
    done = re.findall(r'Representation\s+\d+\s+\d+ modes? -\s+Done', restarted)
    assert len(done) == 3  # Γ: one 3-dimensional representation, L: two
    before_x = restarted[: restarted.rindex('Calculation of q')]
    assert 'Representation #' not in before_x  # no linear response solved at Γ or L
    assert 'Representation #' in restarted[len(before_x) :]
    reference = _remote_files(elph_reference, 'elph_dir')
    recovered = _remote_files(restart, 'elph_dir')
    assert set(recovered) == set(reference)
    for index in range(1, 4):
        name = f'elph.inp_lambda.{index}'
        assert _lambdas(recovered[name]) == pytest.approx(_lambdas(reference[name]), rel=5.0e-3), name
    expected = _frequencies(elph_reference)
    frequencies = _frequencies(restart)
    for name, values in expected.items():
        assert frequencies[name] == pytest.approx(values, rel=1.0e-3), name

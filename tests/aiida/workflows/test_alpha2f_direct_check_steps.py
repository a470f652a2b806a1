"""Single steps of enatom.alpha2f around the direct stability check, on an instantiated (not run) WorkChain."""

from __future__ import annotations

import pytest
from aiida import orm
from aiida.engine.utils import instantiate_process
from aiida.manage import get_manager
from plumpy import ProcessState

from aiida_enatom.workflows.alpha2f import DIRECT_CHECK_DROPPED_KEYS, Alpha2FWorkChain


@pytest.fixture
def process(codes, pseudo_family, h3s_structure):
    def make(direct_check: bool = True):
        builder = Alpha2FWorkChain.get_builder_from_protocol(
            codes, h3s_structure, protocol='test', overrides={'stability_direct_check': direct_check}
        )
        return instantiate_process(get_manager().get_runner(), builder)

    return make


def _summary(needed: bool) -> dict:
    return {'summary': orm.Dict({'direct_check_needed': needed}).store()}


def test_protocol_switch_default_on(codes, pseudo_family, h3s_structure):
    for protocol in ('test', 'fast', 'balanced', 'stringent'):
        builder = Alpha2FWorkChain.get_builder_from_protocol(codes, h3s_structure, protocol=protocol)
        assert builder.stability_direct_check.value is True


@pytest.mark.parametrize(
    ('switch', 'needed', 'runs'),
    [(True, True, True), (True, False, False), (False, True, False), (False, False, False)],
)
def test_direct_check_runs_only_when_needed_and_switched_on(process, switch, needed, runs):
    workchain = process(switch)
    workchain.ctx.interpolated = _summary(needed)
    assert workchain.should_run_direct_check() is runs


def test_failed_direct_check_has_its_own_exit_code(process):
    workchain = process()
    node = orm.WorkflowNode()
    node.set_process_label('EnatomPhBaseWorkChain')
    node.set_process_state(ProcessState.FINISHED)
    node.set_exit_status(401)
    node.store()
    workchain.ctx.ph_direct_check = node
    result = workchain.inspect_direct_check()
    assert result.status == Alpha2FWorkChain.exit_codes.ERROR_SUB_PROCESS_FAILED_DIRECT_CHECK.status == 416


def test_direct_check_drops_the_el_ph_keys_of_the_grid_run(codes, pseudo_family, h3s_structure):
    builder = Alpha2FWorkChain.get_builder_from_protocol(codes, h3s_structure, protocol='fast')
    inputph = builder.ph.ph.parameters['INPUTPH']
    # Every el-ph key the grid run sets is one the direct check drops; tr2_ph and nmix_ph stay.
    assert {'electron_phonon', 'el_ph_sigma', 'el_ph_nsigma', 'fildvscf'} <= set(inputph) & set(
        DIRECT_CHECK_DROPPED_KEYS
    )
    assert not {'tr2_ph', 'nmix_ph'} & set(DIRECT_CHECK_DROPPED_KEYS)

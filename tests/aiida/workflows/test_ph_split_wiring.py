"""enatom.alpha2f and the ph.x split by q: the protocol rule (``ph_split_by_q: auto``) and the ``run_ph`` step."""

from __future__ import annotations

import shutil

import pytest
from aiida import orm
from aiida.common import LinkType
from aiida.engine.utils import instantiate_process
from aiida.manage import get_manager
from plumpy import ProcessState

from aiida_enatom.workflows.alpha2f import Alpha2FWorkChain
from aiida_enatom.workflows.ph_base import EnatomPhBaseWorkChain
from aiida_enatom.workflows.ph_split import EnatomPhSplitWorkChain

from ..conftest import QE_PLUGINS
from .conftest import CODE_ROLES


@pytest.fixture
def slurm_codes():
    """QE codes by role on a stored ``core.slurm`` computer (never contacted: only the builder reads it)."""
    try:
        computer = orm.load_computer('ph-split-slurm')
    except Exception:  # noqa: BLE001 - not yet created on this profile
        computer = orm.Computer(
            label='ph-split-slurm',
            hostname='localhost',
            workdir='/tmp/ph-split-slurm',
            transport_type='core.local',
            scheduler_type='core.slurm',
        ).store()
        computer.set_default_mpiprocs_per_machine(2)
    codes = {}
    for role, executable in CODE_ROLES.items():
        label = f'ph-split-{executable}'
        try:
            codes[role] = orm.load_code(f'{label}@{computer.label}')
        except Exception:  # noqa: BLE001 - not yet created on this profile
            codes[role] = orm.InstalledCode(
                computer=computer,
                filepath_executable=shutil.which(executable) or f'/usr/bin/{executable}',
                label=label,
                default_calc_job_plugin=QE_PLUGINS[executable],
            ).store()
    return codes


def test_default_path_unchanged_on_localhost(codes, pseudo_family, h3s_structure):
    """core.direct: the builder does not set the input, so the single ph.x run stays the default."""
    for options in (None, {'resources': {'num_machines': 2}}):
        builder = Alpha2FWorkChain.get_builder_from_protocol(codes, h3s_structure, protocol='test', options=options)
        assert 'ph_split_by_q' not in builder
    assert Alpha2FWorkChain.spec().inputs['ph_split_by_q'].default().value is False


@pytest.mark.parametrize(('num_machines', 'split'), [(1, False), (2, True), (8, True)])
def test_auto_on_for_a_batch_scheduler_above_one_node(slurm_codes, pseudo_family, h3s_structure, num_machines, split):
    options = {'resources': {'num_machines': num_machines}, 'max_wallclock_seconds': 3600}
    builder = Alpha2FWorkChain.get_builder_from_protocol(slurm_codes, h3s_structure, protocol='test', options=options)
    assert builder.get('ph_split_by_q', orm.Bool(False)).value is split


@pytest.mark.parametrize('value', [True, False])
def test_override_wins(codes, slurm_codes, pseudo_family, h3s_structure, value):
    options = {'resources': {'num_machines': 2}, 'max_wallclock_seconds': 3600}
    for code_set in (codes, slurm_codes):
        builder = Alpha2FWorkChain.get_builder_from_protocol(
            code_set, h3s_structure, protocol='test', options=options, overrides={'ph_split_by_q': value}
        )
        assert builder.get('ph_split_by_q', orm.Bool(False)).value is value


def test_invalid_protocol_value(codes, pseudo_family, h3s_structure):
    with pytest.raises(ValueError, match='ph_split_by_q'):
        Alpha2FWorkChain.get_builder_from_protocol(
            codes, h3s_structure, protocol='test', overrides={'ph_split_by_q': 'sometimes'}
        )


def _scf_node(computer) -> orm.WorkflowNode:
    node = orm.WorkflowNode()
    node.set_process_label('PwBaseWorkChain')
    node.set_process_state(ProcessState.FINISHED)
    node.set_exit_status(0)
    node.store()
    remote = orm.RemoteData(computer=computer, remote_path='/tmp').store()
    remote.base.links.add_incoming(node, LinkType.RETURN, 'remote_folder')
    return node


@pytest.mark.parametrize(('split', 'process_class'), [(False, EnatomPhBaseWorkChain), (True, EnatomPhSplitWorkChain)])
def test_run_ph_submits_the_chosen_workchain(codes, pseudo_family, h3s_structure, split, process_class):
    """run_ph submits the split or the single run with the same ph inputs; the split's inputs validate."""
    builder = Alpha2FWorkChain.get_builder_from_protocol(
        codes, h3s_structure, protocol='test', overrides={'ph_split_by_q': split}
    )
    process = instantiate_process(get_manager().get_runner(), builder)
    qpoints = orm.KpointsData()
    qpoints.set_kpoints_mesh([2, 2, 2])
    process.ctx.scf = _scf_node(codes['ph'].computer)
    process.ctx.meshes = {'qpoints': qpoints}
    submitted = []

    def submit(cls, **inputs):
        submitted.append((cls, inputs))
        return process.ctx.scf

    process.submit = submit
    process.run_ph()
    ((cls, inputs),) = submitted
    assert cls is process_class
    assert inputs['metadata']['call_link_label'] == 'ph'
    assert inputs['ph']['parent_folder'].uuid == process.ctx.scf.outputs.remote_folder.uuid
    assert inputs['ph']['parameters'].get_dict() == builder.ph.ph.parameters.get_dict()
    assert ('only_initialization' in inputs) is not split
    assert cls.spec().inputs.validate(inputs) is None

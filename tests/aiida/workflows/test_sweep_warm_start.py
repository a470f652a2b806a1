"""A relaunched sweep starts from a finished point's relaxed cell: the plan picks the point, the relax starts warm."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from aiida import orm
from aiida.common import LinkType
from aiida.engine.utils import instantiate_process
from aiida.manage import get_manager
from aiida_quantumespresso.workflows.pw.relax import PwRelaxWorkChain

from aiida_enatom.campaign.launch import _warm_start
from aiida_enatom.workflows.sweep import SweepWorkChain


def _submitted(process):
    """Replace ``process.submit`` by a recorder; return the list it fills with (class, inputs)."""
    calls = []

    def submit(process_class, **inputs):
        calls.append((process_class, inputs))
        return orm.WorkflowNode().store()

    process.submit = submit
    return calls


@pytest.mark.parametrize('relaxed_at', [None, 250.3])
def test_first_relax_is_warm_only_from_a_relaxed_input(codes, pseudo_family, h3s_structure, relaxed_at):
    builder = SweepWorkChain.get_builder_from_protocol(codes, h3s_structure, [300.0], protocol='test')
    if relaxed_at is not None:
        builder.structure_relaxed_at = orm.Float(relaxed_at)
    process = instantiate_process(get_manager().get_runner(), builder)
    process.setup()
    calls = _submitted(process)
    process.run_relax()
    ((_, inputs),) = calls
    assert inputs['base_relax']['pw']['parameters']['CELL']['press'] == pytest.approx(3000.0)  # kbar
    relax_inputs = process.exposed_inputs(PwRelaxWorkChain, namespace='relax')
    assert ('base_init_relax' in inputs) is (relaxed_at is None and 'base_init_relax' in relax_inputs)
    report = orm.Log.collection.get_logs_for(process.node)[-1].message
    expected = 'the input structure, relaxed at 250.3 GPa' if relaxed_at else 'from the input structure'
    assert expected in report


def _point(structure: orm.StructureData, computed: float | None) -> orm.WorkflowNode:
    node = orm.WorkflowNode()
    node.base.links.add_incoming(structure.store(), LinkType.INPUT_WORK, 'structure')
    if computed is not None:
        node.base.links.add_incoming(orm.Float(computed).store(), LinkType.INPUT_WORK, 'structure_pressure')
    return node.store()


def test_warm_start_takes_the_finished_point_just_below(h3s_structure):
    """The relaunch relaxes along a first launch's path: from the cell below, else cold."""
    low, high = _point(h3s_structure.clone(), 199.8), _point(h3s_structure.clone(), 250.2)
    finished = {200.0: low.pk, 250.0: high.pk}
    for first, expected in ((210.0, low), (240.0, low), (300.0, high)):
        builder = SimpleNamespace()
        assert _warm_start(builder, finished, first) == expected.pk
        assert builder.structure.uuid == expected.inputs.structure.uuid  # the stored cell itself: provenance
        assert builder.structure_relaxed_at.uuid == expected.inputs.structure_pressure.uuid
    for first in (150.0, 200.0):  # nothing below: cold, as the first launch started
        builder = SimpleNamespace()
        assert _warm_start(builder, finished, first) is None
        assert not hasattr(builder, 'structure')
    assert _warm_start(SimpleNamespace(), {}, 200.0) is None


def test_no_warm_start_from_a_point_not_relaxed_by_a_sweep(h3s_structure):
    standalone = _point(h3s_structure.clone(), None)  # its structure is the unrelaxed input
    builder = SimpleNamespace()
    assert _warm_start(builder, {200.0: standalone.pk}, 250.0) is None
    assert not hasattr(builder, 'structure')

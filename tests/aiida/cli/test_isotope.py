"""``aiida-enatom isotope`` and the ``substitute_isotopes`` calcfunction on a stored (fake) α²F stage of real MgH data.

The stage is built from the real QE 6.7 MgH el-ph fixture (q2r's force constants and Γ(R), matdyn's grid) and
linked like a finished ``enatom.alpha2f`` WorkChain (q2r and matdyn CalcJob nodes, inputs, outputs); no QE runs.
"""

from __future__ import annotations

import functools
import io
import json

import pytest
from aiida import orm
from aiida.common import LinkType
from click.testing import CliRunner
from plumpy import ProcessState

from aiida_enatom.calculations.functions.substitute_isotopes import point_isotope_inputs, substitute_isotopes
from aiida_enatom.cli.isotope import cmd_isotope
from aiida_enatom.data.alpha2f import Alpha2FData
from aiida_enatom.numerics.interpolation import atom_resolved_alpha2f
from aiida_enatom.numerics.isotopes import ISOTOPE_MASSES_AMU, isotope_effect

from ...numerics._mgh import MGH, matdyn_grid_mev, mgh_model

MESH = (6, 6, 6)
SMEARING_RY = 0.005  # σ of a2Fmatdyn.61 (smearing index 0)


def _calc(label: str, stage: orm.WorkflowNode, inputs: dict | None = None, outputs: dict | None = None):
    node = orm.CalcJobNode()
    node.set_process_type(f'aiida.calculations:quantumespresso.{label}')
    node.set_process_state(ProcessState.FINISHED)
    node.set_exit_status(0)
    for link_label, data in (inputs or {}).items():
        node.base.links.add_incoming(data.store(), LinkType.INPUT_CALC, link_label)
    node.base.links.add_incoming(stage, LinkType.CALL_CALC, label)
    node.store()
    for link_label, data in (outputs or {}).items():
        data.base.links.add_incoming(node, LinkType.CREATE, link_label)
        data.store()
    return node


@functools.cache
def _model_and_spectrum():
    model = mgh_model(smearing=1, q_mesh=MESH)
    spectrum = atom_resolved_alpha2f(
        model.force_constants,
        [model.gamma],
        cell=model.cell,
        positions=model.positions,
        masses_amu=model.masses_amu,
        species=model.species,
        q_mesh=MESH,
        dos_ef_per_mev=[model.dos_ef_per_mev],
        frequency_mev=matdyn_grid_mev(),
    )[0]
    return model, spectrum


def _point() -> orm.WorkflowNode:
    point = orm.WorkflowNode()
    point.set_process_type('aiida.workflows:enatom.pressure_point')
    point.set_process_state(ProcessState.FINISHED)
    return point.store()


def _fake_stage(parent: orm.WorkflowNode | None = None) -> tuple[orm.WorkflowNode, object]:
    """A finished enatom.alpha2f node with the links point_isotope_inputs follows, and the pure model it holds."""
    model, spectrum = _model_and_spectrum()
    alpha2f = Alpha2FData()
    alpha2f.set_from([spectrum], [SMEARING_RY])
    stage = orm.WorkflowNode()
    stage.set_process_type('aiida.workflows:enatom.alpha2f')
    stage.set_process_label('Alpha2FWorkChain')
    stage.set_process_state(ProcessState.FINISHED)
    stage.set_exit_status(0)
    stage.base.links.add_incoming(orm.Float(0.1).store(), LinkType.INPUT_WORK, 'mu_star')
    stage.base.links.add_incoming(orm.Int(0).store(), LinkType.INPUT_WORK, 'default_smearing_index')
    if parent is not None:
        stage.base.links.add_incoming(parent, LinkType.CALL_WORK, 'alpha2f')
    stage.store()
    retrieved = orm.FolderData()
    retrieved.base.repository.put_object_from_filelike(
        io.BytesIO((MGH / 'elph_dir' / 'a2Fmatdyn.61').read_bytes()), 'a2Fmatdyn.61'
    )
    _calc(
        'q2r',
        stage,
        outputs={'force_constants': orm.SinglefileData(MGH / 'alh222.fc'), 'retrieved': retrieved},
    )
    kpoints = orm.KpointsData()
    kpoints.set_kpoints_mesh(list(MESH))
    _calc('matdyn', stage, inputs={'kpoints': kpoints})
    alpha2f.store().base.links.add_incoming(stage, LinkType.RETURN, 'alpha2f')
    return stage, model


@pytest.fixture
def stage():
    return _fake_stage()


def test_calcfunction_matches_pure_function_with_provenance(stage):
    node, model = stage
    result = substitute_isotopes(**point_isotope_inputs(node), masses=orm.Dict({'H': 'D'}))
    values = result['isotope_effect'].get_dict()
    pure = isotope_effect(model, {'H': 'D'}, matdyn_grid_mev(), mu_star=0.1)
    assert values['tc_eliashberg_D_K'] == pytest.approx(pure.tc_substituted_k['eliashberg'], rel=1e-10)
    assert values['isotope_alpha_H'] == pytest.approx(pure.alpha['H']['eliashberg'], rel=1e-8)
    assert values['isotope_alpha_M'] == pytest.approx(pure.alpha['M']['eliashberg'], rel=1e-8)
    assert values['isotope_alpha'] == pytest.approx(pure.alpha['all']['eliashberg'], rel=1e-10)
    assert values['isotope_mass_H_amu'] == pytest.approx(ISOTOPE_MASSES_AMU['D'])
    assert values['isotope_substitution'] == 'H=D'
    creator = result['isotope_effect'].creator
    assert creator.process_label == 'substitute_isotopes'
    assert {link.link_label for link in creator.base.links.get_incoming().all()} >= {
        'alpha2f',
        'force_constants',
        'q2r_retrieved',
        'qpoints',
        'masses',
        'mu_star',
        'smearing_index',
    }
    substituted = result['alpha2f']
    assert substituted.number_of_smearings == 1
    assert set(substituted.partial_keys) >= {'H', 'Mg', 'H-Mg'}


def test_inputs_from_point_and_errors():
    point = _point()
    node, _ = _fake_stage(point)
    inputs = point_isotope_inputs(point)
    assert inputs['alpha2f'].uuid == node.outputs.alpha2f.uuid
    with pytest.raises(ValueError, match='has no alpha2f stage'):
        point_isotope_inputs(_point())
    other = orm.WorkflowNode()
    other.set_process_type('aiida.workflows:enatom.enatom')
    other.store()
    with pytest.raises(ValueError, match=r'is a enatom\.enatom, not an enatom\.pressure_point or enatom\.alpha2f'):
        point_isotope_inputs(other)


def test_cli_substitute_json():
    point = _point()
    _fake_stage(point)
    result = CliRunner().invoke(cmd_isotope, [str(point.pk), '--substitute', 'H=D', '--json'])
    assert result.exit_code == 0, result.output
    values = json.loads(result.output)
    assert values['tc_eliashberg_D_K'] < values['tc_eliashberg_recomputed_K']
    assert 0.3 < values['isotope_alpha_H'] < 0.5
    assert orm.load_node(values['calcfunction_pk']).process_label == 'substitute_isotopes'


def test_cli_mass_table(stage):
    node, _ = stage
    result = CliRunner().invoke(cmd_isotope, [str(node.pk), '--mass', 'H=2.014', '--mass', 'Mg=26'])
    assert result.exit_code == 0, result.output
    assert 'isotope_substitution' in result.output and 'H=2.014, Mg=26.0' in result.output
    assert 'tc_eliashberg_substituted_K' in result.output


@pytest.mark.parametrize(
    ('args', 'message'),
    [
        (['--mass', 'Li=7'], 'Li: not an element of point'),
        (['--mass', 'H=0'], "'H=0': the mass of H must be a positive number of amu"),
        (['--mass', 'H=-2'], 'the mass of H must be a positive number of amu'),
        (['--mass', 'H'], "'H' is not ELEMENT=VALUE"),
        (['--substitute', 'H=X'], "'H=X': unknown isotope; use H=D, H=T or --mass ELEMENT=AMU"),
        (['--substitute', 'Mg=D'], "'Mg=D': unknown isotope"),
        ([], 'give at least one --substitute'),
    ],
)
def test_cli_errors(stage, args, message):
    node, _ = stage
    result = CliRunner().invoke(cmd_isotope, [str(node.pk), *args])
    assert result.exit_code != 0
    assert message in result.output


def test_cli_wrong_node():
    other = orm.Int(5).store()
    result = CliRunner().invoke(cmd_isotope, [str(other.pk), '--substitute', 'H=D'])
    assert result.exit_code != 0
    assert 'is a Int, not an enatom.pressure_point or enatom.alpha2f process' in result.output
    result = CliRunner().invoke(cmd_isotope, ['999999999', '--substitute', 'H=D'])
    assert 'no node with PK 999999999' in result.output

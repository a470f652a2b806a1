"""Protocols of enatom.alpha2f and enatom.pressure_point: names, builders (regression), CELL.press, enatom stage."""

from __future__ import annotations

import pytest

from aiida_enatom.workflows.alpha2f import Alpha2FWorkChain
from aiida_enatom.workflows.pressure_point import PressurePointWorkChain

from .conftest import serialize_builder

PROTOCOLS = ('test', 'fast', 'balanced', 'stringent')


@pytest.mark.parametrize('workchain', [Alpha2FWorkChain, PressurePointWorkChain])
def test_available_protocols(workchain):
    assert set(workchain.get_available_protocols()) == set(PROTOCOLS)
    assert workchain.get_default_protocol() == 'balanced'
    assert all(value['description'] for value in workchain.get_available_protocols().values())


@pytest.mark.parametrize('protocol', PROTOCOLS)
def test_alpha2f_builder(codes, pseudo_family, h3s_structure, protocol, data_regression):
    builder = Alpha2FWorkChain.get_builder_from_protocol(codes, h3s_structure, protocol=protocol)
    inputph = builder.ph.ph.parameters['INPUTPH']
    assert inputph['electron_phonon'] == 'interpolated'
    assert inputph['fildvscf']  # ph.x 6.7 refuses el-ph without it
    assert builder.q2r.parameters['INPUT']['la2f'] is True
    assert builder.matdyn.parameters['INPUT']['la2f'] is True
    assert 'a2Fmatdyn' in builder.q2r.metadata.options.additional_retrieve_list[0]
    data_regression.check(serialize_builder(builder))


@pytest.mark.parametrize('protocol', PROTOCOLS)
@pytest.mark.parametrize('pressure', [0.0, 150.0, 200.0])
def test_pressure_point_cell_press(codes, pseudo_family, h3s_structure, protocol, pressure):
    builder = PressurePointWorkChain.get_builder_from_protocol(
        codes, h3s_structure, pressure=pressure, protocol=protocol
    )
    stages = [stage for stage in ('base_relax', 'base_init_relax') if builder.relax[stage].pw.get('parameters')]
    assert ('base_init_relax' in stages) is (protocol != 'test')
    for stage in stages:
        parameters = builder.relax[stage].pw.parameters.get_dict()
        assert parameters['CELL']['press'] == pytest.approx(10.0 * pressure)  # kbar = 10 × GPa
        assert parameters['CONTROL']['calculation'] == 'vc-relax'
        assert parameters['CELL']['cell_dofree'] == 'all'
    assert builder.pressure.value == pressure
    assert builder.run_enatom.value is False


def test_pressure_point_builder(codes, pseudo_family, h3s_structure, data_regression):
    builder = PressurePointWorkChain.get_builder_from_protocol(codes, h3s_structure, pressure=200.0, protocol='fast')
    data_regression.check(serialize_builder(builder))


def test_pressure_point_builder_enatom(codes, pseudo_family, h3s_structure, data_regression):
    builder = PressurePointWorkChain.get_builder_from_protocol(
        codes,
        h3s_structure,
        pressure=200.0,
        protocol='fast',
        overrides={'run_enatom': True, 'enatom': {'displacement_amplitude': 0.02}},
    )
    assert builder.run_enatom.value is True
    enatom = builder.enatom
    # The structure is the hook for the relaxed structure (set in `run_stages`); cleaning belongs to the parent.
    assert 'structure' not in enatom
    assert 'clean_workdir' not in enatom
    assert 'structure' not in enatom.scf.pw
    assert enatom.pp.code.uuid == codes['pp'].uuid
    assert enatom.scf.pw.code.uuid == codes['pw'].uuid
    assert enatom.min_image_distance.value == 7.0  # the enatom protocol of the same name
    assert enatom.displacement_amplitude.value == 0.02
    assert set(enatom.scf.pw.pseudos) == {'H', 'S'}
    assert PressurePointWorkChain.validate_inputs(builder._inputs(prune=True), None) is None
    data_regression.check(serialize_builder(builder.enatom))


def test_pressure_point_enatom_needs_pp_code(codes, pseudo_family, h3s_structure):
    codes = dict(codes)
    codes.pop('pp')
    with pytest.raises(ValueError, match="'pp'"):
        PressurePointWorkChain.get_builder_from_protocol(
            codes, h3s_structure, pressure=200.0, protocol='fast', overrides={'run_enatom': True}
        )
    builder = PressurePointWorkChain.get_builder_from_protocol(codes, h3s_structure, pressure=200.0, protocol='fast')
    assert builder.run_enatom.value is False
    assert not builder._inputs(prune=True).get('enatom')


def test_overrides(codes, pseudo_family, h3s_structure):
    builder = PressurePointWorkChain.get_builder_from_protocol(
        codes,
        h3s_structure,
        pressure=100.0,
        protocol='fast',
        overrides={'press_conv_thr': 0.1, 'alpha2f': {'mu_star': 0.13, 'qpoints_distance': 0.5}},
    )
    assert builder.relax.base_relax.pw.parameters['CELL']['press_conv_thr'] == 0.1
    assert builder.alpha2f.mu_star.value == 0.13
    assert builder.alpha2f.qpoints_distance.value == 0.5


def test_unknown_protocol(codes, pseudo_family, h3s_structure):
    with pytest.raises(ValueError, match='not a valid protocol'):
        Alpha2FWorkChain.get_builder_from_protocol(codes, h3s_structure, protocol='ultra')


def test_missing_code(codes, pseudo_family, h3s_structure):
    codes = dict(codes)
    codes.pop('projwfc')
    with pytest.raises(ValueError, match='projwfc'):
        Alpha2FWorkChain.get_builder_from_protocol(codes, h3s_structure, protocol='fast')


def test_validator_rejects_wrong_press(codes, pseudo_family, h3s_structure):
    from aiida import orm

    builder = PressurePointWorkChain.get_builder_from_protocol(codes, h3s_structure, pressure=200.0, protocol='fast')
    inputs = {'pressure': builder.pressure, 'relax': {'base_relax': {'pw': {'parameters': {'CELL': {'press': 20.0}}}}}}
    assert 'does not match' in PressurePointWorkChain.validate_inputs(inputs, None)
    inputs['relax']['base_relax']['pw']['parameters']['CELL']['press'] = 2000.0
    assert PressurePointWorkChain.validate_inputs(inputs, None) is None
    inputs['run_enatom'] = orm.Bool(True)
    assert 'needs the `enatom` inputs' in PressurePointWorkChain.validate_inputs(inputs, None)
    inputs['enatom'] = {'min_image_distance': orm.Float(7.0)}
    assert PressurePointWorkChain.validate_inputs(inputs, None) is None

"""The calcfunction ``compute_plane_wave_scattering`` on analytic H3S fields (no QE), and its keys in the record."""

from __future__ import annotations

import numpy as np
import pytest

from aiida_enatom.common.record import build_record
from aiida_enatom.numerics.plane_wave_scattering import free_electron_wavevector, plane_wave_fermi_average
from tests.numerics.enatom_model import h3s_model

A = 3.0  # Å, conventional cell of the model (2 formula units)
ELECTRONS = 18.0  # 2 × (6 + 3)


@pytest.fixture(scope='module')
def plane_wave_node(aiida_profile):
    """Run the calcfunction on the model's S (site 0) and H (site 2) fields: total with bonds, bare without."""
    from aiida import orm

    from aiida_enatom.calculations.functions.compute_plane_wave_scattering import compute_plane_wave_scattering

    with_bonds, rigid_only = h3s_model(a=A, n=24), h3s_model(a=A, n=24, with_bonds=False)
    derivatives = orm.ArrayData()
    for index, site in enumerate((0, 2)):
        derivatives.set_array(f'total_atom_{index:02d}', with_bonds.field(site))
        derivatives.set_array(f'bare_atom_{index:02d}', rigid_only.field(site))
    dataset = orm.Dict(
        {
            'atoms': [0, 2],
            'displacements': [[0.01, 0.0, 0.0], [0.01, 0.0, 0.0]],
            'n_directions': 2,
            'kind_names': ['H', 'S'],
            'supercell_cell': with_bonds.cell.tolist(),
            'supercell_positions': with_bonds.positions.tolist(),
            'supercell_numbers': [2 if z == 16 else 1 for z in with_bonds.numbers],
        }
    )
    outputs = compute_plane_wave_scattering(derivatives, dataset, orm.Dict({'number_of_electrons': ELECTRONS}))
    return outputs['plane_wave'], with_bonds


def test_keys_and_normalisation(plane_wave_node):
    """Per-species keys, Ω₀ = the primitive cell (a³/2), k_F of 18 electrons in a³, multiplicities 2 and 6."""
    node, _ = plane_wave_node
    values = node.get_dict()
    assert node.creator.process_label == 'compute_plane_wave_scattering'
    assert values['pw_cell_volume_A3'] == pytest.approx(A**3 / 2)
    assert values['pw_electrons_per_cell'] == pytest.approx(ELECTRONS / 2)
    assert values['pw_k_fermi_per_A'] == pytest.approx(free_electron_wavevector(ELECTRONS, A**3))
    for element in ('H', 'S'):
        rigid = values[f'I2_{element}_pw_rigid_eV2_per_A2']
        backflow = values[f'I2_{element}_pw_backflow_eV2_per_A2']
        assert values[f'I2_{element}_pw_eV2_per_A2'] == pytest.approx(rigid + backflow)
        assert values[f'I2_{element}_backflow_share'] == pytest.approx(backflow / (rigid + backflow))
        assert 0 < values[f'I2_{element}_backflow_share'] < 1
    assert {atom['multiplicity'] for atom in values['pw_atoms'].values()} == {2, 6}
    # the bare (bond-free) fields are pure gradients: no backflow in the exact lattice sum
    assert values['pw_bare_backflow_share_lattice_max'] < 1e-12


def test_matches_the_numerics(plane_wave_node):
    """The H number is the pure function's on the same field (the calcfunction only unwraps and wraps)."""
    node, model = plane_wave_node
    k_fermi = free_electron_wavevector(ELECTRONS, A**3)
    center = model.positions[2] @ model.cell
    direct = plane_wave_fermi_average(model.field(2), model.cell, center, k_fermi=k_fermi, cell_volume=A**3 / 2)
    assert node['I2_H_pw_rigid_eV2_per_A2'] == pytest.approx(direct.rigid, rel=1e-12)
    assert node['I2_H_pw_backflow_eV2_per_A2'] == pytest.approx(direct.backflow, rel=1e-12)


def test_record_takes_the_keys(plane_wave_node):
    """``build_record(..., plane_wave=...)`` copies the flat keys and adds the ratio to route 2."""
    node, _ = plane_wave_node
    metrics = {'lambda': 2.0, 'mu_star': 0.1, 'I2_H_route2_eV2_per_A2': 10.0}
    record = build_record(
        metrics,
        {'dynamically_stable': True},
        formula='H3S',
        candidate=None,
        protocol=None,
        target_pressure_gpa=None,
        pressure_gpa=200.0,
        number_of_atoms=4,
        volume_a3=13.5,
        plane_wave=node.get_dict(),
    )
    assert 'pw_atoms' not in record
    assert record['I2_H_backflow_share'] == node['I2_H_backflow_share']
    assert record['I2_H_pw_route2_ratio'] == pytest.approx(node['I2_H_pw_eV2_per_A2'] / 10.0)
    assert record['I2_S_pw_route2_ratio'] is None
    assert np.isfinite(record['I2_S_pw_rigid_eV2_per_A2'])


class _Outputs(dict):
    """Stand-in for a node's ``outputs`` (attribute and item access, ``in``, iteration over labels)."""

    __getattr__ = dict.__getitem__


def test_show_json_has_the_keys(plane_wave_node):
    """``aiida-enatom show --json`` (``summarise``) merges the flat keys and puts the per-atom split under ``atoms``."""
    import json
    from types import SimpleNamespace

    from aiida import orm

    from aiida_enatom.cli.summary_enatom import summarise

    node, _ = plane_wave_node
    atom_metrics = {'site': 2, 'element': 'H', 'backflow_to_rigid': {'total': 0.03}, 'tail': {'total': 0.001}}
    outputs = _Outputs(
        metrics=orm.Dict({'n_supercell_scf': 3}),
        plane_wave=node,
        atoms=_Outputs(atom_01=_Outputs(metrics=orm.Dict(atom_metrics))),
    )
    fake = SimpleNamespace(
        pk=1, process_label='EnatomWorkChain', process_state=None, exit_status=0, exit_message=None, outputs=outputs
    )
    summary = summarise(fake)
    assert summary['I2_H_backflow_share'] == node['I2_H_backflow_share']
    assert 'pw_atoms' not in summary
    assert summary['atoms']['atom_01']['plane_wave']['multiplicity'] == 6
    json.dumps(summary)


def test_results_record_calcfunction_takes_plane_wave(plane_wave_node):
    """``build_results_record`` accepts the optional ``plane_wave`` Dict and writes its keys into the record."""
    from aiida import orm

    from aiida_enatom.calculations.functions.build_results_record import build_results_record
    from aiida_enatom.common.structures import prototype_structure

    node, _ = plane_wave_node
    outputs = build_results_record(
        metrics=orm.Dict({'lambda': 2.0, 'mu_star': 0.1, 'I2_H_route2_eV2_per_A2': 10.0}),
        stability=orm.Dict({'dynamically_stable': True}),
        structure=orm.StructureData(pymatgen=prototype_structure('H3S')),
        pressure=orm.Float(200.0),
        context=orm.Dict({'candidate': None, 'protocol': None, 'target_pressure_GPa': 200.0}),
        plane_wave=node,
    )
    record = outputs['record'].get_dict()
    assert record['I2_H_pw_rigid_eV2_per_A2'] == node['I2_H_pw_rigid_eV2_per_A2']
    assert record['I2_H_pw_route2_ratio'] == pytest.approx(node['I2_H_pw_eV2_per_A2'] / 10.0)

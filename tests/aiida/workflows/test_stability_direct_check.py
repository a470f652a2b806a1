"""The direct stability check for real: expanded fcc Al has a soft mode that only matdyn.x's interpolation sees.

``enatom.alpha2f`` at the ``test`` protocol on fcc Al at a = 8.5 bohr (Debian's LDA ``Al.pz-vbc.UPF``, 12/48 Ry,
MV 0.05 Ry, k 6³ / dense 12³, q 3³, matdyn 16³, tolerance 1 meV): the same system as the stored fixture
``tests/fixtures/qe/al_q333_qe67_soft_interpolation`` (see its README). ph.x's 3³ grid is stable, the interpolated
mesh has a soft transverse branch at (0, ⅜, 0) 2π/a (conventional a) that is not a grid point, so the WorkChain runs
ph.x directly there; ph.x confirms the instability, and the verdict is unstable with ``evidence = 'direct_q'``.

Measured with this test (QE 6.7, 2 MPI processes): grid lowest +3.04 meV (acoustic modes at Γ ±1.00 meV left out),
interpolated −2.02 meV (16 frequencies below −1 meV), direct −2.27 meV at q = (0, 0, −0.265) 2π/alat, i.e.
(0, 0, ⅜) 2π/a; the plain QE run of the fixture (tr2_ph 1e-14, serial) gave +2.99, −1.90 and −2.33 meV.
The WorkChain took 5.0 min under a load average of 8 on the 2 cores (other test suites running).
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from aiida import orm
from aiida.common import LinkType
from aiida.engine import run_get_node

from aiida_enatom.constants import BOHR_TO_ANGSTROM, CM1_TO_MEV
from aiida_enatom.workflows.alpha2f import Alpha2FWorkChain
from tests.aiida.workflows.conftest import installed_code

AL_LDA_UPF = '/usr/share/espresso/pseudo/Al.pz-vbc.UPF'
FAMILY = 'enatom-test-al-lda'
CODES = {
    'pw': ('pw.x', 'quantumespresso.pw'),
    'ph': ('ph.x', 'quantumespresso.ph'),
    'q2r': ('q2r.x', 'quantumespresso.q2r'),
    'matdyn': ('matdyn.x', 'quantumespresso.matdyn'),
    'projwfc': ('projwfc.x', 'quantumespresso.projwfc'),
}
#: Conventional lattice parameter (bohr), as in the fixture.
CELLDM = 8.5
#: Distances (1/Å) that give q 3³, k 6³, dense k 12³ and matdyn 16³ for this cell (|b| = 2.42 1/Å).
OVERRIDES = {
    'pseudo_family': FAMILY,
    'qpoints_distance': 1.0,
    'kpoints_distance': 0.45,
    'kpoints_distance_la2f': 0.21,
    'matdyn_qpoints_distance': 0.155,
    'stability_threshold': 1.0,
    'scf': {'pw': {'parameters': {'SYSTEM': {'ecutwfc': 12.0, 'ecutrho': 48.0, 'degauss': 0.05}}}},
}
#: Pinned results (meV) and their tolerance: ph.x converges frequencies to ≪ 0.1 cm⁻¹ at tr2_ph 1e-12, but the
#: SCF threshold and the MPI split move them by a few 0.01 meV.
PINNED = {'grid': 3.04, 'interpolated': -2.02, 'direct': -2.27}
TOLERANCE_MEV = 0.1


def _code(computer, executable: str, plugin: str):
    return installed_code(computer, executable, plugin, 'direct-check')


def _family(directory) -> str:
    from aiida_pseudo.data.pseudo.upf import UpfData
    from aiida_pseudo.groups.family import CutoffsPseudoPotentialFamily

    if orm.QueryBuilder().append(orm.Group, filters={'label': FAMILY}).count():
        return FAMILY
    shutil.copy(AL_LDA_UPF, directory)
    family = CutoffsPseudoPotentialFamily.create_from_folder(directory, FAMILY, pseudo_type=UpfData)
    family.set_cutoffs({'Al': {'cutoff_wfc': 12.0, 'cutoff_rho': 48.0}}, 'normal', unit='Ry')
    return FAMILY


def _called(node) -> dict[str, orm.ProcessNode]:
    links = node.base.links.get_outgoing(link_type=(LinkType.CALL_CALC, LinkType.CALL_WORK)).all()
    return {link.link_label: link.node for link in links}


_RUN: dict[str, int] = {}


@pytest.fixture
def run(enatom_computer, tmp_path_factory):
    """Run the WorkChain once for the module (the profile fixtures are function-scoped; cache the PK)."""
    if 'pk' not in _RUN:
        from pymatgen.core import Lattice, Structure

        _family(tmp_path_factory.mktemp('al_upf'))
        codes = {role: _code(enatom_computer, *spec) for role, spec in CODES.items()}
        a = CELLDM * BOHR_TO_ANGSTROM
        structure = Structure.from_spacegroup('Fm-3m', Lattice.cubic(a), ['Al'], [[0, 0, 0]])
        structure = orm.StructureData(pymatgen=structure.get_primitive_structure())
        builder = Alpha2FWorkChain.get_builder_from_protocol(codes, structure, protocol='test', overrides=OVERRIDES)
        _, node = run_get_node(builder)
        _RUN['pk'] = node.pk
    return orm.load_node(_RUN['pk'])


@pytest.mark.slow
def test_meshes_and_exit_status(run):
    assert run.outputs.meshes.get_dict() == {
        'qpoints': [3, 3, 3],
        'kpoints': [6, 6, 6],
        'kpoints_la2f': [12, 12, 12],
        'qpoints_matdyn': [16, 16, 16],
    }
    assert run.exit_status == Alpha2FWorkChain.exit_codes.ERROR_DYNAMICALLY_UNSTABLE.status, run.exit_message
    assert {'alpha2f', 'metrics', 'stability'} <= set(run.outputs)  # data kept


@pytest.mark.slow
def test_direct_check_ran_at_the_worst_interpolated_q(run):
    called = _called(run)
    assert {'locate_interpolated_minimum', 'ph_direct_check'} <= set(called)
    direct = called['ph_direct_check']
    assert direct.process_label == 'EnatomPhBaseWorkChain'
    assert direct.is_finished_ok
    # Same SCF as the grid run, no el-ph, one q-point: the one the locate calcfunction picked.
    assert direct.inputs.ph.parent_folder.uuid == called['scf'].outputs.remote_folder.uuid
    assert called['ph'].inputs.ph.parent_folder.uuid == called['scf'].outputs.remote_folder.uuid
    inputph = direct.inputs.ph.parameters['INPUTPH']
    assert not {'electron_phonon', 'fildvscf', 'el_ph_sigma', 'el_ph_nsigma'} & set(inputph)
    located = called['locate_interpolated_minimum']
    assert direct.inputs.qpoints.uuid == located.outputs.qpoint.uuid
    summary = located.outputs.summary.get_dict()
    assert summary['direct_check_needed'] is True
    # ph.x ran at the q where the interpolation is lowest (Cartesian 2π/alat; alat = |a1| = a/√2 here).
    ph_q = direct.outputs.output_parameters['dynamical_matrix_1']['q_point']
    np.testing.assert_allclose(ph_q, summary['interpolated_worst_q'], atol=1e-6)
    # It is the soft transverse point of the fixture, (0, ⅜, 0) 2π/a up to symmetry: |q| = 0.375 / √2 2π/alat.
    assert np.linalg.norm(ph_q) == pytest.approx(0.375 / np.sqrt(2.0), abs=1e-6)


@pytest.mark.slow
def test_verdict_and_provenance(run):
    stability = run.outputs.stability.get_dict()
    assert stability['evidence'] == 'direct_q'
    assert stability['dynamically_stable'] is False
    assert stability['threshold_meV'] == 1.0
    assert stability['lowest_frequency_coarse_grid_meV'] == pytest.approx(PINNED['grid'], abs=TOLERANCE_MEV)
    assert stability['interpolated_lowest_frequency_meV'] == pytest.approx(PINNED['interpolated'], abs=TOLERANCE_MEV)
    assert stability['direct_check_lowest_frequency_meV'] == pytest.approx(PINNED['direct'], abs=TOLERANCE_MEV)
    assert stability['lowest_frequency_meV'] == stability['direct_check_lowest_frequency_meV']
    assert stability['direct_check_q'] == pytest.approx(stability['interpolated_worst_q'], abs=1e-6)
    assert stability['q_units'] == '2pi/alat'
    # The fixture's plain QE run gave −18.81 cm⁻¹ at the same q: the AiiDA run agrees within the tolerance.
    assert stability['direct_check_lowest_frequency_meV'] == pytest.approx(-18.81 * CM1_TO_MEV, abs=TOLERANCE_MEV)
    # Provenance: the verdict is a calcfunction of the grid, the matdyn output and the direct ph.x output.
    called = _called(run)
    assess = called['assess_stability']
    assert run.outputs.stability.creator.uuid == assess.uuid
    inputs = {link.link_label: link.node.uuid for link in assess.base.links.get_incoming(link_type=LinkType.INPUT_CALC)}
    assert inputs['ph_parameters'] == called['ph'].outputs.output_parameters.uuid
    assert inputs['matdyn_retrieved'] == called['matdyn'].outputs.retrieved.uuid
    assert inputs['direct_parameters'] == called['ph_direct_check'].outputs.output_parameters.uuid
    metrics = run.outputs.metrics.get_dict()
    assert metrics['dynamically_stable'] is False
    assert metrics['lowest_frequency_meV'] == stability['lowest_frequency_meV']

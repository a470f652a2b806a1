"""End to end with real Quantum ESPRESSO: H3S at 200 GPa through enatom.pressure_point at the ``test`` protocol.

Runs vc-relax, two SCFs, projwfc.x, ph.x (q 2×2×2), q2r.x and matdyn.x on 2 MPI processes: about 4–5 minutes
(6 min under a load average of 5–8) when this module runs alone. The start is the campaign end to end's candidate
(prototype H3S, a = 3.0 Å, built as the campaign builds it) and its first pressure is 200 GPa, so every QE CalcJob
of this point has the same inputs as one of the campaign's (its sweep relaxes 200 GPa from the same cell, and the
point's α²F stage gets the same relaxed cell). The point runs with AiiDA's caching switched on for the QE CalcJobs
only: in the full suite (``tests/aiida/campaign`` runs first) each of them is taken from the campaign's finished,
real run of the same inputs, and the WorkChains and calcfunctions still run here (``test_qe_calcjobs_are_real``
checks where every CalcJob's outputs come from).

The numbers are pinned (``PINNED``, with the tolerances of ``TOLERANCE``) to what this test gave on 2026-11-27
(QE 6.7 Debian, offline PBE family at the test protocol's 25/200 Ry, 2 MPI processes; the QE CalcJobs were the
campaign end to end's, see above): relaxed pressure 199.71 GPa; λ = 1.1131, λ_H = 0.7763, ω_log = 120.55 meV,
𝒜 = 75.72 meV, T_c Allen–Dynes 122.8 K, Eliashberg 131.6 K (σ = 0.020 Ry); stability: **stable**, evidence
``interpolated_mesh`` (the 2×2×2 grid is stable, lowest 39.85 meV with the acoustic modes at Γ, 6.16 meV, left out;
the 16³ interpolation has no mode below −5 meV, its lowest is the acoustic 0 at Γ), so no direct ph.x check runs.
Before the start cell became the campaign's (same lattice, other primitive vectors and atom order) the same chain
gave 199.71 GPa, λ = 1.1151, λ_H = 0.7702, ω_log = 120.86 meV, 𝒜 = 76.03 meV, 123.4 K and 132.3 K: inside the
tolerances. The tolerances allow for a different MPI split, BLAS or cell setting (frequencies move by < 0.1 meV,
λ by < 1 %); a change of the protocol or of the chain must re-pin them.
"""

from __future__ import annotations

import numpy as np
import pytest
from aiida import orm
from aiida.common import LinkType
from aiida.engine import run_get_node
from aiida.manage.caching import enable_caching

from aiida_enatom.numerics.moments import coupling_lambda
from aiida_enatom.numerics.spectra import Alpha2F
from aiida_enatom.workflows.pressure_point import PressurePointWorkChain

from .conftest import e2e_structure

ALPHA2F_CALLS = {
    'create_elph_meshes',
    'scf_la2f',
    'scf',
    'projwfc',
    'ph',
    'q2r',
    'matdyn',
    'parse_matdyn_a2f',
    'split_alpha2f',
    'check_partial_sum',
    'locate_interpolated_minimum',
    'assess_stability',
    'compute_fermi_pdos',
    'compute_tc_derivative',
    'compute_metrics',
    'compute_scattering_route2',
    'substitute_isotopes',
    'compute_eliashberg_dos',
    'extend_metrics',
}
METRIC_KEYS = {
    'lambda',
    'omega_log_meV',
    'omega_1_meV',
    'omega_2_meV',
    'area_meV',
    'tc_mcmillan_K',
    'tc_allen_dynes_K',
    'tc_leavens_carbotte_K',
    'tc_eliashberg_K',
    'mu_star',
    'dynamically_stable',
    'lowest_frequency_meV',
    'lambda_per_smearing',
    'tc_allen_dynes_K_per_smearing',
    'tc_eliashberg_D_K',
    'isotope_alpha',
    'isotope_alpha_H',
    'isotope_alpha_M',
}
for _species in ('H', 'S', 'M'):
    METRIC_KEYS |= {
        f'lambda_{_species}',
        f'omega_2_{_species}_meV',
        f'area_{_species}_meV',
        f'N_{_species}_0_states_per_eV_spin',
        f'I2_{_species}_eV2_per_A2',
        f'eta_{_species}_eV_per_A2',
        f'I2_{_species}_route2_eV2_per_A2',
        f'I2_{_species}_route_ratio',
    }


def _called(node) -> dict[str, orm.ProcessNode]:
    links = node.base.links.get_outgoing(link_type=(LinkType.CALL_CALC, LinkType.CALL_WORK)).all()
    return {link.link_label: link.node for link in links}


_RUN: dict[str, int] = {}

#: What the test protocol gives (module docstring), and the tolerances.
PINNED = {
    'pressure_GPa': 199.71,
    'lambda': 1.1131,
    'lambda_H': 0.7763,
    'omega_log_meV': 120.55,
    'area_meV': 75.72,
    'tc_allen_dynes_K': 122.8,
    'tc_eliashberg_K': 131.6,
    'lowest_frequency_coarse_grid_meV': 39.85,
}
TOLERANCE = {
    'pressure_GPa': {'abs': 0.5},  # press_conv_thr is 5 kbar = 0.5 GPa
    'lambda': {'rel': 0.02},
    'lambda_H': {'rel': 0.02},
    'omega_log_meV': {'rel': 0.02},
    'area_meV': {'rel': 0.02},
    'tc_allen_dynes_K': {'rel': 0.03},
    'tc_eliashberg_K': {'rel': 0.03},
    'lowest_frequency_coarse_grid_meV': {'abs': 0.5},
}


#: QE CalcJobs that may come from AiiDA's cache (identical inputs, hence identical real QE results).
QE_CACHE_IDENTIFIERS = ('aiida.calculations:quantumespresso.*', 'aiida.calculations:enatom.ph')


@pytest.fixture
def point(codes, pseudo_family):
    """Run the pressure point once for the whole module (the profile fixtures are function-scoped; cache the PK)."""
    if 'pk' not in _RUN:
        builder = PressurePointWorkChain.get_builder_from_protocol(
            codes, e2e_structure(), pressure=200.0, protocol='test'
        )
        with enable_caching(identifier=QE_CACHE_IDENTIFIERS[0]), enable_caching(identifier=QE_CACHE_IDENTIFIERS[1]):
            _, node = run_get_node(builder)
        _RUN['pk'] = node.pk
    return orm.load_node(_RUN['pk'])


@pytest.mark.slow
def test_qe_calcjobs_are_real(point):
    """Every QE CalcJob of the point ran QE here or is a cache copy of a finished, uncached run of the same inputs."""
    calcjobs = [node for node in point.called_descendants if isinstance(node, orm.CalcJobNode)]
    labels = {node.process_label for node in calcjobs}
    assert {
        'PwCalculation',
        'ProjwfcCalculation',
        'EnatomPhCalculation',
        'Q2rCalculation',
        'MatdynCalculation',
    } <= labels
    for node in calcjobs:
        assert node.is_finished_ok, node.exit_message
        source_uuid = node.base.caching.get_cache_source()
        if source_uuid is None:
            continue
        source = orm.load_node(source_uuid)
        assert source.process_type == node.process_type and source.is_finished_ok
        assert source.base.caching.get_cache_source() is None  # the source ran QE itself
        assert source.base.caching.get_hash() == node.base.caching.get_hash()
        assert source.outputs.retrieved.base.repository.list_object_names() == (
            node.outputs.retrieved.base.repository.list_object_names()
        )


@pytest.mark.slow
def test_provenance(point):
    assert point.exit_status == 0, point.exit_message  # stable, so the point finishes OK (module docstring)
    called = _called(point)
    assert set(called) == {'relax', 'extract_pressure', 'alpha2f', 'build_results_record'}
    assert called['relax'].process_label == 'PwRelaxWorkChain'
    alpha2f = called['alpha2f']
    assert alpha2f.process_label == 'Alpha2FWorkChain'
    assert alpha2f.inputs.structure.uuid == called['relax'].outputs.output_structure.uuid
    assert set(_called(alpha2f)) == ALPHA2F_CALLS
    inner = _called(alpha2f)
    assert inner['ph'].process_label == 'EnatomPhBaseWorkChain'
    assert inner['ph'].inputs.ph.parameters['INPUTPH']['electron_phonon'] == 'interpolated'
    assert inner['scf'].inputs.pw.parent_folder.uuid == inner['scf_la2f'].outputs.remote_folder.uuid
    assert inner['matdyn'].inputs.parent_folder.uuid == inner['q2r'].outputs.remote_folder.uuid
    # The metrics are a calcfunction output, not created by the WorkChain.
    metrics_creator = point.outputs.alpha2f.metrics.creator
    assert metrics_creator.process_label == 'extend_metrics'  # compute_metrics + route-2 I² + isotopes
    assert metrics_creator.inputs.metrics.creator.process_label == 'compute_metrics'
    assert 'alpha2f_deuterated' in point.outputs.alpha2f


@pytest.mark.slow
def test_outputs(point):
    relaxed = point.outputs.relaxed_structure
    assert len(relaxed.sites) == 4
    assert point.outputs.pressure.value == pytest.approx(200.0, abs=2.0)  # GPa; press_conv_thr 5 kbar + Pulay
    assert 12.0 < relaxed.get_cell_volume() < 15.0
    metrics = point.outputs.alpha2f.metrics.get_dict()
    assert METRIC_KEYS <= set(metrics)
    assert point.outputs.pressure.value == pytest.approx(PINNED['pressure_GPa'], **TOLERANCE['pressure_GPa'])
    for key in ('lambda', 'lambda_H', 'omega_log_meV', 'area_meV', 'tc_allen_dynes_K', 'tc_eliashberg_K'):
        assert metrics[key] == pytest.approx(PINNED[key], **TOLERANCE[key]), key
    assert metrics['lambda_H'] + metrics['lambda_S'] == pytest.approx(metrics['lambda'], rel=0.02)
    assert metrics['lambda_M'] == metrics['lambda_S']
    mode_character = metrics['lambda_H_mode_character'] + metrics['lambda_S_mode_character']
    assert mode_character == pytest.approx(metrics['lambda_H'] + metrics['lambda_S'], rel=1e-6)  # two splits, one λ
    assert metrics['tc_allen_dynes_K'] > 0
    assert metrics['I2_H_eV2_per_A2'] > 0
    assert metrics['N_H_0_states_per_eV_spin'] > 0
    alpha2f = point.outputs.alpha2f.alpha2f
    assert alpha2f.number_of_smearings == 10
    assert {'H-H', 'H-S', 'S-S', 'H', 'S'} <= set(alpha2f.partial_keys)
    assert alpha2f.phonon_dos is not None


@pytest.mark.slow
def test_partial_sum_rule(point):
    sum_rule = point.outputs.alpha2f.sum_rule.get_dict()
    assert sum_rule['passed'], sum_rule['message']
    assert sum_rule['max_relative_error'] <= 0.01
    alpha2f = point.outputs.alpha2f.alpha2f
    for index in range(alpha2f.number_of_smearings):
        spectrum = alpha2f.to_alpha2f(index)
        pairs = np.sum([spectrum.partials[key] for key in ('H-H', 'H-S', 'S-S')], axis=0)
        species = spectrum.partials['H'] + spectrum.partials['S']
        np.testing.assert_allclose(species, pairs, rtol=1e-10, atol=1e-12)  # two conventions, same total
        total = coupling_lambda(spectrum)
        assert coupling_lambda(Alpha2F(spectrum.frequency, pairs)) == pytest.approx(total, rel=0.01)


@pytest.mark.slow
def test_stability_verdict(point):
    stability = point.outputs.alpha2f.stability.get_dict()
    assert stability['dynamically_stable'] is True
    assert stability['evidence'] == 'interpolated_mesh'
    assert stability['threshold_meV'] == 5.0
    grid = stability['lowest_frequency_coarse_grid_meV']
    assert grid == pytest.approx(
        PINNED['lowest_frequency_coarse_grid_meV'], **TOLERANCE['lowest_frequency_coarse_grid_meV']
    )
    # matdyn imposes the acoustic sum rule, so the mesh's lowest mode is the acoustic 0 at Γ (|ω| < 0.01 meV).
    assert stability['interpolated_lowest_frequency_meV'] == pytest.approx(0.0, abs=0.01)
    assert stability['interpolated_n_below_threshold'] == 0
    assert stability['lowest_frequency_meV'] == min(grid, stability['interpolated_lowest_frequency_meV'])
    assert stability['direct_check_q'] is None
    assert stability['direct_check_lowest_frequency_meV'] is None
    assert 'ph_direct_check' not in _called(_called(point)['alpha2f'])
    metrics = point.outputs.alpha2f.metrics.get_dict()
    assert metrics['dynamically_stable'] is True
    assert metrics['lowest_frequency_meV'] == stability['lowest_frequency_meV']
    assert _called(point)['alpha2f'].exit_status == 0

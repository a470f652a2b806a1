"""compute_tc_derivative and compute_metrics: μ* convention, T_c/𝒜 and Leavens' bound, gap split, provenance, record.

A two-species model (metal peak at 30 meV below 80 meV, H peak at 160 meV above 60 meV, a phonon DOS with 3 of 6
branches below a gap at 50–100 meV) keeps the calcfunctions fast; the numbers themselves are tested in
``tests/numerics`` (the gap split on rocksalt MgH, whose weakly coupled Mg partial alone takes the Eliashberg solver
≈ 10 s under load to place below its lowest temperature).
"""

from __future__ import annotations

import numpy as np
import pytest
from aiida import orm
from aiida.common import LinkType

from aiida_enatom.calculations.functions.compute_metrics import compute_metrics
from aiida_enatom.calculations.functions.compute_tc_derivative import compute_tc_derivative
from aiida_enatom.common.record import build_record
from aiida_enatom.constants import K_TO_MEV
from aiida_enatom.data.alpha2f import Alpha2FData
from aiida_enatom.numerics.derivative_metrics import DERIVATIVE_KEYS, derivative_metrics
from aiida_enatom.numerics.frequency_split import FREQUENCY_SPLIT_KEYS
from aiida_enatom.numerics.moments import moments
from aiida_enatom.numerics.spectra import Alpha2F


def _nodes(with_dos: bool = True) -> dict[str, orm.Data]:
    omega = np.linspace(0.0, 300.0, 1501)
    metal = np.where((omega > 0) & (omega < 80), np.exp(-0.5 * ((omega - 30.0) / 6.0) ** 2), 0.0)
    hydrogen = np.where(omega > 60, np.exp(-0.5 * ((omega - 160.0) / 25.0) ** 2), 0.0)
    spectrum = Alpha2F(omega, metal + hydrogen, {'H': hydrogen, 'S': metal})
    omega = np.linspace(0.0, 250.0, 501)
    dos = np.where((omega > 10) & (omega < 50), 3 / 40, 0.0) + np.where((omega > 100) & (omega < 200), 3 / 100, 0.0)
    alpha2f = Alpha2FData()
    alpha2f.set_from([spectrum], [0.02], phonon_dos=(omega, dos) if with_dos else None)
    structure = orm.StructureData(cell=np.eye(3) * 3.0)
    structure.append_atom(position=(0.0, 0.0, 0.0), symbols='S')
    structure.append_atom(position=(1.5, 1.5, 1.5), symbols='H')
    return {
        'alpha2f': alpha2f,
        'structure': structure,
        'mu_star': orm.Float(0.1),
        'smearing_index': orm.Int(0),
        'fermi_dos': orm.Dict({'N_S_0_states_per_eV_spin': 0.2, 'N_H_0_states_per_eV_spin': 0.1}),
        'stability': orm.Dict({'dynamically_stable': True, 'lowest_frequency_meV': 0.0}),
        'sum_rule': orm.Dict({'passed': True, 'max_relative_error': 0.0}),
    }


def test_derivative_and_metrics_with_provenance(aiida_profile):
    inputs = _nodes()
    derivative = compute_tc_derivative(
        alpha2f=inputs['alpha2f'],
        mu_star=inputs['mu_star'],
        smearing_index=inputs['smearing_index'],
        mu_star_convention=orm.Str('cutoff'),
    )
    summary, arrays = derivative['summary'], derivative['derivative']
    expected, expected_arrays = derivative_metrics(
        inputs['alpha2f'].to_alpha2f(0), mu_star=0.1, mu_star_convention='cutoff'
    )
    # a stored Dict keeps 14 significant digits
    assert {key: summary[key] for key in DERIVATIVE_KEYS} == pytest.approx(expected, rel=1e-12)
    for name, values in expected_arrays.items():
        np.testing.assert_array_equal(arrays.get_array(name), values)
    assert set(arrays.get_arraynames()) == {'omega_meV', 'dtc_da2f_K_per_meV', 'dtc_da2f_H_only_K_per_meV'}
    assert summary['mu_star_convention'] == 'cutoff'

    metrics = compute_metrics(**inputs, mu_star_convention=orm.Str('cutoff'), tc_derivative=summary)
    assert metrics['mu_star_convention'] == 'cutoff'
    assert metrics['mu_star_cutoff'] == 0.1
    assert {key: metrics[key] for key in DERIVATIVE_KEYS} == pytest.approx(expected, rel=1e-12)
    # the DOS is empty between its grid points 50 and 100 meV; 3 of 6 branches lie below
    assert (metrics['frequency_gap_low_meV'], metrics['frequency_gap_high_meV']) == (49.5, 100.5)
    spectrum = inputs['alpha2f'].to_alpha2f(0)
    above = Alpha2F(spectrum.frequency, np.where(spectrum.frequency >= 75.0, spectrum.spectrum, 0.0))
    assert metrics['lambda_H_frequency_split'] == pytest.approx(moments(above).coupling_lambda, rel=1e-12)
    assert metrics['tc_over_area'] == pytest.approx(metrics['tc_eliashberg_K'] * K_TO_MEV / metrics['area_meV'])
    assert metrics['tc_eliashberg_K'] < metrics['tc_bound_leavens_K']
    assert metrics['tc_over_area_H'] == pytest.approx(metrics['tc_eliashberg_H_K'] * K_TO_MEV / metrics['area_H_meV'])
    # provenance: the metrics were created from the derivative's summary
    incoming = metrics.creator.base.links.get_incoming(link_type=LinkType.INPUT_CALC).all()
    assert {link.link_label: link.node.uuid for link in incoming}['tc_derivative'] == summary.uuid
    assert summary.creator.process_label == 'compute_tc_derivative'

    record = build_record(
        metrics.get_dict(),
        {'dynamically_stable': True, 'lowest_frequency_meV': 0.0},
        formula='HS',
        candidate=None,
        protocol=None,
        target_pressure_gpa=None,
        pressure_gpa=0.0,
        number_of_atoms=2,
        volume_a3=27.0,
    )
    for key in ('mu_star_convention', 'tc_over_area', 'tc_bound_leavens_K', *FREQUENCY_SPLIT_KEYS, *DERIVATIVE_KEYS):
        assert record[key] == metrics[key]


def test_metrics_defaults_without_new_inputs(aiida_profile):
    """Callers without the new inputs get 'ten_omega_max', and the derivative and gap keys as None."""
    metrics = compute_metrics(**_nodes(with_dos=False))
    assert metrics['mu_star_convention'] == 'ten_omega_max'
    assert all(metrics[key] is None for key in (*DERIVATIVE_KEYS, *FREQUENCY_SPLIT_KEYS))


def test_alpha2f_port_validates_the_convention():
    from aiida_enatom.workflows.alpha2f import Alpha2FWorkChain

    port = Alpha2FWorkChain.spec().inputs['mu_star_convention']
    assert port.validate(orm.Str('cutoff')) is None
    error = port.validate(orm.Str('epw'))
    assert error is not None and 'choose one of ten_omega_max, cutoff, omega_log' in error.message
    assert 'tc_derivative' in Alpha2FWorkChain.spec().outputs

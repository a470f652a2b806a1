"""I² by the on-site Γ route: exact agreement with Eq. 7 for one atom per cell, ph.x's own q-average, MgH."""

from __future__ import annotations

import numpy as np
import pytest

from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.io.qe_ph import parse_a2fq2r
from aiida_enatom.io.qe_q2r import gamma_to_mev_amu, parse_a2f_matdyn
from aiida_enatom.numerics.interpolation import atom_resolved_alpha2f, fourier_matrices, monkhorst_pack_mesh
from aiida_enatom.numerics.scattering_route2 import onsite_gamma_trace, route2_metrics, route2_scattering
from aiida_enatom.numerics.species_metrics import species_metrics

from ._h3s import h3s_model, stored_metrics
from ._mgh import MGH, matdyn_grid_mev, mgh_model

MASS = 26.98  # amu


def _one_atom_model():
    """Simple cubic, one atom, isotropic on-site and nearest-neighbour C and Γ on a 2×2×2 q2r grid."""
    fc = np.zeros((2, 2, 2, 3, 3, 1, 1))
    gamma = np.zeros_like(fc)
    for array, (onsite, neighbour) in ((fc, (10.0, -2.0)), (gamma, (300.0, 40.0))):
        array[0, 0, 0, :, :, 0, 0] = onsite * np.eye(3)
        for axis in range(3):
            index = [0, 0, 0]
            index[axis] = 1
            array[(*index, slice(None), slice(None), 0, 0)] = neighbour * np.eye(3)
    return fc, gamma


def test_one_atom_routes_agree_exactly():
    """One atom per cell: η and I² of Eq. 7 (α²F moments, N_s(0) = N(0)) equal the Fermi-surface average."""
    fc, gamma = _one_atom_model()
    dos = 0.002  # states/spin/meV/cell
    frequency = np.linspace(0.0, 80.0, 4001)
    spectrum = atom_resolved_alpha2f(
        fc,
        [gamma],
        cell=np.eye(3) * 3.0,
        positions=np.zeros((1, 3)),
        masses_amu=[MASS],
        species=['Al'],
        q_mesh=(6, 6, 6),
        dos_ef_per_mev=[dos],
        frequency_mev=frequency,
        method='gaussian',
        broadening_mev=0.5,
        asr='no',
    )[0]
    route1 = species_metrics(
        spectrum,
        counts={'Al': 1},
        masses={'Al': MASS},
        fermi_dos_per_atom={'Al': dos * 1000.0},
        mu_star=0.1,
        with_eliashberg=False,
    )
    out = route2_metrics(gamma, ['Al'], dos, route1, asr='no')
    # Gaussians integrated by the trapezoid rule on a grid of 0.02 meV: exact to rounding.
    assert out['eta_Al_route_ratio'] == pytest.approx(1.0, abs=1e-9)
    assert out['I2_Al_route_ratio'] == pytest.approx(1.0, abs=1e-9)
    assert out['I2_Al_route2_eV2_per_A2'] == pytest.approx(route1['I2_Al_eV2_per_A2'], rel=1e-9)
    assert 'I2_M_route2_eV2_per_A2' not in out  # no hydrogen: no metal group


def test_onsite_trace_is_the_mesh_average():
    """Tr Γ_aa(R=0) (after matdyn's ASR) is the average of the diagonal blocks of the interpolated Γ(q)."""
    model = mgh_model(smearing=4, q_mesh=(6, 6, 6))
    q = monkhorst_pack_mesh(model.q_mesh)
    averaged = fourier_matrices([model.gamma], model.real_space, q, asr='simple')[0]
    traces = np.einsum('qii->qi', averaged).real.reshape(len(q), 2, 3).sum(axis=2).mean(axis=0)
    np.testing.assert_allclose(onsite_gamma_trace(model.gamma, asr='simple'), traces, rtol=1e-12)


def test_onsite_trace_is_phx_grid_average():
    """Without the ASR, Tr Γ_aa(R=0) of q2r is ph.x's Γ(q) averaged over its 2×2×2 grid (independent files)."""
    stars = [parse_a2fq2r(MGH / 'elph_dir' / f'a2Fq2r.51.{iq}') for iq in (1, 2, 3)]
    matrices = np.concatenate([star.gamma_mev_amu for star in stars])
    assert matrices.shape[0] == 8  # every q of the grid
    phx = np.einsum('qii->qi', matrices).real.reshape(8, 2, 3).sum(axis=2).mean(axis=0)
    q2r = parse_a2f_matdyn((MGH / 'elph_dir' / 'a2Fmatdyn.61').read_text(), 2)
    np.testing.assert_allclose(onsite_gamma_trace(gamma_to_mev_amu(q2r.constants), asr='no'), phx, rtol=1e-5)


def test_mgh_routes():
    """MgH (real run): η agrees with Eq. 7's to 1 %; the I² ratio is the DOS share N_s(0)/N(0)."""
    model = mgh_model(smearing=4, q_mesh=(16, 16, 16))
    spectrum = model.stored_alpha2f(matdyn_grid_mev())
    n_total = model.dos_ef_per_mev * 1000.0
    share = {'Mg': 0.6 * n_total, 'H': 0.4 * n_total}  # any partition summing to N(0): the ratio follows it
    route1 = species_metrics(
        spectrum,
        counts={'Mg': 1, 'H': 1},
        masses={'Mg': 24.305, 'H': 1.008},
        fermi_dos_per_atom=share,
        mu_star=0.1,
        with_eliashberg=False,
    )
    out = route2_metrics(model.gamma, model.species, model.dos_ef_per_mev, route1)
    for group in ('H', 'Mg', 'M'):
        assert out[f'eta_{group}_route_ratio'] == pytest.approx(1.0, abs=0.01), group
    for group, symbol in (('H', 'H'), ('Mg', 'Mg')):
        expected = out[f'eta_{group}_route_ratio'] * share[symbol] / n_total
        assert out[f'I2_{group}_route_ratio'] == pytest.approx(expected, rel=1e-12)
    assert out['N_0_elph_states_per_eV_spin'] == pytest.approx(n_total)


def test_rejects_bad_input():
    _, gamma = _one_atom_model()
    with pytest.raises(InputValidationError, match='2 species labels'):
        route2_scattering(gamma, ['Al', 'Al'], 0.1)
    with pytest.raises(InputValidationError, match='dos_ef_per_mev must be positive'):
        route2_scattering(gamma, ['Al'], 0.0)
    with pytest.raises(InputValidationError, match='asr'):
        onsite_gamma_trace(gamma, asr='crystal')


def test_h3s_routes():
    """H₃S (real run): η by both routes within 3 %; I_H² of Eq. 2 is N_H(0)/N(0) ≈ 0.136 of Eq. 7's."""
    model = h3s_model()
    metrics = stored_metrics()
    out = route2_metrics(model.gamma, model.species, model.dos_ef_per_mev, metrics)
    assert out['eta_H_route_ratio'] == pytest.approx(1.0, abs=0.005)
    assert out['eta_S_route_ratio'] == pytest.approx(1.0, abs=0.03)
    share = metrics['N_H_0_states_per_eV_spin'] / out['N_0_elph_states_per_eV_spin']
    assert out['I2_H_route_ratio'] == pytest.approx(out['eta_H_route_ratio'] * share, rel=1e-12)
    assert out['I2_H_route_ratio'] == pytest.approx(0.136, abs=0.002)

"""Tests of :mod:`aiida_enatom.numerics.plane_wave_scattering` against exact answers (Gaussian fields)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.displacements import crystal_symmetry
from aiida_enatom.numerics.plane_wave_scattering import (
    PlaneWaveAverage,
    fermi_sphere_kernels,
    free_electron_wavevector,
    lattice_fermi_average,
    orbit_sizes,
    plane_wave_fermi_average,
    plane_wave_metrics,
    primitive_volume,
    q_density,
    species_plane_wave_averages,
    wigner_seitz_embedding,
)
from tests.numerics.enatom_model import h3s_model

K_FERMI = 1.7  # Å⁻¹
OMEGA0 = 10.0  # Å³
SIGMA = 0.45  # Å
AMPLITUDE = 2.0  # eV


def gaussian_fields(cell, shape, center, sigma=SIGMA, amplitude=AMPLITUDE):
    """Return (−∇v, ∇×(ẑ v)) for v = A exp(−r²/2σ²) centred at ``center`` (minimum image), eV/Å."""
    cell = np.asarray(cell, dtype=float)
    frac = np.stack(np.meshgrid(*(np.arange(n) / n for n in shape), indexing='ij'))
    delta = frac - (np.asarray(center) @ np.linalg.inv(cell))[:, None, None, None]
    delta -= np.round(delta)
    cart = np.einsum('k...,kc->c...', delta, cell)
    v = amplitude * np.exp(-np.sum(cart**2, axis=0) / (2 * sigma**2))
    grad = -cart / sigma**2 * v
    rigid = -grad
    curl = np.stack([grad[1], -grad[0], np.zeros_like(v)])
    return rigid, curl


def v_tilde(q, sigma=SIGMA, amplitude=AMPLITUDE):
    """Fourier transform of the Gaussian, eV·Å³."""
    return amplitude * (2 * np.pi * sigma**2) ** 1.5 * np.exp(-(q**2) * sigma**2 / 2)


def radial_average(k_fermi=K_FERMI, omega0=OMEGA0, sigma=SIGMA, amplitude=AMPLITUDE):
    """(1/Ω₀²) ∫₀^{2k_F} P(q) q² ṽ(q)² dq: the exact rigid average of −∇v (1-D quadrature)."""
    integrand = lambda q: q_density(q, k_fermi) * q**2 * v_tilde(q, sigma, amplitude) ** 2  # noqa: E731
    return quad(integrand, 0, 2 * k_fermi, epsabs=0, epsrel=1e-13)[0] / omega0**2


CUBIC = np.eye(3) * 6.0
CENTER = np.array([3.13, 2.91, 3.07])  # off the grid


def test_kernels_closed_forms():
    """K = 3K₁ − K₂ = j₀(k_F R)², the R = 0 limits, and continuity where the series hands over to the closed form."""
    radius = np.concatenate([[0.0], np.linspace(1e-4, 0.3, 50), np.linspace(0.3, 8.0, 200)])
    kernel, k1, k2 = fermi_sphere_kernels(radius, K_FERMI)
    np.testing.assert_allclose(kernel, 3 * k1 - k2, rtol=0, atol=1e-14)
    np.testing.assert_allclose(kernel, np.sinc(K_FERMI * radius / np.pi) ** 2, rtol=0, atol=1e-14)
    assert (kernel[0], k1[0], k2[0]) == pytest.approx((1.0, 1 / 3, 0.0), abs=1e-15)
    edge = 0.5 / (2 * K_FERMI)  # X = 0.5
    below = fermi_sphere_kernels(np.array([edge * (1 - 1e-12)]), K_FERMI)
    above = fermi_sphere_kernels(np.array([edge * (1 + 1e-12)]), K_FERMI)
    for b, a in zip(below, above, strict=True):
        assert b[0] == pytest.approx(a[0], rel=1e-11)


@pytest.mark.parametrize('radius', [0.05, 0.4, 1.3, 3.7])
def test_kernels_match_their_integrals(radius):
    """K₁ = ∫P(q) j₁(qR)/(qR) dq and K₂ = ∫P(q) j₂(qR) dq (the angular average of q̂q̂ e^{iq·R})."""
    from scipy.special import spherical_jn

    _, k1, k2 = fermi_sphere_kernels(np.array([radius]), K_FERMI)

    def integral(f):
        return quad(lambda q: q_density(q, K_FERMI) * f(q * radius), 0, 2 * K_FERMI, epsabs=0, epsrel=1e-12)[0]

    assert k1[0] == pytest.approx(integral(lambda x: spherical_jn(1, x) / x), rel=1e-9)
    assert k2[0] == pytest.approx(integral(lambda x: spherical_jn(2, x)), rel=1e-8, abs=1e-14)


def test_free_electron_wavevector_and_q_density():
    """k_F = (3π²n)^{1/3}; P(q) is normalised on [0, 2k_F] and zero outside."""
    assert free_electron_wavevector(2.0, 1.0) == pytest.approx((6 * np.pi**2) ** (1 / 3))
    assert quad(lambda q: q_density(q, K_FERMI), 0, 2 * K_FERMI)[0] == pytest.approx(1.0)
    assert q_density(np.array([2 * K_FERMI * 1.01]), K_FERMI)[0] == 0.0
    with pytest.raises(InputValidationError):
        free_electron_wavevector(0.0, 1.0)


def test_gaussian_rigid_field_has_no_backflow():
    """−∇v of a Gaussian: backflow share 0 and the rigid average equals the 1-D quadrature to 1e-8."""
    rigid, _ = gaussian_fields(CUBIC, (24, 24, 24), CENTER)
    result = plane_wave_fermi_average(rigid, CUBIC, CENTER, k_fermi=K_FERMI, cell_volume=OMEGA0)
    exact = radial_average()
    assert result.rigid == pytest.approx(exact, rel=1e-8)
    assert abs(result.backflow) < 1e-12 * exact
    assert abs(result.backflow_share) < 1e-12
    # the lattice sum over the 6 Å cell's own G vectors: exact Helmholtz split, a coarse q quadrature
    assert abs(result.lattice_backflow) < 1e-12 * exact
    assert result.lattice_rigid == pytest.approx(exact, rel=0.05)
    assert result.lattice_qpoints == 146
    np.testing.assert_allclose(result.mean_field, 0.0, atol=1e-10)


def test_curl_field_is_pure_backflow():
    """∇×(ẑ v): backflow share 1 and the backflow average is (2/3) of the Gaussian's q²ṽ² quadrature."""
    _, curl = gaussian_fields(CUBIC, (24, 24, 24), CENTER)
    result = plane_wave_fermi_average(curl, CUBIC, CENTER, k_fermi=K_FERMI, cell_volume=OMEGA0)
    exact = 2.0 / 3.0 * radial_average()  # |q × ẑ|² averages to (2/3) q²
    assert result.backflow == pytest.approx(exact, rel=1e-8)
    assert abs(result.rigid) < 1e-12 * exact
    assert result.backflow_share == pytest.approx(1.0, abs=1e-12)
    assert result.lattice_backflow_share == pytest.approx(1.0, abs=1e-12)


def test_rigid_and_backflow_add_without_cross_term():
    """A sum of a rigid field and a curl of different widths: each part is recovered; the shares add to 1."""
    rigid, _ = gaussian_fields(CUBIC, (24, 24, 24), CENTER, sigma=0.5)
    _, curl = gaussian_fields(CUBIC, (24, 24, 24), CENTER, sigma=0.35, amplitude=-3.0)
    result = plane_wave_fermi_average(rigid + curl, CUBIC, CENTER, k_fermi=K_FERMI, cell_volume=OMEGA0)
    exact_rigid = radial_average(sigma=0.5)
    exact_backflow = 2.0 / 3.0 * radial_average(sigma=0.35, amplitude=-3.0)
    assert result.rigid == pytest.approx(exact_rigid, rel=1e-8)
    assert result.backflow == pytest.approx(exact_backflow, rel=1e-8)
    assert result.backflow_share == pytest.approx(exact_backflow / (exact_rigid + exact_backflow), rel=1e-8)


def test_triclinic_supercell_with_atom_on_a_grid_point():
    """A 2×2×2 bcc-primitive supercell (Wigner–Seitz faces with tied grid points) and a triclinic cell."""
    a = 3.0
    bcc = 2 * 0.5 * a * np.array([[-1, 1, 1], [1, -1, 1], [1, 1, -1]], dtype=float)
    triclinic = np.array([[6.0, 0.0, 0.0], [1.2, 5.8, 0.0], [-0.7, 0.9, 6.3]])
    for cell, shape, center in ((bcc, (24, 24, 24), np.zeros(3)), (triclinic, (28, 28, 28), CENTER)):
        rigid, curl = gaussian_fields(cell, shape, center, sigma=0.45)
        result = plane_wave_fermi_average(rigid + curl, cell, center, k_fermi=K_FERMI, cell_volume=OMEGA0)
        exact = radial_average(sigma=0.45)
        assert result.rigid == pytest.approx(exact, rel=1e-7)
        assert result.backflow == pytest.approx(2.0 / 3.0 * exact, rel=1e-7)


def test_wigner_seitz_embedding_keeps_the_sum_and_padding_is_converged():
    """Tied points are shared (the sum is kept); padding 2 and 3 give the same averages."""
    rigid, curl = gaussian_fields(CUBIC, (24, 24, 24), np.zeros(3))
    field = rigid + 0.3 * curl + 0.1  # a constant on top: not localised, ties on all faces
    box = wigner_seitz_embedding(field, CUBIC, np.zeros(3))
    assert box.shape == (3, 48, 48, 48)
    np.testing.assert_allclose(box.sum(axis=(1, 2, 3)), field.sum(axis=(1, 2, 3)), rtol=1e-12)
    rigid, curl = gaussian_fields(CUBIC, (16, 16, 16), CENTER)
    two = plane_wave_fermi_average(rigid + curl, CUBIC, CENTER, k_fermi=K_FERMI, cell_volume=OMEGA0)
    three = plane_wave_fermi_average(rigid + curl, CUBIC, CENTER, k_fermi=K_FERMI, cell_volume=OMEGA0, padding=3)
    assert three.rigid == pytest.approx(two.rigid, rel=1e-12)
    assert three.backflow == pytest.approx(two.backflow, rel=1e-12)


def test_scaling_units_and_translation():
    """I² ∝ F² and ∝ 1/Ω₀²; a constant F₀ is removed; moving the atom (with its field) changes nothing."""
    shape = (24, 24, 24)
    rigid, curl = gaussian_fields(CUBIC, shape, CENTER)
    field = rigid + curl
    base = plane_wave_fermi_average(field, CUBIC, CENTER, k_fermi=K_FERMI, cell_volume=OMEGA0)
    scaled = plane_wave_fermi_average(3.0 * field, CUBIC, CENTER, k_fermi=K_FERMI, cell_volume=2 * OMEGA0)
    assert scaled.rigid == pytest.approx(base.rigid * 9 / 4, rel=1e-12)
    assert scaled.backflow == pytest.approx(base.backflow * 9 / 4, rel=1e-12)
    shifted = plane_wave_fermi_average(field + 0.5, CUBIC, CENTER, k_fermi=K_FERMI, cell_volume=OMEGA0)
    assert shifted.rigid == pytest.approx(base.rigid, rel=1e-12)
    np.testing.assert_allclose(shifted.mean_field - base.mean_field, 0.5, rtol=1e-12)
    other = np.array([1.02, 4.4, 0.37])
    moved = np.sum(gaussian_fields(CUBIC, shape, other), axis=0)
    result = plane_wave_fermi_average(moved, CUBIC, other, k_fermi=K_FERMI, cell_volume=OMEGA0)
    assert result.rigid == pytest.approx(base.rigid, rel=1e-7)
    assert result.backflow == pytest.approx(base.backflow, rel=1e-7)
    values = base.as_dict()
    assert values['total'] == pytest.approx(values['rigid'] + values['backflow'])


def test_grid_convergence():
    """Refining the real-space grid converges to the analytic average; enlarging the supercell converges the lattice
    sum (its q quadrature) to it."""
    exact = radial_average()
    errors = []
    for n in (12, 16, 24):
        rigid, _ = gaussian_fields(CUBIC, (n, n, n), CENTER)
        result = plane_wave_fermi_average(rigid, CUBIC, CENTER, k_fermi=K_FERMI, cell_volume=OMEGA0)
        errors.append(abs(result.rigid / exact - 1))
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-6
    # the lattice sum's error fluctuates (1–5 % below 10 Å: shells of G vectors cross the 2k_F edge) and shrinks
    lattice_errors, weights = [], []
    for size, n in ((9.0, 24), (16.0, 44)):
        cell = np.eye(3) * size
        rigid, _ = gaussian_fields(cell, (n, n, n), np.full(3, size / 2))
        value, _, count, weight = lattice_fermi_average(rigid, cell, k_fermi=K_FERMI, cell_volume=OMEGA0)
        lattice_errors.append(abs(value / exact - 1))
        weights.append(abs(weight - 1))
    assert 0.01 < lattice_errors[0] < 0.05
    assert lattice_errors[1] < 0.01
    assert weights[1] < weights[0]
    assert count == 2720


def test_input_validation():
    """Malformed fields, a grid too coarse for 2k_F and a padding of 1 are refused."""
    rigid, _ = gaussian_fields(CUBIC, (8, 8, 8), CENTER)
    with pytest.raises(InputValidationError, match='Nyquist'):
        plane_wave_fermi_average(rigid, CUBIC, CENTER, k_fermi=3.0, cell_volume=OMEGA0)
    with pytest.raises(InputValidationError, match='shape'):
        plane_wave_fermi_average(rigid[0], CUBIC, CENTER, k_fermi=K_FERMI, cell_volume=OMEGA0)
    with pytest.raises(InputValidationError, match='padding'):
        wigner_seitz_embedding(rigid, CUBIC, CENTER, padding=1)
    with pytest.raises(InputValidationError, match='positive'):
        plane_wave_fermi_average(rigid, CUBIC, CENTER, k_fermi=K_FERMI, cell_volume=0.0)
    bad = rigid.copy()
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(InputValidationError, match='non-finite'):
        plane_wave_fermi_average(bad, CUBIC, CENTER, k_fermi=K_FERMI, cell_volume=OMEGA0)


def test_species_averages_weight_by_multiplicity():
    """Two inequivalent H atoms (multiplicities 2 and 6) and one S: weighted means and the share of the means."""

    def average(rigid, backflow):
        return PlaneWaveAverage(rigid, backflow, K_FERMI, OMEGA0, rigid, backflow, 10, 1.0, np.zeros(3))

    averages = {'a': average(1.0, 0.0), 'b': average(3.0, 1.0), 'c': average(5.0, 5.0)}
    out = species_plane_wave_averages(averages, {'a': 'H', 'b': 'H', 'c': 'S'}, {'a': 2, 'b': 6, 'c': 1})
    assert out['H']['rigid'] == pytest.approx((2 * 1 + 6 * 3) / 8)
    assert out['H']['backflow'] == pytest.approx(6 / 8)
    assert out['H']['backflow_share'] == pytest.approx(0.75 / 3.25)
    assert out['S']['backflow_share'] == pytest.approx(0.5)


def test_primitive_volume_and_orbits_of_h3s():
    """H3S conventional cell (Im-3m, 2 formula units): primitive volume a³/2, 6 H and 2 S per cell."""
    a = 3.0
    cell = np.eye(3) * a
    positions = np.array(
        [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]]
    )
    numbers = [16, 16, 1, 1, 1, 1, 1, 1]
    symmetry = crystal_symmetry(cell, positions, numbers)
    assert primitive_volume(symmetry, cell) == pytest.approx(a**3 / 2)
    assert orbit_sizes(symmetry, cell, positions, numbers, [0, 2]) == {0: 2, 2: 6}


def test_plane_wave_metrics_on_the_h3s_model():
    """Record keys for S (site 0) and H (site 2) of the analytic H3S model; the bond-free (bare) fields are rigid."""
    model, rigid_only = h3s_model(a=3.0, n=16), h3s_model(a=3.0, n=16, with_bonds=False)
    fields = {site: {'total': model.field(site), 'bare': rigid_only.field(site)} for site in (0, 2)}
    numbers = model.numbers.tolist()
    out = plane_wave_metrics(fields, model.cell, model.positions, numbers, {0: 'S', 2: 'H'}, 18.0)
    assert out['pw_cell_volume_A3'] == pytest.approx(13.5)
    assert out['pw_electrons_per_cell'] == pytest.approx(9.0)
    assert out['pw_bare_backflow_share_lattice_max'] < 1e-12
    assert [atom['multiplicity'] for atom in out['pw_atoms'].values()] == [2, 6]
    for element in ('H', 'S'):
        share = out[f'I2_{element}_backflow_share']
        assert 0 < share < 1
        assert out[f'I2_{element}_pw_eV2_per_A2'] == pytest.approx(
            out[f'I2_{element}_pw_rigid_eV2_per_A2'] + out[f'I2_{element}_pw_backflow_eV2_per_A2']
        )
    with pytest.raises(InputValidationError, match='no'):
        plane_wave_metrics({0: {'bare': fields[0]['bare']}}, model.cell, model.positions, numbers, {0: 'S'}, 18.0)

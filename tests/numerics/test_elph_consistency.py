"""Physics cross-checks between ph.x's dyn files, its per-q el-ph files and q2r's real-space files.

(a) C(q) of the dyn file, diagonalised with the masses, gives the frequencies ph.x printed (to print precision).
(b) γ_qν = e†Γ(q)e/√(M_a M_b) from ``a2Fq2r`` and the dyn eigenvectors gives ph.x's γ_qν and λ_qν of
    ``elph.inp_lambda`` (per degenerate subspace: ph.x's basis inside a degenerate subspace is its own).
(c) The Fourier interpolation of q2r's Γ(R) and C(R) is exact on the coarse q-grid.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from aiida_enatom.constants import AMU_MEV2_TO_EV_PER_A2, BOHR_TO_ANGSTROM, CM1_TO_MEV, RY_TO_MEV, THZ_TO_MEV
from aiida_enatom.io import qe_q2r
from aiida_enatom.io.qe_dyn import parse_dyn_file
from aiida_enatom.io.qe_ph import parse_a2fq2r, parse_elph_lambda
from aiida_enatom.numerics.interpolation import RealSpaceModel, fourier_matrices, phonons_from_force_constants
from aiida_enatom.numerics.projections import pair_linewidths

FIXTURES = Path(__file__).parents[1] / 'fixtures' / 'qe'
MGH = FIXTURES / 'elph_mgh_rocksalt'
REF = FIXTURES / 'ph_reference_qe60'
AL_DOCS = Path('/usr/share/doc/quantum-espresso/examples/PHonon/Recover_example/reference_1')
#: Half a unit in the last printed place: dyn matrices (f12.8, Ry/bohr² → eV/Å²), eigenvectors (f10.6),
#: frequencies (f15.6 cm⁻¹ → meV), γ (f8.2 GHz → meV), λ (f8.4).
HALF_C = 0.5e-8 * RY_TO_MEV * 1e-3 / BOHR_TO_ANGSTROM**2
HALF_E = 0.5e-6
HALF_W = 0.5e-6 * CM1_TO_MEV
HALF_GAMMA = 0.5e-2 * THZ_TO_MEV * 1e-3
HALF_LAMBDA = 0.5e-4

DYN_FILES = [
    MGH / 'alh.dyn1',
    MGH / 'alh.dyn2',
    MGH / 'alh.dyn3',
    REF / 'al.dyn7',
    REF / 'al.dyn5.gz',
    REF / 'alas.dyn1',
]


def _w2_tolerance(dyn) -> float:
    """Bound on |Δω²| (meV²) from the printed precision of C(q) and of ω."""
    n = 3 * dyn.n_atoms
    from_matrix = n * HALF_C / (dyn.masses_amu.min() * AMU_MEV2_TO_EV_PER_A2)
    return from_matrix + 2 * np.abs(dyn.frequency_mev).max() * HALF_W


@pytest.mark.parametrize('path', DYN_FILES, ids=lambda p: p.name)
def test_a_dynamical_matrix_gives_printed_frequencies(path):
    dyn = parse_dyn_file(path)
    signed_w2 = np.sign(dyn.frequency_mev) * dyn.frequency_mev**2
    tolerance = _w2_tolerance(dyn)
    # Every member of the star is symmetry-equivalent: same spectrum.
    omega, _ = phonons_from_force_constants(dyn.matrices, dyn.masses_amu)
    np.testing.assert_allclose(
        np.sign(omega) * omega**2, np.broadcast_to(signed_w2, omega.shape), rtol=0, atol=tolerance
    )
    # The printed patterns, turned into eigenvectors, diagonalise the mass-scaled C(q) of the diagonalised q.
    k = int(np.argmin(np.abs(dyn.q_points - dyn.diagonal_q_point).sum(axis=1)))
    inv = np.repeat(1 / np.sqrt(dyn.masses_amu), 3)
    scaled = dyn.matrices[k] * inv[:, None] * inv[None, :] / AMU_MEV2_TO_EV_PER_A2
    e = dyn.eigenvectors
    rotated = e.conj().T @ scaled @ e
    vector_error = 4 * np.sqrt(3 * dyn.n_atoms) * HALF_E * np.abs(signed_w2).max()
    np.testing.assert_allclose(rotated, np.diag(signed_w2), rtol=0, atol=tolerance + vector_error)


def _subspaces(frequency_mev: np.ndarray) -> list[list[int]]:
    """Groups of degenerate modes (printed frequencies equal to 1e-4 relative)."""
    groups: list[list[int]] = [[0]]
    for nu in range(1, frequency_mev.size):
        if abs(frequency_mev[nu] - frequency_mev[groups[-1][0]]) <= 1e-4 * max(abs(frequency_mev[nu]), 1.0):
            groups[-1].append(nu)
        else:
            groups.append([nu])
    return groups


CASES = [
    (MGH, 'alh', 2, 1),
    (MGH, 'alh', 2, 2),
    (MGH, 'alh', 3, 1),
    (MGH, 'alh', 3, 2),
    (MGH, 'alh', 1, 2),
    (REF, 'al', 7, 1),
    (REF, 'al', 7, 5),
]


@pytest.mark.parametrize(('folder', 'prefix', 'iq', 'sigma'), CASES, ids=lambda v: getattr(v, 'name', str(v)))
def test_b_linewidths_from_gamma_matrix(folder, prefix, iq, sigma):
    dyn = parse_dyn_file(folder / f'{prefix}.dyn{iq}')
    lam = parse_elph_lambda(folder / 'elph_dir' / f'elph.inp_lambda.{iq}')
    star = parse_a2fq2r(folder / 'elph_dir' / f'a2Fq2r.{50 + sigma}.{iq}')
    ref_gamma, ref_lambda = lam.linewidth_mev[sigma - 1], lam.coupling_lambda[sigma - 1]
    np.testing.assert_allclose(star.q_points, dyn.q_points, atol=1e-8)
    np.testing.assert_allclose(star.dos_ef_per_mev, lam.dos_ef_per_mev[sigma - 1], rtol=1e-6)
    np.testing.assert_allclose(lam.frequency_mev, dyn.frequency_mev, rtol=1e-5, atol=1e-3)
    # γ in meV from Γ [meV·amu, π/2 folded in], for every member of the star with its own eigenvectors.
    _, vectors = phonons_from_force_constants(dyn.matrices, dyn.masses_amu)
    gamma = pair_linewidths(vectors, star.gamma_mev_amu, dyn.masses_amu).sum(axis=(1, 2))
    inv = np.repeat(1 / np.sqrt(dyn.masses_amu), 3)
    scale = np.abs(star.gamma_mev_amu).max() * inv.max() ** 2
    for group in _subspaces(dyn.frequency_mev):
        n = len(group)
        tolerance = n * HALF_GAMMA + 1e-5 * (np.abs(ref_gamma[group]).sum() + scale)
        # The sum over a degenerate subspace is basis-independent: ph.x's value on every star member.
        np.testing.assert_allclose(gamma[:, group].sum(axis=1), ref_gamma[group].sum(), rtol=0, atol=tolerance)
        # The written Γ(q) is symmetrised over the small group of q (q2qstar_ph), so inside a degenerate
        # (irreducible) subspace its projection is a multiple of the identity: every basis gives the same per-mode
        # γ. ph.x's per-mode values in elph.inp_lambda come from the unsymmetrised k-sum and may split (MgH X: 1.32
        # and 1.62 meV for a pair whose symmetrised value is 1.47 each); only their subspace sum is physical.
        e = dyn.eigenvectors[:, group]
        block = e.conj().T @ (star.gamma_mev_amu[0] * inv[:, None] * inv[None, :]) @ e
        bounds = np.linalg.eigvalsh(block)
        assert bounds[-1] - bounds[0] <= tolerance
    # λ_qν = γ_qν/(π N(E_F) ω²) with N per spin, zero for |ω| ≤ 20 cm⁻¹ (ph.x's own numbers, rounding only).
    w = lam.frequency_mev
    soft = np.abs(w) <= 20 * CM1_TO_MEV
    expected = np.where(soft, 0.0, ref_gamma / (np.pi * lam.dos_ef_per_mev[sigma - 1] * np.where(soft, 1.0, w) ** 2))
    bound = HALF_LAMBDA + expected * (HALF_GAMMA / np.maximum(ref_gamma, HALF_GAMMA) + 1e-5)
    assert np.all(np.abs(ref_lambda - expected) <= bound)


def test_b_star_members_share_the_trace():
    star = parse_a2fq2r(MGH / 'elph_dir' / 'a2Fq2r.51.3')
    dyn = parse_dyn_file(MGH / 'alh.dyn3')
    inv = np.repeat(1 / np.sqrt(dyn.masses_amu), 3)
    traces = np.einsum('kii->k', star.gamma_mev_amu * inv[None, :, None] * inv[None, None, :]).real
    np.testing.assert_allclose(traces, traces[0], rtol=1e-6)
    assert traces[0] > 1.0  # X-point H modes couple strongly: a non-trivial check


def _mgh_real_space():
    fc = qe_q2r.parse_force_constants(MGH / 'alh222.fc')
    alat = fc.alat_bohr * BOHR_TO_ANGSTROM
    return fc, RealSpaceModel(fc.cell * alat, fc.positions * alat, fc.grid)


@pytest.mark.parametrize('sigma', [1, 2])
@pytest.mark.parametrize('iq', [1, 2, 3])
def test_c_fourier_interpolation_is_exact_on_the_coarse_grid(iq, sigma):
    fc, model = _mgh_real_space()
    gamma_r = qe_q2r.parse_a2f_matdyn(MGH / 'elph_dir' / f'a2Fmatdyn.{60 + sigma}', fc.n_atoms)
    dyn = parse_dyn_file(MGH / f'alh.dyn{iq}')
    star = parse_a2fq2r(MGH / 'elph_dir' / f'a2Fq2r.{50 + sigma}.{iq}')
    matrices = [qe_q2r.force_constants_ev_per_a2(fc.constants), qe_q2r.gamma_to_mev_amu(gamma_r.constants)]
    exact = fourier_matrices(matrices, model, dyn.q_points_reduced, asr='no')
    # q2r copies ph.x's numbers (same decimals) and the WS-weighted sum inverts its FFT on grid points.
    np.testing.assert_allclose(exact[0], dyn.matrices, rtol=0, atol=1e-12 * np.abs(dyn.matrices).max())
    np.testing.assert_allclose(
        exact[1], star.gamma_mev_amu, rtol=0, atol=1e-12 * max(np.abs(star.gamma_mev_amu).max(), 1)
    )
    # With matdyn's asr='simple' C(q) moves by the ASR violation of ph.x (≈ 4e-4 eV/Å² here, the −1.7 cm⁻¹ at Γ).
    simple = fourier_matrices(matrices, model, dyn.q_points_reduced, asr='simple')
    shift = np.abs(simple[0] - dyn.matrices).max()
    assert 1e-5 < shift < 1e-3


@pytest.mark.skipif(not AL_DOCS.exists(), reason='Debian quantum-espresso examples not installed')
@pytest.mark.parametrize(('iq', 'sigma'), [(7, 1), (7, 5), (5, 1)])
def test_c_fourier_interpolation_al_444(iq, sigma):
    fc = qe_q2r.parse_force_constants(gzip.open(AL_DOCS / 'Al444.fc.gz', 'rt').read())
    gamma_r = qe_q2r.parse_a2f_matdyn(gzip.open(AL_DOCS / 'elph_dir' / f'a2Fmatdyn.{60 + sigma}.gz', 'rt').read(), 1)
    alat = fc.alat_bohr * BOHR_TO_ANGSTROM
    model = RealSpaceModel(fc.cell * alat, fc.positions * alat, fc.grid)
    dyn = parse_dyn_file(REF / (f'al.dyn{iq}' if iq == 7 else f'al.dyn{iq}.gz'))
    suffix = '' if iq == 7 else '.gz'
    star = parse_a2fq2r(REF / 'elph_dir' / f'a2Fq2r.{50 + sigma}.{iq}{suffix}')
    matrices = [qe_q2r.force_constants_ev_per_a2(fc.constants), qe_q2r.gamma_to_mev_amu(gamma_r.constants)]
    exact = fourier_matrices(matrices, model, dyn.q_points_reduced, asr='no')
    # The QE 6.0 q2r wrote Γ(R) with fewer digits than ph.x's Γ(q): agreement to ~1e-6 of the largest entry.
    np.testing.assert_allclose(exact[0], dyn.matrices, rtol=0, atol=1e-6 * np.abs(dyn.matrices).max())
    np.testing.assert_allclose(exact[1], star.gamma_mev_amu, rtol=0, atol=1e-6 * np.abs(star.gamma_mev_amu).max())

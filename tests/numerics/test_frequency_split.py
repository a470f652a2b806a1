"""Frequency split of α²F at a metal–H phonon gap: synthetic gapped spectra, rocksalt MgH (gap) and H3S (none)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from aiida_enatom.constants import BOHR_TO_ANGSTROM, CM1_TO_MEV
from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.io import qe_q2r
from aiida_enatom.io.qe_matdyn_freq import parse_matdyn_frequencies
from aiida_enatom.numerics.frequency_split import (
    FREQUENCY_SPLIT_KEYS,
    frequency_split_metrics,
    gap_from_dos,
    gap_from_modes,
)
from aiida_enatom.numerics.interpolation import (
    RealSpaceModel,
    atom_resolved_alpha2f,
    fourier_matrices,
    monkhorst_pack_mesh,
    phonons_from_force_constants,
)
from aiida_enatom.numerics.moments import moments
from aiida_enatom.numerics.spectra import Alpha2F

QE = Path(__file__).parents[1] / 'fixtures' / 'qe'
MGH = QE / 'elph_mgh_rocksalt'


def synthetic_modes() -> np.ndarray:
    """Three metal branches spanning 10–30 meV and three H branches spanning 80–120 meV on 50 q-points."""
    t = np.linspace(0.0, 1.0, 50)[:, None]
    return np.hstack([10.0 + 20.0 * t * np.array([0.5, 0.8, 1.0]), 120.0 - 40.0 * t * np.array([1.0, 0.7, 0.3])])


def boxes(a: float, b: float) -> Alpha2F:
    """α²F = a on [10, 30] meV and b on [80, 120] meV: λ_M = 2a ln 3, λ_H = 2b ln 1.5."""
    omega = np.linspace(0.0, 130.0, 13001)
    a2f = np.where((omega >= 10.0) & (omega <= 30.0), a, 0.0) + np.where((omega >= 80.0) & (omega <= 120.0), b, 0.0)
    return Alpha2F(omega, a2f)


def test_synthetic_gap_and_split():
    modes = synthetic_modes()
    assert gap_from_modes(modes, 3) == (30.0, 80.0)
    counts, edges = np.histogram(modes.ravel(), bins=260, range=(0.0, 130.0))
    centres = 0.5 * (edges[1:] + edges[:-1])
    low, high = gap_from_dos(centres, counts, 3, 6)
    assert abs(low - 30.0) <= 0.5 and abs(high - 80.0) <= 0.5  # one histogram bin
    metrics = frequency_split_metrics(boxes(0.2, 0.5), (30.0, 80.0))
    # the trapezoid rule ramps each box edge over one step h = 0.01 meV: a relative error of order h/20 meV
    assert metrics['lambda_M_frequency_split'] == pytest.approx(0.4 * math.log(3.0), rel=1e-3)
    assert metrics['lambda_H_frequency_split'] == pytest.approx(1.0 * math.log(1.5), rel=1e-3)
    total = moments(boxes(0.2, 0.5)).coupling_lambda
    assert metrics['lambda_M_frequency_split'] + metrics['lambda_H_frequency_split'] == pytest.approx(total, rel=1e-12)


def test_no_gap_or_wrong_count():
    modes = synthetic_modes()
    overlapping = modes.copy()
    overlapping[0, 3] = 25.0  # one H mode dips into the metal band
    assert gap_from_modes(overlapping, 3) is None
    counts, edges = np.histogram(modes.ravel(), bins=260, range=(0.0, 130.0))
    centres = 0.5 * (edges[1:] + edges[:-1])
    assert gap_from_dos(centres, counts, 2, 6) is None  # the gap has 3 branches below it, not 2
    assert gap_from_dos(centres, np.zeros_like(centres), 3, 6) is None
    assert frequency_split_metrics(boxes(0.2, 0.5), None) == dict.fromkeys(FREQUENCY_SPLIT_KEYS)
    with pytest.raises(InputValidationError, match='n_low_modes'):
        gap_from_dos(centres, counts, 6, 6)
    with pytest.raises(InputValidationError, match='ascending'):
        gap_from_dos(centres[::-1], counts, 3, 6)
    with pytest.raises(InputValidationError, match='lower edge'):
        frequency_split_metrics(boxes(0.2, 0.5), (80.0, 30.0))


@pytest.fixture(scope='module')
def mgh():
    return mgh_data()


def mgh_data() -> tuple[np.ndarray, Alpha2F]:
    """Rocksalt MgH (real QE 6.7 run): branches on a 16³ mesh, α²F and its species split at σ = 0.020 Ry on 8³."""
    fc = qe_q2r.parse_force_constants((MGH / 'alh222.fc').read_text(), 'alh222.fc')
    alat = fc.alat_bohr * BOHR_TO_ANGSTROM
    constants = qe_q2r.force_constants_ev_per_a2(fc.constants)
    model = RealSpaceModel(fc.cell * alat, fc.positions * alat, tuple(constants.shape[:3]))
    modes, _ = phonons_from_force_constants(
        fourier_matrices([constants], model, monkhorst_pack_mesh((16, 16, 16)))[0], fc.masses_amu
    )
    gamma = qe_q2r.parse_a2f_matdyn((MGH / 'elph_dir' / 'a2Fmatdyn.64').read_text(), fc.n_atoms)
    (spectrum,) = atom_resolved_alpha2f(
        constants,
        [qe_q2r.gamma_to_mev_amu(gamma.constants)],
        cell=fc.cell * alat,
        positions=fc.positions * alat,
        masses_amu=fc.masses_amu,
        species=fc.species,
        q_mesh=(8, 8, 8),
        dos_ef_per_mev=[qe_q2r.dos_per_mev(gamma.dos_ef)],
        ndos=400,
    )
    return modes, spectrum


def test_mgh_has_a_gap_and_both_splits(mgh):
    modes, spectrum = mgh
    gap = gap_from_modes(modes, 3)
    assert gap == pytest.approx((58.706, 93.189), abs=1e-3)  # Mg branches ≤ 58.7 meV, H branches ≥ 93.2 meV
    counts, edges = np.histogram(modes.ravel(), bins=400, range=(0.0, modes.max() * 1.001))
    dos_gap = gap_from_dos(0.5 * (edges[1:] + edges[:-1]), counts, 3, 6)
    np.testing.assert_allclose(dos_gap, gap, atol=edges[1] - edges[0])
    split = frequency_split_metrics(spectrum, gap)
    total = moments(spectrum).coupling_lambda
    pair_h = moments(spectrum.partial('H')).coupling_lambda
    mode_h = moments(spectrum.partial('ev:H')).coupling_lambda
    assert split['lambda_H_frequency_split'] + split['lambda_M_frequency_split'] == pytest.approx(total, rel=1e-12)
    # Measured: λ = 1.828; above the gap 1.292 (71 %), species pairs (H–H + ½ H–Mg) 1.761 (96 %), H eigenvector
    # weight 1.263 (69 %). The acoustic (Mg) branches move H with the metal and couple through H: the frequency
    # and eigenvector splits book that coupling to the metal, the pair split to hydrogen.
    assert split['lambda_H_frequency_split'] == pytest.approx(1.292, abs=2e-3)
    assert pair_h == pytest.approx(1.761, abs=2e-3)
    assert mode_h == pytest.approx(1.263, abs=2e-3)


def test_h3s_soft_settings_have_no_gap():
    """H3S at 200 GPa, former fast settings (matdyn 16³): an H branch falls to 42 meV, below the S branches' 72 meV."""
    frequencies = parse_matdyn_frequencies(QE / 'h3s_fast_qe67_soft_q' / 'phonon_frequencies.dat')
    modes = np.asarray(frequencies.frequencies_cm1) * CM1_TO_MEV
    assert modes.shape == (145, 12)
    assert gap_from_modes(modes, 3) is None


def test_h3s_quickstart_gap_only_at_250_gpa():
    """Quickstart H₃S (fast): matdyn's DOS has no empty stretch at 200 GPa; at 250 GPa the 3 S branches end at
    76.0 meV and the H branches start at 92.2 meV. λ above the gap 1.261, species pairs 1.335, H eigenvector 1.249."""
    from tests.numerics.test_mu_star_conventions import h3s_quickstart

    folder = Path(__file__).parents[1] / 'fixtures' / 'reference' / 'h3s_quickstart_fast'
    gaps = {}
    for pressure in (200, 250):
        dos = np.loadtxt(folder / f'phonon_dos_{pressure}GPa.dat')
        gaps[pressure] = gap_from_dos(dos[:, 0], dos[:, 1], 3, 12)
    assert gaps[200] is None
    assert gaps[250] == pytest.approx((76.006, 92.204), abs=1e-3)
    spectrum = h3s_quickstart(250)
    split = frequency_split_metrics(spectrum, gaps[250])
    assert split['lambda_H_frequency_split'] == pytest.approx(1.2611, abs=1e-4)
    assert split['lambda_M_frequency_split'] == pytest.approx(0.2913, abs=1e-4)
    assert moments(spectrum.partial('H')).coupling_lambda == pytest.approx(1.3354, abs=1e-4)
    assert moments(spectrum.partial('ev:H')).coupling_lambda == pytest.approx(1.2491, abs=1e-4)

"""matdyn ``a2F.dosN`` and ``lambda`` parsers on stored real QE 6.7 and 6.0 outputs (fcc Al)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aiida_enatom.constants import MEV_TO_K, RY_TO_MEV
from aiida_enatom.exceptions import InputValidationError, ParsingError
from aiida_enatom.io.qe_matdyn import parse_a2f_dos, parse_lambda_file
from aiida_enatom.numerics.moments import moments

QE67 = 'qe/al_q222_qe67'
QE60 = 'qe/al_q444_qe60_reference'
SMEARINGS = range(1, 11)


def test_a2f_dos_qe67_content(fixtures_path, num_regression, data_regression):
    dos = parse_a2f_dos(fixtures_path / QE67 / 'a2F.dos3')
    assert dos.n_modes == 3
    assert dos.smearing_index == 3
    assert dos.frequency_mev.shape == (50,)
    assert dos.per_mode.shape == (3, 50)
    # first and last rows as printed: 0.306437E-04 Ry ... 0.303372E-02 Ry; last line lambda/Delta
    assert dos.frequency_mev[0] == pytest.approx(0.306437e-4 * RY_TO_MEV, rel=1e-12)
    assert dos.frequency_mev[-1] == pytest.approx(0.303372e-2 * RY_TO_MEV, rel=1e-12)
    assert dos.per_mode[:, 0] == pytest.approx([0.908314e-7, 0.597572e-7, 0.161958e-7], rel=1e-12)
    assert dos.lambda_qe == 0.37965888483183230
    assert dos.frequency_step_mev == pytest.approx(6.1287366241314888e-5 * RY_TO_MEV, rel=1e-12)
    np.testing.assert_allclose(dos.per_mode.sum(axis=0), dos.total, atol=2e-6)
    num_regression.check(
        {
            'frequency_mev': dos.frequency_mev,
            'total': dos.total,
            **{f'mode_{index + 1}': dos.per_mode[index] for index in range(3)},
        }
    )
    data_regression.check({'header': list(dos.header), 'n_modes': dos.n_modes, 'lambda_qe': dos.lambda_qe})


def test_a2f_dos_qe60_wrapped_rows(fixtures_path):
    """QE 6.0 writes ω and the total on one line and the modes on the next: rows are rebuilt."""
    dos = parse_a2f_dos(fixtures_path / QE60 / 'a2F.dos5')
    assert dos.n_modes == 3
    assert dos.frequency_mev.size == 50
    assert dos.frequency_mev[0] == pytest.approx(0.000031 * RY_TO_MEV)
    assert dos.total[0] == -0.0 and dos.per_mode[:, 0] == pytest.approx([-0.00000028, -0.00000012, 0.00000003])
    assert dos.total[-2] == 0.002030 and dos.per_mode[2, -2] == 0.00202968
    assert dos.lambda_qe == 0.36859499556581271


def test_a2f_dos_n_modes_given_and_wrong(fixtures_path):
    path = fixtures_path / QE67 / 'a2F.dos3'
    assert parse_a2f_dos(path, n_modes=3).n_modes == 3
    with pytest.raises(ParsingError, match='cannot group'):
        parse_a2f_dos(path, n_modes=6)


def test_a2f_dos_wrapped_many_modes_synthetic():
    """Row wrapping of QE 6.0 with more than six modes (8 modes: 2 + 6 + 2 values), built in the test."""
    modes = np.array([[0.1, 0.2, 0.0, 0.05, 0.3, 0.1, 0.02, 0.03], [0.2, 0.1, 0.1, 0.0, 0.1, 0.1, 0.01, 0.09]])
    lines = ['', ' # Eliashberg function a2F (per both spin)', ' #  frequencies in Rydberg  ', '']
    for energy, row in zip([0.001, 0.002], modes, strict=True):
        lines.append(f'   {energy:12.6f}{row.sum():12.6f}')
        lines.append(''.join(f'{value:16.8f}' for value in row[:6]))
        lines.append(''.join(f'{value:16.8f}' for value in row[6:]))
    lines.append('  lambda =  0.5         Delta =    1.0E-003')
    dos = parse_a2f_dos('\n'.join(lines))
    assert dos.n_modes == 8
    np.testing.assert_allclose(dos.per_mode.T, modes)


def test_to_alpha2f_keeps_modes_and_label(fixtures_path):
    dos = parse_a2f_dos(fixtures_path / QE67 / 'a2F.dos3')
    spectrum = dos.to_alpha2f(include_modes=True)
    assert spectrum.label == 'matdyn a2F.dos3'
    assert sorted(spectrum.partials) == ['mode_01', 'mode_02', 'mode_03']
    np.testing.assert_array_equal(spectrum.spectrum, dos.total)


def test_negative_frequencies_are_kept():
    """Imaginary modes are binned at ω < 0 by matdyn; the parser keeps them and Alpha2F reports their weight."""
    text = '\n'.join(
        [
            ' # Eliashberg function a2F (per both spin)',
            ' #  frequencies in Rydberg  ',
            '      -0.100000E-02    0.200000E+00    0.200000E+00',
            '       0.100000E-02    0.100000E+00    0.100000E+00',
            '       0.300000E-02    0.300000E+00    0.300000E+00',
            '       0.500000E-02    0.000000E+00    0.000000E+00',
            '  lambda =  0.1         Delta =    2.0E-003',
        ]
    )
    dos = parse_a2f_dos(text)
    assert dos.frequency_mev[0] < 0
    assert dos.to_alpha2f().weight_nonpositive == 0.0  # a single point below zero carries no trapezoid weight
    assert dos.total[0] == 0.2


def test_lambda_file_qe67(fixtures_path, data_regression):
    lam = parse_lambda_file(fixtures_path / QE67 / 'lambda')
    assert lam.has_omega_log
    assert len(lam.entries) == 10
    first, last = lam.entry(1), lam.entry(10)
    assert (first.broadening_ry, first.coupling_lambda, first.dos_ef, first.omega_log_k) == (
        0.005,
        0.0201,
        1.3392,
        266.9495,
    )
    assert (last.broadening_ry, last.coupling_lambda, last.omega_log_k) == (0.05, 0.3574, 301.8587)
    with pytest.raises(IndexError, match=r'1\.\.10'):
        lam.entry(11)
    data_regression.check([entry.__dict__ for entry in lam.entries])


@pytest.mark.parametrize('folder', [QE60, 'qe/al_example03_qe60_reference'])
def test_lambda_file_qe60_has_no_omega_log(fixtures_path, folder):
    lam = parse_lambda_file(fixtures_path / folder / 'lambda')
    assert not lam.has_omega_log
    assert [entry.broadening_ry for entry in lam.entries] == pytest.approx([0.005 * n for n in SMEARINGS])
    assert all(entry.omega_log_k is None for entry in lam.entries)


# --- physics: our moments of matdyn's α²F against matdyn's own numbers --------------------------------------


@pytest.mark.parametrize('index', SMEARINGS)
def test_moments_reproduce_matdyn_footer_lambda(fixtures_path, index):
    """The footer λ is matdyn's midpoint sum 2Σα²F/ω Δω on the same bins; our trapezoid over the bin centres differs
    only by the half-weights of the two end bins, where α²F/ω ≈ 0, and by the printed digits of α²F."""
    for folder, rel in ((QE67, 1e-5), (QE60, 3e-4)):  # 6.0 prints the total with 6 decimals only (F12.6)
        dos = parse_a2f_dos(fixtures_path / folder / f'a2F.dos{index}')
        assert moments(dos.to_alpha2f()).coupling_lambda == pytest.approx(dos.lambda_qe, rel=rel)


@pytest.mark.parametrize('index', SMEARINGS)
def test_moments_against_lambda_file_qe67(fixtures_path, index):
    """QE 6.7's ``lambda`` file does not integrate a2F.dosN: λ and ω_log differ by up to 0.5 % and 1.2 %.

    On refining matdyn's mesh (nk 10³ → 20³ → 30³, checked when the fixture was made) the ``lambda``-file λ moves
    by ≤ 3e-4 and ω_log by ≤ 0.2 % while the integral of the tetrahedron α²F moves by up to 1 %: what a direct sum
    Σ_qν w_q λ_qν (and of λ_qν ln ω_qν) over the q-mesh gives; see docs/parsers.md. The weakest coupling
    (σ = 0.005 Ry, λ = 0.02, 4 printed decimals = 0.25 %) is the loosest.
    """
    lam = parse_lambda_file(fixtures_path / QE67 / 'lambda').entry(index)
    result = moments(parse_a2f_dos(fixtures_path / QE67 / f'a2F.dos{index}').to_alpha2f())
    loose = index <= 2
    assert result.coupling_lambda == pytest.approx(lam.coupling_lambda, rel=0.006 if loose else 0.002)
    assert result.omega_log * MEV_TO_K == pytest.approx(lam.omega_log_k, rel=0.012 if loose else 0.0025)
    # the difference is systematic in this run: the tetrahedron integral has larger λ and lower ω_log
    assert result.coupling_lambda > lam.coupling_lambda
    assert result.omega_log * MEV_TO_K < lam.omega_log_k


@pytest.mark.parametrize('index', SMEARINGS)
def test_lambda_file_qe60_is_the_footer(fixtures_path, index):
    """In QE 6.0 the ``lambda`` file prints the a2F.dosN footer λ rounded to 4 decimals."""
    lam = parse_lambda_file(fixtures_path / QE60 / 'lambda').entry(index)
    dos = parse_a2f_dos(fixtures_path / QE60 / f'a2F.dos{index}')
    assert lam.coupling_lambda == round(dos.lambda_qe, 4)


# --- failures ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('name', 'line', 'message'),
    [
        ('a2F.dos3_truncated_mid_row', 22, 'truncated'),
        ('a2F.dos3_no_footer', 30, 'truncated'),
        ('a2F.dos3_bad_number', 6, 'expected a number'),
        ('a2F.dos3_rows_swapped', 9, 'must increase'),
        ('empty', 1, 'empty'),
        ('garbage.txt', 1, 'expected a number'),
        ('garbage.bin', 1, 'UTF-8'),
    ],
)
def test_a2f_dos_failures(fixtures_path, name, line, message):
    path = fixtures_path / 'qe/failures' / name
    with pytest.raises(ParsingError, match=message) as info:
        parse_a2f_dos(path)
    assert info.value.filename == str(path)
    assert info.value.line == line


def test_a2f_dos_without_unit_header():
    with pytest.raises(ParsingError, match='frequencies in Rydberg') as info:
        parse_a2f_dos('0.1 0.2 0.2\n0.2 0.3 0.3\n lambda = 1 Delta = 0.1\n', 'x.dat')
    assert (info.value.filename, info.value.line) == ('x.dat', 1)


def test_lambda_file_failures(fixtures_path):
    path = fixtures_path / 'qe/failures/lambda_truncated'
    with pytest.raises(ParsingError, match='Broadening') as info:
        parse_lambda_file(path)
    assert info.value.line == 8
    with pytest.raises(ParsingError, match='no "Broadening') as info:
        parse_lambda_file(fixtures_path / 'qe/failures/empty')
    assert info.value.line == 1
    with pytest.raises(ParsingError, match='omega_ln column'):
        parse_lambda_file(
            ' Broadening   0.0050 lambda       0.2189 dos(Ef)  1.3392 omega_ln [K]    266.9495\n'
            ' Broadening   0.0100 lambda       0.4011 dos(Ef)  1.8818\n'
        )


def test_lambda_file_nan_omega_log():
    """matdyn prints NaN for ω_log when λ = 0 (0/0); it is kept as NaN, not an error."""
    lam = parse_lambda_file(' Broadening   0.0050 lambda       0.0000 dos(Ef)  1.3392 omega_ln [K]         NaN\n')
    assert math.isnan(lam.entry(1).omega_log_k)


# --- real unstable spectra (fcc Al expanded to a = 9 and 10 bohr, QE 6.7) --------------------------------------

UNSTABLE = 'qe/al_q222_qe67_unstable'


@pytest.mark.parametrize('index', [1, 5, 10])
def test_imaginary_modes_are_kept_and_reported(fixtures_path, index):
    dos = parse_a2f_dos(fixtures_path / UNSTABLE / 'a9' / f'a2F.dos{index}')
    assert dos.frequency_mev[0] == pytest.approx(-0.711891e-3 * RY_TO_MEV)
    negative = dos.frequency_mev < 0
    assert np.count_nonzero(negative) > 10 and np.abs(dos.total[negative]).max() > 0.1
    spectrum = dos.to_alpha2f()
    assert spectrum.weight_nonpositive > 1.0  # meV of α²F weight below zero, left out of the moments
    assert spectrum.lowest_frequency < 0
    # matdyn's closing λ sums over all bins, the imaginary ones (ω < 0) included, which lowers it
    omega = dos.frequency_mev
    qe_sum = 2.0 * np.sum(dos.total / omega) * dos.frequency_step_mev
    assert dos.lambda_qe == pytest.approx(qe_sum, rel=2e-5)


def test_all_imaginary_gives_nan_omega_log_and_no_spectrum(fixtures_path):
    lam = parse_lambda_file(fixtures_path / UNSTABLE / 'a10' / 'lambda')
    assert all(entry.coupling_lambda == 0.0 and math.isnan(entry.omega_log_k) for entry in lam.entries)
    dos = parse_a2f_dos(fixtures_path / UNSTABLE / 'a10' / 'a2F.dos1')
    assert np.count_nonzero(dos.frequency_mev > 0) < 2
    with pytest.raises(InputValidationError, match='ω > 0'):
        dos.to_alpha2f()

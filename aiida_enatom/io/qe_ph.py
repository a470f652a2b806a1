"""Parsers of ph.x's per-q electron–phonon files ``elph_dir/elph.inp_lambda.<iq>`` and ``a2Fq2r.<50+isig>.<iq>``.

Written by ph.x with ``electron_phonon='interpolated'``.

Formats (QE 6.x ``elphsum``; checked on QE 6.0 and 6.7 files):

* ``elph.inp_lambda.<iq>``: ``qx qy qz nsig 3nat`` (q Cartesian, 2π/alat); the 3nat ω²_qν in Ry² (``6e14.6``,
  six per line, negative for imaginary modes); then per broadening ``Gaussian Broadening: σ Ry, ngauss= n``,
  ``DOS = N states/spin/Ry/Unit Cell at Ef= E_F eV`` and 3nat lines ``lambda(ν)= λ_qν   gamma= γ_qν GHz``.
  γ is ph.x's linewidth (π/2)·z†Γz in Ry times ``ry_to_ghz`` (an energy hν, so 1 GHz = 4.1357e-3 meV);
  λ_qν = γ_qν/(π N(E_F) ω²_qν), set to 0 for |ω| ≤ 20 cm⁻¹.
* ``a2Fq2r.<50+isig>.<iq>``: ``σ E_F N(E_F)`` (Ry, Ry, states/spin/Ry/cell; list-directed), the number of
  matrices (the q-star, doubled when −q is not in it), then that many ``Dynamical  Matrix in cartesian axes``
  sections in the dyn-file layout: Γ(q) Cartesian, not mass-scaled, such that γ_qν[Ry] = (π/2) z†Γz with
  z = e/√M (M in QE's Rydberg mass unit). Stored here in meV·amu with the π/2 folded in, as
  :func:`aiida_enatom.io.qe_q2r.gamma_to_mev_amu` does for q2r's real-space Γ: γ_qν[meV] = e†Γe/√(M_a M_b).

Fortran field overflows (``********``) in the λ and γ columns are read as NaN (λ can be recomputed from γ and ω).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from os import PathLike

import numpy as np
from numpy.typing import NDArray

from aiida_enatom.constants import RY_TO_MEV, THZ_TO_MEV
from aiida_enatom.io._qe_text import FLOAT_RE, LineReader, read_source
from aiida_enatom.io.qe_dyn import read_cartesian_matrices
from aiida_enatom.io.qe_q2r import gamma_to_mev_amu

__all__ = ('ElphLambda', 'GammaStar', 'parse_a2fq2r', 'parse_elph_lambda')

_BROADENING = re.compile(rf'^\s*Gaussian\s+Broadening:\s*({FLOAT_RE})\s*Ry,\s*ngauss=\s*(-?\d+)\s*$')
_DOS = re.compile(rf'^\s*DOS\s*=\s*({FLOAT_RE})\s*states/spin/Ry/Unit\s+Cell\s+at\s+Ef=\s*({FLOAT_RE})\s*eV\s*$')
_FIELD = rf'({FLOAT_RE}|\*+)'
_MODE = re.compile(rf'^\s*lambda\(\s*(\d+)\)\s*=\s*{_FIELD}\s+gamma\s*=\s*{_FIELD}\s*GHz\s*$')
#: 1 GHz (times h) in meV.
_GHZ_TO_MEV = THZ_TO_MEV * 1.0e-3
_MATRIX_HEADER = re.compile(r'^\s*Dynamical\s+Matrix\s+in\s+cartesian\s+axes\s*$', re.IGNORECASE)


@dataclass(frozen=True)
class ElphLambda:
    """Content of one ``elph.inp_lambda.<iq>`` file (one irreducible q, every broadening).

    Attributes
    ----------
    q_point : ndarray, shape (3,)
        q, Cartesian, units of 2π/alat (6 decimals).
    frequency_mev : ndarray, shape (3N,)
        ω_qν = sign(ω²)·√|ω²| in meV from the printed ω² (6 significant digits).
    smearing_ry : ndarray, shape (n_sigma,)
        Gaussian broadenings σ, Ry (3 decimals).
    ngauss : int
        Smearing type (0 = Gaussian), as printed.
    dos_ef_per_mev : ndarray, shape (n_sigma,)
        N(E_F) per spin per cell, 1/meV (printed in 1/Ry with 6 decimals).
    fermi_energy_mev : ndarray, shape (n_sigma,)
        E_F at each broadening, meV (printed in eV with 6 decimals).
    coupling_lambda : ndarray, shape (n_sigma, 3N)
        λ_qν (4 decimals; NaN where the field overflowed).
    linewidth_mev : ndarray, shape (n_sigma, 3N)
        γ_qν in meV (printed in GHz with 2 decimals, i.e. ±4.1e-6 meV; NaN where the field overflowed).
    """

    q_point: NDArray[np.float64]
    frequency_mev: NDArray[np.float64]
    smearing_ry: NDArray[np.float64]
    ngauss: int
    dos_ef_per_mev: NDArray[np.float64]
    fermi_energy_mev: NDArray[np.float64]
    coupling_lambda: NDArray[np.float64]
    linewidth_mev: NDArray[np.float64]


@dataclass(frozen=True)
class GammaStar:
    """Content of one ``a2Fq2r.<50+isig>.<iq>`` file: Γ(q) for every q of the star at one broadening.

    Attributes
    ----------
    smearing_ry : float
        Gaussian broadening σ, Ry.
    fermi_energy_mev : float
        E_F at this broadening, meV.
    dos_ef_per_mev : float
        N(E_F) per spin per cell, 1/meV (the normalisation of λ).
    q_points : ndarray, shape (n_star, 3)
        q of each matrix, Cartesian, units of 2π/alat.
    gamma_mev_amu : ndarray, complex, shape (n_star, 3N, 3N)
        Γ(q) in meV·amu with ph.x's π/2 folded in: γ_qν[meV] = Σ_ab e*_a Γ_ab e_b/√(M_a M_b) (M in amu).
    """

    smearing_ry: float
    fermi_energy_mev: float
    dos_ef_per_mev: float
    q_points: NDArray[np.float64]
    gamma_mev_amu: NDArray[np.complex128]


def _field(token: str) -> float:
    return float('nan') if token.startswith('*') else float(token)


def parse_elph_lambda(source: str | PathLike[str], filename: str | None = None) -> ElphLambda:
    """Parse ``elph_dir/elph.inp_lambda.<iq>`` written by ph.x (``.gz`` paths are decompressed).

    Parameters
    ----------
    source : str or path-like
        File content (``str``) or a path.
    filename : str, optional
        Name used in error messages.

    Returns
    -------
    ElphLambda

    Raises
    ------
    ParsingError
        If the file is empty, truncated or malformed; the message gives file and line.
    """
    text, name = read_source(source, filename)
    reader = LineReader(text, name)
    head = reader.floats('header "qx qy qz nsig 3nat"', 5)
    n_sigma, n_modes = int(head[3]), int(head[4])
    if n_sigma < 1 or n_modes < 3 or n_modes % 3 or head[3:] != [float(n_sigma), float(n_modes)]:
        raise reader.error(f'invalid nsig/3nat in header: {head[3:]}')
    omega2: list[float] = []
    while len(omega2) < n_modes:
        omega2 += reader.floats(f'ω² values ({len(omega2)} of {n_modes} read)')
        if len(omega2) > n_modes:
            raise reader.error(f'expected {n_modes} ω² values, got {len(omega2)}')
    w2 = np.asarray(omega2)
    smearing, dos, fermi = np.zeros(n_sigma), np.zeros(n_sigma), np.zeros(n_sigma)
    lambdas, gammas = np.zeros((n_sigma, n_modes)), np.zeros((n_sigma, n_modes))
    ngauss = 0
    for s in range(n_sigma):
        found = reader.match(_BROADENING, f'"Gaussian Broadening: … Ry, ngauss= …" of broadening {s + 1}')
        smearing[s], gauss = float(found.group(1)), int(found.group(2))
        if s and gauss != ngauss:
            raise reader.error(f'ngauss changes from {ngauss} to {gauss}')
        ngauss = gauss
        found = reader.match(_DOS, f'"DOS = … states/spin/Ry/Unit Cell at Ef= … eV" of broadening {s + 1}')
        dos[s], fermi[s] = float(found.group(1)), float(found.group(2))
        for nu in range(n_modes):
            found = reader.match(_MODE, f'"lambda({nu + 1})= …   gamma= … GHz"')
            if int(found.group(1)) != nu + 1:
                raise reader.error(f'expected mode {nu + 1}, got {found.group(1)}')
            lambdas[s, nu], gammas[s, nu] = _field(found.group(2)), _field(found.group(3))
    reader.skip_blank()
    if not reader.at_end():
        raise reader.error(f'unexpected content after {n_sigma} broadenings: {reader.peek()!r}', reader.lineno)
    if np.any(smearing <= 0) or np.any(dos <= 0):
        raise reader.error('broadenings and DOS(E_F) must be positive', 1)
    return ElphLambda(
        q_point=np.asarray(head[:3]),
        frequency_mev=np.sign(w2) * np.sqrt(np.abs(w2)) * RY_TO_MEV,
        smearing_ry=smearing,
        ngauss=ngauss,
        dos_ef_per_mev=dos / RY_TO_MEV,
        fermi_energy_mev=fermi * 1.0e3,
        coupling_lambda=lambdas,
        linewidth_mev=gammas * _GHZ_TO_MEV,
    )


def _count_atoms(reader: LineReader) -> int:
    """Infer N from the first matrix: the number of ``a b`` block headers before the next section, = N²."""
    headers = 0
    for line in reader.lines[reader.index + 2 :]:
        if _MATRIX_HEADER.match(line):
            break
        tokens = line.split()
        if len(tokens) == 2 and all(t.isdigit() for t in tokens):
            headers += 1
    n_atoms = round(headers**0.5)
    if n_atoms < 1 or n_atoms * n_atoms != headers:
        raise reader.error(
            f'cannot infer the number of atoms: {headers} block headers in the first matrix', reader.lineno
        )
    return n_atoms


def parse_a2fq2r(source: str | PathLike[str], n_atoms: int | None = None, filename: str | None = None) -> GammaStar:
    """Parse ``elph_dir/a2Fq2r.<50+isig>.<iq>`` written by ph.x (``.gz`` paths are decompressed).

    Parameters
    ----------
    source : str or path-like
        File content (``str``) or a path.
    n_atoms : int, optional
        Number of atoms; inferred from the block headers of the first matrix when omitted.
    filename : str, optional
        Name used in error messages.

    Returns
    -------
    GammaStar

    Raises
    ------
    ParsingError
        If the file is empty, truncated or malformed, or holds a number of matrices other than the declared one.
    """
    text, name = read_source(source, filename)
    reader = LineReader(text, name)
    smearing, fermi, dos = reader.floats('header "σ E_F N(E_F)"', 3)
    if smearing <= 0 or dos <= 0:
        raise reader.error(f'σ and N(E_F) must be positive, got {smearing}, {dos}')
    (count,) = reader.ints('the number of matrices', 1)
    if count < 1:
        raise reader.error(f'the number of matrices must be positive, got {count}')
    reader.skip_blank()
    if n_atoms is None:
        n_atoms = _count_atoms(reader)
    elif n_atoms < 1:
        raise reader.error(f'n_atoms must be positive, got {n_atoms}', 1)
    start = reader.lineno
    q_points, matrices = read_cartesian_matrices(reader, n_atoms)
    reader.skip_blank()
    if not reader.at_end():
        raise reader.error(f'unexpected content after the matrices: {reader.peek()!r}', reader.lineno)
    if len(matrices) != count:
        raise reader.error(f'the header declares {count} matrices, found {len(matrices)}', start)
    return GammaStar(
        smearing_ry=smearing,
        fermi_energy_mev=fermi * RY_TO_MEV,
        dos_ef_per_mev=dos / RY_TO_MEV,
        q_points=q_points,
        gamma_mev_amu=gamma_to_mev_amu(matrices),
    )

"""Parsers of ph.x dynamical-matrix files (plain-text ``fildyn``: ``*.dyn<N>``, aiida-quantumespresso ``DYN_MAT/``).

Format (QE 6.x ``write_old_dyn_mat_head``, ``write_dyn_on_file``, ``dyndia``; checked on QE 6.0 and 6.7 files)::

    Dynamical matrix file
    <title>
    ntyp nat ibrav celldm(1..6)                   (celldm(1) = alat in bohr)
    [Basis vectors / 3 rows, units of alat]       (only for ibrav = 0)
    it 'label' mass                               (mass in QE's Rydberg unit, amu × 911.444)
    na it tau_x tau_y tau_z                       (Cartesian, units of alat)
    Dynamical  Matrix in cartesian axes           (once per q of the star, twice as many if −q is not in it)
    q = ( qx qy qz )                              (Cartesian, units of 2π/alat)
    a b / 3 rows "Re C_ab,i1 Im C_ab,i1 …"        (C(q) in Ry/bohr², not mass-scaled; row i, column j)
    [Dielectric Tensor, Effective Charges E-U / U-E, Raman tensor]   (q = 0 of insulators)
    Diagonalizing the dynamical matrix
    q = ( … ) / ***** / "freq (ν) = f [THz] = f [cm-1]" + one "( x y z )" complex line per atom / *****

The vectors printed under each frequency are the *displacement patterns* z = e/√M, each normalised to 1 (QE's
``writemodes``), not the orthonormal eigenvectors e of the mass-scaled matrix (check: at Γ the acoustic z are
equal on all atoms). :attr:`DynamicalMatrixFile.eigenvectors` converts them back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from os import PathLike

import numpy as np
from numpy.typing import NDArray

from aiida_enatom.constants import BOHR_TO_ANGSTROM, CM1_TO_MEV, THZ_TO_MEV
from aiida_enatom.io._qe_text import FLOAT_RE, AtomsMixin, LineReader, read_source, read_structure
from aiida_enatom.io.qe_q2r import force_constants_ev_per_a2

__all__ = ('DynamicalMatrixFile', 'QGrid', 'parse_dyn0', 'parse_dyn_file', 'read_cartesian_matrices')

_MATRIX_HEADER = re.compile(r'^\s*Dynamical\s+Matrix\s+in\s+cartesian\s+axes\s*$', re.IGNORECASE)
_DIAGONAL_HEADER = re.compile(r'^\s*Diagonalizing\s+the\s+dynamical\s+matrix\s*$', re.IGNORECASE)
_Q_LINE = re.compile(rf'^\s*q\s*=\s*\(\s*({FLOAT_RE})\s+({FLOAT_RE})\s+({FLOAT_RE})\s*\)\s*$')
_FREQ_LINE = re.compile(
    rf'^\s*(?:freq|omega)\s*\(\s*(\d+)\s*\)\s*=\s*({FLOAT_RE})\s*\[THz\]\s*=\s*({FLOAT_RE})\s*\[cm-1\]\s*$'
)
_STARS = re.compile(r'^\s*\*{20,}\s*$')
_ATOM_LINE = re.compile(r'^\s*atom\s*#\s*(\d+)(?:\s+pol\.\s*\d+)?\s*$')
#: Fixed-point numbers of ``f12.8`` fields that may touch each other (a value ≤ −10 has no leading blank).
_F12_8 = re.compile(r'[-+]?\d*\.\d{8}')
#: Relative and absolute (THz) tolerance of the THz/cm⁻¹ consistency check (both printed with 6 decimals).
_FREQ_RTOL, _FREQ_ATOL_THZ = 1.0e-5, 2.0e-6


@dataclass(frozen=True)
class DynamicalMatrixFile(AtomsMixin):
    """Content of one ph.x dynamical-matrix file (one q-star).

    Attributes
    ----------
    title : str
        Second line of the file (ph.x ``title``), stripped.
    ibrav : int
        QE Bravais-lattice index.
    celldm : tuple of float
        celldm(1..6) as written (celldm(1) = alat in bohr).
    alat_angstrom : float
        Lattice parameter in Å.
    cell : ndarray, shape (3, 3)
        Primitive vectors as rows, Å.
    type_names : tuple of str
        Label of each atomic type.
    type_masses_amu : ndarray, shape (n_types,)
        Mass of each type in amu (converted from QE's Rydberg mass unit).
    atom_types : ndarray of int, shape (n_atoms,)
        0-based type of each atom.
    positions : ndarray, shape (n_atoms, 3)
        Cartesian positions, Å.
    q_points : ndarray, shape (n_star, 3)
        The q of every matrix block, Cartesian, in units of 2π/alat (as written). See :attr:`q_points_reduced`
        and :attr:`q_points_per_angstrom`.
    matrices : ndarray, complex, shape (n_star, 3N, 3N)
        C(q) in eV/Å² (not mass-scaled), row/column index 3a + i (QE order).
    diagonal_q_point : ndarray, shape (3,)
        q of the diagonalisation section (2π/alat); ph.x diagonalises the first q of the star.
    frequency_mev : ndarray, shape (3N,)
        ω_ν in meV from the cm⁻¹ column (the more precise one); negative values are imaginary frequencies.
    displacements : ndarray, complex, shape (3N, 3N)
        Displacement patterns as printed, column ν, row 3a + i, each normalised to 1 (z ∝ e/√M).
    dielectric_tensor : ndarray, shape (3, 3) or None
        ε∞ when the file has a ``Dielectric Tensor`` section (q = 0 of an insulator).
    born_charges : ndarray, shape (n_atoms, 3, 3) or None
        Effective charges ``E-U: Z_{alpha}{s,beta}`` (row α = field direction, column β = displacement).
    """

    title: str
    ibrav: int
    celldm: tuple[float, ...]
    alat_angstrom: float
    cell: NDArray[np.float64]
    type_names: tuple[str, ...]
    type_masses_amu: NDArray[np.float64]
    atom_types: NDArray[np.int64]
    positions: NDArray[np.float64]
    q_points: NDArray[np.float64]
    matrices: NDArray[np.complex128]
    diagonal_q_point: NDArray[np.float64]
    frequency_mev: NDArray[np.float64]
    displacements: NDArray[np.complex128]
    dielectric_tensor: NDArray[np.float64] | None = None
    born_charges: NDArray[np.float64] | None = None

    @property
    def q_points_reduced(self) -> NDArray[np.float64]:
        """Reduced q (fractions of the reciprocal vectors), shape (n_star, 3): q_red,i = a_i · q, a_i in alat."""
        return self.q_points @ (self.cell / self.alat_angstrom).T

    @property
    def q_points_per_angstrom(self) -> NDArray[np.float64]:
        """Cartesian q in 1/Å, the 2π included, shape (n_star, 3)."""
        return self.q_points * (2.0 * np.pi / self.alat_angstrom)

    @property
    def eigenvectors(self) -> NDArray[np.complex128]:
        """Orthonormal eigenvectors e_ν of C(q)/√(M_a M_b) from the printed patterns: e ∝ √M z, columns normalised.

        Shape (3N, 3N), column ν. Orthonormal to the 6-decimal print precision; degenerate modes keep ph.x's
        choice of basis within the degenerate subspace.
        """
        scaled = self.displacements * np.repeat(np.sqrt(self.masses_amu), 3)[:, None]
        return scaled / np.linalg.norm(scaled, axis=0, keepdims=True)


@dataclass(frozen=True)
class QGrid:
    """Content of ``<fildyn>0``: the q-grid of a ``ldisp`` run and its irreducible q-points.

    Attributes
    ----------
    grid : tuple of int
        (nq1, nq2, nq3).
    q_points : ndarray, shape (n_irreducible, 3)
        Irreducible q-points, Cartesian, units of 2π/alat; point k is in file ``<fildyn>{k + 1}``.
    """

    grid: tuple[int, int, int]
    q_points: NDArray[np.float64]


def _complex_row(reader: LineReader, what: str) -> NDArray[np.complex128]:
    """Read one ``Re Im Re Im Re Im`` row (Fortran ``3(2f12.8,2x)``; fused fields are split by their 8 decimals)."""
    line = reader.next_nonblank(what)
    tokens = line.split()
    if len(tokens) != 6:
        tokens = _F12_8.findall(line)
        if len(tokens) != 6 or ''.join(tokens) != ''.join(line.split()):
            raise reader.error(f'expected 6 numbers for {what}, got {line.strip()!r}')
    values = reader.parse_floats(' '.join(tokens), what, 6)
    return np.asarray(values[0::2]) + 1j * np.asarray(values[1::2])


def _read_matrix(reader: LineReader, n_atoms: int) -> NDArray[np.complex128]:
    """Read the n_atoms² blocks ``a b`` + 3 rows after a q line, as a (3N, 3N) complex matrix in file units."""
    matrix = np.zeros((3 * n_atoms, 3 * n_atoms), dtype=complex)
    for a in range(n_atoms):
        for b in range(n_atoms):
            header = reader.ints('block header "na nb"', 2)
            if header != [a + 1, b + 1]:
                raise reader.error(f'expected block header {[a + 1, b + 1]}, got {header}')
            for i in range(3):
                matrix[3 * a + i, 3 * b : 3 * b + 3] = _complex_row(reader, f'row {i + 1} of block ({a + 1},{b + 1})')
    return matrix


def _read_q(reader: LineReader) -> NDArray[np.float64]:
    found = reader.match(_Q_LINE, 'the line "q = ( qx qy qz )"')
    return np.array([float(found.group(k)) for k in (1, 2, 3)])


def read_cartesian_matrices(reader: LineReader, n_atoms: int) -> tuple[NDArray[np.float64], NDArray[np.complex128]]:
    """Read consecutive ``Dynamical  Matrix in cartesian axes`` sections (q line and blocks), in file units.

    Stops before the first non-blank line that does not start such a section. Shared with the ``a2Fq2r`` parser.

    Returns
    -------
    q_points : ndarray, shape (n, 3)
        Cartesian q in 2π/alat.
    matrices : ndarray, complex, shape (n, 3N, 3N)
        Matrices as written (no unit conversion).
    """
    q_points, matrices = [], []
    while True:
        reader.skip_blank()
        line = reader.peek()
        if line is None or not _MATRIX_HEADER.match(line):
            break
        reader.next('matrix header')
        q_points.append(_read_q(reader))
        matrices.append(_read_matrix(reader, n_atoms))
    if not matrices:
        raise (
            reader.error(f'expected "Dynamical  Matrix in cartesian axes", got {reader.peek()!r}', reader.lineno)
            if not reader.at_end()
            else reader.error('unexpected end of file: no matrix', reader.lineno)
        )
    return np.array(q_points), np.array(matrices)


def _read_tensor(reader: LineReader, what: str) -> NDArray[np.float64]:
    return np.array([reader.floats(f'{what} row {k + 1}', 3) for k in range(3)])


def _read_optional_sections(
    reader: LineReader, n_atoms: int
) -> tuple[NDArray[np.float64] | None, NDArray[np.float64] | None]:
    """Read the q = 0 sections between the matrices and the diagonalisation; stop after its header line."""
    epsilon = born = None
    while True:
        line = reader.next_nonblank('"Diagonalizing the dynamical matrix"')
        text = line.strip()
        if _DIAGONAL_HEADER.match(line):
            return epsilon, born
        if text.startswith('Dielectric Tensor'):
            epsilon = _read_tensor(reader, 'dielectric tensor')
        elif text.startswith('Effective Charges'):
            charges = np.zeros((n_atoms, 3, 3))
            for a in range(n_atoms):
                found = reader.match(_ATOM_LINE, f'"atom # {a + 1}"')
                if int(found.group(1)) != a + 1:
                    raise reader.error(f'expected atom {a + 1}, got {found.group(1)}')
                charges[a] = _read_tensor(reader, f'effective charge of atom {a + 1}')
            if text.startswith('Effective Charges E-U'):
                born = charges
        elif text.startswith('Raman tensor'):
            for _ in range(3 * n_atoms):
                reader.match(_ATOM_LINE, '"atom # n pol. i"')
                _read_tensor(reader, 'Raman tensor')
        else:
            raise reader.error(f'expected "Diagonalizing the dynamical matrix" or a q = 0 section, got {text!r}')


def _read_modes(reader: LineReader, n_atoms: int) -> tuple[NDArray[np.float64], NDArray[np.complex128]]:
    n_modes = 3 * n_atoms
    reader.match(_STARS, 'a line of asterisks')
    frequencies = np.zeros(n_modes)
    vectors = np.zeros((n_modes, n_modes), dtype=complex)
    for nu in range(n_modes):
        found = reader.match(_FREQ_LINE, f'"freq ({nu + 1}) = … [THz] = … [cm-1]"')
        index, thz, cm1 = int(found.group(1)), float(found.group(2)), float(found.group(3))
        if index != nu + 1:
            raise reader.error(f'expected mode {nu + 1}, got {index}')
        if not np.isclose(thz * THZ_TO_MEV, cm1 * CM1_TO_MEV, rtol=_FREQ_RTOL, atol=_FREQ_ATOL_THZ * THZ_TO_MEV):
            raise reader.error(f'THz and cm-1 values of mode {index} disagree: {thz} THz, {cm1} cm-1')
        frequencies[nu] = cm1 * CM1_TO_MEV
        for a in range(n_atoms):
            line = reader.next_nonblank(f'displacement of atom {a + 1} in mode {nu + 1}')
            text = line.strip()
            if not (text.startswith('(') and text.endswith(')')):
                raise reader.error(f'expected "( x y z )" complex vector, got {text!r}')
            values = reader.parse_floats(text[1:-1], f'displacement of atom {a + 1}', 6)
            vectors[3 * a : 3 * a + 3, nu] = np.asarray(values[0::2]) + 1j * np.asarray(values[1::2])
    reader.match(_STARS, 'the closing line of asterisks')
    reader.skip_blank()
    if not reader.at_end():
        raise reader.error(f'unexpected content after the modes: {reader.peek()!r}', reader.lineno)
    return frequencies, vectors


def parse_dyn_file(source: str | PathLike[str], filename: str | None = None) -> DynamicalMatrixFile:
    """Parse a ph.x dynamical-matrix file (``<fildyn><iq>``, plain text; ``.gz`` paths are decompressed).

    Parameters
    ----------
    source : str or path-like
        File content (``str``) or a path.
    filename : str, optional
        Name used in error messages.

    Returns
    -------
    DynamicalMatrixFile
        Geometry in Å, masses in amu, C(q) in eV/Å², frequencies in meV; q in Cartesian 2π/alat.

    Raises
    ------
    ParsingError
        If the file is empty, truncated or malformed (including THz and cm⁻¹ columns that disagree, or a
        diagonalised q that is not in the star), or if ibrav is not supported; the message gives file and line.
    """
    text, name = read_source(source, filename)
    reader = LineReader(text, name)
    first = reader.next('the line "Dynamical matrix file"')
    if first.strip().lower() != 'dynamical matrix file':
        raise reader.error(f'expected "Dynamical matrix file", got {first.strip()!r}')
    title = reader.next('the title line').strip()
    structure = read_structure(reader, basis_label=True)
    n_atoms = len(structure.positions)
    q_points, matrices = read_cartesian_matrices(reader, n_atoms)
    epsilon, born = _read_optional_sections(reader, n_atoms)
    diagonal_q = _read_q(reader)
    if not np.any(np.all(np.abs(q_points - diagonal_q) < 1e-6, axis=1)):
        raise reader.error(f'diagonalised q {diagonal_q.tolist()} is not one of the q of the matrices')
    frequencies, displacements = _read_modes(reader, n_atoms)
    alat = structure.celldm[0] * BOHR_TO_ANGSTROM
    return DynamicalMatrixFile(
        title=title,
        ibrav=structure.ibrav,
        celldm=tuple(structure.celldm),
        alat_angstrom=alat,
        cell=structure.cell * alat,
        type_names=tuple(structure.type_names),
        type_masses_amu=np.asarray(structure.type_masses_amu),
        atom_types=np.asarray(structure.atom_types, dtype=np.int64),
        positions=np.asarray(structure.positions, dtype=float) * alat,
        q_points=q_points,
        matrices=force_constants_ev_per_a2(matrices),
        diagonal_q_point=diagonal_q,
        frequency_mev=frequencies,
        displacements=displacements,
        dielectric_tensor=epsilon,
        born_charges=born,
    )


def parse_dyn0(source: str | PathLike[str], filename: str | None = None) -> QGrid:
    """Parse ``<fildyn>0``: the q-grid line, the number of irreducible q and their Cartesian coordinates (2π/alat).

    Raises
    ------
    ParsingError
        If the file is empty, truncated, malformed, or has content after the last q-point.
    """
    text, name = read_source(source, filename)
    reader = LineReader(text, name)
    grid = reader.ints('the q-grid "nq1 nq2 nq3"', 3)
    if min(grid) < 1:
        raise reader.error(f'the q-grid must be positive, got {grid}')
    (count,) = reader.ints('the number of q-points', 1)
    if count < 1:
        raise reader.error(f'the number of q-points must be positive, got {count}')
    q_points = np.array([reader.floats(f'q-point {k + 1}', 3) for k in range(count)])
    reader.skip_blank()
    if not reader.at_end():
        raise reader.error(f'unexpected content after {count} q-points: {reader.peek()!r}', reader.lineno)
    return QGrid((grid[0], grid[1], grid[2]), q_points)

"""Parsers of q2r.x outputs: the real-space force constants file and the real-space Γ files ``a2Fmatdyn.*``."""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike

import numpy as np
from numpy.typing import NDArray

from aiida_enatom.constants import BOHR_TO_ANGSTROM, RY_TO_MEV
from aiida_enatom.io._qe_text import AMU_RY, AtomsMixin, LineReader, fortran_float, read_source, read_structure

__all__ = (
    'ForceConstants',
    'RealSpaceGamma',
    'dos_per_mev',
    'force_constants_ev_per_a2',
    'gamma_to_mev_amu',
    'parse_a2f_matdyn',
    'parse_force_constants',
)


@dataclass(frozen=True)
class ForceConstants(AtomsMixin):
    """Real-space interatomic force constants as written by ``q2r.x`` (text format).

    Attributes
    ----------
    alat_bohr : float
        Lattice parameter celldm(1) in bohr.
    cell : ndarray, shape (3, 3)
        Primitive vectors as rows, in units of ``alat``.
    type_names : tuple of str
        Species label of each atomic type (QE ``atm``, stripped).
    type_masses_amu : ndarray, shape (n_types,)
        Mass of each type in amu (converted from QE's Rydberg mass unit).
    atom_types : ndarray of int, shape (n_atoms,)
        0-based type index of each atom.
    positions : ndarray, shape (n_atoms, 3)
        Cartesian positions in units of ``alat``.
    grid : tuple of int
        The q-grid (nr1, nr2, nr3) of the ph.x run, which is also the real-space supercell.
    constants : ndarray, shape (nr1, nr2, nr3, 3, 3, n_atoms, n_atoms)
        C(m1, m2, m3, i, j, a, b) in Ry/bohr², QE's index order (m are 0-based lattice-vector indices,
        i, j Cartesian directions, a, b atoms).
    epsilon : ndarray, shape (3, 3) or None
        Dielectric tensor when the file carries Born charges.
    born_charges : ndarray, shape (n_atoms, 3, 3) or None
        Born effective charges when present.
    """

    alat_bohr: float
    cell: NDArray[np.float64]
    type_names: tuple[str, ...]
    type_masses_amu: NDArray[np.float64]
    atom_types: NDArray[np.int64]
    positions: NDArray[np.float64]
    grid: tuple[int, int, int]
    constants: NDArray[np.float64]
    epsilon: NDArray[np.float64] | None = None
    born_charges: NDArray[np.float64] | None = None


@dataclass(frozen=True)
class RealSpaceGamma:
    """Real-space electron–phonon matrix Γ(R) for one smearing, as written by ``q2r.x`` with ``la2F=.true.``.

    Attributes
    ----------
    smearing_ry : float
        Electronic Gaussian smearing of the double-delta Fermi-surface sum, in Ry.
    fermi_energy_ry : float
        Fermi energy at this smearing, in Ry.
    dos_ef : float
        N(E_F) in states/spin/Ry/cell at this smearing (the normalisation matdyn uses for α²F).
    grid : tuple of int
        (nr1, nr2, nr3).
    constants : ndarray, shape (nr1, nr2, nr3, 3, 3, n_atoms, n_atoms)
        Γ(m1, m2, m3, i, j, a, b) in the same layout as :attr:`ForceConstants.constants`. Cartesian, *not*
        mass-scaled; matdyn gets the linewidth of mode ν (in Ry) as γ = (π/2) z†Γ(q)z with z the displacement
        eigenvector e/√M (M in QE's Rydberg mass unit).
    """

    smearing_ry: float
    fermi_energy_ry: float
    dos_ef: float
    grid: tuple[int, int, int]
    constants: NDArray[np.float64]


def _read_blocks(reader: LineReader, grid: tuple[int, int, int], n_atoms: int) -> NDArray[np.float64]:
    """Read the (i, j, a, b) blocks of a q2r real-space file, each a list of ``m1 m2 m3 value`` lines.

    All lines are converted at once by numpy and checked as arrays (headers, cell indices, finite values); if
    anything is off, :func:`_read_blocks_line_by_line` reads the same lines again to name the first bad one.
    """
    nr1, nr2, nr3 = grid
    n_cells = nr1 * nr2 * nr3
    n_blocks = 9 * n_atoms * n_atoms
    needed = n_blocks * (1 + n_cells)
    start = reader.index
    lines: list[str] = []
    index = start
    while len(lines) < needed and index < len(reader.lines):
        if reader.lines[index].strip():
            lines.append(reader.lines[index])
        index += 1
    tokens = ' '.join(lines).replace('D', 'E').replace('d', 'e').split()
    if len(lines) == needed and len(tokens) == 4 * needed:
        try:
            table = np.array(tokens, dtype=float).reshape(n_blocks, 1 + n_cells, 4)
        except ValueError:
            table = None
        if table is not None and _blocks_in_order(table, grid, n_atoms):
            reader.index = index
            values = table[:, 1:, 3].reshape(3, 3, n_atoms, n_atoms, nr3, nr2, nr1)
            return np.ascontiguousarray(values.transpose(6, 5, 4, 0, 1, 2, 3))
    reader.index = start
    return _read_blocks_line_by_line(reader, grid, n_atoms)


def _blocks_in_order(table: NDArray[np.float64], grid: tuple[int, int, int], n_atoms: int) -> bool:
    """Whether the (block, line, column) table has the headers and cell indices in q2r's order and finite values."""
    nr1, nr2, nr3 = grid
    i, j, a, b = np.meshgrid(np.arange(3), np.arange(3), np.arange(n_atoms), np.arange(n_atoms), indexing='ij')
    headers = np.stack([i.ravel(), j.ravel(), a.ravel(), b.ravel()], axis=1) + 1
    m3, m2, m1 = np.meshgrid(np.arange(nr3), np.arange(nr2), np.arange(nr1), indexing='ij')
    cells = np.stack([m1.ravel(), m2.ravel(), m3.ravel()], axis=1) + 1
    return bool(
        np.array_equal(table[:, 0, :], headers)
        and np.array_equal(table[:, 1:, :3], np.broadcast_to(cells, table[:, 1:, :3].shape))
        and np.all(np.isfinite(table[:, 1:, 3]))
    )


def _read_blocks_line_by_line(reader: LineReader, grid: tuple[int, int, int], n_atoms: int) -> NDArray[np.float64]:
    """Read the blocks one line at a time, raising a :class:`ParsingError` that names the first bad line."""
    nr1, nr2, nr3 = grid
    n_cells = nr1 * nr2 * nr3
    constants = np.zeros((nr1, nr2, nr3, 3, 3, n_atoms, n_atoms))
    for i in range(3):
        for j in range(3):
            for a in range(n_atoms):
                for b in range(n_atoms):
                    header = reader.ints('block header "i j na nb"', 4)
                    if header != [i + 1, j + 1, a + 1, b + 1]:
                        raise reader.error(f'expected block header {[i + 1, j + 1, a + 1, b + 1]}, got {header}')
                    for m3 in range(nr3):
                        for m2 in range(nr2):
                            for m1 in range(nr1):
                                line = reader.next_nonblank('force-constant line "m1 m2 m3 value"')
                                tokens = line.split()
                                if len(tokens) != 4:
                                    raise reader.error(f'expected "m1 m2 m3 value", got {line.strip()!r}')
                                try:
                                    index = (int(tokens[0]), int(tokens[1]), int(tokens[2]))
                                    value = fortran_float(tokens[3])
                                except ValueError:
                                    raise reader.error(f'expected "m1 m2 m3 value", got {line.strip()!r}') from None
                                if index != (m1 + 1, m2 + 1, m3 + 1) or not np.isfinite(value):
                                    raise reader.error(f'unexpected entry {line.strip()!r} (cell {n_cells} grid)')
                                constants[m1, m2, m3, i, j, a, b] = value
    return constants


def _read_grid(reader: LineReader) -> tuple[int, int, int]:
    grid = reader.ints('the grid "nr1 nr2 nr3"', 3)
    if min(grid) < 1:
        raise reader.error(f'grid must be positive, got {grid}')
    return grid[0], grid[1], grid[2]


def parse_force_constants(source: str | PathLike[str], filename: str | None = None) -> ForceConstants:
    """Parse the text force-constants file written by ``q2r.x`` (``flfrc``).

    Parameters
    ----------
    source : str or path-like
        File content (``str``) or a path.
    filename : str, optional
        Name used in error messages.

    Returns
    -------
    ForceConstants

    Raises
    ------
    ParsingError
        If the file is empty, truncated or malformed; the message gives the file and line.
    """
    text, name = read_source(source, filename, errors='replace')
    reader = LineReader(text, name)
    structure = read_structure(reader, basis_label=False)
    n_atoms = len(structure.positions)
    flag = reader.next_nonblank('the Born-charge flag T/F').strip().upper()
    if flag not in ('T', 'F', '.TRUE.', '.FALSE.'):
        raise reader.error(f'expected T or F, got {flag!r}')
    epsilon = born = None
    if flag in ('T', '.TRUE.'):
        epsilon = np.array([reader.floats(f'dielectric tensor row {k + 1}', 3) for k in range(3)])
        born = np.zeros((n_atoms, 3, 3))
        for a in range(n_atoms):
            reader.ints(f'Born-charge header of atom {a + 1}', 1)
            born[a] = [reader.floats(f'Born charge of atom {a + 1}', 3) for _ in range(3)]
    grid = _read_grid(reader)
    constants = _read_blocks(reader, grid, n_atoms)
    return ForceConstants(
        alat_bohr=float(structure.celldm[0]),
        cell=structure.cell,
        type_names=tuple(structure.type_names),
        type_masses_amu=np.asarray(structure.type_masses_amu),
        atom_types=np.asarray(structure.atom_types, dtype=np.int64),
        positions=np.asarray(structure.positions, dtype=float),
        grid=grid,
        constants=constants,
        epsilon=epsilon,
        born_charges=born,
    )


def parse_a2f_matdyn(source: str | PathLike[str], n_atoms: int, filename: str | None = None) -> RealSpaceGamma:
    """Parse one ``elph_dir/a2Fmatdyn.NN`` file (NN = 61…70, one per smearing) written by ``q2r.x``.

    Parameters
    ----------
    source : str or path-like
        File content or a path.
    n_atoms : int
        Number of atoms in the cell (the file does not state it; take it from the force constants).
    filename : str, optional
        Name used in error messages.

    Returns
    -------
    RealSpaceGamma

    Raises
    ------
    ParsingError
        If the file is empty, truncated or malformed, or does not hold ``n_atoms`` atoms.
    """
    text, name = read_source(source, filename, errors='replace')
    reader = LineReader(text, name)
    if n_atoms < 1:
        raise reader.error(f'n_atoms must be positive, got {n_atoms}', 1)
    smearing, fermi, dos = reader.floats('header "smearing E_F N(E_F)"', 3)
    if smearing <= 0 or dos <= 0:
        raise reader.error(f'smearing and N(E_F) must be positive, got {smearing}, {dos}')
    grid = _read_grid(reader)
    constants = _read_blocks(reader, grid, n_atoms)
    reader.skip_blank()
    if not reader.at_end():
        raise reader.error(f'unexpected content after the last block: {reader.peek()!r}', reader.lineno)
    return RealSpaceGamma(smearing, fermi, dos, grid, constants)


def force_constants_ev_per_a2(constants: NDArray[np.float64]) -> NDArray[np.float64]:
    """Convert force constants from QE's Ry/bohr² to eV/Å²."""
    return constants * (RY_TO_MEV * 1.0e-3 / BOHR_TO_ANGSTROM**2)


def gamma_to_mev_amu(constants: NDArray[np.float64]) -> NDArray[np.float64]:
    """Convert Γ from QE's file units to meV·amu, folding in matdyn's π/2.

    matdyn gets the linewidth in Ry as γ = (π/2) z†Γz with z = e/√M and M in QE's Rydberg mass unit
    (``amu_ry`` × amu). Hence Γ[meV·amu] = (π/2) · RY_TO_MEV / amu_ry · Γ[file], and γ[meV] = e†Γe/√(M_a M_b)
    with M in amu.
    """
    return constants * (0.5 * np.pi * RY_TO_MEV / AMU_RY)


def dos_per_mev(dos_ef_per_ry: float) -> float:
    """Convert N(E_F) from states/spin/Ry/cell to states/spin/meV/cell."""
    return dos_ef_per_ry / RY_TO_MEV

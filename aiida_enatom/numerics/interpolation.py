"""Fourier interpolation of real-space force constants and electron–phonon matrices (matdyn's scheme) to a fine q-mesh.

What matdyn does (QE 6.7 ``matdyn.f90``, routines ``frc_blk``, ``setgam``, ``a2Fdos``, ``dos_gam``), reproduced here:

* D(q) = Σ_R w(R + τ_a − τ_b) C_ab(R) e^{−2πi q·R} over lattice vectors R in the box ±2 × the q2r grid, with the
  Wigner–Seitz weight w(r) = 1/(number of faces of the supercell WS cell that r lies on, plus one), and 0 outside
  the WS cell. Γ(q) is built from Γ(R) in exactly the same way.
* ``asr='simple'`` subtracts Σ_{b,R} C_ab(R) from the on-site term C_aa(0), for the force constants *and* for
  each Γ(R) (matdyn applies the same correction to both).
* γ_qν = (π/2) z†Γ(q)z with z the displacement pattern e/√M; α²F(ω) = Σ_ν ∫ δ(ω − ω_qν) (γ_qν/ω_qν) /
  (2π N(0)); modes with ω ≤ 0 carry no weight. The δ is integrated with linear tetrahedra over the full q-mesh
  (matdyn uses the irreducible wedge of the same mesh); a Gaussian broadening is also offered.
* matdyn's frequency grid: E_n = E_min + (n − ½)ΔE, n = 1…ndos, ΔE = (E_max − E_min)/(ndos − 1), with E_min =
  min(0, lowest ω) and E_max the highest ω on the mesh; its λ is the Riemann sum Σ_n 2α²F(E_n)/E_n ΔE.

Units: lengths in Å, masses in amu, force constants in eV/Å², Γ(R) in meV·amu (the π/2 included, see
:func:`aiida_enatom.io.qe_q2r.gamma_to_mev_amu`), energies in meV, N(0) in states/spin/meV/cell.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse
from numpy.typing import ArrayLike, NDArray

from aiida_enatom.constants import AMU_MEV2_TO_EV_PER_A2
from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.projections import (
    assemble_alpha2f,
    eigenvector_weights,
    gaussian_alpha2f,
    pair_linewidths,
    species_channels,
    window_pairs,
)
from aiida_enatom.numerics.spectra import Alpha2F

__all__ = (
    'FourierKernel',
    'RealSpaceModel',
    'atom_resolved_alpha2f',
    'fourier_kernel',
    'fourier_matrices',
    'matdyn_frequency_grid',
    'monkhorst_pack_mesh',
    'phonons_from_force_constants',
    'tetrahedron_alpha2f',
)

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class RealSpaceModel:
    """Geometry needed to Fourier-transform q2r real-space matrices.

    Attributes
    ----------
    cell : ndarray, shape (3, 3)
        Primitive lattice vectors as rows, in Å.
    positions : ndarray, shape (N, 3)
        Cartesian positions in Å.
    grid : tuple of int
        The q2r grid (nr1, nr2, nr3).
    """

    cell: NDArray[np.float64]
    positions: NDArray[np.float64]
    grid: tuple[int, int, int]


def monkhorst_pack_mesh(mesh: Sequence[int]) -> NDArray[np.float64]:
    """Γ-centred uniform mesh in reduced coordinates, shape (n1·n2·n3, 3), index (i1·n2 + i2)·n3 + i3."""
    n1, n2, n3 = (int(n) for n in mesh)
    if min(n1, n2, n3) < 1:
        raise InputValidationError(f'q_mesh must be positive, got {mesh}')
    grid = np.stack(np.meshgrid(np.arange(n1) / n1, np.arange(n2) / n2, np.arange(n3) / n3, indexing='ij'), axis=-1)
    return grid.reshape(-1, 3)


def _ws_vectors(model: RealSpaceModel) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Lattice vectors R (integer coordinates, shape (n_R, 3)) and weights w_ab(R) (shape (n_R, N, N))."""
    cell = np.asarray(model.cell, dtype=float)
    grid = np.asarray(model.grid)
    supercell = cell * grid[:, None]
    # Supercell lattice vectors that can define faces of the WS cell.
    neighbours = np.array([v for v in itertools.product(range(-2, 3), repeat=3) if any(v)]) @ supercell
    half_norm2 = 0.5 * np.einsum('ij,ij->i', neighbours, neighbours)
    tolerance = 1.0e-6 * half_norm2.max()
    ranges = [np.arange(-2 * n, 2 * n + 1) for n in grid]
    lattice = np.stack(np.meshgrid(*ranges, indexing='ij'), axis=-1).reshape(-1, 3)
    cartesian = lattice @ cell
    tau = np.asarray(model.positions, dtype=float)
    n_atoms = tau.shape[0]
    weights = np.zeros((lattice.shape[0], n_atoms, n_atoms))
    for a in range(n_atoms):
        for b in range(n_atoms):
            r = cartesian + tau[a] - tau[b]
            excess = r @ neighbours.T - half_norm2[None, :]
            outside = np.any(excess > tolerance, axis=1)
            on_face = np.count_nonzero(np.abs(excess) <= tolerance, axis=1)
            weights[:, a, b] = np.where(outside, 0.0, 1.0 / (1.0 + on_face))
    total = weights.sum(axis=0)
    if not np.allclose(total, np.prod(grid), rtol=1e-8):
        raise InputValidationError(
            f'Wigner–Seitz weights sum to {total.min():g}…{total.max():g}, expected {np.prod(grid)}: '
            'is the cell consistent with the positions?'
        )
    keep = np.any(weights > 0, axis=(1, 2))
    return lattice[keep], weights[keep]


def _apply_simple_asr(constants: NDArray[np.float64]) -> NDArray[np.float64]:
    """Matdyn's ``asr='simple'``: C_aa(R=0)_{ij} −= Σ_{b,R} C_ab(R)_{ij}. Layout (nr1, nr2, nr3, 3, 3, N, N)."""
    fixed = np.array(constants, dtype=float, copy=True)
    total = fixed.sum(axis=(0, 1, 2, 6))  # (3, 3, N)
    n_atoms = fixed.shape[-1]
    for a in range(n_atoms):
        fixed[0, 0, 0, :, :, a, a] -= total[:, :, a]
    return fixed


@dataclass(frozen=True)
class FourierKernel:
    """Real-space matrices folded onto the Wigner–Seitz lattice vectors, ready to be transformed to any q.

    Attributes
    ----------
    lattice : ndarray of int, shape (n_R, 3)
        Lattice vectors R in integer coordinates with a non-zero weight for some atom pair.
    kernel : ndarray, shape (n_R, n_matrices·3N·3N)
        w_ab(R) M_k(R mod grid), index (k, a, i, b, j) flattened.
    n_matrices, n_atoms : int
        Number of matrices and of atoms.
    """

    lattice: NDArray[np.int64]
    kernel: NDArray[np.float64]
    n_matrices: int
    n_atoms: int

    def at(self, q_points: ArrayLike) -> NDArray[np.complex128]:
        """M(q), complex, shape (n_matrices, n_q, 3N, 3N), Hermitian-symmetrised; q reduced, shape (n_q, 3).

        The real kernel is multiplied by cos and sin of 2πq·R separately (two real products, half the work of a
        complex one).
        """
        q = np.asarray(q_points, dtype=float).reshape(-1, 3)
        angle = (-2.0 * np.pi) * (q @ self.lattice.T)
        result = np.cos(angle) @ self.kernel + 1j * (np.sin(angle) @ self.kernel)
        size = 3 * self.n_atoms
        result = result.reshape(q.shape[0], self.n_matrices, size, size).transpose(1, 0, 2, 3)
        return 0.5 * (result + result.conj().transpose(0, 1, 3, 2))


def fourier_kernel(matrices: Sequence[ArrayLike], model: RealSpaceModel, *, asr: str = 'simple') -> FourierKernel:
    """Prepare real-space matrices M_ab(R) for matdyn's Fourier interpolation (:func:`fourier_matrices`).

    Parameters
    ----------
    matrices : sequence of array_like, each shape (nr1, nr2, nr3, 3, 3, N, N)
        Real-space matrices in QE's layout (force constants or Γ), any units.
    model : RealSpaceModel
        Cell, positions and grid.
    asr : {'simple', 'no'}
        Acoustic sum rule applied to every matrix before the transform.

    Returns
    -------
    FourierKernel
        Its :meth:`FourierKernel.at` gives M(q) at any q points; build it once for many chunks of q.
    """
    if asr not in ('simple', 'no'):
        raise InputValidationError(f"asr must be 'simple' or 'no', got {asr!r}")
    stack = [np.asarray(m, dtype=float) for m in matrices]
    n_atoms = np.asarray(model.positions).shape[0]
    expected = (*model.grid, 3, 3, n_atoms, n_atoms)
    for m in stack:
        if m.shape != expected:
            raise InputValidationError(f'real-space matrix has shape {m.shape}, expected {expected}')
    if asr == 'simple':
        stack = [_apply_simple_asr(m) for m in stack]
    lattice, weights = _ws_vectors(model)
    folded = np.mod(lattice, np.asarray(model.grid))
    # K[R, k, a, i, b, j] = w_ab(R) M_k(R mod grid)_{ij,ab}
    values = np.stack([m[folded[:, 0], folded[:, 1], folded[:, 2]] for m in stack], axis=1)  # (n_R, k, 3, 3, N, N)
    kernel = values * weights[:, None, None, None, :, :]
    kernel = np.ascontiguousarray(kernel.transpose(0, 1, 4, 2, 5, 3).reshape(lattice.shape[0], -1))
    return FourierKernel(lattice, kernel, len(stack), n_atoms)


def fourier_matrices(
    matrices: Sequence[ArrayLike], model: RealSpaceModel, q_points: ArrayLike, *, asr: str = 'simple'
) -> NDArray[np.complex128]:
    """Fourier-interpolate real-space matrices M_ab(R) to q as matdyn does.

    Parameters
    ----------
    matrices : sequence of array_like, each shape (nr1, nr2, nr3, 3, 3, N, N)
        Real-space matrices in QE's layout (force constants or Γ), any units.
    model : RealSpaceModel
        Cell, positions and grid.
    q_points : array_like, shape (n_q, 3)
        q in reduced coordinates (fractions of the reciprocal vectors).
    asr : {'simple', 'no'}
        Acoustic sum rule applied to every matrix before the transform.

    Returns
    -------
    ndarray, complex, shape (n_matrices, n_q, 3N, 3N)
        M(q) with row/column index 3a + i, Hermitian-symmetrised.
    """
    return fourier_kernel(matrices, model, asr=asr).at(q_points)


def phonons_from_force_constants(
    dynamical: NDArray[np.complex128], masses_amu: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.complex128]]:
    """Diagonalise D(q)/√(M_a M_b).

    Parameters
    ----------
    dynamical : ndarray, complex, shape (n_q, 3N, 3N)
        Force-constant matrices C(q) in eV/Å².
    masses_amu : array_like, shape (N,)
        Masses in amu.

    Returns
    -------
    frequencies : ndarray, shape (n_q, 3N)
        ω in meV, ascending; negative values stand for imaginary frequencies (−√|ω²|).
    eigenvectors : ndarray, complex, shape (n_q, 3N, 3N)
        Orthonormal eigenvectors as columns.
    """
    inv_sqrt = np.repeat(1.0 / np.sqrt(np.asarray(masses_amu, dtype=float)), 3)
    scaled = dynamical * inv_sqrt[None, :, None] * inv_sqrt[None, None, :]
    w2, vectors = np.linalg.eigh(scaled)
    w2 = w2 / AMU_MEV2_TO_EV_PER_A2
    return np.sign(w2) * np.sqrt(np.abs(w2)), vectors


def _tetrahedra(mesh: Sequence[int]) -> NDArray[np.int64]:
    """Six tetrahedra per mesh cell sharing the cell diagonal (0,0,0)–(1,1,1); shape (6·n1·n2·n3, 4)."""
    n = np.asarray(mesh)
    base = np.stack(np.meshgrid(*(np.arange(k) for k in n), indexing='ij'), axis=-1).reshape(-1, 3)
    units = np.eye(3, dtype=int)
    tetra = []
    for order in itertools.permutations(range(3)):
        corners = [np.zeros(3, dtype=int)]
        for axis in order:
            corners.append(corners[-1] + units[axis])
        vertices = [np.mod(base + c, n) for c in corners]
        tetra.append(np.stack([(v[:, 0] * n[1] + v[:, 1]) * n[2] + v[:, 2] for v in vertices], axis=1))
    return np.concatenate(tetra, axis=0)


def _delta_weights(
    case: int,
    e1: NDArray[np.float64],
    e2: NDArray[np.float64],
    e3: NDArray[np.float64],
    e4: NDArray[np.float64],
    level: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Weights c_k with ∫_tet δ(E − ε(x)) Y(x) dx / V_tet = Σ_k c_k Y_k for linear ε and Y, in closed form.

    Parameters
    ----------
    case : {0, 1, 2}
        Which part of the tetrahedron E lies in: 0 for e1 < E ≤ e2, 1 for e2 < E < e3, 2 for e3 ≤ E < e4 (E > e2).
    e1, e2, e3, e4 : ndarray, shape (n,)
        Sorted corner energies of each tetrahedron (any energy unit).
    level : ndarray, shape (n,)
        The energy E of each row.

    Returns
    -------
    ndarray, shape (n, 4)
        c_k in 1/(energy unit); Σ_k c_k is the tetrahedron's normalised density of states g(E).

    Notes
    -----
    c_k = dW_k/dE, W_k(E) Blöchl's integration weights of the occupied part of the tetrahedron (without his
    curvature correction; P. E. Blöchl, O. Jepsen and O. K. Andersen, Phys. Rev. B 49, 16223 (1994), appendix),
    differentiated analytically. For e1 < E ≤ e2 (and mirrored for e3 ≤ E < e4) the iso-surface is a triangle and
    c_k = (g/3)(E − e1)/(e_k − e1), k = 2…4. Equal to the geometric construction (area-weighted centroid
    barycentrics of the iso-surface polygon) to rounding, which this form reaches more closely (relative errors
    10⁻¹⁵ against 10⁻¹², checked in extended precision). The case's inequalities, strict where they divide, keep
    every denominator positive.
    """
    out = np.empty((level.size, 4))
    if case == 0:
        x = level - e1
        e21, e31, e41 = e2 - e1, e3 - e1, e4 - e1
        third = x * x / (e21 * e31 * e41)  # g/3
        out[:, 1] = third * x / e21
        out[:, 2] = third * x / e31
        out[:, 3] = third * x / e41
        out[:, 0] = 3.0 * third - out[:, 1] - out[:, 2] - out[:, 3]
    elif case == 2:
        x = e4 - level
        e41, e42, e43 = e4 - e1, e4 - e2, e4 - e3
        third = x * x / (e41 * e42 * e43)
        out[:, 0] = third * x / e41
        out[:, 1] = third * x / e42
        out[:, 2] = third * x / e43
        out[:, 3] = 3.0 * third - out[:, 0] - out[:, 1] - out[:, 2]
    else:
        a, b, c, d = level - e1, level - e2, e3 - level, e4 - level
        e31, e41, e32, e42 = e3 - e1, e4 - e1, e3 - e2, e4 - e2
        k1, k2, k3 = 0.25 / (e41 * e31), 0.25 / (e41 * e32 * e31), 0.25 / (e42 * e32 * e41)
        # Blöchl's C1, C2, C3 and their E-derivatives D1, D2, D3.
        c1, c2, c3 = a * a * k1, a * b * c * k2, b * b * d * k3
        d1, d2, d3 = 2.0 * a * k1, (b * c + a * c - a * b) * k2, (2.0 * b * d - b * b) * k3
        c12, c23, c123 = c1 + c2, c2 + c3, c1 + c2 + c3
        d12, d23, d123 = d1 + d2, d2 + d3, d1 + d2 + d3
        out[:, 0] = d1 + (d12 * c - c12) / e31 + (d123 * d - c123) / e41
        out[:, 1] = d123 + (d23 * c - c23) / e32 + (d3 * d - c3) / e42
        out[:, 2] = (d12 * a + c12) / e31 + (d23 * b + c23) / e32
        out[:, 3] = (d123 * a + c123) / e41 + (d3 * b + c3) / e42
    return out


#: (tetrahedron, mode, frequency) triples handled at once by :func:`tetrahedron_alpha2f` (memory control).
_TETRAHEDRON_CHUNK = 1 << 16


def tetrahedron_alpha2f(
    frequencies_mev: NDArray[np.float64],
    linewidths_mev: NDArray[np.float64],
    q_mesh: Sequence[int],
    dos_ef_per_mev: float,
    frequency_mev: ArrayLike,
    *,
    min_frequency_mev: float = 1.0e-3,
) -> NDArray[np.float64]:
    """α²F(ω) = 1/(2πN(0)) Σ_ν ∫_BZ δ(ω − ω_qν) γ_qν/ω_qν by linear tetrahedra on the full Γ-centred mesh.

    Parameters
    ----------
    frequencies_mev : ndarray, shape (n_q, n_modes)
        ω on the mesh of :func:`monkhorst_pack_mesh` (meV), each row ascending (band ordering).
    linewidths_mev : ndarray, shape (n_channels, n_q, n_modes)
        γ channels in meV.
    q_mesh : sequence of 3 int
        The mesh.
    dos_ef_per_mev : float
        N(0), states/spin/meV/cell.
    frequency_mev : array_like, shape (n_freq,)
        Output grid (meV), any order.
    min_frequency_mev : float
        Modes with ω at or below this get γ/ω = 0 (matdyn zeroes them).

    Returns
    -------
    ndarray, shape (n_channels, n_freq)

    Notes
    -----
    Each (tetrahedron, mode) contributes to the grid points strictly between its lowest and highest corner
    frequency, with the closed-form corner weights of :func:`_delta_weights`. The grid points of each of its three
    parts are found by bisection and every (tetrahedron, mode, grid point) triple is evaluated at once (in chunks of
    :data:`_TETRAHEDRON_CHUNK`); the weights depend on ω only, so one sparse product per chunk serves every channel.
    """
    omega = np.asarray(frequencies_mev, dtype=float)
    gamma = np.asarray(linewidths_mev, dtype=float)
    grid = np.asarray(frequency_mev, dtype=float)
    tetra = _tetrahedra(q_mesh)
    if omega.shape[0] != int(np.prod(q_mesh)):
        raise InputValidationError(f'{omega.shape[0]} q points do not fill the mesh {tuple(q_mesh)}')
    active = omega > min_frequency_mev
    ratio = np.where(active, gamma / np.where(active, omega, 1.0), 0.0)  # (n_ch, n_q, n_modes)
    n_q, n_modes = omega.shape
    # rows = (tetrahedron, mode); corner energies sorted ascending with their flat (q, mode) indices
    corner = np.repeat(tetra, n_modes, axis=0) * n_modes + np.tile(np.arange(n_modes), tetra.shape[0])[:, None]
    energy = omega.ravel()[corner]
    order = np.argsort(energy, axis=1)
    energy = np.take_along_axis(energy, order, axis=1)
    corner = np.take_along_axis(corner, order, axis=1)
    sort = np.argsort(grid, kind='stable')
    levels = grid[sort]
    e1, e2, e3, e4 = (np.ascontiguousarray(energy[:, k]) for k in range(4))
    above_1 = np.searchsorted(levels, e1, side='right')  # first level > e1
    above_2 = np.searchsorted(levels, e2, side='right')  # first level > e2
    from_3 = np.searchsorted(levels, e3, side='left')  # first level ≥ e3
    from_4 = np.searchsorted(levels, e4, side='left')  # first level ≥ e4
    # Levels of each part: (e1, e2] and < e4; (e2, e3); [e3, e4) and > e2.
    parts = ((above_1, np.minimum(above_2, from_4)), (above_2, from_3), (np.maximum(from_3, above_2), from_4))
    flat_ratio = ratio.reshape(ratio.shape[0], -1).T  # (n_q·n_modes, n_ch)
    out = np.zeros((grid.size, ratio.shape[0]))
    for case, (first, stop) in enumerate(parts):
        for row, position in window_pairs(np.maximum(stop - first, 0), _TETRAHEDRON_CHUNK):
            level = first[row] + position  # index into the sorted grid
            weights = _delta_weights(case, e1[row], e2[row], e3[row], e4[row], levels[level])
            # (triple × corner) sparse rows, four entries each, times γ/ω: each triple's Σ_k c_k (γ/ω)_k.
            pairs = scipy.sparse.csr_matrix(
                (weights.ravel(), corner[row].ravel(), np.arange(0, 4 * row.size + 1, 4)),
                shape=(row.size, n_q * n_modes),
            )
            # Each triple's sum onto its grid point: a (n_freq × n_triples) matrix of ones, one per column.
            collect = scipy.sparse.csc_matrix(
                (np.ones(row.size), level, np.arange(row.size + 1)), shape=(grid.size, row.size)
            )
            out += collect @ (pairs @ flat_ratio)
    result = np.empty_like(out)
    result[sort] = out
    return result.T / (tetra.shape[0] * 2.0 * np.pi * dos_ef_per_mev)


def matdyn_frequency_grid(frequencies_mev: ArrayLike, ndos: int) -> NDArray[np.float64]:
    """Matdyn's α²F grid: E_n = E_min + (n − ½)ΔE, ΔE = (E_max − E_min)/(ndos − 1), E_min = min(0, ω_min)."""
    omega = np.asarray(frequencies_mev, dtype=float)
    if ndos < 2:
        raise InputValidationError(f'ndos must be at least 2, got {ndos}')
    e_min, e_max = min(0.0, float(omega.min())), float(omega.max())
    step = (e_max - e_min) / (ndos - 1)
    return e_min + (np.arange(ndos) + 0.5) * step


def atom_resolved_alpha2f(
    force_constants: ArrayLike,
    gamma_real_space: Sequence[ArrayLike],
    *,
    cell: ArrayLike,
    positions: ArrayLike,
    masses_amu: ArrayLike,
    species: Sequence[str],
    q_mesh: Sequence[int],
    dos_ef_per_mev: Sequence[float],
    frequency_mev: ArrayLike | None = None,
    ndos: int = 200,
    method: str = 'tetrahedron',
    broadening_mev: float | None = None,
    asr: str = 'simple',
    labels: Sequence[str] | None = None,
    chunk_size: int = 4096,
) -> list[Alpha2F]:
    """Total and atom-resolved α²F on a fine q-mesh, one spectrum per electronic smearing.

    Parameters
    ----------
    force_constants : array_like, shape (nr1, nr2, nr3, 3, 3, N, N)
        q2r real-space force constants in eV/Å² (QE layout, see :class:`aiida_enatom.io.qe_q2r.ForceConstants`).
    gamma_real_space : sequence of array_like, each shape (nr1, nr2, nr3, 3, 3, N, N)
        Real-space electron–phonon matrices (``a2Fmatdyn.*``), one per smearing, in meV·amu with QE's π/2 included
        (γ_qν = e†Γ(q)e/√(M_a M_b)).
    cell : array_like, shape (3, 3)
        Lattice vectors as rows, Å.
    positions : array_like, shape (N, 3)
        Cartesian positions, Å.
    masses_amu : array_like, shape (N,)
        Atomic masses, amu.
    species : sequence of str, length N
        Species label of each atom.
    q_mesh : sequence of 3 int
        Fine Γ-centred q-mesh.
    dos_ef_per_mev : sequence of float, one per smearing
        N(0) in states/spin/meV/cell (``a2Fmatdyn`` header, converted).
    frequency_mev : array_like, shape (n_freq,), optional
        Output grid; default :func:`matdyn_frequency_grid` with ``ndos`` points.
    ndos : int
        Number of grid points when ``frequency_mev`` is not given.
    method : {'tetrahedron', 'gaussian'}
        δ-function integration; ``'gaussian'`` needs ``broadening_mev``.
    broadening_mev : float, optional
        Gaussian σ in meV.
    asr : {'simple', 'no'}
        Acoustic sum rule on force constants and Γ (as matdyn's ``asr``).
    labels : sequence of str, optional
        Label of each spectrum (default ``'smearing k'``).
    chunk_size : int
        q points processed at once (memory control).

    Returns
    -------
    list of Alpha2F
        One per smearing. ``spectrum`` is the total; ``partials`` hold the species pairs (``'H-H'``, ``'H-Mg'``,
        ``'Mg-Mg'``), the species parts (``'H'`` = H–H + ½ cross terms) and the eigenvector-weight parts
        (``'ev:H'``); see :mod:`aiida_enatom.numerics.projections`. Pairs, species parts and ``ev:`` parts each sum
        to the total to rounding.

    Notes
    -----
    The interpolated Γ(q) equals ph.x's Γ(q) on the q2r grid. Cost: one (n_q × n_R) by (n_R × 9N²·(1+n_σ)) matrix
    product, batched ``eigh`` and two einsums per smearing, then the tetrahedron sum over the frequency grid.
    """
    species = list(species)
    masses = np.asarray(masses_amu, dtype=float)
    tau = np.asarray(positions, dtype=float)
    if len(species) != masses.size or tau.shape != (masses.size, 3):
        raise InputValidationError('species, masses_amu and positions must describe the same atoms')
    if len(dos_ef_per_mev) != len(gamma_real_space):
        raise InputValidationError('give one dos_ef_per_mev per gamma_real_space matrix')
    if method not in ('tetrahedron', 'gaussian'):
        raise InputValidationError(f"method must be 'tetrahedron' or 'gaussian', got {method!r}")
    if method == 'gaussian' and not (broadening_mev and broadening_mev > 0):
        raise InputValidationError("method='gaussian' needs a positive broadening_mev")
    fc = np.asarray(force_constants, dtype=float)
    model = RealSpaceModel(np.asarray(cell, dtype=float), tau, tuple(int(n) for n in fc.shape[:3]))  # type: ignore[arg-type]
    q_points = monkhorst_pack_mesh(q_mesh)
    n_q, n_sigma = q_points.shape[0], len(gamma_real_space)
    frequencies = np.empty((n_q, 3 * masses.size))
    channel_gamma: list[dict[str, NDArray[np.float64]]] = [{} for _ in range(n_sigma)]
    transform = fourier_kernel([fc, *gamma_real_space], model, asr=asr)
    for start in range(0, n_q, chunk_size):
        block = q_points[start : start + chunk_size]
        mats = transform.at(block)
        omega, vectors = phonons_from_force_constants(mats[0], masses)
        frequencies[start : start + block.shape[0]] = omega
        weights = eigenvector_weights(vectors, masses.size)
        for s in range(n_sigma):
            pairs = pair_linewidths(vectors, mats[1 + s], masses)
            for key, value in species_channels(pairs, species, weights).items():
                channel_gamma[s].setdefault(key, []).append(value)  # type: ignore[attr-defined]
    negative = int(np.count_nonzero(frequencies < -1.0e-3))
    if negative:
        LOGGER.warning(
            '%d of %d interpolated modes are imaginary; they carry no α²F weight', negative, frequencies.size
        )
    grid = matdyn_frequency_grid(frequencies, ndos) if frequency_mev is None else np.asarray(frequency_mev, dtype=float)
    names = list(labels) if labels is not None else [f'smearing {s + 1}' for s in range(n_sigma)]
    keys = list(channel_gamma[0])
    gammas = np.stack([np.concatenate(channel_gamma[s][k]) for s in range(n_sigma) for k in keys])  # type: ignore[arg-type]
    if method == 'tetrahedron':
        # The tetrahedron weights depend on ω only: one pass serves every channel of every smearing.
        values = tetrahedron_alpha2f(frequencies, gammas, q_mesh, 1.0, grid)
    else:
        values = gaussian_alpha2f(frequencies, gammas, np.full(n_q, 1.0 / n_q), 1.0, grid, float(broadening_mev))
    values = values.reshape(n_sigma, len(keys), grid.size)
    spectra = []
    for s in range(n_sigma):
        channels = dict(zip(keys, values[s] / dos_ef_per_mev[s], strict=True))
        spectra.append(assemble_alpha2f(grid, channels, names[s]))
    return spectra

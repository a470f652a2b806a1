"""Analytic atom-centred model potential with bond charges, for the enatom symmetry and sum-rule tests.

V({R})(r) = Σ_j A_s g_σs(r − R_j) + Σ_bonds w(d) b(r − M), with g, b periodic normalised Gaussians, M the bond
midpoint, d the bond length and w(d) = exp(−d²/ℓ²). The bond term makes ∂V/∂R_j non-rigid (it has backflow,
from the w'(d) b(r − M) term), yet the model is invariant under every space-group operation of the crystal and
under a common translation of all atoms, so Ball's sum rules hold exactly. Everything is built from Fourier
series (no Nyquist content), so it is exactly periodic and band-limited on the grid.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from aiida_enatom.numerics.helmholtz import reciprocal_cell

AMPLITUDE = {16: -3.0, 1: -1.0, 20: -2.0, 57: -4.0}
WIDTH = {16: 0.35, 1: 0.30, 20: 0.35, 57: 0.40}
BOND_WIDTH = 0.3
BOND_LENGTH_SCALE = 1.2
BOND_CUTOFF = 1.8


@dataclass
class Model:
    cell: np.ndarray
    positions: np.ndarray  # fractional (n_atoms, 3)
    numbers: np.ndarray
    shape: tuple[int, int, int]
    with_bonds: bool = True

    def __post_init__(self):
        recip = reciprocal_cell(self.cell)
        m = np.meshgrid(*[np.fft.fftfreq(n, 1 / n) for n in self.shape], indexing='ij')
        self.g = np.einsum('kabc,kx->xabc', np.stack(m), recip)
        self.g2 = np.sum(self.g**2, axis=0)
        nyquist = np.zeros(self.shape, dtype=bool)
        for axis, n in enumerate(self.shape):
            if n % 2 == 0:
                index = [slice(None)] * 3
                index[axis] = n // 2
                nyquist[tuple(index)] = True
        self.band = ~nyquist
        self.volume = abs(np.linalg.det(self.cell))
        self.bonds = self._bonds()

    def _bonds(self):
        """(j, k, lattice shift L) with |R_k + L − R_j| < cutoff, each unordered bond once."""
        bonds = []
        if not self.with_bonds:
            return bonds
        for j, k in itertools.combinations_with_replacement(range(len(self.positions)), 2):
            for shift in itertools.product((-1, 0, 1), repeat=3):
                if j == k and shift <= (0, 0, 0):
                    continue
                delta = (self.positions[k] + shift - self.positions[j]) @ self.cell
                if np.linalg.norm(delta) < BOND_CUTOFF:
                    bonds.append((j, k, np.array(shift, dtype=float)))
        return bonds

    def _gaussian(self, sigma, center):
        """Fourier coefficients of a normalised Gaussian at Cartesian ``center`` (ifftn convention)."""
        phase = np.exp(-1j * np.einsum('x,xabc->abc', center, self.g))
        return np.exp(-0.5 * self.g2 * sigma**2) * phase * self.band * np.prod(self.shape) / self.volume

    def _real(self, coefficients, axes=None):
        return np.fft.ifftn(coefficients, axes=axes).real

    def cartesian(self, displacements=None):
        pos = self.positions @ self.cell
        if displacements is not None:
            pos = pos + displacements
        return pos

    def potential(self, displacements=None):
        """V on the grid for Cartesian atomic displacements (n_atoms, 3) Å (bond list fixed)."""
        pos = self.cartesian(displacements)
        coeff = np.zeros(self.shape, dtype=complex)
        for j, z in enumerate(self.numbers):
            coeff += AMPLITUDE[z] * self._gaussian(WIDTH[z], pos[j])
        for j, k, shift in self.bonds:
            end = pos[k] + shift @ self.cell
            d = np.linalg.norm(end - pos[j])
            coeff += np.exp(-((d / BOND_LENGTH_SCALE) ** 2)) * self._gaussian(BOND_WIDTH, 0.5 * (pos[j] + end))
        return self._real(coeff)

    def field(self, atom):
        """F_j = ∂V/∂R_j, shape (3, n1, n2, n3), analytic."""
        pos = self.cartesian()
        z = self.numbers[atom]
        # ∂/∂R_j g(r − R_j) = −∇g: in Fourier, −iG ĝ
        coeff = -1j * self.g * (AMPLITUDE[z] * self._gaussian(WIDTH[z], pos[atom]))[None]
        for j, k, shift in self.bonds:
            if atom not in (j, k):
                continue
            end = pos[k] + shift @ self.cell
            vec = end - pos[j]
            d = np.linalg.norm(vec)
            w = np.exp(-((d / BOND_LENGTH_SCALE) ** 2))
            dw = -2.0 * d / BOND_LENGTH_SCALE**2 * w
            bond = self._gaussian(BOND_WIDTH, 0.5 * (pos[j] + end))
            for endpoint in (j, k):
                if endpoint != atom:
                    continue
                dd = -vec / d if endpoint == j else vec / d  # ∂d/∂R_endpoint
                # ∂/∂R [w b(r − M)] = w' ∂d/∂R b − ½ w ∇b
                coeff += dw * dd[:, None, None, None] * bond[None] - 0.5 * w * (1j * self.g) * bond[None]
        return self._real(coeff, axes=(1, 2, 3))


def bcc(inner):
    return [list((np.array(x) + t) % 1.0) for t in ([0, 0, 0], [0.5, 0.5, 0.5]) for x in inner]


def h3s_model(a=3.0, n=24, with_bonds=True):
    """H3S, Im-3m conventional cell: S 2a, H 6b."""
    positions = bcc([[0, 0, 0]]) + bcc([[0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]])
    numbers = [16] * 2 + [1] * 6
    return Model(np.eye(3) * a, np.array(positions), np.array(numbers), (n, n, n), with_bonds)


def cah6_model(a=3.5, n=24):
    """CaH6, Im-3m conventional cell: Ca 2a, H 12d (site −4m2: needs an explicit −u displacement)."""
    d12 = [[0.25, 0, 0.5], [0.75, 0, 0.5], [0.5, 0.25, 0], [0.5, 0.75, 0], [0, 0.5, 0.25], [0, 0.5, 0.75]]
    positions = bcc([[0, 0, 0]]) + bcc(d12)
    numbers = [20] * 2 + [1] * 12
    return Model(np.eye(3) * a, np.array(positions), np.array(numbers), (n, n, n))

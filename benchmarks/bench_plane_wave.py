"""Benchmark of the plane-wave rigid/backflow split of I² (``numerics/plane_wave_scattering``).

Times :func:`plane_wave_fermi_average` for one atom's field on the grids of the enatom runs in the docs: 30³ (the
8-atom H3S test cell), 60³ (32-atom H3S, 2×2×2 primitive) and 90³ (8-atom fcc Li). The first call on a grid builds
the kernel tables (cached per grid, cell and k_F, so the other atoms and components of a run reuse them); the
cached repeat is what each further atom and component costs. Times are the best of ``REPEATS`` (the machine is
shared). No target: the calcfunction runs 3 components per inequivalent atom, so a run costs about
(first call) + (3 n_atoms − 1) × (cached call).

Run: ``.venv/bin/python benchmarks/bench_plane_wave.py``
"""

from __future__ import annotations

import time

import numpy as np

from aiida_enatom.numerics import plane_wave_scattering
from aiida_enatom.numerics.plane_wave_scattering import plane_wave_fermi_average

REPEATS = 3
K_FERMI = 2.7  # Å⁻¹, H3S at 200 GPa (free electrons)
OMEGA0 = 13.3  # Å³


def field_on(n: int, cell: np.ndarray) -> np.ndarray:
    """A smooth localised field (rigid Gaussian plus a swirl) at the cell centre, shape (3, n, n, n)."""
    frac = np.stack(np.meshgrid(*(np.arange(n) / n - 0.5 for _ in range(3)), indexing='ij'))
    cart = np.einsum('k...,kc->c...', frac, cell)
    g = np.exp(-np.sum(cart**2, axis=0) / (2 * 0.4**2))
    return np.stack([cart[0] * g + cart[1] * g, cart[1] * g - cart[0] * g, cart[2] * g])


def main() -> None:
    bcc = 2.985 / 2 * np.array([[-1, 1, 1], [1, -1, 1], [1, 1, -1]], dtype=float)
    cases = {
        '30³, H3S conventional 1×1×1 (a = 3.09 Å)': (30, np.eye(3) * 3.09),
        '60³, H3S primitive 2×2×2 (a = 2.985 Å)': (60, 2 * bcc),
        '90³, fcc Li 2×2×2 (a = 4.29 Å)': (90, 2 * 4.29 / 2 * np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0]], float)),
    }
    for label, (n, cell) in cases.items():
        field = field_on(n, cell)
        center = 0.5 * cell.sum(axis=0)
        plane_wave_scattering._kernel_tables.cache_clear()
        start = time.perf_counter()
        plane_wave_fermi_average(field, cell, center, k_fermi=K_FERMI, cell_volume=OMEGA0)
        first = time.perf_counter() - start
        cached = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            plane_wave_fermi_average(field, cell, center, k_fermi=K_FERMI, cell_volume=OMEGA0)
            cached.append(time.perf_counter() - start)
        print(f'{label}: first call {first:.2f} s, cached {min(cached):.2f} s (best of {REPEATS})')


if __name__ == '__main__':
    main()

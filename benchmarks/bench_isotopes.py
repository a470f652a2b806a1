"""Speed of the isotope substitution (``isotope_effect``, what ``substitute_isotopes`` computes) on H₃S at 200 GPa.

Run with ``nice -n 5 .venv/bin/python benchmarks/bench_isotopes.py [--meshes 16 25] [--no-reference]``. The stored
``fast`` point's q2r C(R) and Γ(R) (4 atoms, 4³ force-constant grid: the same atoms and grid as ``balanced``,
whose fine mesh is 25³) are interpolated on each fine mesh, and the full deuteration is computed as the
calcfunction does: the stored-mass α²F (there the split's; here computed first, not timed) is given as ``base``.

Prints the machine load, then per mesh the CPU and wall seconds of each stage and of the whole call, for the
current path ("after") and the frozen pre-speed-up path of ``tests/numerics/_isotopes_reference.py`` ("before"),
their ratio, and the largest differences of T_c and α between the two. Stages: the Fourier transform with the six
diagonalisations and linewidths (stored, substituted, H ± h, M ± h); the tetrahedron α²F of the substituted masses
(with partials); the six Gaussian α²F; the ten T_c analyses (every route). Exits 1 if the total CPU time of the
largest mesh exceeds the 10 s target of issue 10 §7. BLAS runs on one thread unless ``OMP_NUM_THREADS`` /
``OPENBLAS_NUM_THREADS`` say otherwise. Timings on a loaded machine: compare CPU times.
"""

from __future__ import annotations

import argparse
import math
import os
import pathlib
import sys
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

for _variable in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):  # one core, unless told otherwise
    os.environ.setdefault(_variable, '1')

import numpy as np  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

TARGET_SECONDS = 10.0
SUBSTITUTION = {'H': 'D'}
MU_STAR = 0.1


def _clock(function: Callable[[], Any]) -> tuple[Any, float, float]:
    """Run ``function``; return its value, CPU seconds and wall seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = function()
    return value, time.process_time() - cpu, time.perf_counter() - wall


def _stages(module: ModuleType, model: Any, grid: np.ndarray, base: Any) -> dict[str, tuple[float, float]]:
    """CPU and wall seconds of each stage of ``module.isotope_effect``, run step by step as it does."""
    from aiida_enatom.numerics.eliashberg import mu_star_reference_mev
    from aiida_enatom.numerics.isotopes import substituted_masses
    from aiida_enatom.numerics.spectra import Alpha2F

    masses = np.asarray(model.masses_amu, dtype=float)
    hydrogen = np.array([label == 'H' for label in model.species])
    sets = [masses, substituted_masses(model.species, masses, SUBSTITUTION)]
    for members in (hydrogen, ~hydrogen):
        sets += [np.where(members, masses * math.exp(sign * 0.05), masses) for sign in (+1, -1)]
    flags = [False, True, False, False, False, False]
    times: dict[str, tuple[float, float]] = {}
    modes, *times['diagonalise 6 mass sets'] = _clock(lambda: module._mesh_modes(model, sets, flags, 4096))
    full, *times['tetrahedron α²F'] = _clock(lambda: module._integrate(modes[1], model, grid, 'tetrahedron', 2.0))
    smooth, *times['Gaussian α²F ×6'] = _clock(
        lambda: [module._integrate(each, model, grid, 'gaussian', 2.0) for each in modes]
    )
    reference = mu_star_reference_mev(base)
    stretched = [Alpha2F(smooth[0].frequency * math.exp(-sign * 0.025), smooth[0].spectrum) for sign in (1, -1)]
    spectra = [*smooth, *stretched, base, full]  # the ten analyses of isotope_effect
    _, *times['T_c ×10 (all routes)'] = _clock(
        lambda: [module._tc(each, MU_STAR, reference, 'ten_omega_max') for each in spectra]
    )
    return times


def main() -> int:
    """Print the timings; return 1 if the largest mesh misses the target."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--meshes', type=int, nargs='+', default=[16, 25], help='fine q-meshes n (n³)')
    parser.add_argument('--no-reference', action='store_true', help='skip the slow pre-speed-up path')
    args = parser.parse_args()

    from aiida_enatom.numerics import isotopes
    from tests.numerics import _isotopes_reference as reference
    from tests.numerics._h3s import h3s_model, matdyn_grid_mev

    print(f'load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} on {os.cpu_count()} cores')
    grid = matdyn_grid_mev()
    paths = {'after': isotopes} if args.no_reference else {'after': isotopes, 'before': reference}
    failed = False
    for n in args.meshes:
        model = h3s_model((n, n, n))
        base = model.stored_alpha2f(grid)
        print(f'\nH3S, fine mesh {n}^3 ({n**3} q), 4 atoms, 200 frequencies, full deuteration')
        totals: dict[str, tuple[float, float]] = {}
        effects = {}
        for name, module in paths.items():
            stages = _stages(module, model, grid, base)
            effect, cpu, wall = _clock(
                lambda module=module, model=model, base=base: module.isotope_effect(
                    model, SUBSTITUTION, grid, mu_star=MU_STAR, base=base
                )
            )
            effects[name], totals[name] = effect, (cpu, wall)
            for stage, (stage_cpu, stage_wall) in stages.items():
                print(f'  {name:6s} {stage:26s} CPU {stage_cpu:7.2f} s   wall {stage_wall:7.2f} s')
            print(f'  {name:6s} {"isotope_effect, total":26s} CPU {cpu:7.2f} s   wall {wall:7.2f} s')
        if 'before' in totals:
            (cpu_a, wall_a), (cpu_b, wall_b) = totals['after'], totals['before']
            print(f'  before/after: CPU {cpu_b / cpu_a:.1f}x, wall {wall_b / wall_a:.1f}x')
            after, before = effects['after'], effects['before']
            d_tc = max(
                abs(after_tc[route] - before_tc[route])
                for after_tc, before_tc in (
                    (after.tc_k, before.tc_k),
                    (after.tc_substituted_k, before.tc_substituted_k),
                )
                for route in after_tc
            )
            d_alpha = max(
                abs(after.alpha[group][route] - before.alpha[group][route])
                for group in after.alpha
                for route in after.alpha[group]
            )
            print(f'  largest difference after − before: T_c {d_tc:.1e} K, α {d_alpha:.1e}')
        if n == max(args.meshes):
            failed = totals['after'][0] > TARGET_SECONDS
            print(f'  target: total CPU ≤ {TARGET_SECONDS:g} s: {"missed" if failed else "met"}')
    print(f'\nload average at the end {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

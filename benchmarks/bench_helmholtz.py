"""Benchmark of the enatom Helmholtz decomposition (targets from the issue); exits 1 if a target is missed.

Targets on a 128³ grid of a 3-component field: time ≤ 0.5 s; time ≤ 2× one forward plus one inverse
3-component real FFT of the same data (scipy.fft, workers=-1); peak traced memory ≤ 6× the input field.
Times are the best of several repeats (the machine is shared); the targets use the first-call time on a
new grid (G tables built), the cached repeat is printed too. Also prints phonopy's minimal displacement
counts for H3S, CaH6 and LaH10.

Run: ``.venv/bin/python benchmarks/bench_helmholtz.py``
"""

from __future__ import annotations

import sys
import time
import tracemalloc

import numpy as np
import scipy.fft

from aiida_enatom.numerics import helmholtz
from aiida_enatom.numerics.displacements import minimal_displacements
from aiida_enatom.numerics.helmholtz import helmholtz_decompose

N = 128
REPEATS = 7
TIME_TARGET_S = 0.5
FFT_RATIO_TARGET = 2.0
MEMORY_RATIO_TARGET = 6.0


def best_times(functions, repeats=REPEATS):
    """Best time of each function; the runs are interleaved so that all see the same load of the shared cores."""
    times = [[] for _ in functions]
    for _ in range(repeats):
        for k, function in enumerate(functions):
            start = time.perf_counter()
            function()
            times[k].append(time.perf_counter() - start)
    return [min(t) for t in times]


def reference_fft(field):
    spectrum = scipy.fft.rfftn(field, axes=(1, 2, 3), workers=-1)
    return scipy.fft.irfftn(spectrum, s=field.shape[1:], axes=(1, 2, 3), workers=-1)


def counts():
    def bcc(inner):
        return [list((np.array(x) + t) % 1.0) for t in ([0, 0, 0], [0.5, 0.5, 0.5]) for x in inner]

    def fcc(inner):
        shifts = ([0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0])
        return [list((np.array(x) + t) % 1.0) for t in shifts for x in inner]

    x = 0.12
    f32 = [[x, x, x], [-x, -x, x], [-x, x, -x], [x, -x, -x], [x, x, -x], [-x, -x, -x], [x, -x, x], [-x, x, x]]
    d12 = [[0.25, 0, 0.5], [0.75, 0, 0.5], [0.5, 0.25, 0], [0.5, 0.75, 0], [0, 0.5, 0.25], [0, 0.5, 0.75]]
    structures = {
        'H3S (Im-3m, S 2a, H 6b)': (
            3.0,
            bcc([[0, 0, 0]]) + bcc([[0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]]),
            [16] * 2 + [1] * 6,
        ),
        'CaH6 (Im-3m, Ca 2a, H 12d)': (3.5, bcc([[0, 0, 0]]) + bcc(d12), [20] * 2 + [1] * 12),
        'LaH10 (Fm-3m, La 4b, H 8c + 32f)': (
            5.1,
            fcc([[0.5, 0.5, 0.5]]) + fcc([[0.25, 0.25, 0.25], [0.75, 0.75, 0.75]]) + fcc(f32),
            [57] * 4 + [1] * 40,
        ),
    }
    print('phonopy minimal displacements (conventional cell, u = 0.01 Å, is_plusminus="auto"):')
    for name, (a, positions, numbers) in structures.items():
        dataset = minimal_displacements(np.eye(3) * a, positions, numbers)
        print(
            f'  {name:34s} directions {dataset.n_directions}  displacements {dataset.n_displacements}  '
            f'SCFs {dataset.n_supercell_calculations}'
        )


def main() -> int:
    rng = np.random.default_rng(0)
    field = rng.standard_normal((3, N, N, N))
    cell = np.array([[6.0, 0.0, 0.0], [1.0, 6.2, 0.0], [0.5, 0.7, 5.9]])
    helmholtz_decompose(field, cell)  # warm up FFT plans and thread pool
    reference_fft(field)

    def cold():
        helmholtz._spectral_tables.cache_clear()  # a first call on a new grid: G tables are built too
        helmholtz_decompose(field, cell)

    t_fft, t_decompose, t_warm = best_times(
        [lambda: reference_fft(field), cold, lambda: helmholtz_decompose(field, cell)]
    )
    ratio = t_decompose / t_fft

    helmholtz._spectral_tables.cache_clear()  # count the G tables in the peak
    tracemalloc.start()
    parts = helmholtz_decompose(field, cell)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    memory_ratio = peak / field.nbytes
    del parts

    print(f'grid {N}³ × 3 components, input {field.nbytes / 2**20:.0f} MiB, scipy {scipy.__version__}, workers=-1')
    print(f'helmholtz_decompose          {t_decompose:.3f} s   (target ≤ {TIME_TARGET_S} s; new grid)')
    print(f'  same grid again (cached G) {t_warm:.3f} s')
    print(f'forward + inverse 3-comp FFT {t_fft:.3f} s')
    print(f'ratio                        {ratio:.2f}      (target ≤ {FFT_RATIO_TARGET})')
    print(f'peak traced memory / input   {memory_ratio:.2f}      (target ≤ {MEMORY_RATIO_TARGET})')
    counts()

    failures = []
    if t_decompose > TIME_TARGET_S:
        failures.append('time')
    if ratio > FFT_RATIO_TARGET:
        failures.append('FFT ratio')
    if memory_ratio > MEMORY_RATIO_TARGET:
        failures.append('memory')
    if failures:
        print('MISSED: ' + ', '.join(failures))
        return 1
    print('all targets met')
    return 0


if __name__ == '__main__':
    sys.exit(main())

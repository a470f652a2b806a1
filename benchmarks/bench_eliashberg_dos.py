"""Timing of one Eliashberg T_c solve with the energy-dependent DOS N(ε) on the stored H3S 200 GPa point.

Run with ``.venv/bin/python benchmarks/bench_eliashberg_dos.py [--repeats N] [--window MEV]``. Prints the machine
load, then the wall and CPU time of one constant-DOS solve and of one N(ε) solve (χ included and not), median over
the repeats, and the T_c values (docs/eliashberg.md §8).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from aiida_enatom.constants import EV_TO_MEV
from aiida_enatom.numerics.eliashberg import eliashberg_tc
from aiida_enatom.numerics.eliashberg_dos import DEFAULT_WINDOW_MEV, eliashberg_tc_dos
from aiida_enatom.numerics.spectra import Alpha2F

FIXTURE = Path(__file__).parents[1] / 'tests' / 'fixtures' / 'reference' / 'h3s_quickstart_fast'
MU_STAR = 0.1


def load() -> tuple[Alpha2F, np.ndarray, np.ndarray]:
    """α²F and (ε − E_F in meV, N(ε)) of the H3S 200 GPa fast point."""
    a2f = np.loadtxt(FIXTURE / 'alpha2f_200GPa.dat')
    path = FIXTURE / 'electronic_dos_200GPa.dat'
    fermi = next(
        float(line.split('=')[1].split()[0]) for line in path.read_text().splitlines() if 'fermi_energy' in line
    )
    dos = np.loadtxt(path)
    return Alpha2F(a2f[:, 0], a2f[:, 1]), (dos[:, 0] - fermi) * EV_TO_MEV, dos[:, 1]


def timed(function: Callable[[], float], repeats: int) -> tuple[float, float, float]:
    """Median wall and CPU seconds over ``repeats`` calls, and the last value returned."""
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        value = function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), value


def main() -> None:
    """Print the timings."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--window', type=float, default=DEFAULT_WINDOW_MEV, help='half-width W of the window, meV')
    args = parser.parse_args()
    spectrum, energy, dos = load()
    print(f'load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; W = {args.window:g} meV')
    cases = {
        'constant DOS': lambda: eliashberg_tc(spectrum, mu_star=MU_STAR).tc_k,
        'N(E), chi included': lambda: (
            eliashberg_tc_dos(spectrum, energy, dos, mu_star=MU_STAR, window_mev=args.window).tc_k
        ),
        'N(E), chi = 0': lambda: (
            eliashberg_tc_dos(spectrum, energy, dos, mu_star=MU_STAR, window_mev=args.window, include_shift=False).tc_k
        ),
    }
    for name, function in cases.items():
        wall, cpu, tc = timed(function, args.repeats)
        print(f'{name:20s} T_c = {tc:8.2f} K   wall {wall:7.3f} s   CPU {cpu:7.3f} s')


if __name__ == '__main__':
    main()

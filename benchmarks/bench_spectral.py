"""Timing of the spectral numerics: Eliashberg T_c, Bergmann–Rainer derivative, moments and formula T_c's.

Run with ``.venv/bin/python benchmarks/bench_spectral.py [--repeats N]``. Prints the machine, then for each case
the median over the repeats, the target and the ratio median/target; exits with status 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
import scipy

from aiida_enatom.numerics.bergmann_rainer import tc_functional_derivative
from aiida_enatom.numerics.eliashberg import eliashberg_tc
from aiida_enatom.numerics.moments import moments
from aiida_enatom.numerics.spectra import Alpha2F
from aiida_enatom.numerics.tc import allen_dynes_tc, leavens_carbotte_tc, mcmillan_tc, strong_coupling_tc

MU_STAR = 0.1


def cpu_model() -> str:
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as handle:
            for line in handle:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown'


def hydride_spectrum(n_points: int = 2000) -> Alpha2F:
    """Two-peak α²F (metal ~24 meV, H ~130 meV), λ = 2, ω_log ≈ 81 meV: Eliashberg T_c ≈ 200 K at μ* = 0.1."""
    omega = np.linspace(0.0, 244.0, n_points)
    a2f = 0.3126 * np.exp(-0.5 * ((omega - 24.4) / 6.5) ** 2) + 1.5758 * np.exp(-0.5 * ((omega - 130.1) / 24.4) ** 2)
    a2f[(omega > 227.8) | (omega == 0.0)] = 0.0
    return Alpha2F(omega, a2f)


def median_seconds(function: Callable[[], object], repeats: int) -> float:
    function()  # warm-up: imports, caches
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--repeats', type=int, default=50, help='timed repeats per case (default 50)')
    args = parser.parse_args()

    print(f'CPU      : {cpu_model()}')
    print(f'nproc    : {os.cpu_count()}')
    print(f'Python   : {platform.python_version()} ({platform.python_implementation()})')
    print(f'numpy    : {np.__version__}')
    print(f'scipy    : {scipy.__version__}')
    threads = {key: os.environ[key] for key in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS') if key in os.environ}
    print(f'threads  : {threads or "BLAS default"}')
    try:
        print(f'load avg : {os.getloadavg()[0]:.2f} (1 min)')
    except OSError:
        pass

    spectrum = hydride_spectrum()
    values = moments(spectrum)
    solution = eliashberg_tc(spectrum, mu_star=MU_STAR)
    print(
        f'spectrum : {spectrum.frequency.size} points, λ = {values.coupling_lambda:.3f}, '
        f'ω_log = {values.omega_log:.1f} meV, Eliashberg T_c = {solution.tc_k:.1f} K '
        f'(N = {solution.n_matsubara}, {solution.n_evaluations} diagonalisations)'
    )
    omega_500 = np.linspace(0.5, 250.0, 500)

    def formulas() -> None:
        m = moments(spectrum)
        mcmillan_tc(m.coupling_lambda, m.omega_log, MU_STAR)
        allen_dynes_tc(m.coupling_lambda, m.omega_log, m.omega_2, MU_STAR)
        leavens_carbotte_tc(m.area)
        strong_coupling_tc(m.coupling_lambda, m.omega_2)

    cases = [
        ('eliashberg_tc (2000 pts, cutoff 10 ω_max)', lambda: eliashberg_tc(spectrum, mu_star=MU_STAR), 50e-3),
        (
            'tc_functional_derivative (500 Ω)',
            lambda: tc_functional_derivative(spectrum, omega_500, mu_star=MU_STAR),
            200e-3,
        ),
        ('moments (2000 pts)', lambda: moments(spectrum), 1e-3),
        ('moments + 4 formula T_c', formulas, 1e-3),
    ]
    weak = spectrum.scaled(0.15)  # λ = 0.3: T_c below t_min, the solver runs at N = max_matsubara (worst case)
    informational = [
        ('eliashberg_tc worst case (λ = 0.3, N = 1024)', lambda: eliashberg_tc(weak, mu_star=MU_STAR)),
    ]
    print()
    print(f'{"case":<45} {"median":>11} {"target":>11} {"ratio":>7}')
    failed = False
    for name, function, target in cases:
        median = median_seconds(function, args.repeats)
        ratio = median / target
        flag = '' if ratio <= 1.0 else '  MISSED'
        failed |= ratio > 1.0
        print(f'{name:<45} {median * 1e3:>8.3f} ms {target * 1e3:>8.3f} ms {ratio:>7.3f}{flag}')
    for name, function in informational:
        median = median_seconds(function, max(3, args.repeats // 10))
        print(f'{name:<45} {median * 1e3:>8.3f} ms {"(no target)":>11}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

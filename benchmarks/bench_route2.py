"""Time the second route to I² (on-site block of Γ(R), the paper's Eq. 2) on the stored H3S point; target ≤ 2 s.

Reads the real ``fast`` H3S fixture of ``tests/fixtures/qe/h3s_fast_qe67_elph`` (q2r's Γ(R) of the default smearing,
projwfc's N(0)), as ``tests/numerics/test_scattering_route2.py::test_h3s_routes`` does, and times
:func:`~aiida_enatom.numerics.scattering_route2.route2_metrics` alone and together with reading and parsing the q2r
files (what the ``compute_route2`` step of a point does besides storing). Run: ``python benchmarks/bench_route2.py``.
"""

from __future__ import annotations

import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from aiida_enatom.numerics.scattering_route2 import route2_metrics
from tests.numerics._h3s import h3s_model, stored_metrics

TARGET_SECONDS = 2.0
REPEATS = 20


def main() -> None:
    start = time.perf_counter()
    model = h3s_model()
    metrics = stored_metrics()
    load = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(REPEATS):
        out = route2_metrics(model.gamma, model.species, model.dos_ef_per_mev, metrics)
    compute = (time.perf_counter() - start) / REPEATS
    total = load + compute
    print(f'H3S fast (4 atoms, Γ(R) on the 4³ q2r grid): I2_H route 2 = {out["I2_H_route2_eV2_per_A2"]:.2f} eV²/Å²')
    print(f'route2_metrics alone:                 {compute * 1e3:8.2f} ms')
    ratio = total / TARGET_SECONDS
    print(f'with parsing the q2r files and model: {total:8.3f} s  ratio to the {TARGET_SECONDS:g} s target {ratio:.3f}')


if __name__ == '__main__':
    main()

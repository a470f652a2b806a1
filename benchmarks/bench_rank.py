"""Speed of ``rank`` and ``campaign status`` over many stored points on the embedded SQLite profile.

Run with ``.venv/bin/python benchmarks/bench_rank.py [--points 10000]``. It creates a throw-away ``core.sqlite_dos``
profile in a temporary AIIDA_PATH (``verdi presto``), stores realistic records (``tests/aiida/results/factory.py``:
a finished PressurePointWorkChain node + its results Dict + campaign extras per point), then times the
QueryBuilder queries behind ``aiida-enatom rank`` (table columns and full JSON rows), ``export`` and ``campaign
status``. Prints medians of 5 repeats and the ratio to the targets (rank ≤ 0.5 s, status ≤ 1 s); exits 1 on a miss.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
TARGETS = {'rank (table, top 20)': 0.5, 'rank (table, all)': 0.5, 'rank (json, top 20)': 0.5, 'status': 1.0}


def median_time(function, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--points', type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix='enatom-bench-') as aiida_path:
        os.environ['AIIDA_PATH'] = aiida_path
        verdi = pathlib.Path(sys.executable).with_name('verdi')
        subprocess.run(
            [str(verdi), 'presto', '--profile-name', 'bench', '--non-interactive'], check=True, capture_output=True
        )
        sys.path.insert(0, str(ROOT))
        from aiida import load_profile

        load_profile('bench')
        from aiida_enatom.results.query import campaign_status, rank_records, records
        from tests.aiida.results.factory import point_records, store_points

        start = time.perf_counter()
        stored = point_records(args.points)
        for offset in range(0, len(stored), 1000):
            store_points(stored[offset : offset + 1000], 'bench')
        print(f'stored {args.points} points in {time.perf_counter() - start:.1f} s')
        timings = {
            'rank (table, top 20)': median_time(lambda: rank_records('bench', by='area_H', limit=20)),
            'rank (table, all)': median_time(lambda: rank_records('bench', by='I2_H')),
            'rank (json, top 20)': median_time(lambda: rank_records('bench', by='tc_eliashberg', limit=20, full=True)),
            'status': median_time(lambda: campaign_status('bench')),
            'export (json, all)': median_time(lambda: records('bench'), repeats=1),
        }
        n_ranked = len(rank_records('bench', by='I2_H'))
        print(f'{args.points} points, {n_ranked} rankable; SQLite ({aiida_path})')
        failed = False
        for name, seconds in timings.items():
            target = TARGETS.get(name)
            ratio = f'{seconds / target:6.2f} of target {target} s' if target else '(no target)'
            print(f'  {name:<22} {seconds * 1000:8.1f} ms  {ratio}')
            failed |= target is not None and seconds > target
        return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

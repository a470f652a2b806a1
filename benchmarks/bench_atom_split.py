"""Speed of the per-atom α²F split (``atom_resolved_alpha2f``) on the stored real MgH el-ph run.

Run with ``.venv/bin/python benchmarks/bench_atom_split.py``: 2 atoms, 10 smearings, 200 frequency points, on
fine q-meshes 8³, 16³ and 24³. Prints the seconds per mesh and the ratio to the target (16³ ≤ 15 s on a shared
2-core machine); exits 1 on a miss. (This was a timed test; timings belong here.)
"""

from __future__ import annotations

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

TARGET_16 = 15.0


def main() -> int:
    from tests.numerics.test_atom_split import MGH, _run

    failed = False
    for n in (8, 16, 24):
        _, seconds = _run(MGH, 'alh222.fc', (n, n, n))
        line = f'{n}^3 fine q-points: {seconds:6.2f} s'
        if n == 16:
            line += f'  ({seconds / TARGET_16:.2f} of target {TARGET_16} s)'
            failed = seconds > TARGET_16
        print(line)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

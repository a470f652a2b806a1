"""Time and peak memory of reading large α²F files with ``read_alpha2f`` (what ``aiida-enatom analyse`` does).

Run with ``nice -n 10 .venv/bin/python benchmarks/bench_alpha2f_size.py [--mib 200 60] [--keep DIR]``. For each
size it writes, in a temporary folder, a plain column file (ω in THz, one α²F column, 26 bytes a row) and a matdyn
``a2F.dosN`` (ω in Ry, the total and 600 mode columns: a 200-atom cell, as QE 6.7 writes it), then reads each in a
fresh Python process and prints the time of the read alone (wall and CPU: on a loaded machine the CPU time is the one to
compare) and of the whole process (imports included), the resident memory
after the imports and the peak (``ru_maxrss``) and the outcome: the spectrum's size, or the one-line refusal.
Files above ``MAX_FILE_BYTES`` are refused from their size before anything is read. Nothing is written outside the
temporary folder, which is deleted unless ``--keep`` is given.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np

_READ = """
import json, pathlib, resource, sys, time
from aiida_enatom.exceptions import EnatomError
from aiida_enatom.io.alpha2f import read_alpha2f
path, unit = sys.argv[1], sys.argv[2] or None
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime + resource.getrusage(resource.RUSAGE_SELF).ru_stime
start = time.perf_counter()
try:
    spectrum = read_alpha2f(pathlib.Path(path), unit=unit)
    outcome = f'read {spectrum.frequency.size} points'
except EnatomError as exception:
    outcome = f'refused: {exception}'
print(json.dumps({
    'seconds': time.perf_counter() - start,
    'peak_rss_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    'rss_before_mib': before,
    'cpu_seconds': sum(getattr(resource.getrusage(resource.RUSAGE_SELF), k) for k in ('ru_utime', 'ru_stime')) - cpu,
    'outcome': outcome,
}))
"""


def write_columns(path: pathlib.Path, mib: float) -> None:
    """A two-column file of about ``mib`` MiB: ω in THz from 0.001 up, a Gaussian α²F (written in blocks)."""
    rows = int(mib * 2**20 / 26)
    with open(path, 'w') as handle:
        handle.write('# E (THz)  a2F\n')
        for start in range(0, rows, 1_000_000):
            omega = (np.arange(start, min(rows, start + 1_000_000)) + 1) * (60.0 / rows)
            a2f = 0.8 * np.exp(-0.5 * ((omega - 40.0) / 8.0) ** 2)
            np.savetxt(handle, np.column_stack([omega, a2f]), fmt='%12.6f %12.6e')


def write_matdyn(path: pathlib.Path, mib: float, modes: int = 600) -> None:
    """A matdyn ``a2F.dosN`` of about ``mib`` MiB: ω in Ry up to 0.05, the total and ``modes`` mode columns.

    600 modes is a 200-atom cell; the size sets the number of frequencies.
    """
    width = 2 + 14 * (modes + 2)
    rows = int(mib * 2**20 / width)
    with open(path, 'w') as handle:
        handle.write(
            '\n # Eliashberg function a2F (per both spin)\n #  frequencies in Rydberg  \n'
            ' # DOS normalized to E in Rydberg: a2F_total, a2F(mode) \n\n'
        )
        for start in range(0, rows, 200_000):
            omega = (np.arange(start, min(rows, start + 200_000)) + 1) * (0.05 / rows)
            total = 0.5 * np.exp(-0.5 * ((omega - 0.03) / 0.005) ** 2)
            data = np.column_stack([omega, total, *(total / modes for _ in range(modes))])
            np.savetxt(handle, data, fmt='%14.6E', delimiter='')
        handle.write('  lambda =   1.6864480245890017         Delta =    4.5417975058184980E-005\n')


def measure(path: pathlib.Path, unit: str) -> dict:
    """Read ``path`` in a fresh interpreter; return seconds, peak RSS (MiB) and the outcome."""
    wall = time.perf_counter()
    result = subprocess.run([sys.executable, '-c', _READ, str(path), unit], capture_output=True, text=True, check=True)
    data = json.loads(result.stdout.strip().splitlines()[-1])
    data['wall_seconds'] = time.perf_counter() - wall
    return data


def main() -> None:
    """Write, read and report each file size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--mib', type=float, nargs='+', default=[200.0, 60.0], help='file sizes in MiB')
    parser.add_argument('--keep', type=pathlib.Path, default=None, help='write the files here and keep them')
    args = parser.parse_args()
    from aiida_enatom.io.alpha2f import MAX_FILE_BYTES

    print(f'MAX_FILE_BYTES = {MAX_FILE_BYTES / 2**20:g} MiB')
    print(
        f'{"file":<18} {"MiB":>6} {"read s":>7} {"CPU s":>6} {"total s":>8} {"RSS before":>11} {"peak RSS":>9}  '
        'outcome (memory in MiB)'
    )
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or pathlib.Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        for mib in args.mib:
            for kind, write, unit in (('columns', write_columns, 'THz'), ('matdyn a2F.dos1', write_matdyn, '')):
                path = folder / f'columns_{mib:g}.dat'
                if kind != 'columns':  # the name a2F.dos1 is what detects the matdyn format
                    (folder / f'matdyn_{mib:g}').mkdir(exist_ok=True)
                    path = folder / f'matdyn_{mib:g}' / 'a2F.dos1'
                write(path, mib)
                size = path.stat().st_size / 2**20
                data = measure(path, unit)
                outcome = data['outcome'] if len(data['outcome']) < 90 else data['outcome'][:87] + '...'
                print(
                    f'{kind:<18} {size:6.1f} {data["seconds"]:7.2f} {data["cpu_seconds"]:6.2f} '
                    f'{data["wall_seconds"]:8.2f} '
                    f'{data["rss_before_mib"]:11.0f} {data["peak_rss_mib"]:9.0f}  {outcome}'
                )
                if args.keep is None:
                    path.unlink()


if __name__ == '__main__':
    main()

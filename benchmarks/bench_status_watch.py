"""Latency of watching a campaign: one-shot ``campaign status`` / ``rank`` against ``campaign status --watch``.

Usage (on the profile that holds the campaign, e.g. while it runs)::

    python benchmarks/bench_status_watch.py GROUP [--repeat 5] [--refreshes 20]

A one-shot command pays Python's start-up and aiida-core's imports (about 1 s of CPU) on every call; ``--watch``
pays them once and then only runs the queries. The script runs ``campaign status GROUP`` and ``rank GROUP`` as a user
does (a new process each time, ``--repeat`` times) and times them, then runs ``campaign status GROUP --watch 1`` and
takes the time between two printed blocks minus the 1 s wait as the cost of one refresh. It prints the medians and
maxima, the load average and the ratio one-shot/refresh. Nothing is written to the database.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import time

WATCH_INTERVAL_S = 1.0
TARGET_S = 2.0


def _cli(*args: str) -> list[str]:
    return [sys.executable, '-c', 'from aiida_enatom.cli import cmd_root; cmd_root()', *args]


def one_shot(args: list[str], repeat: int) -> list[float]:
    """Wall times (s) of ``repeat`` runs of the CLI with ``args``, each a new process."""
    times = []
    for _ in range(repeat):
        start = time.monotonic()
        proc = subprocess.run(_cli(*args), capture_output=True, text=True, check=False)
        times.append(time.monotonic() - start)
        if proc.returncode != 0:
            raise SystemExit(f'{" ".join(args)} failed: {proc.stdout}{proc.stderr}')
    return times


def watch_refreshes(group: str, refreshes: int) -> tuple[float, list[float]]:
    """Time to the first block of ``status --watch`` and the cost of each later refresh (s)."""
    start = time.monotonic()
    proc = subprocess.Popen(
        _cli('campaign', 'status', group, '--watch', str(WATCH_INTERVAL_S)), stdout=subprocess.PIPE, text=True
    )
    stamps: list[float] = []
    try:
        for line in proc.stdout:
            if line.startswith('-- '):
                stamps.append(time.monotonic())
                if len(stamps) > refreshes:
                    break
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    if len(stamps) < 2:
        raise SystemExit(f'campaign {group!r} has no active point: --watch printed once and ended')
    return stamps[0] - start, [later - earlier - WATCH_INTERVAL_S for earlier, later in itertools.pairwise(stamps)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('group', help='label of a campaign group with at least one active point')
    parser.add_argument('--repeat', type=int, default=5, help='one-shot calls per command')
    parser.add_argument('--refreshes', type=int, default=20, help='refreshes of --watch to time')
    args = parser.parse_args()

    print(f'load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs')
    status = one_shot(['campaign', 'status', args.group], args.repeat)
    rank = one_shot(['rank', args.group, '--include-unstable'], args.repeat)
    first, refresh = watch_refreshes(args.group, args.refreshes)
    print(f'load average at end:   {os.getloadavg()[0]:.2f}')
    rows = [
        ('campaign status (one-shot)', status),
        ('rank (one-shot)', rank),
        ('status --watch, first block', [first]),
        ('status --watch, one refresh', refresh),
    ]
    for label, values in rows:
        print(f'{label:<30} median {statistics.median(values):6.3f} s   max {max(values):6.3f} s   (n={len(values)})')
    ratio = statistics.median(status) / statistics.median(refresh)
    print(
        f'one-shot status / watch refresh: {ratio:.1f}x; target per view {TARGET_S} s: '
        f'refresh {"met" if max(refresh) <= TARGET_S else "NOT met"}'
    )


if __name__ == '__main__':
    main()

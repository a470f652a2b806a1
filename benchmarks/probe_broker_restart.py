"""Probe: what a RabbitMQ restart under a running daemon does to the processes the workers hold.

Usage (root, from the repository; nothing of the machine-wide services is touched)::

    python benchmarks/probe_broker_restart.py [--broker enatom.rabbitmq|core.rabbitmq] [--workers 2] [--chains 6]
                                              [--sleep 60] [--outage 15] [--json FILE]

It runs :func:`tests.production.broker_restart.run_broker_restart` (private PostgreSQL and RabbitMQ, a daemon of
``--workers`` workers, ``--chains`` two-step work chains whose first jobs sleep while the broker is down for
``--outage`` s) and prints what happened as JSON: states, how many times each chain step and each job ran
(``steps_run_twice`` and ``jobs_run_twice`` are 0 when no process ran twice), and counts of the daemon log's lines
naming the known failure modes. ``--broker core.rabbitmq`` is aiida-core's broker as it is; ``enatom.rabbitmq``
(the default, what ``aiida-enatom setup --production`` configures) adds the process leases of
``aiida_enatom/brokers/rabbitmq.py``. The figures are in docs/cluster.md, section 8.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.production.broker_restart import run_broker_restart  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--broker', default='enatom.rabbitmq', choices=('enatom.rabbitmq', 'core.rabbitmq'))
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--chains', type=int, default=6)
    parser.add_argument('--short-sleep', type=int, help="seconds of every second chain's jobs (ends in the outage)")
    parser.add_argument('--sleep', type=int, default=60, help='seconds each job sleeps')
    parser.add_argument('--outage', type=float, default=15.0, help='seconds the broker stays down')
    parser.add_argument('--json', type=pathlib.Path, help='also write the result here')
    parser.add_argument('--keep', action='store_true', help='keep the temporary folder')
    args = parser.parse_args()
    if os.geteuid() != 0:
        print('needs root (private RabbitMQ/PostgreSQL)', file=sys.stderr)
        return 2
    result = run_broker_restart(
        workers=args.workers,
        chains=args.chains,
        short_sleep=args.short_sleep,
        sleep=args.sleep,
        outage=args.outage,
        broker=args.broker,
        keep=args.keep,
    )
    text = json.dumps(result, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())

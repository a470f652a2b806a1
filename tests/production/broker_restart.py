"""A RabbitMQ restart under a running daemon, and what it does to the processes the workers hold.

:func:`run_broker_restart` starts a private PostgreSQL and RabbitMQ (:mod:`tests.production.cluster`), a production
profile on them with the broker plugin asked for, a ``core.direct`` localhost code that logs every execution, and a
daemon of ``workers`` workers. It submits ``chains`` two-step work chains (:mod:`broker_probe_chain`, imported by the
workers through ``PYTHONPATH``), each of which runs two ``core.arithmetic.add`` jobs that sleep ``sleep`` s. While
every first job sleeps, the broker is stopped (SIGTERM to its VM) for ``outage`` s and started again on the same data
folder (with ``short_sleep``, every second chain's first job ends while it is down, so that the chain submits its
second job during the outage). Then it waits for every chain to terminate and returns:

* the process states and exit statuses of the chains and their jobs, and the number of add CalcJobs (2 per chain
  when nothing ran twice);
* ``step_runs``: how many times each chain step ran (from the chains' reports; 1 each when nothing ran twice);
* ``job_runs``: how many times each job folder was executed (from the code's log);
* counts of the daemon log's lines that name the known failure modes.

Used by ``tests/production/test_broker_restart.py`` and ``benchmarks/probe_broker_restart.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import secrets
import shutil
import subprocess
import sys
import time

from tests.production.cluster import (
    PrivatePostgres,
    PrivateRabbitMQ,
    daemon_pids,
    free_port,
    kill_pid,
    setup_production_profile,
)
from tests.production.helpers import environment, short_tempdir

HERE = pathlib.Path(__file__).resolve().parent

_BROKER = r"""
import sys
from aiida.manage.configuration import get_config
config = get_config()
profile = config.get_profile(sys.argv[1])
profile.set_process_controller(sys.argv[2], profile.process_control_config)
config.update_profile(profile)
config.store()
print(profile.process_control_backend)
"""

_CODE = r"""
import sys
from aiida import load_profile, orm
load_profile(sys.argv[1])
code = orm.InstalledCode(label='add-logged', computer=orm.load_computer('localhost'),
                         filepath_executable=sys.argv[2], default_calc_job_plugin='core.arithmetic.add')
code.store()
print(code.pk)
"""

_SUBMIT = r"""
import json, sys
from aiida import load_profile, orm
from aiida.engine import submit
from broker_probe_chain import ProbeChain
load_profile(sys.argv[1])
code = orm.load_code('add-logged@localhost')
sleeps = json.loads(sys.argv[2])
pks = [submit(ProbeChain, code=code, x=orm.Int(i), sleep=orm.Int(seconds)).pk for i, seconds in enumerate(sleeps)]
print(json.dumps(pks))
"""

_STATE = r"""
import collections, json, re, sys
from aiida import load_profile, orm
load_profile(sys.argv[1])
pks = json.loads(sys.argv[2])
chains, jobs, steps, exceptions = {}, {}, collections.Counter(), {}
for pk in pks:
    node = orm.load_node(pk)
    chains[pk] = [node.process_state.value if node.process_state else None, node.exit_status]
    for child in node.called:
        jobs[child.pk] = [child.process_state.value if child.process_state else None, child.exit_status]
    for excepted in [node, *node.called]:
        if excepted.process_state and excepted.process_state.value == 'excepted':
            exceptions[excepted.pk] = (excepted.exception or '')[-1500:]
    for entry in orm.Log.collection.get_logs_for(node):
        match = re.search(r'step (\w+)', entry.message)
        if match:
            steps[f'{pk}:{match.group(1)}'] += 1
added = orm.QueryBuilder().append(orm.CalcJobNode, filters={'process_type': {'like': '%arithmetic.add'}}).count()
state = {'chains': chains, 'jobs': jobs, 'step_runs': steps, 'calcjob_nodes': added, 'exceptions': exceptions}
print(json.dumps(state))
"""

PATTERNS = {
    'connection_not_opened': 'Connection was not opened',
    'duplicate_subscriber': 'DuplicateSubscriber',
    'duplicate_label': 'duplicate label',
    'sealed_modification': 'sealed node',
    'excepted_on_continue': 'failed to recreate the process instance',
    'requeued_held_elsewhere': 'is run by daemon worker',
}


def _python(env: dict, script: str, *args: str, timeout: float = 600) -> str:
    proc = subprocess.run(
        [sys.executable, '-c', script, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return proc.stdout.strip().splitlines()[-1]


def run_broker_restart(
    workers: int = 2,
    chains: int = 6,
    sleep: int = 60,
    outage: float = 15.0,
    broker: str = 'enatom.rabbitmq',
    keep: bool = False,
    short_sleep: int | None = None,
) -> dict:
    """Run the scenario of the module docstring (root needed); return what was seen.

    With ``short_sleep``, every second chain's jobs sleep that long instead: short enough that the first job ends
    while the broker is down, so that the chain submits its second job during the outage.
    """
    root = short_tempdir('enb-')
    root.chmod(0o755)
    aiida_path = root / 'aiida'
    profile = f'broker-{secrets.token_hex(3)}'
    postgres = PrivatePostgres(root / 'pg', free_port())
    rabbitmq = PrivateRabbitMQ(root / 'rmq', free_port(), f'enatomb{secrets.token_hex(3)}@localhost')
    env = environment(aiida_path)
    env['RABBITMQ_NODENAME'] = rabbitmq.node_name
    env['PYTHONPATH'] = os.pathsep.join([str(HERE), env.get('PYTHONPATH', '')])
    ran_log = root / 'ran.log'
    wrapper = root / 'add-logged.sh'
    wrapper.write_text(f'#!/bin/bash\necho "$PWD" >> {ran_log}\nexec /bin/bash "$@"\n')
    wrapper.chmod(0o755)
    verdi = str(pathlib.Path(sys.executable).parent / 'verdi')
    result: dict = {'broker': broker, 'workers': workers, 'chains': chains, 'sleep_s': sleep, 'outage_s': outage}
    try:
        postgres.start()
        rabbitmq.start(timeout=900)
        setup_production_profile(profile, aiida_path, postgres, rabbitmq, timeout=1800)
        _python(env, _BROKER, profile, broker)
        _python(env, _CODE, profile, str(wrapper))
        subprocess.run(
            [verdi, '-p', profile, 'daemon', 'start', '--timeout', '600', str(workers)],
            env=env, check=True, capture_output=True, timeout=900,
        )  # fmt: skip
        sleeps = [short_sleep if short_sleep is not None and index % 2 else sleep for index in range(chains)]
        result['sleeps_s'] = sleeps
        pks = json.loads(_python(env, _SUBMIT, profile, json.dumps(sleeps)))
        result['chain_pks'] = pks
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:  # every chain's first job is executing
            runs = ran_log.read_text().splitlines() if ran_log.exists() else []
            if len(set(runs)) >= chains:
                break
            time.sleep(1)
        else:
            raise RuntimeError('the first jobs did not all start within 600 s')
        stop = time.monotonic()
        rabbitmq.stop()
        time.sleep(outage)
        rabbitmq.start(timeout=900)
        result['broker_down_s'] = round(time.monotonic() - stop, 1)
        deadline = time.monotonic() + 4 * sleep + 900
        while True:
            state = json.loads(_python(env, _STATE, profile, json.dumps(pks)))
            terminated = {'finished', 'excepted', 'killed'}
            if all(chain[0] in terminated for chain in state['chains'].values()) or time.monotonic() > deadline:
                break
            time.sleep(5)
        result.update(state)
        runs = ran_log.read_text().splitlines() if ran_log.exists() else []
        counts: dict[str, int] = {}
        for folder in runs:
            counts[folder] = counts.get(folder, 0) + 1
        result['job_runs'] = sorted(counts.values())
        result['jobs_run_twice'] = sum(1 for count in counts.values() if count > 1)
        result['steps_run_twice'] = sum(1 for count in state['step_runs'].values() if count > 1)
        log = '\n'.join(
            path.read_text(errors='replace') for path in (aiida_path / '.aiida' / 'daemon' / 'log').glob('*.log')
        )
        result['daemon_log'] = {key: log.count(pattern) for key, pattern in PATTERNS.items()}
    finally:
        with contextlib.suppress(Exception):
            subprocess.run([verdi, '-p', profile, 'daemon', 'stop'], env=env, capture_output=True, timeout=120)
        with contextlib.suppress(Exception):
            arbiter, worker_pids = daemon_pids(aiida_path, profile)
            for pid in [*worker_pids, arbiter]:
                if pid:
                    kill_pid(pid)
        rabbitmq.stop()
        rabbitmq.stop_epmd()
        postgres.stop()
        if keep:
            result['folder'] = str(root)
        else:
            shutil.rmtree(root, ignore_errors=True)
    return result

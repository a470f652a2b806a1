"""RabbitMQ restarted under a 2-worker daemon: every process resumes and none runs twice (real services).

aiida-core's ``core.rabbitmq`` broker lets a second worker run a process that the first still runs once RabbitMQ
hands the unacknowledged tasks out again (aiida-core issue #1823): with the same scenario and ``core.rabbitmq``,
``benchmarks/probe_broker_restart.py`` saw 4 extra add jobs for 6 chains and 34 modifications of sealed nodes
(docs/cluster.md, section 8). aiida-enatom's ``enatom.rabbitmq`` broker, which ``setup --production`` configures,
leases each process to one worker; this test runs the scenario on it. Nothing is mocked: private PostgreSQL and
RabbitMQ, the daemon, ``core.direct`` jobs on localhost.
"""

from __future__ import annotations

import os
import pathlib
import shutil

import pytest

from tests.production.broker_restart import run_broker_restart

CHAINS = 4


def _missing() -> list[str]:
    missing = [name for name in ('rabbitmq-server',) if shutil.which(name, path='/usr/sbin:/usr/bin') is None]
    if not pathlib.Path('/usr/lib/postgresql').is_dir():
        missing.append('postgresql')
    return missing


@pytest.fixture(scope='module')
def restarted():
    missing = _missing()
    if missing:
        pytest.skip(f'programs absent: {", ".join(missing)} (`make system` installs them)')
    if os.geteuid() != 0:
        pytest.skip('the private RabbitMQ/PostgreSQL need root')
    return run_broker_restart(workers=2, chains=CHAINS, sleep=30, outage=10.0, broker='enatom.rabbitmq')


def test_every_chain_finishes_after_the_broker_restart(restarted):
    assert restarted['broker_down_s'] >= 10.0
    assert {pk: state for pk, state in restarted['chains'].items()} == {
        str(pk): ['finished', 0] for pk in restarted['chain_pks']
    }, (restarted['exceptions'], restarted)
    assert all(state == ['finished', 0] for state in restarted['jobs'].values()), restarted['jobs']


def test_no_process_ran_twice(restarted):
    assert restarted['calcjob_nodes'] == 2 * CHAINS, restarted
    assert restarted['steps_run_twice'] == 0, restarted['step_runs']
    assert len(restarted['step_runs']) == 3 * CHAINS
    assert restarted['job_runs'] == [1] * (2 * CHAINS), restarted['job_runs']
    log = restarted['daemon_log']
    assert log['sealed_modification'] == 0 and log['duplicate_label'] == 0, log

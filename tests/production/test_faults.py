"""Faults a cluster inflicts, injected into one real campaign on PostgreSQL + RabbitMQ + daemon + SLURM.

The module starts its own PostgreSQL (``initdb`` in a temporary folder, free loopback port), RabbitMQ (temporary data
folder, own node name and port) and single-node SLURM (:class:`LocalSlurm`, free ports), makes a production profile
on them with aiida-enatom's setup code and a ``core.slurm`` computer with ``aiida-enatom setup computer``, starts a
2-worker daemon, and submits one tiny campaign (fcc Al, ``test`` protocol) with ``campaign launch --daemon``. Every
CalcJob goes through ``sbatch``. While it runs, the driver fixture injects, in this order:

1. **daemon SIGKILL**: the circus arbiter and all its workers are SIGKILLed once a CalcJob is in SLURM, then the
   daemon is started again;
2. **RabbitMQ stop/start**: the broker's Erlang VM is stopped by PID (SIGTERM) for 15 s and started again on the same
   data folder while a CalcJob is running;
3. **ph.x SIGKILL**: the ph.x of the ``Al-ok`` point that starts ph.x first is SIGKILLed through its PID once it has
   converged at least two representations (``handle_interrupted``, exit 312, must restart it with ``recover``);

and the campaign file carries two more faults: ``Al-wall``, whose ph.x has a 60 s SLURM time limit and a ph.x
``max_seconds`` above it, so that SLURM kills it (exit 120, ``handle_scheduler_out_of_walltime``), and ``Al-nc``,
whose SCF may take one electronic step only (``electron_maxstep 1``) and two PwBaseWorkChain iterations.

Every service is stopped by the PID recorded when it started; nothing of the machine-wide services is used. No
mocks: all of it is real QE, SLURM, RabbitMQ and PostgreSQL. The numbers measured are printed and collected in
``docs/cluster.md`` ("Failures we test").
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import json
import os
import pathlib
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time

import pytest
import yaml

from aiida_enatom.campaign.launch import FINISHED_STATUSES
from tests.production.cluster import (
    CLI,
    SLURM_ENV_LINES,
    PrivatePostgres,
    PrivateRabbitMQ,
    daemon_pids,
    free_port,
    kill_pid,
    setup_production_profile,
)
from tests.production.helpers import enatom, environment, short_tempdir, verdi

pytestmark = [pytest.mark.requires_broker, pytest.mark.slow]

HERE = pathlib.Path(__file__).resolve().parent
REFERENCE = HERE.parents[0] / 'fixtures' / 'faults' / 'reference_records.json'
GROUP = 'faults'
WORKERS = 2
CAMPAIGN_TIMEOUT = 30 * 60
#: Seconds for `verdi daemon start` (the workers answering): 3-5 s on an idle 2-core machine, >10 min on a loaded one.
DAEMON_TIMEOUT = 1800
#: Record values compared with the embedded-profile run of the same points: key -> (relative, absolute) tolerance.
#: Al's λ (0.18-0.34) puts Tc at 1e-5-0.3 K, where Tc moves by ~2 % per 1e-3 of λ: Tc to 5 % or 1 mK.
COMPARED = {
    'pressure_GPa': (2e-3, 0.0),
    'lambda': (2e-3, 0.0),
    'area_meV': (2e-3, 0.0),
    'tc_allen_dynes_K': (5e-2, 1e-3),
    'tc_eliashberg_K': (5e-2, 1e-3),
}
#: The point whose ph.x was SIGKILLed and recovered. Its phonons must be the reference's: ph.x's frequencies of every
#: q to ``FREQUENCY_TOLERANCE``. Its el-ph matrices cannot be: ph.x's non-self-consistent run of each q != Γ starts
#: its extra bands from random vectors that continue one sequence per process, and ph.x 6.7's `interpolated` el-ph
#: interpolates |g|² band by band from the ph.x k-mesh to the la2F mesh, which depends on the gauge of degenerate
#: bands that those vectors fix. A restarted process draws other vectors for the q-points left, as a run on another
#: MPI layout does (`benchmarks/probe_elph_reproducibility.py`, docs/cluster.md §8). Measured on these Al points:
#: λ +3.4 %, +4.6 %, +4.5 %; 𝒜 up to +10.5 %; Allen-Dynes T_c, exponential in 1/λ at λ ≈ 0.2-0.35, up to +45 %. So λ
#: and 𝒜 within 20 % (a recover that loses the smearing puts Al's L mode at 396 instead of 153 cm⁻¹ and fails the
#: frequencies by far), T_c not compared; the relax is not involved (pressure as tight as above).
COMPARED_RECOVERED = {
    'pressure_GPa': (2e-3, 0.0),
    'lambda': (0.2, 0.0),
    'area_meV': (0.2, 0.0),
}
#: ph.x frequencies, (relative, absolute cm⁻¹): tr2_ph 1e-12 moves them by up to 0.023 cm⁻¹ between processes.
FREQUENCY_TOLERANCE = (2e-4, 0.05)
#: What a process excepted on the broker's connection says (aiormq, aio-pika, kiwipy).
_BROKER_ERROR = re.compile(r'Connection\b.*\bclosed|ChannelInvalidStateError|ConnectionClosed|AMQPConnectionError')
#: Niceness of the daemon, probes and launches (the project's rule on a shared machine).
NICENESS = 10

CAMPAIGN = {
    'name': GROUP,
    'protocol': 'test',
    'max_active': 10,
    'require_hydrogen': False,
    'codes': {**{role: f'{role}@slurm' for role in ('pw', 'q2r', 'matdyn', 'projwfc')}, 'ph': 'ph-slow@slurm'},
    'candidates': [
        {'label': 'Al-ok', 'prototype': 'Al', 'pressures': [10.0, 30.0]},
        {
            'label': 'Al-wall',
            'prototype': 'Al',
            'lattice_constant': 4.05,  # a campaign refuses the same structure twice
            'pressures': [20.0],
            'overrides': {
                'alpha2f': {
                    # SLURM's smallest time limit is 1 min (a shorter one set with scontrol is rounded up to it) and
                    # slurmctld cancels a job up to ~30 s after it, while Al's test ph.x takes 15-20 s. 80 Ry instead
                    # of 25 Ry (43-69 s on 1 rank under load) and the slowed ph code (SLOW_PH: a quarter of the CPU)
                    # make it minutes on any machine. A denser k-mesh helped less (6^3: 69 s with 80 Ry) and moved
                    # the partial sum rule to 1.2 %; the sum rule is not what this candidate tests.
                    'scf': {'pw': {'parameters': {'SYSTEM': {'ecutwfc': 80.0, 'ecutrho': 640.0}}}},
                    'sum_rule_tolerance': 0.05,
                    'ph': {
                        'max_iterations': 10,
                        'ph': {
                            'metadata': {'options': {'max_wallclock_seconds': 60}},
                            'parameters': {'INPUTPH': {'max_seconds': 200}},
                        },
                    },
                }
            },
        },
        {
            'label': 'Al-nc',
            'prototype': 'Al',
            'lattice_constant': 4.06,
            'pressures': [20.0],
            'overrides': {
                'alpha2f': {'scf': {'max_iterations': 2, 'pw': {'parameters': {'ELECTRONS': {'electron_maxstep': 1}}}}}
            },
        },
    ],
}


#: Job-script text of the ``ph-slow@slurm`` code, the campaign's ph.x: a slow node. A background loop stops the job's
#: ph.x processes (SIGSTOP) for 0.75 s in every second, so ph.x gets a quarter of its CPU on any machine. Al's ph.x
#: otherwise takes 6-9 s on an idle machine, too short to be caught between two polls for the SIGKILL case (the 6th
#: run missed it), and Al-wall's must outlast SLURM's 1-min limit. The loop ends when the job script ($$) has ended:
#: the local SLURM does not kill a job's background processes (an earlier version of this loop outlived its jobs).
SLOW_PH = """(while kill -0 $$ 2>/dev/null && sleep 0.25; do
  for pid in $(pgrep -x ph.x); do [ "$(readlink /proc/$pid/cwd)" = "$PWD" ] && kill -STOP $pid; done
  sleep 0.75
  for pid in $(pgrep -x ph.x); do [ "$(readlink /proc/$pid/cwd)" = "$PWD" ] && kill -CONT $pid; done
done) &"""

_SLOW_PH_CODE = r"""
import sys
from aiida import load_profile, orm
load_profile(sys.argv[1])
ph = orm.load_code('ph@slurm')
code = orm.InstalledCode(label='ph-slow', computer=ph.computer, filepath_executable=str(ph.filepath_executable),
                         default_calc_job_plugin=ph.default_calc_job_plugin, prepend_text=sys.argv[2])
code.store()
"""


def _missing_programs() -> list[str]:
    from tests.aiida.setup.local_slurm import missing_binaries

    missing = missing_binaries()
    for name in ('rabbitmq-server', 'rabbitmqctl', 'pw.x', 'ph.x'):
        if shutil.which(name, path=os.pathsep.join([os.environ.get('PATH', ''), '/usr/sbin'])) is None:
            missing.append(name)
    if not pathlib.Path('/usr/lib/postgresql').is_dir():
        missing.append('postgresql')
    return missing


class Stack:
    """The running services, profile and campaign of the module, and what the driver measured."""

    def __init__(self, root: pathlib.Path) -> None:
        self.root = root
        self.aiida_path = root / 'aiida'
        self.profile = f'faults-{secrets.token_hex(3)}'
        self.postgres = PrivatePostgres(root / 'pg', free_port())
        self.rabbitmq = PrivateRabbitMQ(root / 'rmq', free_port(), f'enatom{secrets.token_hex(3)}@localhost')
        self.slurm = None
        self.timings: dict[str, float] = {}
        self.events: dict = {}
        self.state: dict = {}
        self.status_output = ''

    # -- processes in the profile (subprocesses with AIIDA_PATH, SLURM_CONF) --------------------------------------
    def env(self) -> dict[str, str]:
        env = environment(self.aiida_path)
        env['SLURM_CONF'] = str(self.slurm.conf)
        env['RABBITMQ_NODENAME'] = self.rabbitmq.node_name
        return env

    def run(self, command: list[str], timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*_nice(), *command],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def probe(self) -> dict:
        """Return the campaign's state (see ``campaign_probe.py``)."""
        proc = self.run([sys.executable, str(HERE / 'campaign_probe.py'), self.profile, GROUP], timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(proc.stdout.strip().splitlines()[-1])

    def daemon_start(self) -> float:
        """Start the daemon (``WORKERS`` workers) with ``SLURM_CONF`` in its environment; return the seconds taken."""
        start = time.monotonic()
        verdi_bin = str(pathlib.Path(sys.executable).parent / 'verdi')
        proc = self.run(
            [verdi_bin, '-p', self.profile, 'daemon', 'start', '--timeout', str(DAEMON_TIMEOUT), str(WORKERS)],
            timeout=DAEMON_TIMEOUT + 120,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return time.monotonic() - start

    def daemon_kill(self) -> dict:
        """SIGKILL the circus arbiter and every child of it (workers, stats); return what was killed."""
        arbiter, workers = daemon_pids(self.aiida_path, self.profile)
        assert arbiter is not None and workers, (arbiter, workers)
        children = _children(arbiter)
        os.kill(arbiter, signal.SIGKILL)
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pid in [arbiter, *children]:
            kill_pid(pid, signal.SIGKILL, timeout=10)
        return {'arbiter': arbiter, 'workers': workers, 'children': children}

    def save(self) -> None:
        """Write timings, events, state and status to ``$ENATOM_FAULTS_DUMP`` if set (the stack folder is deleted)."""
        dump = os.environ.get('ENATOM_FAULTS_DUMP')
        if dump:
            record = {'timings': self.timings, 'events': self.events, 'state': self.state, 'status': self.status_output}
            pathlib.Path(dump).write_text(json.dumps(record, default=str))

    def squeue_running(self) -> dict[str, str]:
        """Return job id -> working directory of the jobs SLURM runs now (faster than a probe: short jobs count)."""
        proc = self.run(['squeue', '-h', '-t', 'R', '-o', '%i %Z'], timeout=120)
        return dict(line.split(' ', 1) for line in proc.stdout.splitlines() if ' ' in line)

    def wait_squeue(self, timeout: float, what: str) -> dict[str, str]:
        """Poll ``squeue`` every second until SLURM runs a job; return :meth:`squeue_running`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            running = self.squeue_running()
            if running:
                return running
            time.sleep(1.0)
        raise AssertionError(f'{what}: not reached in {timeout} s')

    def wait(self, predicate, timeout: float, what: str, interval: float = 5.0):
        """Poll :meth:`probe` until ``predicate(state)`` returns something truthy; return it."""
        deadline = time.monotonic() + timeout
        while True:
            self.state = self.probe()
            self.save()
            result = predicate(self.state)
            if result:
                return result
            if self.state['terminated'] or time.monotonic() > deadline:
                raise AssertionError(f'{what}: not reached (terminated={self.state["terminated"]})\n{self.diagnosis()}')
            time.sleep(interval)

    def diagnosis(self, lines_shown: int = 25) -> str:
        """Return what a stalled campaign shows: its active processes, SLURM's queue and the daemon log's last lines.

        CI keeps only the test's output (the stack's folder is deleted), so a failure message carries this.
        """
        active = [f'  {p["pk"]} {p["label"]} {p["state"]}: {p["status"]}' for p in self.state.get('active', [])[:30]]
        queue = nodes = ''
        with contextlib.suppress(Exception):
            queue = self.run(['squeue', '-h', '-o', '%i %T %M %r %j'], timeout=60).stdout.strip()
            nodes = self.run(['sinfo', '-h', '-N', '-o', '%N %T %E'], timeout=60).stdout.strip()
        queues = ''
        with contextlib.suppress(Exception):  # tasks ready / held by a worker, and consumers, of each queue
            columns = ['name', 'messages_ready', 'messages_unacknowledged', 'consumers']
            listed = subprocess.run(
                ['rabbitmqctl', '-q', 'list_queues', *columns],
                env=self.rabbitmq.env,
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
            )
            queues = '; '.join(line for line in listed.stdout.splitlines() if 'process.queue' in line)
        log = self.aiida_path / '.aiida' / 'daemon' / 'log' / f'aiida-{self.profile}.log'
        lines: list[str] = []
        with contextlib.suppress(
            OSError
        ):  # aiida's own lines; circus repeats each as '2026-11-28 10:04:35 [pid] | ...'
            lines = [line for line in log.read_text(errors='replace').splitlines() if not line[:4].isdigit()]
        # the daemon log's lines on the active processes (the one that stalled is among them), then the broker's and
        # the launcher's warnings and errors: what explained the stall of run 4 (2026-11-28)
        pks = '|'.join(str(p['pk']) for p in self.state.get('active', []))
        about = re.compile(rf'[<\[ ]({pks})[>|\] ]|\'pid\': ({pks})\b') if pks else None
        broker = re.compile(r'aiida\.enatom\.broker|aiida\.engine\.processes\.launcher|Traceback|CRITICAL')
        on_active = [line[:300] for line in lines if about and about.search(line)]
        warnings = [line[:300] for line in lines if broker.search(line)]
        return '\n'.join(
            [
                'active processes:',
                *(active or ['  none']),
                f'squeue: {queue or "empty"}',
                f'sinfo: {nodes}',
                f'rabbitmq queues (ready, unacknowledged, consumers): {queues or "?"}',
                f'daemon log on the active processes ({len(on_active)} lines, the last {lines_shown}):',
                *on_active[-lines_shown:],
                f'daemon log, broker and launcher ({len(warnings)} lines, the last {lines_shown}):',
                *warnings[-lines_shown:],
            ]
        )


def _nice() -> list[str]:
    """Return the ``nice`` prefix that runs a command at niceness 10 (none when this process is at 10 or above).

    A plain ``nice -n 10`` inside a run already started with ``nice -n 10`` gives 19, where the daemon, the probes
    and the launches starve on a loaded machine (``verdi daemon start`` took over 15 min there).
    """
    current = os.nice(0)
    return ['nice', '-n', str(NICENESS - current)] if current < NICENESS else []


def _children(pid: int) -> list[int]:
    children = []
    for entry in pathlib.Path('/proc').iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int((entry / 'stat').read_text().split(')')[-1].split()[1]) == pid:
                    children.append(int(entry.name))
    return children


def _profile_processes(profile: str) -> list[int]:
    """Return the PIDs of ``verdi -p PROFILE daemon ...`` processes (``profile`` is this module's random name)."""
    pids = []
    for entry in pathlib.Path('/proc').iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                argv = (entry / 'cmdline').read_bytes().decode(errors='replace').split('\0')
                zombie = (entry / 'stat').read_text().split(')')[-1].split()[0] == 'Z'
                if 'daemon' in argv and profile in argv and not zombie:
                    pids.append(int(entry.name))
    return sorted(pids)


def _qe_pid(executable: str, workdir: str) -> int | None:
    """Return the PID of the ``executable`` (e.g. ph.x) process running in ``workdir``, if any."""
    for entry in pathlib.Path('/proc').iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / 'comm').read_text().strip() == executable and os.readlink(entry / 'cwd') == workdir:
                    return int(entry.name)
    return None


def _matches(job: dict, filters: dict) -> bool:
    return all(job.get(key) == value for key, value in filters.items())


@pytest.fixture(scope='module')
def stack():
    """Start PostgreSQL, RabbitMQ and SLURM, make the profile, computer and codes, start the daemon; stop all."""
    missing = _missing_programs()
    if missing:
        pytest.skip(f'programs absent: {", ".join(missing)} (`make system` installs them)')
    if os.geteuid() != 0:
        pytest.skip('the local SLURM and the private RabbitMQ/PostgreSQL need root')
    from tests.aiida.setup.local_slurm import LocalSlurm

    root = short_tempdir('enf-')
    root.chmod(0o755)  # postgres and rabbitmq users must reach their folders
    stack = Stack(root)
    cpus = min(2, os.cpu_count() or 1)
    stack.slurm = LocalSlurm(root / 'sl', cpus=cpus, ctld_port=free_port(), slurmd_port=free_port())
    try:
        start = time.monotonic()
        stack.postgres.start()
        stack.rabbitmq.start(timeout=900)
        stack.slurm.start(timeout=120)
        stack.timings['services_start_s'] = time.monotonic() - start
        start = time.monotonic()
        setup_production_profile(stack.profile, stack.aiida_path, stack.postgres, stack.rabbitmq, timeout=1800)
        env = [item for line in SLURM_ENV_LINES for item in ('--env', line)]
        options = ['--scheduler', 'slurm', '--workdir', str(root / 'work'), '--mpiprocs-per-machine', '2', *env]
        computer = enatom(['-p', stack.profile, 'setup', 'computer', 'slurm', *options], stack.aiida_path)
        assert computer.returncode == 0, computer.stdout + computer.stderr
        slow = stack.run([sys.executable, '-c', _SLOW_PH_CODE, stack.profile, SLOW_PH], timeout=300)
        assert slow.returncode == 0, slow.stdout + slow.stderr
        stack.timings['profile_setup_s'] = time.monotonic() - start
        stack.timings['daemon_start_s'] = stack.daemon_start()
        yield stack
    finally:
        with contextlib.suppress(Exception):
            verdi(['-p', stack.profile, 'daemon', 'stop', '--timeout', '60'], stack.aiida_path, timeout=120)
        with contextlib.suppress(Exception):
            arbiter, _ = daemon_pids(stack.aiida_path, stack.profile)
            if arbiter:
                for pid in _children(arbiter):
                    kill_pid(pid)
                kill_pid(arbiter)
        # a daemon still starting has no pid file yet: its processes carry this module's random profile name
        for pid in _profile_processes(stack.profile):
            kill_pid(pid)
        stack.slurm.stop()
        stack.rabbitmq.stop()
        stack.rabbitmq.stop_epmd()
        stack.postgres.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope='module')
def campaign(stack):
    """Launch the campaign to the daemon, inject the faults, relaunch once it has ended, wait; return the stack.

    The relaunch is what docs/cluster.md tells a user to do after a broker outage: once the broker is back and the
    sweeps have terminated, ``campaign launch FILE --daemon`` again. It submits only the points that have no
    finished record (the failed ones: those the outage failed, and ``Al-nc``, which fails by design), and reuses
    the others.
    """
    try:
        return _run_campaign(stack)
    except BaseException as exception:
        stack.events['failed'] = repr(exception)[-2000:]
        stack.save()  # the stack's folder and database go with the fixture: keep what was seen
        raise


def _run_campaign(stack: Stack) -> Stack:
    path = stack.root / 'faults.yaml'
    path.write_text(yaml.safe_dump(CAMPAIGN))
    start = time.monotonic()
    launch = stack.run([*CLI, '-p', stack.profile, 'campaign', 'launch', str(path), '--daemon'])
    assert launch.returncode == 0, launch.stdout + launch.stderr
    stack.timings['launch_s'] = time.monotonic() - start
    stack.save()

    # 1. SIGKILL the daemon once a CalcJob runs in SLURM, restart it
    stack.wait_squeue(900, 'a CalcJob running in SLURM')
    stack.state = stack.probe()
    before = {job['pk'] for job in stack.state['calcjobs']}
    killed = stack.daemon_kill()
    kill_time = time.monotonic()
    stack.events['daemon_kill'] = {**killed, 'calcjobs_before': len(before), 'at_s': kill_time - start}
    stack.timings['daemon_restart_s'] = stack.daemon_start()
    stack.save()

    # 2. Stop RabbitMQ by PID while CalcJobs are in SLURM, start it again on the same data folder
    stack.wait_squeue(900, 'a CalcJob running in SLURM (before stopping RabbitMQ)')
    stack.state = stack.probe()
    calcjobs_before = len(stack.state['calcjobs'])
    stop_start = time.monotonic()
    old_pid = stack.rabbitmq.pid
    assert stack.rabbitmq.stop()
    time.sleep(15)
    stack.rabbitmq.start(timeout=900)
    stack.events['rabbitmq'] = {
        'old_pid': old_pid,
        'new_pid': stack.rabbitmq.pid,
        'down_s': time.monotonic() - stop_start,
        'at_s': stop_start - start,
        'calcjobs_before': calcjobs_before,
    }
    restarted = time.monotonic()
    # work resumes (a new CalcJob), or the campaign ends: processes that submitted while the broker was away excepted
    stack.wait(
        lambda s: len(s['calcjobs']) > calcjobs_before or s['terminated'], 900, 'a new CalcJob after the restart'
    )
    stack.events['rabbitmq']['after_s'] = time.monotonic() - restarted
    stack.events['rabbitmq']['new_calcjobs'] = len(stack.state['calcjobs']) - calcjobs_before
    stack.events['rabbitmq']['excepted'] = stack.state['excepted']
    stack.save()

    def relaunch() -> None:
        """Once every sweep and point has terminated: ``campaign launch FILE --daemon`` again (the recovery)."""
        stack.state = stack.probe()
        assert stack.state['terminated'], 'relaunch before the campaign terminated'
        failed = sorted(_unfinished_keys(stack.state))
        stack.timings['first_round_s'] = time.monotonic() - start
        began = time.monotonic()
        proc = stack.run([*CLI, '-p', stack.profile, 'campaign', 'launch', str(path), '--daemon'])
        assert proc.returncode == 0, proc.stdout + proc.stderr
        stack.timings['relaunch_s'] = time.monotonic() - began
        stack.events['relaunch'] = {
            'at_s': began - start,
            'failed_before': failed,
            'sweeps_before': sorted(sweep['pk'] for sweep in stack.state['sweeps']),
            'points_before': sorted(_key(point) for point in stack.state['points']),
            'output': proc.stdout[-3000:],
        }
        stack.save()

    # 3. SIGKILL a ph.x of Al-ok once it has converged two representations. If the campaign ends first (the broker
    #    outage failed the Al-ok points before their ph.x), the relaunch comes now and the ph.x of the rerun is killed.
    found = _wait_ph_to_kill(stack, 1800)
    if found is None:
        relaunch()
        found = _wait_ph_to_kill(stack, 1800)
    assert found is not None, 'no ph.x of Al-ok ran long enough to be killed'
    workdir, pid = found
    os.kill(pid, signal.SIGKILL)
    stack.events['ph_kill'] = {'workdir': workdir, 'pid': pid, 'at_s': _since(start)}
    stack.save()

    stack.wait(lambda s: s['terminated'], CAMPAIGN_TIMEOUT, 'the campaign to terminate', interval=10.0)
    if 'relaunch' not in stack.events:
        relaunch()
        stack.wait(lambda s: s['terminated'], CAMPAIGN_TIMEOUT, 'the relaunched points to terminate', interval=10.0)
    stack.timings['campaign_s'] = time.monotonic() - start
    status = stack.run([*CLI, '-p', stack.profile, 'campaign', 'status', GROUP])
    stack.status_output = status.stdout + status.stderr
    log = (stack.slurm.prefix / 'log' / 'slurmctld.log').read_text()
    stack.events['sbatch_jobs'] = sorted(set(re.findall(r'_slurm_rpc_submit_batch_job: JobId=(\d+)', log)), key=int)
    stack.events['time_limit_jobs'] = sorted(set(re.findall(r'Time limit exhausted for JobId=(\d+)', log)), key=int)
    stack.events['slurm_busy'] = _slurm_busy(log)
    stack.events['outcome'] = _outcome(stack.state)
    (killed,) = _jobs(stack.state, workdir=stack.events['ph_kill']['workdir'])
    stack.events['ph_kill'].update(calcjob=killed['pk'], candidate=killed['candidate'], pressure=killed['pressure'])
    print(json.dumps({'timings': stack.timings, 'events': stack.events}, indent=1, default=str))
    stack.save()
    return stack


def _since(start: float) -> float:
    return time.monotonic() - start


#: ``max_seconds`` of Al-wall's ph.x (the campaign file's override): the ph.x to kill is any other (Al-ok's).
WALL_MAX_SECONDS = CAMPAIGN['candidates'][1]['overrides']['alpha2f']['ph']['ph']['parameters']['INPUTPH']['max_seconds']


def _is_ph_of_al_ok(workdir: str) -> bool:
    """Whether the job in ``workdir`` runs ph.x for a point that is not Al-wall (read from its own input file).

    Al-nc never reaches ph.x, so a ph.x input without Al-wall's ``max_seconds`` (or less) is Al-ok's. Reading the
    input file takes milliseconds; a database probe takes seconds to a minute, longer than Al's whole ph.x on an idle
    machine.
    """
    with contextlib.suppress(OSError):
        text = (pathlib.Path(workdir) / 'aiida.in').read_text()
        if '&inputph' in text.lower():
            # aiida-quantumespresso writes it as a Fortran real (e.g. ``4.1040000000d+04``)
            match = re.search(r'max_seconds\s*=\s*([-+0-9.eEdD]+)', text)
            seconds = float(match.group(1).lower().replace('d', 'e')) if match else None
            # Al-wall's reruns have it halved (handle_scheduler_out_of_walltime); Al-ok's is hours (0.95 × walltime)
            return seconds is None or seconds > WALL_MAX_SECONDS
    return False


def _wait_ph_to_kill(stack: Stack, timeout: float) -> tuple[str, int] | None:
    """Return (working directory, PID) of a running ph.x of ``Al-ok`` with two converged representations.

    ``squeue`` and the jobs' own files are polled every 0.5 s; the database is probed only every 30 s, to learn
    whether the campaign has terminated (then ``None``). The CalcJob is found from the directory afterwards.
    """
    deadline = time.monotonic() + timeout
    last_probe = time.monotonic()
    while time.monotonic() < deadline:
        for workdir in stack.squeue_running().values():
            if not _is_ph_of_al_ok(workdir):
                continue
            with contextlib.suppress(OSError):
                if (pathlib.Path(workdir) / 'aiida.out').read_text().count('Convergence has been achieved') >= 2:
                    pid = _qe_pid('ph.x', workdir)
                    if pid:
                        return workdir, pid
        if time.monotonic() - last_probe > 30:
            stack.state = stack.probe()
            stack.save()
            last_probe = time.monotonic()
            if stack.state['terminated']:
                return None
        time.sleep(0.5)
    raise AssertionError(f'a running ph.x of Al-ok: not reached in {timeout} s')


def _slurm_busy(log: str) -> dict:
    """Return job count, summed job seconds and the seconds SLURM ran at least one job, from ``slurmctld.log``."""
    stamp = r'^\[(\S+)\] '
    starts = {job: ts for ts, job in re.findall(stamp + r'sched: Allocate JobId=(\d+)', log, flags=re.M)}
    ends: dict[str, str] = {}
    for ts, job in re.findall(stamp + r'_job_complete: JobId=(\d+)', log, flags=re.M):
        ends.setdefault(job, ts)
    intervals = sorted(
        (datetime.datetime.fromisoformat(starts[job]), datetime.datetime.fromisoformat(ends[job]))
        for job in starts
        if job in ends
    )
    busy, summed, current = 0.0, 0.0, None
    for begin, end in intervals:
        summed += (end - begin).total_seconds()
        if current is None or begin > current[1]:
            if current is not None:
                busy += (current[1] - current[0]).total_seconds()
            current = [begin, end]
        else:
            current[1] = max(current[1], end)
    if current is not None:
        busy += (current[1] - current[0]).total_seconds()
    first = intervals[0][0] if intervals else None
    last = max((end for _, end in intervals), default=None)
    span = (last - first).total_seconds() if intervals else 0.0
    return {'jobs': len(intervals), 'job_seconds': summed, 'busy_s': busy, 'span_s': span}


def _key(point: dict) -> tuple[str, float]:
    return point['candidate'], float(point['pressure'])


def _done(point: dict) -> bool:
    """Whether a relaunch reuses the point (the campaign layer's rule: a finished status, hence a record)."""
    return point['status'] in FINISHED_STATUSES and point['record'] is not None


def _unfinished_keys(state: dict) -> set[tuple[str, float]]:
    """(candidate, pressure) of the campaign file that have no point with a record yet."""
    expected = {(c['label'], float(p)) for c in CAMPAIGN['candidates'] for p in c['pressures']}
    return expected - {_key(point) for point in state['points'] if _done(point)}


def _outcome(state: dict) -> dict:
    """Count the points of each (candidate, pressure): attempts, with a record, lost (none), duplicated (>1)."""
    expected = {(c['label'], float(p)) for c in CAMPAIGN['candidates'] for p in c['pressures']}
    per_key = {
        f'{cand} {pressure:g}': {
            'attempts': sum(_key(p) == (cand, pressure) for p in state['points']),
            'with_record': sum(_key(p) == (cand, pressure) and _done(p) for p in state['points']),
        }
        for cand, pressure in sorted(expected)
    }
    lost = [key for key, count in per_key.items() if count['with_record'] == 0 and not key.startswith('Al-nc')]
    duplicated = [key for key, count in per_key.items() if count['with_record'] > 1]
    return {'points': per_key, 'lost': lost, 'duplicated': duplicated}


def _points(state: dict, candidate: str) -> list[dict]:
    return sorted((p for p in state['points'] if p['candidate'] == candidate), key=lambda p: (p['pressure'], p['pk']))


def _final(state: dict, candidate: str) -> list[dict]:
    """The points of ``candidate`` that carry a record (one per pressure when nothing is lost or duplicated)."""
    return [point for point in _points(state, candidate) if _done(point)]


def _jobs(campaign_state: dict, /, **filters) -> list[dict]:
    # positional-only: ``state`` is also a filter (the CalcJob's process state)
    return sorted((job for job in campaign_state['calcjobs'] if _matches(job, filters)), key=lambda job: job['pk'])


def test_every_calcjob_went_through_sbatch_once(campaign):
    """Each CalcJob has its own SLURM job id, and SLURM received exactly as many batch jobs as there are CalcJobs.

    A CalcJob can stay ``created`` and never reach SLURM in one way only: its parent stored it and was SIGKILLed with
    the daemon before it sent the job's task (aiida-core's ``submit`` stores and checkpoints the child, then sends
    its task); the parent, recreated from its checkpoint of before, submits the step again. So every such CalcJob has
    a sibling of the same kind from the same parent that ran. (Before ``enatom.rabbitmq`` kept the tasks sent during
    a broker outage, a parent excepting on the outage left them too.)
    """
    jobs = [job for job in campaign.state['calcjobs'] if job['state'] != 'created']
    never_run = [job for job in campaign.state['calcjobs'] if job['state'] == 'created']
    for job in never_run:
        rerun = [other for other in jobs if (other['caller_pk'], other['label']) == (job['caller_pk'], job['label'])]
        assert rerun or campaign.events['rabbitmq']['excepted'], (job, never_run)
    ids = [job['job_id'] for job in jobs]
    assert all(ids), [job for job in jobs if not job['job_id']]
    assert len(set(ids)) == len(ids)
    assert sorted(ids, key=int) == campaign.events['sbatch_jobs']  # nothing submitted twice or outside AiiDA


def test_no_point_lost_or_duplicated(campaign):
    """After the relaunch every planned point has exactly one point with a record (Al-nc none: it fails by design).

    A point that failed (the broker outage, or Al-nc) was submitted again by the relaunch, and only those: the
    relaunch's sweeps cover exactly the pressures that had no record, and every point and sweep has terminated.
    """
    state, relaunch = campaign.state, campaign.events['relaunch']
    outcome = _outcome(state)
    assert outcome['lost'] == [] and outcome['duplicated'] == [], outcome
    expected = {(c['label'], float(p)) for c in CAMPAIGN['candidates'] for p in c['pressures']}
    assert {_key(point) for point in state['points']} == expected  # nothing outside the campaign file
    failed_before = {(cand, float(pressure)) for cand, pressure in relaunch['failed_before']}
    assert ('Al-nc', 20.0) in failed_before
    for key in expected:
        points = [point for point in state['points'] if _key(point) == key]
        before = sum(tuple(entry) == key for entry in relaunch['points_before'])
        assert len(points) == before + (key in failed_before), (key, points)  # the relaunch reran the failed only
        assert all(point['state'] in ('finished', 'excepted', 'killed') for point in points), points
    first = [s for s in state['sweeps'] if s['pk'] in relaunch['sweeps_before']]
    again = [s for s in state['sweeps'] if s['pk'] not in relaunch['sweeps_before']]
    assert sorted(s['candidate'] for s in first) == sorted(c['label'] for c in CAMPAIGN['candidates'])
    assert sorted((s['candidate'], float(p)) for s in again for p in s['pressures']) == sorted(failed_before)
    assert all(sweep['state'] == 'finished' for sweep in again), again


def test_daemon_sigkill_campaign_completes_without_duplicates(campaign):
    """The clean candidate's points finish OK with each QE stage run once (the ph.x kill adds its recover reruns)."""
    state = campaign.state
    reference = json.loads(REFERENCE.read_text())
    assert campaign.events['daemon_kill']['workers']
    points = _final(state, 'Al-ok')
    assert [point['pressure'] for point in points] == [10.0, 30.0], _points(state, 'Al-ok')
    for point in points:
        assert point['state'] == 'finished' and point['exit_status'] == 0, point
        assert {'PwCalculation', 'EnatomPhCalculation', 'Q2rCalculation', 'MatdynCalculation'} <= set(
            point['record_ancestors']
        )
        jobs = _jobs(state, owner_pk=point['pk'])
        counts: dict[str, int] = {}
        for job in jobs:
            counts[job['label']] = counts.get(job['label'], 0) + 1
        # the CalcJobs of the same point in the embedded-profile run, plus the ph.x reruns after the ph.x kill
        expected = dict(reference[f'{point["pressure"]:g}']['calcjobs'])
        if point['pk'] == _owner_of(state, campaign.events['ph_kill']['calcjob']):
            (killed,) = _jobs(state, pk=campaign.events['ph_kill']['calcjob'])
            chain = _recover_chain(state, killed['pk'])
            expected['EnatomPhCalculation'] += len(chain) + len(_fresh_start(state, killed, chain))
        assert counts == expected
        assert all(job['exit_status'] == 0 for job in jobs if job['label'] != 'EnatomPhCalculation'), jobs


def _owner_of(state: dict, calcjob: int) -> int | None:
    (job,) = _jobs(state, pk=calcjob)
    return job['owner_pk']


def test_results_equal_embedded_profile_run(campaign):
    """The Al-ok points equal the embedded-profile (SQLite, in-process, core.direct) run of the same points.

    Both points' ph.x frequencies to ``FREQUENCY_TOLERANCE``; the records of the point whose ph.x was not killed to
    ``COMPARED``, of the recovered one to ``COMPARED_RECOVERED`` (ph.x's el-ph scatter across processes).
    """
    reference = json.loads(REFERENCE.read_text())
    points = _final(campaign.state, 'Al-ok')
    assert len(points) == 2, _points(campaign.state, 'Al-ok')
    recovered = _owner_of(campaign.state, campaign.events['ph_kill']['calcjob'])
    for point in points:
        expected = reference[f'{point["pressure"]:g}']
        compared = COMPARED_RECOVERED if point['pk'] == recovered else COMPARED
        for key, (rel, abs_) in compared.items():
            assert point['record'][key] == pytest.approx(expected[key], rel=rel, abs=abs_), (key, point['pressure'])
        frequencies, expected_frequencies = point['ph_frequencies_cm1'], expected['ph_frequencies_cm1']
        assert frequencies is not None and sorted(frequencies) == sorted(expected_frequencies), point['pressure']
        rel, abs_ = FREQUENCY_TOLERANCE
        for key, values in expected_frequencies.items():
            assert frequencies[key] == pytest.approx(values, rel=rel, abs=abs_), (key, point['pressure'])


def _recover_chain(state: dict, killed: int) -> list[dict]:
    """The ph.x runs that continued the killed one, each from the folder of the one before, oldest first."""
    chain, parent = [], killed
    while restarts := _jobs(state, parent_calc=parent, label='EnatomPhCalculation'):
        (job,) = restarts
        chain.append(job)
        parent = job['pk']
    return chain


def _fresh_start(state: dict, killed: dict, chain: list[dict]) -> list[dict]:
    """The ph.x runs of the killed one's work chain started again from the SCF (recover off) after the chain."""
    after = chain[-1]['pk'] if chain else killed['pk']
    return [
        job
        for job in _jobs(state, label='EnatomPhCalculation', caller_pk=killed['caller_pk'])
        if job['pk'] > after and not job['recover'] and job['parent_calc'] == killed['parent_calc']
    ]


def test_killed_phx_is_recovered(campaign):
    """The SIGKILLed ph.x ends 312 and ph.x recovers from its folder, at most twice; the last run finishes 0.

    One rank of the 2-rank ph.x is SIGKILLed and mpirun ends the other. Once (the suite run of 2026-11-28 04:20, in
    eleven runs) the first recover restart also ended 312, without ``JOB DONE`` and without an error banner, and the
    second, from the first's folder, finished; the point's frequencies equalled the reference. The cause was not
    established (the folders were gone); an error raised on rank 1, which ph.x does not print to stdout, is one way.

    Two other outcomes were seen with a CaH6 ph.x on one of the two cores (2026-11-28), where the kill lands while
    ph.x writes its recover data: (b) the restart stops on ph.x's error banner reading that data and
    ``handle_failed_recover`` starts once more from the SCF with recover off; exactly one such fresh start must follow
    and finish 0 (06:18 suite run). (c) A first restart ends 312 without banner after 5 s, a second one on the banner,
    and the `test` protocol's ph ``max_iterations`` (3) is spent: the point ends in our exit code 451
    (``ERROR_SUB_PROCESS_FAILED_ALPHA2F``), as the issue allows, and the relaunch computes it again, which must finish
    0 (07:07 fault-module run). The frequencies of the final point are compared with the reference in another test.
    """
    state = campaign.state
    killed = campaign.events['ph_kill']['calcjob']
    (job,) = _jobs(state, pk=killed)
    assert job['exit_status'] == 312, job
    chain = _recover_chain(state, killed)
    fresh = _fresh_start(state, job, chain)
    assert 1 <= len(chain) <= 2, chain
    assert all(run['recover'] is True for run in chain), chain
    assert [run['exit_status'] for run in chain[:-1]] == [312] * (len(chain) - 1), chain
    if chain[-1]['exit_status'] == 0:  # (a) recovered from its own folder
        assert not fresh, fresh
        return
    assert chain[-1]['exit_status'] == 312, chain
    if fresh:  # (b) the recover data was unreadable: one fresh start from the SCF
        assert chain[-1]['stopped_on_error'] is True, chain
        assert len(fresh) == 1 and fresh[0]['exit_status'] == 0, (chain, fresh)
        return
    # (c) the restarts ran out: our exit code on the point, and the relaunch's point at that pressure finished
    (owner,) = [point for point in state['points'] if point['pk'] == job['owner_pk']]
    assert owner['state'] == 'finished' and owner['exit_status'] == 451, owner
    redone = [point for point in _final(state, 'Al-ok') if point['pressure'] == job['pressure']]
    assert len(redone) == 1 and redone[0]['pk'] > owner['pk'] and redone[0]['exit_status'] == 0, redone


def test_walltime_exceeded_phx_is_restarted_with_recover(campaign):
    """SLURM cancels Al-wall's ph.x at its time limit; each rerun recovers from the previous folder; point ends OK."""
    state = campaign.state
    (point,) = _final(state, 'Al-wall')
    ph = _jobs(state, owner_pk=point['pk'], label='EnatomPhCalculation')
    assert campaign.events['time_limit_jobs'], 'SLURM never cancelled a job at its time limit'
    assert ph[0]['job_id'] in campaign.events['time_limit_jobs'], (ph[0], campaign.events['time_limit_jobs'])
    # The SLURM plugin sets 120 (ERROR_SCHEDULER_OUT_OF_WALLTIME) from "DUE TO TIME LIMIT" in the job's stderr, but
    # aiida-quantumespresso 5.1's PhParser then replaces it by 312 (stdout incomplete): it compares the node's integer
    # exit status with an ExitCode tuple to keep 120, which is never equal. enatom.ph_base's handle_interrupted takes
    # the 312 (no error banner: stopped from outside) and restarts with recover.
    assert ph[0]['exit_status'] in (120, 312), ph
    # Each rerun recovers from the folder of the run before; once per work chain, after a recover restart that stopped
    # on ph.x's error banner (recover data left unreadable by a cancellation), handle_failed_recover starts once more
    # from the SCF with recover off (seen in the suite run of 2026-11-28 07:42, after four time-limit restarts).
    fresh = [job for job in ph[1:] if not job['recover']]
    assert len(fresh) <= 1, ph
    for previous, job in itertools.pairwise(ph):
        if job in fresh:
            assert previous['stopped_on_error'] is True and job['parent_calc'] == ph[0]['parent_calc'], (previous, job)
        else:
            assert job['parent_calc'] == previous['pk'] and job['recover'] is True, job
    assert ph[-1]['exit_status'] == 0, ph
    assert point['state'] == 'finished' and point['exit_status'] == 0, point


def test_unconverged_scf_ends_in_our_exit_code_and_is_visible(campaign):
    """Al-nc's SCF fails in its iterations, in the first run and the relaunch's, with one specific exit code."""
    state = campaign.state
    points = _points(state, 'Al-nc')
    # the first run's point and the relaunch's rerun of it; only the rerun's when the broker outage stopped the first
    # launch's Al-nc sweep before it created its point (seen: the sweep excepted, or its relax failed, exit 460)
    assert len(points) in (1, 2), points
    assert len({point['exit_status'] for point in points}) == 1, points
    for point in points:
        assert point['state'] == 'finished' and point['exit_status'] not in (0, None, 1), point
        assert point['record'] is None, point
        scf = [job for job in _jobs(state, owner_pk=point['pk'], label='PwCalculation') if job['state'] != 'created']
        # 410: ERROR_ELECTRONIC_CONVERGENCE_NOT_REACHED, in each of the 2 iterations the overrides allow. The first
        # attempt may have been cut short by the broker outage (an SCF that never left ``created``; seen with none
        # and with one SCF run); the relaunch's attempt runs both.
        assert len(scf) == 2 if point is points[-1] else len(scf) <= 2, scf
        assert all(job['exit_status'] == 410 for job in scf), scf
    assert 'Al-nc' in campaign.status_output and 'failed' in campaign.status_output, campaign.status_output
    assert re.search(rf'\b{points[-1]["exit_status"]}\b', campaign.status_output), campaign.status_output


def test_rabbitmq_restart_work_resumes(campaign):
    """After RabbitMQ's restart work resumed, no process was lost to it, and every Al-ok and Al-wall point has a record.

    With ``enatom.rabbitmq`` no process may except on the broker's connection (``aiida_enatom.brokers.deferred``: a
    process recreated, or a child submitted, while the broker is away used to except; runs 8-10 lost 12, 12 and 2
    processes that way and the relaunch had to run them again). The relaunch still runs whatever failed (here only
    Al-nc, which fails by design).
    """
    event = campaign.events['rabbitmq']
    assert event['new_pid'] != event['old_pid']
    assert len(campaign.state['calcjobs']) > event['calcjobs_before']
    lost = [entry for entry in campaign.state['excepted'] if _BROKER_ERROR.search(entry['exception'])]
    assert lost == [], lost
    assert _unfinished_keys(campaign.state) == {('Al-nc', 20.0)}
    assert campaign.state['terminated']

"""A private PostgreSQL + RabbitMQ + single-node SLURM stack for the fault tests, started and stopped by PID.

Nothing here touches the system-wide services: PostgreSQL is ``initdb``'d in a temporary folder and listens on a
free loopback port; RabbitMQ keeps its data in a temporary folder under its own node name and AMQP port; SLURM is
:class:`tests.aiida.setup.local_slurm.LocalSlurm` on free ports. Every daemon is stopped through the PID recorded
when it started (SIGTERM/SIGINT, then SIGKILL), never by name.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time

from tests.production.helpers import BIN_DIR, environment

__all__ = (
    'CLI',
    'SLURM_ENV_LINES',
    'PrivatePostgres',
    'PrivateRabbitMQ',
    'alive',
    'daemon_pids',
    'free_port',
    'kill_pid',
    'setup_production_profile',
)


#: ``aiida-enatom`` run with this interpreter (the venv's, whatever PATH says).
CLI = (sys.executable, '-c', 'from aiida_enatom.cli import cmd_root; cmd_root()')
#: Environment lines of the SLURM computer's job scripts (``setup computer --env``): one thread, mpirun as root.
SLURM_ENV_LINES = ('OMP_NUM_THREADS=1', 'OMPI_ALLOW_RUN_AS_ROOT=1', 'OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1')


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def alive(pid: int) -> bool:
    """Return whether ``pid`` exists and is not a zombie."""
    try:
        state = pathlib.Path(f'/proc/{pid}/stat').read_text().split(')')[-1].split()[0]
    except (OSError, IndexError):
        return False
    return state != 'Z'


def kill_pid(pid: int, sig: int = signal.SIGTERM, timeout: float = 60) -> bool:
    """Send ``sig`` to ``pid``, wait up to ``timeout`` s for it to end, then SIGKILL; return whether it is gone."""
    if not alive(pid):
        return True
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
    return not alive(pid)


@dataclasses.dataclass
class PrivatePostgres:
    """A PostgreSQL server ``initdb``'d in ``data_dir`` on ``port``; ``pid`` is its postmaster."""

    data_dir: pathlib.Path
    port: int
    pid: int = 0

    def start(self) -> PrivatePostgres:
        """initdb (through aiida-enatom's setup code, as ``setup --production`` does) and start; record the PID."""
        from aiida_enatom.setup.postgres import ensure_postgresql

        service, _ = ensure_postgresql('127.0.0.1', self.port, data_dir=self.data_dir)
        service.started = False  # stopped by PID in :meth:`stop`, not through pg_ctl
        self.pid = int((self.data_dir / 'postmaster.pid').read_text().split()[0])
        return self

    def stop(self) -> bool:
        """Fast shutdown (SIGINT) of the postmaster by PID; return whether it is gone."""
        return kill_pid(self.pid, signal.SIGINT) if self.pid else True


@dataclasses.dataclass
class PrivateRabbitMQ:
    """A RabbitMQ node ``node_name`` with its data in ``base_dir``, AMQP on ``port``; ``pid`` is its Erlang VM."""

    base_dir: pathlib.Path
    port: int
    node_name: str
    pid: int = 0
    epmd_pid: int = 0

    @property
    def env(self) -> dict[str, str]:
        """Environment of rabbitmq-server/rabbitmqctl for this node."""
        return {**os.environ, 'RABBITMQ_NODENAME': self.node_name}

    def start(self, timeout: float = 120) -> PrivateRabbitMQ:
        """Start ``rabbitmq-server -detached`` with ``consumer_timeout`` undefined; record the PIDs it started.

        The environment and ``advanced.config`` are those of ``aiida-enatom setup --production`` (private data
        folder), plus the node name. Readiness is an AMQP connection; the PID is read from the node's pid file, so
        that no ``rabbitmqctl`` (an Erlang VM of its own, minutes to start on a loaded machine) is needed.
        """
        from aiida_enatom.setup.commands import wait_for, which
        from aiida_enatom.setup.rabbitmq import ADVANCED_CONFIG, _rabbitmq_env, rabbitmq_reachable

        epmd_before = _pids_of('epmd')
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.base_dir.chmod(0o755)  # the Debian wrapper runs the node as user rabbitmq
        for sub in ('mnesia', 'log'):
            (self.base_dir / sub).mkdir(exist_ok=True)
            shutil.chown(self.base_dir / sub, 'rabbitmq', 'rabbitmq')
        advanced = self.base_dir / 'advanced.config'
        advanced.write_text(ADVANCED_CONFIG)
        advanced.chmod(0o644)
        env = {**_rabbitmq_env('127.0.0.1', self.port, self.base_dir, advanced), 'RABBITMQ_NODENAME': self.node_name}
        pid_file = self.base_dir / 'mnesia' / f'{self.node_name}.pid'
        pid_file.unlink(missing_ok=True)
        subprocess.run(
            [which('rabbitmq-server') or 'rabbitmq-server', '-detached'],
            env=env,
            cwd='/',
            capture_output=True,
            timeout=timeout,
            check=True,
        )
        wait_for(lambda: rabbitmq_reachable('127.0.0.1', self.port), timeout, f'RabbitMQ {self.node_name}', interval=1)
        self.pid = int(pid_file.read_text().split()[0])
        new_epmd = sorted(set(_pids_of('epmd')) - set(epmd_before))
        if new_epmd and not self.epmd_pid:
            self.epmd_pid = new_epmd[0]
        return self

    def stop(self) -> bool:
        """Stop the node by PID (SIGTERM: Erlang's orderly shutdown); return whether it is gone."""
        gone = kill_pid(self.pid, signal.SIGTERM, timeout=60) if self.pid else True
        self.pid = 0
        return gone

    def stop_epmd(self) -> None:
        """Stop the Erlang port mapper if :meth:`start` started it."""
        if self.epmd_pid:
            kill_pid(self.epmd_pid)
            self.epmd_pid = 0


def _pids_of(comm: str) -> list[int]:
    """Return the PIDs whose ``/proc/PID/comm`` is ``comm`` (read only; used to find what *we* started)."""
    pids = []
    for entry in pathlib.Path('/proc').iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / 'comm').read_text().strip() == comm:
                    pids.append(int(entry.name))
    return pids


_SETUP = r"""
import functools, json, sys
from aiida_enatom.setup import postgres
from aiida_enatom.setup.main import run_setup
profile, aiida_path, pg_port, pg_dir, rmq_port = sys.argv[1:6]
# the server runs already, initdb'd in the test's temporary folder: make setup find it there
postgres.ensure_postgresql = functools.partial(postgres.ensure_postgresql, data_dir=pg_dir)
result = run_setup(aiida_path=aiida_path, profile_name=profile, production=True,
                   postgres_port=int(pg_port), rabbitmq_port=int(rmq_port))
print(json.dumps({'profile': result.profile_name, 'family': result.family_label}))
"""


def setup_production_profile(
    profile: str,
    aiida_path: pathlib.Path,
    postgres: PrivatePostgres,
    rabbitmq: PrivateRabbitMQ,
    timeout: float = 900,
) -> dict:
    """Run ``aiida-enatom setup --production`` (its ``run_setup``) against the private servers, in a subprocess."""
    env = environment(aiida_path)
    env['RABBITMQ_NODENAME'] = rabbitmq.node_name
    command = [sys.executable, '-c', _SETUP, profile, str(aiida_path), str(postgres.port), str(postgres.data_dir)]
    proc = subprocess.run(
        [*command, str(rabbitmq.port)], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f'setup --production failed: {proc.stdout[-2000:]} {proc.stderr[-2000:]}')
    return json.loads(proc.stdout.strip().splitlines()[-1])


def daemon_pids(aiida_path: pathlib.Path, profile: str) -> tuple[int | None, list[int]]:
    """Return the PID of the daemon's circus arbiter and those of its workers (``verdi daemon status``'s view)."""
    circus_pid_file = aiida_path / '.aiida' / 'daemon' / f'circus-{profile}.pid'
    try:
        arbiter = int(circus_pid_file.read_text().strip())
    except (OSError, ValueError):
        arbiter = None
    workers = []
    if arbiter is not None:
        for entry in pathlib.Path('/proc').iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, IndexError, ValueError):
                ppid = int((entry / 'stat').read_text().split(')')[-1].split()[1])
                cmdline = (entry / 'cmdline').read_bytes().split(b'\0')
                if ppid == arbiter and b'worker' in cmdline and str(BIN_DIR).encode() in b' '.join(cmdline):
                    workers.append(int(entry.name))
    return arbiter, sorted(workers)


def which_sbin(name: str) -> str:
    """Return the path of ``name`` on PATH or in /usr/sbin."""
    return shutil.which(name, path=os.pathsep.join([os.environ.get('PATH', ''), '/usr/sbin', '/sbin'])) or name

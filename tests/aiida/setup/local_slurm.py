"""A real single-node SLURM cluster on localhost (munged, slurmctld, slurmd from Debian), started and stopped by PID.

Everything lives under one short prefix (unix socket paths are limited to 107 characters): the munge key and socket,
``slurm.conf``, state, spool, logs and pid files. The node is ``localhost`` (``slurmd -N localhost``), so nothing
depends on the machine's hostname. The daemons run as root (slurmd must start jobs as the submitting user); munged
runs as the ``munge`` user that the Debian package creates. Used by the tests and runnable by hand::

    python -m tests.aiida.setup.local_slurm start /tmp/slurm   # prints `export SLURM_CONF=...`
    python -m tests.aiida.setup.local_slurm stop /tmp/slurm
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import pwd
import shutil
import signal
import subprocess
import sys
import time

BINARIES = ('munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol')
PACKAGES = ('slurmctld', 'slurmd', 'slurm-client', 'munge')
_SBIN = ('/usr/sbin', '/sbin')

_CONF = """\
ClusterName=enatomtest
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={munge_socket}
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
StateSaveLocation={prefix}/state
SlurmdSpoolDir={prefix}/spool
SlurmctldPidFile={prefix}/run/slurmctld.pid
SlurmdPidFile={prefix}/run/slurmd.pid
SlurmctldLogFile={prefix}/log/slurmctld.log
SlurmdLogFile={prefix}/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=300
MailProg=/bin/true
NodeName=localhost NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
"""


def which(name: str) -> str | None:
    """Return the path of ``name`` on ``PATH``, ``/usr/sbin`` or ``/sbin``."""
    return shutil.which(name, path=os.pathsep.join([os.environ.get('PATH', ''), *_SBIN]))


def missing_binaries() -> list[str]:
    """Return the SLURM/munge programs that are not installed."""
    return [name for name in BINARIES if which(name) is None]


def _alive(pid: int, name: str) -> bool:
    try:
        comm = pathlib.Path(f'/proc/{pid}/comm').read_text().strip()
        state = pathlib.Path(f'/proc/{pid}/stat').read_text().split(')')[-1].split()[0]
    except OSError:
        return False
    return comm == name[:15] and state != 'Z'


@dataclasses.dataclass
class LocalSlurm:
    """A single-node SLURM under ``prefix``; :meth:`start` and :meth:`stop` act only on the daemons it started.

    Attributes
    ----------
    prefix : pathlib.Path
        Folder of everything (keep it short).
    cpus : int
        CPUs of the node (at most ``nproc``).
    memory_mb : int
        Memory of the node in MB (at most the machine's).
    ctld_port, slurmd_port : int
        TCP ports of slurmctld and slurmd.
    pids : dict of str to int
        Daemon name to PID, filled by :meth:`start`.
    """

    prefix: pathlib.Path
    cpus: int = dataclasses.field(default_factory=lambda: os.cpu_count() or 1)
    memory_mb: int = 1024
    ctld_port: int = 6817
    slurmd_port: int = 6818
    pids: dict[str, int] = dataclasses.field(default_factory=dict)

    @property
    def conf(self) -> pathlib.Path:
        """The ``slurm.conf``; export it as ``SLURM_CONF`` to every process that calls sbatch/squeue."""
        return self.prefix / 'etc' / 'slurm.conf'

    @property
    def munge_socket(self) -> pathlib.Path:
        """The munged socket that slurm.conf's ``AuthInfo`` names."""
        return self.prefix / 'munge' / 'run' / 'munge.socket.2'

    @property
    def env(self) -> dict[str, str]:
        """This process's environment plus ``SLURM_CONF`` and the sbin folders on ``PATH``."""
        path = os.pathsep.join([os.environ.get('PATH', ''), *_SBIN])
        return {**os.environ, 'SLURM_CONF': str(self.conf), 'PATH': path}

    def _run(self, command: list[str], timeout: float = 30) -> subprocess.CompletedProcess:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=self.env, check=False)

    def _start_munge(self) -> None:
        base = self.prefix / 'munge'
        for sub in ('etc', 'run', 'lib', 'log'):
            (base / sub).mkdir(parents=True, exist_ok=True)
        key = base / 'etc' / 'munge.key'
        if not key.is_file():
            key.write_bytes(os.urandom(1024))
        user = pwd.getpwnam('munge')
        for path in [base, *base.rglob('*')]:
            os.chown(path, user.pw_uid, user.pw_gid)
        base.chmod(0o755)
        (base / 'run').chmod(0o755)
        for sub in ('etc', 'lib', 'log'):
            (base / sub).chmod(0o700)
        key.chmod(0o400)
        pid_file = base / 'run' / 'munged.pid'
        command = [
            'runuser',
            '-u',
            'munge',
            '--',
            which('munged'),
            f'--key-file={key}',
            f'--socket={self.munge_socket}',
            f'--pid-file={pid_file}',
            f'--log-file={base / "log" / "munged.log"}',
            f'--seed-file={base / "lib" / "munged.seed"}',
        ]
        proc = self._run(command)
        if proc.returncode != 0:
            raise RuntimeError(f'munged did not start: {proc.stderr.strip()}')
        self.pids['munged'] = self._read_pid(pid_file, 'munged')

    def _read_pid(self, pid_file: pathlib.Path, name: str, timeout: float = 10) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                pid = int(pid_file.read_text().split()[0])
            except (OSError, ValueError, IndexError):
                pid = 0
            if pid and _alive(pid, name):
                return pid
            time.sleep(0.05)
        raise RuntimeError(f'{name} did not write a live PID to {pid_file} within {timeout} s')

    def start(self, timeout: float = 30) -> LocalSlurm:
        """Write slurm.conf, start munged, slurmctld and slurmd, and wait until the node accepts jobs.

        Raises
        ------
        RuntimeError
            If a program is missing, this is not root, or the node does not become idle in ``timeout`` s.
        """
        missing = missing_binaries()
        if missing:
            raise RuntimeError(f'SLURM programs missing: {", ".join(missing)}; run `make system`')
        if os.geteuid() != 0:
            raise RuntimeError('a local SLURM needs root (slurmd starts jobs as the submitting user)')
        for sub in ('etc', 'state', 'spool', 'run', 'log'):
            (self.prefix / sub).mkdir(parents=True, exist_ok=True)
        self.prefix.chmod(0o755)  # munged runs as `munge` and must reach its folder (mkdtemp makes 0700)
        self.conf.write_text(
            _CONF.format(
                prefix=self.prefix,
                munge_socket=self.munge_socket,
                ctld_port=self.ctld_port,
                slurmd_port=self.slurmd_port,
                cpus=self.cpus,
                memory_mb=self.memory_mb,
            )
        )
        try:
            self._start_munge()
            for name, command in (
                ('slurmctld', [which('slurmctld'), '-f', str(self.conf)]),
                ('slurmd', [which('slurmd'), '-f', str(self.conf), '-N', 'localhost']),
            ):
                proc = self._run(command)
                if proc.returncode != 0:
                    raise RuntimeError(f'{name} did not start: {proc.stderr.strip()}')
                self.pids[name] = self._read_pid(self.prefix / 'run' / f'{name}.pid', name)
            self._wait_idle(timeout)
        except Exception:
            self.stop()
            raise
        return self

    def _wait_idle(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        state = ''
        while time.monotonic() < deadline:
            state = self._run([which('sinfo'), '-h', '-n', 'localhost', '-o', '%t']).stdout.strip()
            if state in ('idle', 'mix', 'alloc'):
                return
            if state.startswith('drain'):
                self._run([which('scontrol'), 'update', 'nodename=localhost', 'state=resume'])
            time.sleep(0.2)
        raise RuntimeError(f'SLURM node localhost is {state or "unknown"}, not idle, after {timeout} s')

    def stop(self, timeout: float = 15) -> None:
        """Cancel this cluster's jobs, then stop slurmd, slurmctld and munged by PID (SIGTERM, then SIGKILL)."""
        if self.pids.get('slurmctld'):
            self._run([which('scancel') or 'scancel', '--user=root', '--full'], timeout=10)
        for name in ('slurmd', 'slurmctld', 'munged'):
            pid = self.pids.pop(name, None)
            if pid is None or not _alive(pid, name):
                continue
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while _alive(pid, name) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _alive(pid, name):
                os.kill(pid, signal.SIGKILL)


def _main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ('start', 'stop'):
        print('usage: python -m tests.aiida.setup.local_slurm start|stop PREFIX', file=sys.stderr)
        return 2
    prefix = pathlib.Path(argv[1]).resolve()
    cluster = LocalSlurm(prefix)
    if argv[0] == 'start':
        cluster.start()
        (prefix / 'pids').write_text(' '.join(f'{name}={pid}' for name, pid in cluster.pids.items()))
        print(f'export SLURM_CONF={cluster.conf}')
        return 0
    pairs = (prefix / 'pids').read_text().split()
    cluster.pids = {name: int(pid) for name, pid in (pair.split('=') for pair in pairs)}
    cluster.stop()
    return 0


if __name__ == '__main__':
    sys.exit(_main(sys.argv[1:]))

"""Run ``aiida-enatom``/``verdi`` in subprocesses with their own ``AIIDA_PATH``, and read back what setup made."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

BIN_DIR = pathlib.Path(sys.executable).parent
HERE = pathlib.Path(__file__).resolve().parent

_DUMP_STATE = r"""
import json, sys
from aiida import load_profile, orm
from aiida.manage.configuration import get_config
profile = load_profile(sys.argv[1])
computer = orm.load_computer('localhost')
codes = {}
for label in ('pw', 'ph', 'q2r', 'matdyn', 'pp', 'projwfc'):
    code = orm.load_code(f'{label}@localhost')
    codes[label] = [code.pk, str(code.filepath_executable), code.default_calc_job_plugin]
families = {}
for (group,) in orm.QueryBuilder().append(orm.Group, filters={'type_string': {'like': 'pseudo.family%'}}).all():
    families[group.label] = [group.pk, group.type_string, sorted(group.elements), group.get_cutoffs('normal')]
print(json.dumps({
    'storage': profile.storage_backend,
    'broker': profile.process_control_backend,
    'computer': [computer.pk, computer.transport_type, computer.scheduler_type, computer.get_prepend_text(),
                 computer.is_user_configured(orm.User.collection.get_default())],
    'transport': computer.get_authinfo(orm.User.collection.get_default()).get_auth_params(),
    'codes': codes,
    'families': families,
    'nodes': orm.QueryBuilder().append(orm.Node).count(),
}))
"""


def short_tempdir(prefix: str = 'enatom-t-') -> pathlib.Path:
    """Return a new folder with a short path (the ZeroMQ broker's IPC socket paths are limited to ~100 chars)."""
    return pathlib.Path(tempfile.mkdtemp(prefix=prefix, dir='/tmp'))


def environment(aiida_path: pathlib.Path, path: str | None = None) -> dict[str, str]:
    """Return the environment of a subprocess: ``AIIDA_PATH`` and a ``PATH`` that starts with the venv's bin."""
    env = {key: value for key, value in os.environ.items() if not key.startswith('AIIDA_')}
    env['AIIDA_PATH'] = str(aiida_path)
    env['PATH'] = path if path is not None else os.pathsep.join([str(BIN_DIR), os.environ.get('PATH', '')])
    return env


def run(command: list[str], aiida_path: pathlib.Path, *, timeout: float = 300, path: str | None = None):
    """Run ``command`` with :func:`environment`; return the ``CompletedProcess`` (text, no check)."""
    return subprocess.run(
        command, env=environment(aiida_path, path), capture_output=True, text=True, timeout=timeout, check=False
    )


def enatom(args: list[str], aiida_path: pathlib.Path, **kwargs):
    """Run ``aiida-enatom ARGS``."""
    return run([sys.executable, '-c', 'from aiida_enatom.cli import cmd_root; cmd_root()', *args], aiida_path, **kwargs)


def verdi(args: list[str], aiida_path: pathlib.Path, **kwargs):
    """Run ``verdi ARGS``."""
    return run([str(BIN_DIR / 'verdi'), *args], aiida_path, **kwargs)


def dump_state(profile: str, aiida_path: pathlib.Path) -> dict:
    """Return computer, codes, families and node count of ``profile`` as a JSON-like dict."""
    proc = run([sys.executable, '-c', _DUMP_STATE, profile], aiida_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def read_config(aiida_path: pathlib.Path) -> dict:
    """Return the parsed ``.aiida/config.json``."""
    return json.loads((aiida_path / '.aiida' / 'config.json').read_text())


def submit_scf(profile: str, family: str, aiida_path: pathlib.Path, timeout: float = 150) -> dict:
    """Submit the tiny fcc-Al scf of ``submit_scf.py`` to the running daemon and wait; return its JSON summary."""
    proc = run(
        [sys.executable, str(HERE / 'submit_scf.py'), profile, family, str(timeout)], aiida_path, timeout=timeout + 60
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_daemon_scf(profile: str, family: str, aiida_path: pathlib.Path) -> dict:
    """Start one daemon worker, submit the scf of ``submit_scf.py``, wait, stop the daemon; return the summary."""
    start = time.monotonic()
    proc = verdi(['-p', profile, 'daemon', 'start', '--timeout', '120', '1'], aiida_path, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    print(f'daemon start: {time.monotonic() - start:.1f} s')
    try:
        result = submit_scf(profile, family, aiida_path)
        print(f'submitted scf: {result}')
        return result
    finally:
        start = time.monotonic()
        for _ in range(2):  # the circus client can time out on a loaded machine; a second stop then succeeds
            stop = verdi(['-p', profile, 'daemon', 'stop', '--timeout', '120'], aiida_path, timeout=180)
            if stop.returncode == 0:
                break
        print(f'daemon stop: {time.monotonic() - start:.1f} s')
        assert stop.returncode == 0, stop.stdout + stop.stderr

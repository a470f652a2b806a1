"""Run system commands for setup: locate programs, run them as another user, wait for a port (no AiiDA import)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Sequence

from aiida_enatom.setup.common import SetupError

__all__ = ('EXTRA_PATH', 'as_user', 'port_open', 'run_command', 'wait_for', 'which')

EXTRA_PATH = ('/usr/sbin', '/sbin', '/usr/lib/rabbitmq/bin')
"""Folders searched after ``PATH``: Debian puts the service daemons and their control programs there."""


def which(name: str) -> str | None:
    """Return the absolute path of program ``name`` on ``PATH`` or :data:`EXTRA_PATH`, else ``None``."""
    path = os.pathsep.join([os.environ.get('PATH', ''), *EXTRA_PATH])
    return shutil.which(name, path=path)


def run_command(command: Sequence[str], *, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    """Run ``command`` (from ``/``); return its stdout or raise :class:`SetupError` with the end of its stderr.

    Parameters
    ----------
    command : sequence of str
        Program and arguments (no shell).
    env : dict, optional
        Environment; default this process's.
    timeout : float
        Seconds before the command counts as failed.

    Raises
    ------
    SetupError
        If the program is missing, times out or exits non-zero.
    """
    try:
        proc = subprocess.run(
            list(command), capture_output=True, text=True, env=env, timeout=timeout, check=False, cwd='/'
        )
    except FileNotFoundError as exception:
        raise SetupError(f'command not found: {command[0]}') from exception
    except subprocess.TimeoutExpired as exception:
        raise SetupError(f'`{" ".join(command)}` did not finish within {timeout} s') from exception
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise SetupError(f'`{" ".join(command)}` failed: {" | ".join(detail[-3:]) or f"exit {proc.returncode}"}')
    return proc.stdout


def as_user(user: str, command: list[str]) -> list[str]:
    """Prefix ``command`` so that it runs as ``user`` when this process is root and ``user`` is another account."""
    if os.geteuid() == 0 and user != 'root':
        return ['runuser', '-u', user, '--', *command]
    return command


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    """Return whether a TCP connection to ``host:port`` succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.25) -> None:
    """Call ``predicate`` every ``interval`` s until it is true; raise :class:`SetupError` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise SetupError(f'{what} did not become ready within {timeout:.0f} s')

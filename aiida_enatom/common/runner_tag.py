"""Who runs a process that was not submitted to a daemon, and whether that runner is still alive (pure).

A process run in-process (the embedded default, no daemon) lives only as long as the Python process that runs it.
If that process is killed, its nodes stay ``running`` in the database forever and nothing will resume them. Campaign
sweeps and points run in-process carry the extra ``enatom_runner`` = ``'<hostname>:<pid>'``; a relaunch and
``campaign status`` treat a non-terminated node whose runner is gone as **orphaned** (resubmitted, shown as such).
Nodes without the extra were submitted to a daemon, which resumes them from their checkpoints.
"""

from __future__ import annotations

import os
import socket

__all__ = ('RUNNER_EXTRA', 'current_runner', 'runner_alive')

RUNNER_EXTRA = 'enatom_runner'


def current_runner() -> str:
    """Return ``'<hostname>:<pid>'`` of this Python process."""
    return f'{socket.gethostname()}:{os.getpid()}'


def runner_alive(tag: str | None) -> bool:
    """Return whether the runner ``tag`` may still be running its processes.

    ``None`` (a daemon) and runners on other hosts are assumed alive: only a local PID can be checked.
    """
    if not tag:
        return True
    host, _, pid = tag.rpartition(':')
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

"""Liveness of in-process campaign runners (hostname:pid)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from aiida_enatom.common.runner_tag import current_runner, runner_alive


def test_this_process_is_alive_and_a_finished_one_is_not():
    assert runner_alive(current_runner())
    child = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'], capture_output=True, text=True)
    assert not runner_alive(f'{socket.gethostname()}:{int(child.stdout)}')


def test_unknown_runners_are_assumed_alive():
    assert runner_alive(None)  # submitted to a daemon: it resumes from checkpoints
    assert runner_alive(f'some-other-host:{os.getpid() + 1}')
    assert runner_alive(f'{socket.gethostname()}:not-a-pid')

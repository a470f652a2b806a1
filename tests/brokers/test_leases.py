"""Process leases: exclusive between processes, re-entrant within one, dropped when the holder dies."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

from aiida_enatom.brokers.leases import ProcessLeases

HOLD = textwrap.dedent(
    """
    import sys, time
    from aiida_enatom.brokers.leases import ProcessLeases
    leases = ProcessLeases(sys.argv[1])
    print(leases.acquire(int(sys.argv[2])), flush=True)
    time.sleep(600)
    """
)


@pytest.fixture
def holder(tmp_path):
    """A separate Python process that holds the lease on 7 until it is killed."""
    proc = subprocess.Popen([sys.executable, '-c', HOLD, str(tmp_path), '7'], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == 'True'
    yield proc
    proc.kill()
    proc.wait(timeout=30)


def test_another_process_holding_the_lease_excludes_us_until_it_is_killed(tmp_path, holder):
    leases = ProcessLeases(tmp_path)
    assert leases.acquire(7) is False
    assert leases.holder(7) == holder.pid
    assert leases.acquire(8) is True  # other keys are independent
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    assert leases.acquire(7) is True  # the kernel dropped the dead holder's lock
    assert leases.holder(7) is not None and leases.holder(7) != holder.pid


def test_leases_are_reentrant_and_freed_at_the_last_release(tmp_path):
    first, second = ProcessLeases(tmp_path), ProcessLeases(tmp_path)
    assert first.acquire(3) and first.acquire(3)
    assert first.held(3) == 2
    first.release(3)
    assert first.held(3) == 1
    assert second.acquire(3) is False  # two holders in one process exclude each other too (separate flocks)
    first.release(3)
    assert first.held(3) == 0
    assert not first.path(3).exists()
    assert second.acquire(3) is True
    second.release(3)
    with pytest.raises(KeyError):
        second.release(3)

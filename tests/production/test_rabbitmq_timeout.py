"""``rabbitmq_consumer_timeout`` on a loaded machine: a ``rabbitmqctl`` that does not answer in time gives None.

``rabbitmqctl`` starts an Erlang VM of its own; with the fault tests' load (2 cores, QE running) it took more than
60 s, and the ``TimeoutExpired`` escaped from ``ensure_rabbitmq`` and stopped ``setup --production``. The real
``rabbitmqctl`` is replaced by a script that sleeps (a slow machine cannot be made on demand).
"""

from __future__ import annotations

import time

from aiida_enatom.setup import rabbitmq


def test_consumer_timeout_unknown_when_rabbitmqctl_is_slow(tmp_path, monkeypatch):
    slow = tmp_path / 'rabbitmqctl'
    slow.write_text('#!/bin/sh\nexec sleep 30\n')
    slow.chmod(0o755)
    monkeypatch.setattr(rabbitmq, 'which', lambda name: str(slow) if name == 'rabbitmqctl' else None)
    start = time.monotonic()
    assert rabbitmq.rabbitmq_consumer_timeout(timeout=0.5) is None
    assert time.monotonic() - start < 10


def test_consumer_timeout_read_from_rabbitmqctl(tmp_path, monkeypatch):
    fake = tmp_path / 'rabbitmqctl'
    fake.write_text('#!/bin/sh\necho "{ok,1800000}"\n')
    fake.chmod(0o755)
    monkeypatch.setattr(rabbitmq, 'which', lambda name: str(fake) if name == 'rabbitmqctl' else None)
    assert rabbitmq.rabbitmq_consumer_timeout() == '1800000'

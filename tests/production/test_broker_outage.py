"""A real RabbitMQ stopped and started under a communicator with ``tolerate_broker_outages`` (``enatom.rabbitmq``).

A private RabbitMQ node (temporary data folder, own node name and port; :class:`PrivateRabbitMQ`) serves two kiwipy
thread communicators, as aiida-core's broker makes them: one with the ``enatom.rabbitmq`` change, one without (the
control). The node is stopped by PID, and while it is down a broadcast subscriber is registered and a broadcast sent
through each: the plain communicator raises (what makes aiida-core mark a process it is recreating as excepted), the
tolerant one does not; the same for a fire-and-forget task (a submission). After the node is started again on the
same data, the pending subscriber is registered by the retry thread and receives a broadcast sent then, and the kept
task reaches a task subscriber once. No mocks. (A communicator that already has a broadcast subscriber
adds the next one without opening a channel; the daemon worker that lost its processes had just started.)
"""

from __future__ import annotations

import secrets
import shutil
import threading

import kiwipy
import pytest

from aiida_enatom.brokers.deferred import CONNECTION_ERRORS, tolerate_broker_outages
from aiida_enatom.setup.commands import wait_for
from tests.production.cluster import PrivateRabbitMQ, free_port
from tests.production.helpers import short_tempdir

pytestmark = pytest.mark.requires_broker


@pytest.fixture
def rabbitmq():
    base = short_tempdir('enrmq-')
    base.chmod(0o755)  # the rabbitmq user must reach its folders
    node = PrivateRabbitMQ(base / 'rmq', free_port(), f'enoutage{secrets.token_hex(3)}@localhost')
    node.start(timeout=900)
    try:
        yield node
    finally:
        node.stop()
        node.stop_epmd()
        shutil.rmtree(base, ignore_errors=True)


def _communicator(port: int):
    from kiwipy.rmq import RmqThreadCommunicator

    return RmqThreadCommunicator.connect(connection_params={'url': f'amqp://guest:guest@127.0.0.1:{port}/'})


class Received:
    """A broadcast subscriber that records the subjects it gets."""

    def __init__(self) -> None:
        self.subjects: list[str] = []
        self.event = threading.Event()

    def __call__(self, communicator, body, sender=None, subject=None, correlation_id=None) -> None:
        self.subjects.append(subject)
        self.event.set()


def test_registration_and_broadcast_during_an_outage(rabbitmq):
    """As a daemon worker started just before the outage: no broadcast subscriber yet, so the first needs a channel."""
    tolerant, plain = _communicator(rabbitmq.port), _communicator(rabbitmq.port)
    try:
        deferred = tolerate_broker_outages(tolerant, retry_interval=1.0)

        assert rabbitmq.stop()
        with pytest.raises(CONNECTION_ERRORS):  # the control: aiida-core's communicator as it is
            plain.add_broadcast_subscriber(Received(), 'plain')
        during = Received()
        assert tolerant.add_broadcast_subscriber(during, 'during') == 'during'
        assert deferred.pending == [('broadcast', 'during')]
        assert tolerant.broadcast_send(None, sender=1, subject='lost') is False
        with pytest.raises(CONNECTION_ERRORS):  # the control again: a submission fails its submitter
            plain.task_send({'task': 'continue', 'args': {'pid': 1}}, no_reply=True)
        assert tolerant.task_send({'task': 'continue', 'args': {'pid': 2}}, no_reply=True) is None
        assert deferred.pending_tasks == [{'task': 'continue', 'args': {'pid': 2}}]

        rabbitmq.start(timeout=900)
        wait_for(lambda: not deferred.pending, 120, f'registration of {deferred.pending}', interval=0.5)
        assert tolerant.broadcast_send(None, sender=1, subject='after') is not False
        assert during.event.wait(60), during.subjects
        assert during.subjects == ['after']
        assert not deferred.pending_tasks
        tasks: list = []
        plain.add_task_subscriber(lambda communicator, task: tasks.append(task))
        wait_for(lambda: tasks, 60, 'the kept task at a task subscriber', interval=0.5)
        assert tasks == [{'task': 'continue', 'args': {'pid': 2}}]  # queued once the broker was back, exactly once
    finally:
        for communicator in (tolerant, plain):
            communicator.close()


def test_a_registration_that_timed_out_completes_later_and_its_stale_subscriber_is_dropped(rabbitmq):
    """The premise of :func:`drop_stale_subscribers`, on a real broker, and the removal itself.

    aiida-core's ``submit`` creates the child process in the parent's worker, which registers the child's RPC
    subscriber, checkpoints it and closes it (removing the subscriber) before it sends the child's task. During an
    outage the registration blocks on the reconnecting channel and kiwipy's thread communicator stops waiting after
    its time-out, while the registration itself goes on and completes once the broker is back. The removal at the
    close found nothing to remove then, so the subscriber stays: seen in fault run 4 of 2026-11-28, where it made
    aiida-core's launcher delete the child's task as a duplicate.
    """
    from aiida_enatom.brokers.rabbitmq import drop_stale_subscribers

    communicator = _communicator(rabbitmq.port)
    try:
        communicator.add_rpc_subscriber(lambda *args: None, 'running')  # the worker runs a process already
        deferred = tolerate_broker_outages(communicator, retry_interval=1.0)
        assert rabbitmq.stop()
        assert communicator.add_rpc_subscriber(lambda *args: None, '250') == '250'  # kept: timed out
        assert deferred.pending == [('rpc', '250')]
        communicator.remove_rpc_subscriber('250')  # the child closed: forgotten
        assert deferred.pending == []
        rabbitmq.start(timeout=900)
        inner = communicator._communicator  # kiwipy's asyncio communicator: what the daemon's task handlers use
        subscribers = communicator._loop_scheduler.await_(inner.get_message_subscriber())._rpc_subscribers
        wait_for(lambda: '250' in subscribers, 120, 'the timed-out registration to complete', interval=0.5)
        with pytest.raises(kiwipy.DuplicateSubscriberIdentifier):  # what aiida-core's launcher meets
            communicator.add_rpc_subscriber(lambda *args: None, '250')
        removed = communicator._loop_scheduler.await_(drop_stale_subscribers(inner, 250))
        assert removed == ['rpc']
        assert communicator.add_rpc_subscriber(lambda *args: None, '250') == '250'  # the child can be continued
        assert 'running' in subscribers  # nothing else touched
    finally:
        communicator.close()

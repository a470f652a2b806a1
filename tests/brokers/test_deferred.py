"""Subscriber registrations and broadcasts that survive a broker outage (``aiida_enatom.brokers.deferred``).

The communicator here is a stand-in that fails like aio-pika/aiormq while the broker is away (``RuntimeError("...
closed")`` when a channel is opened); ``tests/production/test_broker_outage.py`` does the same against a real
RabbitMQ that is stopped and started again.
"""

from __future__ import annotations

import concurrent.futures
import time

import kiwipy
import pytest

from aiida_enatom.brokers.deferred import tolerate_broker_outages
from aiida_enatom.setup.commands import wait_for


class Communicator:
    """Keeps subscribers by (kind, identifier); raises aiormq's closed-connection error while ``down``."""

    def __init__(self) -> None:
        self.down = False
        self.subscribers: dict[tuple[str, str], object] = {}
        self.broadcasts: list[str] = []
        self.tasks: list[dict] = []
        for kind in ('rpc', 'broadcast'):
            setattr(self, f'add_{kind}_subscriber', lambda s, i=None, k=kind: self._add(k, s, i))
            setattr(self, f'remove_{kind}_subscriber', lambda i, k=kind: self._remove(k, i))

    def _check(self) -> None:
        if self.down:
            raise RuntimeError('<Connection: "amqp://guest:******@127.0.0.1:5672/" at 0x7f> closed')

    def _add(self, kind, subscriber, identifier):
        self._check()
        identifier = identifier or f'generated-{len(self.subscribers)}'
        if (kind, identifier) in self.subscribers:
            raise kiwipy.DuplicateSubscriberIdentifier(identifier)
        self.subscribers[(kind, identifier)] = subscriber
        return identifier

    def _remove(self, kind, identifier):
        self._check()
        del self.subscribers[(kind, identifier)]

    def broadcast_send(self, body, sender=None, subject=None, correlation_id=None):
        self._check()
        self.broadcasts.append(subject)
        return True

    def task_send(self, task, no_reply=False):
        self._check()
        self.tasks.append(task)
        return None if no_reply else 'reply'


def test_without_the_wrapper_a_registration_during_an_outage_raises():
    """What aiida-core meets today: the error that makes it mark a process it recreates as excepted."""
    communicator = Communicator()
    communicator.down = True
    with pytest.raises(RuntimeError, match='closed'):
        communicator.add_broadcast_subscriber(print, 'p1')


@pytest.mark.parametrize('kind', ['rpc', 'broadcast'])
def test_a_registration_during_an_outage_is_kept_and_made_once_the_broker_is_back(kind):
    communicator = Communicator()
    deferred = tolerate_broker_outages(communicator, retry_interval=0.02)
    add = getattr(communicator, f'add_{kind}_subscriber')
    assert add(print, 'up') == 'up'
    communicator.down = True
    assert add(len, '42') == '42'  # no exception: the process being recreated carries on
    generated = add(repr)  # aiida-core's call_on_process_finish passes its own identifier; kiwipy would make one
    assert set(deferred.pending) == {(kind, '42'), (kind, generated)}
    time.sleep(0.1)
    assert len(deferred.pending) == 2  # retried while down, still pending
    communicator.down = False
    wait_for(lambda: not deferred.pending, 5.0, 'the pending registrations', interval=0.01)
    assert communicator.subscribers == {(kind, 'up'): print, (kind, '42'): len, (kind, generated): repr}


def test_removing_a_pending_subscriber_forgets_it_and_it_is_never_registered():
    communicator = Communicator()
    deferred = tolerate_broker_outages(communicator, retry_interval=0.02)
    communicator.down = True
    communicator.add_broadcast_subscriber(len, 'child-7')
    communicator.remove_broadcast_subscriber('child-7')  # the child finished and the poll found it first
    assert deferred.pending == []
    communicator.down = False
    time.sleep(0.1)
    assert communicator.subscribers == {}


def test_a_duplicate_stays_an_error_aiida_core_relies_on():
    """aiida-core tells a duplicate task from ``DuplicateSubscriberIdentifier``: it must not be swallowed."""
    communicator = Communicator()
    tolerate_broker_outages(communicator)
    communicator.add_rpc_subscriber(print, '5')
    with pytest.raises(kiwipy.DuplicateSubscriberIdentifier):
        communicator.add_rpc_subscriber(print, '5')


def test_a_retry_that_meets_a_registration_already_made_counts_it_as_made():
    communicator = Communicator()
    deferred = tolerate_broker_outages(communicator, retry_interval=3600)
    communicator.down = True
    communicator.add_rpc_subscriber(print, '9')
    communicator.down = False
    communicator.subscribers[('rpc', '9')] = print  # e.g. an attempt whose reply was lost with the connection
    assert deferred.retry() == 0
    assert communicator.subscribers == {('rpc', '9'): print}


def test_a_broadcast_during_an_outage_is_reported_not_sent_instead_of_raising(caplog):
    communicator = Communicator()
    tolerate_broker_outages(communicator)
    assert communicator.broadcast_send(None, sender=3, subject='state_changed.running.waiting') is True
    communicator.down = True
    assert communicator.broadcast_send(None, sender=3, subject='state_changed.waiting.running') is False
    assert communicator.broadcasts == ['state_changed.running.waiting']
    assert 'not sent, the broker is unreachable' in caplog.text


def test_other_errors_are_not_taken_for_an_outage():
    communicator = Communicator()
    tolerate_broker_outages(communicator)

    def broken(*args, **kwargs):
        raise ValueError('not a connection problem')

    communicator_add = communicator._add
    communicator._add = broken  # type: ignore[method-assign]
    with pytest.raises(ValueError):
        communicator.add_rpc_subscriber(print, '1')
    communicator._add = communicator_add  # type: ignore[method-assign]


def _continue(pid: int) -> dict:
    return {'task': 'continue', 'args': {'pid': pid, 'nowait': False, 'tag': None}}


def test_a_submission_during_an_outage_is_queued_in_order_once_the_broker_is_back():
    """aiida-core's submit sends the new process's continue task fire-and-forget; it must not except the parent."""
    communicator = Communicator()
    deferred = tolerate_broker_outages(communicator, retry_interval=0.02)
    communicator.down = True
    assert communicator.task_send(_continue(11), no_reply=True) is None
    assert communicator.task_send(_continue(12), no_reply=True) is None
    assert deferred.pending_tasks == [_continue(11), _continue(12)]
    time.sleep(0.1)
    assert communicator.tasks == []
    communicator.down = False
    wait_for(lambda: not deferred.pending_tasks, 5.0, 'the pending tasks', interval=0.01)
    assert communicator.tasks == [_continue(11), _continue(12)]


def test_a_task_whose_sender_waits_for_the_reply_still_raises():
    communicator = Communicator()
    deferred = tolerate_broker_outages(communicator)
    assert communicator.task_send(_continue(3)) == 'reply'
    communicator.down = True
    with pytest.raises(RuntimeError, match='closed'):
        communicator.task_send(_continue(4))
    assert deferred.pending_tasks == []


def test_the_retry_survives_errors_other_than_an_outage(caplog):
    """A retry that meets another error (a publish cancelled while the client reopens its channel) keeps the call.

    Before, such an error ended the retrying thread: the kept task was never sent, its process stayed ``created``
    and the parent waited on it for ever.
    """
    communicator = Communicator()
    deferred = tolerate_broker_outages(communicator, retry_interval=0.02)
    communicator.down = True
    communicator.task_send(_continue(21), no_reply=True)
    communicator.add_broadcast_subscriber(print, 'p21')
    failures = {'task': 2, 'broadcast': 2}
    send, add = deferred._task_send, communicator._add  # the communicator's own, as wrapped

    def flaky_send(task, no_reply=False):
        if failures['task']:
            failures['task'] -= 1
            raise concurrent.futures.CancelledError()
        return send(task, no_reply)

    def flaky_add(kind, subscriber, identifier):
        if failures['broadcast']:
            failures['broadcast'] -= 1
            raise kiwipy.exceptions.CommunicatorClosed('reopening')
        return add(kind, subscriber, identifier)

    deferred._task_send = flaky_send
    communicator._add = flaky_add  # type: ignore[method-assign]
    communicator.down = False
    wait_for(lambda: not deferred.pending_tasks and not deferred.pending, 5.0, 'the kept calls', interval=0.01)
    assert communicator.tasks == [_continue(21)]
    assert communicator.subscribers == {('broadcast', 'p21'): print}
    assert failures == {'task': 0, 'broadcast': 0}
    assert 'failed again (CancelledError' in caplog.text
    assert 'failed again (CommunicatorClosed' in caplog.text


def test_a_removal_during_an_outage_is_logged_not_raised(caplog):
    """plumpy removes a closing process's subscribers; during an outage that failed and logged a traceback."""
    communicator = Communicator()
    tolerate_broker_outages(communicator)
    communicator.add_rpc_subscriber(print, '30')

    def closed_after_forgetting(kind, identifier):
        communicator.subscribers.pop((kind, identifier))  # as kiwipy: forgotten first, then the broker is asked
        communicator._check()

    communicator._remove = closed_after_forgetting  # type: ignore[method-assign]
    communicator.down = True
    assert communicator.remove_rpc_subscriber('30') is None
    assert communicator.subscribers == {}
    assert 'rpc subscriber 30 removed here but not at the broker' in caplog.text
    communicator.down = False
    with pytest.raises(KeyError):  # anything else is still raised
        communicator.remove_rpc_subscriber('30')

"""Broker calls of a daemon worker that survive a RabbitMQ outage (part of the ``enatom.rabbitmq`` broker).

Why: while RabbitMQ is down or the connection is being re-established, aio-pika/aiormq raise ``RuntimeError``
("<Connection ...> closed") when a channel is opened. A worker that continues a process at that moment (it received
the task just before the outage, e.g. after a daemon restart) registers the process's RPC and broadcast subscribers
and, for a work chain waiting on children, one broadcast subscriber per child (aiida-core's
``Runner.call_on_process_finish``). plumpy tolerates only ``kiwipy.TimeoutError`` there and aiida-core nothing, so the
recreation fails and aiida-core's launcher marks the process excepted and seals it: the process is lost (seen in the
fault campaign of ``tests/production/test_faults.py``: after a daemon SIGKILL and a broker stop 5 s later, every
process the new worker was recreating excepted). A state-change broadcast sent at that moment excepts the process in
the same way (plumpy catches ``ConnectionClosed`` and ``ChannelInvalidStateError``, not this ``RuntimeError``).

A work chain that submits a child at that moment excepts too: aiida-core stores the child, checkpoints it and sends
its ``continue`` task, which fails the same way, and the child stays ``created`` for ever.

What this changes: a subscriber registration that fails on a connection error returns its identifier as if it had
succeeded and is retried every :data:`RETRY_INTERVAL_S` from a background thread until the broker takes it (kiwipy
then keeps it across later reconnections, as any other); removing a subscriber that is still pending just forgets
it. A fire-and-forget task (``no_reply=True``, how aiida-core's ``submit`` sends the ``continue`` task of a new
process) that fails on a connection error is kept and sent, in order, by the same thread; a task whose sender waits
for the reply still raises. A broadcast that fails on a connection error is logged and reported as not delivered
(``False``). Nothing is lost by these: aiida-core polls the state of awaited children as a fail-safe for missed
broadcasts (``Runner._poll_process``), the process's own subscribers are registered and the child's task is queued
once the broker is back, and a task delivered twice (a send whose confirmation was lost) is dropped by the leases of
:mod:`aiida_enatom.brokers.rabbitmq`. The retries run outside the worker's event loop, which must stay free: an
earlier attempt that re-sent a task from the submitting process itself hung the worker (docs/cluster.md, section 5).
Only success ends them: an error other than an outage's met by a retry is logged and the call kept for the next one
(a retrying thread that ended on such an error would leave the process of a kept task ``created`` for ever and its
parent waiting on it).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import kiwipy
from aiormq.exceptions import AMQPError

__all__ = ('CONNECTION_ERRORS', 'RETRY_INTERVAL_S', 'DeferredBrokerCalls', 'tolerate_broker_outages')

LOGGER = logging.getLogger('aiida.enatom.broker')

#: Seconds between two attempts to make the calls kept during an outage.
RETRY_INTERVAL_S = 2.0

#: What the RabbitMQ client stack raises while the broker is unreachable: aiormq's ``RuntimeError("... closed")``
#: (aio-pika's ``ChannelInvalidStateError`` is a ``RuntimeError`` too), aiormq's AMQP errors, socket errors, and the
#: time-out of kiwipy's thread communicator (``kiwipy.TimeoutError`` is the built-in ``TimeoutError``).
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (RuntimeError, AMQPError, ConnectionError, TimeoutError)

_KINDS = ('rpc', 'broadcast')


def _unreachable(what: str, exception: BaseException, retry_interval: float | None = None) -> None:
    """Log that ``what`` failed because the broker is unreachable (and, if kept, how often it is retried)."""
    retrying = f'; retrying every {retry_interval:.0f} s' if retry_interval is not None else ''
    LOGGER.warning('%s, the broker is unreachable (%s: %s)%s', what, type(exception).__name__, exception, retrying)


def _retry_failed(what: str, exception: BaseException) -> None:
    """Log that a retry of ``what`` failed on something else than an outage; it is kept and tried again."""
    LOGGER.warning(
        '%s failed again (%s: %s), kept for the next retry', what, type(exception).__name__, exception, exc_info=True
    )


class DeferredBrokerCalls:
    """The broker calls of one communicator that are kept while the broker is away and made once it is back.

    Parameters
    ----------
    communicator
        kiwipy communicator (aiida-core's ``RmqThreadCommunicator``); its ``add_*_subscriber``,
        ``remove_*_subscriber``, ``broadcast_send`` and ``task_send`` methods are used as they were before
        :func:`tolerate_broker_outages` replaced them.
    retry_interval : float
        Seconds between two retries of what is pending.
    """

    def __init__(self, communicator: Any, retry_interval: float = RETRY_INTERVAL_S) -> None:
        self._add: dict[str, Callable] = {kind: getattr(communicator, f'add_{kind}_subscriber') for kind in _KINDS}
        self._remove: dict[str, Callable] = {
            kind: getattr(communicator, f'remove_{kind}_subscriber') for kind in _KINDS
        }
        self._broadcast_send: Callable = communicator.broadcast_send
        self._task_send: Callable = communicator.task_send
        self._retry_interval = retry_interval
        self._pending: dict[tuple[str, str], Callable] = {}
        self._tasks: list[Any] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def pending(self) -> list[tuple[str, str]]:
        """(kind, identifier) of the registrations not yet accepted by the broker."""
        with self._lock:
            return list(self._pending)

    @property
    def pending_tasks(self) -> list[Any]:
        """Fire-and-forget tasks not yet accepted by the broker, oldest first."""
        with self._lock:
            return list(self._tasks)

    def send_broadcast(self, body: Any, sender: Any = None, subject: Any = None, correlation_id: Any = None) -> Any:
        """Send a broadcast; on a connection error log it and report it not delivered (``False``), as plumpy expects."""
        try:
            return self._broadcast_send(body, sender=sender, subject=subject, correlation_id=correlation_id)
        except CONNECTION_ERRORS as exception:
            _unreachable(f'broadcast {subject} from {sender} not sent', exception)
            return False

    def send_task(self, task: Any, no_reply: bool = False) -> Any:
        """Send a task; a fire-and-forget one that fails on a connection error is kept and sent later.

        A task whose sender waits for the reply (``no_reply=False``) is not kept: its error is raised as before.
        """
        try:
            return self._task_send(task, no_reply=no_reply)
        except CONNECTION_ERRORS as exception:
            if not no_reply:
                raise
            with self._lock:
                self._tasks.append(task)
            _unreachable(f'task {task} not sent', exception, self._retry_interval)
            self._start_retrying()
            return None

    def add(self, kind: str, subscriber: Callable, identifier: str | None = None) -> str:
        """Register ``subscriber``; on a connection error keep it for later and return its identifier all the same."""
        try:
            return self._add[kind](subscriber, identifier)
        except CONNECTION_ERRORS as exception:
            identifier = identifier if identifier is not None else str(uuid.uuid4())
            with self._lock:
                self._pending[(kind, identifier)] = subscriber
            _unreachable(f'{kind} subscriber {identifier} not registered', exception, self._retry_interval)
            self._start_retrying()
            return identifier

    def remove(self, kind: str, identifier: str) -> Any:
        """Remove a subscriber: forget it if it is still pending, else remove it from the communicator.

        A removal that fails on a connection error is logged, not raised: kiwipy forgets the subscriber before it
        talks to the broker, and the broker drops the consumer with the connection. (Raised, it reached plumpy's
        clean-up of every process that closed during the outage, which logged it as an error with a traceback.)
        """
        with self._lock:
            if self._pending.pop((kind, identifier), None) is not None:
                return None
        try:
            return self._remove[kind](identifier)
        except CONNECTION_ERRORS as exception:
            _unreachable(f'{kind} subscriber {identifier} removed here but not at the broker', exception)
            return None

    def retry(self) -> int:
        """Try once to send every pending task (in order) and to register every pending subscriber.

        Returns
        -------
        int
            Number of registrations and tasks still pending.
        """
        while True:
            with self._lock:
                if not self._tasks:
                    break
                task = self._tasks[0]
            try:
                self._task_send(task, no_reply=True)
            except CONNECTION_ERRORS:
                break  # in order: the next ones wait for this one
            except Exception as exception:  # noqa: BLE001 - kept, not lost: see _retry_loop
                _retry_failed(f'task {task}', exception)
                break
            with self._lock:
                self._tasks.pop(0)
            LOGGER.warning('task %s sent now that the broker is reachable again', task)
        with self._lock:
            items = list(self._pending.items())
        for key, subscriber in items:
            kind, identifier = key
            try:
                self._add[kind](subscriber, identifier)
            except kiwipy.DuplicateSubscriberIdentifier:
                pass  # registered by an attempt whose reply was lost: it is there
            except CONNECTION_ERRORS:
                continue
            except Exception as exception:  # noqa: BLE001 - kept, not lost: see _retry_loop
                _retry_failed(f'{kind} subscriber {identifier}', exception)
                continue
            with self._lock:
                removed_meanwhile = self._pending.pop(key, None) is not subscriber
            if removed_meanwhile:
                self._remove[kind](identifier)
            else:
                LOGGER.warning('%s subscriber %s registered now that the broker is reachable again', kind, identifier)
        with self._lock:
            return len(self._pending) + len(self._tasks)

    def _start_retrying(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._retry_loop, name='enatom-deferred-broker-calls', daemon=True)
            self._thread.start()

    def _retry_loop(self) -> None:
        # Nothing may end this thread while something is pending: a task it drops leaves its process `created` for
        # ever and the parent waiting on it, with nothing in any log to say why (a reconnecting client can raise
        # other errors than those of an outage, e.g. a publish cancelled while aio-pika reopens its channel).
        while True:
            time.sleep(self._retry_interval)
            try:
                left = self.retry()
            except Exception as exception:  # noqa: BLE001 - logged; everything pending stays kept
                _retry_failed('the retry of the kept broker calls', exception)
                continue
            if left == 0:
                with self._lock:
                    if not self._pending and not self._tasks:
                        self._thread = None
                        return


def tolerate_broker_outages(communicator: Any, retry_interval: float = RETRY_INTERVAL_S) -> DeferredBrokerCalls:
    """Replace ``communicator``'s subscriber registrations, ``broadcast_send`` and ``task_send`` (in place).

    Parameters
    ----------
    communicator
        kiwipy communicator (aiida-core's ``RmqThreadCommunicator``).
    retry_interval : float
        Seconds between two retries of what is pending.

    Returns
    -------
    DeferredBrokerCalls
        The bookkeeping (``pending`` and ``pending_tasks`` list what waits for the broker).
    """
    deferred = DeferredBrokerCalls(communicator, retry_interval)
    for kind in _KINDS:
        setattr(communicator, f'add_{kind}_subscriber', lambda s, i=None, k=kind: deferred.add(k, s, i))
        setattr(communicator, f'remove_{kind}_subscriber', lambda i, k=kind: deferred.remove(k, i))
    communicator.broadcast_send = deferred.send_broadcast
    communicator.task_send = deferred.send_task
    return deferred

"""aiida-core's RabbitMQ broker, with one daemon worker per process (the ``enatom.rabbitmq`` broker plugin).

Why: when RabbitMQ restarts, or drops a worker's connection, it hands every unacknowledged process task out again.
A worker that receives a task for a process *it* runs recognises the duplicate and drops it, but nothing stops a
second worker from loading the same process from its last checkpoint and running it too (aiida-core issue #1823,
"Calculation nodes need to be locked to prevent multiple workers running it", open since 2018). Two copies of a
process then step the same node: steps run twice, jobs are submitted twice and the slower copy excepts on outputs
the other has attached. ``benchmarks/probe_broker_restart.py`` reproduces it.

What this changes: a daemon worker takes a lease (:class:`~aiida_enatom.brokers.leases.ProcessLeases`) on a process
before it continues it and gives it up when the process has left the worker (terminated, or the task ended
otherwise). A task for a process the worker already runs is acknowledged and dropped. A worker that receives a task
for a process another worker holds waits :data:`REJECT_DELAY_S` and rejects it; RabbitMQ requeues it, so it is never
lost: it comes back until the holder has finished the process (the task then finds it terminated) or has died (the
kernel drops a dead worker's lease and the next worker takes the process over). A worker that takes a lease afresh
first removes subscribers named after that PK that an earlier creation of the process left in it
(:func:`drop_stale_subscribers`), so that aiida-core's launcher does not take the task for a duplicate and delete it.
A process recreated while the broker
is going away or coming back is not lost to a closed connection any more (:mod:`aiida_enatom.brokers.deferred`).
Everything else is aiida-core's ``core.rabbitmq`` broker unchanged: same configuration, queues and messages, so a
profile can switch between the two (``aiida-enatom setup --production`` selects this one).
Docs: docs/cluster.md, section 5.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import pathlib
from collections.abc import Callable
from typing import Any

import kiwipy
from aiida.brokers.rabbitmq.broker import RabbitmqBroker
from plumpy.process_comms import CONTINUE_TASK, TASK_ARGS, TASK_KEY

from aiida_enatom.brokers.deferred import tolerate_broker_outages
from aiida_enatom.brokers.leases import ProcessLeases

__all__ = (
    'REJECT_DELAY_S',
    'ExclusiveRabbitmqBroker',
    'drop_stale_subscribers',
    'exclusive_subscriber',
    'lease_folder',
)

# under aiida's logger, so that the daemon workers' log file gets the messages
LOGGER = logging.getLogger('aiida.enatom.broker')

#: Seconds a worker keeps a task for a process held elsewhere before it rejects it (bounds the requeue rate).
REJECT_DELAY_S = 5.0


def lease_folder(profile: Any) -> pathlib.Path:
    """Return the folder of the process leases of ``profile``: beside its daemon's PID file, one per profile."""
    return pathlib.Path(profile.filepaths['daemon']['pid']).parent / 'process-leases' / profile.name


def _continued_pid(task: Any) -> int | None:
    """Return the PK a ``continue`` task asks for, or ``None`` for any other message."""
    if isinstance(task, dict) and task.get(TASK_KEY) == CONTINUE_TASK:
        pid = (task.get(TASK_ARGS) or {}).get('pid')
        if isinstance(pid, int):
            return pid
    return None


async def _one_way(future: concurrent.futures.Future, loop: asyncio.AbstractEventLoop) -> Any:
    """Await a thread future from ``loop`` without passing a cancellation back to it (as kiwipy's own wrapper)."""
    waiter = loop.create_future()

    def transfer(done: concurrent.futures.Future) -> None:
        if waiter.done():
            return
        if done.cancelled():
            waiter.cancel()
        elif done.exception() is not None:
            waiter.set_exception(done.exception())
        else:
            waiter.set_result(done.result())

    future.add_done_callback(lambda done: loop.call_soon_threadsafe(transfer, done))
    return await waiter


async def drop_stale_subscribers(communicator: Any, pid: int) -> list[str]:
    """Remove the RPC and broadcast subscribers named ``pid`` from ``communicator``; return the kinds removed.

    Called when a worker takes the lease of a process afresh, so no process of this worker has that PK and any such
    subscriber is stale. One is left when aiida-core's ``submit`` creates a child during a broker outage: the child's
    registration times out (kiwipy's thread communicator stops waiting after 10 s, while the registration itself goes
    on in the communicator's event loop and completes once RabbitMQ is back), the deferred calls forget it when the
    child is closed, and the stale subscriber later makes aiida-core's launcher take the child's task for a duplicate
    and delete it: the child stayed ``created`` for ever and its parent waited on it (the fault campaign under load,
    ``tests/production/test_faults.py``, 2026-11-28).

    Parameters
    ----------
    communicator
        kiwipy's asyncio communicator (``RmqCommunicator``), in whose event loop this runs.
    pid : int
        PK of the process about to be continued.
    """
    # Only look, never create: kiwipy makes its message subscriber on first use, and a second creation racing with
    # the worker's own first registration (many tasks at once when a daemon starts) would replace the first one and
    # lose the subscribers registered on it (a chain excepted that way in the suite run of 2026-11-28, 11:08).
    existing = getattr(communicator, '_message_subscriber', None)
    removed: list[str] = []
    if existing is None:
        return removed  # nothing registered in this worker yet: nothing can be stale
    for kind in ('rpc', 'broadcast'):
        if str(pid) not in getattr(existing, f'_{kind}_subscribers', {}):
            continue  # the usual case
        try:
            await getattr(communicator, f'remove_{kind}_subscriber')(str(pid))
        except ValueError:
            continue  # removed meanwhile
        except Exception as exception:  # noqa: BLE001 - the process is continued all the same
            LOGGER.warning(
                'process<%d>: stale %s subscriber not removed (%s: %s)', pid, kind, type(exception).__name__, exception
            )
            continue
        removed.append(kind)
        LOGGER.warning('process<%d>: %s subscriber left by an earlier attempt to create it removed', pid, kind)
    return removed


def exclusive_subscriber(
    subscriber: Callable,
    leases: ProcessLeases,
    delay: float = REJECT_DELAY_S,
    drop_stale: Callable[[int], Any] | None = None,
) -> Callable:
    """Wrap a task subscriber so that it continues a process only while holding that process's lease.

    Parameters
    ----------
    subscriber : callable
        The task subscriber (the daemon's process launcher, as the runner hands it to the communicator); called
        ``subscriber(communicator, task)``, it returns the outcome or a future of it.
    leases : ProcessLeases
        The leases shared by the workers of the profile.
    delay : float
        Seconds to keep a task for a process leased elsewhere before rejecting it.
    drop_stale : callable, optional
        ``await drop_stale(pid)`` is called when the lease of ``pid`` has just been taken (not when this worker held it
        already), before the process is continued: :func:`drop_stale_subscribers` on the worker's communicator.

    Returns
    -------
    callable
        A subscriber with the same signature; for a ``continue`` task it returns an ``asyncio`` future of the outcome.
    """

    async def continue_exclusively(communicator: kiwipy.Communicator, task: Any, pid: int) -> Any:
        fresh = not leases.held(pid)  # no await before the acquire: nothing of this worker can take it in between
        if not leases.acquire(pid):
            LOGGER.warning(
                'process<%d> is run by daemon worker %s; task requeued in %.0f s', pid, leases.holder(pid), delay
            )
            await asyncio.sleep(delay)
            raise kiwipy.TaskRejected(f'process<{pid}> is run by another daemon worker')
        loop = asyncio.get_running_loop()
        try:
            if fresh and drop_stale is not None:
                await drop_stale(pid)
            outcome = subscriber(communicator, task)
        except BaseException:
            leases.release(pid)
            raise
        if isinstance(outcome, concurrent.futures.Future):
            # Released when the process has left this worker, not when this handler ends: when the broker connection
            # drops, aio-pika cancels the handler while the process carries on in the worker's event loop.
            outcome.add_done_callback(lambda _: loop.call_soon_threadsafe(leases.release, pid))
            return await _one_way(outcome, loop)
        if asyncio.isfuture(outcome):
            outcome.add_done_callback(lambda _: leases.release(pid))
            return await asyncio.shield(outcome)
        leases.release(pid)
        return outcome

    def exclusive(communicator: kiwipy.Communicator, task: Any) -> Any:
        # kiwipy calls a task subscriber in its event loop and awaits a future it returns; a coroutine function
        # would not be awaited (kiwipy wraps subscribers in plain functions), so the work goes into a task.
        pid = _continued_pid(task)
        if pid is None:
            return subscriber(communicator, task)
        if leases.held(pid):
            # This worker runs the process already: acknowledge and drop the task, as aiida-core does when it notices
            # a duplicate subscriber, but without recreating the process first (after a broker restart that
            # recreation can fail on a connection not yet reopened, and aiida-core then marks the process excepted).
            LOGGER.info('process<%d> already runs in this worker; duplicate task dropped', pid)
            return False
        return asyncio.ensure_future(continue_exclusively(communicator, task, pid))

    return exclusive


class ExclusiveRabbitmqBroker(RabbitmqBroker):
    """``core.rabbitmq`` whose daemon workers never run the same process at the same time (module docstring)."""

    def get_communicator(self):
        """Return aiida-core's communicator with two changes made to it once.

        Its task subscribers are wrapped by :func:`exclusive_subscriber`; its subscriber registrations and broadcasts
        tolerate broker outages (:func:`~aiida_enatom.brokers.deferred.tolerate_broker_outages`).
        """
        communicator = super().get_communicator()
        if not getattr(communicator, '_enatom_exclusive', False):
            leases = ProcessLeases(lease_folder(self._profile))
            add_task_subscriber = communicator.add_task_subscriber

            # kiwipy's asyncio communicator inside the thread one: the task handlers run in its event loop
            inner = getattr(communicator, '_communicator', None)
            drop_stale = (lambda pid: drop_stale_subscribers(inner, pid)) if inner is not None else None

            def add_exclusive_task_subscriber(subscriber, identifier=None):
                return add_task_subscriber(exclusive_subscriber(subscriber, leases, drop_stale=drop_stale), identifier)

            communicator.add_task_subscriber = add_exclusive_task_subscriber
            tolerate_broker_outages(communicator)
            communicator._enatom_exclusive = True
        return communicator

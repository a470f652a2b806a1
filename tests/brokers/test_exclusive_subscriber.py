"""The daemon's task subscriber wrapped by ``exclusive_subscriber``.

The subscriber here is a stand-in for aiida-core's process launcher (it records the tasks it gets and returns a
``concurrent.futures.Future``, as plumpy's wrapped launcher does); the real launcher, daemon and RabbitMQ are
exercised by ``tests/production/test_broker_restart.py``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures

import kiwipy
import pytest

from aiida_enatom.brokers.leases import ProcessLeases
from aiida_enatom.brokers.rabbitmq import drop_stale_subscribers, exclusive_subscriber


def _continue(pid: int) -> dict:
    return {'task': 'continue', 'args': {'pid': pid, 'nowait': False, 'tag': None}}


class Launcher:
    """Records the tasks it receives; each returns a future that the test resolves."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.futures: list[concurrent.futures.Future] = []

    def __call__(self, communicator, task):
        self.received.append(task)
        future: concurrent.futures.Future = concurrent.futures.Future()
        self.futures.append(future)
        return future


def test_a_process_leased_elsewhere_is_rejected_after_the_delay_and_never_reaches_the_launcher(tmp_path):
    async def scenario():
        worker_a, worker_b = ProcessLeases(tmp_path), ProcessLeases(tmp_path)
        launcher_a, launcher_b = Launcher(), Launcher()
        receive_a = exclusive_subscriber(launcher_a, worker_a, delay=0.05)
        receive_b = exclusive_subscriber(launcher_b, worker_b, delay=0.05)

        running = receive_a(None, _continue(11))  # worker A continues process 11 ...
        await asyncio.sleep(0)
        assert worker_a.held(11) == 1
        with pytest.raises(kiwipy.TaskRejected, match='process<11> is run by another daemon worker'):
            await receive_b(None, _continue(11))  # ... so B, given the redelivered task, rejects it (requeued)
        assert launcher_b.received == []

        # a duplicate reaching A itself is dropped (acknowledged) without recreating the process
        assert receive_a(None, _continue(11)) is False
        assert worker_a.held(11) == 1 and len(launcher_a.received) == 1

        launcher_a.futures[0].set_result({'result': 3})  # the process terminates in A: the lease is free
        assert await running == {'result': 3}
        assert worker_a.held(11) == 0
        taken_over = receive_b(None, _continue(11))  # a later task (e.g. A died) is taken by B
        await asyncio.sleep(0)
        assert len(launcher_b.received) == 1 and worker_b.held(11) == 1
        launcher_b.futures[0].set_exception(RuntimeError('excepted'))
        with pytest.raises(RuntimeError):
            await taken_over
        assert worker_b.held(11) == 0  # released on failure too

    asyncio.run(scenario())


def test_the_lease_outlives_a_handler_cancelled_by_a_dropped_connection(tmp_path):
    """aio-pika cancels the task handlers when RabbitMQ goes away; the process itself carries on in the worker."""

    async def scenario():
        leases = ProcessLeases(tmp_path)
        launcher = Launcher()
        handler = exclusive_subscriber(launcher, leases)(None, _continue(12))
        await asyncio.sleep(0)
        handler.cancel()
        with pytest.raises(asyncio.CancelledError):
            await handler
        assert leases.held(12) == 1  # still running here: no other worker may take it
        assert not launcher.futures[0].cancelled()  # the cancellation did not reach the process
        launcher.futures[0].set_result({'done': True})
        for _ in range(3):
            await asyncio.sleep(0)
        assert leases.held(12) == 0

    asyncio.run(scenario())


def test_other_tasks_pass_through_untouched(tmp_path):
    leases = ProcessLeases(tmp_path)
    launcher = Launcher()
    receive = exclusive_subscriber(launcher, leases)
    task = {'task': 'launch', 'args': {'process_class': 'x', 'persist': True, 'nowait': False}}
    assert receive(None, task) is launcher.futures[0]
    assert launcher.received == [task]
    assert not list(tmp_path.iterdir())


class Subscribers:
    """Stand-in for kiwipy's asyncio communicator: its message subscriber's RPC and broadcast registries.

    Removing goes through the communicator, as in kiwipy, and would make the message subscriber if there were none
    (``created`` counts that: :func:`drop_stale_subscribers` must never do it).
    """

    def __init__(self, *names: tuple[str, str], made: bool = True) -> None:
        self._message_subscriber = self if made else None
        self._rpc_subscribers = {name: object() for kind, name in names if kind == 'rpc'}
        self._broadcast_subscribers = {name: object() for kind, name in names if kind == 'broadcast'}
        self.created = 0

    @property
    def names(self) -> set[tuple[str, str]]:
        return {('rpc', name) for name in self._rpc_subscribers} | {
            ('broadcast', name) for name in self._broadcast_subscribers
        }

    def add(self, kind: str, identifier: str) -> None:
        getattr(self, f'_{kind}_subscribers')[identifier] = object()

    async def _remove(self, kind: str, identifier: str) -> None:
        if self._message_subscriber is None:
            self._message_subscriber = self
            self.created += 1
        await asyncio.sleep(0)
        registry = getattr(self, f'_{kind}_subscribers')
        if identifier not in registry:
            raise ValueError(f"Unknown subscriber '{identifier}'")
        del registry[identifier]

    async def remove_rpc_subscriber(self, identifier: str) -> None:
        await self._remove('rpc', identifier)

    async def remove_broadcast_subscriber(self, identifier: str) -> None:
        await self._remove('broadcast', identifier)


class StrictLauncher(Launcher):
    """Refuses a process whose subscribers exist already, as aiida-core's launcher does (it then deletes the task)."""

    def __init__(self, subscribers: Subscribers) -> None:
        super().__init__()
        self.subscribers = subscribers

    def __call__(self, communicator, task):
        pid = str(task['args']['pid'])
        if ('rpc', pid) in self.subscribers.names or ('broadcast', pid) in self.subscribers.names:
            raise kiwipy.DuplicateSubscriberIdentifier(f"RPC identifier '{pid}'")
        self.subscribers.add('rpc', pid)
        self.subscribers.add('broadcast', pid)
        return super().__call__(communicator, task)


def test_subscribers_left_by_an_earlier_creation_are_dropped_before_the_process_is_continued(tmp_path, caplog):
    """A child created during a broker outage left its subscribers in the worker; its task must still run it."""

    async def scenario():
        subscribers = Subscribers(('rpc', '250'), ('broadcast', '250'), ('rpc', '9'))
        leases = ProcessLeases(tmp_path)
        launcher = StrictLauncher(subscribers)

        async def drop(pid):
            return await drop_stale_subscribers(subscribers, pid)

        receive = exclusive_subscriber(launcher, leases, drop_stale=drop)
        running = receive(None, _continue(250))
        for _ in range(5):
            await asyncio.sleep(0)
        assert [task['args']['pid'] for task in launcher.received] == [250]  # continued, not taken for a duplicate
        assert subscribers.names == {('rpc', '250'), ('broadcast', '250'), ('rpc', '9')}  # its own, now live
        # a second task for it while it runs here: dropped, and the live subscribers are not touched
        assert receive(None, _continue(250)) is False
        assert subscribers.names == {('rpc', '250'), ('broadcast', '250'), ('rpc', '9')}
        launcher.futures[0].set_result(None)
        await running

    asyncio.run(scenario())
    assert 'rpc subscriber left by an earlier attempt to create it removed' in caplog.text
    assert 'broadcast subscriber left by an earlier attempt to create it removed' in caplog.text


def test_without_dropping_them_the_launcher_takes_the_task_for_a_duplicate(tmp_path):
    """What aiida-core did before: the stale subscriber makes the launcher refuse (and delete) the child's task."""

    async def scenario():
        subscribers = Subscribers(('rpc', '250'))
        receive = exclusive_subscriber(StrictLauncher(subscribers), ProcessLeases(tmp_path))
        with pytest.raises(kiwipy.DuplicateSubscriberIdentifier):
            await receive(None, _continue(250))

    asyncio.run(scenario())


def test_two_tasks_at_once_drop_stale_subscribers_once(tmp_path):
    """The second of two tasks handled before either took the lease must not remove the first one's subscribers."""

    async def scenario():
        subscribers = Subscribers()
        calls = []

        async def drop(pid):
            calls.append(pid)
            return await drop_stale_subscribers(subscribers, pid)

        leases = ProcessLeases(tmp_path)
        launcher = Launcher()
        receive = exclusive_subscriber(launcher, leases, drop_stale=drop)
        first, second = receive(None, _continue(31)), receive(None, _continue(31))  # both before any lease
        for _ in range(5):
            await asyncio.sleep(0)
        assert calls == [31]
        assert leases.held(31) == 2  # the second reached the launcher, which (aiida-core) drops it as a duplicate
        for future in launcher.futures:
            future.set_result(None)
        await asyncio.gather(first, second)
        assert leases.held(31) == 0

    asyncio.run(scenario())


def test_a_worker_without_subscribers_yet_is_left_alone(tmp_path):
    """At a daemon's start many tasks arrive at once; removing would make kiwipy's subscriber concurrently."""

    async def scenario():
        subscribers = Subscribers(made=False)
        assert await drop_stale_subscribers(subscribers, 17) == []
        assert subscribers.created == 0 and subscribers._message_subscriber is None

    asyncio.run(scenario())

"""Launch a campaign: one ``enatom.sweep`` per candidate, throttled to at most N active points, idempotent.

How a relaunch knows what exists (extras lookup, no AiiDA caching needed): every pressure point a sweep launches
carries the extras ``enatom_campaign``, ``enatom_candidate``, ``enatom_pressure_GPa``, ``enatom_protocol`` and,
once terminated, ``enatom_status``; sweeps carry ``enatom_campaign``, ``enatom_candidate`` and
``enatom_pressures_GPa``. One QueryBuilder query over the campaign group finds, per (candidate, pressure), a
finished point (reused: its status is ``ok``, ``unstable`` or ``sum_rule_failed``), an active one (left alone), or
nothing / only failed ones (submitted again). Throttling counts the points of active sweeps.

Everything is checked before anything is stored: the campaign file (pure validation), the codes, the
pseudopotential family and its elements, and every builder. Only then is the group created and the first sweep
submitted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import weakref
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiida import orm
from aiida_quantumespresso.workflows.protocols.utils import recursive_merge

from aiida_enatom.common.runner_tag import RUNNER_EXTRA, current_runner, runner_alive
from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.results.fetch import fetch_rows
from aiida_enatom.results.query import POINT_TYPE, SUPERSEDED_EXTRA, SWEEP_TYPE
from aiida_enatom.workflows.pressure_point import STATUS_EXTRA
from aiida_enatom.workflows.sweep import SweepWorkChain

LOGGER = logging.getLogger(__name__)

__all__ = (
    'FINISHED_STATUSES',
    'InProcessController',
    'LaunchPlan',
    'SweepPlan',
    'execute_plan',
    'kill_on_interrupt',
    'local_runner',
    'plan_campaign',
    'run_in_process',
    'settle_killed',
)

#: Point states that count as done: a relaunch reuses them.
FINISHED_STATUSES = ('ok', 'unstable', 'sum_rule_failed')
DEFAULT_FAMILY = 'enatom-pbe-offline'


@dataclass
class SweepPlan:
    """One sweep to submit: a candidate and the pressures it still needs, with its builder (unstored inputs).

    ``supersedes`` holds the PKs of the failed, killed or orphaned points (and orphaned sweeps) it redoes; they get
    the extra ``enatom_superseded_by`` once the sweep exists. ``start_from`` is the finished point of the same
    candidate whose relaxed cell the sweep starts from (a relaunch), or ``None`` for a cold start.
    """

    candidate: str
    pressures: list[float]
    builder: Any
    supersedes: list[int] = field(default_factory=list)
    start_from: int | None = None


@dataclass
class LaunchPlan:
    """What a launch will do: sweeps to submit, points reused, points still running.

    ``given_up`` lists the (candidate, pressure) without a finished or running point that the ``skip`` argument of
    :func:`plan_campaign` kept from being submitted again.
    """

    group_label: str
    sweeps: list[SweepPlan] = field(default_factory=list)
    reused: list[int] = field(default_factory=list)
    active: list[int] = field(default_factory=list)
    active_load: int = 0
    given_up: list[tuple[str, float]] = field(default_factory=list)


def _existing_points(group_label: str) -> dict[tuple[str, float], list[tuple[int, str | None, bool]]]:
    """Map (candidate, pressure) → [(pk, status extra, terminated)] of the points in the group (one query)."""
    query = orm.QueryBuilder()
    query.append(orm.Group, filters={'label': group_label}, tag='group')
    query.append(
        orm.WorkChainNode,
        with_group='group',
        filters={'process_type': POINT_TYPE, 'extras': {'!has_key': SUPERSEDED_EXTRA}},
        project=[
            'id',
            'extras.enatom_candidate',
            'extras.enatom_pressure_GPa',
            f'extras.{STATUS_EXTRA}',
            'attributes.process_state',
            f'extras.{RUNNER_EXTRA}',
        ],
    )
    points: dict[tuple[str, float], list[tuple[int, str | None, bool]]] = {}
    for pk, candidate, pressure, status, state, runner in fetch_rows(query, n_plain=1):
        # an in-process point whose Python process is gone will never finish: count it as ended
        terminated = state in ('finished', 'excepted', 'killed') or not runner_alive(runner)
        points.setdefault((candidate, float(pressure)), []).append((pk, status, terminated))
    return points


def _unterminated_sweeps(group_label: str, *, alive: bool) -> list[tuple[int, str, list[float], int]]:
    """Return (pk, candidate, pressures, concurrency) of the group's sweeps that are not terminated.

    ``alive`` True: those whose runner (daemon or a live Python process) can still run them; False: the orphaned
    ones, run in a Python process that is gone and not yet superseded.
    """
    query = orm.QueryBuilder()
    query.append(orm.Group, filters={'label': group_label}, tag='group')
    query.append(
        orm.WorkChainNode,
        with_group='group',
        filters={
            'process_type': SWEEP_TYPE,
            'attributes.process_state': {'in': ['created', 'waiting', 'running']},
            'extras': {'!has_key': SUPERSEDED_EXTRA},
        },
        project=[
            'id',
            'extras.enatom_candidate',
            'extras.enatom_pressures_GPa',
            'extras.enatom_max_concurrent',
            f'extras.{RUNNER_EXTRA}',
        ],
    )
    return [
        (pk, cand, list(pressures or []), int(conc or 1))
        for pk, cand, pressures, conc, runner in query.iterall()
        if runner_alive(runner) is alive
    ]


def _active_sweeps(group_label: str) -> list[tuple[int, str, list[float], int]]:
    """Return (pk, candidate, pressures, concurrency) of the sweeps of the group that are not terminated."""
    return _unterminated_sweeps(group_label, alive=True)


def _load_codes(roles: dict[str, str], needed: tuple[str, ...]) -> dict[str, orm.AbstractCode]:
    from aiida.common.exceptions import MultipleObjectsError, NotExistent

    codes = {}
    for role in needed:
        label = roles.get(role, f'{role}@localhost')
        try:
            codes[role] = orm.load_code(label)
        except (NotExistent, MultipleObjectsError, ValueError) as exception:
            raise InputValidationError(
                f'codes.{role}: code {label!r} cannot be loaded ({exception}); run `aiida-enatom setup` or set '
                f'codes.{role} to an existing code label (`verdi code list`)'
            ) from None
    return codes


def _family_elements(label: str) -> set[str]:
    from aiida.common.exceptions import NotExistent

    try:
        family = orm.load_group(label)
    except NotExistent:
        raise InputValidationError(
            f'pseudo_family: no pseudopotential family {label!r} in this profile; run `aiida-enatom setup` or '
            'install one with aiida-pseudo (`aiida-pseudo list` shows those installed)'
        ) from None
    elements = getattr(family, 'elements', None)
    if elements is None:
        raise InputValidationError(f'pseudo_family: group {label!r} is not a pseudopotential family')
    return set(elements)


def plan_campaign(
    campaign, *, max_active: int | None = None, skip: Mapping[str, Collection[float]] | None = None
) -> LaunchPlan:
    """Check everything and decide what to submit; stores nothing.

    Parameters
    ----------
    campaign : aiida_enatom.io.campaign.Campaign
        The validated campaign file.
    max_active : int, optional
        Overrides the file's ``max_active``.
    skip : mapping of str to collection of float, optional
        Candidate label → pressures (GPa) never to submit again, e.g. those a ``--follow`` launch has already
        submitted once: if such a point failed, it stays failed rather than being retried in a loop.

    Raises
    ------
    InputValidationError
        For a missing code, family or element, or inputs a builder rejects; the message names the field.
    """
    family = campaign.pseudo_family or DEFAULT_FAMILY
    campaign.check_elements(_family_elements(family), family)
    roles = ('pw', 'ph', 'q2r', 'matdyn', 'projwfc') + (('pp',) if campaign.run_enatom else ())
    codes = _load_codes(dict(campaign.codes), roles)
    concurrency = max_active or campaign.max_active
    group_label = campaign.name
    existing = _existing_points(group_label)
    plan = LaunchPlan(group_label=group_label)
    for _, _, pressures, conc in _active_sweeps(group_label):
        plan.active_load += min(conc, max(len(pressures), 1))
    orphaned_sweeps = _unterminated_sweeps(group_label, alive=False)
    for candidate in campaign.candidates:
        missing, superseded, reused = [], [], {}
        for pressure in candidate.pressures:
            entries = existing.get((candidate.label, float(pressure)), [])
            finished = [pk for pk, status, _ in entries if status in FINISHED_STATUSES]
            running = [pk for pk, _, terminated in entries if not terminated]
            if finished:
                plan.reused.append(finished[-1])
                reused[float(pressure)] = finished[-1]
            elif running:
                plan.active.extend(running)
            elif float(pressure) in {float(p) for p in (skip or {}).get(candidate.label, ())}:
                plan.given_up.append((candidate.label, float(pressure)))
            else:
                missing.append(float(pressure))
                superseded.extend(pk for pk, _, _ in entries)  # failed, killed, excepted or orphaned attempts
        if missing and not _sweep_covers(group_label, candidate.label, missing):
            superseded += [pk for pk, label, _, _ in orphaned_sweeps if label == candidate.label]
            builder = _build(campaign, candidate, missing, codes, family, concurrency)
            start_from = _warm_start(builder, reused, min(missing))
            plan.sweeps.append(SweepPlan(candidate.label, missing, builder, sorted(superseded), start_from))
    return plan


def _warm_start(builder, finished: dict[float, int], first: float) -> int | None:
    """Start a relaunched sweep where a first launch would have: from the relaxed cell below its first pressure.

    A sweep relaxes its pressures in ascending order, each from the previous relaxed cell. A relaunch that redoes
    some of them starts from the finished point at the highest pressure below its first one, so that each pressure
    is relaxed along the same path as in a first launch (a cold relax from the input structure can end a few 1e-3
    away in cell and λ); with no finished point below, it starts cold, as the first launch did. A point's
    ``structure`` input is the cell its sweep relaxed at its ``structure_pressure``. Returns the PK of the point
    used, or ``None`` for a cold start.
    """
    below = [pressure for pressure in finished if pressure < first]
    if not below:
        return None
    point = orm.load_node(finished[max(below)])
    if 'structure_pressure' not in point.inputs:  # not relaxed by a sweep: its structure is not a relaxed cell
        return None
    builder.structure = point.inputs.structure
    builder.structure_relaxed_at = point.inputs.structure_pressure  # the stored node: provenance links the two
    return point.pk


def _sweep_covers(group_label: str, candidate: str, pressures: list[float]) -> bool:
    """Return whether an active sweep of the group already covers these pressures (it has not launched them yet)."""
    for _, label, covered, _ in _active_sweeps(group_label):
        if label == candidate and set(pressures) <= {float(p) for p in covered}:
            return True
    return False


def _build(campaign, candidate, pressures: list[float], codes, family: str, concurrency: int):
    protocol = campaign.effective_protocol(candidate)
    # Finished points keep their retrieved files and database nodes; their scratch folders are cleaned by default.
    base = {
        'pseudo_family': family,
        'clean_workdir': True,
        'alpha2f': {'pseudo_family': family, 'mu_star': campaign.mu_star},
    }
    overrides = recursive_merge(base, campaign.effective_overrides(candidate))
    structure = orm.StructureData(pymatgen=candidate.build_structure())
    try:
        return SweepWorkChain.get_builder_from_protocol(
            codes,
            structure,
            pressures,
            protocol=protocol,
            overrides=overrides,
            candidate=candidate.label,
            campaign=campaign.name,
            max_concurrent=concurrency,
            options=campaign.metadata_options() or None,
        )
    except (ValueError, KeyError, TypeError) as exception:
        raise InputValidationError(
            f'candidates[{candidate.label}]: cannot build the sweep ({exception}); check protocol and overrides'
        ) from None


def execute_plan(
    plan: LaunchPlan,
    *,
    max_active: int,
    daemon: bool,
    on_event: Callable[[str], None] = lambda message: None,
    relaunch_hint: bool = True,
) -> list[int]:
    """Create the group and submit the planned sweeps, never more than ``max_active`` points at once.

    With ``daemon`` the sweeps that fit are submitted to the daemon and the function returns (run the launch again
    to submit the rest: it only adds what is missing; ``relaunch_hint`` False leaves that advice out, for a caller
    that does it itself). Without, they run in this process, and further sweeps start
    as earlier ones finish, until all are done.

    Returns
    -------
    list of int
        PKs of the sweeps submitted.
    """
    runner = None if daemon else local_runner()  # before anything is stored
    group, _ = orm.Group.collection.get_or_create(plan.group_label)
    submitted: list[int] = []

    def load_of(sweep: SweepPlan) -> int:
        return min(max_active, len(sweep.pressures))

    queue = list(plan.sweeps)
    if daemon:
        from aiida.engine import submit

        load = plan.active_load
        while queue and (load == 0 or load + load_of(queue[0]) <= max_active):
            sweep = queue.pop(0)
            node = submit(sweep.builder)
            _tag(node, sweep, group)
            load += load_of(sweep)
            submitted.append(node.pk)
            on_event(
                f'submitted SweepWorkChain<{node.pk}> for {sweep.candidate} at {_pressures(sweep.pressures)} GPa'
                + _start_note(sweep)
            )
        if queue and relaunch_hint:
            on_event(
                f'{len(queue)} sweep(s) wait for capacity (max {max_active} active points): '
                'run `campaign launch` again later; it submits only what is missing'
            )
        return submitted

    tops: list = []  # the sweeps started here (Ctrl-C kills every process of this interpreter, these included)

    async def run_all() -> None:
        active: dict[asyncio.Future, tuple[int, int]] = {}
        load = plan.active_load
        while queue or active:
            while queue and not interrupted and (load == 0 or load + load_of(queue[0]) <= max_active):
                sweep = queue.pop(0)
                process = runner.instantiate_process(sweep.builder.process_class, **sweep.builder._inputs(prune=True))
                tops.append(process)
                _tag(process.node, sweep, group, in_process=True)
                task = runner.loop.create_task(process.step_until_terminated())
                active[task] = (process.node.pk, load_of(sweep))
                load += load_of(sweep)
                submitted.append(process.node.pk)
                on_event(
                    f'running SweepWorkChain<{process.node.pk}> for {sweep.candidate} at '
                    f'{_pressures(sweep.pressures)} GPa in this process' + _start_note(sweep)
                )
            if not active:
                break
            done, _ = await asyncio.wait(list(active), return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                pk, weight = active.pop(task)
                load -= weight
                node = orm.load_node(pk)
                on_event(f'SweepWorkChain<{pk}> {node.process_state.value} (exit status {node.exit_status})')

    with kill_on_interrupt(runner) as interrupted:
        runner.run_until_complete(asyncio.ensure_future(run_all(), loop=runner.loop))
    if interrupted:
        settle_killed(runner)
        on_event(f'interrupted: killed SweepWorkChain {", ".join(f"<{t.node.pk}>" for t in tops)} and their QE jobs')
        raise KeyboardInterrupt
    return submitted


def local_runner():
    """Return a runner for processes run in this Python process, with no broker connection.

    An in-process run needs no broker, and a profile's ZeroMQ broker runs only next to its daemon: asking the default
    runner for a communicator would wait for a broker that is not there. The runner is installed as the global one,
    so that calcfunctions and sub-processes run on it too; a global runner that already exists (a test session's, or
    one made before in this process) is reused rather than replaced.

    Without a broker aiida-core cannot pass a kill on to the sub-processes (``Process.kill`` sends it through the
    runner's controller), so Ctrl-C would kill the top process and leave its CalcJobs and their QE programs running.
    The runner gets an :class:`InProcessController` instead, which kills the live sub-process objects of this Python
    process directly: each CalcJob then cancels its scheduler job (the direct scheduler kills the job's process
    tree, i.e. mpirun and pw.x), and every node ends as killed.
    """
    from aiida.manage import get_manager

    manager = get_manager()
    existing = getattr(manager, '_runner', None)  # aiida-core has no public "is there a runner yet" call
    if existing is not None and not existing.is_closed():
        runner = existing  # e.g. the runner of a test session, or one this process already made
    else:
        runner = manager.create_runner(communicator=None)
        manager.set_runner(runner)
    if runner.controller is None:
        InProcessController.install(runner)
    return runner


class InProcessController:
    """The part of a process controller that ``Process.kill`` uses, for processes that live in this interpreter.

    :meth:`install` wraps the runner's ``instantiate_process`` so that every process it creates (top-level runs,
    sub-processes a WorkChain submits) is registered by PK; :meth:`kill_process` kills a registered process that is
    still alive.
    """

    def __init__(self, runner) -> None:
        self._runner = runner
        self._processes: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()

    @classmethod
    def install(cls, runner) -> InProcessController:
        """Attach a controller to ``runner`` (which has none) and register the processes it instantiates."""
        controller = cls(runner)
        instantiate = runner.instantiate_process

        def instantiate_and_register(process, **inputs):
            instance = instantiate(process, **inputs)
            controller.register(instance)
            return instance

        runner.instantiate_process = instantiate_and_register
        runner._controller = controller  # read by Process.kill through the public `runner.controller`
        poll = runner.call_on_process_finish

        def call_on_process_finish(pk: int, callback) -> None:
            controller.call_on_finish(pk, callback, poll)

        runner.call_on_process_finish = call_on_process_finish
        return controller

    def call_on_finish(self, pk: int, callback, poll) -> None:
        """Call ``callback`` once, as soon as the process with PK ``pk`` has terminated.

        This is how a WorkChain learns that a process it awaits has ended. Without a broker aiida-core polls the
        child's node every ``runner.poll.interval`` (an integer, so at least 1 s), and a pressure point awaits about
        a dozen children one after the other. A child that lives in this interpreter resolves its future when it
        enters its terminal state; the callbacks of that future run on the next turn of the event loop, after the
        child's node has been sealed. ``poll`` (aiida-core's polling) stays as the fallback for processes that are not
        registered here; whichever comes first calls ``callback``, the other finds it called.
        """
        called = False

        def once() -> None:
            nonlocal called
            if not called:
                called = True
                callback()

        process = self._processes.get(pk)
        if process is not None and not process.has_terminated():
            process.future().add_done_callback(lambda _future: once())
        poll(pk, once)

    def register(self, process) -> None:
        """Remember ``process`` (weakly) under its node's PK."""
        if process.node.pk is not None:
            self._processes[process.node.pk] = process

    def active(self) -> list:
        """Return the registered processes that have not terminated."""
        return [process for process in list(self._processes.values()) if not process.has_terminated()]

    def kill_all(self, msg_text: str) -> None:
        """Kill every registered process that has not terminated, callers before the processes they called.

        Run it as an event-loop callback. A caller killed first ends at once without reacting to its children's end
        (no ``inspect`` step turns the kill into a failure); each CalcJob is killed by :meth:`_kill_calcjob`. A
        process whose kill is already under way is left alone.
        """
        for process in sorted(self.active(), key=lambda process: process.node.pk):
            self._kill(process, msg_text)

    def _kill(self, process, msg_text: str | None):
        if process.has_terminated() or process.is_killing:
            return True
        from aiida.orm import CalcJobNode

        if isinstance(process.node, CalcJobNode):
            return self._runner.loop.create_task(self._kill_calcjob(process, msg_text))
        try:
            return process.kill(msg_text=msg_text)
        except Exception as exception:  # noqa: BLE001 - go on with the others; the node says what happened
            process.node.logger.error(f'while killing after an interrupt: {exception}')
            return False

    @staticmethod
    async def _kill_calcjob(process, msg_text: str | None) -> bool:
        """Cancel the CalcJob's scheduler job (awaited on the running loop), then kill the process itself.

        ``CalcJob.kill`` would wait for the cancellation by running the loop again from inside it, which aiida-core
        2.9 refuses while the loop runs; the direct scheduler's cancellation kills the job's process tree.
        """
        from aiida.engine.processes.calcjobs.tasks import task_kill_job

        if process.node.get_job_id() is not None:
            try:
                await process._launch_task(task_kill_job, process.node, process.runner.transport)
            except Exception as exception:  # noqa: BLE001 - the job may have ended; the process is killed anyway
                process.node.logger.error(f'while cancelling the scheduler job after an interrupt: {exception}')
        return bool(process.has_terminated() or process.kill(msg_text=msg_text, force_kill=True))

    def kill_process(self, pid: int, msg_text: str | None = None, **_) -> asyncio.Future:
        """Kill the live process with PK ``pid`` (its CalcJob's scheduler job and its own sub-processes too).

        Returns
        -------
        asyncio.Future
            Resolves to whether the process is killed (``True`` also when it had already terminated or is not
            in this interpreter: nothing is left to stop here).
        """
        future = self._runner.loop.create_future()
        process = self._processes.get(pid)
        if process is None:
            future.set_result(True)
            return future
        result = self._kill(process, msg_text)
        if asyncio.isfuture(result):
            result.add_done_callback(lambda done: future.done() or future.set_result(bool(done.result())))
        else:
            future.set_result(bool(result))
        return future


def settle_killed(runner, timeout: float = 60.0) -> None:
    """Run the event loop until every process registered by the runner's :class:`InProcessController` terminated.

    After a kill the top process ends first; its sub-processes reach their killed state on the next loop turns,
    which must happen before this Python process exits, or their nodes would stay "waiting" in the database.
    """
    controller = runner.controller
    if not isinstance(controller, InProcessController):
        return

    async def wait() -> None:
        deadline = runner.loop.time() + timeout
        while controller.active() and runner.loop.time() < deadline:
            await asyncio.sleep(0.1)

    runner.run_until_complete(asyncio.ensure_future(wait(), loop=runner.loop))


def _is_kill_aftermath(exception: BaseException | None) -> bool:
    """Whether ``exception`` is what aiida-core 2.9 leaves in a task of a process that was killed under it.

    A CalcJob killed while its job-update task is pending ends that task with ``ModificationNotAllowed`` (the node is
    sealed) raised while plumpy refuses "Cannot transition from ProcessState.KILLED to ProcessState.EXCEPTED".
    """
    from aiida.common.exceptions import ModificationNotAllowed

    if isinstance(exception, ModificationNotAllowed):
        return True
    return isinstance(exception, RuntimeError) and 'from ProcessState.KILLED' in str(exception)


def _quiet_kill_aftermath(loop: asyncio.AbstractEventLoop) -> None:
    """Log what the kill left behind with an exception at debug level instead of printing its traceback.

    asyncio reports an unretrieved task exception when the task is garbage-collected, which may be after the command
    printed its verdict ("was killed"): a traceback after that line reads as a crash. Everything else still goes to
    the loop's previous handler. The same goes for aiida-core's log records of the killed job-update task (an error
    with a traceback on the CalcJob's logger). Installed only after an interrupt, for the rest of the process.
    """
    previous = loop.get_exception_handler()

    def handler(event_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if _is_kill_aftermath(context.get('exception')):
            LOGGER.debug('after the kill: %s', context.get('message'), exc_info=context.get('exception'))
        elif previous is not None:
            previous(event_loop, context)
        else:
            event_loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
    for name in _KILL_AFTERMATH_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(item, _KillAftermathFilter) for item in logger.filters):
            logger.addFilter(_KillAftermathFilter())


#: Loggers on which aiida-core 2.9 reports, with a traceback, the job-update task of a CalcJob killed under it
#: (``exponential_backoff_retry`` logs on the node's logger, the task module warns on its own).
_KILL_AFTERMATH_LOGGERS = (
    'aiida.orm.nodes.process.calculation.calcjob.CalcJobNode',
    'aiida.engine.processes.calcjobs.tasks',
    'aiida.engine.utils',
)


class _KillAftermathFilter(logging.Filter):
    """Demote the records whose exception is a kill's leftover (:func:`_is_kill_aftermath`) to debug level."""

    def filter(self, record: logging.LogRecord) -> bool:
        exception = record.exc_info[1] if record.exc_info else None
        if exception is not None and _is_kill_aftermath(exception):
            LOGGER.debug('after the kill: %s', record.getMessage(), exc_info=record.exc_info)
            return False
        return True


@contextlib.contextmanager
def kill_on_interrupt(runner):
    """Turn SIGINT/SIGTERM into a kill of every live process of ``runner`` (:class:`InProcessController`).

    aiida-core's own interrupt handler of ``run`` kills the top process only: a process killed while it waits ends
    at once, and ``Process.kill`` then skips its children. So every registered process that has not terminated is
    killed here (:meth:`InProcessController.kill_all`), and each CalcJob cancels its scheduler job. A second
    interrupt while the kill is under way is ignored, so that the kill is not cut short. Yields the list of signals
    received (empty unless interrupted).
    """
    controller = runner.controller
    interrupted: list[int] = []

    def handler(signum, _frame):
        if interrupted:
            return
        interrupted.append(signum)
        message = f'killed by {signal.Signals(signum).name} of the launching command'
        _quiet_kill_aftermath(runner.loop)
        if isinstance(controller, InProcessController):
            # on the event loop, between two callbacks: a kill run inside the handler could interrupt a database
            # transaction of the step that was running when the signal came
            runner.loop.call_soon_threadsafe(controller.kill_all, message)

    previous = {signum: signal.signal(signum, handler) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield interrupted
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def run_in_process(builder):
    """Run ``builder`` in this interpreter until it terminates; Ctrl-C kills it and everything it started.

    Returns
    -------
    aiida.orm.ProcessNode
        The node of the process: finished, or killed after an interrupt (its sub-processes and their scheduler jobs
        killed too, see :func:`kill_on_interrupt`).
    """
    from plumpy.exceptions import KilledError

    runner = local_runner()
    process = runner.instantiate_process(builder)
    with kill_on_interrupt(runner) as interrupted:
        try:
            runner.run_until_complete(asyncio.ensure_future(process.step_until_terminated(), loop=runner.loop))
        except (KilledError, asyncio.CancelledError):
            pass
    if interrupted or process.node.is_killed:
        settle_killed(runner)
    return process.node


def _tag(node: orm.ProcessNode, sweep: SweepPlan, group: orm.Group, *, in_process: bool = False) -> None:
    node.base.extras.set_many(
        {
            RUNNER_EXTRA: current_runner() if in_process else None,
            'enatom_campaign': group.label,
            'enatom_candidate': sweep.candidate,
            'enatom_pressures_GPa': sweep.pressures,
            'enatom_max_concurrent': sweep.builder.max_concurrent.value,
        }
    )
    group.add_nodes(node)
    for pk in sweep.supersedes:
        old = orm.load_node(pk)
        old.base.extras.set(SUPERSEDED_EXTRA, node.pk)
        if not old.is_terminated:
            _retire_orphan(old, node.pk)


def _retire_orphan(node: orm.ProcessNode, successor: int) -> None:
    """Mark an orphaned process and its unterminated descendants killed and seal them.

    An orphan was run in a Python process that is gone (``runner_alive`` is false, which ``plan_campaign`` checked),
    so nothing will ever continue it; ``verdi process kill`` cannot reach it without a runner. Left as it is, it stays
    "Waiting" in ``verdi process list`` for ever and ``verdi archive create`` refuses the group (AiiDA exports only
    sealed processes). A QE program that it started and that still runs is not touched here.
    """
    from aiida.engine import ProcessState

    message = f'orphaned: the Python process that ran it is gone; redone by SweepWorkChain<{successor}>'
    for process in [node, *node.called_descendants]:
        if isinstance(process, orm.ProcessNode) and not process.is_sealed:
            if not process.is_terminated:
                process.set_process_state(ProcessState.KILLED)
                process.set_process_status(message)
            process.seal()


def _start_note(sweep: SweepPlan) -> str:
    return f' (from the relaxed cell of point {sweep.start_from})' if sweep.start_from is not None else ''


def _pressures(pressures: list[float]) -> str:
    return ', '.join(f'{p:g}' for p in pressures)

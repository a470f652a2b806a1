"""The in-process runner: a WorkChain learns that a child it awaits has ended without polling the child's node.

aiida-core without a broker polls an awaited child's node every ``runner.poll.interval`` (at least 1 s); the
runner of ``local_runner()`` resolves the wait from the child's own future instead. Here the polling is slowed to an
hour, so the parent finishes within the test's time limit only through that route.
"""

from __future__ import annotations

import asyncio

from aiida import orm
from aiida.engine import ToContext, WorkChain

from aiida_enatom.campaign.launch import local_runner


class Child(WorkChain):
    """Returns one Int."""

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.outline(cls.produce)
        spec.output('value', valid_type=orm.Int)

    def produce(self):
        self.out('value', orm.Int(7).store())


class Parent(WorkChain):
    """Submits a Child, waits for it, passes its output on."""

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.outline(cls.launch, cls.collect)
        spec.output('value', valid_type=orm.Int)

    def launch(self):
        return ToContext(child=self.submit(Child))

    def collect(self):
        self.out('value', self.ctx.child.outputs.value)


def test_an_awaited_child_resumes_its_parent_without_polling(aiida_profile, monkeypatch):
    runner = local_runner()
    monkeypatch.setattr(runner, '_poll_interval', 3600)  # aiida-core's fallback would resume the parent in an hour
    process = runner.instantiate_process(Parent)
    task = asyncio.wait_for(process.step_until_terminated(), timeout=30)
    runner.run_until_complete(asyncio.ensure_future(task, loop=runner.loop))
    assert process.node.is_finished_ok
    assert process.node.outputs.value.value == 7
    (child,) = process.node.called
    assert child.is_finished_ok and child.process_class is Child

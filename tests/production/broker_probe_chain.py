"""The work chain of ``broker_restart.py``: two ``core.arithmetic.add`` jobs in sequence, each step reported.

The daemon workers import it through ``PYTHONPATH`` (``broker_restart.py`` sets it), so it needs no entry point.
"""

from __future__ import annotations

from aiida import orm
from aiida.engine import ToContext, WorkChain
from aiida.plugins import CalculationFactory

ArithmeticAdd = CalculationFactory('core.arithmetic.add')


class ProbeChain(WorkChain):
    """Run two add jobs that sleep ``sleep`` s each; report every step so that a step run twice shows."""

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input('code', valid_type=orm.AbstractCode)
        spec.input('x', valid_type=orm.Int)
        spec.input('sleep', valid_type=orm.Int)
        spec.outline(cls.first, cls.second, cls.finish)
        spec.output('sum', valid_type=orm.Int)

    def _job(self, y: int):
        self.report(f'step job{y}')
        options = {'sleep': self.inputs.sleep.value, 'resources': {'num_machines': 1, 'num_mpiprocs_per_machine': 1}}
        inputs = {'code': self.inputs.code, 'x': self.inputs.x, 'y': orm.Int(y), 'metadata': {'options': options}}
        return ToContext(**{f'job{y}': self.submit(ArithmeticAdd, **inputs)})

    def first(self):
        """Submit the first job (the broker is restarted while it sleeps)."""
        return self._job(1)

    def second(self):
        """Submit the second job."""
        return self._job(2)

    def finish(self):
        """Attach the second job's sum."""
        self.report('step finish')
        self.out('sum', self.ctx.job2.outputs.sum)

"""A failed WorkChain is a failure on the command line: ``launch`` exits non-zero, ``show`` says why first."""

from __future__ import annotations

import click
import pytest
from aiida import orm
from aiida.common import LinkType
from aiida.engine import WorkChain
from click.testing import CliRunner
from plumpy import ProcessState

from aiida_enatom.cli import utils
from aiida_enatom.cli.show import cmd_show


class _OutcomeWorkChain(WorkChain):
    """Finish ok or fail with exit status 451 and a message, as the input ``fail`` says (no QE, no calcfunction)."""

    @classmethod
    def define(cls, spec):
        """Define the process specification."""
        super().define(spec)
        spec.input('fail', valid_type=orm.Bool)
        spec.outline(cls.decide)
        spec.exit_code(451, 'ERROR_STAGE', message='The alpha2f stage failed with exit status {status}: ph.x broke')

    def decide(self):
        """Return the exit code when asked to fail."""
        if self.inputs.fail.value:
            return self.exit_codes.ERROR_STAGE.format(status=410)
        return None


def _launch(fail: bool):
    builder = _OutcomeWorkChain.get_builder()
    builder.fail = orm.Bool(fail)

    @click.command()
    def command():
        utils.launch_process(builder, daemon=False)

    return CliRunner().invoke(command, [])


def _last_process() -> orm.WorkChainNode:
    query = orm.QueryBuilder().append(orm.WorkChainNode, filters={'attributes.process_label': '_OutcomeWorkChain'})
    return query.order_by({orm.WorkChainNode: {'id': 'desc'}}).first(flat=True)


def test_launch_exits_zero_and_prints_the_pk_when_the_workchain_finishes_ok():
    result = _launch(fail=False)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == str(_last_process().pk)


def test_launch_exits_nonzero_with_the_failure_message_when_the_workchain_fails():
    result = _launch(fail=True)
    node = _last_process()
    assert node.exit_status == 451
    assert result.exit_code == 1, result.output
    assert 'Traceback' not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith(('Error:', 'Critical:'))]
    assert errors == [
        f'Critical: _OutcomeWorkChain<{node.pk}> failed with exit status 451: The alpha2f stage failed with exit '
        f'status 410: ph.x broke; see `verdi process report {node.pk}`'
    ], result.output


def _point(exit_status: int | None, state=ProcessState.FINISHED, *, message=None, outputs=()) -> orm.WorkflowNode:
    node = orm.WorkflowNode()
    node.set_process_type('aiida.workflows:enatom.pressure_point')
    node.set_process_label('PressurePointWorkChain')
    node.set_process_state(state)
    if exit_status is not None:
        node.set_exit_status(exit_status)
    if message:
        node.set_exit_message(message)
    pressure_in = orm.Float(200.0).store()
    node.base.links.add_incoming(pressure_in, LinkType.INPUT_WORK, 'pressure')
    node.store()
    for label, output in outputs:
        output.store().base.links.add_incoming(node, LinkType.RETURN, label)
    return node


@pytest.mark.parametrize('relaxed', [False, True], ids=['nothing', 'only-the-pressure'])
def test_show_of_a_failed_point_gives_the_failure_first_and_exits_nonzero(relaxed):
    message = 'The alpha2f stage failed with exit status 410: The la2F SCF (dense k-mesh) failed'
    outputs = [('pressure', orm.Float(199.5))] if relaxed else []
    node = _point(451, message=message, outputs=outputs)
    result = CliRunner().invoke(cmd_show, [str(node.pk)])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0] == f'Error: PressurePointWorkChain<{node.pk}> failed with exit status 451: {message}; see ' + (
        f'`verdi process report {node.pk}`'
    )
    assert 'None' not in result.output, result.output  # no table of unknown values
    assert ('199.5' in result.output) is relaxed


def test_show_of_a_killed_and_of_a_running_point():
    killed = _point(None, ProcessState.KILLED)
    killed.set_process_status('Killed by Ctrl-C')
    result = CliRunner().invoke(cmd_show, [str(killed.pk)])
    assert result.exit_code == 1
    assert result.output.startswith(f'Error: PressurePointWorkChain<{killed.pk}> was killed (Killed by Ctrl-C)')
    running = _point(None, ProcessState.WAITING)
    result = CliRunner().invoke(cmd_show, [str(running.pk), '--json'])
    assert result.exit_code == 1
    assert result.output.startswith(f'Error: PressurePointWorkChain<{running.pk}> has not finished (state waiting)')


def test_show_of_an_unstable_point_with_results_warns_first_and_shows_them():
    metrics = orm.Dict({'lambda': 2.1, 'dynamically_stable': False})
    node = _point(452, message='The relaxed structure is dynamically unstable', outputs=[('alpha2f__metrics', metrics)])
    result = CliRunner().invoke(cmd_show, [str(node.pk)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f'Warning: PressurePointWorkChain<{node.pk}> failed with exit status 452')
    assert any(line.split() == ['lambda', '2.1'] for line in lines), result.output

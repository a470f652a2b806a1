"""Ctrl-C during an in-process ``launch point`` ends the pw.x it started and leaves every process node killed.

The command runs in a subprocess on the test profile (real pw.x 6.7 on H3S, protocol ``test``); once pw.x runs in
the computer's work directory the test sends SIGINT to the command only (as a terminal would, minus the process
group: pw.x runs in its own session under the direct scheduler and never sees the terminal's Ctrl-C). Only
processes whose working directory is inside this test's computer work directory are looked at or cleaned up.
"""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import time

import psutil
import pytest
from aiida import orm

from ..workflows.conftest import POSCAR_H3S as POSCAR
from ..workflows.conftest import install_family

ROLES = {'pw': 'quantumespresso.pw', 'ph': 'quantumespresso.ph', 'q2r': 'quantumespresso.q2r'}
ROLES.update({'matdyn': 'quantumespresso.matdyn', 'projwfc': 'quantumespresso.projwfc'})


def _qe_processes_under(workdir: pathlib.Path) -> list[psutil.Process]:
    """QE programs (and their mpirun) whose working directory is inside ``workdir``: the ones this test started."""
    found = []
    for process in psutil.process_iter(['name']):
        try:
            if process.info['name'] in ('pw.x', 'ph.x', 'mpirun', 'orterun', 'hydra_pmi_proxy', 'mpiexec.hydra'):
                if pathlib.Path(process.cwd()).is_relative_to(workdir):
                    found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def _wait_for(condition, timeout: float, step: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return condition()


@pytest.fixture
def point_command(aiida_profile, enatom_computer, tmp_path):
    """The ``launch point`` command line on the test profile, with codes on ``enatom_computer``."""
    options = []
    for role, plugin in ROLES.items():
        label = f'interrupt-{role}'
        try:
            code = orm.load_code(f'{label}@{enatom_computer.label}')
        except Exception:  # noqa: BLE001 - first use in this session
            code = orm.InstalledCode(
                computer=enatom_computer,
                filepath_executable=f'/usr/bin/{role}.x',
                label=label,
                default_calc_job_plugin=plugin,
            ).store()
        options += [f'--{role}-code', code.full_label]
    family = install_family(tmp_path / 'upf')
    structure = tmp_path / 'H3S.POSCAR'
    structure.write_text(POSCAR)
    command = ['from aiida_enatom.cli import cmd_root; cmd_root()', '-p', aiida_profile.name, 'launch', 'point']
    return [  # no `nice` here: the command inherits the test run's priority
        sys.executable,
        '-c',
        *command,
        str(structure),
        '--pressure',
        '200',
        '--protocol',
        'test',
        '--pseudo-family',
        family,
        *options,
    ]


def test_ctrl_c_during_launch_point_kills_pw_and_the_nodes(point_command, enatom_computer, tmp_path):
    workdir = pathlib.Path(enatom_computer.get_workdir())
    already = {process.pid for process in _qe_processes_under(workdir)}
    started = time.time()
    log = tmp_path / 'launch.log'  # a file, not a pipe: a full pipe would block the command
    with open(log, 'w') as handle:
        cli = subprocess.Popen(point_command, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        pw = _wait_for(
            lambda: (
                cli.poll() is not None
                or [p for p in _qe_processes_under(workdir) if p.pid not in already and p.name() == 'pw.x']
            ),
            600,
        )
        assert pw is not True and cli.poll() is None, f'the command ended before pw.x started: {log.read_text()}'
        assert pw, f'pw.x did not start within 600 s: {log.read_text()}'
        cli.send_signal(signal.SIGINT)
        cli.wait(timeout=300)
        gone = _wait_for(
            lambda: not [p for p in _qe_processes_under(workdir) if p.pid not in already and p.is_running()], 30
        )
        assert gone, f'QE still running after the command exited: {_qe_processes_under(workdir)}'
    finally:
        for process in _qe_processes_under(workdir):
            if process.pid not in already:
                process.kill()
        if cli.poll() is None:
            os.killpg(cli.pid, signal.SIGKILL)
            cli.wait()
    output = log.read_text()
    assert cli.returncode != 0, output
    # the command's own verdict is its last line, and no traceback (aiida-core's killed job-update task is logged at
    # debug level, see aiida_enatom.campaign.launch._quiet_kill_aftermath)
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines[-1].startswith('Critical: PressurePointWorkChain<') and 'was killed' in lines[-1], output
    assert 'Traceback' not in output and 'Task exception was never retrieved' not in output, output

    query = orm.QueryBuilder().append(
        orm.WorkChainNode,
        filters={'attributes.process_label': 'PressurePointWorkChain', 'ctime': {'>': _utc(started)}},
    )
    (point,) = query.all(flat=True)
    assert point.is_killed, point.process_state
    calcjobs = [node for node in point.called_descendants if isinstance(node, orm.CalcJobNode)]
    assert calcjobs, 'no CalcJob was started'
    for node in [point, *point.called_descendants]:
        assert node.is_terminated, f'{node.process_label}<{node.pk}> left {node.process_state}'
    assert any(node.is_killed for node in calcjobs)


def _utc(timestamp: float):
    import datetime

    return datetime.datetime.fromtimestamp(timestamp - 5, tz=datetime.UTC)


def test_kill_aftermath_is_quiet_and_other_errors_are_not(caplog):
    """After an interrupt the loop's exception handler swallows the killed tasks' leftovers, nothing else."""
    import asyncio
    import logging

    from aiida.common.exceptions import ModificationNotAllowed

    from aiida_enatom.campaign.launch import _KILL_AFTERMATH_LOGGERS, _KillAftermathFilter, _quiet_kill_aftermath

    loop = asyncio.new_event_loop()
    seen = []
    loop.set_exception_handler(lambda _loop, context: seen.append(context['exception']))
    try:
        _quiet_kill_aftermath(loop)
        sealed = ModificationNotAllowed('attributes of a sealed node are immutable')
        refused = RuntimeError('Cannot transition from ProcessState.KILLED to ProcessState.EXCEPTED')
        other = ValueError('a real error')
        with caplog.at_level(logging.DEBUG, logger='aiida_enatom.campaign.launch'):
            for exception in (sealed, refused, other):
                loop.call_exception_handler({'message': 'Task exception was never retrieved', 'exception': exception})
        assert seen == [other]
        assert sum('after the kill' in record.getMessage() for record in caplog.records) == 2
        # aiida-core's own log record of the killed job-update task (an error with its traceback) is demoted too
        logger = logging.getLogger('aiida.orm.nodes.process.calculation.calcjob.CalcJobNode')
        caplog.clear()
        with caplog.at_level(logging.DEBUG):
            for exception in (sealed, other):
                try:
                    raise exception
                except Exception:
                    logger.exception('iteration 1 of do_update excepted, retrying after 20 seconds')
        errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
        assert [record.exc_info[1] for record in errors] == [other]
    finally:
        loop.close()
        for name in _KILL_AFTERMATH_LOGGERS:  # leave the loggers as the other tests expect them
            target = logging.getLogger(name)
            for item in [item for item in target.filters if isinstance(item, _KillAftermathFilter)]:
                target.removeFilter(item)

"""Fixtures of the AiiDA layer: a temporary ``core.sqlite_dos`` profile and InstalledCodes for Debian's QE."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from aiida.tools.pytest_fixtures import *  # noqa: F403
from sqlalchemy import event
from sqlalchemy.engine import Engine

from aiida_enatom.setup.codes import LOCALHOST_RANKS
from aiida_enatom.setup.common import MPI_PREPEND_TEXT


@event.listens_for(Engine, 'connect')
def _sqlite_without_fsync(dbapi_connection, _):
    """Let SQLite skip its fsyncs (``PRAGMA synchronous=OFF``) on every SQLite database the test process opens.

    They are all throw-away: the temporary ``core.sqlite_dos`` profile of ``aiida.tools.pytest_fixtures`` and the
    copies of archives that AiiDA unpacks to a temporary folder to read them. An AiiDA process commits for every
    node, link and state change; with SQLite's default ``synchronous=FULL`` each commit waits for the disk (34 ms per
    commit on this machine under load, 1.3 ms without the fsync; docs/benchmarks.md, "The test suite"). Only a crash
    of the whole machine could lose data, and the database does not outlive the session. Connections of other
    processes (the production tests' daemons, ``aiida-enatom setup`` in a subprocess) are not affected.
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute('PRAGMA synchronous=OFF;')
        cursor.close()


QE_PLUGINS = {
    'pw.x': 'quantumespresso.pw',
    'ph.x': 'quantumespresso.ph',
    'q2r.x': 'quantumespresso.q2r',
    'matdyn.x': 'quantumespresso.matdyn',
    'pp.x': 'quantumespresso.pp',
    'projwfc.x': 'quantumespresso.projwfc',
}


TEST_POLL_INTERVAL = 0.5
"""Seconds between scheduler polls of the test computers.

aiida-core's default is 10 s (each CalcJob of a test waited ~5 s for nothing), and 0 makes the engine poll
continuously: a subprocess loop that took a core from the QE runs it waits for on this 2-core machine.
"""


def configure_test_localhost(computer) -> None:
    """Poll every :data:`TEST_POLL_INTERVAL` s, open the transport at once and run commands in a plain shell.

    A login shell (aiida-core's default) sources the user's profile on every scheduler command; on a machine whose
    profile initialises pyenv that is 0.1-0.7 s of CPU per ``ps``.
    """
    computer.set_minimum_job_poll_interval(TEST_POLL_INTERVAL)
    computer.configure(safe_interval=0.0, use_login_shell=False)


@pytest.fixture
def qe_codes(aiida_localhost):
    """Return ``{executable: InstalledCode}`` for the Debian QE executables on the test profile's localhost."""
    from aiida import orm

    aiida_localhost.set_prepend_text(MPI_PREPEND_TEXT)
    aiida_localhost.set_default_mpiprocs_per_machine(LOCALHOST_RANKS)  # as `aiida-enatom setup` (protocols: 2 pools)
    configure_test_localhost(aiida_localhost)
    codes = {}
    for executable, plugin in QE_PLUGINS.items():
        path = shutil.which(executable)
        if path is None:
            pytest.fail(f'{executable} is not on PATH: install it with `apt-get install quantum-espresso`')
        label = f'test-{executable}'
        try:
            codes[executable] = orm.load_code(f'{label}@{aiida_localhost.label}')
        except Exception:  # noqa: BLE001 - not yet created on this profile
            codes[executable] = orm.InstalledCode(
                computer=aiida_localhost, filepath_executable=path, label=label, default_calc_job_plugin=plugin
            ).store()
    return codes


@pytest.fixture(scope='session')
def enatom_computer(aiida_profile, tmp_path_factory):
    """Return a configured ``core.local`` computer ``enatom-localhost`` (session scope, no job-poll delay)."""
    from aiida import orm
    from aiida.common.exceptions import NotExistent

    try:
        computer = orm.load_computer('enatom-localhost')
    except NotExistent:
        computer = orm.Computer(
            label='enatom-localhost',
            hostname='localhost',
            workdir=str(tmp_path_factory.mktemp('enatom_scratch')),
            transport_type='core.local',
            scheduler_type='core.direct',
        ).store()
        computer.set_default_mpiprocs_per_machine(LOCALHOST_RANKS)  # as `aiida-enatom setup` (protocols: 2 pools)
        configure_test_localhost(computer)
    computer.set_prepend_text(MPI_PREPEND_TEXT)
    return computer


@pytest.fixture(autouse=True)
def _restore_db_logging():
    """Re-attach AiiDA's database log handler after each test.

    A ``verdi``-style command run through click's runner reconfigures logging for the command line, which leaves
    later in-process runs without their process reports in the database (seen as an empty ``verdi process report``
    in the ph.x restart tests that ran after the CLI tests).
    """
    yield
    from aiida.common.log import configure_logging

    configure_logging(with_orm=True)

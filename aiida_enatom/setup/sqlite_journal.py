"""Write-ahead logging for the embedded profile's SQLite database.

AiiDA's ``core.sqlite_dos`` storage leaves SQLite in its default rollback-journal mode, where every commit syncs the
journal and the database file to disk (11.2 ms per commit on this project's 2-core test machine, against 3.8 ms in
WAL mode; docs/benchmarks.md). The engine commits at every process state change, checkpoint and scheduler poll, so on
a laptop campaign this is a large part of the time that is not Quantum ESPRESSO. WAL mode also lets readers
(``campaign status``, ``rank``) run while the engine writes. The mode is stored in the database file itself, so it is
set once here and every later connection (``verdi``, the daemon, an in-process launch) uses it.

What WAL changes for a user: committed transactions may sit in ``database.sqlite-wal`` next to the database until
SQLite copies them back (a checkpoint; automatic every 1000 pages and when the last connection closes). Copy the
three files together, or use ``verdi storage backup`` / ``verdi archive create``, which read through SQLite.
"""

from __future__ import annotations

import pathlib
import sqlite3

from aiida_enatom.setup.common import Action

__all__ = ('DATABASE_FILENAME', 'ensure_wal')

#: The file name of the SQLite database inside a ``core.sqlite_dos`` storage folder (aiida-core 2.x).
DATABASE_FILENAME = 'database.sqlite'


def journal_mode(database: pathlib.Path, *, timeout: float = 5.0) -> str:
    """Return the journal mode of the SQLite database ``database`` (``'delete'``, ``'wal'``, ...)."""
    connection = sqlite3.connect(database, timeout=timeout)
    try:
        return str(connection.execute('PRAGMA journal_mode').fetchone()[0]).lower()
    finally:
        connection.close()


def ensure_wal(storage_folder: str | pathlib.Path, *, timeout: float = 5.0) -> list[Action]:
    """Switch the SQLite database in ``storage_folder`` to WAL mode if it is not already in it.

    Parameters
    ----------
    storage_folder
        The ``filepath`` of a ``core.sqlite_dos`` profile's storage configuration.
    timeout
        Seconds to wait for another connection's lock before giving up with a warning.

    Returns
    -------
    list of Action
        ``found`` when the database is already in WAL mode, ``updated`` when it was switched, ``warning`` when the
        switch was not possible (another process holds the database, e.g. a running daemon); the profile works
        either way, only slower.
    """
    database = pathlib.Path(storage_folder) / DATABASE_FILENAME
    if not database.is_file():
        return [Action('warning', f'no SQLite database at {database}; its journal mode was left alone')]
    try:
        connection = sqlite3.connect(database, timeout=timeout)
        try:
            if str(connection.execute('PRAGMA journal_mode').fetchone()[0]).lower() == 'wal':
                return [Action('found', f'SQLite database {database} in WAL mode')]
            mode = str(connection.execute('PRAGMA journal_mode=WAL').fetchone()[0]).lower()
        finally:
            connection.close()
    except sqlite3.Error as exception:
        mode = f'unchanged ({exception})'
    if mode != 'wal':
        return [
            Action(
                'warning',
                f'SQLite database {database} could not be switched to WAL mode: {mode}; stop the daemon '
                '(`verdi daemon stop`) and run `aiida-enatom setup` again for faster commits',
            )
        ]
    return [Action('updated', f'SQLite database {database} switched to WAL mode (faster commits, concurrent reads)')]

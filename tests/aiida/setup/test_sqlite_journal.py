"""``ensure_wal``: the embedded profile's SQLite database is switched to write-ahead logging once, and says so."""

from __future__ import annotations

import sqlite3

from aiida_enatom.setup.sqlite_journal import DATABASE_FILENAME, ensure_wal, journal_mode


def _database(folder):
    path = folder / DATABASE_FILENAME
    connection = sqlite3.connect(path)
    connection.execute('CREATE TABLE node (id INTEGER PRIMARY KEY)')
    connection.commit()
    connection.close()
    return path


def test_switches_a_rollback_journal_database_and_then_finds_it(tmp_path):
    path = _database(tmp_path)
    assert journal_mode(path) == 'delete'
    (first,) = ensure_wal(tmp_path)
    assert first.kind == 'updated' and 'WAL' in first.message
    assert journal_mode(path) == 'wal'  # stored in the file: a new connection sees it
    (second,) = ensure_wal(tmp_path)
    assert second.kind == 'found'


def test_a_locked_database_gives_a_warning_and_is_left_alone(tmp_path):
    path = _database(tmp_path)
    holder = sqlite3.connect(path)
    holder.execute('BEGIN EXCLUSIVE')  # as a daemon in the middle of a commit
    try:
        (action,) = ensure_wal(tmp_path, timeout=0.1)
    finally:
        holder.rollback()
        holder.close()
    assert action.kind == 'warning'
    assert 'verdi daemon stop' in action.message and str(path) in action.message
    assert journal_mode(path) == 'delete'


def test_a_missing_database_is_a_warning(tmp_path):
    (action,) = ensure_wal(tmp_path / 'nowhere')
    assert action.kind == 'warning' and 'no SQLite database' in action.message

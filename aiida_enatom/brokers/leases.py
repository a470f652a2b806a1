"""Exclusive, re-entrant leases on process PKs among the processes of one machine.

A lease is an ``fcntl.flock`` on one file per PK in a shared folder. The kernel drops it when its holder exits,
however it exits (SIGKILL included), so a lease can never outlive the worker that took it. Within one holder a
lease is re-entrant: the holder counts its acquisitions and gives the lease up at the last release. This module
imports nothing of AiiDA; :mod:`aiida_enatom.brokers.rabbitmq` uses it for the daemon workers of one profile, which
always run on one machine (circus starts them as local processes).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pathlib

__all__ = ('ProcessLeases',)


class ProcessLeases:
    """Leases on integer keys (process PKs), one lock file ``<folder>/<key>.lock`` each.

    Parameters
    ----------
    folder : pathlib.Path
        Folder shared by every holder that must exclude the others (created if missing).
    """

    def __init__(self, folder: pathlib.Path) -> None:
        self.folder = pathlib.Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._held: dict[int, list[int]] = {}  # key -> [file descriptor, count]

    def path(self, key: int) -> pathlib.Path:
        """Return the lock file of ``key``."""
        return self.folder / f'{int(key)}.lock'

    def held(self, key: int) -> int:
        """Return how many times this holder has acquired ``key`` and not released it (0 when it does not hold it)."""
        entry = self._held.get(int(key))
        return entry[1] if entry else 0

    def acquire(self, key: int) -> bool:
        """Take the lease on ``key`` without waiting; return whether this holder has it now.

        Returns ``True`` if the lease was free or this holder already had it (the count goes up), ``False`` if
        another process holds it.
        """
        key = int(key)
        if key in self._held:
            self._held[key][1] += 1
            return True
        path = self.path(key)
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            # The previous holder removes the file while it still holds the lock; if that happened between our open
            # and our flock, we locked a file nobody else will ever open again: try again on the current one.
            try:
                current = os.stat(path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                current = False
            if current:
                os.ftruncate(fd, 0)
                os.write(fd, f'{os.getpid()}\n'.encode())
                self._held[key] = [fd, 1]
                return True
            os.close(fd)

    def release(self, key: int) -> None:
        """Give up one acquisition of ``key``; the lease is free for others after the last one.

        Raises
        ------
        KeyError
            If this holder does not hold ``key``.
        """
        key = int(key)
        entry = self._held[key]
        entry[1] -= 1
        if entry[1] > 0:
            return
        del self._held[key]
        with contextlib.suppress(FileNotFoundError):
            self.path(key).unlink()  # while still locked: a waiting opener then sees a new file (see acquire)
        os.close(entry[0])

    def holder(self, key: int) -> int | None:
        """Return the PID written by the holder of ``key``, or ``None`` if the file is absent or empty."""
        try:
            text = self.path(key).read_text().strip()
        except OSError:
            return None
        return int(text) if text.isdigit() else None

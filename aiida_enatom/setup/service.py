"""The :class:`Service` record: a server that setup found or started, and how to stop it (no AiiDA import)."""

from __future__ import annotations

import dataclasses
import subprocess
import time

from aiida_enatom.setup.commands import port_open

__all__ = ('Service',)


@dataclasses.dataclass
class Service:
    """A server that setup found or started (PostgreSQL or RabbitMQ).

    Attributes
    ----------
    name : str
        ``'postgresql'`` or ``'rabbitmq'``.
    host, port : str, int
        Where it listens.
    started : bool
        Whether this call started it (``stop`` only stops services it started).
    stop_commands : list of list of str
        Commands that stop it.
    socket_dir : str, optional
        PostgreSQL only: the folder of its Unix socket, used for administration.
    superuser : str, optional
        PostgreSQL only: the database superuser (also the OS user that owns the server).
    """

    name: str
    host: str
    port: int
    started: bool = False
    stop_commands: list[list[str]] = dataclasses.field(default_factory=list)
    socket_dir: str | None = None
    superuser: str | None = None

    def stop(self, *, timeout: float = 60) -> bool:
        """Stop the service if this process started it; return whether it was stopped."""
        if not self.started:
            return False
        for index, command in enumerate(self.stop_commands):
            subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False, cwd='/')
            if index == 0:  # the later commands (e.g. ``epmd -kill``) only work once the server is gone
                deadline = time.monotonic() + timeout
                while port_open(self.host, self.port) and time.monotonic() < deadline:
                    time.sleep(0.25)
                time.sleep(0.5)
        self.started = False
        return True

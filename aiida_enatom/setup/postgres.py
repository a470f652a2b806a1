"""Start PostgreSQL on the loopback interface and create a profile's role and database, idempotently.

A running server on the port is used as it is; otherwise the Debian cluster on that port is started
(``pg_ctlcluster``), or, if there is none, a data folder is created with ``initdb`` and started with ``pg_ctl``.
The role and database of a profile are created with ``C.UTF-8`` collation and ``TEMPLATE template0``, because
aiida-core's own code asks for ``en_US.UTF-8``, a locale that minimal Debian systems lack.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess

from aiida_enatom.setup.commands import as_user, port_open, run_command, wait_for, which
from aiida_enatom.setup.common import Action, SetupError
from aiida_enatom.setup.service import Service

__all__ = ('admin_psql', 'ensure_database', 'ensure_postgresql')

_DEBIAN_SOCKET_DIR = '/var/run/postgresql'
_IDENTIFIER = re.compile(r'^[a-z_][a-z0-9_]{0,62}$')


def _pg_binary(name: str) -> str:
    """Return the newest ``/usr/lib/postgresql/<version>/bin/<name>``, else ``<name>`` from ``PATH``."""
    versions = sorted(pathlib.Path('/usr/lib/postgresql').glob(f'*/bin/{name}'), key=lambda p: int(p.parts[-3]))
    if versions:
        return str(versions[-1])
    found = which(name)
    if found is None:
        raise SetupError(f'PostgreSQL program {name} not found; install it with `apt-get install postgresql`')
    return found


def _debian_cluster(port: int) -> tuple[str, str] | None:
    """Return ``(version, name)`` of the Debian cluster configured on ``port``, if ``pg_lsclusters`` knows one."""
    if which('pg_lsclusters') is None:
        return None
    proc = subprocess.run([which('pg_lsclusters'), '-h'], capture_output=True, text=True, check=False)
    for line in proc.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[2] == str(port):
            return fields[0], fields[1]
    return None


def ensure_postgresql(
    host: str = '127.0.0.1',
    port: int = 5432,
    *,
    data_dir: str | os.PathLike | None = None,
    timeout: float = 60,
) -> tuple[Service, list[Action]]:
    """Make sure a PostgreSQL server listens on ``host:port``, starting one if needed.

    Parameters
    ----------
    host : str
        Listen address (loopback).
    port : int
        TCP port.
    data_dir : path-like, optional
        Data folder for a server created with ``initdb`` when no server runs and no Debian cluster uses ``port``.
        Default: ``/var/lib/postgresql/enatom-<port>`` as root, else ``~/.local/share/enatom/postgresql-<port>``.
    timeout : float
        Seconds to wait for the server to accept connections.

    Returns
    -------
    tuple
        The :class:`Service` and the list of :class:`Action`.

    Raises
    ------
    SetupError
        If PostgreSQL is not installed or cannot be started.
    """
    is_root = os.geteuid() == 0
    superuser = 'postgres' if is_root else (os.environ.get('USER') or 'postgres')
    cluster = _debian_cluster(port)

    if data_dir is None and cluster is not None:
        version, name = cluster
        service = Service(
            'postgresql',
            host,
            port,
            socket_dir=_DEBIAN_SOCKET_DIR,
            superuser='postgres',
            stop_commands=[['pg_ctlcluster', version, name, 'stop']],
        )
        if port_open(host, port):
            return service, [
                Action('found', f'PostgreSQL (Debian cluster {version}/{name}) is running on {host}:{port}')
            ]
        run_command([which('pg_ctlcluster') or 'pg_ctlcluster', version, name, 'start'], timeout=timeout)
        wait_for(lambda: port_open(host, port), timeout, f'PostgreSQL on {host}:{port}')
        service.started = True
        return service, [Action('started', f'PostgreSQL (Debian cluster {version}/{name}) on {host}:{port}')]

    if data_dir is None:
        data_dir = (
            pathlib.Path('/var/lib/postgresql') / f'enatom-{port}'
            if is_root
            else pathlib.Path.home() / '.local' / 'share' / 'enatom' / f'postgresql-{port}'
        )
    data_dir = pathlib.Path(data_dir).expanduser().resolve()
    pg_ctl = _pg_binary('pg_ctl')
    service = Service(
        'postgresql',
        host,
        port,
        socket_dir=str(data_dir),
        superuser=superuser,
        stop_commands=[as_user(superuser, [pg_ctl, '-D', str(data_dir), '-m', 'fast', '-w', 'stop'])],
    )
    if port_open(host, port):
        if (data_dir / 'postmaster.pid').is_file():
            return service, [Action('found', f'PostgreSQL ({data_dir}) is running on {host}:{port}')]
        raise SetupError(
            f'something else listens on {host}:{port}; choose another port with --postgres-port, or stop it'
        )

    actions: list[Action] = []
    if not (data_dir / 'PG_VERSION').is_file():
        data_dir.mkdir(parents=True, exist_ok=True)
        data_dir.chmod(0o700)
        if is_root:
            shutil.chown(data_dir, superuser, superuser)
        run_command(
            as_user(
                superuser,
                [
                    _pg_binary('initdb'),
                    '-D',
                    str(data_dir),
                    '-U',
                    superuser,
                    '--auth-local=peer',
                    '--auth-host=scram-sha-256',
                    '--encoding=UTF8',
                    '--locale=C.UTF-8',
                ],
            ),
            timeout=timeout,
        )
        actions.append(Action('created', f'PostgreSQL data folder {data_dir} (initdb)'))
    options = f'-p {port} -k {data_dir} -c listen_addresses={host}'
    run_command(
        as_user(
            superuser, [pg_ctl, '-D', str(data_dir), '-l', str(data_dir / 'server.log'), '-w', '-o', options, 'start']
        ),
        timeout=timeout,
    )
    wait_for(lambda: port_open(host, port), timeout, f'PostgreSQL on {host}:{port}')
    service.started = True
    actions.append(Action('started', f'PostgreSQL ({data_dir}) on {host}:{port}'))
    return service, actions


def admin_psql(service: Service, sql: str, *, database: str = 'postgres') -> str:
    """Run ``sql`` as the PostgreSQL superuser over the Unix socket and return the unaligned output."""
    psql = _pg_binary('psql')
    command = [
        psql,
        '-X',
        '-q',
        '-h',
        service.socket_dir or _DEBIAN_SOCKET_DIR,
        '-p',
        str(service.port),
        '-U',
        service.superuser or 'postgres',
        '-d',
        database,
        '-v',
        'ON_ERROR_STOP=1',
        '-tA',
        '-c',
        sql,
    ]
    return run_command(as_user(service.superuser or 'postgres', command)).strip()


def ensure_database(service: Service, name: str, password: str) -> list[Action]:
    """Create the login role ``name`` (with ``password``) and its database ``name``, UTF-8 with C.UTF-8 collation.

    An existing role gets the new password. An existing database is reused only if it holds no tables.

    Parameters
    ----------
    service : Service
        The PostgreSQL server (from :func:`ensure_postgresql`).
    name : str
        Role and database name: lower-case letters, digits and ``_``.
    password : str
        Password of the role (letters and digits).

    Returns
    -------
    list of Action

    Raises
    ------
    SetupError
        If the name or password is unsafe, the database exists and is not empty, or ``psql`` fails.
    """
    if not _IDENTIFIER.match(name) or not password.isalnum():
        raise SetupError(f'unsafe PostgreSQL role/database name {name!r} or password')
    actions = []
    if admin_psql(service, f"SELECT 1 FROM pg_roles WHERE rolname = '{name}'") == '1':
        admin_psql(service, f'ALTER ROLE "{name}" WITH LOGIN PASSWORD \'{password}\'')
        actions.append(Action('updated', f'PostgreSQL role {name!r}: new password'))
    else:
        admin_psql(service, f'CREATE ROLE "{name}" WITH LOGIN PASSWORD \'{password}\'')
        actions.append(Action('created', f'PostgreSQL role {name!r}'))
    if admin_psql(service, f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == '1':
        tables = admin_psql(
            service, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", database=name
        )
        if tables != '0':
            raise SetupError(
                f'PostgreSQL database {name!r} exists and is not empty (maybe of a deleted profile); drop it with '
                f'`dropdb {name}` or choose another --profile-name'
            )
        actions.append(Action('found', f'PostgreSQL database {name!r} (empty)'))
    else:
        admin_psql(
            service,
            f"CREATE DATABASE \"{name}\" OWNER \"{name}\" ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' "
            'TEMPLATE template0',
        )
        actions.append(Action('created', f'PostgreSQL database {name!r} (UTF8, C.UTF-8)'))
    return actions

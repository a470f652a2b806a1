"""Start PostgreSQL and RabbitMQ on the loopback interface for the production profile, idempotently.

PostgreSQL: a running server on the port is used as it is; otherwise the Debian cluster on that port is started
(``pg_ctlcluster``), or, if there is none, a data folder is created with ``initdb`` and started with ``pg_ctl``.
The role and database of a profile are created with ``C.UTF-8`` collation and ``TEMPLATE template0``, because
aiida-core's own code asks for ``en_US.UTF-8``, a locale that minimal Debian systems lack.

RabbitMQ: a running broker is used as it is (with a warning if its ``consumer_timeout`` is set); otherwise
``rabbitmq-server -detached`` is started with an ``advanced.config`` that sets ``consumer_timeout`` to
``undefined``, so that long AiiDA processes are not cut off after RabbitMQ's default 30 minutes.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Sequence

from aiida_enatom.setup.common import Action, SetupError

__all__ = (
    'ADVANCED_CONFIG',
    'Service',
    'admin_psql',
    'ensure_database',
    'ensure_postgresql',
    'ensure_rabbitmq',
    'install_debian_packages',
    'missing_debian_packages',
    'port_open',
    'rabbitmq_consumer_timeout',
    'rabbitmq_reachable',
)

ADVANCED_CONFIG = '[ {rabbit, [ {consumer_timeout, undefined} ]} ].\n'
"""RabbitMQ ``advanced.config`` that disables the consumer timeout (needed by AiiDA)."""

_SYSTEM_ADVANCED_CONFIG = pathlib.Path('/etc/rabbitmq/advanced.config')
_DEBIAN_SOCKET_DIR = '/var/run/postgresql'
_EXTRA_PATH = ('/usr/sbin', '/sbin', '/usr/lib/rabbitmq/bin')
_IDENTIFIER = re.compile(r'^[a-z_][a-z0-9_]{0,62}$')


@dataclasses.dataclass
class Service:
    """A service that :func:`ensure_postgresql` or :func:`ensure_rabbitmq` found or started.

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


def _which(name: str) -> str | None:
    path = os.pathsep.join([os.environ.get('PATH', ''), *_EXTRA_PATH])
    return shutil.which(name, path=path)


def _run(command: Sequence[str], *, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    """Run ``command``; return its stdout or raise :class:`SetupError` with its stderr."""
    try:
        proc = subprocess.run(
            list(command), capture_output=True, text=True, env=env, timeout=timeout, check=False, cwd='/'
        )
    except FileNotFoundError as exception:
        raise SetupError(f'command not found: {command[0]}') from exception
    except subprocess.TimeoutExpired as exception:
        raise SetupError(f'`{" ".join(command)}` did not finish within {timeout} s') from exception
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise SetupError(f'`{" ".join(command)}` failed: {" | ".join(detail[-3:]) or f"exit {proc.returncode}"}')
    return proc.stdout


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    """Return whether a TCP connection to ``host:port`` succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _wait_for(predicate, timeout: float, what: str, interval: float = 0.25) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise SetupError(f'{what} did not become ready within {timeout:.0f} s')


def missing_debian_packages(packages: Sequence[str]) -> list[str]:
    """Return the Debian packages of ``packages`` that are not installed (empty if ``dpkg`` is absent)."""
    if shutil.which('dpkg-query') is None:
        return []
    missing = []
    for package in packages:
        proc = subprocess.run(
            ['dpkg-query', '-W', '-f=${Status}', package], capture_output=True, text=True, check=False
        )
        if 'install ok installed' not in proc.stdout:
            missing.append(package)
    return missing


def install_debian_packages(packages: Sequence[str], *, timeout: float = 600) -> list[str]:
    """Install the missing ones of ``packages`` with ``apt-get`` (root only); return what was installed.

    Raises
    ------
    SetupError
        If packages are missing and this process is not root, or ``apt-get`` fails.
    """
    missing = missing_debian_packages(packages)
    if not missing:
        return []
    if os.geteuid() != 0 or shutil.which('apt-get') is None:
        raise SetupError(
            f'Debian packages missing: {" ".join(missing)}; install them with `apt-get install {" ".join(missing)}`'
        )
    env = {**os.environ, 'DEBIAN_FRONTEND': 'noninteractive'}
    command = ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', *missing]
    try:
        _run(command, env=env, timeout=timeout)
    except SetupError:
        _run(['apt-get', 'update', '-qq'], env=env, timeout=timeout)
        _run(command, env=env, timeout=timeout)
    return missing


# --------------------------------------------------------------------------------------------------- PostgreSQL


def _pg_binary(name: str) -> str:
    """Return the newest ``/usr/lib/postgresql/<version>/bin/<name>``, else ``<name>`` from ``PATH``."""
    versions = sorted(pathlib.Path('/usr/lib/postgresql').glob(f'*/bin/{name}'), key=lambda p: int(p.parts[-3]))
    if versions:
        return str(versions[-1])
    found = _which(name)
    if found is None:
        raise SetupError(f'PostgreSQL program {name} not found; install it with `apt-get install postgresql`')
    return found


def _debian_cluster(port: int) -> tuple[str, str] | None:
    """Return ``(version, name)`` of the Debian cluster configured on ``port``, if ``pg_lsclusters`` knows one."""
    if _which('pg_lsclusters') is None:
        return None
    proc = subprocess.run([_which('pg_lsclusters'), '-h'], capture_output=True, text=True, check=False)
    for line in proc.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[2] == str(port):
            return fields[0], fields[1]
    return None


def _as_user(user: str, command: list[str]) -> list[str]:
    """Prefix ``command`` so that it runs as ``user`` when this process is root and ``user`` is another account."""
    if os.geteuid() == 0 and user != 'root':
        return ['runuser', '-u', user, '--', *command]
    return command


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
        _run([_which('pg_ctlcluster') or 'pg_ctlcluster', version, name, 'start'], timeout=timeout)
        _wait_for(lambda: port_open(host, port), timeout, f'PostgreSQL on {host}:{port}')
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
        stop_commands=[_as_user(superuser, [pg_ctl, '-D', str(data_dir), '-m', 'fast', '-w', 'stop'])],
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
        _run(
            _as_user(
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
    _run(
        _as_user(
            superuser, [pg_ctl, '-D', str(data_dir), '-l', str(data_dir / 'server.log'), '-w', '-o', options, 'start']
        ),
        timeout=timeout,
    )
    _wait_for(lambda: port_open(host, port), timeout, f'PostgreSQL on {host}:{port}')
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
    return _run(_as_user(service.superuser or 'postgres', command)).strip()


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


# ----------------------------------------------------------------------------------------------------- RabbitMQ


def rabbitmq_reachable(host: str = '127.0.0.1', port: int = 5672) -> bool:
    """Return whether an AMQP connection with the default guest credentials succeeds."""
    if not port_open(host, port):
        return False
    from aiida.brokers.rabbitmq.defaults import detect_rabbitmq_config

    try:
        detect_rabbitmq_config(host=host, port=port)
    except ConnectionError:
        return False
    return True


def _rabbitmq_env(host: str, port: int, base_dir: pathlib.Path | None, advanced: pathlib.Path) -> dict[str, str]:
    env = {
        **os.environ,
        'RABBITMQ_NODE_IP_ADDRESS': host,
        'RABBITMQ_NODE_PORT': str(port),
        'RABBITMQ_ADVANCED_CONFIG_FILE': str(advanced),
    }
    if base_dir is not None:
        env['RABBITMQ_MNESIA_BASE'] = str(base_dir / 'mnesia')
        env['RABBITMQ_LOG_BASE'] = str(base_dir / 'log')
    return env


def rabbitmq_consumer_timeout() -> str | None:
    """Return RabbitMQ's ``consumer_timeout`` as reported by ``rabbitmqctl`` (``'undefined'`` if disabled).

    Returns ``None`` if ``rabbitmqctl`` is missing or cannot talk to the node (e.g. another user's node).
    """
    rabbitmqctl = _which('rabbitmqctl')
    if rabbitmqctl is None:
        return None
    proc = subprocess.run(
        [rabbitmqctl, 'eval', 'application:get_env(rabbit, consumer_timeout).'],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd='/',
    )
    match = re.search(r'\{ok,\s*([^}]+)\}', proc.stdout)
    if proc.returncode != 0:
        return None
    return match.group(1).strip() if match else 'undefined'


def _disable_consumer_timeout(value: str) -> list[Action]:
    """Set ``consumer_timeout`` to ``undefined`` in the running node and, if absent, in the system config file."""
    rabbitmqctl = _which('rabbitmqctl') or 'rabbitmqctl'
    fix = f'put `{ADVANCED_CONFIG.strip()}` in {_SYSTEM_ADVANCED_CONFIG} and restart RabbitMQ'
    try:
        _run([rabbitmqctl, 'eval', 'application:set_env(rabbit, consumer_timeout, undefined).'], timeout=60)
    except SetupError:
        return [Action('warning', f'RabbitMQ consumer_timeout is {value} ms (long AiiDA processes fail); {fix}')]
    actions = [Action('updated', f'RabbitMQ consumer_timeout was {value} ms; set to undefined in the running node')]
    if not _SYSTEM_ADVANCED_CONFIG.exists():
        try:
            _SYSTEM_ADVANCED_CONFIG.write_text(ADVANCED_CONFIG)
        except OSError:
            actions.append(Action('warning', f'the change is lost when RabbitMQ restarts: {fix}'))
        else:
            actions.append(Action('created', f'{_SYSTEM_ADVANCED_CONFIG} (consumer_timeout undefined after restarts)'))
    elif 'consumer_timeout' not in _SYSTEM_ADVANCED_CONFIG.read_text():
        actions.append(Action('warning', f'{_SYSTEM_ADVANCED_CONFIG} does not set consumer_timeout: {fix}'))
    return actions


def ensure_rabbitmq(
    host: str = '127.0.0.1',
    port: int = 5672,
    *,
    base_dir: str | os.PathLike | None = None,
    timeout: float = 90,
) -> tuple[Service, list[Action]]:
    """Make sure RabbitMQ accepts AMQP connections on ``host:port``, starting it if needed.

    Parameters
    ----------
    host : str
        Listen address (loopback).
    port : int
        AMQP port.
    base_dir : path-like, optional
        Folder for a private node's data, logs and ``advanced.config``. By default the system node is started
        with ``/etc/rabbitmq/advanced.config`` (written if it does not exist).
    timeout : float
        Seconds to wait for the broker.

    Returns
    -------
    tuple
        The :class:`Service` and the list of :class:`Action`.

    Raises
    ------
    SetupError
        If RabbitMQ is not installed or does not start.
    """
    rabbitmqctl = _which('rabbitmqctl') or 'rabbitmqctl'
    stop_commands = [[rabbitmqctl, 'stop']]
    if _which('epmd'):
        stop_commands.append([_which('epmd'), '-kill'])  # refuses to stop while other Erlang nodes are registered
    service = Service('rabbitmq', host, port, stop_commands=stop_commands)
    actions: list[Action] = []

    if rabbitmq_reachable(host, port):
        actions.append(Action('found', f'RabbitMQ is running on {host}:{port}'))
        value = rabbitmq_consumer_timeout()
        if value is not None and value != 'undefined':
            actions.extend(_disable_consumer_timeout(value))
        return service, actions
    if port_open(host, port):
        raise SetupError(f'something listens on {host}:{port} but does not speak AMQP as guest/guest')

    server = _which('rabbitmq-server')
    if server is None:
        raise SetupError('RabbitMQ is not installed: install it with `apt-get install rabbitmq-server`')

    base = pathlib.Path(base_dir).expanduser().resolve() if base_dir is not None else None
    if base is not None:
        for sub in ('mnesia', 'log'):
            (base / sub).mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                try:
                    shutil.chown(base / sub, 'rabbitmq', 'rabbitmq')
                except (LookupError, PermissionError):
                    pass
        advanced = base / 'advanced.config'
        if not advanced.is_file() or advanced.read_text() != ADVANCED_CONFIG:
            advanced.write_text(ADVANCED_CONFIG)
            actions.append(Action('created', f'{advanced} (consumer_timeout undefined)'))
        advanced.chmod(0o644)
    else:
        advanced = _SYSTEM_ADVANCED_CONFIG
        if not advanced.is_file():
            try:
                advanced.parent.mkdir(parents=True, exist_ok=True)
                advanced.write_text(ADVANCED_CONFIG)
            except PermissionError as exception:
                raise SetupError(
                    f'cannot write {advanced}; run as root, or give a private folder for RabbitMQ'
                ) from exception
            actions.append(Action('created', f'{advanced} (consumer_timeout undefined)'))
        elif 'consumer_timeout' not in advanced.read_text():
            actions.append(Action('warning', f'{advanced} exists and does not set consumer_timeout; left as it is'))

    _run([server, '-detached'], env=_rabbitmq_env(host, port, base, advanced), timeout=timeout)
    _wait_for(lambda: rabbitmq_reachable(host, port), timeout, f'RabbitMQ on {host}:{port}', interval=0.5)
    service.started = True
    actions.append(Action('started', f'RabbitMQ on {host}:{port}'))
    value = rabbitmq_consumer_timeout()
    if value is not None and value != 'undefined':
        actions.append(Action('warning', f'RabbitMQ started but consumer_timeout is {value}, not undefined'))
    return service, actions

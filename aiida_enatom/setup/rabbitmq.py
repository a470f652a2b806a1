"""Start RabbitMQ on the loopback interface for AiiDA, with ``consumer_timeout`` disabled, idempotently.

A running broker is used as it is (its ``consumer_timeout`` is disabled in the running node if it is set);
otherwise ``rabbitmq-server -detached`` is started with an ``advanced.config`` that sets ``consumer_timeout`` to
``undefined``, so that long AiiDA processes are not cut off after RabbitMQ's default 30 minutes.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import socket
import subprocess

from aiida_enatom.setup.commands import port_open, run_command, wait_for, which
from aiida_enatom.setup.common import Action, SetupError
from aiida_enatom.setup.service import Service

__all__ = ('ADVANCED_CONFIG', 'ensure_rabbitmq', 'rabbitmq_consumer_timeout', 'rabbitmq_reachable')

ADVANCED_CONFIG = '[ {rabbit, [ {consumer_timeout, undefined} ]} ].\n'
"""RabbitMQ ``advanced.config`` that disables the consumer timeout (needed by AiiDA)."""

_SYSTEM_ADVANCED_CONFIG = pathlib.Path('/etc/rabbitmq/advanced.config')
_DIST_PORT_OFFSET = 20000


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
    if port + _DIST_PORT_OFFSET > 65535:
        # RabbitMQ's inter-node port defaults to the AMQP port + 20000 and refuses to start when that exceeds 65535
        # (`invalid_dist_port_range`); any free port will do, the CLI tools find it through epmd
        with socket.socket() as probe:
            probe.bind((host, 0))
            env['RABBITMQ_DIST_PORT'] = str(probe.getsockname()[1])
    return env


def rabbitmq_consumer_timeout(timeout: float = 60) -> str | None:
    """Return RabbitMQ's ``consumer_timeout`` as reported by ``rabbitmqctl`` (``'undefined'`` if disabled).

    Returns ``None`` if ``rabbitmqctl`` is missing or cannot talk to the node (e.g. another user's node), or does not
    answer within ``timeout`` seconds (``rabbitmqctl`` starts an Erlang VM of its own, which can take minutes on a
    loaded machine: the broker then counts as found, with its ``consumer_timeout`` unknown).
    """
    rabbitmqctl = which('rabbitmqctl')
    if rabbitmqctl is None:
        return None
    try:
        proc = subprocess.run(
            [rabbitmqctl, 'eval', 'application:get_env(rabbit, consumer_timeout).'],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd='/',
        )
    except subprocess.TimeoutExpired:
        return None
    match = re.search(r'\{ok,\s*([^}]+)\}', proc.stdout)
    if proc.returncode != 0:
        return None
    return match.group(1).strip() if match else 'undefined'


def _disable_consumer_timeout(value: str) -> list[Action]:
    """Set ``consumer_timeout`` to ``undefined`` in the running node and, if absent, in the system config file."""
    rabbitmqctl = which('rabbitmqctl') or 'rabbitmqctl'
    fix = f'put `{ADVANCED_CONFIG.strip()}` in {_SYSTEM_ADVANCED_CONFIG} and restart RabbitMQ'
    try:
        run_command([rabbitmqctl, 'eval', 'application:set_env(rabbit, consumer_timeout, undefined).'], timeout=60)
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
    rabbitmqctl = which('rabbitmqctl') or 'rabbitmqctl'
    stop_commands = [[rabbitmqctl, 'stop']]
    if which('epmd'):
        stop_commands.append([which('epmd'), '-kill'])  # refuses to stop while other Erlang nodes are registered
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

    server = which('rabbitmq-server')
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

    run_command([server, '-detached'], env=_rabbitmq_env(host, port, base, advanced), timeout=timeout)
    wait_for(lambda: rabbitmq_reachable(host, port), timeout, f'RabbitMQ on {host}:{port}', interval=0.5)
    service.started = True
    actions.append(Action('started', f'RabbitMQ on {host}:{port}'))
    value = rabbitmq_consumer_timeout()
    if value is not None and value != 'undefined':
        actions.append(Action('warning', f'RabbitMQ started but consumer_timeout is {value}, not undefined'))
    return service, actions

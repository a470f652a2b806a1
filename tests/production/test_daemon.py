"""The production path for real: a pw.x scf submitted to the daemon of a PostgreSQL + RabbitMQ profile.

The production test starts PostgreSQL and RabbitMQ on 127.0.0.1 through ``aiida-enatom setup --production``
(the fixture installs the Debian packages first with ``apt-get`` if they are missing and this is root, as
``make system`` does), and stops them again afterwards if they were not running before.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import types

import pytest

from aiida_enatom.setup import FAMILY_LABEL
from aiida_enatom.setup.apt import missing_debian_packages
from tests.production.helpers import enatom, read_config, run_daemon_scf, short_tempdir, verdi

pytestmark = pytest.mark.requires_broker

SERVICE_PACKAGES = ('postgresql', 'rabbitmq-server')


@pytest.fixture
def aiida_path():
    path = short_tempdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def services():
    """Make sure PostgreSQL and RabbitMQ are installed; stop them at the end unless they were running before."""
    from aiida_enatom.setup import commands, postgres, rabbitmq

    _install_packages(SERVICE_PACKAGES)
    services = types.SimpleNamespace(
        port_open=commands.port_open,
        ensure_postgresql=postgres.ensure_postgresql,
        ensure_database=postgres.ensure_database,
        admin_psql=postgres.admin_psql,
        ensure_rabbitmq=rabbitmq.ensure_rabbitmq,
        rabbitmq_reachable=rabbitmq.rabbitmq_reachable,
        rabbitmq_consumer_timeout=rabbitmq.rabbitmq_consumer_timeout,
    )
    running_before = {
        'postgresql': services.port_open('127.0.0.1', 5432),
        'rabbitmq': services.rabbitmq_reachable('127.0.0.1', 5672),
    }
    yield services
    # stop what `aiida-enatom setup --production` started (in a subprocess), and only that
    if not running_before['postgresql'] and services.port_open('127.0.0.1', 5432):
        _stop(services.ensure_postgresql('127.0.0.1', 5432)[0], services)
    if not running_before['rabbitmq'] and services.port_open('127.0.0.1', 5672):
        _stop(services.ensure_rabbitmq('127.0.0.1', 5672)[0], services)


def _install_packages(packages: tuple[str, ...]) -> None:
    """Install the missing Debian ``packages`` with apt-get as ``make system`` does, or skip if that cannot be done."""
    missing = missing_debian_packages(packages)
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which('apt-get') is None:
        pytest.skip(f'Debian packages missing and not root: {" ".join(missing)} (run `make system`)')
    env = {**os.environ, 'DEBIAN_FRONTEND': 'noninteractive'}
    install = ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', *missing]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run(['apt-get', 'update', '-qq'], env=env, capture_output=True, check=False)
        proc = subprocess.run(install, env=env, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            pytest.skip(f'`apt-get install {" ".join(missing)}` failed: {proc.stderr.strip()[-200:]}')


def _stop(service, services) -> None:
    service.started = True
    service.stop()
    assert not services.port_open(service.host, service.port), f'{service.name} did not stop'


def test_production_profile_daemon(services, aiida_path):
    """setup --production: psql_dos + RabbitMQ profile (idempotent), daemon, submitted scf finishes OK."""
    profile = f'enatom-ci-{secrets.token_hex(4)}'
    database = 'aiida_' + profile.replace('-', '_')
    try:
        first = enatom(['setup', '--production', '--profile-name', profile], aiida_path)
        assert first.returncode == 0, first.stdout + first.stderr
        config = read_config(aiida_path)['profiles'][profile]
        assert config['storage']['backend'] == 'core.psql_dos'
        assert config['storage']['config']['database_hostname'] == '127.0.0.1'
        assert config['process_control']['backend'] == 'enatom.rabbitmq'
        assert config['options']['warnings.rabbitmq_version'] is False
        assert services.rabbitmq_consumer_timeout() in (None, 'undefined')

        second = enatom(['setup', '--production', '--profile-name', profile], aiida_path)
        assert second.returncode == 0, second.stdout + second.stderr
        assert 'nothing changed' in second.stdout
        assert read_config(aiida_path)['profiles'][profile] == config

        status = verdi(['-p', profile, 'status'], aiida_path, timeout=120)
        assert 'RabbitMQ v' in status.stdout, status.stdout + status.stderr
        assert 'is not supported' not in status.stdout + status.stderr

        result = run_daemon_scf(profile, FAMILY_LABEL, aiida_path)
        assert result['finished_ok'], result
        assert result['energy_ev'] < 0
    finally:
        pg, _ = services.ensure_postgresql('127.0.0.1', 5432)
        services.admin_psql(pg, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        services.admin_psql(pg, f'DROP ROLE IF EXISTS "{database}"')


def test_postgresql_initdb_fallback(services):
    """Without a running server or Debian cluster on the port, a data folder is initdb'd and started; idempotent."""
    import socket

    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    pg, actions = services.ensure_postgresql('127.0.0.1', port)
    try:
        assert [a.kind for a in actions] == ['created', 'started']
        assert [a.kind for a in services.ensure_postgresql('127.0.0.1', port)[1]] == ['found']
        name = 'aiida_enatom_probe'
        assert [a.kind for a in services.ensure_database(pg, name, 'secret1')] == ['created', 'created']
        assert [a.kind for a in services.ensure_database(pg, name, 'secret2')] == ['updated', 'found']
        collation = services.admin_psql(pg, f"SELECT datcollate FROM pg_database WHERE datname = '{name}'")
        assert collation == 'C.UTF-8'
    finally:
        assert pg.stop()
        assert not services.port_open('127.0.0.1', port)
        if pg.socket_dir and pg.socket_dir.startswith('/var/lib/postgresql/enatom-'):
            shutil.rmtree(pg.socket_dir, ignore_errors=True)

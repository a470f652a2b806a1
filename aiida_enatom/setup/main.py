"""``run_setup``: prepare profile, computer, codes and pseudopotential family in one idempotent call."""

from __future__ import annotations

import dataclasses
import os
import pathlib
import re
import secrets
from collections.abc import Callable

from aiida_enatom.setup.common import (
    DEFAULT_PROFILE_NAME,
    FAMILY_LABEL,
    PRODUCTION_PROFILE_NAME,
    Action,
    MissingExecutableError,
    SetupError,
)

__all__ = ('SetupResult', 'run_setup')


@dataclasses.dataclass
class SetupResult:
    """What :func:`run_setup` prepared.

    Attributes
    ----------
    profile_name : str
        The profile.
    config_folder : pathlib.Path
        The AiiDA configuration folder (``$AIIDA_PATH/.aiida``).
    family_label : str
        The up-to-date offline pseudopotential family.
    actions : list of Action
        Everything that was found or done, in order.
    """

    profile_name: str
    config_folder: pathlib.Path
    family_label: str
    actions: list[Action]

    @property
    def changed(self) -> bool:
        """Whether anything was created, updated or started."""
        return any(action.changed for action in self.actions)


def _database_name(profile_name: str) -> str:
    return 'aiida_' + re.sub(r'[^a-z0-9_]', '_', profile_name.lower())[:50]


def run_setup(
    *,
    aiida_path: str | os.PathLike | None = None,
    profile_name: str | None = None,
    production: bool = False,
    broker: bool = True,
    set_default: bool = False,
    force: bool = False,
    email: str = 'aiida@localhost',
    search_path: str | None = None,
    postgres_host: str = '127.0.0.1',
    postgres_port: int = 5432,
    rabbitmq_host: str = '127.0.0.1',
    rabbitmq_port: int = 5672,
    on_action: Callable[[Action], None] | None = None,
) -> SetupResult:
    """Prepare everything aiida-enatom needs on this machine; re-running changes nothing that is already right.

    The steps, in order: check that the QE executables and ``ld1.x`` are on ``PATH`` (before anything is
    changed); select the AiiDA configuration folder; for ``production``, start PostgreSQL and RabbitMQ if they are
    not running and create the profile's database; create or find the profile; create or check the ``localhost``
    computer and the codes ``pw``, ``ph``, ``q2r``, ``matdyn``, ``pp`` and ``projwfc``; build or find the offline
    pseudopotential family.

    Parameters
    ----------
    aiida_path : path-like, optional
        Folder holding ``.aiida``; default the ``AIIDA_PATH`` environment variable, else AiiDA's default (``~``).
    profile_name : str, optional
        Default ``'enatom'`` (``'enatom-production'`` with ``production``).
    production : bool
        ``core.psql_dos`` storage on PostgreSQL and aiida-enatom's ``enatom.rabbitmq`` broker (aiida-core's
        RabbitMQ broker, with one daemon worker per process), instead of ``core.sqlite_dos`` with the ZeroMQ broker.
    broker : bool
        Embedded profile only: configure the ZeroMQ broker (needed for the daemon and ``submit``).
    set_default : bool
        Make the profile the default even if another default profile exists.
    force : bool
        Rebuild a stale offline family under its own label.
    email : str
        Email of the profile's default user.
    search_path : str, optional
        Where to look for executables; default ``PATH``.
    postgres_host, postgres_port, rabbitmq_host, rabbitmq_port : str, int
        Production services (loopback, default ports).
    on_action : callable, optional
        Called with each :class:`Action` as it happens (for progress output).

    Returns
    -------
    SetupResult

    Raises
    ------
    MissingExecutableError
        If a QE executable or ``ld1.x`` is missing (nothing has been changed then).
    SetupError
        If any step fails; the message says what to do.
    """
    from aiida_enatom.setup import codes, family, postgres, profile, rabbitmq, sqlite_journal

    actions: list[Action] = []

    def record(new: list[Action]) -> None:
        for action in new:
            actions.append(action)
            if on_action is not None:
                on_action(action)

    profile_name = profile_name or (PRODUCTION_PROFILE_NAME if production else DEFAULT_PROFILE_NAME)

    try:
        executables = codes.find_executables(path=search_path)
    except MissingExecutableError as exception:
        missing = list(exception.missing)
        try:
            codes.find_executables({'ld1': 'ld1.x'}, path=search_path)
        except MissingExecutableError:
            missing.append('ld1.x')
        raise MissingExecutableError(missing) from None
    ld1 = codes.find_executables({'ld1': 'ld1.x'}, path=search_path)['ld1']
    record([Action('found', f'Quantum ESPRESSO executables in {executables["pw"].parent}')])

    config_folder = profile.use_aiida_path(aiida_path)
    record([Action('found', f'AiiDA configuration folder {config_folder}')])

    if production:
        from aiida.manage.configuration import get_config

        pg, new = postgres.ensure_postgresql(postgres_host, postgres_port)
        record(new)
        _, new = rabbitmq.ensure_rabbitmq(rabbitmq_host, rabbitmq_port)
        record(new)
        storage_config: dict = {}
        if profile_name not in get_config(create=True).profile_names:
            name = _database_name(profile_name)
            password = secrets.token_hex(16)
            record(postgres.ensure_database(pg, name, password))
            storage_config = {
                'database_hostname': postgres_host,
                'database_port': postgres_port,
                'database_name': name,
                'database_username': name,
                'database_password': password,
                'repository_uri': (config_folder / 'repository' / profile_name).as_uri(),
            }
        from aiida.brokers.rabbitmq.defaults import detect_rabbitmq_config

        try:
            broker_config = detect_rabbitmq_config(host=rabbitmq_host, port=rabbitmq_port)
        except ConnectionError as exception:
            raise SetupError(f'RabbitMQ on {rabbitmq_host}:{rabbitmq_port} is not reachable: {exception}') from None
        loaded, new = profile.ensure_profile(
            profile_name,
            storage_backend='core.psql_dos',
            storage_config=storage_config,
            broker_backend=profile.EXCLUSIVE_RABBITMQ,
            broker_config=broker_config,
            set_default=set_default,
            email=email,
            options={'warnings.rabbitmq_version': False},
        )
    else:
        loaded, new = profile.ensure_profile(
            profile_name,
            storage_backend='core.sqlite_dos',
            broker_backend='core.zeromq' if broker else None,
            broker_config=profile.zeromq_broker_config() if broker else None,
            set_default=set_default,
            email=email,
        )
        new = [*new, *sqlite_journal.ensure_wal(loaded.storage_config['filepath'])]
    record(new)

    computer, new = codes.ensure_computer(config_folder / 'scratch' / loaded.name)
    record(new)
    _, new = codes.ensure_codes(computer, executables)
    record(new)
    label, new = family.ensure_offline_family(FAMILY_LABEL, force=force, ld1=str(ld1))
    record(new)
    return SetupResult(profile_name=loaded.name, config_folder=config_folder, family_label=label, actions=actions)

"""Select the AiiDA configuration folder and create or find the aiida-enatom profile."""

from __future__ import annotations

import os
import pathlib
from typing import TYPE_CHECKING, Any

from aiida_enatom.setup.common import Action, SetupError

if TYPE_CHECKING:
    from aiida.manage.configuration import Profile

__all__ = ('config_folder_for', 'ensure_profile', 'use_aiida_path', 'zeromq_broker_config')

_CONFIG_DIR_NAME = '.aiida'


def config_folder_for(aiida_path: str | os.PathLike | None) -> pathlib.Path:
    """Return the AiiDA configuration folder that an ``AIIDA_PATH`` value designates.

    Parameters
    ----------
    aiida_path : str or path-like, optional
        A folder that holds (or will hold) ``.aiida``, or the ``.aiida`` folder itself. ``None`` means the folder
        AiiDA itself uses (from the ``AIIDA_PATH`` environment variable, else ``~/.aiida``).

    Returns
    -------
    pathlib.Path
        Absolute path of the configuration folder.
    """
    if aiida_path is None:
        from aiida.manage.configuration.settings import AiiDAConfigDir

        return AiiDAConfigDir.get()
    path = pathlib.Path(aiida_path).expanduser().resolve()
    return path if path.name == _CONFIG_DIR_NAME else path / _CONFIG_DIR_NAME


def use_aiida_path(aiida_path: str | os.PathLike | None) -> pathlib.Path:
    """Point this process's AiiDA at the configuration folder of ``aiida_path`` and return that folder.

    Any profile loaded from another folder is unloaded first. ``AIIDA_PATH`` is also set in ``os.environ`` so that
    subprocesses (``verdi``, the daemon) see the same folder.

    Parameters
    ----------
    aiida_path : str or path-like, optional
        See :func:`config_folder_for`; ``None`` keeps the current folder.

    Returns
    -------
    pathlib.Path
        The configuration folder now in use (created if missing).
    """
    from aiida.manage import get_manager
    from aiida.manage.configuration import reset_config
    from aiida.manage.configuration.settings import AiiDAConfigDir

    folder = config_folder_for(aiida_path)
    if aiida_path is not None and folder != AiiDAConfigDir.get():
        get_manager().unload_profile()
        reset_config()
        AiiDAConfigDir.set(folder)
        os.environ['AIIDA_PATH'] = str(folder.parent)
    else:
        AiiDAConfigDir.set(folder)
    return folder


def zeromq_broker_config() -> dict[str, Any]:
    """Return the default configuration of aiida-core's ZeroMQ broker (``core.zeromq``)."""
    from aiida.plugins import BrokerFactory

    return BrokerFactory('core.zeromq').get_default_config()


def _broker_description(backend: str | None) -> str:
    return {
        None: 'no broker',
        'core.zeromq': 'ZeroMQ broker',
        'core.rabbitmq': 'RabbitMQ broker',
        EXCLUSIVE_RABBITMQ: 'RabbitMQ broker, one worker per process',
    }.get(backend, f'broker {backend}')


#: aiida-enatom's RabbitMQ broker plugin (:mod:`aiida_enatom.brokers.rabbitmq`): ``core.rabbitmq`` plus leases.
EXCLUSIVE_RABBITMQ = 'enatom.rabbitmq'


def ensure_profile(
    name: str,
    *,
    storage_backend: str,
    storage_config: dict[str, Any] | None = None,
    broker_backend: str | None,
    broker_config: dict[str, Any] | None = None,
    set_default: bool = False,
    email: str = 'aiida@localhost',
    options: dict[str, Any] | None = None,
) -> tuple[Profile, list[Action]]:
    """Create the profile ``name`` if it does not exist, make it the default if asked, and load it.

    An existing profile is never modified, except for the options in ``options`` that differ, the default
    profile when ``set_default`` is true, and a ``core.rabbitmq`` broker when ``enatom.rabbitmq`` is asked for (the
    same broker and configuration plus the process leases of :mod:`aiida_enatom.brokers.rabbitmq`). If no profile
    exists yet, the new one becomes the default; otherwise the default profile is left alone unless ``set_default``
    is true.

    Parameters
    ----------
    name : str
        Profile name.
    storage_backend : str
        ``'core.sqlite_dos'`` or ``'core.psql_dos'``.
    storage_config : dict, optional
        Storage configuration (empty for SQLite: AiiDA picks a folder under the configuration folder).
    broker_backend : str or None
        ``'core.zeromq'``, ``'core.rabbitmq'``, ``'enatom.rabbitmq'`` or ``None``.
    broker_config : dict, optional
        Broker configuration (``broker_*`` keys for RabbitMQ).
    set_default : bool
        Make the profile the default even if another default exists.
    email : str
        Email of the profile's default user.
    options : dict, optional
        Profile-scoped configuration options, e.g. ``{'warnings.rabbitmq_version': False}``.

    Returns
    -------
    tuple
        The loaded :class:`~aiida.manage.configuration.Profile` and the list of :class:`Action`.

    Raises
    ------
    SetupError
        If a profile of that name exists with another storage backend, or the storage cannot be initialised.
    """
    from aiida.common import exceptions
    from aiida.manage.configuration import create_profile, get_config, load_profile

    actions: list[Action] = []
    config = get_config(create=True)
    options = {'runner.poll.interval': 1, **(options or {})}

    if name in config.profile_names:
        profile = config.get_profile(name)
        if profile.storage_backend != storage_backend:
            raise SetupError(
                f'profile {name!r} already exists with storage {profile.storage_backend}, not {storage_backend}; '
                'it was left untouched: choose another name with --profile-name'
            )
        actions.append(
            Action(
                'found',
                f'profile {name!r} ({profile.storage_backend}, '
                f'{_broker_description(profile.process_control_backend)}) exists',
            )
        )
        if profile.process_control_backend == 'core.rabbitmq' and broker_backend == EXCLUSIVE_RABBITMQ:
            # the same broker and configuration, with leases that stop two daemon workers running one process
            profile.set_process_controller(EXCLUSIVE_RABBITMQ, profile.process_control_config)
            config.update_profile(profile)
            config.store()
            actions.append(
                Action(
                    'updated',
                    f'profile {name!r}: broker core.rabbitmq -> {EXCLUSIVE_RABBITMQ} (same RabbitMQ; a process runs '
                    'in one daemon worker at a time; restart the daemon to use it)',
                )
            )
        elif profile.process_control_backend != broker_backend:
            actions.append(
                Action(
                    'warning',
                    f'profile {name!r} uses {_broker_description(profile.process_control_backend)}, not the requested '
                    f'{_broker_description(broker_backend)}; left as it is (change it with '
                    f'`verdi -p {name} profile configure-broker`)',
                )
            )
        # Only options that setup itself sets on new profiles are checked; ``runner.poll.interval`` is a preference.
        options.pop('runner.poll.interval')
    else:
        is_first = not config.profile_names
        try:
            profile = create_profile(
                config,
                name=name,
                email=email,
                storage_backend=storage_backend,
                storage_config=storage_config or {},
                broker_backend=broker_backend,
                broker_config=broker_config,
            )
        except (ValueError, TypeError, exceptions.EntryPointError, exceptions.StorageMigrationError) as exception:
            raise SetupError(f'cannot create profile {name!r}: {exception}') from exception
        actions.append(
            Action('created', f'profile {name!r} ({storage_backend}, {_broker_description(broker_backend)})')
        )
        if is_first:
            set_default = True

    for option, value in options.items():
        if config.get_option(option, scope=name) != value:
            config.set_option(option, value, scope=name)
            actions.append(Action('updated', f'option {option} = {value} for profile {name!r}'))

    if config.default_profile_name == name:
        actions.append(Action('found', f'profile {name!r} is the default profile'))
    elif set_default:
        previous = config.default_profile_name
        config.set_default_profile(name, overwrite=True)
        actions.append(
            Action('updated', f'profile {name!r} is now the default' + (f' (was {previous!r})' if previous else ''))
        )
    else:
        actions.append(
            Action(
                'found',
                f'default profile {config.default_profile_name!r} left unchanged; use `-p {name}` or --set-default',
            )
        )
    config.store()
    profile = load_profile(name, allow_switch=True)
    return profile, actions

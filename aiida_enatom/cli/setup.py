"""``aiida-enatom setup``: prepare the AiiDA profile, computer, QE codes and pseudopotential family in one command."""

from __future__ import annotations

import click
from aiida.cmdline.utils import echo

__all__ = ('cmd_setup',)

_ECHO = {
    'found': echo.echo_report,
    'created': echo.echo_success,
    'updated': echo.echo_success,
    'started': echo.echo_success,
    'warning': echo.echo_warning,
}


@click.command('setup')
@click.option(
    '--aiida-path',
    type=click.Path(file_okay=False, writable=True),
    default=None,
    help='Folder that holds (or will hold) the AiiDA configuration folder `.aiida`. '
    "[default: the AIIDA_PATH environment variable, else AiiDA's default: your home folder]",
)
@click.option(
    '--profile-name',
    default=None,
    help="Profile to create or check. [default: 'enatom'; 'enatom-production' with --production]",
)
@click.option(
    '--set-default', is_flag=True, help='Make the profile the default even if another default profile exists.'
)
@click.option(
    '--no-broker',
    is_flag=True,
    help='Embedded profile without the ZeroMQ broker: processes can only be run in-process (no daemon, no submit).',
)
@click.option(
    '--production',
    is_flag=True,
    help='PostgreSQL storage (core.psql_dos) and RabbitMQ broker on 127.0.0.1, started here if not running.',
)
@click.option('--force', is_flag=True, help='Rebuild a stale offline pseudopotential family under its own label.')
@click.option('--email', default='aiida@localhost', show_default=True, help="Email of the profile's default user.")
@click.option('--postgres-port', type=click.IntRange(1, 65535), default=5432, show_default=True)
@click.option('--rabbitmq-port', type=click.IntRange(1, 65535), default=5672, show_default=True)
def cmd_setup(
    aiida_path: str | None,
    profile_name: str | None,
    set_default: bool,
    no_broker: bool,
    production: bool,
    force: bool,
    email: str,
    postgres_port: int,
    rabbitmq_port: int,
) -> None:
    """Prepare everything aiida-enatom needs on this machine (safe to run again).

    \b
    Creates or checks, and reports what it found or did:
    * an AiiDA profile: SQLite storage with the ZeroMQ broker (embedded default), or PostgreSQL + RabbitMQ
      (--production); an existing default profile stays the default unless --set-default;
    * the `localhost` computer, with the prepend text that lets OpenMPI run as root;
    * the codes pw, ph, q2r, matdyn, pp and projwfc (@localhost) of the QE executables on PATH;
    * the offline pseudopotential family `enatom-pbe-offline`, generated with ld1.x.
    """
    from aiida_enatom.exceptions import EnatomError
    from aiida_enatom.setup.main import run_setup

    if production and no_broker:
        raise click.BadParameter('--production always uses RabbitMQ; drop --no-broker', param_hint='--no-broker')
    try:
        result = run_setup(
            aiida_path=aiida_path,
            profile_name=profile_name,
            production=production,
            broker=not no_broker,
            set_default=set_default,
            force=force,
            email=email,
            postgres_port=postgres_port,
            rabbitmq_port=rabbitmq_port,
            on_action=lambda action: _ECHO.get(action.kind, echo.echo)(action.message),
        )
    except EnatomError as exception:
        echo.echo_critical(str(exception))
    except OSError as exception:
        echo.echo_critical(f'setup failed: {exception}')

    state = 'ready' if result.changed else 'already set up; nothing changed'
    path_hint = f'AIIDA_PATH={result.config_folder.parent} '
    echo.echo_success(
        f'aiida-enatom {state}: profile {result.profile_name!r}, family {result.family_label!r} '
        f'(e.g. `{path_hint}verdi -p {result.profile_name} status`)'
    )

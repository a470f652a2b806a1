"""``aiida-enatom setup``: prepare profile, computer, QE codes and pseudopotentials; ``setup computer``/``codes``."""

from __future__ import annotations

import click
from aiida.cmdline.utils import echo

from aiida_enatom.cli import utils

__all__ = ('cmd_codes', 'cmd_computer', 'cmd_setup')

_ECHO = {
    'found': echo.echo_report,
    'created': echo.echo_success,
    'updated': echo.echo_success,
    'started': echo.echo_success,
    'warning': echo.echo_warning,
}


@click.group('setup', invoke_without_command=True)
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
@click.pass_context
def cmd_setup(
    ctx: click.Context,
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

    `setup computer` adds a batch-scheduler computer (SLURM) with the QE codes to a profile; `setup codes` registers
    the QE codes on a computer made with `verdi computer setup`.
    """
    if ctx.invoked_subcommand is not None:
        return
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


def _report(actions) -> None:
    for action in actions:
        _ECHO.get(action.kind, echo.echo)(action.message)


def _parse_memory(value: str | None) -> int | None:
    """``'4000'``/``'4000MB'``/``'4GB'`` → kB, or ``None``."""
    if value is None:
        return None
    text = value.strip().upper().removesuffix('B')
    factor = {'K': 1, 'M': 1024, 'G': 1024**2}.get(text[-1:], 1024)
    number = text[:-1] if text[-1:] in 'KMG' else text
    try:
        kb = int(float(number) * factor)
    except ValueError:
        raise click.BadParameter(
            f'{value!r} is not a memory size; give e.g. 4000MB or 4GB', param_hint='--memory'
        ) from None
    if kb <= 0:
        raise click.BadParameter(f'{value!r} is not positive', param_hint='--memory')
    return kb


def _register_codes(computer, executables) -> None:
    from aiida_enatom.setup.codes import ensure_codes

    _, actions = ensure_codes(computer, executables)
    _report(actions)


@cmd_setup.command('computer')
@click.argument('label')
@click.option(
    '--scheduler',
    type=click.Choice(['slurm', 'pbspro', 'torque', 'sge', 'lsf', 'direct']),
    default='slurm',
    show_default=True,
    help='Batch scheduler of the computer (AiiDA plugin core.<name>).',
)
@click.option(
    '--transport',
    type=click.Choice(['local', 'ssh', 'ssh_async']),
    default='local',
    show_default=True,
    help='local: AiiDA runs on the cluster (login node); ssh, ssh_async: AiiDA connects from this machine '
    '(ssh_async takes user and key from ~/.ssh/config for --hostname).',
)
@click.option('--hostname', default='localhost', show_default=True, help='Host of the scheduler (ssh only).')
@click.option(
    '--workdir',
    required=True,
    help='Scratch folder of the calculations on the cluster, e.g. /scratch/{username}/aiida.',
)
@click.option(
    '--mpirun',
    type=click.Choice(['srun', 'mpirun']),
    default=None,
    help="MPI launcher in the job scripts; srun needs an MPI library built with SLURM's PMI/PMIx support. "
    '[default: mpirun]',
)
@click.option(
    '--mpiprocs-per-machine',
    type=click.IntRange(1, 4096),
    default=2,
    show_default=True,
    help="MPI ranks per node of every pw.x/ph.x run (a multiple of the protocols' 2 k-point pools).",
)
@click.option('--memory', default=None, help='Memory per node requested from the scheduler, e.g. 8GB.')
@click.option(
    '--env',
    'env',
    multiple=True,
    default=('OMP_NUM_THREADS=1',),
    show_default=True,
    help='NAME=value exported in every job script (repeat; replaces the default).',
)
@click.option('--prepend', multiple=True, help='Another line of every job script, e.g. "module load qe" (repeat).')
@click.option(
    '--qe-bin',
    default=None,
    help='Folder of pw.x etc. on the cluster. [default: local: found on PATH; ssh: pw.x etc. on the job PATH]',
)
@click.option(
    '--login-shell/--no-login-shell',
    default=None,
    help='Run the scheduler commands in a login shell (sources the profile scripts on every call). '
    '[default: no with local, yes with ssh]',
)
@click.option('--no-codes', is_flag=True, help='Create the computer only.')
@click.option('--ssh-username', default=None, help='ssh only: login name on the cluster.')
@click.option('--ssh-key', default=None, help='ssh only: private key file.')
@click.option('--ssh-port', type=click.IntRange(1, 65535), default=22, show_default=True)
@utils.with_dbenv()
def cmd_computer(
    label: str,
    scheduler: str,
    transport: str,
    hostname: str,
    workdir: str,
    mpirun: str | None,
    mpiprocs_per_machine: int,
    memory: str | None,
    env: tuple[str, ...],
    prepend: tuple[str, ...],
    qe_bin: str | None,
    login_shell: bool | None,
    no_codes: bool,
    ssh_username: str | None,
    ssh_key: str | None,
    ssh_port: int,
) -> None:
    """Create or check the computer LABEL of a batch scheduler and register the QE codes on it (safe to run again).

    \b
    Example, on a cluster's login node (AiiDA and the daemon run there):
      aiida-enatom setup computer cluster --workdir /scratch/{username}/aiida
        --mpiprocs-per-machine 32 --prepend "module load qe" --qe-bin /opt/qe/bin
    The codes are pw@LABEL, ph@LABEL, ...; a campaign uses them with `codes: {pw: pw@LABEL, ...}`.
    Walltime, queue and account are run options (metadata.options), not part of the computer.
    The process that calls sbatch/squeue (the daemon) needs the scheduler's environment (e.g. SLURM_CONF).
    """
    from aiida_enatom.exceptions import EnatomError
    from aiida_enatom.setup.computer import ComputerSpec, ensure_scheduler_computer, executables_for

    auth: dict[str, object] = {}
    if transport == 'ssh_async':
        if ssh_username or ssh_key:
            raise click.BadParameter(
                'ssh_async reads User and IdentityFile from ~/.ssh/config; drop them',
                param_hint='--ssh-username/--ssh-key',
            )
        auth = {'host': hostname}
    elif transport == 'ssh':
        auth = {'port': ssh_port, 'look_for_keys': ssh_key is None}
        if ssh_username:
            auth['username'] = ssh_username
        if ssh_key:
            auth['key_filename'] = ssh_key
    elif ssh_username or ssh_key:
        raise click.BadParameter('only with --transport ssh', param_hint='--ssh-username/--ssh-key')
    auth['use_login_shell'] = transport != 'local' if login_shell is None else login_shell
    try:
        spec = ComputerSpec(
            label=label,
            hostname=hostname,
            workdir=workdir,
            scheduler=f'core.{scheduler}',
            transport=f'core.{transport}',
            mpirun=mpirun or 'mpirun',
            mpiprocs_per_machine=mpiprocs_per_machine,
            memory_per_machine_kb=_parse_memory(memory),
            env=tuple(env),
            prepend_lines=tuple(prepend),
        )
        executables = None if no_codes else executables_for(spec.transport, qe_bin, hostname=hostname)
        computer, actions = ensure_scheduler_computer(spec, auth=auth)
        _report(actions)
        if executables is not None:
            _register_codes(computer, executables)
    except EnatomError as exception:
        echo.echo_critical(str(exception))
    echo.echo_success(f'computer {label!r} ready (e.g. `verdi computer test {label}`)')


@cmd_setup.command('codes')
@click.argument('computer_label')
@click.option('--qe-bin', default=None, help='Folder of pw.x etc. on the computer. [default: as `setup computer`]')
@utils.with_dbenv()
def cmd_codes(computer_label: str, qe_bin: str | None) -> None:
    """Register the QE codes pw, ph, q2r, matdyn, pp, projwfc on COMPUTER_LABEL (e.g. from `verdi computer setup`)."""
    from aiida import orm
    from aiida.common.exceptions import NotExistent

    from aiida_enatom.exceptions import EnatomError
    from aiida_enatom.setup.computer import executables_for

    try:
        computer = orm.load_computer(computer_label)
    except NotExistent:
        echo.echo_critical(f'no computer {computer_label!r}; create it with `aiida-enatom setup computer` first')
    try:
        _register_codes(computer, executables_for(computer.transport_type, qe_bin, hostname=computer.hostname))
    except EnatomError as exception:
        echo.echo_critical(str(exception))
    echo.echo_success(f'QE codes on {computer_label!r} ready')

"""A batch-scheduler computer (SLURM by default) with the QE codes on it, created or checked idempotently.

What a cluster run needs from the computer, and only that: the transport (``core.local`` when AiiDA runs on the
login node, ``core.ssh`` from a laptop or workstation), the scheduler, the work folder, the MPI launcher (``srun``
or ``mpirun``), the ranks per node (``default_mpiprocs_per_machine``, which every MPI calculation uses unless its
options say otherwise) and the prepend text of every job script (``module load``, ``OMP_NUM_THREADS=1``).
Walltime, queue and account are per run (``metadata.options``), not per computer.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from aiida_enatom.setup.common import QE_EXECUTABLES, Action, SetupError

if TYPE_CHECKING:
    from aiida import orm

__all__ = (
    'MPIRUN_COMMANDS',
    'PROTOCOL_POOLS',
    'SCHEDULERS',
    'TRANSPORTS',
    'ComputerSpec',
    'ensure_scheduler_computer',
    'executables_for',
)

SCHEDULERS = ('core.slurm', 'core.pbspro', 'core.torque', 'core.sge', 'core.lsf', 'core.direct')
"""Scheduler plugins of aiida-core that ``setup computer`` accepts (``--scheduler slurm`` means ``core.slurm``)."""

TRANSPORTS = ('core.local', 'core.ssh', 'core.ssh_async')
"""Transport plugins: ``core.local`` on the cluster itself, ``core.ssh`` or ``core.ssh_async`` (aiida-core >= 2.7,
login details from ``~/.ssh/config``) from elsewhere."""

MPIRUN_COMMANDS = {
    'srun': ['srun', '-n', '{tot_num_mpiprocs}'],
    'mpirun': ['mpirun', '-np', '{tot_num_mpiprocs}'],
}
"""MPI launchers: ``mpirun`` works under every scheduler; ``srun`` starts the ranks itself and needs an MPI library
built with SLURM's PMI/PMIx support (Debian's OpenMPI with Debian's SLURM fails with "OMPI was not built with SLURM's
PMI support" unless ``libpmix-dev`` is installed)."""

PROTOCOL_POOLS = 2
"""k-point pools of the pw.x and ph.x runs in the protocols (``npool``/``-nk``): the ranks must be a multiple."""

_LABEL = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$')
_ENV = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*=[^\s\'"`\\;&|<>]*$')


@dataclasses.dataclass(frozen=True)
class ComputerSpec:
    """What ``aiida-enatom setup computer`` creates.

    Attributes
    ----------
    label : str
        Computer label (letters, digits, ``_``, ``.``, ``-``).
    hostname : str
        Host that runs the scheduler commands (``localhost`` for ``core.local``).
    workdir : str
        Scratch folder of the calculations on that host; ``{username}`` is replaced by AiiDA.
    scheduler : str
        One of :data:`SCHEDULERS`.
    transport : str
        One of :data:`TRANSPORTS`.
    mpirun : str
        A key of :data:`MPIRUN_COMMANDS`.
    mpiprocs_per_machine : int
        Ranks per node of every MPI calculation, unless its options say otherwise.
    memory_per_machine_kb : int or None
        Memory per node requested from the scheduler, in kB (``None``: the scheduler's default).
    env : tuple of str
        ``NAME=value`` lines exported in every job script (the environment of the QE runs).
    prepend_lines : tuple of str
        Other lines of the job scripts' prepend text, e.g. ``module load quantum-espresso``.
    description : str
        Free text.
    """

    label: str
    hostname: str = 'localhost'
    workdir: str = '/tmp/aiida/{username}'
    scheduler: str = 'core.slurm'
    transport: str = 'core.local'
    mpirun: str = 'mpirun'
    mpiprocs_per_machine: int = PROTOCOL_POOLS
    memory_per_machine_kb: int | None = None
    env: tuple[str, ...] = ('OMP_NUM_THREADS=1',)
    prepend_lines: tuple[str, ...] = ()
    description: str = ''

    def __post_init__(self) -> None:
        if not _LABEL.match(self.label):
            raise SetupError(f'computer label {self.label!r} is invalid; use letters, digits, _, . and - (<= 63)')
        if self.scheduler not in SCHEDULERS:
            raise SetupError(f'scheduler {self.scheduler!r} is not supported; choose one of {", ".join(SCHEDULERS)}')
        if self.transport not in TRANSPORTS:
            raise SetupError(f'transport {self.transport!r} is not supported; choose one of {", ".join(TRANSPORTS)}')
        if self.mpirun not in MPIRUN_COMMANDS:
            raise SetupError(f'MPI launcher {self.mpirun!r} is not supported; choose {" or ".join(MPIRUN_COMMANDS)}')
        if self.mpirun == 'srun' and self.scheduler != 'core.slurm':
            raise SetupError(f'--mpirun srun needs the SLURM scheduler, not {self.scheduler}; use --mpirun mpirun')
        if not 1 <= self.mpiprocs_per_machine <= 4096:
            raise SetupError(f'ranks per machine {self.mpiprocs_per_machine} is out of range; give 1 to 4096')
        if self.memory_per_machine_kb is not None and self.memory_per_machine_kb <= 0:
            raise SetupError(f'memory per machine {self.memory_per_machine_kb} kB is not positive')
        if not self.workdir.startswith('/'):
            raise SetupError(f'work folder {self.workdir!r} is not absolute; give e.g. /scratch/{{username}}/aiida')
        if any(char in self.workdir for char in '\n\'"`$;&|<> '):
            raise SetupError(f'work folder {self.workdir!r} contains spaces, quotes or shell characters')
        if self.transport == 'core.local' and self.hostname != 'localhost':
            raise SetupError(f'core.local runs on this machine: hostname must be localhost, not {self.hostname!r}')
        for line in self.env:
            if not _ENV.match(line):
                raise SetupError(f'--env {line!r} is not NAME=value without spaces, quotes or shell characters')
        for line in self.prepend_lines:
            if '\n' in line:
                raise SetupError(f'prepend line {line!r} contains a newline; give one --prepend per line')

    @property
    def prepend_text(self) -> str:
        """The job scripts' prepend text: the ``export`` lines of :attr:`env`, then :attr:`prepend_lines`."""
        lines = [f'export {line}' for line in self.env] + list(self.prepend_lines)
        return '\n'.join(lines)

    @property
    def pools_warning(self) -> str | None:
        """A message if :attr:`mpiprocs_per_machine` is not a multiple of :data:`PROTOCOL_POOLS`."""
        if self.mpiprocs_per_machine % PROTOCOL_POOLS:
            return (
                f'{self.mpiprocs_per_machine} ranks per machine is not a multiple of the {PROTOCOL_POOLS} k-point '
                'pools of the protocols: pw.x/ph.x stop with "invalid number of pools" unless each run asks for an '
                'even number of ranks (options) or overrides npool'
            )
        return None


def executables_for(
    transport: str, qe_bin: str | None, *, hostname: str = 'the computer', search_path: str | None = None
) -> dict[str, pathlib.Path]:
    """Return the code label → executable path of the QE codes on a computer.

    Parameters
    ----------
    transport : str
        ``'core.local'`` (paths are checked here) or another transport (paths are taken as given).
    qe_bin : str or None
        Folder of the executables on the computer. ``None``: with ``core.local``, the executables found on this
        machine's ``PATH``; otherwise bare names (``pw.x``) that the job scripts find on the cluster's ``PATH``
        after the prepend text (``module load ...``).
    hostname : str
        For the messages.
    search_path : str, optional
        ``PATH`` to search with ``core.local`` and no ``qe_bin``.

    Raises
    ------
    SetupError
        If ``qe_bin`` is relative, or with ``core.local`` an executable does not exist.
    """
    from aiida_enatom.setup.codes import find_executables

    if qe_bin is None:
        if transport == 'core.local':
            return find_executables(path=search_path)
        return {label: pathlib.Path(name) for label, name in QE_EXECUTABLES.items()}
    folder = pathlib.PurePosixPath(qe_bin)
    if not folder.is_absolute():
        raise SetupError(f'--qe-bin {qe_bin!r} is not an absolute path; give the folder of pw.x on {hostname}')
    if transport == 'core.local':
        return find_executables(path=str(folder))
    return {label: pathlib.Path(folder / name) for label, name in QE_EXECUTABLES.items()}


def _check_immutable(computer: orm.Computer, spec: ComputerSpec) -> None:
    actual = (computer.hostname, computer.transport_type, computer.scheduler_type)
    wanted = (spec.hostname, spec.transport, spec.scheduler)
    if actual != wanted:
        raise SetupError(
            f'computer {spec.label!r} exists with hostname/transport/scheduler {"/".join(actual)}, not '
            f'{"/".join(wanted)}; it was left untouched (choose another label)'
        )


def _apply_settings(computer: orm.Computer, spec: ComputerSpec, created: bool) -> list[Action]:
    """Set the launcher, ranks, memory and prepend text; return an ``updated`` action per change of a stored one."""
    changes = []
    wanted = {
        'MPI launcher': (computer.get_mpirun_command(), MPIRUN_COMMANDS[spec.mpirun], computer.set_mpirun_command),
        'ranks per machine': (
            computer.get_default_mpiprocs_per_machine(),
            spec.mpiprocs_per_machine,
            computer.set_default_mpiprocs_per_machine,
        ),
        'memory per machine': (
            computer.get_default_memory_per_machine(),
            spec.memory_per_machine_kb,
            computer.set_default_memory_per_machine,
        ),
        'prepend text': (computer.get_prepend_text() or '', spec.prepend_text, computer.set_prepend_text),
    }
    for what, (actual, value, setter) in wanted.items():
        if actual != value:
            setter(value)
            changes.append(what)
    if created:
        computer.set_minimum_job_poll_interval(1.0 if spec.transport == 'core.local' else 10.0)
        return []
    if not changes:
        return []
    return [Action('updated', f'computer {spec.label!r}: {", ".join(changes)}')]


def ensure_scheduler_computer(
    spec: ComputerSpec, *, auth: Mapping[str, object] | None = None
) -> tuple[orm.Computer, list[Action]]:
    """Create the computer of ``spec``, or bring an existing one with the same label to it.

    An existing computer must have the same hostname, transport and scheduler (those cannot change under stored
    calculations); its launcher, ranks, memory and prepend text are updated to ``spec``. The computer is configured
    for the default user if it is not yet (``auth``: keyword arguments of ``Computer.configure``, e.g.
    ``username``, ``key_filename``, ``port`` for ``core.ssh``; ``safe_interval`` defaults to 0 for ``core.local``).

    Returns
    -------
    tuple
        The stored computer and the list of :class:`Action`.

    Raises
    ------
    SetupError
        If a computer with that label differs in hostname, transport or scheduler, or configuring fails.
    """
    from aiida import orm
    from aiida.common.exceptions import NotExistent

    actions: list[Action] = []
    summary = f'{spec.transport} + {spec.scheduler} on {spec.hostname}'
    try:
        computer = orm.load_computer(spec.label)
    except NotExistent:
        computer = orm.Computer(
            label=spec.label,
            hostname=spec.hostname,
            description=spec.description or f'{summary}, set up by `aiida-enatom setup computer`',
            transport_type=spec.transport,
            scheduler_type=spec.scheduler,
            workdir=spec.workdir,
        ).store()
        _apply_settings(computer, spec, created=True)
        actions.append(
            Action(
                'created',
                f'computer {spec.label!r} ({summary}, {spec.mpirun}, {spec.mpiprocs_per_machine} ranks per machine, '
                f'workdir {spec.workdir})',
            )
        )
    else:
        _check_immutable(computer, spec)
        actions.append(Action('found', f'computer {spec.label!r} ({summary})'))
        actions.extend(_apply_settings(computer, spec, created=False))
        if computer.get_workdir() != spec.workdir:
            actions.append(Action('warning', f'computer {spec.label!r} keeps its work folder {computer.get_workdir()}'))
    if spec.pools_warning:
        actions.append(Action('warning', spec.pools_warning))

    user = orm.User.collection.get_default()
    if not computer.is_user_configured(user):
        kwargs = dict(auth or {})
        if spec.transport == 'core.local':
            kwargs.setdefault('safe_interval', 0.0)
        try:
            computer.configure(user=user, **kwargs)
        except (TypeError, ValueError) as exception:
            raise SetupError(f'cannot configure computer {spec.label!r}: {exception}') from None
        actions.append(Action('created', f'configuration of computer {spec.label!r} for user {user.email}'))
    else:
        actions.append(Action('found', f'configuration of computer {spec.label!r} for user {user.email}'))
    return computer, actions

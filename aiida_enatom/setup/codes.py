"""Find the Quantum ESPRESSO executables and set up the ``localhost`` computer and its ``InstalledCode`` nodes."""

from __future__ import annotations

import os
import pathlib
import shutil
from collections.abc import Mapping
from typing import TYPE_CHECKING

from aiida_enatom.setup.common import MPI_PREPEND_TEXT, QE_EXECUTABLES, Action, MissingExecutableError, SetupError

if TYPE_CHECKING:
    from aiida import orm

__all__ = ('COMPUTER_LABEL', 'LOCALHOST_RANKS', 'ensure_codes', 'ensure_computer', 'find_executables')

COMPUTER_LABEL = 'localhost'

LOCALHOST_RANKS = 2
"""MPI ranks of every pw.x/ph.x run on ``localhost`` (its ``default_mpiprocs_per_machine``); a multiple of the
protocols' 2 k-point pools."""


def find_executables(
    executables: Mapping[str, str] | None = None, *, path: str | None = None
) -> dict[str, pathlib.Path]:
    """Locate QE executables on ``PATH``.

    Parameters
    ----------
    executables : mapping of str to str, optional
        Code label to executable name; default :data:`~aiida_enatom.setup.common.QE_EXECUTABLES`.
    path : str, optional
        Search path (``os.pathsep``-separated); default the ``PATH`` environment variable.

    Returns
    -------
    dict of str to pathlib.Path
        Code label to absolute path of the executable.

    Raises
    ------
    MissingExecutableError
        If any executable is not found; the message names all of them and the ``apt-get`` command to install them.
    """
    executables = dict(QE_EXECUTABLES if executables is None else executables)
    found: dict[str, pathlib.Path] = {}
    missing: list[str] = []
    for label, name in executables.items():
        location = shutil.which(name, path=path if path is not None else os.environ.get('PATH'))
        if location is None:
            missing.append(name)
        else:
            found[label] = pathlib.Path(location).absolute()
    if missing:
        raise MissingExecutableError(missing)
    return found


_MANAGED_LINE_START = 'export OMPI_ALLOW_RUN_AS_ROOT=1 '
"""How every version of :data:`MPI_PREPEND_TEXT` starts: setup replaces an older one instead of adding a second."""


def _prepend_lines(text: str) -> list[str]:
    return [line.strip() for line in (text or '').splitlines() if line.strip()]


def ensure_computer(workdir: str | os.PathLike, *, label: str = COMPUTER_LABEL) -> tuple[orm.Computer, list[Action]]:
    """Create (or check) the ``localhost`` computer: ``core.local`` transport, ``core.direct`` scheduler.

    The prepend text :data:`~aiida_enatom.setup.common.MPI_PREPEND_TEXT` is added if it is missing, the default
    ranks per machine are raised to :data:`LOCALHOST_RANKS` if lower or unset (the protocols take the ranks from
    the computer), and the computer is configured for the current user if it is not yet. Nothing else of an
    existing computer changes.

    Parameters
    ----------
    workdir : path-like
        Scratch folder of the calculations (used only when the computer is created).
    label : str
        Computer label.

    Returns
    -------
    tuple
        The stored computer and the list of :class:`Action`.

    Raises
    ------
    SetupError
        If a computer with that label exists with another transport or scheduler.
    """
    from aiida import orm
    from aiida.common.exceptions import NotExistent

    actions: list[Action] = []
    try:
        computer = orm.load_computer(label)
    except NotExistent:
        computer = orm.Computer(
            label=label,
            hostname='localhost',
            description='This machine, set up by `aiida-enatom setup`',
            transport_type='core.local',
            scheduler_type='core.direct',
            workdir=str(pathlib.Path(workdir).expanduser().resolve()),
        ).store()
        computer.set_mpirun_command(['mpirun', '-np', '{tot_num_mpiprocs}'])
        computer.set_default_mpiprocs_per_machine(LOCALHOST_RANKS)
        computer.set_minimum_job_poll_interval(1)
        computer.set_prepend_text(MPI_PREPEND_TEXT)
        actions.append(
            Action('created', f'computer {label!r} (core.local + core.direct, workdir {computer.get_workdir()})')
        )
    else:
        if (computer.transport_type, computer.scheduler_type) != ('core.local', 'core.direct'):
            raise SetupError(
                f'computer {label!r} exists with transport {computer.transport_type} and scheduler '
                f'{computer.scheduler_type}, not core.local + core.direct; it was left untouched'
            )
        actions.append(Action('found', f'computer {label!r} (core.local + core.direct)'))
        lines = _prepend_lines(computer.get_prepend_text())
        if MPI_PREPEND_TEXT not in lines:
            # an earlier version of our line (same first export) is replaced; the user's own lines stay
            kept = [line for line in lines if not line.startswith(_MANAGED_LINE_START)]
            computer.set_prepend_text('\n'.join([*kept, MPI_PREPEND_TEXT]))
            message = f'computer {label!r}: MPI exports of its prepend text: {MPI_PREPEND_TEXT}'
            actions.append(Action('updated', message))
        if (computer.get_default_mpiprocs_per_machine() or 1) < LOCALHOST_RANKS:
            # earlier versions left 1 here and fixed 2 ranks in the protocols; the ranks now come from the computer
            computer.set_default_mpiprocs_per_machine(LOCALHOST_RANKS)
            actions.append(Action('updated', f'computer {label!r}: {LOCALHOST_RANKS} MPI ranks per calculation'))

    user = orm.User.collection.get_default()
    if not computer.is_user_configured(user):
        # no login shell: it would source the user's profile scripts on every scheduler poll and job submission
        # (slower, and whatever they print on stderr reaches the user as AiiDA warnings); the prepend text sets
        # everything the QE runs need
        computer.configure(user=user, safe_interval=0, use_login_shell=False)
        actions.append(Action('created', f'configuration of computer {label!r} for user {user.email}'))
    return computer, actions


def ensure_codes(
    computer: orm.Computer, executables: Mapping[str, pathlib.Path]
) -> tuple[dict[str, orm.InstalledCode], list[Action]]:
    """Create an ``InstalledCode`` ``<label>@<computer>`` for each executable, unless one exists.

    Parameters
    ----------
    computer : aiida.orm.Computer
        The computer of the codes.
    executables : mapping of str to pathlib.Path
        Code label (``'pw'``, ``'ph'``, ...) to executable path; the plugin is ``quantumespresso.<label>``.

    Returns
    -------
    tuple
        Code label to code, and the list of :class:`Action`. An existing code that points to another executable
        or plugin is kept and reported as a warning.
    """
    from aiida import orm
    from aiida.common.exceptions import MultipleObjectsError, NotExistent

    codes: dict[str, orm.InstalledCode] = {}
    actions: list[Action] = []
    for label, executable in executables.items():
        plugin = f'quantumespresso.{label}'
        full_label = f'{label}@{computer.label}'
        try:
            code = orm.load_code(full_label)
        except NotExistent:
            code = orm.InstalledCode(
                computer=computer,
                filepath_executable=str(executable),
                label=label,
                description=f'{executable.name} of Quantum ESPRESSO, set up by `aiida-enatom setup`',
                default_calc_job_plugin=plugin,
            ).store()
            actions.append(Action('created', f'code {full_label} -> {executable} ({plugin})'))
        except MultipleObjectsError as exception:
            raise SetupError(
                f'more than one code is labelled {full_label}; keep one (`verdi code delete`)'
            ) from exception
        else:
            actual = (str(getattr(code, 'filepath_executable', '')), code.default_calc_job_plugin)
            if actual != (str(executable), plugin):
                actions.append(
                    Action(
                        'warning',
                        f'code {full_label} exists but runs {actual[0]} with plugin {actual[1]} (expected {executable} '
                        f'with {plugin}); left as it is',
                    )
                )
            else:
                actions.append(Action('found', f'code {full_label} -> {executable}'))
        codes[label] = code
    return codes, actions

"""Helpers shared by the CLI commands: reading structure files and launching processes."""

from __future__ import annotations

import functools
import math
import pathlib

import click
import numpy as np
from aiida.cmdline.utils import echo

from aiida_enatom.workflows.validation import CODE_PLUGINS as _WORKCHAIN_CODE_PLUGINS


def read_structure(path: str | pathlib.Path, *, primitive: bool = True):
    """Read a CIF, POSCAR or QE input file with pymatgen and return an unstored ``StructureData``.

    With ``primitive`` (the default) the cell is replaced by spglib's standard primitive cell, in the orientation
    of the conventional axes, and that is reported: phonon and supercell costs grow fast with the number of atoms,
    and pw.x only finds the symmetry operations that are rotations of its Cartesian frame.

    Raises
    ------
    click.BadParameter
        If the file cannot be read as a crystal structure; the message names the file and the formats tried.
    """
    from aiida import orm
    from pymatgen.core import Structure

    path = pathlib.Path(path)
    errors = []
    try:
        structure = Structure.from_file(str(path))
    except Exception as exception:  # noqa: BLE001 - pymatgen raises many types; we report them all
        errors.append(f'pymatgen: {exception}')
        try:
            from pymatgen.io.pwscf import PWInput

            structure = PWInput.from_file(str(path)).structure
        except Exception as exception_qe:  # noqa: BLE001
            errors.append(f'QE input: {exception_qe}')
            detail = ' '.join('; '.join(errors).split())
            raise click.BadParameter(
                f'{path}: not a readable structure file (CIF, POSCAR/CONTCAR or pw.x input of a periodic crystal); '
                + (detail if len(detail) <= 300 else detail[:297] + '...'),
                param_hint='STRUCTURE_FILE',
            ) from None
    from aiida_enatom.exceptions import InputValidationError
    from aiida_enatom.io.campaign import check_geometry

    try:
        check_geometry(structure, str(path))
    except InputValidationError as exception:
        raise click.BadParameter(str(exception), param_hint='STRUCTURE_FILE') from None
    if primitive:
        from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

        # spglib's standard primitive cell, aligned with the conventional axes: pw.x (ibrav=0) only finds the
        # operations that are rotations in its Cartesian frame, so a rotated cell (a CIF only keeps a, b, c and the
        # angles) loses most of them and every phonon step becomes several times dearer.
        standard = SpacegroupAnalyzer(structure, symprec=1e-3).get_primitive_standard_structure()
        unchanged = len(standard) == len(structure) and np.allclose(
            standard.lattice.matrix, structure.lattice.matrix, atol=1e-6
        )
        if not unchanged:
            echo.echo_report(
                f'{path.name}: using the standard primitive cell ({len(standard)} atoms, conventional axes along x, y, '
                f'z) of the {len(structure)}-atom cell in the file (pass --no-primitive to keep the cell as given)'
            )
        structure = standard
    return orm.StructureData(pymatgen=structure)


def with_dbenv():
    """aiida-core's ``with_dbenv``, but with no profile at all it says to run ``aiida-enatom setup`` (one line).

    aiida-core's own message prints the raw configuration dictionary on a second line.
    """
    from aiida.cmdline.utils.decorators import with_dbenv as aiida_with_dbenv

    def decorator(function):
        wrapped = aiida_with_dbenv()(function)

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            _require_profile()
            return wrapped(*args, **kwargs)

        return wrapper

    return decorator


def _require_profile() -> None:
    """Exit with one line if no profile is loaded and the configuration names no default profile."""
    from aiida.common.exceptions import ConfigurationError
    from aiida.manage import get_manager
    from aiida.manage.configuration import get_config

    if get_manager().get_profile() is not None:
        return
    try:
        config = get_config()
    except ConfigurationError:
        config = None
    if config is None or config.default_profile_name is None:
        where = f' in {config.dirpath}' if config is not None else ''
        echo.echo_critical(
            f'no AiiDA profile to use (no default profile{where}); run `aiida-enatom setup` to create one, or pass '
            '--profile NAME (`verdi profile list`)'
        )
    if config.default_profile_name not in config.profile_names:
        known = ', '.join(config.profile_names) or 'none'
        echo.echo_critical(
            f'no AiiDA profile to use: the default profile {config.default_profile_name!r} of {config.dirpath} does '
            f'not exist (profiles: {known}); run `aiida-enatom setup` to create one, or pass --profile NAME'
        )


def launch_process(builder, daemon: bool) -> None:
    """Run ``builder`` in-process (printing its PK when done) or submit it to the daemon (printing the PK)."""
    from aiida.engine import submit

    process_name = builder.process_class.__name__
    if daemon:
        try:
            node = submit(builder)
        except Exception as exception:  # noqa: BLE001 - e.g. no broker configured for this profile
            echo.echo_critical(
                f'cannot submit {process_name}: {exception}. Run without --daemon, or configure a broker '
                '(see `aiida-enatom setup --help`).'
            )
        echo.echo_success(f'submitted {process_name}<{node.pk}> to the daemon')
        echo.echo(str(node.pk))
        return
    from aiida_enatom.campaign.launch import run_in_process

    echo.echo_report(f'running {process_name} in this process; this can take a while')
    node = run_in_process(builder)  # Ctrl-C kills it, its sub-processes and their QE jobs
    if not node.is_finished_ok:
        echo.echo_critical(failure_message(node))
    echo.echo_success(f'{process_name}<{node.pk}> finished ok')
    echo.echo(str(node.pk))


def failure_message(node) -> str:
    """Return one line saying how the process ``node`` ended when it did not finish ok, and where to look.

    ``PressurePointWorkChain<12> failed with exit status 451: <exit message>; see `verdi process report 12```; the
    same for a killed or excepted process (with the first line of its exception) and one still running.
    """
    label = f'{node.process_label}<{node.pk}>'
    hint = f'see `verdi process report {node.pk}`'
    if node.is_failed:
        message = ' '.join((node.exit_message or 'no exit message').split())
        return f'{label} failed with exit status {node.exit_status}: {message}; {hint}'
    if node.is_killed:
        reason = ' '.join((node.process_status or 'no reason recorded').split())
        return f'{label} was killed ({reason}); {hint}'
    if node.is_excepted:
        lines = [line for line in (node.exception or '').strip().splitlines() if line.strip()]
        return f'{label} excepted ({lines[-1].strip() if lines else "no exception recorded"}); {hint}'
    state = node.process_state.value if node.process_state is not None else 'unknown'
    return f'{label} has not finished (state {state}); no results yet; {hint}'


def protocol_choice(entry_point: str) -> click.Choice:
    """Return a ``click.Choice`` of the protocols of the WorkChain ``entry_point`` (from its ``ProtocolMixin``)."""
    from aiida.plugins import WorkflowFactory

    return click.Choice(sorted(WorkflowFactory(entry_point).get_available_protocols(), key=_protocol_order))


def _protocol_order(name: str) -> tuple[int, str]:
    """Order protocols from cheap to expensive where known, else alphabetically."""
    known = ('test', 'fast', 'balanced', 'stringent')
    return (known.index(name) if name in known else len(known), name)


#: Calculation plugins a code may have for each role of the WorkChains (the WorkChains' own input validators use it).
CODE_PLUGINS = _WORKCHAIN_CODE_PLUGINS


#: Roles whose runs are MPI-parallel with the protocols' k-point pools (``setup.computer.PROTOCOL_POOLS``).
MPI_ROLES = ('pw', 'ph')


def check_code_role(
    role: str, code, option: str, *, ranks_per_machine: int | None = None, pools: int | None = None
) -> None:
    """Exit with one line if ``code`` is registered for another program than ``role`` (e.g. pw.x given as ph.x).

    Also when a pw.x or ph.x run would have a number of ranks per machine that its k-point pools do not divide (QE
    would stop at the first run): the ranks are ``ranks_per_machine`` (from ``--options``) or the computer's default,
    the pools ``pools`` (from ``--options``) or the protocols' 2.
    """
    plugin = getattr(code, 'default_calc_job_plugin', None)
    valid = CODE_PLUGINS.get(role)
    if plugin is not None and valid is not None and plugin not in valid:
        echo.echo_critical(
            f'{option} {code.full_label} is a {plugin} code, not a {role}.x code; give a code with plugin '
            f'{" or ".join(valid)} (`verdi code list -a`)'
        )
    from aiida_enatom.setup.computer import PROTOCOL_POOLS

    computer = getattr(code, 'computer', None)
    if role not in MPI_ROLES or computer is None:
        return
    pools = pools or PROTOCOL_POOLS
    if ranks_per_machine is not None:
        if ranks_per_machine % pools:
            echo.echo_critical(
                f'options: mpiprocs_per_machine {ranks_per_machine} is not a multiple of the {pools} k-point pools '
                'of pw.x and ph.x (QE stops otherwise); give a multiple of pools, or set pools'
            )
        return
    ranks = computer.get_default_mpiprocs_per_machine()
    if ranks is not None and ranks % pools:
        fix = (
            '`aiida-enatom setup` (it raises localhost to 2 ranks)'
            if computer.label == 'localhost' and pools == PROTOCOL_POOLS
            else f'`aiida-enatom setup computer {computer.label} --mpiprocs-per-machine N` with N a multiple of '
            f'{pools}, or --options with mpiprocs_per_machine and pools'
        )
        echo.echo_critical(
            f'{option} {code.full_label}: computer {computer.label!r} runs {ranks} MPI rank(s) per machine, but '
            f'pw.x and ph.x run with {pools} k-point pools (QE stops unless the ranks are a multiple of the '
            f'pools); run {fix}'
        )


def check_family(label: str, elements, option: str = '--pseudo-family') -> None:
    """Exit with one line if the pseudopotential family ``label`` does not exist or lacks one of ``elements``."""
    from aiida import orm

    groups = orm.QueryBuilder().append(orm.Group, filters={'label': label}).all(flat=True)
    if not groups:
        echo.echo_critical(
            f'{option} {label!r}: no pseudopotential family with this label in this profile; run `aiida-enatom setup` '
            'for the offline family, or `aiida-pseudo install` (see `aiida-pseudo list`)'
        )
    covered = getattr(groups[0], 'elements', None)
    if covered is None:
        echo.echo_critical(f'{option} {label!r} is a group but not a pseudopotential family; see `aiida-pseudo list`')
    missing = sorted(set(elements) - set(covered))
    if missing:
        echo.echo_critical(
            f'{option} {label!r} has no pseudopotential for {", ".join(missing)}; choose a family that covers '
            f'{", ".join(sorted(set(elements)))} (`aiida-pseudo list`)'
        )


def check_range(option: str, value: float, low: float, high: float, unit: str = '') -> None:
    """Exit with one line unless ``value`` is a finite number in [low, high]."""
    if not (math.isfinite(value) and low <= value <= high):
        suffix = f' {unit}' if unit else ''
        echo.echo_critical(f'{option} must be a finite number in [{low:g}, {high:g}]{suffix}; got {value:g}{suffix}')


#: Image formats the plotting commands write (the suffix picks the format).
IMAGE_SUFFIXES = ('.png', '.pdf', '.svg')


def output_path_problem(path: pathlib.Path, suffixes: tuple[str, ...] | None = None) -> str | None:
    """Return why ``path`` cannot be written as an output file, or ``None`` if it can (checked before any work)."""
    if suffixes is not None and path.suffix.lower() not in suffixes:
        return f'unsupported format {path.suffix or "(no suffix)"!r}; use a file name ending in {", ".join(suffixes)}'
    if path.is_dir():
        return 'is a folder; give a file name'
    parent = path.parent
    if not parent.is_dir():
        state = 'is a file, not a folder' if parent.exists() else 'does not exist'
        return f'the folder {parent} {state}; give a file in an existing folder'
    return None


def output_path_callback(suffixes: tuple[str, ...] | None = None):
    """Return a click callback that refuses an output path :func:`output_path_problem` objects to."""

    def callback(ctx: click.Context, param: click.Parameter, value):
        if value is not None:
            problem = output_path_problem(pathlib.Path(value), suffixes)
            if problem is not None:
                raise click.BadParameter(f'{value}: {problem}', ctx=ctx, param=param)
        return value

    return callback

"""``aiida-enatom pseudos``: the offline ld1.x pseudopotential family (``pseudos validate``); needs no AiiDA profile."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click

__all__ = ('cmd_pseudos', 'cmd_validate')


def _check_elements(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    """Refuse elements the project has no ld1.x input for; default to all of them."""
    from aiida_enatom.pseudos.generate import available_elements

    available = available_elements()
    unknown = [element for element in value if element not in available]
    if unknown:
        raise click.BadParameter(
            f'no ld1.x input for {", ".join(repr(e) for e in unknown)}; the offline family has {", ".join(available)}',
            ctx=ctx,
            param=param,
        )
    return tuple(dict.fromkeys(value)) or tuple(available)


def _check_executable(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """Refuse an executable that is neither on PATH nor an executable file."""
    if shutil.which(value) is None:
        raise click.BadParameter(
            f'{value!r} is not an executable on PATH; install Quantum ESPRESSO or give the full path',
            ctx=ctx,
            param=param,
        )
    return value


def _check_json_path(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """Refuse a JSON path whose folder does not exist, before hours of pw.x runs."""
    if value is not None and not value.parent.is_dir():
        raise click.BadParameter(f'folder {str(value.parent)!r} does not exist', ctx=ctx, param=param)
    return value


@click.group('pseudos')
def cmd_pseudos() -> None:
    """The offline PBE pseudopotential family generated with ld1.x (installed by `aiida-enatom setup`)."""


@cmd_pseudos.command('validate')
@click.argument('elements', nargs=-1, callback=_check_elements, metavar='[ELEMENT]...')
@click.option(
    '--directory',
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help='Folder for the generated UPF files, kept afterwards. [default: a temporary folder]',
)
@click.option(
    '--json',
    'json_path',
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    callback=_check_json_path,
    help='Also write the full results (every number of every check) to this JSON file.',
)
@click.option('--pw', default='pw.x', show_default=True, callback=_check_executable, help='Serial pw.x executable.')
@click.option('--ld1', default='ld1.x', show_default=True, callback=_check_executable, help='ld1.x executable.')
@click.option('--no-eos', is_flag=True, help='Skip the lattice-constant (equation of state) test.')
@click.option('--no-cutoffs', is_flag=True, help='Skip the cutoff-convergence test.')
def cmd_validate(
    elements: tuple[str, ...],
    directory: Path | None,
    json_path: Path | None,
    pw: str,
    ld1: str,
    no_eos: bool,
    no_cutoffs: bool,
) -> None:
    """Validate the offline pseudopotentials of ELEMENT... (default: every element the family ships).

    \b
    Per element: the ld1.x test configurations (ΔE, Bessel-basis ghosts), the atom in an 8 Å box against the
    all-electron levels (pw.x ghosts), the lattice parameter of a test crystal from a 7-point Birch–Murnaghan fit
    against experiment, and energy/pressure convergence along the recommended cutoffs. Prints a Markdown table
    (each row also to stderr as soon as its element is done). A few minutes per element on one core.
    """
    from aiida_enatom.exceptions import EnatomError
    from aiida_enatom.pseudos.validate.driver import validate_elements
    from aiida_enatom.pseudos.validate.report import format_row, format_table

    def progress(summary: dict) -> None:
        click.echo(format_row(summary), err=True)

    try:
        summaries = validate_elements(
            elements, directory=directory, pw=pw, ld1=ld1, eos=not no_eos, cutoffs=not no_cutoffs, progress=progress
        )
    except EnatomError as exception:
        raise click.ClickException(str(exception).replace('\n', ' ')) from None
    click.echo(format_table(summaries))
    if json_path is not None:
        json_path.write_text(json.dumps(summaries, indent=2))

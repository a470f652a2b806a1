"""``aiida-enatom launch point``: relax a structure at a pressure and compute its α²F, split and metrics."""

from __future__ import annotations

import click
from aiida.cmdline.utils import echo

from aiida_enatom.cli import utils
from aiida_enatom.cli.run_options import options_option, parse_options

CODES = ('pw', 'ph', 'q2r', 'matdyn', 'projwfc')


def _code_option(name: str):
    return click.option(
        f'--{name}-code',
        default=f'{name}@localhost',
        show_default=True,
        help=f'Code (label@computer) for {name}.x.',
    )


@click.command('point')
@click.argument('structure_file', type=click.Path(exists=True, dir_okay=False))
@click.option('--pressure', type=float, required=True, help='Target hydrostatic pressure in GPa.')
@click.option(
    '--protocol',
    type=utils.protocol_choice('enatom.pressure_point'),
    default='fast',
    show_default=True,
    help='Protocol.',
)
@click.option('--pseudo-family', default=None, help='Pseudopotential family label (default: the offline family).')
@click.option('--mu-star', type=float, default=None, help='Coulomb pseudopotential μ* (default: protocol, 0.10).')
@_code_option('pw')
@_code_option('ph')
@_code_option('q2r')
@_code_option('matdyn')
@_code_option('projwfc')
@_code_option('pp')
@click.option(
    '--enatom',
    'run_enatom',
    is_flag=True,
    help='Also run the enatom stage (enatom.enatom, displaced supercells + pp.x) on the relaxed structure; '
    'expensive, needs --pp-code.',
)
@click.option(
    '--primitive/--no-primitive',
    default=True,
    show_default=True,
    help='Reduce the cell in the file to a primitive cell.',
)
@options_option
@click.option('-d', '--daemon', is_flag=True, help='Submit to the daemon instead of running in this process.')
@utils.with_dbenv()
def cmd_launch_point(
    structure_file,
    pressure,
    protocol,
    pseudo_family,
    mu_star,
    primitive,
    run_enatom,
    daemon,
    run_options_text,
    **code_labels,
):
    """Relax STRUCTURE_FILE at --pressure GPa, then compute α²F, its H/metal split, T_c and I_H².

    With --enatom, the enatom potentials of the relaxed structure are computed too (in parallel with α²F).

    Prints the PK of the PressurePointWorkChain; inspect it with `aiida-enatom show PK`.
    """
    from aiida import orm
    from aiida_quantumespresso.workflows.protocols.utils import recursive_merge

    from aiida_enatom.io.campaign import MAX_PRESSURE_GPA
    from aiida_enatom.workflows.pressure_point import PressurePointWorkChain

    utils.check_range('--pressure', pressure, 0.0, MAX_PRESSURE_GPA, 'GPa')
    run_options = parse_options(run_options_text)
    if mu_star is not None:
        utils.check_range('--mu-star', mu_star, 0.0, 0.5)
    try:
        structure = utils.read_structure(structure_file, primitive=primitive)
    except click.BadParameter as exception:
        echo.echo_critical(str(exception.message))
    codes = {}
    for name in (*CODES, 'pp') if run_enatom else CODES:
        label = code_labels[f'{name}_code']
        try:
            codes[name] = orm.load_code(label)
        except Exception as exception:  # noqa: BLE001 - NotExistent, MultipleObjectsError, ...
            echo.echo_critical(
                f'cannot load the {name}.x code {label!r}: {exception}; run `aiida-enatom setup` or pass '
                f'--{name}-code LABEL@COMPUTER'
            )
        utils.check_code_role(
            name,
            codes[name],
            f'--{name}-code',
            ranks_per_machine=run_options.ranks_per_machine,
            pools=run_options.pools,
        )
    if pseudo_family is None:
        from aiida_enatom.setup.family import find_offline_family

        pseudo_family = find_offline_family()
    if pseudo_family:
        utils.check_family(pseudo_family, structure.get_symbols_set())
    overrides: dict = recursive_merge({}, run_options.overrides)
    if pseudo_family:
        overrides['pseudo_family'] = pseudo_family
        overrides['alpha2f'] = {'pseudo_family': pseudo_family}
    if mu_star is not None:
        overrides.setdefault('alpha2f', {})['mu_star'] = mu_star
    if run_enatom:
        overrides['run_enatom'] = True
    try:
        builder = PressurePointWorkChain.get_builder_from_protocol(
            codes,
            structure,
            pressure=pressure,
            protocol=protocol,
            overrides=overrides,
            options=run_options.metadata or None,
        )
    except Exception as exception:  # noqa: BLE001 - e.g. a missing pseudopotential family
        echo.echo_critical(f'cannot build the pressure point: {exception}')
    utils.launch_process(builder, daemon)

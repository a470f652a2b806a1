"""``aiida-enatom launch enatom``: the enatom potentials of a relaxed structure from displaced supercells."""

from __future__ import annotations

import click
from aiida.cmdline.utils import echo

from aiida_enatom.cli import utils
from aiida_enatom.cli.run_options import options_option, parse_options


@click.command('enatom')
@click.argument('structure_file', type=click.Path(exists=True, dir_okay=False))
@click.option('--supercell', nargs=3, type=int, default=None, help='Diagonal supercell N1 N2 N3 of the cell.')
@click.option('--min-image', type=float, default=None, help='Minimum periodic-image distance in Å (default: protocol).')
@click.option('--displacement', type=float, default=0.01, show_default=True, help='Displacement amplitude in Å.')
@click.option(
    '--protocol', type=utils.protocol_choice('enatom.enatom'), default='fast', show_default=True, help='Protocol.'
)
@click.option('--pw-code', default='pw@localhost', show_default=True, help='Code (label@computer) for pw.x.')
@click.option('--pp-code', default='pp@localhost', show_default=True, help='Code (label@computer) for pp.x.')
@click.option('--pseudo-family', default=None, help='Pseudopotential family label (default: protocol).')
@click.option('--keep-potentials', is_flag=True, help='Also keep the raw pp.x potentials as outputs.')
@options_option
@click.option('-d', '--daemon', is_flag=True, help='Submit to the daemon instead of running in this process.')
@utils.with_dbenv()
def cmd_launch_enatom(
    structure_file,
    supercell,
    min_image,
    displacement,
    protocol,
    pw_code,
    pp_code,
    pseudo_family,
    keep_potentials,
    daemon,
    run_options_text,
):
    """Compute the enatom (rigid + backflow) potential of each inequivalent atom of STRUCTURE_FILE.

    The structure must already be relaxed. Prints the PK of the EnatomWorkChain.
    """
    from aiida import orm

    from aiida_enatom.numerics.finite_difference import AMPLITUDE_RANGE
    from aiida_enatom.workflows.enatom import EnatomWorkChain

    run_options = parse_options(run_options_text, 'enatom')
    if supercell and min_image is not None:
        echo.echo_critical('give either --supercell or --min-image, not both')
    if supercell and min(supercell) < 1:
        echo.echo_critical(f'--supercell needs three positive integers; got {" ".join(map(str, supercell))}')
    if min_image is not None and min_image <= 0:
        echo.echo_critical(f'--min-image must be positive; got {min_image} Å')
    low, high = AMPLITUDE_RANGE
    if not low <= displacement <= high:
        echo.echo_critical(f'--displacement {displacement:g} Å is outside the allowed range [{low:g}, {high:g}] Å')
    try:
        structure = utils.read_structure(structure_file)
    except click.BadParameter as exception:
        echo.echo_critical(str(exception.message))
    codes = {}
    for name, label in (('pw', pw_code), ('pp', pp_code)):
        try:
            codes[name] = orm.load_code(label)
        except Exception as exception:  # noqa: BLE001 - NotExistent, MultipleObjectsError, ...
            echo.echo_critical(
                f'cannot load the {name}.x code {label!r}: {exception}; pass --{name}-code LABEL@COMPUTER'
            )
        utils.check_code_role(
            name,
            codes[name],
            f'--{name}-code',
            ranks_per_machine=run_options.ranks_per_machine,
            pools=run_options.pools,
        )
    if pseudo_family:
        utils.check_family(pseudo_family, structure.get_symbols_set())
    overrides = {'displacement_amplitude': displacement, 'keep_potentials': keep_potentials, **run_options.overrides}
    if pseudo_family:
        overrides['pseudo_family'] = pseudo_family
    try:
        builder = EnatomWorkChain.get_builder_from_protocol(
            codes,
            structure,
            protocol=protocol,
            overrides=overrides,
            supercell_matrix=list(supercell) if supercell else None,
            min_image_distance=min_image,
            options=run_options.metadata or None,
        )
    except Exception as exception:  # noqa: BLE001 - e.g. a missing pseudopotential family
        echo.echo_critical(f'cannot build the enatom inputs: {exception}')
    utils.launch_process(builder, daemon)

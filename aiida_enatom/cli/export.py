"""``aiida-enatom export-enatom``: write the rigid and backflow grids of an enatom WorkChain as XSF or cube files."""

from __future__ import annotations

import pathlib

import click
from aiida.cmdline.utils import echo

from aiida_enatom.cli import utils


@click.command('export-enatom')
@click.argument('pk', type=str)
@click.option('--format', 'fmt', type=click.Choice(['xsf', 'cube']), default='xsf', show_default=True)
@click.option('-o', '--output', 'directory', type=click.Path(file_okay=False), required=True, help='Output folder.')
@utils.with_dbenv()
def cmd_export_enatom(pk, fmt, directory):
    """Write v_j (eV) and |∇×W_j| (eV/Å) of each inequivalent atom of the enatom WorkChain PK to files.

    xsf: one file per atom with grids rigid_<component> and backflow_norm_<component>; cube: one file per grid.
    Components: total (V_loc+V_H+V_xc), hxc (V_H+V_xc) and bare (V_loc, rigid only).
    """
    import numpy as np
    from aiida import orm
    from aiida.common.exceptions import MultipleObjectsError, NotExistent

    from aiida_enatom.cli.summary_enatom import is_enatom_node
    from aiida_enatom.io.cube import write_cube
    from aiida_enatom.io.xsf import write_xsf

    try:
        node = orm.load_node(pk)
    except NotExistent:
        echo.echo_critical(f'no node with PK or UUID {pk} in this profile; give the PK printed by `launch enatom`')
    except (MultipleObjectsError, OverflowError, ValueError) as exception:
        echo.echo_critical(f'{pk!r} is not a usable PK or UUID ({exception}); give the PK printed by `launch enatom`')
    if not is_enatom_node(node):
        kind = getattr(node, 'process_type', None) or node.node_type.rstrip('.')
        echo.echo_critical(f'node {pk} is a {kind}, not an enatom.enatom WorkChain; give the PK of `launch enatom`')
    if 'atoms' not in node.outputs or 'supercell' not in node.outputs:
        echo.echo_critical(f'node {pk} has no enatom grids (state {node.process_state}, exit {node.exit_status})')
    supercell = node.outputs.supercell
    cell = np.array(supercell.cell)
    numbers = [site_kind.symbol for site_kind in (supercell.get_kind(s.kind_name) for s in supercell.sites)]
    from pymatgen.core.periodic_table import Element

    atomic_numbers = [Element(symbol).Z for symbol in numbers]
    positions = np.array([site.position for site in supercell.sites])
    target = pathlib.Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for label in sorted(node.outputs.atoms):
        rigid = node.outputs.atoms[label].rigid
        backflow = node.outputs.atoms[label].backflow
        grids = {f'rigid_{name}': rigid.get_array(name) for name in rigid.get_arraynames()}
        for name in backflow.get_arraynames():
            grids[f'backflow_norm_{name}'] = np.linalg.norm(backflow.get_array(name).astype(float), axis=0)
        kwargs = {'numbers': atomic_numbers, 'positions': positions}
        if fmt == 'xsf':
            path = target / f'enatom_{node.pk}_{label}.xsf'
            write_xsf(path, grids, cell, comment=f'enatom {node.pk} {label} eV and eV/A', **kwargs)
            written.append(path)
        else:
            for name, grid in grids.items():
                path = target / f'enatom_{node.pk}_{label}_{name}.cube'
                unit = 'eV/A' if name.startswith('backflow') else 'eV'
                write_cube(
                    path, grid, cell, comments=(f'aiida-enatom {node.pk} {label} {name}', f'{unit}; bohr'), **kwargs
                )
                written.append(path)
    for path in written:
        echo.echo(str(path))

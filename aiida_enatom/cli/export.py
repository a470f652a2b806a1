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
@click.option(
    '--max-arrows',
    type=click.IntRange(min=0),
    default=4000,
    show_default=True,
    help='xsf only: arrows per vector-field file (W_j and B_j on a sub-grid); 0 writes no arrow files.',
)
@utils.with_dbenv()
def cmd_export_enatom(pk, fmt, directory, max_arrows):
    """Write v_j (eV), ∇×W_j (eV/Å), W_j (eV) and the density enatom of each inequivalent atom of PK to files.

    Grids per atom: rigid_<c> and backflow_norm_<c>; the Coulomb-gauge vector potential W_<c>_x/y/z and
    W_norm_<c> (directions: Cartesian components); with the density enatom density_rigid (ρ_j, e/Å³),
    density_backflow_norm (|∇×B_j|, e/Å⁴) and B_x/y/z (e/Å³). Components c: total (V_loc+V_H+V_xc), hxc (V_H+V_xc)
    and bare (V_loc, rigid only). xsf: one file per atom with all grids, and arrow files
    `*_arrows_W_<c>.xsf`, `*_arrows_B.xsf` (XCrySDen dummy atoms X carrying the vectors); cube: one file per grid.
    """
    import numpy as np
    from aiida import orm
    from aiida.common.exceptions import MultipleObjectsError, NotExistent

    from aiida_enatom.cli.summary_enatom import is_enatom_node
    from aiida_enatom.io.cube import write_cube
    from aiida_enatom.io.xsf import format_xsf_vector_field, subsample_vector_field, write_xsf
    from aiida_enatom.numerics.helmholtz import coulomb_gauge_potential

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
    # unit of a grid by the longest matching name prefix
    units = {
        'rigid': 'eV',
        'backflow': 'eV/A',
        'W': 'eV',
        'density_rigid': 'e/A^3',
        'density_backflow': 'e/A^4',
        'B': 'e/A^3',
    }
    density = node.outputs.density if 'density' in node.outputs else None
    for label in sorted(node.outputs.atoms):
        outputs = node.outputs.atoms[label]
        rigid, backflow = outputs.rigid, outputs.backflow
        grids = {f'rigid_{name}': rigid.get_array(name) for name in rigid.get_arraynames()}
        vectors = {}
        for name in backflow.get_arraynames():
            field = backflow.get_array(name).astype(float)
            grids[f'backflow_norm_{name}'] = np.linalg.norm(field, axis=0)
            if 'vector_potential' in outputs:
                w = outputs.vector_potential.get_array(name).astype(float)
            else:  # runs before the vector potential was stored: W follows from the (transverse) backflow alone
                w = coulomb_gauge_potential(field, cell)
            vectors[f'W_{name}'] = w
        if density is not None and label in density:
            grids['density_rigid'] = density[label].rigid.get_array('rigid')
            grids['density_backflow_norm'] = np.linalg.norm(
                density[label].backflow.get_array('backflow').astype(float), axis=0
            )
            vectors['B'] = density[label].backflow.get_array('vector_potential').astype(float)
        for name, w in vectors.items():
            grids.update({f'{name}_{axis}': w[k] for k, axis in enumerate('xyz')})
            grids[f'{name.split("_")[0]}_norm{name[1:]}'] = np.linalg.norm(w, axis=0)
        kwargs = {'numbers': atomic_numbers, 'positions': positions}
        if fmt == 'xsf':
            path = target / f'enatom_{node.pk}_{label}.xsf'
            write_xsf(path, grids, cell, comment=f'enatom {node.pk} {label} eV, eV/A, e/A^3, e/A^4', **kwargs)
            written.append(path)
            for name, w in vectors.items() if max_arrows else ():
                points, values = subsample_vector_field(w, cell, max_arrows=max_arrows)
                path = target / f'enatom_{node.pk}_{label}_arrows_{name}.xsf'
                path.write_text(format_xsf_vector_field(points, values, cell, **kwargs), encoding='utf-8')
                written.append(path)
        else:
            for name, grid in grids.items():
                path = target / f'enatom_{node.pk}_{label}_{name}.cube'
                unit = next(u for key, u in sorted(units.items(), key=lambda i: -len(i[0])) if name.startswith(key))
                write_cube(
                    path, grid, cell, comments=(f'aiida-enatom {node.pk} {label} {name}', f'{unit}; bohr'), **kwargs
                )
                written.append(path)
    for path in written:
        echo.echo(str(path))

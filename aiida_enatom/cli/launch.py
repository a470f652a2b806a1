"""``aiida-enatom launch``: build a WorkChain from a protocol and run it in-process or submit it to the daemon."""

from __future__ import annotations

import click

from aiida_enatom.cli import LazyVerdiGroup


@click.group(
    'launch',
    cls=LazyVerdiGroup,
    lazy_subcommands={
        'point': ('aiida_enatom.cli.launch_point:cmd_launch_point', 'Relax at pressure, then α²F and its split.'),
        'enatom': ('aiida_enatom.cli.launch_enatom:cmd_launch_enatom', 'Displaced supercells → enatom potentials.'),
    },
)
def cmd_launch() -> None:
    """Launch a pressure point (relax at P → α²F → per-atom split) or an enatom calculation."""

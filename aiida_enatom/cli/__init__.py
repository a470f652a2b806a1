"""The ``aiida-enatom`` command line: one click group whose subcommands are imported only when used.

Lazy loading keeps ``aiida-enatom --help`` and the profile-free ``analyse`` commands fast, and keeps each
subcommand in its own module.
"""

from __future__ import annotations

import importlib

import click
from aiida.cmdline.groups import VerdiCommandGroup
from aiida.cmdline.params import options, types

__all__ = ('LazyVerdiGroup', 'cmd_root')


class LazyVerdiGroup(VerdiCommandGroup):
    """A :class:`VerdiCommandGroup` whose subcommands are given as ``'module:attribute'`` strings."""

    def __init__(self, *args, lazy_subcommands: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = dict(lazy_subcommands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Return the eager and the lazy subcommands, sorted."""
        return sorted({*super().list_commands(ctx), *self.lazy_subcommands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import a lazy subcommand on first use, then defer to :class:`VerdiCommandGroup`."""
        if cmd_name in self.lazy_subcommands and cmd_name not in self.commands:
            module_name, attribute = self.lazy_subcommands[cmd_name].split(':')
            command = getattr(importlib.import_module(module_name), attribute)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(
    'aiida-enatom',
    cls=LazyVerdiGroup,
    context_settings={'help_option_names': ['-h', '--help']},
    lazy_subcommands={
        'analyse': 'aiida_enatom.cli.analyse:cmd_analyse',
        'setup': 'aiida_enatom.cli.setup:cmd_setup',
        'launch': 'aiida_enatom.cli.launch:cmd_launch',
        'show': 'aiida_enatom.cli.show:cmd_show',
        'export-enatom': 'aiida_enatom.cli.export:cmd_export_enatom',
        'quickstart': 'aiida_enatom.cli.quickstart:cmd_quickstart',
    },
)
@options.PROFILE(type=types.ProfileParamType(load_profile=True), expose_value=False)
def cmd_root() -> None:
    """Screen hydride superconductors: per-atom α²F, Eliashberg T_c, I_H² and enatom potentials."""

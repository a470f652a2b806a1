"""The ``aiida-enatom`` command line: one click group whose subcommands are imported only when used.

Lazy loading keeps ``aiida-enatom --help`` and the profile-free ``analyse`` commands fast, and keeps each
subcommand in its own module.
"""

from __future__ import annotations

import importlib
import logging
import warnings

import click

# AiiDA creates its configuration folder on first import, as `verdi` does; the warning is noise for a CLI user.
warnings.filterwarnings('ignore', message='Creating AiiDA configuration folder')

from aiida.cmdline.groups import VerdiCommandGroup  # noqa: E402
from aiida.cmdline.params import options, types  # noqa: E402

__all__ = ('LazyVerdiGroup', 'cmd_root')


class LazyVerdiGroup(VerdiCommandGroup):
    """A :class:`VerdiCommandGroup` whose subcommands are given as ``(module:attribute, short help)`` pairs.

    ``--help`` lists them from the short help without importing them.
    """

    def __init__(self, *args, lazy_subcommands: dict[str, tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = dict(lazy_subcommands or {})

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the subcommands with their short help, importing none of the lazy ones."""
        rows = [(name, self.lazy_subcommands[name][1]) for name in sorted(self.lazy_subcommands)]
        rows += [
            (name, command.get_short_help_str())
            for name, command in sorted(self.commands.items())
            if name not in self.lazy_subcommands
        ]
        if rows:
            with formatter.section('Commands'):
                formatter.write_dl(rows)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Return the eager and the lazy subcommands, sorted."""
        return sorted({*super().list_commands(ctx), *self.lazy_subcommands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import a lazy subcommand on first use, then defer to :class:`VerdiCommandGroup`."""
        if cmd_name in self.lazy_subcommands and cmd_name not in self.commands:
            module_name, attribute = self.lazy_subcommands[cmd_name][0].split(':')
            command = getattr(importlib.import_module(module_name), attribute)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(
    'aiida-enatom',
    cls=LazyVerdiGroup,
    context_settings={'help_option_names': ['-h', '--help']},
    lazy_subcommands={
        'analyse': ('aiida_enatom.cli.analyse:cmd_analyse', 'Analyse α²F files without an AiiDA profile.'),
        'setup': ('aiida_enatom.cli.setup:cmd_setup', 'Prepare profile, computer, QE codes and pseudopotentials.'),
        'launch': ('aiida_enatom.cli.launch:cmd_launch', 'Launch a pressure point or an enatom calculation.'),
        'show': ('aiida_enatom.cli.show:cmd_show', 'Show the metrics of a finished calculation.'),
        'export-enatom': ('aiida_enatom.cli.export:cmd_export_enatom', 'Write enatom grids as XSF or cube files.'),
        'quickstart': ('aiida_enatom.cli.quickstart:cmd_quickstart', 'Set up and run the embedded default job.'),
        'campaign': ('aiida_enatom.cli.campaign:cmd_campaign', 'Validate, launch and watch screening campaigns.'),
        'rank': ('aiida_enatom.cli.rank:cmd_rank', 'Rank stored pressure points by area, I_H^2, T_c or lambda_H.'),
        'export': ('aiida_enatom.cli.export_results:cmd_export', 'Export a campaign as CSV or JSON.'),
        'plot': ('aiida_enatom.cli.plot:cmd_plot', "Plot a campaign: the paper's Figures 2 and 3 and more."),
        'isotope': ('aiida_enatom.cli.isotope:cmd_isotope', 'T_c and isotope coefficients at other masses (no DFT).'),
        'pseudos': ('aiida_enatom.cli.pseudos:cmd_pseudos', 'Validate the offline ld1.x pseudopotentials.'),
    },
)
@options.PROFILE(type=types.ProfileParamType(load_profile=True), expose_value=False)
def cmd_root() -> None:
    """Screen hydride superconductors: per-atom α²F, Eliashberg T_c, I_H² and enatom potentials."""
    # aiida-core's echo writes through logging; when stdout is a pipe that closed (`aiida-enatom rank | head`), each
    # later line would print a "Logging error" traceback. Drop those writes silently instead: a command that runs
    # QE in this process must go on (and end its processes cleanly), not die of SIGPIPE or fill stderr.
    logging.raiseExceptions = False

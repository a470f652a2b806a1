"""``verdi data enatom``: show, export and plot :class:`~aiida_enatom.data.alpha2f.Alpha2FData` nodes.

Registered through the ``aiida.cmdline.data`` entry point ``enatom``; ``verdi data`` loads it lazily. The node
argument goes through aiida-core's ``DataParamType`` restricted to ``enatom.alpha2f``, so a missing PK or a node of
another type ends in verdi's one-line error, not a traceback.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import click
from aiida.cmdline.groups import VerdiCommandGroup
from aiida.cmdline.params import arguments, options, types
from aiida.cmdline.utils import echo

__all__ = ('alpha2f_summary', 'cmd_enatom')


class _Alpha2FParamType(types.DataParamType):
    """aiida-core's ``DataParamType`` for Alpha2FData, with a PK too large for the database as a usage error."""

    def convert(self, value, param, ctx):
        try:
            return super().convert(value, param, ctx)
        except OverflowError:
            self.fail(f'{value} is out of range for a PK; give the PK or UUID of an Alpha2FData node', param, ctx)


ALPHA2F_NODE = arguments.OverridableArgument(
    'node', metavar='NODE', type=_Alpha2FParamType(sub_classes=('aiida.data:enatom.alpha2f',))
)
SMEARING_INDEX = options.OverridableOption(
    '-s',
    '--smearing-index',
    type=int,
    default=0,
    show_default=True,
    help='Which smearing to use: 0-based index into the smearings listed by `verdi data enatom show`.',
)
#: `show` warns when the α²F weight at ω ≤ 0 exceeds this fraction of the area 𝒜 (smearing tails stay below it).
NONPOSITIVE_WARNING_FRACTION = 1.0e-3
OVERWRITE = options.OverridableOption(
    '--overwrite', is_flag=True, default=False, help='Replace the output file if it exists.'
)


@click.group('enatom', cls=VerdiCommandGroup)
def cmd_enatom() -> None:
    """Inspect Alpha2FData nodes (enatom.alpha2f): α²F(ω) per smearing with partial spectra."""


def _spectrum(node: Any, index: int):
    """The validated :class:`Alpha2F` of smearing ``index``, or a one-line critical error naming the valid range."""
    count = node.number_of_smearings
    if not -count <= index < count:
        echo.echo_critical(
            f'--smearing-index {index} is out of range: node {node.pk} has {count} smearing(s), valid 0..{count - 1}'
        )
    return node.to_alpha2f(index)


def _check_target(path: pathlib.Path, overwrite: bool) -> None:
    if path.exists() and not overwrite:
        echo.echo_critical(f'{path} exists; pass --overwrite to replace it')
    if not path.parent.is_dir():
        echo.echo_critical(f'{path}: the folder {path.parent} does not exist')


def alpha2f_summary(node: Any) -> dict[str, Any]:
    """Summary of an Alpha2FData node: grid, partials and the moments of every smearing.

    Parameters
    ----------
    node : Alpha2FData
        The node (stored or not).

    Returns
    -------
    dict
        ``pk``, ``uuid``, ``n_points``, ``frequency_min_meV``, ``frequency_max_meV``, ``partial_keys``,
        ``phonon_dos_points`` (0 without a phonon DOS) and ``smearings``: per smearing ``index``, ``smearing_Ry``,
        ``label``, the moments of :meth:`aiida_enatom.numerics.moments.Moments.as_dict` (``lambda``,
        ``omega_log_meV``, ``area_meV``, ...; ``None`` with the reason in ``moments_error`` when λ ≤ 0) and
        ``lambda_partials``, λ of each partial spectrum.
    """
    from aiida_enatom.exceptions import InputValidationError
    from aiida_enatom.numerics.moments import coupling_lambda, moments

    frequency = node.frequency
    dos = node.phonon_dos
    rows = []
    for index, (sigma, spectrum) in enumerate(zip(node.smearings, node.to_alpha2f_list(), strict=True)):
        row: dict[str, Any] = {'index': index, 'smearing_Ry': float(sigma), 'label': spectrum.label}
        try:
            row.update(moments(spectrum).as_dict())
        except InputValidationError as exception:
            row.update(dict.fromkeys(('lambda', 'omega_log_meV', 'omega_1_meV', 'omega_2_meV', 'area_meV')))
            row['weight_nonpositive_meV'] = spectrum.weight_nonpositive
            row['weight_negative_meV'] = spectrum.weight_negative
            row['moments_error'] = str(exception)
        row['lambda_partials'] = {key: coupling_lambda(spectrum.partial(key)) for key in spectrum.partials}
        rows.append(row)
    return {
        'pk': node.pk,
        'uuid': node.uuid,
        'n_points': int(frequency.size),
        'frequency_min_meV': float(frequency.min()),
        'frequency_max_meV': float(frequency.max()),
        'partial_keys': node.partial_keys,
        'phonon_dos_points': 0 if dos is None else int(dos[0].size),
        'smearings': rows,
    }


def _format(value: float | None, spec: str) -> str:
    return 'n/a' if value is None else format(value, spec)


@cmd_enatom.command('show')
@ALPHA2F_NODE(required=True)
@click.option('--json', 'as_json', is_flag=True, help='Print the summary as JSON.')
def cmd_show(node, as_json: bool) -> None:
    """Show the smearings, partial spectra, frequency grid and λ, ω_log, 𝒜 per smearing of an Alpha2FData NODE."""
    summary = alpha2f_summary(node)
    if as_json:
        echo.echo(json.dumps(summary, indent=2))
        return
    partials = summary['partial_keys']
    echo.echo(f'Alpha2FData<{summary["pk"]}> {summary["uuid"]}')
    echo.echo(
        f'frequency grid   {summary["n_points"]} points, '
        f'{summary["frequency_min_meV"]:.3f} .. {summary["frequency_max_meV"]:.3f} meV'
    )
    echo.echo(f'partial spectra  {", ".join(partials) if partials else "none"}')
    dos_points = summary['phonon_dos_points']
    echo.echo(f'phonon DOS       {f"{dos_points} points" if dos_points else "none"}')
    header = ['index', 'sigma (Ry)', 'lambda', 'omega_log (meV)', 'area (meV)', *(f'lambda[{k}]' for k in partials)]
    table = [header]
    for row in summary['smearings']:
        table.append(
            [
                str(row['index']),
                f'{row["smearing_Ry"]:.4f}',
                _format(row['lambda'], '.4f'),
                _format(row['omega_log_meV'], '.2f'),
                _format(row['area_meV'], '.3f'),
                *(f'{row["lambda_partials"][k]:.4f}' for k in partials),
            ]
        )
    widths = [max(len(line[column]) for line in table) for column in range(len(header))]
    echo.echo('')
    for line in table:
        echo.echo('  '.join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)))
    for row in summary['smearings']:
        if 'moments_error' in row:
            echo.echo_warning(f'smearing {row["index"]}: {row["moments_error"]}')
        left_out = row['weight_nonpositive_meV']
        if left_out is not None and row['area_meV'] and left_out > NONPOSITIVE_WARNING_FRACTION * abs(row['area_meV']):
            echo.echo_warning(
                f'smearing {row["index"]}: weight {left_out:.3g} meV at ω ≤ 0 (imaginary modes?) '
                f'is left out of the moments ({left_out / abs(row["area_meV"]):.1%} of the area)'
            )


@cmd_enatom.command('export')
@ALPHA2F_NODE(required=True)
@click.option(
    '-o', '--output', 'output', type=click.Path(dir_okay=False, path_type=pathlib.Path), required=True, help='File.'
)
@SMEARING_INDEX()
@click.option(
    '-F',
    '--format',
    'fmt',
    type=click.Choice(['dat', 'json']),
    default=None,
    help='dat: columns ω (meV), α²F, partials, with a commented header; json: arrays by name. '
    'Default: json for a .json file, else dat.',
)
@OVERWRITE()
def cmd_export(node, output: pathlib.Path, smearing_index: int, fmt: str | None, overwrite: bool) -> None:
    """Write α²F(ω) of one smearing of an Alpha2FData NODE, with its partial spectra, to a file.

    The dat file reads back with `aiida-enatom analyse a2f FILE --unit mev` (the total is column 1).
    """
    import numpy as np

    spectrum = _spectrum(node, smearing_index)
    sigma = float(node.smearings[smearing_index])
    fmt = fmt or ('json' if output.suffix.lower() == '.json' else 'dat')
    _check_target(output, overwrite)
    keys = list(spectrum.partials)
    if fmt == 'json':
        content = {
            'pk': node.pk,
            'uuid': node.uuid,
            'smearing_index': smearing_index,
            'smearing_Ry': sigma,
            'label': spectrum.label,
            'frequency_meV': spectrum.frequency.tolist(),
            'alpha2f': spectrum.spectrum.tolist(),
            'partials': {key: spectrum.partials[key].tolist() for key in keys},
        }
        output.write_text(json.dumps(content, indent=1) + '\n')
    else:
        header = (
            f'Alpha2FData pk={node.pk} uuid={node.uuid}\n'
            f'smearing index {smearing_index}: sigma = {sigma:g} Ry ({spectrum.label})\n'
            f'{"omega (meV)":>14s}  {"alpha2F":>16s}' + ''.join(f'  {key:>16s}' for key in keys)
        )
        columns = np.column_stack([spectrum.frequency, spectrum.spectrum, *(spectrum.partials[k] for k in keys)])
        np.savetxt(output, columns, fmt='%16.8e', delimiter='  ', header=header)
    echo.echo_success(f'wrote {fmt} of smearing {smearing_index} (sigma = {sigma:g} Ry) of node {node.pk} to {output}')


@cmd_enatom.command('plot')
@ALPHA2F_NODE(required=True)
@click.option(
    '-o',
    '--output',
    'output',
    type=click.Path(dir_okay=False, path_type=pathlib.Path),
    required=True,
    help='Image file; the suffix picks the format (png, pdf, svg).',
)
@SMEARING_INDEX()
@click.option('--partials', is_flag=True, help='Plot the partial spectra with the total instead of α²F and λ(ω).')
@OVERWRITE()
def cmd_plot(node, output: pathlib.Path, smearing_index: int, partials: bool, overwrite: bool) -> None:
    """Plot α²F(ω) of one smearing of an Alpha2FData NODE with its running λ(ω), or its partial spectra."""
    from matplotlib.figure import Figure

    from aiida_enatom.cli.utils import IMAGE_SUFFIXES
    from aiida_enatom.plotting.spectra import plot_alpha2f, plot_partial_alpha2f

    if output.suffix.lower() not in IMAGE_SUFFIXES:
        echo.echo_critical(f'{output}: unsupported image format {output.suffix!r}; use {", ".join(IMAGE_SUFFIXES)}')
    spectrum = _spectrum(node, smearing_index)
    if partials and not spectrum.partials:
        echo.echo_critical(f'node {node.pk} has no partial spectra; plot without --partials')
    _check_target(output, overwrite)
    figure = Figure(figsize=(6.0, 4.0), layout='constrained')
    ax = figure.add_subplot()
    if partials:
        plot_partial_alpha2f(spectrum, ax=ax)
    else:
        plot_alpha2f(spectrum, ax=ax)
    ax.set_title(f'Alpha2FData {node.pk}: σ = {float(node.smearings[smearing_index]):g} Ry')
    try:
        figure.savefig(output, dpi=150)
    except ValueError as exception:  # unknown image format
        echo.echo_critical(f'{output}: {exception}')
    echo.echo_success(f'wrote {output}')

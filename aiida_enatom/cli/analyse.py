"""``aiida-enatom analyse``: profile-free analysis of α²F files (QE matdyn ``a2F.dosN`` or column files)."""

from __future__ import annotations

import json
import math
import pathlib

import click

from aiida_enatom.cli.utils import IMAGE_SUFFIXES, output_path_callback

FORMATS = ('auto', 'matdyn', 'columns')
UNITS = ('meV', 'eV', 'THz', 'cm-1', 'K', 'Ry', 'Ha')
#: The keys of ``aiida_enatom.numerics.eliashberg.MU_STAR_CONVENTIONS`` (listed here to keep the CLI import light).
MU_STAR_CONVENTIONS = ('ten_omega_max', 'cutoff', 'omega_log')


def _fail(message: str) -> None:
    """Print one clear error line and exit with status 1."""
    click.echo(f'Error: {message}', err=True)
    raise SystemExit(1)


def _spectrum_options(function):
    """Options shared by the ``analyse`` commands: how to read the file and the Coulomb parameters."""
    decorators = [
        click.argument('filename', type=click.Path(dir_okay=False, path_type=pathlib.Path)),
        click.option(
            '--format',
            'fmt',
            type=click.Choice(FORMATS),
            default='auto',
            show_default=True,
            help='File format; auto-detected from the content by default.',
        ),
        click.option(
            '--unit',
            type=click.Choice(UNITS, case_sensitive=False),
            default=None,
            help='Frequency unit of the first column (required for column files; matdyn files are Ry).',
        ),
        click.option(
            '--smearing-index',
            type=int,
            default=None,
            help='Which broadening/column to use when the file has several (1-based).',
        ),
        click.option(
            '--mu-star',
            type=float,
            default=0.1,
            show_default=True,
            help='Coulomb pseudopotential μ*, in [0, 0.5), read in --mu-star-convention.',
        ),
        click.option(
            '--mu-star-convention',
            type=click.Choice(MU_STAR_CONVENTIONS),
            default='ten_omega_max',
            show_default=True,
            help='Where μ* is quoted in the Eliashberg solver: ten_omega_max (at 10 ω_max, rescaled to the Matsubara '
            "cutoff), cutoff (applied at the cutoff without rescaling, EPW's muc) or omega_log (at ω_log, rescaled).",
        ),
        click.option(
            '--cutoff-factor',
            type=float,
            default=10.0,
            show_default=True,
            help='Matsubara cutoff of the Eliashberg solver in units of ω_max (> 1).',
        ),
        click.option('--json', 'as_json', is_flag=True, help='Print one JSON object instead of a table.'),
        click.option(
            '--plot',
            type=click.Path(dir_okay=False, path_type=pathlib.Path),
            default=None,
            callback=output_path_callback(IMAGE_SUFFIXES),
            help='Write a plot to this PNG (or PDF, SVG) file.',
        ),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def _read(
    filename: pathlib.Path, fmt: str, unit: str | None, smearing_index: int | None, mu_star: float, cutoff_factor: float
):
    """Validate the options and read the spectrum, turning every expected error into one line."""
    from aiida_enatom.exceptions import EnatomError
    from aiida_enatom.io.alpha2f import read_alpha2f

    if not (0.0 <= mu_star < 0.5):
        _fail(f'--mu-star {mu_star} is outside the valid range [0, 0.5)')
    if not cutoff_factor > 1.0:
        _fail(f'--cutoff-factor {cutoff_factor} must be greater than 1 (it multiplies ω_max)')
    if not filename.is_file():
        _fail(f'{filename}: no such file')
    try:
        spectrum = read_alpha2f(filename, fmt=None if fmt == 'auto' else fmt, unit=unit, smearing_index=smearing_index)
    except (EnatomError, OSError, UnicodeDecodeError) as exception:
        _fail(str(exception))
    from aiida_enatom.io.alpha2f import implausible_frequencies
    from aiida_enatom.io.columns import canonical_unit

    # only a unit the user chose can be wrong: matdyn (Ry) and lambda.x (THz) files fix theirs
    warning = implausible_frequencies(spectrum, canonical_unit(unit)) if unit else None
    if warning:
        click.echo(f'Warning: {filename.name}: {warning}', err=True)
    return spectrum


def _save(ax, path: pathlib.Path) -> None:
    try:
        ax.figure.savefig(path, dpi=150)
    except (OSError, ValueError) as exception:
        _fail(f'cannot write the plot {path}: {exception}')
    click.echo(f'plot written to {path}', err=True)


def _jsonable(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@click.group('analyse')
def cmd_analyse() -> None:
    """Analyse α²F files: moments, T_c by every route, Bergmann–Rainer derivative (no AiiDA profile needed)."""


@cmd_analyse.command('a2f')
@_spectrum_options
def cmd_a2f(filename, fmt, unit, smearing_index, mu_star, mu_star_convention, cutoff_factor, as_json, plot) -> None:
    """Moments (λ, ω_log, ω̄₁, ω̄₂, 𝒜) and T_c (McMillan, Allen–Dynes, Leavens–Carbotte, Eliashberg) of FILENAME."""
    from aiida_enatom.exceptions import EnatomError
    from aiida_enatom.numerics.metrics import analyse_spectrum

    spectrum = _read(filename, fmt, unit, smearing_index, mu_star, cutoff_factor)
    try:
        result = analyse_spectrum(
            spectrum, mu_star=mu_star, cutoff_factor=cutoff_factor, mu_star_convention=mu_star_convention
        )
    except (EnatomError, ArithmeticError) as exception:
        _fail(f'{filename}: {exception}')
    result = {'file': str(filename), **result}
    if as_json:
        click.echo(json.dumps({key: _jsonable(value) for key, value in result.items()}))
    else:
        _print_table(result)
    if plot is not None:
        from aiida_enatom.plotting.spectra import plot_alpha2f

        ax = plot_alpha2f(spectrum)
        ax.set_title(
            f'{filename.name}: λ = {result["lambda"]:.3f}, T_c(Eliashberg) = {result["tc_eliashberg_K"]:.1f} K'
        )
        _save(ax, plot)


ROWS = (
    ('lambda', 'λ', ''),
    ('omega_log_meV', 'ω_log', 'meV'),
    ('omega_1_meV', 'ω_1 = (2/λ)∫α²F dω', 'meV'),
    ('omega_2_meV', 'ω_2 = [(2/λ)∫ωα²F dω]^½', 'meV'),
    ('area_meV', '𝒜 = ∫α²F dω', 'meV'),
    ('tc_mcmillan_K', 'T_c McMillan (ω_log/1.2)', 'K'),
    ('tc_allen_dynes_K', 'T_c Allen–Dynes f₁f₂', 'K'),
    ('tc_leavens_carbotte_K', 'T_c Leavens–Carbotte 0.148𝒜', 'K'),
    ('tc_strong_coupling_K', 'T_c strong coupling 0.1827ω_2√λ', 'K'),
    ('tc_eliashberg_K', 'T_c isotropic Eliashberg', 'K'),
    ('tc_over_area', 'k_B T_c/𝒜 (Eliashberg)', ''),
    ('tc_bound_leavens_K', "Leavens' bound 0.2309𝒜", 'K'),
    ('weight_nonpositive_meV', 'weight at ω ≤ 0 (left out)', 'meV'),
)


def _print_table(result: dict) -> None:
    click.echo(
        f'{result["file"]}  (μ* = {result["mu_star"]}, convention {result["mu_star_convention"]}, '
        f'cutoff {result["cutoff_factor"]} ω_max)'
    )
    for key, label, unit in ROWS:
        value = result[key]
        click.echo(f'  {label:<34s} {value:12.4f} {unit}' if value is not None else f'  {label:<34s} {"n/a":>12s}')
    if result.get('tc_eliashberg_below_t_min'):
        click.echo('  note: the Eliashberg T_c lies below the lowest temperature considered; reported as 0 K')
    if result['weight_nonpositive_meV'] > 0:
        click.echo('  warning: α²F has weight at ω ≤ 0 (imaginary modes?): the structure may be unstable', err=True)


@cmd_analyse.command('derivative')
@_spectrum_options
def cmd_derivative(
    filename, fmt, unit, smearing_index, mu_star, mu_star_convention, cutoff_factor, as_json, plot
) -> None:
    """T_c and the Bergmann–Rainer derivative δT_c/δα²F(Ω) of FILENAME on its own frequency grid."""
    from aiida_enatom.exceptions import EnatomError
    from aiida_enatom.numerics.bergmann_rainer import tc_functional_derivative

    spectrum = _read(filename, fmt, unit, smearing_index, mu_star, cutoff_factor)
    try:
        result = tc_functional_derivative(
            spectrum, mu_star=mu_star, cutoff_factor=cutoff_factor, mu_star_convention=mu_star_convention
        )
    except (EnatomError, ArithmeticError) as exception:
        _fail(f'{filename}: {exception}')
    if as_json:
        click.echo(
            json.dumps(
                {
                    'file': str(filename),
                    'mu_star': mu_star,
                    'mu_star_convention': mu_star_convention,
                    'cutoff_factor': cutoff_factor,
                    'tc_K': result.tc_k,
                    'omega_meV': [float(x) for x in result.omega_mev],
                    'dtc_da2f_K_per_meV': [float(x) for x in result.dtc_da2f_k_per_mev],
                    'peak_omega_meV': _jsonable(float(result.peak_omega_mev)),
                    'peak_omega_over_kTc': _jsonable(float(result.peak_omega_over_kTc)),
                }
            )
        )
    else:
        click.echo(f'{filename}  (μ* = {mu_star}, convention {mu_star_convention}, cutoff {cutoff_factor} ω_max)')
        click.echo(f'  T_c (isotropic Eliashberg)          {result.tc_k:12.4f} K')
        click.echo(f'  maximum of δT_c/δα²F at Ω =          {result.peak_omega_mev:12.4f} meV')
        click.echo(f'                                      {result.peak_omega_over_kTc:12.4f} k_B T_c')
    if plot is not None:
        from aiida_enatom.plotting.spectra import plot_tc_derivative

        _save(plot_tc_derivative(spectrum, result.omega_mev, result.dtc_da2f_k_per_mev, result.tc_k), plot)

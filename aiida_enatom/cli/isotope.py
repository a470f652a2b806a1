"""``aiida-enatom isotope``: T_c and isotope coefficients of a stored point at other masses (no new DFT)."""

from __future__ import annotations

import json
import math
from typing import Any

import click
from aiida.cmdline.utils import echo

from aiida_enatom.cli import utils

__all__ = ('cmd_isotope', 'parse_substitutions')

#: Keys printed by the table view, in this order (the JSON view prints every key).
TABLE_KEYS = (
    'isotope_substitution',
    'tc_eliashberg_recomputed_K',
    'tc_eliashberg_{suffix}_K',
    'tc_allen_dynes_{suffix}_K',
    'tc_mcmillan_{suffix}_K',
    'tc_leavens_carbotte_{suffix}_K',
    'isotope_tc_ratio_{suffix}',
    'isotope_alpha',
    'isotope_alpha_H',
    'isotope_alpha_M',
    'isotope_alpha_H_allen_dynes',
    'isotope_alpha_M_allen_dynes',
    'isotope_log_step',
    'mu_star',
    'isotope_mu_star_convention',
)


def parse_substitutions(substitute: tuple[str, ...], mass: tuple[str, ...]) -> dict[str, float | str]:
    """``('H=D',)`` and ``('S=34',)`` → ``{'H': 'D', 'S': 34.0}``; one-line :class:`click.BadParameter` on errors."""
    out: dict[str, float | str] = {}
    for option, values in (('--substitute', substitute), ('--mass', mass)):
        for text in values:
            element, sep, value = text.partition('=')
            element, value = element.strip(), value.strip()
            if not sep or not element or not value:
                raise click.BadParameter(f'{text!r} is not ELEMENT=VALUE (e.g. H=D or H=2.014)', param_hint=option)
            if element in out:
                raise click.BadParameter(f'{element} is given twice', param_hint=option)
            if option == '--substitute' and not _is_number(value):
                from aiida_enatom.numerics.isotopes import HYDROGEN, ISOTOPE_MASSES_AMU

                if element != HYDROGEN or value not in ISOTOPE_MASSES_AMU:
                    raise click.BadParameter(
                        f'{text!r}: unknown isotope; use {", ".join(f"H={name}" for name in ISOTOPE_MASSES_AMU)} '
                        'or --mass ELEMENT=AMU',
                        param_hint=option,
                    )
                out[element] = value
                continue
            if not _is_number(value) or not (math.isfinite(float(value)) and float(value) > 0):
                raise click.BadParameter(
                    f'{text!r}: the mass of {element} must be a positive number of amu', param_hint=option
                )
            out[element] = float(value)
    if not out:
        raise click.UsageError('give at least one --substitute ELEMENT=ISOTOPE or --mass ELEMENT=AMU')
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f'{value:.4g}'
    return 'n/a' if value is None else str(value)


@click.command('isotope')
@click.argument('pk', type=click.IntRange(1, 2**63 - 1))
@click.option(
    '--substitute',
    multiple=True,
    metavar='ELEMENT=ISOTOPE',
    help='Replace an element by an isotope: H=D (deuterium) or H=T (tritium). Repeatable.',
)
@click.option(
    '--mass',
    multiple=True,
    metavar='ELEMENT=AMU',
    help='Give an element another mass in amu, e.g. H=2.014. Repeatable.',
)
@click.option('--json', 'as_json', is_flag=True, help='Print one JSON object instead of a table.')
@utils.with_dbenv()
def cmd_isotope(pk: int, substitute: tuple[str, ...], mass: tuple[str, ...], as_json: bool):
    """Re-diagonalise the stored force constants of point PK with other masses: α²F, T_c, isotope coefficients.

    PK is an enatom.pressure_point or enatom.alpha2f process. No DFT is run: q2r's real-space force constants and
    electron-phonon matrices are mass-independent. The result is stored with provenance (calcfunction
    substitute_isotopes) and printed: T_c by every route at the new masses, T_c(new)/T_c(stored), and the isotope
    coefficients alpha (all masses), alpha_H (H only), alpha_M (all other species) = -d ln T_c / d ln M.
    """
    from aiida import orm
    from aiida.common.exceptions import NotExistent

    from aiida_enatom.calculations.functions.substitute_isotopes import (
        point_isotope_inputs,
        record_suffix,
        substitute_isotopes,
    )
    from aiida_enatom.exceptions import EnatomError

    substitutions = parse_substitutions(substitute, mass)
    try:
        node = orm.load_node(pk)
    except NotExistent:
        echo.echo_critical(f'no node with PK {pk} in this profile')
    try:
        inputs = point_isotope_inputs(node)
    except ValueError as exception:
        echo.echo_critical(str(exception))
    elements = sorted(key for key in inputs['alpha2f'].partial_keys if '-' not in key and ':' not in key)
    unknown = sorted(set(substitutions) - set(elements))
    if unknown:
        echo.echo_critical(f'{", ".join(unknown)}: not an element of point {pk} (it has {", ".join(elements)})')
    try:
        result = substitute_isotopes(**inputs, masses=orm.Dict(substitutions))
    except EnatomError as exception:
        echo.echo_critical(str(exception))
    values = result['isotope_effect'].get_dict()
    values.update(
        mu_star=inputs['mu_star'].value,
        calcfunction_pk=result['isotope_effect'].creator.pk,
        alpha2f_pk=result['alpha2f'].pk,
    )
    if as_json:
        echo.echo(json.dumps(values, indent=2))
        return
    keys = [key.format(suffix=record_suffix(substitutions)) for key in TABLE_KEYS]
    width = max(len(key) for key in (*keys, 'calcfunction_pk'))
    for key in (*keys, 'calcfunction_pk', 'alpha2f_pk'):
        echo.echo(f'{key:<{width}}  {_format(values.get(key))}')

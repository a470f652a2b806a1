"""The Markdown table of validation summaries (one row per element), as printed by ``aiida-enatom pseudos validate``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiida_enatom.pseudos.generate import recommended_cutoffs

__all__ = ('TABLE_HEADER', 'format_row', 'format_table')

TABLE_HEADER = (
    '| element | ld1 max abs ΔE (mRy) | Bessel ghosts | atom: max dev (mRy) / ghosts | crystal '
    '| a_PBE (Å) | a_exp (Å) | error (%) | B0 (GPa) | cutoff normal: ΔE (mRy/atom) / ΔP (GPa) |\n'
    '|---|---|---|---|---|---|---|---|---|---|'
)
"""Header and separator lines of :func:`format_table`."""


def format_row(summary: dict[str, Any]) -> str:
    """Format one element's validation summary as a Markdown table row.

    Parameters
    ----------
    summary : dict
        As returned by :func:`~aiida_enatom.pseudos.validate.driver.validate_element` (or read back from its JSON).

    Returns
    -------
    str
        ``| El | ... |``: ld1 ΔE and atom deviation in mRy, a in Å, B0 in GPa, and the cutoff test at the normal
        recommended cutoff (mRy/atom, GPa); ``—`` for tests that did not run.
    """
    element = summary['element']
    eos = summary.get('eos')
    cut = summary.get('cutoffs')
    cut_text = '—'
    if cut:
        normal = recommended_cutoffs('normal', [element])[element]['cutoff_wfc']
        i = cut['ecutwfc'].index(normal)
        cut_text = f'{cut["delta_energy_mry_per_atom"][i]:+.2f} / {cut["delta_pressure_gpa"][i]:+.2f}'
    eos_text = (
        f'| {eos["label"]} | {eos["a0"]:.3f} | {eos["a_exp"]:.3f} | {eos["error_percent"]:+.2f} '
        f'| {eos["bulk_modulus"]:.1f} '
        if eos
        else '| — | — | — | — | — '
    )
    return (
        f'| {element} | {1000 * summary["ld1"]["max_abs_delta_e"]:.3f} | {len(summary["ld1"]["bessel_ghosts"])} '
        f'| {1000 * summary["atom"]["max_deviation"]:.1f} / {len(summary["atom"]["ghosts"])} '
        + eos_text
        + f'| {cut_text} |'
    )


def format_table(summaries: Iterable[dict[str, Any]]) -> str:
    """Format validation summaries as a Markdown table (header, separator, one row per element)."""
    return '\n'.join([TABLE_HEADER, *(format_row(s) for s in summaries)])

"""Figures of merit of the hydrogen and metal parts of α²F: per species, the aggregated metal, and their T_c.

The species partials of :mod:`aiida_enatom.numerics.projections` (species s: the s–s pairs plus half of every
cross term involving s) sum to the total α²F. This module turns them into the per-species numbers of a pressure
point and into the two groups the paper's argument needs: **H** (hydrogen) and **M** (every other species,
aggregated: the sum of their partials). With one metal species the ``_M`` keys equal that species' keys; with
several metals they aggregate.

Per species or group g (a key suffix ``_g``):

- ``lambda_g``, ``omega_log_g_meV``, ``omega_2_g_meV``, ``area_g_meV`` are moments of the partial spectrum;
- ``N_g_0_states_per_eV_spin`` is the DOS per spin at E_F of *one atom* of g (for M the atom-count-weighted mean of
  its species);
- ``I2_g_eV2_per_A2`` and ``eta_g_eV_per_A2`` are McMillan–Hopfield per atom (:mod:`aiida_enatom.numerics.hopfield`)
  with λ per atom = λ_g / n_g and, for M, the atom-count-weighted mean mass;
- ``lambda_g_mode_character`` is λ of the eigenvector-weight partial ``'ev:s'`` (summed over M's species) when the
  spectrum carries it;
- for the groups H and M only: T_c of the partial spectrum *alone* by every route (``tc_mcmillan_g_K``,
  ``tc_allen_dynes_g_K``, ``tc_leavens_carbotte_g_K``, ``tc_eliashberg_g_K``), the paper's "discard the metal"
  test. The Eliashberg solver quotes μ* at the reference frequency of the *full* spectrum in the chosen μ*
  convention (10 ω_max or ω_log of the full spectrum), so that the partial and the full T_c use the same μ*; in the
  convention ``'cutoff'`` each partial applies μ* at its own cutoff (the H partial's ω_max is the full one's);
- for H only: ``tc_over_area_H`` = k_BT_c/𝒜 of the H partial alone (Eliashberg, dimensionless; the paper's
  Figure 3 puts T_c(H only) against 𝒜_H) and ``tc_bound_leavens_H_K`` = 0.2309 𝒜_H.

``delta_tc_<route>_K`` = T_c(full) − T_c(H only) for each route.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.eliashberg import DEFAULT_MU_STAR_CONVENTION, mu_star_reference_mev
from aiida_enatom.numerics.hopfield import hopfield_parameter, scattering_strength
from aiida_enatom.numerics.metrics import analyse_spectrum, leavens_bound_tc, tc_over_area
from aiida_enatom.numerics.moments import moments
from aiida_enatom.numerics.spectra import Alpha2F

__all__ = ('HYDROGEN', 'TC_ROUTES', 'group_tc', 'species_metrics')

HYDROGEN = 'H'
#: T_c routes computed for the H and M partial spectra: key stem in the full-spectrum metrics → suffix.
TC_ROUTES = ('mcmillan', 'allen_dynes', 'leavens_carbotte', 'eliashberg')

_MOMENT_KEYS = ('lambda_{g}', 'omega_log_{g}_meV', 'omega_2_{g}_meV', 'area_{g}_meV')
_HOPFIELD_KEYS = ('N_{g}_0_states_per_eV_spin', 'I2_{g}_eV2_per_A2', 'eta_{g}_eV_per_A2')


def _group_spectrum(spectrum: Alpha2F, species: list[str], prefix: str = '') -> Alpha2F | None:
    """Sum of the partials ``prefix + s`` over ``species``; ``None`` if one is missing or the list is empty."""
    keys = [f'{prefix}{symbol}' for symbol in species]
    if not keys or any(key not in spectrum.partials for key in keys):
        return None
    total = np.sum([spectrum.partials[key] for key in keys], axis=0)
    return Alpha2F(spectrum.frequency, total, label=f'{spectrum.label} {"+".join(keys)}'.strip())


def _group_values(
    part: Alpha2F,
    n_atoms: int,
    mass_amu: float,
    n_ef_per_atom: float | None,
    group: str,
) -> dict[str, Any]:
    values = moments(part)
    out: dict[str, Any] = {
        f'lambda_{group}': values.coupling_lambda,
        f'omega_log_{group}_meV': values.omega_log,
        f'omega_2_{group}_meV': values.omega_2,
        f'area_{group}_meV': values.area,
        f'N_{group}_0_states_per_eV_spin': n_ef_per_atom,
        f'I2_{group}_eV2_per_A2': None,
        f'eta_{group}_eV_per_A2': None,
    }
    lambda_atom = values.coupling_lambda / n_atoms
    if values.omega_2 > 0 and np.isfinite(values.omega_2) and lambda_atom >= 0:
        out[f'eta_{group}_eV_per_A2'] = hopfield_parameter(lambda_atom, values.omega_2, mass_amu)
        if n_ef_per_atom is not None and n_ef_per_atom > 0:
            out[f'I2_{group}_eV2_per_A2'] = scattering_strength(lambda_atom, values.omega_2, mass_amu, n_ef_per_atom)
    return out


def group_tc(
    part: Alpha2F | None,
    group: str,
    *,
    mu_star: float,
    mu_star_reference_mev: float | None,
    with_eliashberg: bool = True,
    mu_star_convention: str = DEFAULT_MU_STAR_CONVENTION,
) -> dict[str, float | None]:
    """T_c of one partial spectrum alone by every route: ``tc_<route>_<group>_K``.

    Parameters
    ----------
    part : Alpha2F or None
        The partial spectrum (meV); ``None`` or a spectrum without positive coupling gives ``None`` values.
    group : str
        Key suffix (``'H'`` or ``'M'``).
    mu_star : float
        μ* quoted at ``mu_star_reference_mev``.
    mu_star_reference_mev : float or None
        Reference frequency of μ* (meV): the full spectrum's, so that partial and full T_c share one μ*; None for
        the convention ``'cutoff'``.
    with_eliashberg : bool
        Solve the Eliashberg equations (else ``tc_eliashberg_<group>_K`` is ``None``).
    mu_star_convention : str
        See :data:`~aiida_enatom.numerics.eliashberg.MU_STAR_CONVENTIONS`.

    Returns
    -------
    dict
        ``tc_mcmillan_<group>_K``, ``tc_allen_dynes_<group>_K``, ``tc_leavens_carbotte_<group>_K``,
        ``tc_eliashberg_<group>_K`` in K.
    """
    empty: dict[str, float | None] = {f'tc_{route}_{group}_K': None for route in TC_ROUTES}
    if part is None or moments(part).coupling_lambda <= 0:
        return empty
    try:
        analysis = analyse_spectrum(
            part,
            mu_star=mu_star,
            mu_star_reference_mev=mu_star_reference_mev,
            with_eliashberg=with_eliashberg,
            mu_star_convention=mu_star_convention,
        )
    except InputValidationError:
        return empty
    return {f'tc_{route}_{group}_K': analysis[f'tc_{route}_K'] for route in TC_ROUTES}


def species_metrics(
    spectrum: Alpha2F,
    *,
    counts: Mapping[str, int],
    masses: Mapping[str, float],
    fermi_dos_per_atom: Mapping[str, float | None],
    mu_star: float,
    full_metrics: Mapping[str, Any] | None = None,
    with_eliashberg: bool = True,
    mu_star_convention: str = DEFAULT_MU_STAR_CONVENTION,
) -> dict[str, Any]:
    """Per-species and H/M-group figures of merit of ``spectrum`` (keys documented in the module docstring).

    Parameters
    ----------
    spectrum : Alpha2F
        α²F in meV with species partials keyed by element (``'H'``, ``'S'``, …) and optionally ``'ev:<s>'``.
    counts : mapping of str to int
        Number of atoms of each species in the cell (> 0).
    masses : mapping of str to float
        Atomic mass of each species in amu.
    fermi_dos_per_atom : mapping of str to float or None
        N_s(0) of one atom of each species, states/eV/spin.
    mu_star : float
        μ*, read in ``mu_star_convention`` relative to the *full* spectrum.
    full_metrics : mapping, optional
        :func:`analyse_spectrum` of the full spectrum; with it, ``delta_tc_<route>_K`` are added.
    with_eliashberg : bool
        Solve the Eliashberg equations for the H and M partials.
    mu_star_convention : str
        See :data:`~aiida_enatom.numerics.eliashberg.MU_STAR_CONVENTIONS` (default ``'ten_omega_max'``).

    Returns
    -------
    dict
        Flat, JSON-able; every group key is present (``None`` when the group is absent, e.g. M of pure hydrogen).

    Raises
    ------
    InputValidationError
        If a species of ``counts`` has no partial spectrum, mass or DOS entry, or a non-positive count.
    """
    species = sorted(counts)
    for symbol in species:
        if counts[symbol] <= 0:
            raise InputValidationError(f'counts[{symbol!r}] = {counts[symbol]}; every species needs ≥ 1 atom')
        if symbol not in spectrum.partials:
            raise InputValidationError(
                f'no partial spectrum for species {symbol!r}; available: {sorted(spectrum.partials)}'
            )
        if symbol not in masses or symbol not in fermi_dos_per_atom:
            raise InputValidationError(f'species {symbol!r} needs a mass and an N(0) entry')
    out: dict[str, Any] = {}
    for symbol in species:
        out.update(
            _group_values(spectrum.partial(symbol), counts[symbol], masses[symbol], fermi_dos_per_atom[symbol], symbol)
        )
        mode = _group_spectrum(spectrum, [symbol], prefix='ev:')
        if mode is not None:
            out[f'lambda_{symbol}_mode_character'] = moments(mode).coupling_lambda

    metals = [symbol for symbol in species if symbol != HYDROGEN]
    reference = mu_star_reference_mev(spectrum, mu_star_convention)
    groups = {HYDROGEN: [HYDROGEN] if HYDROGEN in counts else [], 'M': metals}
    for group, members in groups.items():
        part = _group_spectrum(spectrum, members)
        if group == 'M':
            if part is None:
                out.update({key.format(g='M'): None for key in (*_MOMENT_KEYS, *_HOPFIELD_KEYS)})
            else:
                n_metal = sum(counts[symbol] for symbol in members)
                mass = sum(counts[symbol] * masses[symbol] for symbol in members) / n_metal
                dos = [fermi_dos_per_atom[symbol] for symbol in members]
                n_ef = (
                    None
                    if any(value is None for value in dos)
                    else sum(counts[s] * float(d) for s, d in zip(members, dos, strict=True)) / n_metal
                )
                out.update(_group_values(part, n_metal, mass, n_ef, 'M'))
            mode = _group_spectrum(spectrum, members, prefix='ev:')
            out['lambda_M_mode_character'] = moments(mode).coupling_lambda if mode is not None else None
        elif part is None:
            out.update({key.format(g=HYDROGEN): None for key in (*_MOMENT_KEYS, *_HOPFIELD_KEYS)})
        out.update(
            group_tc(
                part,
                group,
                mu_star=mu_star,
                mu_star_reference_mev=reference,
                with_eliashberg=with_eliashberg,
                mu_star_convention=mu_star_convention,
            )
        )
    area_h = out.get(f'area_{HYDROGEN}_meV')
    out['tc_over_area_H'] = None if area_h is None else tc_over_area(out.get('tc_eliashberg_H_K'), area_h)
    out['tc_bound_leavens_H_K'] = None if area_h is None else leavens_bound_tc(max(area_h, 0.0))
    if full_metrics is not None:
        for route in TC_ROUTES:
            full, partial = full_metrics.get(f'tc_{route}_K'), out.get(f'tc_{route}_H_K')
            out[f'delta_tc_{route}_K'] = None if full is None or partial is None else float(full) - float(partial)
    return out

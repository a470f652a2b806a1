"""Calcfunction: superconducting metrics of α²F, per species too (λ_s, ω̄₂,s, 𝒜_s, N_s(0), I_s², η_s)."""

from __future__ import annotations

from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.data.alpha2f import Alpha2FData
from aiida_enatom.numerics.derivative_metrics import DERIVATIVE_KEYS
from aiida_enatom.numerics.eliashberg import DEFAULT_MU_STAR_CONVENTION
from aiida_enatom.numerics.frequency_split import frequency_split_metrics, gap_from_dos
from aiida_enatom.numerics.metrics import analyse_spectrum
from aiida_enatom.numerics.species_metrics import HYDROGEN, species_metrics

__all__ = ('compute_metrics',)


@calcfunction
def compute_metrics(
    alpha2f: Alpha2FData,
    structure: orm.StructureData,
    mu_star: orm.Float,
    smearing_index: orm.Int,
    fermi_dos: orm.Dict,
    stability: orm.Dict,
    sum_rule: orm.Dict,
    mu_star_convention: orm.Str | None = None,
    tc_derivative: orm.Dict | None = None,
) -> orm.Dict:
    """Return the metrics of the default smearing, per-species parts and λ, ω_log, T_c over all smearings.

    Per species s and for the groups H and M (every non-H species aggregated), as documented in
    :mod:`aiida_enatom.numerics.species_metrics`: λ, ω_log, ω̄₂, 𝒜, N(0), I², η, the mode-character λ, and for H and M
    the T_c of the partial spectrum alone by every route, with ΔT_c = T_c(full) − T_c(H only). Also: the μ*
    convention of every T_c, T_c/𝒜 and Leavens' bound, the frequency split at a metal–H gap of the phonon DOS
    (:mod:`aiida_enatom.numerics.frequency_split`) and, with ``tc_derivative``, the Bergmann–Rainer summary keys.

    Parameters
    ----------
    alpha2f
        α²F per smearing with species partials (meV).
    structure
        The crystal (atomic masses in amu, atom counts).
    mu_star
        Coulomb pseudopotential μ*.
    smearing_index
        0-based index of the smearing that gives the scalar metrics.
    fermi_dos
        Output of ``compute_fermi_pdos`` (N_s(0) per atom, states/eV/spin).
    stability
        Output of ``assess_stability``.
    sum_rule
        Output of ``check_partial_sum``.
    mu_star_convention
        A key of :data:`~aiida_enatom.numerics.eliashberg.MU_STAR_CONVENTIONS`; default ``'ten_omega_max'``.
    tc_derivative
        ``summary`` of ``compute_tc_derivative`` for the same spectrum: its keys are copied into the metrics.
    """
    convention = DEFAULT_MU_STAR_CONVENTION if mu_star_convention is None else mu_star_convention.value
    spectrum = alpha2f.to_alpha2f(smearing_index.value)
    result = dict(analyse_spectrum(spectrum, mu_star=mu_star.value, mu_star_convention=convention))
    result.update(smearing_Ry=float(alpha2f.smearings[smearing_index.value]), smearing_index=smearing_index.value)
    symbols = sorted({site.kind_name for site in structure.sites})
    result.update(
        species_metrics(
            spectrum,
            counts={symbol: sum(site.kind_name == symbol for site in structure.sites) for symbol in symbols},
            masses={kind.name: kind.mass for kind in structure.kinds},
            fermi_dos_per_atom={symbol: fermi_dos.get(f'N_{symbol}_0_states_per_eV_spin') for symbol in symbols},
            mu_star=mu_star.value,
            full_metrics=result,
            mu_star_convention=convention,
        )
    )
    counts = {symbol: sum(site.kind_name == symbol for site in structure.sites) for symbol in symbols}
    n_metal = sum(count for symbol, count in counts.items() if symbol != HYDROGEN)
    gap = None
    if alpha2f.phonon_dos is not None and 0 < n_metal < len(structure.sites):
        gap = gap_from_dos(*alpha2f.phonon_dos, n_low_modes=3 * n_metal, n_modes=3 * len(structure.sites))
    result.update(frequency_split_metrics(spectrum, gap))
    result.update(dict.fromkeys(DERIVATIVE_KEYS))
    if tc_derivative is not None:
        result.update({key: tc_derivative.get(key) for key in DERIVATIVE_KEYS})
    per_smearing = [
        analyse_spectrum(each, mu_star=mu_star.value, with_eliashberg=False, mu_star_convention=convention)
        for each in alpha2f.to_alpha2f_list()
    ]
    for key in ('lambda', 'omega_log_meV', 'tc_allen_dynes_K', 'tc_mcmillan_K'):
        result[f'{key}_per_smearing'] = [entry[key] for entry in per_smearing]
    result['smearing_Ry_per_smearing'] = [float(value) for value in alpha2f.smearings]
    result.update(
        dynamically_stable=stability['dynamically_stable'], lowest_frequency_meV=stability['lowest_frequency_meV']
    )
    result.update(partial_sum_rule_passed=sum_rule['passed'], partial_sum_rule_error=sum_rule['max_relative_error'])
    return orm.Dict(result)

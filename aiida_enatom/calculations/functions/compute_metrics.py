"""Calcfunction: superconducting metrics of α²F, per species too (λ_s, ω̄₂,s, 𝒜_s, N_s(0), I_s², η_s)."""

from __future__ import annotations

from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.data.alpha2f import Alpha2FData
from aiida_enatom.numerics.metrics import analyse_spectrum
from aiida_enatom.numerics.species_metrics import species_metrics

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
) -> orm.Dict:
    """Return the metrics of the default smearing, per-species parts and λ, ω_log, T_c over all smearings.

    Per species s and for the groups H and M (every non-H species aggregated), as documented in
    :mod:`aiida_enatom.numerics.species_metrics`: λ, ω_log, ω̄₂, 𝒜, N(0), I², η, the mode-character λ, and for H and M
    the T_c of the partial spectrum alone by every route, with ΔT_c = T_c(full) − T_c(H only).

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
    """
    spectrum = alpha2f.to_alpha2f(smearing_index.value)
    result = dict(analyse_spectrum(spectrum, mu_star=mu_star.value))
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
        )
    )
    per_smearing = [
        analyse_spectrum(each, mu_star=mu_star.value, with_eliashberg=False) for each in alpha2f.to_alpha2f_list()
    ]
    for key in ('lambda', 'omega_log_meV', 'tc_allen_dynes_K', 'tc_mcmillan_K'):
        result[f'{key}_per_smearing'] = [entry[key] for entry in per_smearing]
    result['smearing_Ry_per_smearing'] = [float(value) for value in alpha2f.smearings]
    result.update(
        dynamically_stable=stability['dynamically_stable'], lowest_frequency_meV=stability['lowest_frequency_meV']
    )
    result.update(partial_sum_rule_passed=sum_rule['passed'], partial_sum_rule_error=sum_rule['max_relative_error'])
    return orm.Dict(result)

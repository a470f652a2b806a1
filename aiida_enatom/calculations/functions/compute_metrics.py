"""Calcfunction: superconducting metrics of α²F, per species too (λ_s, ω̄₂,s, 𝒜_s, N_s(0), I_s², η_s)."""

from __future__ import annotations

from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.data.alpha2f import Alpha2FData
from aiida_enatom.numerics.hopfield import hopfield_parameter, scattering_strength
from aiida_enatom.numerics.metrics import analyse_spectrum
from aiida_enatom.numerics.moments import moments

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

    Per species s (``'H'``, and the metal, also aliased ``_M`` when there is exactly one other species):
    ``lambda_s_mode_character`` (λ of the eigenvector-weight partial ``'ev:s'``, when stored),
    ``lambda_s``, ``omega_log_s_meV``, ``omega_2_s_meV``, ``area_s_meV`` from the ``'s'`` partial (s–s plus half of
    the cross terms); ``N_s_0_states_per_eV_spin`` per atom; ``I2_s_eV2_per_A2`` and ``eta_s_eV_per_A2`` per atom
    (λ_s divided by the number of atoms of s).

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
    masses = {kind.name: kind.mass for kind in structure.kinds}
    symbols = sorted({site.kind_name for site in structure.sites})
    for symbol in symbols:
        part = moments(spectrum.partial(symbol))
        n_atoms = sum(site.kind_name == symbol for site in structure.sites)
        n_ef = fermi_dos[f'N_{symbol}_0_states_per_eV_spin']
        lambda_atom = part.coupling_lambda / n_atoms
        metals = [other for other in symbols if other != 'H']
        for alias in [symbol] + (['M'] if symbol != 'H' and len(metals) == 1 else []):
            result.update(
                {
                    f'lambda_{alias}': part.coupling_lambda,
                    f'omega_log_{alias}_meV': part.omega_log,
                    f'omega_2_{alias}_meV': part.omega_2,
                    f'area_{alias}_meV': part.area,
                    f'N_{alias}_0_states_per_eV_spin': n_ef,
                    f'I2_{alias}_eV2_per_A2': scattering_strength(lambda_atom, part.omega_2, masses[symbol], n_ef),
                    f'eta_{alias}_eV_per_A2': hopfield_parameter(lambda_atom, part.omega_2, masses[symbol]),
                }
            )
            if f'ev:{symbol}' in alpha2f.partial_keys:  # mode-character split, the literature's "metal share"
                result[f'lambda_{alias}_mode_character'] = moments(spectrum.partial(f'ev:{symbol}')).coupling_lambda
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

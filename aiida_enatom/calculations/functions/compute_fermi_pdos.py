"""Calcfunction: atom-projected electronic DOS per spin at E_F from projwfc.x, renormalised to the total."""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.numerics.hopfield import renormalise_projected_dos

__all__ = ('compute_fermi_pdos',)


@calcfunction
def compute_fermi_pdos(projections: orm.ProjectionData, dos: orm.XyData, scf_parameters: orm.Dict) -> orm.Dict:
    """Return N(0) and N_s(0) per atom of each species, in states/eV/spin, renormalised so that they sum to N(0).

    projwfc.x (non-spin-polarised) writes DOS and PDOS summed over both spins, so the values at E_F are halved.
    The projections miss the interstitial (spill) weight; :func:`renormalise_projected_dos` spreads it in
    proportion to the projections and the factor is reported as ``projection_completeness``.

    Parameters
    ----------
    projections
        projwfc.x ``projections`` (PDOS per atomic orbital, energies in eV).
    dos
        projwfc.x total ``Dos`` (energies in eV).
    scf_parameters
        ``output_parameters`` of the SCF the projections come from (``fermi_energy`` in eV).
    """
    fermi = float(scf_parameters['fermi_energy'])
    energy, total = np.asarray(dos.get_x()[1]), np.asarray(dos.get_y()[0][1])
    per_kind: dict[str, float] = {}
    sites: dict[str, set] = {}
    for orbital, pdos, pdos_energy in projections.get_pdos():
        info = orbital.get_orbital_dict()
        kind = info['kind_name']
        per_kind[kind] = per_kind.get(kind, 0.0) + 0.5 * float(np.interp(fermi, pdos_energy, pdos))
        sites.setdefault(kind, set()).add(tuple(np.round(info['position'], 6)))
    total_ef = 0.5 * float(np.interp(fermi, energy, total))
    renormalised = renormalise_projected_dos(per_kind, total_ef)
    result = {
        'fermi_energy_eV': fermi,
        'N_total_0_states_per_eV_spin': total_ef,
        'projection_completeness': sum(per_kind.values()) / total_ef,
    }
    for kind, value in renormalised.items():
        result[f'N_{kind}_0_species_states_per_eV_spin'] = value
        result[f'N_{kind}_0_states_per_eV_spin'] = value / len(sites[kind])
        result[f'n_atoms_{kind}'] = len(sites[kind])
    return orm.Dict(result)

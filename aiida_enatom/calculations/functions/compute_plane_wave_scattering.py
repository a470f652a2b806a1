"""Calcfunction: rigid and backflow parts of I² per species from the enatom fields (plane waves on a Fermi sphere)."""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.calculations.functions._enatom_nodes import displacement_set
from aiida_enatom.numerics.plane_wave_scattering import plane_wave_metrics

__all__ = ('compute_plane_wave_scattering',)

#: What the per-element keys average: V_loc + V_H + V_xc, the local potential of the pp.x grids.
POTENTIAL = 'total: V_loc + V_H + V_xc (local part only)'


@calcfunction
def compute_plane_wave_scattering(derivatives: orm.ArrayData, dataset: orm.Dict, scf_parameters: orm.Dict) -> dict:
    """Plane-wave Fermi-sphere averages of |⟨k|−∇v_j|k′⟩|² and |⟨k|∇×W_j|k′⟩|² per atom and species.

    See :mod:`aiida_enatom.numerics.plane_wave_scattering` for the approximation and the method.

    Parameters
    ----------
    derivatives
        Output of ``compute_potential_derivatives``: ``total_atom_NN`` and ``bare_atom_NN`` = F_j (3, n1, n2, n3),
        eV/Å, float64, for the inequivalent atoms in supercell order.
    dataset
        The displacement dataset (supercell cell in Å, positions, species, displaced atoms).
    scf_parameters
        ``output_parameters`` of the pristine supercell SCF: its ``number_of_electrons`` and the supercell volume
        give the free-electron k_F.

    Returns
    -------
    dict
        ``plane_wave``: Dict of :func:`~aiida_enatom.numerics.plane_wave_scattering.plane_wave_metrics` for the
        components ``total`` (V_loc + V_H + V_xc; the per-element keys), ``hxc`` (V_H + V_xc) and ``bare`` (V_loc,
        whose lattice backflow share must vanish), plus ``pw_potential`` naming the potential of the keys.
    """
    data = displacement_set(dataset)
    sites = sorted(int(atom) for atom in np.unique(data.atoms))
    kinds = dataset['kind_names']
    fields, elements = {}, {}
    for index, site in enumerate(sites):
        total = derivatives.get_array(f'total_atom_{index:02d}')
        bare = derivatives.get_array(f'bare_atom_{index:02d}')
        fields[site] = {'total': total, 'hxc': total - bare, 'bare': bare}
        elements[site] = ''.join(c for c in kinds[data.supercell_numbers[site] - 1] if c.isalpha())
    metrics = plane_wave_metrics(
        fields,
        data.supercell_cell,
        data.supercell_positions,
        data.supercell_numbers,
        elements,
        float(scf_parameters['number_of_electrons']),
    )
    return {'plane_wave': orm.Dict({'pw_potential': POTENTIAL, **metrics})}

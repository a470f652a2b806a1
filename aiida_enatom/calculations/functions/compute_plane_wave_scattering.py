"""Calcfunction: rigid and backflow parts of I² per species from the enatom fields (plane waves on a Fermi sphere)."""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.calculations.functions._enatom_nodes import displacement_set
from aiida_enatom.numerics.displacements import crystal_symmetry
from aiida_enatom.numerics.plane_wave_scattering import (
    free_electron_wavevector,
    orbit_sizes,
    plane_wave_fermi_average,
    primitive_volume,
    species_plane_wave_averages,
)

__all__ = ('compute_plane_wave_scattering',)

#: The potentials whose fields are averaged; the summary keys use ``total`` (V_loc + V_H + V_xc).
COMPONENTS = ('total', 'hxc', 'bare')


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
        ``plane_wave``: Dict with, per element El (multiplicity-weighted mean over its inequivalent atoms, total local
        potential V_loc + V_H + V_xc): ``I2_<El>_pw_rigid_eV2_per_A2``, ``I2_<El>_pw_backflow_eV2_per_A2``,
        ``I2_<El>_pw_eV2_per_A2`` (their sum), ``I2_<El>_backflow_share`` and ``I2_<El>_backflow_share_lattice`` (the
        same from the supercell reciprocal-lattice sum); the normalisation ``pw_k_fermi_per_A``,
        ``pw_cell_volume_A3`` (Ω₀, the primitive cell), ``pw_electrons_per_cell``, ``pw_lattice_qpoints``; the
        check ``pw_bare_backflow_share_lattice_max`` (the bare local pseudopotential moves rigidly: ≈ 0) and
        ``pw_atoms``: per ``atom_NN`` its site, element, multiplicity and, per component (``total``, ``hxc``,
        ``bare``), every number of :class:`~aiida_enatom.numerics.plane_wave_scattering.PlaneWaveAverage`.
    """
    data = displacement_set(dataset)
    cell, positions, numbers = data.supercell_cell, data.supercell_positions, data.supercell_numbers
    sites = sorted(int(atom) for atom in np.unique(data.atoms))
    symmetry = crystal_symmetry(cell, positions, numbers)
    multiplicity = orbit_sizes(symmetry, cell, positions, numbers, sites)
    cell_volume = primitive_volume(symmetry, cell)
    supercell_volume = abs(float(np.linalg.det(cell)))
    k_fermi = free_electron_wavevector(float(scf_parameters['number_of_electrons']), supercell_volume)
    kinds = dataset['kind_names']

    atoms, averages, elements, weights = {}, {}, {}, {}
    for index, site in enumerate(sites):
        label = f'atom_{index:02d}'
        total = derivatives.get_array(f'total_{label}')
        bare = derivatives.get_array(f'bare_{label}')
        center = positions[site] @ cell
        element = ''.join(c for c in kinds[numbers[site] - 1] if c.isalpha())
        per_component = {}
        for component, field in (('total', total), ('hxc', total - bare), ('bare', bare)):
            result = plane_wave_fermi_average(field, cell, center, k_fermi=k_fermi, cell_volume=cell_volume)
            per_component[component] = result.as_dict()
            if component == 'total':
                averages[label] = result
        elements[label], weights[label] = element, multiplicity[site]
        atoms[label] = {'site': site, 'element': element, 'multiplicity': multiplicity[site], **per_component}

    summary: dict = {
        'pw_potential': 'total: V_loc + V_H + V_xc (local part only)',
        'pw_k_fermi_per_A': k_fermi,
        'pw_cell_volume_A3': cell_volume,
        'pw_electrons_per_cell': float(scf_parameters['number_of_electrons']) * cell_volume / supercell_volume,
        'pw_lattice_qpoints': next(iter(averages.values())).lattice_qpoints,
        'pw_bare_backflow_share_lattice_max': max(a['bare']['lattice_backflow_share'] for a in atoms.values()),
    }
    for element, values in species_plane_wave_averages(averages, elements, weights).items():
        summary[f'I2_{element}_pw_rigid_eV2_per_A2'] = values['rigid']
        summary[f'I2_{element}_pw_backflow_eV2_per_A2'] = values['backflow']
        summary[f'I2_{element}_pw_eV2_per_A2'] = values['total']
        summary[f'I2_{element}_backflow_share'] = values['backflow_share']
        summary[f'I2_{element}_backflow_share_lattice'] = values['lattice_backflow_share']
    summary['pw_atoms'] = atoms
    return {'plane_wave': orm.Dict(summary)}

"""Calcfunction: Ball's sum-rule residuals of the enatom fields of all supercell atoms."""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.calculations.functions._enatom_nodes import displacement_set, potential_grid
from aiida_enatom.numerics.displacements import crystal_symmetry
from aiida_enatom.numerics.enatom_pipeline import all_atom_sum_rules


@calcfunction
def compute_sum_rules(
    derivatives: orm.ArrayData,
    dataset: orm.Dict,
    potential_total: orm.ArrayData | orm.FolderData,
    potential_bare: orm.ArrayData | orm.FolderData,
) -> orm.Dict:
    """Residuals of Σ_j F_j = −∇V, Σ_j v_j = V − ⟨V⟩ and Σ_j ∇×W_j = 0 for ``total``, ``hxc`` and ``bare``.

    Parameters
    ----------
    derivatives
        Output of ``compute_potential_derivatives`` (inequivalent atoms, eV/Å).
    dataset
        The displacement dataset (supercell and its atoms).
    potential_total, potential_bare
        pp.x grids of the pristine supercell, plot_num=1 and plot_num=2 (Ry; ArrayData or retrieved folder).

    Returns
    -------
    orm.Dict
        Per component: ``translational``, ``rigid``, ``backflow``, ``mean`` (relative, L2 over the grid) and
        ``backflow_to_rigid`` per supercell atom; ``backflow`` is ``None`` when every backflow vanishes.
    """
    data = displacement_set(dataset)
    cell, positions, numbers = data.supercell_cell, data.supercell_positions, data.supercell_numbers
    symmetry = crystal_symmetry(cell, positions, numbers)
    atoms = sorted(set(int(atom) for atom in data.atoms))
    total = potential_grid(potential_total, cell, 'potential_total')
    bare = potential_grid(potential_bare, cell, 'potential_bare')
    results = {}
    for component, potential in (('total', total), ('hxc', total - bare), ('bare', bare)):
        fields = {}
        for index, atom in enumerate(atoms):
            field = derivatives.get_array(f'total_atom_{index:02d}')
            bare_field = derivatives.get_array(f'bare_atom_{index:02d}')
            fields[atom] = {'total': field, 'hxc': field - bare_field, 'bare': bare_field}[component]
        residuals = all_atom_sum_rules(potential, fields, cell, positions, numbers, symmetry)
        scalars = {key: (None if np.isnan(value) else value) for key, value in residuals.as_dict().items()}
        results[component] = {**scalars, 'backflow_to_rigid': list(residuals.backflow_to_rigid)}
    return orm.Dict(results)

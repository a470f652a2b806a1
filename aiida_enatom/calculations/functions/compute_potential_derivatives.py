"""Calcfunction: ∂V/∂R_j of the inequivalent atoms from the pp.x grids of the pristine and displaced supercells."""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.calculations.functions._enatom_nodes import displacement_set, potential_grid
from aiida_enatom.numerics.displacements import crystal_symmetry
from aiida_enatom.numerics.enatom_pipeline import potential_derivatives

#: The two pp.x potentials: plot_num=1 (V_loc + V_H + V_xc) and plot_num=2 (bare local pseudopotential).
COMPONENTS = ('total', 'bare')


@calcfunction
def compute_potential_derivatives(dataset: orm.Dict, **potentials: orm.ArrayData | orm.FolderData) -> dict:
    """Central differences, completed by site symmetry, of the total and bare local potentials.

    Parameters
    ----------
    dataset
        The displacement dataset of ``generate_displacements``.
    potentials
        pp.x grids (Ry, bohr; ``output_data`` ArrayData or the ``retrieved`` folder with ``aiida.filplot``)
        labelled ``<component>_pristine`` and ``<component>_displacement_NN`` with
        component ``total`` (plot_num=1) or ``bare`` (plot_num=2).

    Returns
    -------
    dict
        ``derivatives``: ArrayData with ``<component>_atom_NN`` = F_j (3, n1, n2, n3) in eV/Å (float64) for
        the NN-th inequivalent atom; ``linearity``: Dict with the asymmetry number of every central difference.
    """
    dataset_ = displacement_set(dataset)
    cell = dataset_.supercell_cell
    symmetry = crystal_symmetry(cell, dataset_.supercell_positions, dataset_.supercell_numbers)
    derivatives, linearity = orm.ArrayData(), {}
    for component in COMPONENTS:
        pristine = potential_grid(potentials[f'{component}_pristine'], cell, f'{component}_pristine')
        labels = [f'{component}_displacement_{i:02d}' for i in range(dataset_.n_displacements)]
        displaced = [potential_grid(potentials[label], cell, label) for label in labels]
        result = potential_derivatives(pristine, displaced, dataset_, symmetry)
        for index, atom in enumerate(sorted(result.fields)):
            derivatives.set_array(f'{component}_atom_{index:02d}', result.fields[atom])
        linearity[component] = list(result.asymmetry)
    linearity['inequivalent_atoms'] = sorted(int(atom) for atom in np.unique(dataset_.atoms))
    return {'derivatives': derivatives, 'linearity': orm.Dict(linearity)}

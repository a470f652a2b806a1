"""Calcfunction: Helmholtz split F_j = −∇v_j + ∇×W_j + F₀ of one atom's potential derivative."""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.numerics.helmholtz import helmholtz_decompose

#: Storage dtype of the rigid and backflow grids (ArrayData stores .npy files; float32 halves their size).
STORAGE_DTYPE = np.float32


@calcfunction
def decompose_potential(derivatives: orm.ArrayData, dataset: orm.Dict, atom: orm.Str) -> dict:
    """Split the field of ``atom`` for V_loc+V_H+V_xc (``total``), V_H+V_xc (``hxc``) and V_loc (``bare``).

    Parameters
    ----------
    derivatives
        Output of ``compute_potential_derivatives`` (eV/Å).
    dataset
        The displacement dataset (supercell lattice vectors in Å).
    atom
        Label ``atom_NN`` of the inequivalent atom.

    Returns
    -------
    dict
        ``rigid``: ArrayData ``total``, ``hxc``, ``bare`` = v_j (n1, n2, n3) in eV, float32, zero mean;
        ``backflow``: ArrayData ``total``, ``hxc`` = ∇×W_j (3, n1, n2, n3) in eV/Å, float32;
        ``decomposition``: Dict of norms per component (eV/Å) and ``backflow_to_rigid`` = ‖∇×W‖/‖∇v‖.
    """
    cell = np.array(dataset['supercell_cell'])
    total = derivatives.get_array(f'total_{atom.value}')
    bare = derivatives.get_array(f'bare_{atom.value}')
    rigid, backflow, norms = orm.ArrayData(), orm.ArrayData(), {}
    for component, field in (('total', total), ('hxc', total - bare), ('bare', bare)):
        parts = helmholtz_decompose(field, cell)
        rigid.set_array(component, parts.rigid.astype(STORAGE_DTYPE))
        if component != 'bare':
            backflow.set_array(component, parts.backflow.astype(STORAGE_DTYPE))
        norms[component] = {**parts.norms(), 'mean_vector': parts.mean.tolist()}
    return {'rigid': rigid, 'backflow': backflow, 'decomposition': orm.Dict(norms)}

"""Calcfunction: Helmholtz split F_j = −∇v_j + ∇×W_j + F₀ of one atom's potential derivative."""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.numerics.helmholtz import coulomb_gauge_potential, helmholtz_decompose, spectral_curl

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
        ``vector_potential``: ArrayData ``total``, ``hxc`` = W_j (3, n1, n2, n3) in eV, float32, in the Coulomb gauge
        ∇·W_j = 0 with zero mean (:func:`~aiida_enatom.numerics.helmholtz.coulomb_gauge_potential`);
        ``decomposition``: Dict of norms per component (eV/Å), ``backflow_to_rigid`` = ‖∇×W‖/‖∇v‖, the RMS of W (eV)
        and ``backflow_nyquist_fraction`` = ‖backflow − ∇×W‖/‖backflow‖, the share of the backflow on the Nyquist
        planes of an even grid (grid-scale content).
    """
    cell = np.array(dataset['supercell_cell'])
    total = derivatives.get_array(f'total_{atom.value}')
    bare = derivatives.get_array(f'bare_{atom.value}')
    rigid, backflow, vector_potential, norms = orm.ArrayData(), orm.ArrayData(), orm.ArrayData(), {}
    for component, field in (('total', total), ('hxc', total - bare), ('bare', bare)):
        parts = helmholtz_decompose(field, cell)
        rigid.set_array(component, parts.rigid.astype(STORAGE_DTYPE))
        extra = {}
        if component != 'bare':
            backflow.set_array(component, parts.backflow.astype(STORAGE_DTYPE))
            w = coulomb_gauge_potential(field, cell)
            vector_potential.set_array(component, w.astype(STORAGE_DTYPE))
            extra['vector_potential_rms'] = float(np.sqrt(np.mean(np.sum(w**2, axis=0))))
            # share of the backflow on the Nyquist planes (grid-scale content that no W reproduces)
            back_norm = float(np.linalg.norm(parts.backflow))
            residue = float(np.linalg.norm(parts.backflow - spectral_curl(w, cell)))
            extra['backflow_nyquist_fraction'] = residue / back_norm if back_norm > 0 else 0.0
        norms[component] = {**parts.norms(), **extra, 'mean_vector': parts.mean.tolist()}
    return {
        'rigid': rigid,
        'backflow': backflow,
        'vector_potential': vector_potential,
        'decomposition': orm.Dict(norms),
    }

"""Calcfunction: spherical average v_j(r) of an atom's rigid potential and its tail at half the supercell."""

from __future__ import annotations

import dataclasses

import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.numerics.radial import spherical_average


@calcfunction
def compute_radial_profile(rigid: orm.ArrayData, dataset: orm.Dict, site: orm.Int, bin_width: orm.Float) -> dict:
    """Spherically average the rigid potentials of one atom around its position (minimum-image distances).

    Parameters
    ----------
    rigid
        Output ``rigid`` of ``decompose_potential`` (eV).
    dataset
        The displacement dataset (supercell in Å).
    site
        Supercell index of the atom.
    bin_width
        Radial bin width in Å.

    Returns
    -------
    dict
        ``profile``: XyData, x = r (Å) up to half the shortest supercell vector, y = v(r) in eV for
        ``total``, ``hxc`` and ``bare``, shifted so that v averages to zero over the outer 10 % shell (the G = 0
        convention of the radial profiles); ``tail``: Dict per component with ``tail`` (mean |v| in that shell
        after the shift, eV: the oscillation left at half the supercell), ``peak`` (max |v|, eV),
        ``relative`` = tail/peak and ``offset`` (the constant removed, eV, relative to the zero-mean grid).
    """
    cell = np.array(dataset['supercell_cell'])
    center = np.array(dataset['supercell_positions'])[site.value] @ cell
    profile, tails, values = orm.XyData(), {}, []
    for component in ('total', 'hxc', 'bare'):
        average = spherical_average(rigid.get_array(component), cell, center, bin_width=bin_width.value)
        offset = float(np.mean(average.value[average.radius >= 0.9 * average.r_max]))
        average = dataclasses.replace(average, value=average.value - offset)
        values.append(average.value)
        tails[component] = {**average.tail(), 'offset': offset}
    profile.set_x(average.radius, 'r', 'angstrom')
    profile.set_y(values, ['total', 'hxc', 'bare'], ['eV', 'eV', 'eV'])
    return {'profile': profile, 'tail': orm.Dict(tails)}

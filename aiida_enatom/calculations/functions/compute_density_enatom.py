"""Calcfunction: the density enatom ∂n/∂R_j = −∇ρ_j + ∇×B_j (paper Eq. 4) from the pp.x ``plot_num=0`` grids."""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.calculations.functions._enatom_nodes import density_grid, displacement_set
from aiida_enatom.numerics.density_enatom import angular_projections, charge_neutrality, density_enatom, negative_shell
from aiida_enatom.numerics.displacements import crystal_symmetry
from aiida_enatom.numerics.enatom_pipeline import all_atom_sum_rules, minimum_image_distance, potential_derivatives
from aiida_enatom.numerics.helmholtz import spectral_curl
from aiida_enatom.numerics.radial import minimum_image_distances, spherical_average

#: Storage dtype of the grids (as ``decompose_potential``).
STORAGE_DTYPE = np.float32


def _nearest_neighbour_distance(cell: np.ndarray, positions: np.ndarray, site: int) -> float:
    """Distance from atom ``site`` to its nearest other atom (or periodic image of itself), Å."""
    center = positions[site] @ cell
    others = [np.linalg.norm(_wrap(positions[k] @ cell - center, cell)) for k in range(len(positions)) if k != site]
    return float(min([*others, minimum_image_distance(cell)]))


def _wrap(vector: np.ndarray, cell: np.ndarray) -> np.ndarray:
    """Shortest periodic image of a Cartesian vector (Å), checking the 27 neighbouring images."""
    frac = vector @ np.linalg.inv(cell)
    frac -= np.round(frac)
    shifts = np.array(np.meshgrid(*[(-1, 0, 1)] * 3, indexing='ij')).reshape(3, -1).T
    candidates = (frac[None] + shifts) @ cell
    return candidates[np.argmin(np.linalg.norm(candidates, axis=1))]


@calcfunction
def compute_density_enatom(
    dataset: orm.Dict, valence_charges: orm.Dict, bin_width: orm.Float, **densities: orm.ArrayData | orm.FolderData
) -> dict:
    """Central differences of the valence densities, Helmholtz split, sum rules and profiles per inequivalent atom.

    Parameters
    ----------
    dataset
        The displacement dataset of ``generate_displacements``.
    valence_charges
        Kind name → valence charge Z of its pseudopotential (e); fixes ∫ρ_j = Z_j.
    bin_width
        Radial bin width, Å.
    densities
        pp.x ``plot_num=0`` grids (e/bohr³; ``output_data`` ArrayData or ``retrieved`` with ``aiida.filplot``)
        labelled ``density_pristine`` and ``density_displacement_NN``.

    Returns
    -------
    dict
        Per inequivalent atom NN: ``atom_NN_rigid`` (ArrayData ``rigid`` = ρ_j, e/Å³, float32, ∫ρ_j = Z_j),
        ``atom_NN_backflow`` (ArrayData ``backflow`` = ∇×B_j, e/Å⁴, and ``vector_potential`` = B_j in the Coulomb
        gauge, e/Å³; float32), ``atom_NN_radial`` (XyData: r in Å; ``rigid`` ρ_j(r) in e/Å³, ``rigid_radial`` =
        p(r) of −∇ρ_j and ``backflow_cubic`` = f(r) of ∇×B_j in e/Å⁴, see
        :func:`~aiida_enatom.numerics.density_enatom.angular_projections`), ``atom_NN_metrics`` (Dict); and
        ``metrics`` (Dict): the electron count ∫n, Ball's sum rules of the density (``translational`` is the
        acoustic sum rule Σ_j ∂n/∂R_j = −∇n), the largest charge-neutrality residual and per element the keys of
        ``show --json`` (``density_backflow_to_rigid_ratio_<El>``, ``density_min_shell_<El>``, ...).
    """
    data = displacement_set(dataset)
    cell, positions, numbers = data.supercell_cell, data.supercell_positions, data.supercell_numbers
    kinds = dataset['kind_names']
    charges = valence_charges.get_dict()
    symmetry = crystal_symmetry(cell, positions, numbers)
    pristine = density_grid(densities['density_pristine'], cell, 'density_pristine')
    labels = [f'density_displacement_{i:02d}' for i in range(data.n_displacements)]
    displaced = [density_grid(densities[label], cell, label) for label in labels]
    result = potential_derivatives(pristine, displaced, data, symmetry)
    sum_rules = all_atom_sum_rules(pristine, result.fields, cell, positions, numbers, symmetry)
    volume = abs(float(np.linalg.det(cell)))
    n_electrons = float(pristine.mean() * volume)
    total_charge = float(sum(charges[kinds[z - 1]] for z in numbers))

    outputs: dict = {}
    summary = {
        'density_electrons': n_electrons,
        'density_electrons_expected': total_charge,
        'density_sum_rule_rigid_residual': sum_rules.rigid,
        'density_sum_rule_backflow_residual': sum_rules.backflow,
        'density_sum_rule_translational_residual': sum_rules.translational,
        'density_linearity_error': max(result.asymmetry),
    }
    neutrality = []
    for index, site in enumerate(sorted(result.fields)):
        label = f'atom_{index:02d}'
        field = result.fields[site]
        kind = kinds[numbers[site] - 1]
        element = ''.join(c for c in kind if c.isalpha())
        parts = density_enatom(field, cell, charges[kind])
        center = positions[site] @ cell
        profile = spherical_average(parts.rigid, cell, center, bin_width=bin_width.value)
        rigid_proj = angular_projections(field - parts.backflow, cell, center, bin_width=bin_width.value)
        back_proj = angular_projections(parts.backflow, cell, center, bin_width=bin_width.value)
        nn = _nearest_neighbour_distance(cell, positions, site)
        shell = negative_shell(profile.radius, profile.value, 0.5 * nn)
        inside = minimum_image_distances(parts.rigid.shape, cell, center) <= profile.r_max
        charge_inside = float(parts.rigid[inside].sum() * volume / parts.rigid.size)
        neutral = charge_neutrality(field, cell)
        neutrality.append(neutral['relative'])
        cubic_value, cubic_radius = back_proj.dominant_cubic()
        back_norm = float(np.linalg.norm(parts.backflow))
        nyquist = float(np.linalg.norm(parts.backflow - spectral_curl(parts.vector_potential, cell)))

        rigid = orm.ArrayData()
        rigid.set_array('rigid', parts.rigid.astype(STORAGE_DTYPE))
        backflow = orm.ArrayData()
        backflow.set_array('backflow', parts.backflow.astype(STORAGE_DTYPE))
        backflow.set_array('vector_potential', parts.vector_potential.astype(STORAGE_DTYPE))
        radial = orm.XyData()
        radial.set_x(profile.radius, 'r', 'angstrom')
        # the three profiles share the bins with grid points (same distances, same bin width)
        radial.set_y(
            [
                profile.value,
                _on(rigid_proj.radius, rigid_proj.radial, profile.radius),
                _on(back_proj.radius, back_proj.cubic, profile.radius),
            ],
            ['rigid', 'rigid_radial', 'backflow_cubic'],
            ['e/angstrom^3', 'e/angstrom^4', 'e/angstrom^4'],
        )
        metrics = {
            'site': int(site),
            'kind': kind,
            'element': element,
            'valence_charge': charges[kind],
            'nearest_neighbour_distance': nn,
            'backflow_to_rigid': parts.norms['backflow_to_rigid'],
            'backflow_nyquist_fraction': nyquist / back_norm if back_norm > 0 else 0.0,
            'norms': parts.norms,
            'mean_vector': parts.mean.tolist(),
            'charge_neutrality': neutral,
            'rigid_charge_within_r_max': charge_inside,
            'r_max': profile.r_max,
            'min_shell': shell,
            'rigid_at_r_max': float(profile.value[-1]),
            'backflow_cubic_dominant': cubic_value,
            'backflow_cubic_dominant_radius': cubic_radius,
            'rigid_cubic_max_abs': float(np.abs(rigid_proj.cubic).max()),
            'backflow_radial_max_abs': float(np.abs(back_proj.radial).max()),
        }
        outputs[f'{label}_rigid'] = rigid
        outputs[f'{label}_backflow'] = backflow
        outputs[f'{label}_radial'] = radial
        outputs[f'{label}_metrics'] = orm.Dict(metrics)
        summary.setdefault(f'density_backflow_to_rigid_ratio_{element}', metrics['backflow_to_rigid'])
        summary.setdefault(f'density_min_shell_{element}', shell['min_density'])
        summary.setdefault(f'density_min_shell_radius_{element}', shell['radius'])
        summary.setdefault(f'density_negative_charge_{element}', shell['negative_charge'])
        summary.setdefault(f'density_deformation_cubic_{element}', cubic_value)
        summary.setdefault(f'density_rigid_charge_within_r_max_{element}', charge_inside)
    summary['density_charge_neutrality_residual'] = max(neutrality)
    outputs['metrics'] = orm.Dict(summary)
    return outputs


def _on(x: np.ndarray, y: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """``y(x)`` on the bins ``grid`` (bins missing from ``x`` get NaN; both are bin centres of the same width)."""
    out = np.full(grid.shape, np.nan)
    index = np.searchsorted(grid, x)
    ok = (index < grid.size) & np.isclose(grid[np.minimum(index, grid.size - 1)], x)
    out[index[ok]] = y[ok]
    return out

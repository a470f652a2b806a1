"""Calcfunction: the supercell and phonopy's minimal set of displaced supercells for the enatom."""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.calculations.functions._enatom_nodes import kind_numbers
from aiida_enatom.numerics.displacements import minimal_displacements
from aiida_enatom.numerics.enatom_pipeline import supercell_matrix_for_min_image


def _structure(cell, positions, numbers, names, template: orm.StructureData) -> orm.StructureData:
    structure = orm.StructureData(cell=cell.tolist())
    for kind in template.kinds:
        structure.append_kind(kind)
    for position, number in zip(positions @ cell, numbers, strict=True):
        structure.append_site(orm.Site(kind_name=names[number - 1], position=position.tolist()))
    return structure


@calcfunction
def generate_displacements(
    structure: orm.StructureData,
    displacement_amplitude: orm.Float,
    supercell_matrix: orm.List | None = None,
    min_image_distance: orm.Float | None = None,
    symprec: orm.Float | None = None,
) -> dict:
    """Build the supercell and phonopy's minimal displacement dataset (``is_plusminus='auto'``).

    Parameters
    ----------
    structure
        The relaxed unit cell.
    displacement_amplitude
        Displacement length u in Å.
    supercell_matrix
        3×3 integer supercell matrix (rows: supercell vectors in units of the cell vectors), or
    min_image_distance
        the minimum distance between periodic images in Å (smallest diagonal supercell); give exactly one.
    symprec
        Symmetry tolerance in Å (default 1e-5).
    """
    names, numbers = kind_numbers(structure)
    cell = np.array(structure.cell)
    if (supercell_matrix is None) == (min_image_distance is None):
        raise ValueError('give exactly one of supercell_matrix and min_image_distance')
    if supercell_matrix is not None:
        matrix = np.array(supercell_matrix.get_list(), dtype=int).reshape(3, 3)
    else:
        matrix = supercell_matrix_for_min_image(cell, min_image_distance.value)
    positions = np.array([site.position for site in structure.sites]) @ np.linalg.inv(cell)
    dataset = minimal_displacements(
        cell,
        positions,
        numbers,
        supercell_matrix=matrix,
        amplitude=displacement_amplitude.value,
        symprec=symprec.value if symprec is not None else 1.0e-5,
    )
    sc_cell, sc_positions = dataset.supercell_cell, dataset.supercell_positions
    outputs = {'supercell': _structure(sc_cell, sc_positions, dataset.supercell_numbers, names, structure)}
    for index, (atom, vector) in enumerate(zip(dataset.atoms, dataset.displacements, strict=True)):
        moved = sc_positions.copy()
        moved[atom] += vector @ np.linalg.inv(sc_cell)
        outputs[f'displacement_{index:02d}'] = _structure(sc_cell, moved, dataset.supercell_numbers, names, structure)
    outputs['dataset'] = orm.Dict(
        {
            'supercell_matrix': matrix.tolist(),
            'amplitude': displacement_amplitude.value,
            'kind_names': names,
            'atoms': dataset.atoms.tolist(),
            'displacements': dataset.displacements.tolist(),
            'n_directions': dataset.n_directions,
            'n_supercell_scf': dataset.n_supercell_calculations,
            'supercell_cell': sc_cell.tolist(),
            'supercell_positions': sc_positions.tolist(),
            'supercell_numbers': dataset.supercell_numbers.tolist(),
        }
    )
    return outputs

"""The built-in prototypes have the published space groups, Wyckoff multiplicities and stoichiometry."""

import pytest

from aiida_enatom.common.structures import PROTOTYPES, prototype_structure
from aiida_enatom.exceptions import InputValidationError


@pytest.mark.parametrize(
    ('name', 'number', 'formula', 'n_primitive'),
    [('H3S', 229, 'H3S', 4), ('CaH6', 229, 'CaH6', 7), ('LaH10', 225, 'LaH10', 11), ('Li', 225, 'Li', 1)],
)
def test_prototypes(name, number, formula, n_primitive):
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    structure = prototype_structure(name)
    assert len(structure) == n_primitive
    # standard orientation: all 48 Cartesian rotations are signed permutation matrices (cubic axes along x, y, z),
    # which is what pw.x (ibrav = 0) needs to find every operation; a rotated cell has irrational entries
    operations = SpacegroupAnalyzer(structure, symprec=1e-3).get_symmetry_operations(cartesian=True)
    rotations = {tuple(op.rotation_matrix.round(6).ravel()) for op in operations}
    assert len(rotations) == 48
    assert all(set(rotation) <= {-1.0, 0.0, 1.0} for rotation in rotations)
    assert structure.composition.reduced_formula == formula
    assert SpacegroupAnalyzer(structure, symprec=1e-3).get_space_group_number() == number


def test_a_cif_round_trip_loses_the_orientation_that_we_restore(tmp_path):
    """Reading a primitive-cell CIF gives a rotated cell; the CLI's standardisation aligns it again."""
    from pymatgen.core import Structure
    from pymatgen.io.cif import CifWriter
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    path = tmp_path / 'h3s.cif'
    CifWriter(prototype_structure('H3S')).write_file(path)
    rotated = Structure.from_file(path)
    operations = SpacegroupAnalyzer(rotated, symprec=1e-3).get_symmetry_operations(cartesian=True)
    assert not all(set(op.rotation_matrix.round(6).ravel()) <= {-1.0, 0.0, 1.0} for op in operations)


def test_unknown_prototype():
    with pytest.raises(InputValidationError, match='known: ' + ', '.join(PROTOTYPES)):
        prototype_structure('H2O')

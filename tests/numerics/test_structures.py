"""The built-in prototypes have the published space groups, Wyckoff multiplicities and stoichiometry."""

import pytest

from aiida_enatom.common.structures import PROTOTYPES, canonical_prototype_name, prototype_structure
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


@pytest.mark.parametrize(
    ('name', 'number', 'formula', 'n_primitive'),
    [('H3S', 229, 'H3S', 4), ('CaH6', 229, 'CaH6', 7), ('LaH10', 225, 'LaH10', 11), ('YH10', 225, 'YH10', 11),
     ('MgH6', 229, 'MgH6', 7)],
)  # fmt: skip
def test_hydride_prototypes_counts_and_distances(name, number, formula, n_primitive):
    """The Wyckoff representatives give the published primitive cells, and no two atoms are closer than 0.7 Å.

    The shortest H–H distances are those of the H sublattices (≈ 1.1–1.6 Å at these pressures); a wrong
    representative (for instance 32f x = 0.38 read as 0.12 + 1/4) would put atoms on top of each other.
    """
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    structure = prototype_structure(name)
    assert len(structure) == n_primitive
    assert structure.composition.reduced_formula == formula
    assert SpacegroupAnalyzer(structure, symprec=1e-3).get_space_group_number() == number
    assert len(prototype_structure(name, primitive=False)) == {229: 2, 225: 4}[number] * n_primitive
    centres, neighbours, _, distances = structure.get_neighbor_list(2.0)
    assert distances.min() > 0.7
    hydrogen = [
        d for i, j, d in zip(centres, neighbours, distances, strict=True)
        if structure[i].specie.symbol == structure[j].specie.symbol == 'H'
    ]  # fmt: skip
    assert 1.0 < min(hydrogen) < 1.7


def test_alias_and_lattice_constant():
    """SH3 is H3S; a given lattice constant replaces the prototype's (Im-3m primitive: a_p = a √3 / 2)."""
    assert canonical_prototype_name('SH3') == 'H3S'
    assert prototype_structure('SH3') == prototype_structure('H3S')
    assert prototype_structure('H3S', lattice_constant=3.0).lattice.a == pytest.approx(3.0 * 3**0.5 / 2)
    with pytest.raises(InputValidationError, match='aliases: SH3 = H3S'):
        canonical_prototype_name('S3H')
    with pytest.raises(InputValidationError, match='not a positive number'):
        prototype_structure('H3S', lattice_constant=-1.0)

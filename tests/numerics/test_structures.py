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
    assert structure.composition.reduced_formula == formula
    assert SpacegroupAnalyzer(structure, symprec=1e-3).get_space_group_number() == number


def test_unknown_prototype():
    with pytest.raises(InputValidationError, match='known: ' + ', '.join(PROTOTYPES)):
        prototype_structure('H2O')

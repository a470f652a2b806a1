"""Offline family installation (idempotent, stale → versioned or --force) and ``check_family_covers``."""

from __future__ import annotations

import pytest

from aiida_enatom.setup import FamilyCoverageError, check_family_covers
from aiida_enatom.setup import family as family_module

LABEL = 'enatom-test-offline'


@pytest.fixture
def only(monkeypatch):
    """Restrict the offline family to the given elements (generation of H and S takes about a second)."""

    def _only(*elements):
        monkeypatch.setattr(family_module, 'offline_elements', lambda: list(elements))

    return _only


def test_offline_family_idempotent_stale_and_force(only):
    from aiida import orm

    only('H')
    label, actions = family_module.ensure_offline_family(LABEL)
    assert label == LABEL
    assert [a.kind for a in actions] == ['created']
    group = orm.load_group(LABEL)
    assert group.type_string == 'pseudo.family.cutoffs'
    assert sorted(group.elements) == ['H']
    assert group.get_recommended_cutoffs(elements=('H',), stringency='normal', unit='Ry')[0] > 0

    assert set(group.get_cutoff_stringencies()) == {'low', 'normal', 'high'}
    assert group.get_default_stringency() == 'normal'
    low = group.get_recommended_cutoffs(elements=('H',), stringency='low', unit='Ry')
    assert low < group.get_recommended_cutoffs(elements=('H',), stringency='normal', unit='Ry')

    label, actions = family_module.ensure_offline_family(LABEL)
    assert (label, [a.kind for a in actions]) == (LABEL, ['found'])
    assert family_module.find_offline_family(LABEL) == LABEL

    # a family made before the low/high stringencies existed gets them, keeping 'normal' as its default
    cutoffs = group.base.extras.get('_cutoffs')
    group.base.extras.set('_cutoffs', {'normal': cutoffs['normal']})
    label, actions = family_module.ensure_offline_family(LABEL)
    assert [(a.kind, a.message) for a in actions] == [
        ('updated', f'pseudopotential family {LABEL!r}: added the low/high cutoffs')
    ]
    assert set(group.get_cutoff_stringencies()) == {'low', 'normal', 'high'}
    assert group.get_default_stringency() == 'normal'

    only('H', 'S')
    assert family_module.find_offline_family(LABEL) is None
    label, actions = family_module.ensure_offline_family(LABEL)
    assert label == f'{LABEL}-v2'
    assert [a.kind for a in actions] == ['warning', 'created']
    assert 'stale' in actions[0].message and '--force' in actions[0].message
    assert sorted(orm.load_group(LABEL).elements) == ['H']
    assert sorted(orm.load_group(label).elements) == ['H', 'S']
    assert family_module.find_offline_family(LABEL) == f'{LABEL}-v2'

    label, actions = family_module.ensure_offline_family(LABEL)
    assert label == f'{LABEL}-v2'
    assert not any(a.changed for a in actions)

    label, actions = family_module.ensure_offline_family(LABEL, force=True)
    assert label == LABEL
    assert [a.kind for a in actions] == ['updated', 'created']
    assert sorted(orm.load_group(LABEL).elements) == ['H', 'S']


def test_check_family_covers(only):
    from aiida import orm

    only('H')
    family_module.ensure_offline_family(f'{LABEL}-covers')
    group = check_family_covers(f'{LABEL}-covers', ['H'])
    assert group.label == f'{LABEL}-covers'

    structure = orm.StructureData(cell=[[3, 0, 0], [0, 3, 0], [0, 0, 3]])
    structure.append_atom(position=(0, 0, 0), symbols='S')
    structure.append_atom(position=(1.5, 0, 0), symbols='H')
    with pytest.raises(FamilyCoverageError) as excinfo:
        check_family_covers(f'{LABEL}-covers', structure)
    assert excinfo.value.missing == ['S']
    message = str(excinfo.value)
    assert 'no pseudopotential for S' in message
    assert 'aiida-pseudo install sssp -x PBE -p efficiency' in message
    assert 'aiida-pseudo install pseudo-dojo' in message

    with pytest.raises(FamilyCoverageError, match='does not exist'):
        check_family_covers('SSSP/1.3/PBE/efficiency', ['H'])

    orm.Group(label=f'{LABEL}-plain').store()
    with pytest.raises(FamilyCoverageError, match='not an aiida-pseudo'):
        check_family_covers(f'{LABEL}-plain', ['H'])


def test_any_aiida_pseudo_family_is_accepted(tmp_path):
    """A family installed by the user from a folder (as SSSP/PseudoDojo would be) passes the check."""
    from aiida_pseudo.data.pseudo.upf import UpfData
    from aiida_pseudo.groups.family import PseudoPotentialFamily

    from aiida_enatom.pseudos.generate import generate_pseudopotentials

    generate_pseudopotentials(['H'], tmp_path)
    PseudoPotentialFamily.create_from_folder(tmp_path, 'User/Family/PBE', pseudo_type=UpfData)
    assert check_family_covers('User/Family/PBE', {'H'}).label == 'User/Family/PBE'

"""``cutoff_stringency``: the protocols' choice among the family's recommended cutoffs, and its stringencies."""

from __future__ import annotations

import pytest

from aiida_enatom.pseudos.generate import recommended_cutoffs
from aiida_enatom.workflows.alpha2f import Alpha2FWorkChain
from aiida_enatom.workflows.cutoffs import stringency_cutoffs
from aiida_enatom.workflows.pressure_point import PressurePointWorkChain


def _system(builder) -> dict:
    return builder.scf.pw.parameters.get_dict()['SYSTEM']


def _largest(stringency: str) -> tuple[float, float]:
    table = recommended_cutoffs(stringency, ['H', 'S'])
    return max(v['cutoff_wfc'] for v in table.values()), max(v['cutoff_rho'] for v in table.values())


def test_family_has_three_stringencies_normal_default(pseudo_family):
    from aiida import orm

    family = orm.load_group(pseudo_family)
    assert set(family.get_cutoff_stringencies()) == {'low', 'normal', 'high'}
    assert family.get_default_stringency() == 'normal'


@pytest.mark.parametrize('stringency', ['low', 'high'])
def test_stringency_gives_the_largest_element_cutoffs(pseudo_family, h3s_structure, stringency):
    wfc, rho = _largest(stringency)
    assert stringency_cutoffs(pseudo_family, h3s_structure, stringency) == {'ecutwfc': wfc, 'ecutrho': rho}
    # the default stringency and None leave the choice to aiida-quantumespresso (the family default)
    assert stringency_cutoffs(pseudo_family, h3s_structure, 'normal') == {}
    assert stringency_cutoffs(pseudo_family, h3s_structure, None) == {}


def test_fast_uses_low_balanced_normal(codes, pseudo_family, h3s_structure):
    low, normal = _largest('low'), _largest('normal')
    assert low < normal  # otherwise this test could not tell them apart
    fast = Alpha2FWorkChain.get_builder_from_protocol(codes, h3s_structure, protocol='fast')
    balanced = Alpha2FWorkChain.get_builder_from_protocol(codes, h3s_structure, protocol='balanced')
    assert (_system(fast)['ecutwfc'], _system(fast)['ecutrho']) == low
    assert (_system(balanced)['ecutwfc'], _system(balanced)['ecutrho']) == normal


def test_relax_and_alpha2f_share_the_stringency(codes, pseudo_family, h3s_structure):
    builder = PressurePointWorkChain.get_builder_from_protocol(
        codes, h3s_structure, pressure=200.0, protocol='balanced', overrides={'cutoff_stringency': 'high'}
    )
    high = _largest('high')
    relax = builder.relax.base_relax.pw.parameters.get_dict()['SYSTEM']
    assert (relax['ecutwfc'], relax['ecutrho']) == high
    assert (_system(builder.alpha2f)['ecutwfc'], _system(builder.alpha2f)['ecutrho']) == high


def test_explicit_cutoffs_win(codes, pseudo_family, h3s_structure):
    overrides = {'scf': {'pw': {'parameters': {'SYSTEM': {'ecutwfc': 50.0, 'ecutrho': 400.0}}}}}
    builder = Alpha2FWorkChain.get_builder_from_protocol(codes, h3s_structure, protocol='fast', overrides=overrides)
    assert (_system(builder)['ecutwfc'], _system(builder)['ecutrho']) == (50.0, 400.0)


def test_family_without_the_stringency_warns_and_uses_its_default(tmp_path, h3s_structure):
    from aiida_pseudo.data.pseudo.upf import UpfData
    from aiida_pseudo.groups.family import CutoffsPseudoPotentialFamily

    from aiida_enatom.pseudos.generate import generate_pseudopotentials

    generate_pseudopotentials(['H', 'S'], tmp_path)
    family = CutoffsPseudoPotentialFamily.create_from_folder(tmp_path, 'normal-only-family', pseudo_type=UpfData)
    family.set_cutoffs(recommended_cutoffs('normal', ['H', 'S']), 'normal', unit='Ry')
    with pytest.warns(UserWarning, match=r"'normal-only-family' has no 'low' cutoffs \(it has: normal\)"):
        assert stringency_cutoffs('normal-only-family', h3s_structure, 'low') == {}
    assert stringency_cutoffs('no-such-family', h3s_structure, 'low') == {}  # aiida-quantumespresso reports it

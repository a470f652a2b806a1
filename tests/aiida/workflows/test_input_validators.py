"""The WorkChains refuse bad inputs themselves: a builder filled in Python fails before anything is stored.

Each case builds a valid builder from a protocol, spoils one input (μ*, a code of the wrong role, overlapping
atoms, a partially occupied site, a NaN pressure) and runs it with ``aiida.engine.run``: the process must not be
created (a ``ValueError`` naming the input and what is valid) and no ProcessNode may be stored.
"""

from __future__ import annotations

import math

import pytest
from aiida import orm
from aiida.engine import run

from aiida_enatom.workflows.alpha2f import Alpha2FWorkChain
from aiida_enatom.workflows.enatom import EnatomWorkChain
from aiida_enatom.workflows.pressure_point import PressurePointWorkChain
from aiida_enatom.workflows.sweep import SweepWorkChain
from aiida_enatom.workflows.validation import code_problem, structure_problem, validate_mu_star


def _cubic(positions, symbols=('S', 'H'), a=3.0) -> orm.StructureData:
    structure = orm.StructureData(cell=[[a, 0, 0], [0, a, 0], [0, 0, a]])
    for symbol, position in zip(symbols, positions, strict=True):
        structure.append_atom(position=position, symbols=symbol)
    return structure


def overlapping() -> orm.StructureData:
    """S at the origin and H 0.13 Å away."""
    return _cubic([(0, 0, 0), (0.13, 0, 0)])


def overlapping_images() -> orm.StructureData:
    """S at x = 0.05 Å and H at x = 2.9 Å of a 3 Å cube: 0.15 Å apart only through the periodic image."""
    return _cubic([(0.05, 0, 0), (2.9, 0, 0)])


def partial() -> orm.StructureData:
    """H3S with the S site shared half and half with Se."""
    structure = orm.StructureData(cell=[[3.0, 0, 0], [0, 3.0, 0], [0, 0, 3.0]])
    structure.append_atom(position=(0, 0, 0), symbols=('S', 'Se'), weights=(0.5, 0.5), name='SSe')
    for position in ((1.5, 0, 0), (0, 1.5, 0), (0, 0, 1.5)):
        structure.append_atom(position=position, symbols='H')
    return structure


def _process_count() -> int:
    return orm.QueryBuilder().append(orm.ProcessNode).count()


def _assert_refused(builder, *fragments: str) -> None:
    """``run`` the builder's inputs (as a dict: a builder would refuse some of them already on assignment)."""
    inputs = builder._inputs(prune=True)
    before = _process_count()
    with pytest.raises(ValueError) as info:
        run(builder.process_class, **inputs)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    assert _process_count() == before, 'a ProcessNode was stored'


def _set(builder, path: str, value) -> None:
    """Set the input at the dotted ``path`` without the builder's own port validation."""
    *namespaces, key = path.split('.')
    target = builder
    for name in namespaces:
        target = target[name]
    target._data[key] = value


@pytest.fixture
def alpha2f(codes, pseudo_family, h3s_structure):
    return Alpha2FWorkChain.get_builder_from_protocol(codes, h3s_structure, protocol='test')


@pytest.fixture
def point(codes, pseudo_family, h3s_structure):
    return PressurePointWorkChain.get_builder_from_protocol(codes, h3s_structure, pressure=200.0, protocol='test')


def test_alpha2f_refuses_negative_mu_star(alpha2f):
    with pytest.raises(ValueError, match=r'`mu_star` = -0.1 is outside \[0, 0.5\]'):
        alpha2f.mu_star = orm.Float(-0.1)  # the builder already checks the port
    _set(alpha2f, 'mu_star', orm.Float(-0.1))
    _assert_refused(alpha2f, 'mu_star', '-0.1', '[0, 0.5]')


def test_alpha2f_refuses_pw_code_as_ph_code(alpha2f, codes):
    _set(alpha2f, 'ph.ph.code', codes['pw'])
    _assert_refused(alpha2f, 'ph.ph.code', 'quantumespresso.pw code, not a ph.x code', 'quantumespresso.ph')


@pytest.mark.parametrize(
    ('make', 'fragments'),
    [
        (overlapping, ('0.130 Å apart', '< 0.5 Å')),
        (overlapping_images, ('0.150 Å apart', '< 0.5 Å')),
        (partial, ('partial occupancies', 'every site fully occupied')),
    ],
    ids=['overlap', 'overlap-through-image', 'partial-occupancy'],
)
def test_alpha2f_refuses_bad_structures(alpha2f, make, fragments):
    _set(alpha2f, 'structure', make())
    _assert_refused(alpha2f, *fragments)


def test_point_refuses_bad_mu_star_and_codes_in_its_alpha2f_namespace(point, codes):
    _set(point, 'alpha2f.mu_star', orm.Float(0.7))
    _assert_refused(point, 'mu_star', '0.7')
    _set(point, 'alpha2f.mu_star', orm.Float(0.1))
    point.alpha2f.matdyn.code = codes['q2r']
    _assert_refused(point, 'matdyn.code', 'quantumespresso.q2r code, not a matdyn.x code')
    point.alpha2f.matdyn.code = codes['matdyn']
    _set(point, 'relax.base_relax.pw.code', codes['ph'])
    _assert_refused(point, 'relax.base_relax.pw.code', 'quantumespresso.ph code, not a pw.x code')


def test_point_refuses_bad_structure_and_pressure(point):
    structure = point.structure
    _set(point, 'structure', overlapping())
    _assert_refused(point, '0.130 Å apart')
    _set(point, 'structure', structure)
    _set(point, 'pressure', orm.Float(math.nan))
    _assert_refused(point, '`pressure` = nan GPa', '[0, 1000] GPa')


def test_sweep_refuses_bad_structure_and_pw_code(codes, pseudo_family, h3s_structure):
    builder = SweepWorkChain.get_builder_from_protocol(codes, h3s_structure, [150.0, 200.0], protocol='test')
    _set(builder, 'relax.base_relax.pw.code', codes['matdyn'])
    _assert_refused(builder, 'relax.base_relax.pw.code', 'not a pw.x code')
    _set(builder, 'relax.base_relax.pw.code', codes['pw'])
    _set(builder, 'structure', partial())
    _assert_refused(builder, 'partial occupancies')
    _set(builder, 'structure', h3s_structure)
    _set(builder, 'point.alpha2f.mu_star', orm.Float(-0.01))
    _assert_refused(builder, 'mu_star', '-0.01')


def test_enatom_refuses_bad_structure_and_pp_code(codes, pseudo_family, h3s_structure):
    builder = EnatomWorkChain.get_builder_from_protocol(
        codes, h3s_structure, protocol='test', supercell_matrix=[[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    )
    _set(builder, 'pp.code', codes['pw'])
    _assert_refused(builder, 'pp.code', 'not a pp.x code')
    _set(builder, 'pp.code', codes['pp'])
    _set(builder, 'structure', overlapping_images())
    _assert_refused(builder, '0.150 Å apart')


def test_code_problem_reads_the_executable_when_the_plugin_fits_or_is_missing(aiida_localhost):
    pw_as_ph = orm.InstalledCode(computer=aiida_localhost, filepath_executable='/usr/bin/pw.x', label='pw-no-plugin')
    assert 'a code running pw.x, not a ph.x code' in code_problem(pw_as_ph, 'ph', 'ph.ph.code')
    assert code_problem(pw_as_ph, 'pw', 'scf.pw.code') is None
    mislabelled = orm.InstalledCode(
        computer=aiida_localhost,
        filepath_executable='/usr/bin/pw.x',
        label='ph-runs-pw',
        default_calc_job_plugin='quantumespresso.ph',
    )
    assert 'a code running pw.x' in code_problem(mislabelled, 'ph', 'ph.ph.code')
    wrapper = orm.InstalledCode(computer=aiida_localhost, filepath_executable='/opt/qe/bin/run-ph', label='ph-wrapper')
    assert code_problem(wrapper, 'ph', 'ph.ph.code') is None  # an unknown executable name is not second-guessed


@pytest.mark.parametrize('value', [-0.1, 0.51, math.nan, math.inf])
def test_validate_mu_star_bounds(value):
    assert '[0, 0.5]' in validate_mu_star(orm.Float(value))


@pytest.mark.parametrize('value', [0.0, 0.1, 0.5])
def test_validate_mu_star_accepts(value):
    assert validate_mu_star(orm.Float(value)) is None


def test_structure_problem_accepts_h3s_and_refuses_non_periodic(h3s_structure):
    assert structure_problem(h3s_structure) is None
    molecule = _cubic([(0, 0, 0), (0, 0, 0.74)], symbols=('H', 'H'), a=10.0)
    molecule.pbc = (False, False, False)
    assert 'periodic in all three directions' in structure_problem(molecule)

"""Fixtures of the WorkChain tests: H3S, the offline pseudopotential family and the QE codes by role."""

from __future__ import annotations

import functools

import pytest

FAMILY_LABEL = 'enatom-pbe-offline'
CODE_ROLES = {'pw': 'pw.x', 'ph': 'ph.x', 'q2r': 'q2r.x', 'matdyn': 'matdyn.x', 'pp': 'pp.x', 'projwfc': 'projwfc.x'}


POSCAR_H3S = """H3S
1.0
-1.5 1.5 1.5
1.5 -1.5 1.5
1.5 1.5 -1.5
S H
1 3
Direct
0.0 0.0 0.0
0.5 0.5 0.0
0.5 0.0 0.5
0.0 0.5 0.5
"""
"""H3S (Im-3m primitive cell, a = 3 Å) as a POSCAR: the structure file of the CLI tests."""


def installed_code(computer, executable: str, plugin: str, prefix: str, path: str | None = None):
    """Return the code ``<prefix>-<name of the executable>`` on ``computer``, creating it on first use.

    ``path`` defaults to ``executable`` found on PATH (a missing QE program fails the test with the install hint);
    give it for a wrapper script (fault injection).
    """
    import pathlib
    import shutil

    from aiida import orm

    path = path or shutil.which(executable)
    if path is None:
        pytest.fail(f'{executable} is not on PATH: install it with `apt-get install quantum-espresso`')
    label = f'{prefix}-{pathlib.Path(path).name}'
    try:
        return orm.load_code(f'{label}@{computer.label}')
    except Exception:  # noqa: BLE001 - not yet created on this profile
        return orm.InstalledCode(
            computer=computer, filepath_executable=path, label=label, default_calc_job_plugin=plugin
        ).store()


AL_LDA_UPF = '/usr/share/espresso/pseudo/Al.pz-vbc.UPF'
SERIAL = {'resources': {'num_machines': 1, 'num_mpiprocs_per_machine': 1}, 'withmpi': False}


def al_scf_calculation(computer, la2f: bool, prefix: str):
    """Run a serial pw.x SCF of fcc Al (primitive cell, Debian's LDA, 12/48 Ry, MV 0.05 Ry, k 4³), ``la2F`` if asked.

    The parent of the ph.x tests (restarts, the q-split): seconds of pw.x.
    """
    from aiida import orm
    from aiida.engine import run_get_node
    from aiida.plugins import CalculationFactory
    from aiida_pseudo.data.pseudo.upf import UpfData

    from aiida_enatom.common.structures import prototype_structure

    kpoints = orm.KpointsData()
    kpoints.set_kpoints_mesh([4, 4, 4])
    parameters = {
        'CONTROL': {'calculation': 'scf'},
        'SYSTEM': {'ecutwfc': 12.0, 'ecutrho': 48.0, 'occupations': 'smearing', 'smearing': 'mv', 'degauss': 0.05},
        'ELECTRONS': {'conv_thr': 1.0e-10},
    }
    if la2f:
        parameters['SYSTEM']['la2F'] = True  # the a2Fsave file that interpolated el-ph reads (here on the same mesh)
    inputs = {
        'code': installed_code(computer, 'pw.x', 'quantumespresso.pw', prefix),
        'structure': orm.StructureData(pymatgen=prototype_structure('Al', primitive=True)),
        'pseudos': {'Al': UpfData(AL_LDA_UPF)},
        'kpoints': kpoints,
        'parameters': orm.Dict(parameters),
        'metadata': {'options': SERIAL},
    }
    _, node = run_get_node(CalculationFactory('quantumespresso.pw'), **inputs)
    assert node.is_finished_ok, node.exit_message
    return node


@functools.cache
def _h3s_primitive(a: float):
    """Return the pymatgen primitive cell of :func:`h3s` (built once per ``a``: the space-group setup takes ~0.5 s)."""
    from pymatgen.core import Lattice, Structure

    structure = Structure.from_spacegroup('Im-3m', Lattice.cubic(a), ['S', 'H'], [[0, 0, 0], [0.5, 0, 0]])
    return structure.get_primitive_structure()


def h3s(a: float = 3.0):
    """Return H3S (Im-3m, S 2a, H 6b) as its 4-atom primitive cell, conventional lattice parameter ``a`` in Å."""
    from aiida import orm

    return orm.StructureData(pymatgen=_h3s_primitive(float(a)))


def install_family(directory) -> str:
    """Install the offline H/S family (ld1.x, under 1 s) with its 3 stringencies unless it exists; return its label."""
    from aiida import orm
    from aiida_pseudo.data.pseudo.upf import UpfData
    from aiida_pseudo.groups.family import CutoffsPseudoPotentialFamily

    from aiida_enatom.pseudos.generate import generate_pseudopotentials
    from aiida_enatom.setup.family import install_cutoffs

    if orm.QueryBuilder().append(orm.Group, filters={'label': FAMILY_LABEL}).count():
        return FAMILY_LABEL
    generate_pseudopotentials(['H', 'S'], directory)
    family = CutoffsPseudoPotentialFamily.create_from_folder(directory, FAMILY_LABEL, pseudo_type=UpfData)
    install_cutoffs(family, ['H', 'S'])
    return FAMILY_LABEL


#: The candidate of the campaign end to end (tests/aiida/campaign). Its first pressure is the pressure-point end to
#: end's 200 GPa and both start from this cell, so that the two modules' QE CalcJobs have the same inputs.
E2E_CANDIDATE = {'label': 'H3S-e2e', 'prototype': 'H3S', 'lattice_constant': 3.0}
E2E_PRESSURES = [200.0, 210.0]


def e2e_structure():
    """Return the end-to-end candidate's cell as the campaign builds it (``Candidate.build_structure``)."""
    from aiida import orm

    from aiida_enatom.io.campaign import Candidate

    candidate = Candidate(**E2E_CANDIDATE, pressures=E2E_PRESSURES)
    return orm.StructureData(pymatgen=candidate.build_structure())


@pytest.fixture
def h3s_structure():
    """H3S primitive cell at a = 3.0 Å (about 170 GPa)."""
    return h3s()


@pytest.fixture
def pseudo_family(tmp_path_factory):
    """Label of the offline H/S family on the test profile."""
    return install_family(tmp_path_factory.mktemp('upf'))


@pytest.fixture
def codes(qe_codes):
    """QE codes keyed by role (``'pw'``, ``'ph'``, ...), as the builders expect."""
    return {role: qe_codes[executable] for role, executable in CODE_ROLES.items()}


def serialize_builder(builder) -> dict:
    """Turn a builder into plain data for ``data_regression`` (nodes → values, codes → labels, pseudos → files)."""
    from aiida import orm
    from aiida_pseudo.data.pseudo.upf import UpfData

    def serialize(data):
        if isinstance(data, dict):
            return {key: serialize(value) for key, value in sorted(data.items())}
        if isinstance(data, UpfData):
            return data.filename
        if isinstance(data, orm.AbstractCode):
            return data.default_calc_job_plugin
        if isinstance(data, orm.Dict):
            return data.get_dict()
        if isinstance(data, (orm.Bool, orm.Float, orm.Int, orm.Str)):
            return data.value
        if isinstance(data, orm.StructureData):
            return data.get_formula()
        if isinstance(data, orm.KpointsData):
            return data.get_kpoints_mesh()[0]
        return data

    return serialize(builder._inputs(prune=True))

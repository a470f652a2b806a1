"""Fixtures of the enatom WorkChain tests: module-scoped QE codes, small pseudopotential families, finished runs."""

from __future__ import annotations

import shutil

import pytest

#: Debian's LDA Al pseudopotential (norm-conserving, no core correction): cheap and enough for the Al tests.
AL_LDA_UPF = '/usr/share/espresso/pseudo/Al.pz-vbc.UPF'


@pytest.fixture(scope='session')
def enatom_codes(enatom_computer):
    """Return ``{'pw': code, 'pp': code}`` on ``enatom-localhost`` (session scope)."""
    from aiida import orm

    computer = enatom_computer
    codes = {}
    for name, plugin in (('pw', 'quantumespresso.pw'), ('pp', 'quantumespresso.pp')):
        path = shutil.which(f'{name}.x')
        if path is None:
            pytest.fail(f'{name}.x is not on PATH: install it with `apt-get install quantum-espresso`')
        label = f'enatom-{name}'
        try:
            codes[name] = orm.load_code(f'{label}@{computer.label}')
        except Exception:  # noqa: BLE001 - not yet created
            codes[name] = orm.InstalledCode(
                computer=computer, filepath_executable=path, label=label, default_calc_job_plugin=plugin
            ).store()
    return codes


def _family(label: str, folder, cutoffs: dict):
    from aiida import orm
    from aiida_pseudo.data.pseudo.upf import UpfData
    from aiida_pseudo.groups.family import CutoffsPseudoPotentialFamily

    try:
        return orm.load_group(label)
    except Exception:  # noqa: BLE001 - not yet created
        family = CutoffsPseudoPotentialFamily.create_from_folder(folder, label, pseudo_type=UpfData)
        family.set_cutoffs(cutoffs, 'normal', unit='Ry')
        return family


@pytest.fixture(scope='session')
def al_family(aiida_profile, tmp_path_factory):
    """Family ``enatom-test-al`` with Debian's LDA Al at 12/48 Ry."""
    folder = tmp_path_factory.mktemp('al_family')
    shutil.copy(AL_LDA_UPF, folder)
    return _family('enatom-test-al', folder, {'Al': {'cutoff_wfc': 12.0, 'cutoff_rho': 48.0}})


@pytest.fixture(scope='session')
def h3s_family(aiida_profile, tmp_path_factory):
    """Family ``enatom-test-hs`` with the project's generated PBE US H and S at 25/200 Ry."""
    from aiida_enatom.pseudos.generate import generate_pseudopotentials

    folder = tmp_path_factory.mktemp('hs_family')
    generate_pseudopotentials(['H', 'S'], folder)
    cutoffs = {el: {'cutoff_wfc': 25.0, 'cutoff_rho': 200.0} for el in ('H', 'S')}
    return _family('enatom-test-hs', folder, cutoffs)


def prototype(name: str, primitive: bool = True):
    """Return a prototype structure of :mod:`aiida_enatom.common.structures` as StructureData."""
    from aiida import orm

    from aiida_enatom.common.structures import prototype_structure

    return orm.StructureData(pymatgen=prototype_structure(name, primitive=primitive))


@pytest.fixture(scope='session')
def al_enatom_node(enatom_codes, al_family):
    """A finished EnatomWorkChain: fcc Al (LDA, 12/48 Ry), 2×2×2 primitive supercell (8 atoms), potentials kept."""
    from aiida.engine import run_get_node

    from aiida_enatom.workflows.enatom import EnatomWorkChain

    builder = EnatomWorkChain.get_builder_from_protocol(
        enatom_codes,
        prototype('Al'),
        protocol='test',
        overrides={'pseudo_family': al_family.label, 'keep_potentials': True},
        supercell_matrix=[2, 2, 2],
    )
    _, node = run_get_node(builder)
    return node


@pytest.fixture(scope='session')
def h3s_enatom_node(enatom_codes, h3s_family):
    """A finished EnatomWorkChain: H3S conventional cell (8 atoms, a = 3.09 Å), PBE US at 25/200 Ry."""
    from aiida.engine import run_get_node

    from aiida_enatom.workflows.enatom import EnatomWorkChain

    builder = EnatomWorkChain.get_builder_from_protocol(
        enatom_codes,
        prototype('H3S', primitive=False),
        protocol='test',
        overrides={'pseudo_family': h3s_family.label},
        supercell_matrix=[1, 1, 1],
    )
    _, node = run_get_node(builder)
    return node

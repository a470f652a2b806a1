"""Tests of ``enatom.enatom`` with real pw.x/pp.x runs (fcc Al, H3S) and of its input validation."""

from __future__ import annotations

import numpy as np
import pytest
from aiida import orm
from aiida.common.links import LinkType

from aiida_enatom.calculations.functions._enatom_nodes import FILPLOT, RY_TO_EV
from aiida_enatom.io.qe_filplot import parse_filplot
from aiida_enatom.workflows.enatom import EnatomWorkChain
from aiida_enatom.workflows.mixins import duplicate_exit_statuses
from tests.aiida.enatom.conftest import prototype

#: Backflow/rigid ratio below which the bare local potential counts as rigid. With pp.x's filplot grids
#: (10 digits) we measure ~1.5e-5 for Al; the cube grids (5 digits) alone would give ~6e-4.
RIGID_TOLERANCE = 1.0e-3


def test_exit_codes_unique():
    """No exit status is used twice, including those inherited from WorkChain."""
    assert duplicate_exit_statuses(EnatomWorkChain) == {}
    assert {401, 402, 403, 404, 405, 406, 407, 408, 409} <= {
        c.status for c in EnatomWorkChain.spec().exit_codes.values()
    }


def test_protocols(enatom_codes, al_family):
    """The protocols exist and the builder carries the supercell, amplitude and absolute conv_thr."""
    assert {'fast', 'balanced', 'stringent'} <= set(EnatomWorkChain.get_available_protocols())
    assert EnatomWorkChain.get_default_protocol() == 'balanced'
    builder = EnatomWorkChain.get_builder_from_protocol(
        enatom_codes,
        prototype('Al'),
        protocol='fast',
        overrides={'pseudo_family': al_family.label},
    )
    assert builder.min_image_distance.value == 7.0
    assert builder.displacement_amplitude.value == 0.01
    assert builder.scf.pw.parameters['ELECTRONS']['conv_thr'] == 1.0e-10
    assert 'structure' not in builder.scf.pw
    builder = EnatomWorkChain.get_builder_from_protocol(
        enatom_codes,
        prototype('Al'),
        protocol='test',
        overrides={'pseudo_family': al_family.label},
        supercell_matrix=[2, 1, 3],
    )
    assert builder.supercell_matrix.get_list() == [[2, 0, 0], [0, 1, 0], [0, 0, 3]]
    assert 'min_image_distance' not in builder


def _fourier_shift(grid: np.ndarray, cell: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Return f(r − shift) of a periodic grid (shift in Å, Cartesian)."""
    recip = 2 * np.pi * np.linalg.inv(cell).T
    m = np.meshgrid(*(np.fft.fftfreq(n, 1.0 / n) for n in grid.shape), indexing='ij')
    g = sum(m[k][..., None] * recip[k] for k in range(3))
    return np.fft.ifftn(np.fft.fftn(grid) * np.exp(-1j * (g @ shift))).real


def test_al_enatom(al_enatom_node):
    """fcc Al, 2×2×2 primitive supercell: outputs, bare potential moves rigidly, sum rules hold."""
    node = al_enatom_node
    assert node.is_finished_ok, node.exit_message
    metrics = node.outputs.metrics.get_dict()
    assert metrics['n_supercell_scf'] == 2
    assert metrics['n_supercell_atoms'] == 8
    atom = node.outputs.atoms.atom_00
    assert atom.rigid.get_array('total').dtype == np.float32
    assert atom.backflow.get_array('total').shape == (3, *node.outputs.fft_grid.get_list())
    ratios = atom.metrics['backflow_to_rigid']
    # The bare local pseudopotential moves rigidly: its backflow is zero to the precision of the cube grids.
    assert ratios['bare'] < RIGID_TOLERANCE
    assert ratios['total'] > ratios['bare']

    # Its rigid part is the atom's local pseudopotential: V_bare(+u) − V_bare(0) = v(r − R − u) − v(r − R).
    dataset = node.outputs.dataset.get_dict()
    assert dataset['atoms'][0] == 0
    u = np.array(dataset['displacements'][0])
    cell = np.array(dataset['supercell_cell'])
    pp_calcs = {link.link_label: link.node for link in node.base.links.get_outgoing(link_type=LinkType.CALL_CALC).all()}
    grids = {
        key: parse_filplot(
            pp_calcs[f'pp_bare_{key}'].outputs.retrieved.base.repository.get_object_content(FILPLOT)
        ).data
        for key in ('pristine', 'displacement_00')
    }
    difference = (grids['displacement_00'] - grids['pristine']) * RY_TO_EV
    rigid = atom.rigid.get_array('bare').astype(float)
    shifted = _fourier_shift(rigid, cell, u) - rigid
    assert np.linalg.norm(shifted - difference) / np.linalg.norm(difference) < 1e-3
    # The cube grids kept with keep_potentials have the same shape.
    assert node.outputs.potentials.bare_pristine.get_shape('data') == grids['pristine'].shape

    sum_rules = node.outputs.sum_rules.get_dict()
    assert sum_rules['bare']['rigid'] < 1e-3
    assert sum_rules['total']['rigid'] < 5e-3
    assert sum_rules['total']['translational'] < 2e-2
    assert metrics['linearity_error'] < 0.05


def test_h3s_enatom(h3s_enatom_node):
    """H3S conventional cell (8 atoms): both species decomposed, sum rules within tolerance."""
    node = h3s_enatom_node
    assert node.is_finished_ok, node.exit_message
    metrics = node.outputs.metrics.get_dict()
    dataset = node.outputs.dataset.get_dict()
    assert metrics['n_supercell_scf'] == len(dataset['atoms']) + 1
    assert {'backflow_to_rigid_ratio_H', 'backflow_to_rigid_ratio_S', 'tail_H', 'tail_S'} <= set(metrics)
    for label in node.outputs.atoms:
        assert node.outputs.atoms[label].metrics['backflow_to_rigid']['bare'] < RIGID_TOLERANCE
    sum_rules = node.outputs.sum_rules.get_dict()
    assert sum_rules['bare']['rigid'] < 1e-3
    assert sum_rules['total']['rigid'] < 1e-2
    assert sum_rules['total']['translational'] < 5e-2


def test_h3s_plane_wave_split(h3s_enatom_node):
    """H3S: the plane-wave rigid/backflow split of I² per species (docs/enatom.md); the bare V_loc is rigid."""
    node = h3s_enatom_node
    values = node.outputs.plane_wave.get_dict()
    print({key: value for key, value in values.items() if key != 'pw_atoms'})  # the numbers quoted in the docs
    for label, atom in values['pw_atoms'].items():
        print(label, atom['element'], atom['multiplicity'], {c: atom[c] for c in ('total', 'hxc', 'bare')})
    assert values['pw_cell_volume_A3'] == pytest.approx(node.inputs.structure.get_cell_volume() / 2)
    assert values['pw_bare_backflow_share_lattice_max'] < 1e-2
    for element in ('H', 'S'):
        assert values[f'I2_{element}_pw_rigid_eV2_per_A2'] > 0
        assert 0 <= values[f'I2_{element}_backflow_share'] < 0.5


@pytest.mark.parametrize(('amplitude', 'match'), [(1e-6, 'outside'), (0.5, 'outside')])
def test_bad_amplitude(enatom_codes, al_family, amplitude, match):
    """A displacement amplitude outside the allowed range is refused before anything runs."""
    from aiida.engine import run_get_node

    builder = EnatomWorkChain.get_builder_from_protocol(
        enatom_codes,
        prototype('Al'),
        protocol='test',
        overrides={'pseudo_family': al_family.label},
        supercell_matrix=[2, 2, 2],
    )
    builder.displacement_amplitude = orm.Float(amplitude)
    with pytest.raises(ValueError, match=match):
        run_get_node(builder)


def test_two_supercell_specifications(enatom_codes, al_family):
    """Giving a supercell matrix and a minimum image distance is refused."""
    from aiida.engine import run_get_node

    builder = EnatomWorkChain.get_builder_from_protocol(
        enatom_codes,
        prototype('Al'),
        protocol='test',
        overrides={'pseudo_family': al_family.label},
        supercell_matrix=[2, 2, 2],
    )
    builder.min_image_distance = orm.Float(5.0)
    with pytest.raises(ValueError, match='exactly one'):
        run_get_node(builder)


def test_incompatible_fft_grid(enatom_codes, al_family):
    """A user grid not mapped onto itself by the supercell symmetry stops the workchain (exit 402) before QE."""
    from aiida.engine import run_get_node

    builder = EnatomWorkChain.get_builder_from_protocol(
        enatom_codes,
        prototype('Al'),
        protocol='test',
        overrides={'pseudo_family': al_family.label},
        supercell_matrix=[2, 2, 2],
    )
    builder.fft_grid = orm.List([25, 24, 24])
    _, node = run_get_node(builder)
    assert node.exit_status == EnatomWorkChain.exit_codes.ERROR_INCOMPATIBLE_FFT_GRID.status
    assert 'incompatible' in node.exit_message
    assert not [n for n in node.called_descendants if isinstance(n, orm.CalcJobNode)]


def _fake_potential(shape, cell, seed=0):
    data = orm.ArrayData()
    rng = np.random.default_rng(seed)
    data.set_array('data', rng.normal(size=shape))
    data.set_array('voxel', np.asarray(cell) / 0.529177210903 / np.array(shape)[:, None])
    return data


def test_mismatched_grids_and_cells(aiida_profile):
    """compute_potential_derivatives refuses grids of different shapes or of another cell, naming the grid."""
    from aiida_enatom.calculations.functions.compute_potential_derivatives import compute_potential_derivatives
    from aiida_enatom.calculations.functions.generate_displacements import generate_displacements
    from aiida_enatom.exceptions import InputValidationError

    outputs = generate_displacements(
        structure=prototype('Al'),
        displacement_amplitude=orm.Float(0.01),
        supercell_matrix=orm.List([[2, 0, 0], [0, 2, 0], [0, 0, 2]]),
    )
    dataset = outputs['dataset']
    cell = np.array(dataset['supercell_cell'])
    good = {
        f'{c}_{k}': _fake_potential((12, 12, 12), cell)
        for c in ('total', 'bare')
        for k in ('pristine', 'displacement_00')
    }
    bad_grid = {**good, 'total_displacement_00': _fake_potential((12, 12, 10), cell)}
    with pytest.raises(InputValidationError, match='same FFT grid'):
        compute_potential_derivatives(dataset=dataset, **bad_grid)
    bad_cell = {**good, 'bare_displacement_00': _fake_potential((12, 12, 12), cell * 1.01)}
    with pytest.raises(InputValidationError, match='same supercell'):
        compute_potential_derivatives(dataset=dataset, **bad_cell)

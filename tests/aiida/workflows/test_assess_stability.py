"""The stability calcfunctions on real QE 6.7 outputs: the verdict, its evidence and its provenance.

The ``output_parameters`` Dicts are built the way aiida-quantumespresso's ph.x parser stores them
(``dynamical_matrix_<i>`` with ``q_point`` in 2π/alat and ``frequencies`` in cm⁻¹) from the stored dynamical-matrix
files; matdyn's retrieved folder holds the stored ``phonon_frequencies.dat``.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pytest
from aiida import orm
from aiida.common import LinkType
from aiida_quantumespresso.data.force_constants import ForceConstantsData

from aiida_enatom.calculations.functions.assess_stability import assess_stability
from aiida_enatom.calculations.functions.locate_interpolated_minimum import locate_interpolated_minimum
from aiida_enatom.constants import CM1_TO_MEV
from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.io.qe_dyn import parse_dyn_file

QE = Path(__file__).parents[2] / 'fixtures' / 'qe'
AL = QE / 'al_q333_qe67_soft_interpolation'
AL_SPURIOUS = QE / 'al_q333_qe67_spurious_interpolation'
H3S = QE / 'h3s_fast_qe67_soft_q'


def _ph_parameters(*paths: Path) -> orm.Dict:
    """``output_parameters`` of ph.x as aiida-quantumespresso parses them, from dynamical-matrix files."""
    matrices = {}
    for index, path in enumerate(paths, start=1):
        dyn = parse_dyn_file(path)
        matrices[f'dynamical_matrix_{index}'] = {
            'q_point': [float(value) for value in dyn.diagonal_q_point],
            'frequencies': [float(value) / CM1_TO_MEV for value in dyn.frequency_mev],
        }
    return orm.Dict({**matrices, 'number_of_qpoints': len(paths)})


def _retrieved(path: Path) -> orm.FolderData:
    folder = orm.FolderData()
    folder.base.repository.put_object_from_filelike(io.BytesIO(path.read_bytes()), 'phonon_frequencies.dat')
    return folder


def _inputs(node) -> dict[str, str]:
    return {link.link_label: link.node.uuid for link in node.base.links.get_incoming(link_type=LinkType.INPUT_CALC)}


def test_al_interpolation_only_instability_is_confirmed_by_ph_x():
    """Expanded fcc Al (fixture README): grid stable, mesh −15.3 cm⁻¹, ph.x at that q −18.8 cm⁻¹ → unstable."""
    grid = _ph_parameters(*(AL / f'al.dyn{index}' for index in range(1, 5)))
    retrieved = _retrieved(AL / 'phonon_frequencies.dat')
    threshold = orm.Float(1.0)
    direct = _ph_parameters(AL / 'al.dyn_direct')
    stability = assess_stability(grid, retrieved, threshold, direct)
    result = stability.get_dict()
    assert result['evidence'] == 'direct_q'
    assert result['dynamically_stable'] is False
    assert result['lowest_frequency_meV'] == pytest.approx(-18.81382 * CM1_TO_MEV, rel=1e-5)
    assert result['direct_check_q'] == pytest.approx([0.0, 0.375, 0.0])
    assert result['direct_check_lowest_frequency_meV'] == result['lowest_frequency_meV']
    assert result['interpolated_n_below_threshold'] == 11  # below −1 meV = −8.07 cm⁻¹
    # Provenance: the three inputs the verdict was computed from.
    inputs = _inputs(stability.creator)
    assert inputs['ph_parameters'] == grid.uuid
    assert inputs['matdyn_retrieved'] == retrieved.uuid
    assert inputs['direct_parameters'] == direct.uuid

    # Without the direct check the interpolation alone keeps the point unstable; with the test protocol's 5 meV
    # tolerance the same mesh is stable and no check is needed.
    alone = assess_stability(grid, retrieved, threshold).get_dict()
    assert (alone['dynamically_stable'], alone['evidence']) == (False, 'interpolated_mesh')
    assert alone['direct_check_q'] is None
    tolerant = assess_stability(grid, retrieved, orm.Float(5.0)).get_dict()
    assert (tolerant['dynamically_stable'], tolerant['evidence']) == (True, 'interpolated_mesh')


def test_missing_frequency_file_is_named():
    with pytest.raises(InputValidationError, match=r'has no phonon_frequencies\.dat'):
        assess_stability(_ph_parameters(AL / 'al.dyn1'), orm.FolderData(), orm.Float(1.0))


def test_h3s_former_fast_case_of_the_issue(tmp_path):
    """H3S 200 GPa, k 8³ / MV 0.03 Ry (fixture README): grid stable, mesh −427 cm⁻¹, ph.x there −151 cm⁻¹."""
    grid = _ph_parameters(*(H3S / f'dyn{index}.gz' for index in range(1, 9)))
    retrieved = _retrieved(H3S / 'phonon_frequencies.dat')
    constants = tmp_path / 'real_space_force_constants.dat'
    constants.write_bytes(gzip.decompress((H3S / 'h3s.fc.gz').read_bytes()))
    located = locate_interpolated_minimum(retrieved, ForceConstantsData(file=str(constants)), grid, orm.Float(3.0))
    summary = located['summary'].get_dict()
    assert summary['direct_check_needed'] is True
    assert summary['lowest_frequency_coarse_grid_meV'] == pytest.approx(242.768761 * CM1_TO_MEV, rel=1e-6)
    assert summary['interpolated_lowest_frequency_meV'] == pytest.approx(-427.3377 * CM1_TO_MEV)  # −53.0 meV
    worst = [0.16238, 0.16238, 0.108253]
    assert summary['interpolated_worst_q'] == pytest.approx(worst)
    assert summary['interpolated_n_below_threshold'] == 5
    # The q-point ph.x gets: aiida-quantumespresso writes xq = Cartesian q (1/Å, 2π included) × |a1| / 2π, and for
    # this ibrav = 0 cell |a1| is alat, so ph.x runs exactly at the worst interpolated q.
    qpoint = located['qpoint']
    xq = qpoint.get_kpoints(cartesian=True)[0] * np.linalg.norm(qpoint.cell[0]) / (2.0 * np.pi)
    np.testing.assert_allclose(xq, worst, atol=2e-6)

    direct = _ph_parameters(H3S / 'dyn_direct_mv0.03.gz')
    result = assess_stability(grid, retrieved, orm.Float(3.0), direct).get_dict()
    assert (result['dynamically_stable'], result['evidence']) == (False, 'direct_q')
    assert result['direct_check_q'] == pytest.approx(worst, abs=1e-6)
    assert result['direct_check_lowest_frequency_meV'] == pytest.approx(-151.46503 * CM1_TO_MEV, rel=1e-5)
    assert result['lowest_frequency_meV'] == result['direct_check_lowest_frequency_meV']  # −18.8 meV
    assert result['interpolated_lowest_frequency_meV'] == pytest.approx(-427.3377 * CM1_TO_MEV)


def test_al_spurious_interpolated_mode_is_stable_by_the_direct_check():
    """fcc Al 8.0 bohr, MV 0.01 Ry (fixture README): mesh −16.8 cm⁻¹, ph.x there +19.4 cm⁻¹ → stable."""
    grid = _ph_parameters(*(AL_SPURIOUS / f'al.dyn{index}' for index in range(1, 5)))
    retrieved = _retrieved(AL_SPURIOUS / 'phonon_frequencies.dat')
    direct = _ph_parameters(AL_SPURIOUS / 'al.dyn_direct')
    result = assess_stability(grid, retrieved, orm.Float(1.0), direct).get_dict()
    assert (result['dynamically_stable'], result['evidence']) == (True, 'direct_q')
    assert result['interpolated_lowest_frequency_meV'] == pytest.approx(-16.7621 * CM1_TO_MEV)
    assert result['direct_check_lowest_frequency_meV'] == pytest.approx(19.441771 * CM1_TO_MEV, rel=1e-5)
    # min(grid +81.3 cm⁻¹, direct +19.4 cm⁻¹)
    assert result['lowest_frequency_meV'] == result['direct_check_lowest_frequency_meV']

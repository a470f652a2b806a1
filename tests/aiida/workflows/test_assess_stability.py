"""The stability calcfunctions on real QE 6.7 outputs: the verdict, its evidence and its provenance.

The ``output_parameters`` Dicts are built the way aiida-quantumespresso's ph.x parser stores them
(``dynamical_matrix_<i>`` with ``q_point`` in 2π/alat and ``frequencies`` in cm⁻¹) from the stored dynamical-matrix
files; matdyn's retrieved folder holds the stored ``phonon_frequencies.dat``.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from aiida import orm
from aiida.common import LinkType

from aiida_enatom.calculations.functions.assess_stability import assess_stability
from aiida_enatom.constants import CM1_TO_MEV
from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.io.qe_dyn import parse_dyn_file

QE = Path(__file__).parents[2] / 'fixtures' / 'qe'
AL = QE / 'al_q333_qe67_soft_interpolation'


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

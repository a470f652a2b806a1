"""create_elph_meshes and extract_pressure: the small calcfunctions the WorkChains rely on."""

from __future__ import annotations

import numpy as np
import pytest
from aiida import orm

from aiida_enatom.calculations.functions.create_elph_meshes import create_elph_meshes
from aiida_enatom.calculations.functions.extract_pressure import extract_pressure

from .conftest import h3s


@pytest.mark.parametrize(
    ('distances', 'expected'),
    [
        ((1.5, 0.8, 0.4, 0.19), {'qpoints': 2, 'kpoints': 4, 'kpoints_la2f': 8, 'qpoints_matdyn': 16}),
        ((0.8, 0.4, 0.2, 0.19), {'qpoints': 4, 'kpoints': 8, 'kpoints_la2f': 16, 'qpoints_matdyn': 16}),
        # 0.25 alone would give 12 for the SCF (a multiple of 6) and 0.12 → 25, rounded up to 36.
        ((0.5, 0.25, 0.12, 0.12), {'qpoints': 6, 'kpoints': 12, 'kpoints_la2f': 36, 'qpoints_matdyn': 25}),
        # 0.35 alone would give 9: rounded up to the next multiple of the q-mesh (4) → 12.
        ((0.8, 0.35, 0.2, 0.2), {'qpoints': 4, 'kpoints': 12, 'kpoints_la2f': 24, 'qpoints_matdyn': 15}),
    ],
)
def test_meshes_commensurate(distances, expected):
    meshes = create_elph_meshes(h3s(3.0), *(orm.Float(value) for value in distances))
    summary = meshes['summary'].get_dict()
    for name, n in expected.items():
        assert summary[name] == [n, n, n]
        assert meshes[name].get_kpoints_mesh()[0] == [n, n, n]
    assert all(k % q == 0 for k, q in zip(summary['kpoints'], summary['qpoints'], strict=True))
    assert all(k % q == 0 for k, q in zip(summary['kpoints_la2f'], summary['kpoints'], strict=True))


def test_extract_pressure():
    trajectory = orm.TrajectoryData()
    cells = np.repeat(np.eye(3)[None] * 3.0, 2, axis=0)
    positions = np.zeros((2, 1, 3))
    trajectory.set_trajectory(['H'], positions, cells=cells)
    trajectory.set_array('stress', np.array([np.eye(3) * 100.0, np.diag([199.0, 200.0, 201.0])]))
    assert extract_pressure(trajectory).value == pytest.approx(200.0)

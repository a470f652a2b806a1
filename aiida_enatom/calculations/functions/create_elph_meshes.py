"""Calcfunction: commensurate q-, k- and dense k-meshes for an interpolated electron-phonon calculation."""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.engine import calcfunction

__all__ = ('create_elph_meshes',)


@calcfunction
def create_elph_meshes(
    structure: orm.StructureData,
    qpoints_distance: orm.Float,
    kpoints_distance: orm.Float,
    kpoints_distance_la2f: orm.Float,
    matdyn_qpoints_distance: orm.Float,
) -> dict[str, orm.Data]:
    """Return commensurate Γ-centred meshes for ph.x, the two SCFs and matdyn.x, and a summary Dict.

    Outputs: ``qpoints`` (ph.x), ``kpoints`` (SCF), ``kpoints_la2f`` (dense la2F SCF), ``qpoints_matdyn`` (fine
    matdyn.x mesh) and ``summary`` (the four meshes as lists).

    Each mesh has n_i = max(1, ceil(|b_i| / d)) points along reciprocal vector b_i (1/Å, 2π included, as in
    aiida-quantumespresso); then the SCF mesh is rounded up to a multiple of the q-mesh and the dense mesh to a
    multiple of the SCF mesh, as ph.x needs for ``electron_phonon='interpolated'``.

    Parameters
    ----------
    structure
        The crystal.
    qpoints_distance, kpoints_distance, kpoints_distance_la2f, matdyn_qpoints_distance
        Maximal spacing between points in 1/Å of the q-mesh, SCF k-mesh, dense la2F k-mesh and fine matdyn mesh.
    """
    lengths = np.linalg.norm(2.0 * np.pi * np.linalg.inv(np.asarray(structure.cell)).T, axis=1)
    raw = {
        name: np.maximum(1, np.ceil(lengths / distance.value - 1.0e-8)).astype(int)
        for name, distance in [
            ('qpoints', qpoints_distance),
            ('kpoints', kpoints_distance),
            ('kpoints_la2f', kpoints_distance_la2f),
            ('qpoints_matdyn', matdyn_qpoints_distance),
        ]
    }
    raw['kpoints'] = raw['qpoints'] * np.ceil(raw['kpoints'] / raw['qpoints']).astype(int)
    raw['kpoints_la2f'] = raw['kpoints'] * np.ceil(raw['kpoints_la2f'] / raw['kpoints']).astype(int)
    meshes: dict[str, orm.Data] = {'summary': orm.Dict({name: [int(v) for v in mesh] for name, mesh in raw.items()})}
    for name, mesh in raw.items():
        kpoints = orm.KpointsData()
        kpoints.set_cell_from_structure(structure)
        kpoints.set_kpoints_mesh([int(value) for value in mesh])
        meshes[name] = kpoints
    return meshes

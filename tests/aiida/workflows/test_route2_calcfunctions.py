"""compute_scattering_route2 and extend_metrics on stored real MgH q2r files (no QE runs)."""

from __future__ import annotations

import io

import pytest
from aiida import orm

from aiida_enatom.calculations.functions.compute_scattering_route2 import compute_scattering_route2
from aiida_enatom.calculations.functions.extend_metrics import extend_metrics
from aiida_enatom.io.qe_q2r import dos_per_mev, gamma_to_mev_amu, parse_a2f_matdyn
from aiida_enatom.numerics.scattering_route2 import route2_scattering

from ...numerics._mgh import MGH


def _retrieved() -> orm.FolderData:
    folder = orm.FolderData()
    for unit in (61, 64):
        name = f'a2Fmatdyn.{unit}'
        folder.base.repository.put_object_from_filelike(io.BytesIO((MGH / 'elph_dir' / name).read_bytes()), name)
    return folder


def test_route2_calcfunction():
    metrics = orm.Dict({'I2_H_eV2_per_A2': 10.0, 'eta_H_eV_per_A2': 3.5, 'I2_Mg_eV2_per_A2': None})
    result = compute_scattering_route2(
        force_constants=orm.SinglefileData(MGH / 'alh222.fc'),
        q2r_retrieved=_retrieved(),
        metrics=metrics,
        smearing_index=orm.Int(3),
    )
    gamma = parse_a2f_matdyn((MGH / 'elph_dir' / 'a2Fmatdyn.64').read_text(), 2)
    expected = route2_scattering(gamma_to_mev_amu(gamma.constants), ['Mg', 'H'], dos_per_mev(gamma.dos_ef))
    assert result['I2_H_route2_eV2_per_A2'] == pytest.approx(expected['H']['I2_eV2_per_A2'], rel=1e-12)
    assert result['I2_H_route_ratio'] == pytest.approx(expected['H']['I2_eV2_per_A2'] / 10.0, rel=1e-12)
    assert result['eta_H_route_ratio'] == pytest.approx(expected['H']['eta_eV_per_A2'] / 3.5, rel=1e-12)
    assert result['I2_Mg_route_ratio'] is None  # no route-1 value
    assert result['I2_M_route2_eV2_per_A2'] == result['I2_Mg_route2_eV2_per_A2']  # one metal species
    assert result.creator.process_label == 'compute_scattering_route2'


def test_extend_metrics():
    merged = extend_metrics(metrics=orm.Dict({'lambda': 2.0}), route2=orm.Dict({'I2_H_route_ratio': 0.5}))
    assert merged.get_dict() == {'lambda': 2.0, 'I2_H_route_ratio': 0.5}
    with pytest.raises(ValueError, match="extension 'again' redefines metrics key 'lambda'"):
        extend_metrics(metrics=orm.Dict({'lambda': 2.0}), again=orm.Dict({'lambda': 3.0}))

"""Ball's sum rules on the analytic model: residuals vanish for the complete crystal, not with an atom missing."""

from __future__ import annotations

import numpy as np
import pytest

from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.sum_rules import sum_rule_residuals
from tests.numerics.enatom_model import h3s_model


@pytest.fixture(scope='module', params=[False, True], ids=['rigid_atoms', 'with_bond_backflow'])
def model_data(request):
    model = h3s_model(n=20, with_bonds=request.param)
    fields = np.stack([model.field(j) for j in range(len(model.numbers))])
    return model, model.potential(), fields


def test_residuals_vanish(model_data):
    model, potential, fields = model_data
    residuals = sum_rule_residuals(potential, fields, model.cell)
    # band-limited analytic fields: spectral operators exact up to FFT rounding
    for name, value in residuals.as_dict().items():
        assert value < 1e-12, name
    ratios = np.array(residuals.backflow_to_rigid)
    if model.bonds:
        assert np.all(ratios > 1e-3)  # the bond term gives a genuine backflow
    else:
        np.testing.assert_allclose(ratios, 0.0, atol=1e-12)


def test_residuals_with_missing_atom(model_data):
    model, potential, fields = model_data
    residuals = sum_rule_residuals(potential, fields[1:], model.cell)
    # one S atom out of eight carries a large share of −∇V
    assert residuals.translational > 0.1
    assert residuals.rigid > 0.1
    if model.bonds:
        assert residuals.backflow > 0.05


def test_residual_definition_translational(model_data):
    """Scaling one field by (1 + ε) raises the translational residual by exactly ε‖F_0‖/‖∇V‖."""
    model, potential, fields = model_data
    eps = 1e-3
    scaled = fields.copy()
    scaled[0] *= 1 + eps
    residuals = sum_rule_residuals(potential, scaled, model.cell)
    from aiida_enatom.numerics.helmholtz import spectral_gradient

    expected = eps * np.linalg.norm(fields[0]) / np.linalg.norm(spectral_gradient(potential, model.cell))
    np.testing.assert_allclose(residuals.translational, expected, rtol=1e-8)


def test_bad_shapes():
    with pytest.raises(InputValidationError, match='fields must have shape'):
        sum_rule_residuals(np.zeros((4, 4, 4)), np.zeros((2, 3, 4, 4, 5)), np.eye(3))
    with pytest.raises(InputValidationError, match='constant'):
        sum_rule_residuals(np.ones((4, 4, 4)), np.zeros((2, 3, 4, 4, 4)), np.eye(3))

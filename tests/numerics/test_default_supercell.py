"""The enatom protocols' minimum image distances pick the supercells that the backflow sum rule needs.

Ball's backflow residual ‖Σ_j ∇×W_j‖/Σ_j‖∇×W_j‖ measured with real QE for fcc metals in n×n×n supercells of the
primitive cell (``fast`` settings, norm-conserving pseudopotentials; docs/enatom_workflow.md, "Backflow sum rule
against supercell size"). The default protocol (``balanced``) must pick, for each of them, at least the smallest
measured supercell whose residual is ≤ 5 %, or the largest measured one when none is (fcc Li at 0 GPa: 5.05 % at 4×4×4,
limited by the accuracy of the fields rather than by the supercell). The ``fast`` protocol is for screening and
must not pick anything larger than ``balanced``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from aiida_enatom.numerics.enatom_pipeline import minimum_image_distance, supercell_matrix_for_min_image

PROTOCOLS = Path(__file__).resolve().parents[2] / 'aiida_enatom' / 'workflows' / 'protocols' / 'enatom.yaml'

#: (element, conventional fcc a in Å) → {n: backflow residual of the n×n×n supercell}, from the runs in the docs.
MEASURED = {
    ('Li', 4.291): {2: 0.1465, 3: 0.0762, 4: 0.0505},  # 0 GPa
    ('Li', 3.372): {2: 0.1133, 3: 0.0499, 4: 0.0314},  # 35 GPa
    ('Al', 4.038): {2: 0.0387, 3: 0.0176, 4: 0.0128},  # 0 GPa (Debian's Al.pz-vbc)
    ('Al', 3.710): {2: 0.0371, 3: 0.0204},  # 35 GPa
}
TARGET = 0.05
PROTOCOL_DATA = yaml.safe_load(PROTOCOLS.read_text())


def fcc_primitive(a: float) -> np.ndarray:
    """Primitive fcc lattice vectors (rows, Å) of conventional lattice constant ``a``."""
    return 0.5 * a * np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0]])


def protocol_distance(name: str) -> float:
    default = PROTOCOL_DATA['default_inputs']['min_image_distance']
    return float(PROTOCOL_DATA['protocols'][name].get('min_image_distance', default))


def chosen_n(a: float, distance: float) -> int:
    diagonal = supercell_matrix_for_min_image(fcc_primitive(a), distance).diagonal()
    assert len(set(diagonal.tolist())) == 1, diagonal  # fcc: the isotropic n×n×n
    return int(diagonal[0])


@pytest.mark.parametrize(('system', 'residuals'), MEASURED.items(), ids=lambda v: str(v))
def test_default_protocol_meets_the_backflow_target(system, residuals):
    _, a = system
    meeting = [n for n, value in sorted(residuals.items()) if value <= TARGET]
    wanted = meeting[0] if meeting else max(residuals)
    n = chosen_n(a, protocol_distance(PROTOCOL_DATA['default_protocol']))
    assert n >= wanted, (system, n, residuals)


def test_fast_is_not_larger_than_balanced_and_li_at_0_gpa_needs_four():
    for _, a in MEASURED:
        assert chosen_n(a, protocol_distance('fast')) <= chosen_n(a, protocol_distance('balanced'))
    # the decisive case: 3×3×3 fcc Li at 0 GPa has 9.1 Å between images and misses the target (7.6 %)
    three = minimum_image_distance(3 * fcc_primitive(4.291))
    assert three == pytest.approx(3 * 4.291 / np.sqrt(2))
    assert three < protocol_distance('balanced') <= minimum_image_distance(4 * fcc_primitive(3.372))

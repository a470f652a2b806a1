"""Ball's sum rules for the enatom fields of all atoms of a supercell, as relative residuals.

Identity: moving every atom of a periodic crystal by the same u shifts the potential, V(r) → V(r − u), so
``Σ_j ∂V/∂R_j = −∇V`` (translational invariance). With ``F_j = −∇v_j + ∇×W_j + F₀_j``
(:func:`~aiida_enatom.numerics.helmholtz.helmholtz_decompose`) and the uniqueness of the periodic Helmholtz
decomposition this gives ``Σ_j v_j = V − ⟨V⟩`` (the zero-mean convention fixes the constant),
``Σ_j ∇×W_j = 0`` and ``Σ_j F₀_j = 0``. ``V`` is the potential of the undisplaced supercell whose derivatives
are the F_j (the local + Hartree + xc potential of pp.x).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.helmholtz import helmholtz_decompose, spectral_gradient

__all__ = ('SumRuleResiduals', 'sum_rule_residuals')

#: Backflow counts as absent when Σ_j ‖∇×W_j‖ ≤ this × Σ_j ‖F_j‖ (rounding level of the decomposition).
_NO_BACKFLOW = 1.0e-12


@dataclass(frozen=True)
class SumRuleResiduals:
    """Relative residuals of Ball's sum rules (0 for an exact, converged calculation). Norms: L2 over the grid."""

    translational: float
    """‖Σ_j F_j + ∇V‖ / ‖∇V‖, ∇V spectral."""
    rigid: float
    """‖Σ_j v_j − (V − ⟨V⟩)‖ / ‖V − ⟨V⟩‖, Nyquist-plane content of V left out (it cannot be in any v_j)."""
    backflow: float
    """‖Σ_j ∇×W_j‖ / Σ_j ‖∇×W_j‖; 0 when Σ_j ‖∇×W_j‖ ≤ 1e-12 Σ_j ‖F_j‖ (no backflow: the rule holds trivially)."""
    mean: float
    """|Σ_j F₀_j| / RMS|∇V|."""
    backflow_to_rigid: tuple[float, ...]
    """‖∇×W_j‖ / ‖∇v_j‖ per atom."""

    def as_dict(self) -> dict[str, float]:
        """Scalar residuals as a flat dict."""
        return {
            'translational': self.translational,
            'rigid': self.rigid,
            'backflow': self.backflow,
            'mean': self.mean,
        }


def sum_rule_residuals(potential: ArrayLike, fields: ArrayLike, cell: ArrayLike) -> SumRuleResiduals:
    """Residuals of Σ_j F_j = −∇V, Σ_j v_j = V − ⟨V⟩, Σ_j ∇×W_j = 0 and Σ_j F₀_j = 0.

    Parameters
    ----------
    potential : array_like, shape (n1, n2, n3)
        V of the undisplaced supercell ([V], e.g. eV or Ry).
    fields : array_like, shape (n_atoms, 3, n1, n2, n3)
        F_j = ∂V/∂R_j of **every** atom of the supercell ([V]/Å), e.g. from
        :func:`~aiida_enatom.numerics.displacements.reconstruct_atom_fields`.
    cell : array_like, shape (3, 3)
        Supercell lattice vectors as rows, Å.

    Returns
    -------
    SumRuleResiduals

    Raises
    ------
    InputValidationError
        On inconsistent shapes or a constant potential.
    """
    potential = np.asarray(potential, dtype=float)
    fields = np.asarray(fields, dtype=float)
    cell = np.asarray(cell, dtype=float)
    if potential.ndim != 3:
        raise InputValidationError(f'potential must have shape (n1, n2, n3); got {potential.shape}')
    if fields.ndim != 5 or fields.shape[1] != 3 or fields.shape[2:] != potential.shape:
        raise InputValidationError(
            f'fields must have shape (n_atoms, 3, {", ".join(map(str, potential.shape))}); got {fields.shape}'
        )
    grad_v = spectral_gradient(potential, cell)
    grad_norm = float(np.linalg.norm(grad_v))
    if grad_norm == 0:
        raise InputValidationError('the potential is constant: the sum rules are undefined')

    # V − ⟨V⟩ without its Nyquist-plane content: the rigid part of −∇V (spectral gradient).
    v_fluct = helmholtz_decompose(-grad_v, cell).rigid

    total_field = np.zeros_like(grad_v)
    total_rigid = np.zeros(potential.shape)
    total_backflow = np.zeros_like(grad_v)
    total_mean = np.zeros(3)
    backflow_norms = []
    field_norms = []
    ratios = []
    for field in fields:
        parts = helmholtz_decompose(field, cell)
        total_field += field
        total_rigid += parts.rigid
        total_backflow += parts.backflow
        total_mean += parts.mean
        backflow_norm = float(np.linalg.norm(parts.backflow))
        rigid_norm = float(np.linalg.norm(parts.longitudinal))
        backflow_norms.append(backflow_norm)
        field_norms.append(float(np.linalg.norm(field)))
        ratios.append(backflow_norm / rigid_norm if rigid_norm > 0 else float('inf'))
    denominator = sum(backflow_norms)
    no_backflow = denominator <= _NO_BACKFLOW * sum(field_norms)
    return SumRuleResiduals(
        translational=float(np.linalg.norm(total_field + grad_v) / grad_norm),
        rigid=float(np.linalg.norm(total_rigid - v_fluct) / np.linalg.norm(v_fluct)),
        backflow=0.0 if no_backflow else float(np.linalg.norm(total_backflow) / denominator),
        mean=float(np.linalg.norm(total_mean) / (grad_norm / np.sqrt(potential.size))),
        backflow_to_rigid=tuple(ratios),
    )

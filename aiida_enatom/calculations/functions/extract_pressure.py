"""Calcfunction: hydrostatic pressure (GPa) of the last step of a pw.x trajectory."""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.engine import calcfunction

__all__ = ('extract_pressure',)


@calcfunction
def extract_pressure(trajectory: orm.TrajectoryData) -> orm.Float:
    """Return P = tr(σ)/3 in GPa of the last stress tensor σ in ``trajectory``.

    aiida-quantumespresso stores the stress in GPa with QE's sign (positive under compression); the last step of a
    vc-relax is the final SCF in the relaxed cell, so this is the pressure the relaxed structure is actually at.

    Parameters
    ----------
    trajectory
        ``output_trajectory`` of a pw.x (vc-)relax; must hold the array ``stress`` (n_steps, 3, 3), GPa.
    """
    stress = np.asarray(trajectory.get_array('stress'), dtype=float)
    return orm.Float(float(np.trace(stress[-1]) / 3.0))

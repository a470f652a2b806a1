"""Calcfunction: dynamical-stability verdict from the ph.x frequencies and matdyn's phonon DOS."""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.constants import CM1_TO_MEV
from aiida_enatom.numerics.stability import coarse_grid_minimum

__all__ = ('assess_stability',)


@calcfunction
def assess_stability(ph_parameters: orm.Dict, phonon_dos: orm.XyData, threshold: orm.Float) -> orm.Dict:
    """Return ``dynamically_stable`` and ``lowest_frequency_meV`` (imaginary modes are negative).

    The lowest frequency is the smaller of the lowest ph.x frequency on the coarse q-grid (exact there; the three
    acoustic modes at Γ left out, because ph.x does not impose the acoustic sum rule: see
    :mod:`aiida_enatom.numerics.stability`) and the lowest frequency with non-zero phonon DOS on matdyn's fine mesh
    (Fourier-interpolated, sum rule imposed). The structure is dynamically stable when it is ≥ −``threshold``.

    Parameters
    ----------
    ph_parameters
        ``output_parameters`` of ph.x (``dynamical_matrix_<i>.q_point`` and ``.frequencies`` in cm⁻¹).
    phonon_dos
        matdyn's phonon DOS (frequencies in cm⁻¹).
    threshold
        Tolerance in meV for small imaginary frequencies (interpolation noise near Γ).
    """
    matrices = [
        value
        for key, value in sorted(ph_parameters.get_dict().items())
        if key.startswith('dynamical_matrix_') and value.get('frequencies')
    ]
    coarse = coarse_grid_minimum(
        [matrix['q_point'] for matrix in matrices],
        [np.asarray(matrix['frequencies'], dtype=float) * CM1_TO_MEV for matrix in matrices],
    )
    frequency, dos = np.asarray(phonon_dos.get_x()[1]), np.asarray(phonon_dos.get_y()[0][1])
    fine = float(frequency[np.flatnonzero(dos > 0)[0]]) * CM1_TO_MEV if np.any(dos > 0) else float('inf')
    lowest = min(coarse.lowest_meV, fine)
    return orm.Dict(
        {
            'dynamically_stable': bool(lowest >= -threshold.value),
            'lowest_frequency_meV': lowest,
            'lowest_frequency_coarse_grid_meV': coarse.lowest_meV,
            'lowest_frequency_fine_mesh_meV': fine,
            'acoustic_gamma_max_abs_meV': coarse.acoustic_gamma_max_abs_meV,
            'threshold_meV': threshold.value,
        }
    )

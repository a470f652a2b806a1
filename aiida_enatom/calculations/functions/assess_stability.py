"""Calcfunction: dynamical-stability verdict from the ph.x frequencies and matdyn's phonon DOS."""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.constants import CM1_TO_MEV

__all__ = ('assess_stability',)


@calcfunction
def assess_stability(ph_parameters: orm.Dict, phonon_dos: orm.XyData, threshold: orm.Float) -> orm.Dict:
    """Return ``dynamically_stable`` and ``lowest_frequency_meV`` (imaginary modes are negative).

    The lowest frequency is the smaller of the lowest ph.x frequency on the coarse q-grid (exact there) and the
    lowest frequency with non-zero phonon DOS on matdyn's fine mesh (Fourier-interpolated). The structure is
    dynamically stable when it is ≥ −``threshold``.

    Parameters
    ----------
    ph_parameters
        ``output_parameters`` of ph.x (``dynamical_matrix_<i>.frequencies`` in cm⁻¹).
    phonon_dos
        matdyn's phonon DOS (frequencies in cm⁻¹).
    threshold
        Tolerance in meV for small imaginary frequencies (acoustic-sum-rule and interpolation noise).
    """
    parameters = ph_parameters.get_dict()
    coarse = [
        min(value['frequencies'])
        for key, value in parameters.items()
        if key.startswith('dynamical_matrix_') and value.get('frequencies')
    ]
    frequency, dos = np.asarray(phonon_dos.get_x()[1]), np.asarray(phonon_dos.get_y()[0][1])
    fine = float(frequency[np.flatnonzero(dos > 0)[0]]) if np.any(dos > 0) else float('inf')
    lowest_coarse = float(min(coarse)) * CM1_TO_MEV if coarse else float('inf')
    lowest = min(lowest_coarse, fine * CM1_TO_MEV)
    return orm.Dict(
        {
            'dynamically_stable': bool(lowest >= -threshold.value),
            'lowest_frequency_meV': lowest,
            'lowest_frequency_coarse_grid_meV': lowest_coarse,
            'lowest_frequency_fine_mesh_meV': fine * CM1_TO_MEV,
            'threshold_meV': threshold.value,
        }
    )

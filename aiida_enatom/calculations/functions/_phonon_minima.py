"""Shared unwrapping for the stability calcfunctions: ph.x grid minimum and matdyn.x frequencies from nodes."""

from __future__ import annotations

import numpy as np
from aiida import orm

from aiida_enatom.constants import CM1_TO_MEV
from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.io.qe_matdyn_freq import MatdynFrequencies, parse_matdyn_frequencies
from aiida_enatom.numerics.stability import CoarseGridMinimum, coarse_grid_minimum

__all__ = ('MATDYN_FREQUENCIES', 'ph_minimum', 'ph_qpoints', 'read_matdyn_frequencies')

#: The ``flfrq`` name that aiida-quantumespresso's ``MatdynCalculation`` sets and retrieves.
MATDYN_FREQUENCIES = 'phonon_frequencies.dat'


def _matrices(ph_parameters: orm.Dict) -> list[dict]:
    return [
        value
        for key, value in sorted(ph_parameters.get_dict().items())
        if key.startswith('dynamical_matrix_') and value.get('frequencies')
    ]


def ph_minimum(ph_parameters: orm.Dict) -> CoarseGridMinimum:
    """Return the lowest ph.x frequency (meV) of ``output_parameters``, the acoustic modes at Γ left out.

    Raises
    ------
    InputValidationError
        If the node holds no ``dynamical_matrix_<i>`` with frequencies.
    """
    matrices = _matrices(ph_parameters)
    if not matrices:
        raise InputValidationError(
            f'Dict<{ph_parameters.pk}> has no dynamical_matrix_<i> with frequencies: not the output_parameters of a '
            'finished ph.x run'
        )
    return coarse_grid_minimum(
        [matrix['q_point'] for matrix in matrices],
        [np.asarray(matrix['frequencies'], dtype=float) * CM1_TO_MEV for matrix in matrices],
    )


def ph_qpoints(ph_parameters: orm.Dict) -> list[list[float]]:
    """Return the q-points (Cartesian, 2π/alat, as ph.x prints them) of ``output_parameters``."""
    return [[float(value) for value in matrix['q_point']] for matrix in _matrices(ph_parameters)]


def read_matdyn_frequencies(retrieved: orm.FolderData) -> MatdynFrequencies:
    """Parse matdyn.x's frequency file from its retrieved folder.

    Raises
    ------
    InputValidationError
        If the folder has no ``phonon_frequencies.dat``.
    ParsingError
        If the file is malformed.
    """
    names = retrieved.base.repository.list_object_names()
    if MATDYN_FREQUENCIES not in names:
        raise InputValidationError(
            f'FolderData<{retrieved.pk}> has no {MATDYN_FREQUENCIES} (files: {sorted(names)}); it must be the '
            'retrieved folder of a quantumespresso.matdyn calculation'
        )
    return parse_matdyn_frequencies(
        retrieved.base.repository.get_object_content(MATDYN_FREQUENCIES), filename=MATDYN_FREQUENCIES
    )

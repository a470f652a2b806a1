"""Calcfunction: matdyn.x ``a2F.dosN`` and ``lambda`` files (retrieved) → :class:`Alpha2FData` and a Dict."""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.constants import CM1_TO_MEV
from aiida_enatom.data.alpha2f import Alpha2FData
from aiida_enatom.io.qe_matdyn import parse_a2f_dos, parse_lambda_file

__all__ = ('parse_matdyn_a2f',)


@calcfunction
def parse_matdyn_a2f(retrieved: orm.FolderData, phonon_dos: orm.XyData) -> dict[str, orm.Data]:
    """Parse the total α²F of every smearing and matdyn's λ table.

    Parameters
    ----------
    retrieved
        Retrieved folder of a ``MatdynCalculation`` run with ``la2F`` (holds ``a2F.dos1``… and ``lambda``).
    phonon_dos
        matdyn's phonon DOS (frequencies in cm⁻¹), stored alongside α²F in meV.
    """
    table = parse_lambda_file(retrieved.base.repository.get_object_content('lambda'), filename='lambda')
    spectra = [
        parse_a2f_dos(retrieved.base.repository.get_object_content(f'a2F.dos{index}'), f'a2F.dos{index}').to_alpha2f()
        for index in range(1, len(table.entries) + 1)
    ]
    alpha2f = Alpha2FData()
    alpha2f.set_from(
        spectra,
        [entry.broadening_ry for entry in table.entries],
        phonon_dos=(np.asarray(phonon_dos.get_x()[1]) * CM1_TO_MEV, np.asarray(phonon_dos.get_y()[0][1]) / CM1_TO_MEV),
    )
    summary = {
        'smearing_Ry': [entry.broadening_ry for entry in table.entries],
        'lambda': [entry.coupling_lambda for entry in table.entries],
        'dos_ef_states_per_Ry_spin': [entry.dos_ef for entry in table.entries],
        'omega_log_K': [entry.omega_log_k for entry in table.entries],
    }
    return {'alpha2f': alpha2f, 'matdyn_lambda': orm.Dict(summary)}

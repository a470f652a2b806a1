"""Calcfunction: Eliashberg T_c with the energy-dependent electronic DOS N(ε) of projwfc.x (issue 10 §5)."""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.data.alpha2f import Alpha2FData
from aiida_enatom.numerics.eliashberg import DEFAULT_MU_STAR_CONVENTION
from aiida_enatom.numerics.eliashberg_dos import DEFAULT_WINDOW_MEV, eliashberg_dos_metrics

__all__ = ('compute_eliashberg_dos',)


@calcfunction
def compute_eliashberg_dos(
    alpha2f: Alpha2FData,
    dos: orm.XyData,
    scf_parameters: orm.Dict,
    mu_star: orm.Float,
    smearing_index: orm.Int,
    mu_star_convention: orm.Str | None = None,
    window: orm.Float | None = None,
) -> orm.Dict:
    """Return T_c with N(ε)/N(0) in the window ±W around E_F and its ratio to the constant-DOS T_c.

    Parameters
    ----------
    alpha2f
        α²F per smearing (meV).
    dos
        projwfc.x total ``Dos`` (energies in eV, absolute; only N(ε)/N(0) enters, so the spin sum does not matter).
    scf_parameters
        ``output_parameters`` of the SCF that projwfc.x read (``fermi_energy`` in eV).
    mu_star
        Coulomb pseudopotential μ*, as for the point's constant-DOS T_c.
    smearing_index
        0-based index of the smearing whose α²F is used.
    mu_star_convention
        A key of :data:`~aiida_enatom.numerics.eliashberg.MU_STAR_CONVENTIONS`; default ``'ten_omega_max'``.
    window
        Half-width W of the N(ε) window in meV; default
        :data:`~aiida_enatom.numerics.eliashberg_dos.DEFAULT_WINDOW_MEV`.
    """
    keys = eliashberg_dos_metrics(
        alpha2f.to_alpha2f(smearing_index.value),
        np.asarray(dos.get_x()[1]),
        np.asarray(dos.get_y()[0][1]),
        float(scf_parameters['fermi_energy']),
        mu_star=mu_star.value,
        window_mev=DEFAULT_WINDOW_MEV if window is None else window.value,
        mu_star_convention=DEFAULT_MU_STAR_CONVENTION if mu_star_convention is None else mu_star_convention.value,
    )
    return orm.Dict(keys)

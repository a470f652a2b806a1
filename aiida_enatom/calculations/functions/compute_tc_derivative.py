"""Calcfunction: the Bergmann–Rainer derivative δT_c/δα²F(Ω) of a point, of its H partial alone, and their summary."""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.data.alpha2f import Alpha2FData
from aiida_enatom.numerics.derivative_metrics import derivative_metrics
from aiida_enatom.numerics.eliashberg import DEFAULT_MU_STAR_CONVENTION

__all__ = ('compute_tc_derivative',)


@calcfunction
def compute_tc_derivative(
    alpha2f: Alpha2FData,
    mu_star: orm.Float,
    smearing_index: orm.Int,
    mu_star_convention: orm.Str | None = None,
) -> dict[str, orm.Data]:
    """Return δT_c/δα²F(Ω) of the default smearing (``derivative``) and its per-species numbers (``summary``).

    Parameters
    ----------
    alpha2f
        α²F per smearing with species partials (meV).
    mu_star
        Coulomb pseudopotential μ*.
    smearing_index
        0-based index of the smearing whose spectrum is differentiated.
    mu_star_convention
        A key of :data:`~aiida_enatom.numerics.eliashberg.MU_STAR_CONVENTIONS`; default ``'ten_omega_max'``.

    Returns
    -------
    dict
        ``derivative``: ArrayData with ``omega_meV`` (ω > 0 grid), ``dtc_da2f_K_per_meV`` and, when the H partial
        pairs alone, ``dtc_da2f_H_only_K_per_meV`` (each shape (n,); an undefined derivative is left out).
        ``summary``: Dict of :data:`~aiida_enatom.numerics.derivative_metrics.DERIVATIVE_KEYS` plus ``mu_star``,
        ``mu_star_convention``, ``smearing_index``.
    """
    convention = DEFAULT_MU_STAR_CONVENTION if mu_star_convention is None else mu_star_convention.value
    spectrum = alpha2f.to_alpha2f(smearing_index.value)
    scalars, arrays = derivative_metrics(spectrum, mu_star=mu_star.value, mu_star_convention=convention)
    derivative = orm.ArrayData()
    for name, values in arrays.items():
        derivative.set_array(name, np.asarray(values, dtype=float))
    summary = orm.Dict(
        {**scalars, 'mu_star': mu_star.value, 'mu_star_convention': convention, 'smearing_index': smearing_index.value}
    )
    return {'derivative': derivative, 'summary': summary}

"""Where T_c is sensitive: the Bergmann–Rainer derivative of a pressure point, reduced to numbers per species.

:func:`derivative_metrics` evaluates δT_c/δα²F(Ω) (:mod:`~aiida_enatom.numerics.bergmann_rainer`) of the full
spectrum and of its hydrogen partial alone on the spectrum's grid (ω > 0) and reduces them to flat keys:

- ``dtc_da2f_peak_omega_meV``, ``dtc_da2f_peak_over_kTc``, ``dtc_da2f_max_K_per_meV``: the maximum of
  δT_c/δα²F (near 7 k_BT_c) and its height;
- ``dtc_da2f_share_H_modes``: the share of ∫|δT_c/δα²F| dΩ that falls in **H-dominated modes**, the grid
  bins where α²F > 0 and the H partial is more than half of α²F (bins without α²F, e.g. a gap, count in
  neither the numerator nor the denominator);
- ``dtc_dscale_K`` = ∫ (δT_c/δα²F) α²F dΩ = dT_c/ds for α²F → sα²F at s = 1 (how T_c responds to scaling
  all coupling), and ``dtc_dscale_share_H`` = ∫ (δT_c/δα²F) α²F_H dΩ / ``dtc_dscale_K``: the H partial's share of
  that first-order response (the H and metal shares add up to 1);
- ``dtc_da2f_H_only_peak_omega_meV``, ``dtc_da2f_H_only_peak_over_kTc``: the same maximum for the H partial solved
  alone (the paper's "discard the metal" spectrum) with the full spectrum's μ* reference.

Every key is present; values are None when there is nothing to compute (no H partial, or T_c below the solver's
lowest temperature, where the derivative is undefined). Integrals use the trapezoid weights of the grid.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.bergmann_rainer import FunctionalDerivative, tc_functional_derivative
from aiida_enatom.numerics.eliashberg import DEFAULT_MU_STAR_CONVENTION, mu_star_reference_mev
from aiida_enatom.numerics.spectra import Alpha2F

__all__ = ('DERIVATIVE_KEYS', 'H_DOMINATED_FRACTION', 'derivative_metrics', 'trapezoid_weights')

#: A grid bin is H-dominated when α²F_H > this fraction of α²F.
H_DOMINATED_FRACTION = 0.5

#: Scalar keys of :func:`derivative_metrics`.
DERIVATIVE_KEYS = (
    'dtc_da2f_peak_omega_meV',
    'dtc_da2f_peak_over_kTc',
    'dtc_da2f_max_K_per_meV',
    'dtc_da2f_share_H_modes',
    'dtc_dscale_K',
    'dtc_dscale_share_H',
    'dtc_da2f_H_only_peak_omega_meV',
    'dtc_da2f_H_only_peak_over_kTc',
)


def trapezoid_weights(omega: NDArray[np.float64]) -> NDArray[np.float64]:
    """Trapezoid weights t_i (meV) of a sorted grid, shape as ``omega``: ∫f dω ≈ Σ t_i f(ω_i)."""
    steps = np.diff(omega)
    weights = np.zeros_like(omega, dtype=float)
    weights[:-1] += 0.5 * steps
    weights[1:] += 0.5 * steps
    return weights


def _solve(spectrum: Alpha2F, **options: Any) -> FunctionalDerivative | None:
    """The derivative, or None when T_c lies below the solver's lowest temperature."""
    try:
        return tc_functional_derivative(spectrum, **options)
    except InputValidationError as exception:
        if 'below t_min' in str(exception):
            return None
        raise


def derivative_metrics(
    spectrum: Alpha2F,
    *,
    mu_star: float,
    mu_star_convention: str = DEFAULT_MU_STAR_CONVENTION,
    cutoff_factor: float = 10.0,
    hydrogen: str = 'H',
) -> tuple[dict[str, float | None], dict[str, NDArray[np.float64]]]:
    """Bergmann–Rainer derivative of ``spectrum`` and of its hydrogen partial alone, as keys and arrays.

    Parameters
    ----------
    spectrum : Alpha2F
        α²F in meV, with the species partial ``hydrogen`` if the H numbers are wanted.
    mu_star : float
        μ* in [0, 0.5), read in ``mu_star_convention`` (the H-only solve uses the full spectrum's reference).
    mu_star_convention : str
        See :data:`~aiida_enatom.numerics.eliashberg.MU_STAR_CONVENTIONS`.
    cutoff_factor : float
        Matsubara cutoff in units of ω_max.
    hydrogen : str
        Key of the hydrogen partial.

    Returns
    -------
    scalars : dict
        :data:`DERIVATIVE_KEYS` (units in the key names; see the module docstring).
    arrays : dict of str to ndarray
        ``omega_meV`` (the grid points with ω > 0, shape (n,)), ``dtc_da2f_K_per_meV`` and, with an H partial,
        ``dtc_da2f_H_only_K_per_meV`` (same shape); a derivative that is undefined is left out.

    Raises
    ------
    InputValidationError
        On invalid μ*, convention or cutoff, or a spectrum without positive coupling.
    """
    scalars: dict[str, float | None] = dict.fromkeys(DERIVATIVE_KEYS)
    mask = spectrum.positive
    omega = np.array(spectrum.frequency[mask], dtype=float)
    arrays: dict[str, NDArray[np.float64]] = {'omega_meV': omega}
    options = {'mu_star': mu_star, 'cutoff_factor': cutoff_factor, 'mu_star_convention': mu_star_convention}
    full = _solve(spectrum, **options)
    if full is None:
        return scalars, arrays
    derivative = np.array(full.dtc_da2f_k_per_mev)
    arrays['dtc_da2f_K_per_meV'] = derivative
    weights = trapezoid_weights(omega)
    a2f = spectrum.spectrum[mask]
    scalars.update(
        dtc_da2f_peak_omega_meV=full.peak_omega_mev,
        dtc_da2f_peak_over_kTc=full.peak_omega_over_kTc,
        dtc_da2f_max_K_per_meV=float(derivative.max()),
        dtc_dscale_K=float(np.sum(derivative * a2f * weights)),
    )
    if hydrogen not in spectrum.partials:
        return scalars, arrays
    a2f_h = spectrum.partials[hydrogen][mask]
    modes = a2f > 0
    dominated = modes & (a2f_h > H_DOMINATED_FRACTION * a2f)
    magnitude = np.abs(derivative) * weights
    total = float(np.sum(magnitude[modes]))
    scalars['dtc_da2f_share_H_modes'] = float(np.sum(magnitude[dominated])) / total if total > 0 else None
    dscale = scalars['dtc_dscale_K']
    scalars['dtc_dscale_share_H'] = float(np.sum(derivative * a2f_h * weights)) / dscale if dscale else None

    part = spectrum.partial(hydrogen)
    if not np.any(part.spectrum[mask] > 0):
        return scalars, arrays
    reference = mu_star_reference_mev(spectrum, mu_star_convention)
    try:
        alone = _solve(part, omega_mev=omega, mu_star_reference_mev=reference, **options)
    except InputValidationError:  # e.g. λ_H ≤ 0: the H partial alone does not pair
        alone = None
    if alone is not None:
        arrays['dtc_da2f_H_only_K_per_meV'] = np.array(alone.dtc_da2f_k_per_mev)
        scalars.update(
            dtc_da2f_H_only_peak_omega_meV=alone.peak_omega_mev,
            dtc_da2f_H_only_peak_over_kTc=alone.peak_omega_over_kTc,
        )
    return scalars, arrays

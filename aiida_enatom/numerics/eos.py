"""Third-order Birch–Murnaghan equation of state: the energy E(V) and its linear least-squares fit.

References
----------
F. Birch, "Finite elastic strain of cubic crystals", Phys. Rev. 71, 809 (1947).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from aiida_enatom.constants import EV_PER_A3_TO_GPA
from aiida_enatom.exceptions import EnatomError, InputValidationError

__all__ = ('BirchMurnaghanFit', 'EosFitError', 'birch_murnaghan_energy', 'fit_birch_murnaghan')


class EosFitError(EnatomError, ValueError):
    """The E(V) points have no energy minimum inside (or just around) the sampled volume range."""


@dataclass(frozen=True)
class BirchMurnaghanFit:
    """Parameters of a third-order Birch–Murnaghan fit.

    Attributes
    ----------
    v0_a3 : float
        Equilibrium volume, Å³.
    b0_gpa : float
        Bulk modulus at V0, GPa.
    b0_prime : float
        Pressure derivative of the bulk modulus at V0 (dimensionless).
    e0_ev : float
        Energy at V0, eV.
    rms_residual_ev : float
        Root-mean-square residual of the fit, eV.
    """

    v0_a3: float
    b0_gpa: float
    b0_prime: float
    e0_ev: float
    rms_residual_ev: float


def birch_murnaghan_energy(
    volumes: ArrayLike, e0_ev: float, v0_a3: float, b0_gpa: float, b0_prime: float
) -> NDArray[np.float64]:
    r"""Return the third-order Birch–Murnaghan energy.

    .. math:: E(V) = E_0 + \frac{9 V_0 B_0}{16}\Big\{\big[\eta - 1\big]^3 B_0' + \big[\eta - 1\big]^2
              \big[6 - 4\eta\big]\Big\},\quad \eta = (V_0/V)^{2/3}

    Parameters
    ----------
    volumes : array_like
        Volumes, Å³, any shape.
    e0_ev : float
        Energy at the minimum, eV.
    v0_a3 : float
        Equilibrium volume, Å³.
    b0_gpa : float
        Bulk modulus, GPa.
    b0_prime : float
        Its pressure derivative.

    Returns
    -------
    numpy.ndarray
        Energies in eV, the shape of ``volumes``.
    """
    eta = (v0_a3 / np.asarray(volumes, dtype=float)) ** (2.0 / 3.0)
    b0 = b0_gpa / EV_PER_A3_TO_GPA
    return e0_ev + 9.0 * v0_a3 * b0 / 16.0 * ((eta - 1.0) ** 3 * b0_prime + (eta - 1.0) ** 2 * (6.0 - 4.0 * eta))


def fit_birch_murnaghan(volumes: ArrayLike, energies: ArrayLike) -> BirchMurnaghanFit:
    """Fit the third-order Birch–Murnaghan equation of state to E(V) points.

    Parameters
    ----------
    volumes : array_like
        Cell volumes, Å³, shape (n,) with at least 4 distinct positive values.
    energies : array_like
        Total energies, eV, shape (n,).

    Returns
    -------
    BirchMurnaghanFit
        V0 (Å³), B0 (GPa), B0', E0 (eV) and the rms residual (eV).

    Raises
    ------
    InputValidationError
        If the arrays differ in length, hold non-finite values or non-positive volumes, or fewer than 4 volumes.
    EosFitError
        If the fitted curve has no minimum within 10 % (in V^(-2/3)) of the sampled range.

    Notes
    -----
    In :math:`x = V^{-2/3}` the third-order E(V) is a cubic polynomial, so the fit is linear least squares.
    With :math:`t = x/x_0 - 1`, :math:`E = E_0 + \\tfrac{9}{16} V_0 B_0 [(B_0' - 4) t^3 + 2 t^2]`, hence at the
    minimum :math:`x_0` (where :math:`E'(x_0) = 0`): :math:`B_0 = \\tfrac{4}{9} x_0^2 E''(x_0) / V_0` and
    :math:`B_0' = 4 + \\tfrac{2}{3} x_0 E'''(x_0) / E''(x_0)`. Points that follow the form exactly are recovered to
    rounding error.
    """
    v = np.asarray(volumes, dtype=float)
    e = np.asarray(energies, dtype=float)
    if v.ndim != 1 or v.shape != e.shape:
        raise InputValidationError(f'volumes and energies must be 1-D of equal length, got {v.shape} and {e.shape}')
    if not (np.all(np.isfinite(v)) and np.all(np.isfinite(e))):
        raise InputValidationError('volumes and energies must be finite')
    if np.any(v <= 0):
        raise InputValidationError('volumes must be positive')
    if np.unique(v).size < 4:
        raise InputValidationError(f'a third-order fit needs at least 4 distinct volumes, got {np.unique(v).size}')
    x = v ** (-2.0 / 3.0)
    poly = np.polynomial.Polynomial.fit(x, e, 3).convert()
    second, third = poly.deriv(2), poly.deriv(3)
    roots = [r.real for r in poly.deriv().roots() if abs(r.imag) < 1e-12 and second(r.real) > 0]
    candidates = [r for r in roots if x.min() * 0.9 <= r <= x.max() * 1.1]
    if not candidates:
        raise EosFitError(
            f'no energy minimum inside the sampled volume range {v.min():.4g}–{v.max():.4g} Å³; '
            'sample volumes on both sides of the equilibrium'
        )
    x0 = min(candidates, key=lambda r: abs(r - x.mean()))
    v0 = x0**-1.5
    b0 = 4.0 / 9.0 * x0**2 * second(x0) / v0
    b0_prime = 4.0 + 2.0 / 3.0 * x0 * third(x0) / second(x0)
    residual = float(np.sqrt(np.mean((poly(x) - e) ** 2)))
    return BirchMurnaghanFit(float(v0), float(b0 * EV_PER_A3_TO_GPA), float(b0_prime), float(poly(x0)), residual)

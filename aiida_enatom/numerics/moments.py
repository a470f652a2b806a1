"""Frequency moments of α²F(ω) in the Allen–Dynes conventions: λ, ω_log, ω̄₁, ω̄₂ and the area 𝒜.

All integrals use the trapezoidal rule over the grid points with ω > 0 only (see
:class:`~aiida_enatom.numerics.spectra.Alpha2F` for how the left-out weight is reported).

References
----------
P. B. Allen and R. C. Dynes, Phys. Rev. B 12, 905 (1975).
C. R. Leavens and J. P. Carbotte, J. Low Temp. Phys. 14, 195 (1974).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.integrate import cumulative_trapezoid

from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.spectra import Alpha2F

__all__ = ('Moments', 'a2f_area', 'coupling_lambda', 'cumulative_lambda', 'moments', 'omega_log')


@dataclass(frozen=True)
class Moments:
    """Moments of one α²F spectrum (frequencies in meV)."""

    coupling_lambda: float
    """λ = 2∫α²F(ω)/ω dω (dimensionless)."""
    omega_log: float
    """ω_log = exp[(2/λ)∫ ln ω α²F(ω)/ω dω] in meV."""
    omega_1: float
    """ω̄₁ = (2/λ)∫α²F(ω) dω in meV."""
    omega_2: float
    """ω̄₂ = [(2/λ)∫ω α²F(ω) dω]^½ in meV."""
    area: float
    """Leavens–Carbotte area 𝒜 = ∫α²F(ω) dω in meV."""
    weight_nonpositive: float
    """∫|α²F| dω over ω ≤ 0 in meV, left out of every moment."""
    weight_negative: float
    """∫min(α²F, 0) dω over ω > 0 in meV (≤ 0); it is included in the moments."""

    def as_dict(self) -> dict[str, float]:
        """Return the moments as a flat dict with unit-suffixed keys."""
        return {
            'lambda': self.coupling_lambda,
            'omega_log_meV': self.omega_log,
            'omega_1_meV': self.omega_1,
            'omega_2_meV': self.omega_2,
            'area_meV': self.area,
            'weight_nonpositive_meV': self.weight_nonpositive,
            'weight_negative_meV': self.weight_negative,
        }

    def to_dict(self) -> dict[str, float]:
        """Field names to values (the dataclass fields)."""
        return asdict(self)


def _positive(spectrum: Alpha2F) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    mask = spectrum.positive
    return spectrum.frequency[mask], spectrum.spectrum[mask]


def coupling_lambda(spectrum: Alpha2F) -> float:
    """Electron–phonon coupling constant λ = 2∫α²F(ω)/ω dω over ω > 0 (dimensionless)."""
    omega, a2f = _positive(spectrum)
    return float(2.0 * np.trapezoid(a2f / omega, omega))


def a2f_area(spectrum: Alpha2F) -> float:
    """Leavens–Carbotte area 𝒜 = ∫α²F(ω) dω over ω > 0, in meV."""
    omega, a2f = _positive(spectrum)
    return float(np.trapezoid(a2f, omega))


def omega_log(spectrum: Alpha2F) -> float:
    """Logarithmic average frequency ω_log in meV (see :func:`moments`)."""
    return moments(spectrum).omega_log


def cumulative_lambda(spectrum: Alpha2F) -> NDArray[np.float64]:
    """Running coupling λ(ω) = 2∫₀^ω α²F(ω')/ω' dω', shape (n_freq,), zero for ω ≤ 0.

    The last element equals :func:`coupling_lambda`.
    """
    mask = spectrum.positive
    out = np.zeros_like(spectrum.frequency)
    omega = spectrum.frequency[mask]
    out[mask] = 2.0 * cumulative_trapezoid(spectrum.spectrum[mask] / omega, omega, initial=0.0)
    return out


def moments(spectrum: Alpha2F) -> Moments:
    """Compute λ, ω_log, ω̄₁, ω̄₂ and 𝒜 of a spectrum.

    Parameters
    ----------
    spectrum : Alpha2F
        The Eliashberg function; frequencies in meV.

    Returns
    -------
    Moments
        All moments in meV (λ dimensionless).

    Raises
    ------
    InputValidationError
        If λ ≤ 0 (no coupling: ω_log and the averages are undefined) or ⟨ω²⟩ < 0.

    Notes
    -----
    .. math::
        λ = 2∫\\frac{α^2F(ω)}{ω}dω,\\quad
        ω_{log} = \\exp\\Big[\\frac{2}{λ}∫\\ln ω\\,\\frac{α^2F(ω)}{ω}dω\\Big],\\quad
        \\bar ω_2^2 = \\frac{2}{λ}∫ω\\,α^2F(ω)dω,\\quad 𝒜 = ∫α^2F(ω)dω = λ\\bar ω_1/2.
    """
    omega, a2f = _positive(spectrum)
    weight = a2f / omega
    lam = float(2.0 * np.trapezoid(weight, omega))
    if not lam > 0:
        raise InputValidationError(f'λ = {lam:.6g} ≤ 0: the spectrum has no positive coupling, moments are undefined')
    area = float(np.trapezoid(a2f, omega))
    second = float(2.0 / lam * np.trapezoid(a2f * omega, omega))
    if second < 0:
        raise InputValidationError(f'⟨ω²⟩ = {second:.6g} meV² < 0: the spectrum is mostly negative')
    return Moments(
        coupling_lambda=lam,
        omega_log=float(np.exp(2.0 / lam * np.trapezoid(np.log(omega) * weight, omega))),
        omega_1=2.0 * area / lam,
        omega_2=float(np.sqrt(second)),
        area=area,
        weight_nonpositive=spectrum.weight_nonpositive,
        weight_negative=spectrum.weight_negative,
    )

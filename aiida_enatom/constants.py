"""Unit conversions and physical constants, all derived from :mod:`scipy.constants`.

Internal units of the numerics: energies and frequencies in meV, temperatures in K, masses in amu,
lengths in Å. Every conversion to or from Quantum ESPRESSO's units (Ry, bohr, kbar, cm⁻¹) lives here.
"""

from __future__ import annotations

from scipy import constants as _sc

#: 1 Ry in meV.
RY_TO_MEV: float = _sc.physical_constants['Rydberg constant times hc in eV'][0] * 1.0e3
#: 1 Ha in meV.
HA_TO_MEV: float = 2.0 * RY_TO_MEV
#: 1 eV in meV.
EV_TO_MEV: float = 1.0e3
#: 1 Ry in eV (pp.x potential grids are in Ry; multiply by this for eV).
RY_TO_EV: float = RY_TO_MEV / EV_TO_MEV
#: 1 THz (frequency ν, not angular) times h, in meV.
THZ_TO_MEV: float = _sc.h * 1.0e12 / _sc.e * 1.0e3
#: 1 cm⁻¹ times hc, in meV.
CM1_TO_MEV: float = _sc.h * _sc.c * 100.0 / _sc.e * 1.0e3
#: k_B times 1 K, in meV.
K_TO_MEV: float = _sc.k / _sc.e * 1.0e3
#: Temperature in K equivalent to 1 meV (1 / k_B).
MEV_TO_K: float = 1.0 / K_TO_MEV
#: 1 bohr in Å.
BOHR_TO_ANGSTROM: float = _sc.physical_constants['Bohr radius'][0] * 1.0e10
#: 1 GPa in kbar (QE's ``CELL.press`` unit).
KBAR_PER_GPA: float = 10.0
#: 1 eV/Å³ in GPa (bulk moduli from E(V) fits in eV and Å³; ≈ 160.2177).
EV_PER_A3_TO_GPA: float = _sc.e * 1.0e30 / 1.0e9
#: 1 amu in units of the electron mass (QE's ``amu_ry`` is half of this).
AMU_TO_ME: float = _sc.physical_constants['atomic mass constant'][0] / _sc.m_e

#: M[amu] · ω²[meV²] → M ω² in eV/Å²: amu · (meV/ħ)² expressed in eV/Å² (≈ 2.392253e-4).
AMU_MEV2_TO_EV_PER_A2: float = (
    _sc.physical_constants['atomic mass constant'][0] * (1.0e-3 * _sc.e / _sc.hbar) ** 2 / _sc.e * 1.0e-20
)

#: Frequency units accepted at the I/O boundary and their factor to meV.
FREQUENCY_UNITS_TO_MEV: dict[str, float] = {
    'meV': 1.0,
    'eV': EV_TO_MEV,
    'THz': THZ_TO_MEV,
    'cm-1': CM1_TO_MEV,
    'K': K_TO_MEV,
    'Ry': RY_TO_MEV,
    'Ha': HA_TO_MEV,
}


def frequency_factor_to_mev(unit: str) -> float:
    """Return the factor that converts a frequency (energy) in ``unit`` to meV.

    Parameters
    ----------
    unit : str
        One of the keys of :data:`FREQUENCY_UNITS_TO_MEV` (``'cm^-1'`` and ``'cm1'`` are accepted for cm⁻¹,
        case is ignored).

    Returns
    -------
    float
        Multiplicative factor to meV.

    Raises
    ------
    ValueError
        If the unit is unknown; the message lists the valid units.
    """
    aliases = {'cm^-1': 'cm-1', 'cm1': 'cm-1', 'cm⁻¹': 'cm-1', 'rydberg': 'Ry', 'hartree': 'Ha'}
    lookup = {key.lower(): key for key in FREQUENCY_UNITS_TO_MEV}
    key = aliases.get(unit.lower(), lookup.get(unit.lower()))
    if key is None:
        valid = ', '.join(FREQUENCY_UNITS_TO_MEV)
        raise ValueError(f'unknown frequency unit {unit!r}; valid units are: {valid}')
    return FREQUENCY_UNITS_TO_MEV[key]

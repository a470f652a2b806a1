"""Parser of the ``pw.x`` standard output of an scf run: final energy, pressure, eigenvalues (no AiiDA).

Inside AiiDA workflows the pw.x outputs are parsed by aiida-quantumespresso's ``PwParser``. Its raw stdout
parser (``aiida_quantumespresso.parsers.parse_raw.pw.parse_stdout``) imports ``aiida``, and it reads the
eigenvalues from the XML file, not from stdout; this module serves the AiiDA-free tools (the pseudopotential
validation) that run pw.x directly. The tests check its energy and pressure against that parser on the same files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from os import PathLike

from aiida_enatom.constants import KBAR_PER_GPA, RY_TO_EV
from aiida_enatom.exceptions import ConvergenceError, EnatomError, ParsingError
from aiida_enatom.io._qe_text import FLOAT_RE, qe_error_message, read_source

__all__ = ('PwError', 'PwOutput', 'parse_pw_output')

_ENERGY = re.compile(rf'^!\s+total energy\s+=\s+({FLOAT_RE})\s+Ry', re.MULTILINE)
#: ``total   stress  (Ry/bohr**3)   (kbar)   P=   -140.78``: the pressure is printed in kbar.
_PRESSURE = re.compile(rf'\(kbar\)\s+P=\s*({FLOAT_RE})')
_NAT = re.compile(r'number of atoms/cell\s*=\s*(\d+)')
_VOLUME = re.compile(rf'unit-cell volume\s*=\s*({FLOAT_RE})\s*\(a\.u\.\)\^3')
_BANDS = re.compile(
    r'bands \(ev\):\s*\n(.*?)\n\s*\n\s*(?:occupation|the Fermi|highest|k =|the spin|Writing)', re.DOTALL
)
#: Eigenvalues are printed with a fixed format (8f9.4) and may touch: ``-10.1234-11.2345``.
_EIGENVALUE = re.compile(r'-?\d+\.\d+')
_NOT_CONVERGED = 'convergence NOT achieved'
_SCF_END = 'End of self-consistent calculation'


class PwError(EnatomError, RuntimeError):
    """pw.x stopped on an error: the message is QE's own (the ``%%%%`` banner)."""


@dataclass(frozen=True)
class PwOutput:
    """The numbers of one converged pw.x scf run.

    Attributes
    ----------
    energy_ry : float
        Final total energy (the ``!`` line), Ry.
    pressure_gpa : float or None
        Pressure of the last stress calculation, GPa (pw.x prints kbar); ``None`` without ``tstress``.
    eigenvalues_ry : list of float
        Kohn–Sham eigenvalues at the first k-point of the last scf block, Ry (pw.x prints eV).
    nat : int
        Number of atoms in the cell.
    volume_bohr3 : float or None
        Unit-cell volume, bohr³.
    """

    energy_ry: float
    pressure_gpa: float | None
    eigenvalues_ry: list[float] = field(default_factory=list)
    nat: int = 0
    volume_bohr3: float | None = None

    @property
    def energy_ev(self) -> float:
        """Final total energy, eV."""
        return self.energy_ry * RY_TO_EV


def parse_pw_output(source: str | PathLike[str], filename: str | None = None) -> PwOutput:
    """Parse the standard output of a pw.x scf calculation.

    Parameters
    ----------
    source : str or os.PathLike
        The output text, or a path to it.
    filename : str, optional
        Name used in error messages.

    Returns
    -------
    PwOutput
        Final total energy (Ry), pressure (GPa), eigenvalues of the first k-point (Ry), atoms and volume.

    Raises
    ------
    PwError
        If pw.x printed an error banner (e.g. a missing pseudopotential file).
    ConvergenceError
        If the scf cycle did not converge.
    ParsingError
        If the output has no final total energy or no atom count (e.g. pw.x was killed).
    """
    text, name = read_source(source, filename)
    message = qe_error_message(text)
    if message is not None:
        raise PwError(f'{name}: pw.x stopped: {message}')
    if _NOT_CONVERGED in text:
        raise ConvergenceError(f'{name}: pw.x scf {_NOT_CONVERGED}')
    energies = _ENERGY.findall(text)
    if not energies:
        raise ParsingError('no final total energy (the "!" line): pw.x did not finish', name)
    nat = _NAT.search(text)
    if nat is None:
        raise ParsingError('no "number of atoms/cell" line', name)
    pressures = _PRESSURE.findall(text)
    volume = _VOLUME.search(text)
    bands = _BANDS.search(text.split(_SCF_END)[-1])
    eigenvalues = [float(x) / RY_TO_EV for x in _EIGENVALUE.findall(bands.group(1))] if bands else []
    return PwOutput(
        energy_ry=float(energies[-1]),
        pressure_gpa=float(pressures[-1]) / KBAR_PER_GPA if pressures else None,
        eigenvalues_ry=eigenvalues,
        nat=int(nat.group(1)),
        volume_bohr3=float(volume.group(1)) if volume else None,
    )

"""Parser of an ``ld1.x`` pseudopotential test run (``iswitch=2`` with test configurations; no AiiDA)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from os import PathLike

from aiida_enatom.exceptions import ParsingError
from aiida_enatom.io._qe_text import read_source

__all__ = ('Ld1TestResult', 'angular_momentum', 'parse_ld1_tests')

_DELTA = re.compile(r'dEtot_ae\s*=\s*(\S+)\s*Ry\s*\n\s*dEtot_ps\s*=\s*(\S+)\s*Ry,\s*Delta E=\s*(\S+)\s*Ry')
_EIG_TABLE = re.compile(r'e AE \(Ry\)\s+e PS \(Ry\)\s+De AE-PS \(Ry\)\s*\n(.*?)\n\s*\n', re.DOTALL)
_EIG_ROW = re.compile(r'^\s*\d+\s+\d+\s+(\w+)\s+\d+\(\s*([\d.]+)\)\s+(-?[\d.]+)\s+(-?[\d.]+)', re.MULTILINE)
_CONFIGTS = re.compile(r"configts\(\d+\)\s*=\s*'([^']*)'")
_BESSEL_BLOCK = re.compile(r'Cutoff \(Ry\) :\s*([\d.]+)\s*\n\s*N = 1.*?\n((?:\s*E\(L=\d\) =.*\n)+)')
_BESSEL_L = re.compile(r'L=(\d)')
_BESSEL_E = re.compile(r'(-?\d+\.\d+)\s*Ry')
_BESSEL_END = 'End of Bessel function test'


def angular_momentum(label: str) -> int:
    """Return l of a state label such as ``'2P'`` or ``'3d'`` (s, p, d, f → 0–3)."""
    return 'SPDF'.index(label[-1].upper())


@dataclass
class Ld1TestResult:
    """Result of the ld1.x test-configuration run of one element.

    Attributes
    ----------
    configurations : list of str
        Test configurations, the first being the reference.
    delta_e : list of float
        For configurations 2..n: (E_n − E_1)_PS − (E_n − E_1)_AE, in Ry.
    eigenvalues : list of tuple
        ``(label, occupation, e_AE, e_PS)`` of the valence states in the reference configuration, Ry.
    bessel : dict
        Bessel-basis test at the largest cutoff: ``{l: [e_1, e_2, ...]}`` in Ry (the lowest eigenvalues per l).
    """

    configurations: list[str]
    delta_e: list[float]
    eigenvalues: list[tuple[str, float, float, float]]
    bessel: dict[int, list[float]] = field(default_factory=dict)

    @property
    def max_abs_delta_e(self) -> float:
        """Largest |ΔE| over the test configurations, Ry (NaN without test configurations)."""
        return max((abs(x) for x in self.delta_e), default=float('nan'))

    def bessel_ghosts(self, tolerance: float = 0.05) -> list[str]:
        """Return descriptions of Bessel-basis eigenvalues that lie below the matching all-electron level.

        Parameters
        ----------
        tolerance : float
            Allowed deviation in Ry.

        Returns
        -------
        list of str
            Empty if, for every l, the n-th lowest Bessel eigenvalue is not below the n-th bound AE level of that l
            by more than ``tolerance`` and no Bessel eigenvalue lies below the lowest AE level of that l.
        """
        problems = []
        levels: dict[int, list[float]] = {}
        for label, _, e_ae, _ in self.eigenvalues:
            levels.setdefault(angular_momentum(label), []).append(e_ae)
        for l_value, bessel in self.bessel.items():
            reference = sorted(levels.get(l_value, []))
            for index, value in enumerate(bessel):
                if index < len(reference):
                    if value < reference[index] - tolerance:
                        problems.append(
                            f'l={l_value}: Bessel state {index + 1} at {value:.4f} Ry < AE {reference[index]:.4f}'
                        )
                elif value < -tolerance and (not reference or value < min(reference)):
                    problems.append(f'l={l_value}: extra bound state at {value:.4f} Ry')
        return problems


def parse_ld1_tests(output: str | PathLike[str], input_text: str = '', *, filename: str | None = None) -> Ld1TestResult:
    """Parse an ``ld1.x`` test run (``iswitch=2``) with several test configurations.

    Parameters
    ----------
    output : str or os.PathLike
        ld1.x standard output, or a path to it.
    input_text : str
        The test input, to recover the configuration strings (optional).
    filename : str, optional
        Name used in error messages.

    Returns
    -------
    Ld1TestResult
        Energy differences (Ry), reference eigenvalues (Ry) and the Bessel-basis test at the largest cutoff (Ry).

    Raises
    ------
    ParsingError
        If the output has no all-electron/pseudo eigenvalue table (not an ld1.x test run, or it stopped early).
    """
    text, name = read_source(output, filename)
    table = _EIG_TABLE.search(text)
    if table is None:
        raise ParsingError('no "e AE (Ry)  e PS (Ry)" eigenvalue table: not a finished ld1.x test run', name)
    eigenvalues = [
        (m.group(1), float(m.group(2)), float(m.group(3)), float(m.group(4))) for m in _EIG_ROW.finditer(table.group(1))
    ]
    deltas = [float(m.group(3)) for m in _DELTA.finditer(text)]
    bessel: dict[int, list[float]] = {}
    blocks = list(_BESSEL_BLOCK.finditer(text.split(_BESSEL_END)[0]))
    if blocks:
        for line in blocks[-1].group(2).strip().splitlines():
            bessel[int(_BESSEL_L.search(line).group(1))] = [float(x) for x in _BESSEL_E.findall(line)]
    return Ld1TestResult(_CONFIGTS.findall(input_text), deltas, eigenvalues, bessel)

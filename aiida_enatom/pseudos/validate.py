"""Validation driver for the ld1.x pseudopotential family: transferability, ghost states, lattice constants, cutoffs.

Run as ``python -m aiida_enatom.pseudos.validate [--elements H S ...] [--json out.json]``. It needs ``ld1.x`` and
``pw.x`` (serial) on the ``PATH`` and takes a few minutes per element on one core. It prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from aiida_enatom.pseudos.generate import (
    INPUTS_DIR,
    available_elements,
    generate_pseudopotentials,
    recommended_cutoffs,
    run_ld1,
)

__all__ = (
    'CRYSTALS',
    'AtomCheck',
    'CrystalTest',
    'CutoffCheck',
    'EosResult',
    'Ld1TestResult',
    'check_atom_in_box',
    'check_cutoffs',
    'fit_birch_murnaghan',
    'lattice_constant',
    'ld1_transferability',
    'main',
    'parse_ld1_tests',
    'parse_pw_output',
)

RY_EV = 13.605693122994
"""1 Ry in eV (CODATA 2018, as printed by QE 6.7)."""
EV_A3_GPA = 160.21766208
"""1 eV/Å³ in GPa."""
RY_BOHR3_GPA = 14710.507848260711
"""1 Ry/bohr³ in GPa."""

MASSES = {'H': 1.008, 'Li': 6.94, 'Mg': 24.305, 'Al': 26.982, 'S': 32.06, 'Ca': 40.078, 'Y': 88.906, 'La': 138.905}
"""Standard atomic weights (amu); pw.x only uses them for dynamics, not for the checks here."""

PWX_STATUS_FAIL = re.compile(r'%{10,}\s*\n(.*?)\n\s*%{10,}', re.DOTALL)


# ----------------------------------------------------------------------------------------------------------------------
# ld1.x transferability tests
# ----------------------------------------------------------------------------------------------------------------------
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
        """Largest |ΔE| over the test configurations, Ry."""
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
            levels.setdefault('SPDF'.index(label[-1].upper()), []).append(e_ae)
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


_DELTA = re.compile(r'dEtot_ae\s*=\s*(\S+)\s*Ry\s*\n\s*dEtot_ps\s*=\s*(\S+)\s*Ry,\s*Delta E=\s*(\S+)\s*Ry')
_EIG_TABLE = re.compile(r'e AE \(Ry\)\s+e PS \(Ry\)\s+De AE-PS \(Ry\)\s*\n(.*?)\n\s*\n', re.DOTALL)
_EIG_ROW = re.compile(r'^\s*\d+\s+\d+\s+(\w+)\s+\d+\(\s*([\d.]+)\)\s+(-?[\d.]+)\s+(-?[\d.]+)', re.MULTILINE)
_CONFIGTS = re.compile(r"configts\(\d+\)\s*=\s*'([^']*)'")
_BESSEL_BLOCK = re.compile(r'Cutoff \(Ry\) :\s*([\d.]+)\s*\n\s*N = 1.*?\n((?:\s*E\(L=\d\) =.*\n)+)')


def parse_ld1_tests(output: str, input_text: str = '') -> Ld1TestResult:
    """Parse an ``ld1.x`` test run (``iswitch=2``) with several test configurations.

    Parameters
    ----------
    output : str
        ld1.x standard output.
    input_text : str
        The test input, to recover the configuration strings (optional).

    Returns
    -------
    Ld1TestResult
        Energy differences, reference eigenvalues and the first Bessel-basis test.
    """
    deltas = [float(m.group(3)) for m in _DELTA.finditer(output)]
    table = _EIG_TABLE.search(output)
    eigenvalues = []
    if table:
        eigenvalues = [
            (m.group(1), float(m.group(2)), float(m.group(3)), float(m.group(4)))
            for m in _EIG_ROW.finditer(table.group(1))
        ]
    bessel: dict[int, list[float]] = {}
    blocks = list(_BESSEL_BLOCK.finditer(output.split('End of Bessel function test')[0]))
    if blocks:
        for line in blocks[-1].group(2).strip().splitlines():
            l_value = int(re.search(r'L=(\d)', line).group(1))
            bessel[l_value] = [float(x) for x in re.findall(r'(-?\d+\.\d+)\s*Ry', line)]
    return Ld1TestResult(_CONFIGTS.findall(input_text), deltas, eigenvalues, bessel)


def ld1_transferability(element: str, upf_dir: Path, *, ld1: str = 'ld1.x') -> Ld1TestResult:
    """Run the shipped ld1.x test configurations of ``element`` against its UPF in ``upf_dir``.

    Parameters
    ----------
    element : str
        Element symbol; ``inputs/tests/<element>.in`` must exist.
    upf_dir : pathlib.Path
        Folder holding the generated UPF (its name is the input's ``file_pseudo``).
    ld1 : str
        ``ld1.x`` executable.

    Returns
    -------
    Ld1TestResult
        Parsed test results.
    """
    test_input = (INPUTS_DIR / 'tests' / f'{element}.in').read_text()
    name = re.search(r"file_pseudo\s*=\s*'([^']+)'", test_input).group(1)
    with tempfile.TemporaryDirectory(prefix=f'ld1test_{element}_') as tmp:
        shutil.copy(upf_dir / name, tmp)
        output = run_ld1(test_input, Path(tmp), ld1=ld1, element=element)
    return parse_ld1_tests(output, test_input)


# ----------------------------------------------------------------------------------------------------------------------
# pw.x helpers
# ----------------------------------------------------------------------------------------------------------------------
@dataclass
class PwResult:
    """The numbers read from one pw.x scf output (energies in Ry, pressure in GPa, eigenvalues in Ry)."""

    energy: float
    pressure: float | None
    eigenvalues: list[float]
    nat: int


def parse_pw_output(text: str) -> PwResult:
    """Parse total energy, pressure and the eigenvalues of the first k-point from a pw.x output.

    Parameters
    ----------
    text : str
        pw.x standard output.

    Returns
    -------
    PwResult
        Total energy (Ry), pressure (GPa, None without ``tstress``), eigenvalues of the first k-point (Ry).

    Raises
    ------
    RuntimeError
        If the run did not converge or reported an error.
    """
    error = PWX_STATUS_FAIL.search(text)
    if error or 'convergence NOT achieved' in text:
        raise RuntimeError('pw.x failed: ' + (error.group(1).strip() if error else 'convergence NOT achieved'))
    energy = re.findall(r'^!\s+total energy\s+=\s+(-?[\d.]+)\s+Ry', text, re.MULTILINE)
    if not energy:
        raise RuntimeError('pw.x output has no final total energy')
    pressure = re.findall(r'P=\s*(-?[\d.]+)', text)
    nat = int(re.search(r'number of atoms/cell\s*=\s*(\d+)', text).group(1))
    block = text.split('End of self-consistent calculation')[-1]
    match = re.search(
        r'bands \(ev\):\s*\n(.*?)\n\s*\n\s*(?:occupation|the Fermi|highest|k =|the spin)', block, re.DOTALL
    )
    eigenvalues = []
    if match:
        eigenvalues = [float(x) / RY_EV for x in re.findall(r'-?\d+\.\d+', match.group(1))]
    return PwResult(
        energy=float(energy[-1]),
        pressure=float(pressure[-1]) / 10 if pressure else None,
        eigenvalues=eigenvalues,
        nat=nat,
    )


def run_pw(
    cell: np.ndarray,
    species: Sequence[str],
    positions: np.ndarray,
    upfs: dict[str, Path],
    *,
    ecutwfc: float,
    ecutrho: float,
    kpoints: tuple[int, int, int] | None,
    smearing: bool = True,
    pw: str = 'pw.x',
    nbnd: int | None = None,
    stress: bool = True,
) -> PwResult:
    """Run one serial pw.x scf calculation and parse it.

    Parameters
    ----------
    cell : numpy.ndarray
        Lattice vectors as rows, shape (3, 3), Å.
    species : sequence of str
        Element of each atom.
    positions : numpy.ndarray
        Cartesian positions, shape (nat, 3), Å.
    upfs : dict
        Element → UPF file.
    ecutwfc, ecutrho : float
        Cutoffs in Ry.
    kpoints : tuple of int or None
        Monkhorst–Pack mesh (unshifted); ``None`` for the Γ-point trick.
    smearing : bool
        Marzari–Vanderbilt smearing of 0.02 Ry if true, fixed occupations otherwise.
    pw : str
        pw.x executable.
    nbnd : int, optional
        Number of bands.
    stress : bool
        Compute the stress tensor.

    Returns
    -------
    PwResult
        Parsed results.
    """
    elements = list(dict.fromkeys(species))
    pseudo_dir = {upfs[el].parent for el in elements}
    if len(pseudo_dir) != 1:
        raise ValueError('all UPF files must be in the same folder')
    system = [
        'ibrav=0',
        f'nat={len(species)}',
        f'ntyp={len(elements)}',
        f'ecutwfc={ecutwfc}',
        f'ecutrho={ecutrho}',
    ]
    system += ["occupations='smearing'", "smearing='mv'", 'degauss=0.02'] if smearing else ["occupations='fixed'"]
    if nbnd:
        system.append(f'nbnd={nbnd}')
    lines = [
        '&CONTROL',
        "  calculation='scf', prefix='val', outdir='./out',",
        f"  pseudo_dir='{pseudo_dir.pop()}', tstress={'.true.' if stress else '.false.'}, disk_io='low'",
        '/',
        '&SYSTEM',
        '  ' + ', '.join(system),
        '/',
        '&ELECTRONS',
        f'  conv_thr={1e-10 * len(species):.1e}, mixing_beta=0.4',
        '/',
        'ATOMIC_SPECIES',
        *[f'  {el} {MASSES.get(el, 1.0)} {upfs[el].name}' for el in elements],
        'CELL_PARAMETERS angstrom',
        *['  ' + ' '.join(f'{x:.10f}' for x in row) for row in np.asarray(cell)],
        'ATOMIC_POSITIONS angstrom',
        *[
            f'  {el} ' + ' '.join(f'{x:.10f}' for x in pos)
            for el, pos in zip(species, np.asarray(positions), strict=True)
        ],
        'K_POINTS gamma' if kpoints is None else 'K_POINTS automatic\n  {} {} {} 0 0 0'.format(*kpoints),
        '',
    ]
    with tempfile.TemporaryDirectory(prefix='pwval_') as tmp:
        proc = subprocess.run(
            [pw],
            input='\n'.join(lines),
            capture_output=True,
            text=True,
            cwd=tmp,
            check=False,
            env={**os.environ, 'OMP_NUM_THREADS': '1'},
        )
    return parse_pw_output(proc.stdout + proc.stderr)


# ----------------------------------------------------------------------------------------------------------------------
# Crystals
# ----------------------------------------------------------------------------------------------------------------------
Structure = tuple[np.ndarray, list[str], np.ndarray]


def _fcc(a: float) -> np.ndarray:
    return 0.5 * a * np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0]])


def _bcc(a: float) -> np.ndarray:
    return 0.5 * a * np.array([[1.0, 1.0, 1.0], [-1.0, 1.0, 1.0], [-1.0, -1.0, 1.0]])


def fcc(element: str) -> Callable[[float], Structure]:
    """Return a builder of the one-atom fcc primitive cell of ``element`` (lattice parameter a in Å)."""
    return lambda a: (_fcc(a), [element], np.zeros((1, 3)))


def bcc(element: str) -> Callable[[float], Structure]:
    """Return a builder of the one-atom bcc primitive cell of ``element``."""
    return lambda a: (_bcc(a), [element], np.zeros((1, 3)))


def hcp(element: str, c_over_a: float) -> Callable[[float], Structure]:
    """Return a builder of the hcp cell of ``element`` at fixed c/a."""

    def build(a: float) -> Structure:
        c = a * c_over_a
        cell = np.array([[a, 0.0, 0.0], [-a / 2, a * math.sqrt(3) / 2, 0.0], [0.0, 0.0, c]])
        frac = np.array([[1 / 3, 2 / 3, 0.25], [2 / 3, 1 / 3, 0.75]])
        return cell, [element, element], frac @ cell

    return build


def rocksalt(cation: str, anion: str) -> Callable[[float], Structure]:
    """Return a builder of the rocksalt primitive cell."""
    return lambda a: (_fcc(a), [cation, anion], np.array([[0.0, 0.0, 0.0], [a / 2, 0.0, 0.0]]))


def antifluorite(cation: str, anion: str) -> Callable[[float], Structure]:
    """Return a builder of the antifluorite (Li2S-type) primitive cell."""
    return lambda a: (
        _fcc(a),
        [anion, cation, cation],
        np.array([[0.0, 0.0, 0.0], [a / 4, a / 4, a / 4], [3 * a / 4, 3 * a / 4, 3 * a / 4]]),
    )


def h3s(a: float) -> Structure:
    """Im-3m H3S (S 2a, H 6b) in the bcc primitive cell, lattice parameter a in Å."""
    positions = np.array([[0.0, 0.0, 0.0], [0.0, a / 2, a / 2], [a / 2, 0.0, a / 2], [a / 2, a / 2, 0.0]])
    return _bcc(a), ['S', 'H', 'H', 'H'], positions


@dataclass(frozen=True)
class CrystalTest:
    """A crystal whose experimental lattice parameter tests the pseudopotential of ``element``.

    Attributes
    ----------
    element : str
        The element under test.
    label : str
        Human-readable name of the crystal.
    build : callable
        ``a [Å] -> (cell, species, cartesian positions)``.
    a_exp : float
        Experimental lattice parameter, Å.
    reference : str
        Source and conditions of ``a_exp``.
    kpoints : tuple of int
        k-mesh for the equation of state.
    metal : bool
        Use smearing.
    """

    element: str
    label: str
    build: Callable[[float], Structure]
    a_exp: float
    reference: str
    kpoints: tuple[int, int, int]
    metal: bool = True


CRYSTALS: dict[str, CrystalTest] = {
    'H': CrystalTest(
        'H',
        'LiH rocksalt',
        rocksalt('Li', 'H'),
        4.083,
        'LiH, X-ray, room temperature (Wyckoff; Smith & Leider 1968)',
        (6, 6, 6),
        metal=False,
    ),
    'Li': CrystalTest(
        'Li', 'Li bcc', bcc('Li'), 3.451, 'bcc Li at 20 K, extrapolated (Berliner et al., PRB 39, 1989)', (12, 12, 12)
    ),
    'Al': CrystalTest('Al', 'Al fcc', fcc('Al'), 4.050, 'fcc Al at room temperature (4.0495 Å; Wyckoff)', (12, 12, 12)),
    'S': CrystalTest(
        'S',
        'MgS rocksalt',
        rocksalt('Mg', 'S'),
        5.203,
        'MgS rocksalt, X-ray at room temperature (Wyckoff)',
        (6, 6, 6),
        metal=False,
    ),
    'Mg': CrystalTest(
        'Mg', 'Mg hcp (c/a=1.624)', hcp('Mg', 1.624), 3.209, 'hcp Mg, room temperature (Wyckoff)', (10, 10, 6)
    ),
    'Ca': CrystalTest('Ca', 'Ca fcc', fcc('Ca'), 5.588, 'fcc Ca, room temperature (Wyckoff)', (10, 10, 10)),
    'Y': CrystalTest('Y', 'Y hcp (c/a=1.571)', hcp('Y', 1.571), 3.647, 'hcp Y, room temperature (Wyckoff)', (8, 8, 5)),
    'La': CrystalTest('La', 'La fcc', fcc('La'), 5.303, 'fcc (beta) La, quenched (Wyckoff)', (8, 8, 8)),
}
"""Lattice-constant test of each element (the crystal, its experimental lattice parameter and the source)."""

CUTOFF_SYSTEMS: dict[str, tuple[str, Callable[[float], Structure], float, tuple[int, int, int], bool]] = {
    'H': ('H3S Im-3m, a=3.09 Å (~140 GPa)', h3s, 3.09, (6, 6, 6), True),
}
"""Systems for the cutoff test where it differs from the lattice-constant crystal (label, builder, a, k-mesh, metal)."""


@dataclass
class EosResult:
    """Birch–Murnaghan fit of an energy–volume curve."""

    label: str
    a0: float
    a_exp: float
    error_percent: float
    bulk_modulus: float
    v0: float
    reference: str
    volumes: list[float]
    energies: list[float]


def fit_birch_murnaghan(volumes: Iterable[float], energies: Iterable[float]) -> tuple[float, float, float]:
    """Fit the third-order Birch–Murnaghan equation of state.

    Parameters
    ----------
    volumes : iterable of float
        Cell volumes, Å³ (at least 4).
    energies : iterable of float
        Total energies, eV.

    Returns
    -------
    tuple of float
        Equilibrium volume V0 (Å³), bulk modulus B0 (GPa) and the minimum energy (eV).

    Notes
    -----
    The third-order Birch–Murnaghan E(V) is a cubic polynomial in :math:`x = V^{-2/3}`; the fit is linear.
    """
    v = np.asarray(list(volumes), dtype=float)
    e = np.asarray(list(energies), dtype=float)
    x = v ** (-2.0 / 3.0)
    poly = np.polynomial.Polynomial.fit(x, e, 3).convert()
    roots = [r.real for r in poly.deriv().roots() if abs(r.imag) < 1e-12 and poly.deriv(2)(r.real) > 0]
    candidates = [r for r in roots if x.min() * 0.9 <= r <= x.max() * 1.1]
    if not candidates:
        raise ValueError('no energy minimum inside the sampled volume range')
    x0 = min(candidates, key=lambda r: abs(r - x.mean()))
    v0 = x0 ** (-1.5)
    # B = V d2E/dV2 with dx/dV = -2/3 V^(-5/3), d2x/dV2 = 10/9 V^(-8/3); dE/dx = 0 at the minimum
    d2e_dv2 = poly.deriv(2)(x0) * (2.0 / 3.0 * v0 ** (-5.0 / 3.0)) ** 2
    return float(v0), float(v0 * d2e_dv2 * EV_A3_GPA), float(poly(x0))


def lattice_constant(
    test: CrystalTest,
    upfs: dict[str, Path],
    cutoffs: dict[str, dict[str, float]],
    *,
    pw: str = 'pw.x',
    strain: float = 0.03,
    points: int = 7,
) -> EosResult:
    """Compute the PBE lattice parameter of ``test`` from a 7-point energy–volume curve.

    Parameters
    ----------
    test : CrystalTest
        The crystal.
    upfs : dict
        Element → UPF file.
    cutoffs : dict
        Recommended cutoffs (Ry) per element; the largest of the elements present is used.
    pw : str
        pw.x executable.
    strain : float
        Largest relative change of the lattice parameter around the experimental value.
    points : int
        Number of volumes.

    Returns
    -------
    EosResult
        Fitted a0 (Å), its deviation from experiment (%), and B0 (GPa).
    """
    _, species, _ = test.build(test.a_exp)
    ecutwfc = max(cutoffs[el]['cutoff_wfc'] for el in set(species))
    ecutrho = max(cutoffs[el]['cutoff_rho'] for el in set(species))
    volumes, energies = [], []
    for scale in np.linspace(1 - strain, 1 + strain, points):
        cell, species, positions = test.build(test.a_exp * scale)
        result = run_pw(
            cell,
            species,
            positions,
            upfs,
            ecutwfc=ecutwfc,
            ecutrho=ecutrho,
            kpoints=test.kpoints,
            smearing=test.metal,
            pw=pw,
            stress=False,
        )
        volumes.append(abs(float(np.linalg.det(cell))))
        energies.append(result.energy * RY_EV)
    v0, b0, _ = fit_birch_murnaghan(volumes, energies)
    v_exp = abs(float(np.linalg.det(test.build(test.a_exp)[0])))
    a0 = test.a_exp * (v0 / v_exp) ** (1.0 / 3.0)
    return EosResult(
        test.label, a0, test.a_exp, 100 * (a0 - test.a_exp) / test.a_exp, b0, v0, test.reference, volumes, energies
    )


# ----------------------------------------------------------------------------------------------------------------------
# Ghost states: isolated atom in a box
# ----------------------------------------------------------------------------------------------------------------------
@dataclass
class AtomCheck:
    """pw.x eigenvalues of the isolated atom compared with the all-electron valence levels (Ry).

    Attributes
    ----------
    shift : float
        Constant offset pw − AE fitted over the occupied levels (the box fixes the average potential, not vacuum).
    max_deviation : float
        Largest |pw − AE − shift| over the occupied levels (with their degeneracy).
    ghosts : list of float
        pw.x eigenvalues (shifted) lying more than 0.1 Ry below the lowest all-electron valence level.
    pw_levels : list of float
        Lowest pw.x eigenvalues (shifted).
    ae_levels : list of float
        Occupied all-electron levels, repeated 2l+1 times.
    """

    shift: float
    max_deviation: float
    ghosts: list[float]
    pw_levels: list[float]
    ae_levels: list[float]

    @property
    def ok(self) -> bool:
        """No ghost and occupied levels reproduced within 0.03 Ry."""
        return not self.ghosts and self.max_deviation < 0.03


def check_atom_in_box(
    element: str,
    upf: Path,
    eigenvalues: list[tuple[str, float, float, float]],
    cutoffs: dict[str, float],
    *,
    box: float = 8.0,
    pw: str = 'pw.x',
) -> AtomCheck:
    """Compare the pw.x spectrum of the atom in a cubic box with the all-electron valence levels.

    Parameters
    ----------
    element : str
        Element symbol.
    upf : pathlib.Path
        UPF file.
    eigenvalues : list of tuple
        ``(label, occupation, e_AE, e_PS)`` of the reference configuration, Ry (from :func:`ld1_transferability`).
    cutoffs : dict
        ``{'cutoff_wfc': .., 'cutoff_rho': ..}`` in Ry.
    box : float
        Edge of the cubic box, Å.
    pw : str
        pw.x executable.

    Returns
    -------
    AtomCheck
        Alignment shift, deviations and ghost candidates.
    """
    occupied = [(label, e_ae) for label, occ, e_ae, _ in eigenvalues if occ > 0]
    ae_levels = sorted(e for label, e in occupied for _ in range(2 * 'SPDF'.index(label[-1].upper()) + 1))
    n_valence_states = len(ae_levels)
    cell = np.eye(3) * box
    result = run_pw(
        cell,
        [element],
        np.zeros((1, 3)),
        {element: upf},
        ecutwfc=cutoffs['cutoff_wfc'],
        ecutrho=cutoffs['cutoff_rho'],
        kpoints=None,
        smearing=True,
        pw=pw,
        nbnd=n_valence_states + 4,
        stress=False,
    )
    pw_levels = sorted(result.eigenvalues)
    matched = np.array(pw_levels[:n_valence_states])
    shift = float(np.mean(matched - np.array(ae_levels)))
    deviation = float(np.max(np.abs(matched - shift - np.array(ae_levels))))
    ghosts = [e - shift for e in pw_levels if e - shift < min(ae_levels) - 0.1]
    return AtomCheck(shift, deviation, ghosts, [e - shift for e in pw_levels], ae_levels)


# ----------------------------------------------------------------------------------------------------------------------
# Cutoff convergence
# ----------------------------------------------------------------------------------------------------------------------
@dataclass
class CutoffCheck:
    """Total energy per atom and pressure against the wavefunction cutoff (reference: the largest cutoff)."""

    system: str
    ecutwfc: list[float]
    ecutrho: list[float]
    delta_energy_mry_per_atom: list[float]
    delta_pressure_gpa: list[float]


def check_cutoffs(
    element: str,
    upfs: dict[str, Path],
    *,
    ladder: Sequence[float],
    dual: float,
    pw: str = 'pw.x',
) -> CutoffCheck:
    """Converge the total energy and pressure of the element's test crystal with respect to ecutwfc.

    Parameters
    ----------
    element : str
        Element symbol.
    upfs : dict
        Element → UPF.
    ladder : sequence of float
        Wavefunction cutoffs in Ry; the last one is the reference.
    dual : float
        ecutrho / ecutwfc.
    pw : str
        pw.x executable.

    Returns
    -------
    CutoffCheck
        Differences to the reference in mRy/atom and GPa.
    """
    if element in CUTOFF_SYSTEMS:
        label, build, a, kpoints, metal = CUTOFF_SYSTEMS[element]
    else:
        test = CRYSTALS[element]
        label, build, a, kpoints, metal = test.label, test.build, test.a_exp, test.kpoints, test.metal
        kpoints = tuple(max(2, k * 2 // 3) for k in kpoints)
    cell, species, positions = build(a)
    energies, pressures = [], []
    for ecut in ladder:
        result = run_pw(
            cell, species, positions, upfs, ecutwfc=ecut, ecutrho=ecut * dual, kpoints=kpoints, smearing=metal, pw=pw
        )
        energies.append(result.energy / result.nat)
        pressures.append(result.pressure)
    return CutoffCheck(
        f'{label}, k {kpoints}',
        list(ladder),
        [e * dual for e in ladder],
        [1000 * (e - energies[-1]) for e in energies],
        [p - pressures[-1] for p in pressures],
    )


# ----------------------------------------------------------------------------------------------------------------------
# Driver
# ----------------------------------------------------------------------------------------------------------------------
def validate_element(
    element: str, upfs: dict[str, Path], *, pw: str, ld1: str, eos: bool = True, cutoffs: bool = True
) -> dict:
    """Run all checks of one element and return a JSON-serialisable summary."""
    summary: dict = {'element': element}
    normal = recommended_cutoffs('normal')
    tests = ld1_transferability(element, upfs[element].parent, ld1=ld1)
    summary['ld1'] = asdict(tests) | {'max_abs_delta_e': tests.max_abs_delta_e, 'bessel_ghosts': tests.bessel_ghosts()}
    atom = check_atom_in_box(element, upfs[element], tests.eigenvalues, normal[element], pw=pw)
    summary['atom'] = asdict(atom) | {'ok': atom.ok}
    if eos and element in CRYSTALS:
        summary['eos'] = asdict(lattice_constant(CRYSTALS[element], upfs, normal, pw=pw))
    if cutoffs:
        low, high = recommended_cutoffs('low')[element], recommended_cutoffs('high')[element]
        dual = normal[element]['cutoff_rho'] / normal[element]['cutoff_wfc']
        ladder = sorted(
            {low['cutoff_wfc'], normal[element]['cutoff_wfc'], high['cutoff_wfc'], 2 * normal[element]['cutoff_wfc']}
        )
        summary['cutoffs'] = asdict(check_cutoffs(element, upfs, ladder=ladder, dual=dual, pw=pw))
    return summary


def format_table(summaries: list[dict]) -> str:
    """Format validation summaries as a Markdown table."""
    rows = [
        '| element | ld1 max abs ΔE (mRy) | Bessel ghosts | atom: max dev (mRy) / ghosts | crystal '
        '| a_PBE (Å) | a_exp (Å) | error (%) | B0 (GPa) | cutoff normal: ΔE (mRy/atom) / ΔP (GPa) |',
        '|---|---|---|---|---|---|---|---|---|---|',
    ]
    normal = recommended_cutoffs('normal')
    for s in summaries:
        el = s['element']
        eos = s.get('eos')
        cut = s.get('cutoffs')
        cut_text = '—'
        if cut:
            i = cut['ecutwfc'].index(normal[el]['cutoff_wfc'])
            cut_text = f'{cut["delta_energy_mry_per_atom"][i]:+.2f} / {cut["delta_pressure_gpa"][i]:+.2f}'
        rows.append(
            f'| {el} | {1000 * s["ld1"]["max_abs_delta_e"]:.3f} | {len(s["ld1"]["bessel_ghosts"])} '
            f'| {1000 * s["atom"]["max_deviation"]:.1f} / {len(s["atom"]["ghosts"])} '
            + (
                f'| {eos["label"]} | {eos["a0"]:.3f} | {eos["a_exp"]:.3f} | {eos["error_percent"]:+.2f} '
                f'| {eos["bulk_modulus"]:.1f} '
                if eos
                else '| — | — | — | — | — '
            )
            + f'| {cut_text} |'
        )
    return '\n'.join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; see ``python -m aiida_enatom.pseudos.validate --help``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--elements', nargs='*', default=None, help='elements to validate (default: all available)')
    parser.add_argument('--directory', type=Path, default=None, help='folder for the UPF files (default: temporary)')
    parser.add_argument('--json', type=Path, default=None, help='write the full results to this JSON file')
    parser.add_argument('--pw', default='pw.x')
    parser.add_argument('--ld1', default='ld1.x')
    parser.add_argument('--no-eos', action='store_true', help='skip the lattice-constant test')
    parser.add_argument('--no-cutoffs', action='store_true', help='skip the cutoff-convergence test')
    args = parser.parse_args(argv)
    elements = args.elements or available_elements()
    needed = set(elements)
    for element in elements:
        if element in CRYSTALS and not args.no_eos:
            needed.update(CRYSTALS[element].build(1.0)[1])
        if element in CUTOFF_SYSTEMS and not args.no_cutoffs:
            needed.update(CUTOFF_SYSTEMS[element][1](1.0)[1])
    with tempfile.TemporaryDirectory(prefix='enatom_pseudos_') as tmp:
        directory = args.directory or Path(tmp)
        upfs = generate_pseudopotentials(sorted(needed), directory, ld1=args.ld1)
        summaries = []
        for element in elements:
            summary = validate_element(
                element, upfs, pw=args.pw, ld1=args.ld1, eos=not args.no_eos, cutoffs=not args.no_cutoffs
            )
            summaries.append(summary)
            print(format_table([summary]).splitlines()[-1], file=sys.stderr, flush=True)
    print(format_table(summaries))
    if args.json:
        args.json.write_text(json.dumps(summaries, indent=2))
    return 0


if __name__ == '__main__':
    sys.exit(main())

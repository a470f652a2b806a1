"""Run one serial pw.x scf calculation of a validation case: write the input, run it, parse it."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from aiida_enatom.io.qe_pw import PwError, PwOutput, parse_pw_output

__all__ = ('MASSES', 'run_pw', 'write_pw_input')

MASSES = {'H': 1.008, 'Li': 6.94, 'Mg': 24.305, 'Al': 26.982, 'S': 32.06, 'Ca': 40.078, 'Y': 88.906, 'La': 138.905}
"""Standard atomic weights (amu); pw.x only uses them for dynamics, not for the checks here."""


def write_pw_input(
    cell: np.ndarray,
    species: Sequence[str],
    positions: np.ndarray,
    upfs: dict[str, Path],
    *,
    ecutwfc: float,
    ecutrho: float,
    kpoints: tuple[int, int, int] | None,
    smearing: bool = True,
    nbnd: int | None = None,
    stress: bool = True,
) -> str:
    """Return the pw.x scf input of one validation calculation.

    Parameters
    ----------
    cell : numpy.ndarray
        Lattice vectors as rows, shape (3, 3), Å.
    species : sequence of str
        Element of each atom.
    positions : numpy.ndarray
        Cartesian positions, shape (nat, 3), Å.
    upfs : dict
        Element → UPF file; all in one folder (the ``pseudo_dir``).
    ecutwfc, ecutrho : float
        Cutoffs in Ry.
    kpoints : tuple of int or None
        Unshifted Monkhorst–Pack mesh; ``None`` for the Γ-point trick.
    smearing : bool
        Marzari–Vanderbilt smearing of 0.02 Ry if true, fixed occupations otherwise.
    nbnd : int, optional
        Number of bands.
    stress : bool
        Compute the stress tensor (``tstress``).

    Returns
    -------
    str
        The input text (``outdir='./out'``, ``conv_thr`` = 1e-10 Ry per atom).

    Raises
    ------
    ValueError
        If the UPF files are not in one folder, or an element has none.
    """
    elements = list(dict.fromkeys(species))
    missing = [el for el in elements if el not in upfs]
    if missing:
        raise ValueError(f'no UPF file for {", ".join(missing)}')
    pseudo_dir = {upfs[el].parent for el in elements}
    if len(pseudo_dir) != 1:
        raise ValueError('all UPF files must be in the same folder')
    system = ['ibrav=0', f'nat={len(species)}', f'ntyp={len(elements)}', f'ecutwfc={ecutwfc}', f'ecutrho={ecutrho}']
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
    return '\n'.join(lines)


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
) -> PwOutput:
    """Run one serial pw.x scf calculation (``OMP_NUM_THREADS=1``, in a temporary folder) and parse it.

    Parameters
    ----------
    cell, species, positions, upfs, ecutwfc, ecutrho, kpoints, smearing, nbnd, stress
        As in :func:`write_pw_input` (Å, Ry).
    pw : str
        pw.x executable.

    Returns
    -------
    PwOutput
        Energy (Ry), pressure (GPa), eigenvalues of the first k-point (Ry).

    Raises
    ------
    PwError
        If the executable is missing or pw.x stopped on an error.
    aiida_enatom.exceptions.ConvergenceError
        If the scf cycle did not converge.
    aiida_enatom.exceptions.ParsingError
        If pw.x ended without a final energy.
    """
    text = write_pw_input(
        cell,
        species,
        positions,
        upfs,
        ecutwfc=ecutwfc,
        ecutrho=ecutrho,
        kpoints=kpoints,
        smearing=smearing,
        nbnd=nbnd,
        stress=stress,
    )
    with tempfile.TemporaryDirectory(prefix='pwval_') as tmp:
        try:
            proc = subprocess.run(
                [pw],
                input=text,
                capture_output=True,
                text=True,
                cwd=tmp,
                check=False,
                env={**os.environ, 'OMP_NUM_THREADS': '1'},
            )
        except FileNotFoundError as exc:
            raise PwError(f'pw.x executable {pw!r} not found (install Quantum ESPRESSO or pass its path)') from exc
    return parse_pw_output(proc.stdout + proc.stderr, filename=f'{pw} output')

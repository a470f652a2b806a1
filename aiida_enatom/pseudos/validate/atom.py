"""Ghost-state check: the pw.x spectrum of the isolated atom in a box against the all-electron valence levels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aiida_enatom.io.qe_ld1 import angular_momentum
from aiida_enatom.pseudos.validate.pw import run_pw

__all__ = ('AtomCheck', 'check_atom_in_box', 'compare_atom_levels', 'occupied_ae_levels')

#: A shifted pw.x level this far (Ry) below the lowest AE valence level is a ghost.
GHOST_MARGIN_RY = 0.1
#: Largest accepted |pw − AE − shift| over the occupied levels, Ry.
MAX_DEVIATION_RY = 0.03


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
        return not self.ghosts and self.max_deviation < MAX_DEVIATION_RY


def occupied_ae_levels(eigenvalues: Sequence[tuple[str, float, float, float]]) -> list[float]:
    """Return the occupied all-electron levels, each repeated 2l+1 times, sorted (Ry).

    Parameters
    ----------
    eigenvalues : sequence of tuple
        ``(label, occupation, e_AE, e_PS)`` rows of the ld1.x reference configuration, Ry.
    """
    return sorted(
        e_ae for label, occ, e_ae, _ in eigenvalues if occ > 0 for _ in range(2 * angular_momentum(label) + 1)
    )


def compare_atom_levels(pw_levels: Sequence[float], ae_levels: Sequence[float]) -> AtomCheck:
    """Align the lowest pw.x levels with the all-electron ones and look for ghosts.

    Parameters
    ----------
    pw_levels : sequence of float
        pw.x eigenvalues of the atom in a box, Ry (at least ``len(ae_levels)``).
    ae_levels : sequence of float
        Occupied all-electron levels with their degeneracy (:func:`occupied_ae_levels`), Ry.

    Returns
    -------
    AtomCheck
        ``shift`` = mean(pw − AE) over the lowest ``len(ae_levels)`` pw levels; the largest deviation after the
        shift; the shifted pw levels more than 0.1 Ry below the lowest AE level (ghosts).

    Raises
    ------
    ValueError
        If there are no AE levels or fewer pw levels than AE levels.
    """
    pw_sorted = np.sort(np.asarray(pw_levels, dtype=float))
    ae = np.sort(np.asarray(ae_levels, dtype=float))
    if ae.size == 0:
        raise ValueError('no occupied all-electron level to compare with')
    if pw_sorted.size < ae.size:
        raise ValueError(f'pw.x gave {pw_sorted.size} levels, fewer than the {ae.size} occupied all-electron states')
    matched = pw_sorted[: ae.size]
    shift = float(np.mean(matched - ae))
    deviation = float(np.max(np.abs(matched - shift - ae)))
    shifted = [float(e - shift) for e in pw_sorted]
    ghosts = [e for e in shifted if e < ae[0] - GHOST_MARGIN_RY]
    return AtomCheck(shift, deviation, ghosts, shifted, [float(e) for e in ae])


def check_atom_in_box(
    element: str,
    upf: Path,
    eigenvalues: Sequence[tuple[str, float, float, float]],
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
    eigenvalues : sequence of tuple
        ``(label, occupation, e_AE, e_PS)`` of the reference configuration, Ry (from the ld1.x test).
    cutoffs : dict
        ``{'cutoff_wfc': .., 'cutoff_rho': ..}`` in Ry.
    box : float
        Edge of the cubic box, Å.
    pw : str
        pw.x executable.

    Returns
    -------
    AtomCheck
        Alignment shift, deviations and ghost candidates (Ry).
    """
    ae_levels = occupied_ae_levels(eigenvalues)
    result = run_pw(
        np.eye(3) * box,
        [element],
        np.zeros((1, 3)),
        {element: upf},
        ecutwfc=cutoffs['cutoff_wfc'],
        ecutrho=cutoffs['cutoff_rho'],
        kpoints=None,
        smearing=True,
        pw=pw,
        nbnd=len(ae_levels) + 4,
        stress=False,
    )
    return compare_atom_levels(result.eigenvalues_ry, ae_levels)

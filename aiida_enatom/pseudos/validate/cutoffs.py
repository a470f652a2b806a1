"""Cutoff-convergence test: energy per atom and pressure of the element's test system along a ladder of ecutwfc."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aiida_enatom.pseudos.generate import recommended_cutoffs
from aiida_enatom.pseudos.validate.crystals import cutoff_system
from aiida_enatom.pseudos.validate.pw import run_pw

__all__ = ('CutoffCheck', 'check_cutoffs', 'cutoff_differences', 'cutoff_ladder')


@dataclass
class CutoffCheck:
    """Total energy per atom and pressure against the wavefunction cutoff (reference: the largest cutoff).

    Attributes
    ----------
    system : str
        The test system and its k-mesh.
    ecutwfc, ecutrho : list of float
        The cutoffs, Ry.
    delta_energy_mry_per_atom : list of float
        E/atom − E/atom at the largest cutoff, mRy.
    delta_pressure_gpa : list of float
        P − P at the largest cutoff, GPa.
    """

    system: str
    ecutwfc: list[float]
    ecutrho: list[float]
    delta_energy_mry_per_atom: list[float]
    delta_pressure_gpa: list[float]


def cutoff_ladder(element: str) -> tuple[list[float], float]:
    """Return the ecutwfc ladder (Ry) and the dual ecutrho/ecutwfc of ``element``'s cutoff test.

    The ladder is the low, normal and high recommended cutoffs and twice the normal one (the reference), sorted
    and without duplicates; the dual is that of the normal cutoffs.
    """
    low, normal, high = (recommended_cutoffs(s, [element])[element] for s in ('low', 'normal', 'high'))
    dual = normal['cutoff_rho'] / normal['cutoff_wfc']
    ladder = sorted({low['cutoff_wfc'], normal['cutoff_wfc'], high['cutoff_wfc'], 2 * normal['cutoff_wfc']})
    return ladder, dual


def cutoff_differences(
    energies_ry_per_atom: Sequence[float], pressures_gpa: Sequence[float]
) -> tuple[list[float], list[float]]:
    """Return the differences to the last (reference) entry: energies in mRy/atom, pressures in GPa.

    Parameters
    ----------
    energies_ry_per_atom : sequence of float
        Total energy per atom at each cutoff, Ry.
    pressures_gpa : sequence of float
        Pressure at each cutoff, GPa.
    """
    energies, pressures = list(energies_ry_per_atom), list(pressures_gpa)
    return [1000 * (e - energies[-1]) for e in energies], [p - pressures[-1] for p in pressures]


def check_cutoffs(
    element: str,
    upfs: dict[str, Path],
    *,
    ladder: Sequence[float],
    dual: float,
    pw: str = 'pw.x',
) -> CutoffCheck:
    """Converge the total energy and pressure of the element's test system with respect to ecutwfc.

    Parameters
    ----------
    element : str
        Element symbol (its :func:`~aiida_enatom.pseudos.validate.crystals.cutoff_system`).
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
    system = cutoff_system(element)
    cell, species, positions = system.build(system.a)
    energies, pressures = [], []
    for ecut in ladder:
        result = run_pw(
            cell,
            species,
            positions,
            upfs,
            ecutwfc=ecut,
            ecutrho=ecut * dual,
            kpoints=system.kpoints,
            smearing=system.metal,
            pw=pw,
        )
        energies.append(result.energy_ry / result.nat)
        pressures.append(result.pressure_gpa)
    delta_e, delta_p = cutoff_differences(energies, pressures)
    return CutoffCheck(
        f'{system.label}, k {system.kpoints}', list(ladder), [e * dual for e in ladder], delta_e, delta_p
    )

"""Lattice-constant test: a 7-point E(V) curve of the element's crystal, its Birch–Murnaghan fit, a0 vs experiment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aiida_enatom.numerics.eos import fit_birch_murnaghan
from aiida_enatom.pseudos.validate.crystals import CrystalTest
from aiida_enatom.pseudos.validate.pw import run_pw

__all__ = ('EosResult', 'eos_result', 'lattice_constant')


@dataclass
class EosResult:
    """Birch–Murnaghan fit of an energy–volume curve, compared with experiment.

    Attributes
    ----------
    label : str
        The crystal.
    a0 : float
        Fitted lattice parameter, Å.
    a_exp : float
        Experimental lattice parameter, Å.
    error_percent : float
        100 (a0 − a_exp) / a_exp.
    bulk_modulus : float
        B0, GPa.
    v0 : float
        Equilibrium cell volume, Å³.
    reference : str
        Source of ``a_exp``.
    volumes : list of float
        Sampled volumes, Å³.
    energies : list of float
        Total energies, eV.
    b0_prime : float
        dB/dP at V0 (dimensionless).
    """

    label: str
    a0: float
    a_exp: float
    error_percent: float
    bulk_modulus: float
    v0: float
    reference: str
    volumes: list[float]
    energies: list[float]
    b0_prime: float = float('nan')


def eos_result(test: CrystalTest, volumes: list[float], energies: list[float]) -> EosResult:
    """Fit E(V) of ``test``'s crystal and convert V0 to its lattice parameter.

    Parameters
    ----------
    test : CrystalTest
        The crystal; its cell at ``a_exp`` gives the volume-to-a relation a = a_exp (V/V_exp)^(1/3).
    volumes : list of float
        Cell volumes, Å³.
    energies : list of float
        Total energies, eV.

    Returns
    -------
    EosResult
        a0 (Å), its deviation from ``a_exp`` (%), B0 (GPa), B0'.
    """
    fit = fit_birch_murnaghan(volumes, energies)
    v_exp = abs(float(np.linalg.det(test.build(test.a_exp)[0])))
    a0 = test.a_exp * (fit.v0_a3 / v_exp) ** (1.0 / 3.0)
    return EosResult(
        test.label,
        a0,
        test.a_exp,
        100 * (a0 - test.a_exp) / test.a_exp,
        fit.b0_gpa,
        fit.v0_a3,
        test.reference,
        list(volumes),
        list(energies),
        fit.b0_prime,
    )


def lattice_constant(
    test: CrystalTest,
    upfs: dict[str, Path],
    cutoffs: dict[str, dict[str, float]],
    *,
    pw: str = 'pw.x',
    strain: float = 0.03,
    points: int = 7,
) -> EosResult:
    """Compute the PBE lattice parameter of ``test`` from an energy–volume curve.

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
        Fitted a0 (Å), its deviation from experiment (%), B0 (GPa) and B0'.
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
        energies.append(result.energy_ev)
    return eos_result(test, volumes, energies)

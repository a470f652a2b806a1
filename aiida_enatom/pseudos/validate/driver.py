"""Run every check of the requested elements: generate the UPFs, then ld1.x, atom-in-box, lattice and cutoff tests."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from aiida_enatom.pseudos.generate import generate_pseudopotentials, recommended_cutoffs
from aiida_enatom.pseudos.validate.atom import check_atom_in_box
from aiida_enatom.pseudos.validate.crystals import CRYSTALS, elements_needed
from aiida_enatom.pseudos.validate.cutoffs import check_cutoffs, cutoff_ladder
from aiida_enatom.pseudos.validate.lattice import lattice_constant
from aiida_enatom.pseudos.validate.ld1 import ld1_transferability

__all__ = ('validate_element', 'validate_elements')


def validate_element(
    element: str, upfs: dict[str, Path], *, pw: str, ld1: str, eos: bool = True, cutoffs: bool = True
) -> dict[str, Any]:
    """Run all checks of one element and return a JSON-serialisable summary.

    Parameters
    ----------
    element : str
        Element symbol.
    upfs : dict
        Element → UPF file, for ``element`` and the partners of its test crystals
        (:func:`~aiida_enatom.pseudos.validate.crystals.elements_needed`), all in one folder.
    pw, ld1 : str
        Executables.
    eos : bool
        Run the lattice-constant test (if the element has a crystal in ``CRYSTALS``).
    cutoffs : bool
        Run the cutoff-convergence test.

    Returns
    -------
    dict
        ``{'element', 'ld1', 'atom'[, 'eos'][, 'cutoffs']}``; the values are the check dataclasses as dicts
        (energies in Ry unless the key says otherwise, see :mod:`aiida_enatom.pseudos.validate`).
    """
    summary: dict[str, Any] = {'element': element}
    normal = recommended_cutoffs('normal')
    tests = ld1_transferability(element, upfs[element].parent, ld1=ld1)
    summary['ld1'] = asdict(tests) | {'max_abs_delta_e': tests.max_abs_delta_e, 'bessel_ghosts': tests.bessel_ghosts()}
    atom = check_atom_in_box(element, upfs[element], tests.eigenvalues, normal[element], pw=pw)
    summary['atom'] = asdict(atom) | {'ok': atom.ok}
    if eos and element in CRYSTALS:
        summary['eos'] = asdict(lattice_constant(CRYSTALS[element], upfs, normal, pw=pw))
    if cutoffs:
        ladder, dual = cutoff_ladder(element)
        summary['cutoffs'] = asdict(check_cutoffs(element, upfs, ladder=ladder, dual=dual, pw=pw))
    return summary


def validate_elements(
    elements: Sequence[str],
    *,
    directory: Path | None = None,
    pw: str = 'pw.x',
    ld1: str = 'ld1.x',
    eos: bool = True,
    cutoffs: bool = True,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Generate the pseudopotentials that ``elements`` need and validate each element in turn.

    Parameters
    ----------
    elements : sequence of str
        Elements to validate, in order.
    directory : pathlib.Path, optional
        Folder for the generated UPF files (kept); default a temporary folder (removed).
    pw, ld1 : str
        Executables.
    eos, cutoffs : bool
        Run the lattice-constant and the cutoff-convergence tests.
    progress : callable, optional
        Called with each element's summary as soon as it is done.

    Returns
    -------
    list of dict
        One :func:`validate_element` summary per element.
    """
    needed = elements_needed(elements, eos=eos, cutoffs=cutoffs)
    with tempfile.TemporaryDirectory(prefix='enatom_pseudos_') as tmp:
        upfs = generate_pseudopotentials(needed, directory or Path(tmp), ld1=ld1)
        summaries = []
        for element in elements:
            summary = validate_element(element, upfs, pw=pw, ld1=ld1, eos=eos, cutoffs=cutoffs)
            summaries.append(summary)
            if progress is not None:
                progress(summary)
    return summaries

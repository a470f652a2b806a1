"""The ld1.x transferability test of one element: its shipped test configurations against the generated UPF."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from aiida_enatom.io.qe_ld1 import Ld1TestResult, parse_ld1_tests
from aiida_enatom.pseudos.generate import INPUTS_DIR, run_ld1

__all__ = ('ld1_test_input', 'ld1_transferability')

_FILE_PSEUDO = re.compile(r"file_pseudo\s*=\s*'([^']+)'")


def ld1_test_input(element: str) -> str:
    """Return the shipped ld1.x test input ``inputs/tests/<element>.in`` (configurations ``configts``).

    Raises
    ------
    FileNotFoundError
        If the project ships no test input for ``element``.
    """
    return (INPUTS_DIR / 'tests' / f'{element}.in').read_text()


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
        ΔE of the test configurations, reference eigenvalues and the Bessel-basis test (Ry).

    Raises
    ------
    aiida_enatom.pseudos.PseudoGenerationError
        If ld1.x fails.
    """
    test_input = ld1_test_input(element)
    name = _FILE_PSEUDO.search(test_input).group(1)
    with tempfile.TemporaryDirectory(prefix=f'ld1test_{element}_') as tmp:
        shutil.copy(upf_dir / name, tmp)
        output = run_ld1(test_input, Path(tmp), ld1=ld1, element=element)
    return parse_ld1_tests(output, test_input, filename=f'ld1.x test output of {element}')

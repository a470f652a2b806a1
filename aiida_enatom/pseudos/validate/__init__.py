"""Validation of the ld1.x pseudopotential family: transferability, ghost states, lattice constants, cutoffs.

Run it as ``aiida-enatom pseudos validate [ELEMENT ...] [--json out.json]`` (``python -m
aiida_enatom.pseudos.validate`` still works). It needs ``ld1.x`` and ``pw.x`` (serial) and takes a few minutes per
element on one core. Modules, one concept each:

* :mod:`~aiida_enatom.pseudos.validate.crystals`: the cases (test crystal and experimental a per element);
* :mod:`~aiida_enatom.pseudos.validate.pw`: one pw.x scf run (input, run, parse with :mod:`aiida_enatom.io.qe_pw`);
* :mod:`~aiida_enatom.pseudos.validate.ld1`: the ld1.x test configurations (parsed by :mod:`aiida_enatom.io.qe_ld1`);
* :mod:`~aiida_enatom.pseudos.validate.atom`: the atom in a box against the all-electron levels (ghosts);
* :mod:`~aiida_enatom.pseudos.validate.lattice`: E(V), Birch–Murnaghan fit (:mod:`aiida_enatom.numerics.eos`), a0;
* :mod:`~aiida_enatom.pseudos.validate.cutoffs`: energy and pressure against ecutwfc;
* :mod:`~aiida_enatom.pseudos.validate.driver`: all checks of a list of elements;
* :mod:`~aiida_enatom.pseudos.validate.report`: the Markdown table.
"""

from aiida_enatom.io.qe_ld1 import Ld1TestResult, parse_ld1_tests
from aiida_enatom.io.qe_pw import PwError, PwOutput, parse_pw_output
from aiida_enatom.numerics.eos import BirchMurnaghanFit, fit_birch_murnaghan
from aiida_enatom.pseudos.validate.atom import AtomCheck, check_atom_in_box, compare_atom_levels
from aiida_enatom.pseudos.validate.crystals import CRYSTALS, CUTOFF_SYSTEMS, CrystalTest, elements_needed
from aiida_enatom.pseudos.validate.cutoffs import CutoffCheck, check_cutoffs, cutoff_differences, cutoff_ladder
from aiida_enatom.pseudos.validate.driver import validate_element, validate_elements
from aiida_enatom.pseudos.validate.lattice import EosResult, eos_result, lattice_constant
from aiida_enatom.pseudos.validate.ld1 import ld1_transferability
from aiida_enatom.pseudos.validate.pw import run_pw
from aiida_enatom.pseudos.validate.report import format_row, format_table

__all__ = (
    'CRYSTALS',
    'CUTOFF_SYSTEMS',
    'AtomCheck',
    'BirchMurnaghanFit',
    'CrystalTest',
    'CutoffCheck',
    'EosResult',
    'Ld1TestResult',
    'PwError',
    'PwOutput',
    'check_atom_in_box',
    'check_cutoffs',
    'compare_atom_levels',
    'cutoff_differences',
    'cutoff_ladder',
    'elements_needed',
    'eos_result',
    'fit_birch_murnaghan',
    'format_row',
    'format_table',
    'lattice_constant',
    'ld1_transferability',
    'parse_ld1_tests',
    'parse_pw_output',
    'run_pw',
    'validate_element',
    'validate_elements',
)

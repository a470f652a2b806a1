"""Input validators shared by the WorkChains: μ*, pressure, structure geometry and the code of each QE role.

The command line checks the same things before it builds anything; these validators make the WorkChains refuse
the inputs themselves, so a builder filled in Python is rejected when the process is created, before any node of
it is stored or any QE program started. Each function returns ``None`` for valid input and one line otherwise, as
aiida-core's port and namespace validators do.
"""

from __future__ import annotations

import math
import pathlib
from collections.abc import Mapping
from typing import Any

__all__ = (
    'CODE_PLUGINS',
    'MU_STAR_RANGE',
    'code_problem',
    'codes_problem',
    'structure_problem',
    'validate_mu_star',
    'validate_pressure',
    'validate_structure',
)

#: Calculation plugins a code may have for each QE role of the WorkChains.
CODE_PLUGINS: dict[str, tuple[str, ...]] = {
    'pw': ('quantumespresso.pw',),
    'ph': ('quantumespresso.ph', 'enatom.ph'),
    'q2r': ('quantumespresso.q2r',),
    'matdyn': ('quantumespresso.matdyn',),
    'projwfc': ('quantumespresso.projwfc',),
    'pp': ('quantumespresso.pp',),
}

#: Accepted Coulomb pseudopotential μ* (closed interval); physical values are about 0.10–0.13.
MU_STAR_RANGE = (0.0, 0.5)


def validate_mu_star(value, _=None) -> str | None:
    """Port validator of ``mu_star``: a finite number in :data:`MU_STAR_RANGE`."""
    mu_star = getattr(value, 'value', value)
    low, high = MU_STAR_RANGE
    if not isinstance(mu_star, (int, float)) or not math.isfinite(mu_star) or not low <= mu_star <= high:
        return f'`mu_star` = {mu_star} is outside [{low:g}, {high:g}]; give μ* in that range (typically 0.10-0.13).'
    return None


def validate_pressure(value, _=None) -> str | None:
    """Port validator of ``pressure`` (GPa): a finite number in [0, MAX_PRESSURE_GPA]."""
    from aiida_enatom.io.campaign import MAX_PRESSURE_GPA

    pressure = getattr(value, 'value', value)
    if not isinstance(pressure, (int, float)) or not math.isfinite(pressure) or not 0 <= pressure <= MAX_PRESSURE_GPA:
        return f'`pressure` = {pressure} GPa; give a finite pressure in [0, {MAX_PRESSURE_GPA:g}] GPa.'
    return None


def structure_problem(structure) -> str | None:
    """Return why ``structure`` (a ``StructureData``) cannot be computed, or ``None``.

    Refused: partial occupancy (alloy kinds or vacancies), a non-periodic cell, species that are not elements, more
    atoms than :data:`aiida_enatom.io.campaign.MAX_ATOMS`, and two atoms (periodic images included) closer than
    :data:`aiida_enatom.io.campaign.MIN_INTERATOMIC_DISTANCE` Å.
    """
    from aiida_enatom.exceptions import InputValidationError
    from aiida_enatom.io.campaign import check_geometry

    name = f'StructureData<{structure.pk}>' if structure.pk is not None else f'structure {structure.get_formula()}'
    if structure.is_alloy or structure.has_vacancies:
        return f'{name} has partial occupancies; give an ordered structure (every site fully occupied).'
    if not all(structure.pbc):
        return f'{name} has pbc = {tuple(structure.pbc)}; give a crystal periodic in all three directions.'
    if not structure.sites:
        return f'{name} has no atoms; give a crystal structure with at least one site.'
    try:
        check_geometry(structure.get_pymatgen_structure(), name)
    except InputValidationError as exception:
        return str(exception)
    except ValueError as exception:  # e.g. a singular cell
        return f'{name}: {exception}'
    return None


def validate_structure(value, _=None) -> str | None:
    """Port validator of a ``structure`` input: see :func:`structure_problem`."""
    return structure_problem(value) if value is not None else None


def _executable_name(code) -> str | None:
    try:
        return pathlib.PurePosixPath(str(code.get_executable())).name
    except Exception:  # noqa: BLE001 - a code type without a single executable path
        return None


def code_problem(code, role: str, where: str) -> str | None:
    """Return why ``code`` cannot run the QE program of ``role`` (``'pw'``, ``'ph'``, ...), or ``None``.

    The code's ``default_calc_job_plugin`` must be one of :data:`CODE_PLUGINS` ``[role]``; a code without one, or a
    plugin that fits, must still not run another role's executable (``pw.x`` registered as the ph.x code).
    """
    valid = CODE_PLUGINS[role]
    plugin = getattr(code, 'default_calc_job_plugin', None)
    executable = _executable_name(code)
    others = {f'{other}.x' for other in CODE_PLUGINS if other != role}
    if plugin is not None and plugin not in valid:
        wrong = f'a {plugin} code'
    elif executable in others:
        wrong = f'a code running {executable}'
    else:
        return None
    return (
        f'`{where}`: {code.full_label} is {wrong}, not a {role}.x code; give a code with plugin {" or ".join(valid)}.'
    )


def _lookup(inputs: Mapping[str, Any], path: str):
    value: Any = inputs
    for key in path.split('.'):
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value


def codes_problem(inputs: Mapping[str, Any], roles: Mapping[str, str]) -> str | None:
    """Check the codes found in ``inputs`` at the dotted paths of ``roles`` (path → role); absent paths are skipped."""
    for path, role in roles.items():
        code = _lookup(inputs, path)
        if code is not None:
            problem = code_problem(code, role, path)
            if problem:
                return problem
    return None

"""Campaign files: candidate structures × pressure grid (GPa) × protocol, read from YAML into frozen pydantic models.

A campaign file is declarative: nothing in it is executed. Every string that can reach a group label, a shell, a
scheduler script or a Quantum ESPRESSO namelist is checked against a strict pattern, and every error becomes one
:class:`~aiida_enatom.exceptions.InputValidationError` line naming the file, the field path
(``candidates[2].pressures``) and what would be valid. The format is documented in ``workflows/README.md``.

Example
-------
>>> campaign = load_campaign('workflows/quickstart.yaml')  # doctest: +SKIP
>>> [(candidate.label, pressure) for candidate, pressure in campaign.points()]  # doctest: +SKIP
[('H3S', 200.0), ('H3S', 250.0)]
"""

from __future__ import annotations

import difflib
import functools
import math
import os
import pathlib
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from aiida_enatom.common.structures import PROTOTYPE_ALIASES, PROTOTYPES, canonical_prototype_name, prototype_structure
from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.eliashberg import DEFAULT_MU_STAR_CONVENTION, MU_STAR_CONVENTIONS

__all__ = (
    'CODE_ROLES',
    'MAX_PRESSURE_GPA',
    'MIN_INTERATOMIC_DISTANCE',
    'PROTOCOLS',
    'Campaign',
    'Candidate',
    'campaign_from_dict',
    'check_geometry',
    'load_campaign',
)

Protocol = Literal['test', 'fast', 'balanced', 'stringent']
#: Protocol names of ``enatom.pressure_point``, cheapest first.
PROTOCOLS: tuple[str, ...] = get_args(Protocol)
#: Code roles of ``enatom.pressure_point`` (``pp`` is only used with ``run_enatom``).
CODE_ROLES: tuple[str, ...] = ('pw', 'ph', 'q2r', 'matdyn', 'projwfc', 'pp')
#: Highest accepted pressure, GPa (pressures are in (0, MAX_PRESSURE_GPA]).
MAX_PRESSURE_GPA = 1000.0
#: Two atoms closer than this (Å) are taken as overlapping: a unit or coordinate error in the structure.
MIN_INTERATOMIC_DISTANCE = 0.5
#: Largest lattice constant (Å, exclusive) accepted for a prototype.
MAX_LATTICE_CONSTANT = 20.0
#: Most pressures of one candidate (a range with a tiny step is a typo, not a campaign).
MAX_POINTS_PER_CANDIDATE = 100
#: Most atoms in a structure file's cell.
MAX_ATOMS = 500
#: Largest campaign file and structure file read, bytes.
MAX_FILE_BYTES = 1 << 20
MAX_STRUCTURE_BYTES = 10 << 20
#: Pressures are stored rounded to this many decimals (GPa), so that fingerprints compare exactly.
PRESSURE_DECIMALS = 6
#: Smallest step of a pressure range, GPa.
MIN_PRESSURE_STEP = 1e-3

_LABEL = re.compile(r'[A-Za-z0-9][A-Za-z0-9_.-]{0,63}')
_NAME_SEGMENT = r'[A-Za-z0-9][A-Za-z0-9_.-]*'
_NAME = re.compile(rf'{_NAME_SEGMENT}(/{_NAME_SEGMENT})*')
_FAMILY = re.compile(r'[A-Za-z0-9][A-Za-z0-9_.+-]*(/[A-Za-z0-9][A-Za-z0-9_.+-]*)*')
_CODE = re.compile(r'[A-Za-z0-9][A-Za-z0-9_.+-]*(@[A-Za-z0-9][A-Za-z0-9_.-]*)?')
_OVERRIDE_KEY = re.compile(r'[A-Za-z_][A-Za-z0-9_]*(\([0-9,]+\))?')
#: Characters refused in override strings: they could end a quoted namelist value or reach a shell.
_UNSAFE_TEXT = set('\'"`$;&|<>\\!')
_LABEL_RULE = "1-64 letters, digits, '_', '-' or '.', starting with a letter or digit"
_NAME_RULE = "letters, digits, '_', '-', '.' and '/' between parts, each part starting with a letter or digit"
_PRESSURE_RULE = f'give pressures in (0, {MAX_PRESSURE_GPA:g}] GPa'
#: ``metadata.options`` whose text aiida-core writes into the job script as it is: refused anywhere in overrides.
_SCRIPT_KEYS = ('prepend_text', 'append_text', 'custom_scheduler_commands')
#: Meta keys of ``enatom.pressure_point`` that are campaign fields, hence refused as top-level overrides.
_META_KEYS = ('pseudo_family', 'run_enatom')

_Number = Annotated[float, Field(strict=True)]


class _FieldError(ValueError):
    """A validation error located below the location pydantic reports (``loc`` is relative to it)."""

    def __init__(self, loc: tuple[str | int, ...], message: str):
        super().__init__(message)
        self.loc = loc
        self.message = message


def _show(value: Any, limit: int = 60) -> str:
    """Return a short one-line ``repr`` of a user value."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + '...'


def _check_pattern(value: str, pattern: re.Pattern, allowed: str, rule: str, max_length: int, what: str) -> str:
    """Return ``value`` if it fully matches ``pattern``; the error names the first character not in ``allowed``."""
    if len(value) > max_length:
        raise ValueError(f'{_show(value)} is longer than {max_length} characters; a {what} is {rule}')
    if pattern.fullmatch(value):
        return value
    bad = next((char for char in value if not (char.isascii() and (char.isalnum() or char in allowed))), None)
    where = f' (character {bad!r} is not allowed)' if bad is not None else ''
    raise ValueError(f'{_show(value)} is not a valid {what}{where}; use {rule}')


def _check_text(value: str, max_length: int) -> str:
    """Return ``value`` if it is one printable line of at most ``max_length`` characters."""
    if len(value) > max_length:
        raise ValueError(f'text of {len(value)} characters is too long; give at most {max_length}')
    if not value.isprintable():
        bad = next(char for char in value if not char.isprintable())
        raise ValueError(f'{_show(value)} contains the non-printable character {bad!r}; give one line of text')
    return value


def _check_protocol(value: Any) -> Any:
    if isinstance(value, str) and value not in PROTOCOLS:
        raise ValueError(f'{_show(value)} is not a protocol; valid: {", ".join(PROTOCOLS)}')
    return value


def _as_float(value: Any) -> float | None:
    """Return ``value`` as a float if it is a real number (not a bool); ints too large for a float become ``inf``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _pressure(value: Any, loc: tuple[str | int, ...] = ()) -> float:
    """Return one pressure (GPa) as a float rounded to :data:`PRESSURE_DECIMALS`, or raise :class:`_FieldError`."""
    pressure = _as_float(value)
    if pressure is None:
        raise _FieldError(loc, f'{_show(value)} is not a number; {_PRESSURE_RULE} as plain numbers')
    if not math.isfinite(pressure):
        raise _FieldError(loc, f'{_show(value)} is not a finite number; {_PRESSURE_RULE}')
    if pressure <= 0:
        raise _FieldError(loc, f'{pressure:g} GPa is not positive; {_PRESSURE_RULE}')
    if pressure > MAX_PRESSURE_GPA:
        raise _FieldError(loc, f'{pressure:g} GPa is above {MAX_PRESSURE_GPA:g} GPa; {_PRESSURE_RULE}')
    return round(pressure, PRESSURE_DECIMALS)


def _pressure_grid(value: Any) -> tuple[float, ...]:
    """Expand a list of pressures or a ``{start, stop, step}`` range (inclusive stop) into sorted unique GPa values."""
    if isinstance(value, Mapping):
        unknown = [key for key in value if key not in ('start', 'stop', 'step')]
        if unknown:
            raise _FieldError((), f'unknown key {_show(unknown[0])} in the range; give start, stop and step (GPa)')
        missing = [key for key in ('start', 'stop', 'step') if key not in value]
        if missing:
            raise _FieldError((), f'the range has no {", ".join(missing)}; give start, stop and step (GPa)')
        start, stop = _pressure(value['start'], ('start',)), _pressure(value['stop'], ('stop',))
        step = _as_float(value['step'])
        if step is None or not math.isfinite(step) or step < MIN_PRESSURE_STEP:
            raise _FieldError(
                ('step',), f'{_show(value["step"])} is not a step in GPa; give a number >= {MIN_PRESSURE_STEP:g}'
            )
        if stop < start:
            raise _FieldError(('stop',), f'{stop:g} GPa is below start {start:g} GPa; give start <= stop')
        count = math.floor((stop - start) / step + 1e-9) + 1
        if count > MAX_POINTS_PER_CANDIDATE:
            raise _FieldError(
                (), f'the range gives {count} pressures; at most {MAX_POINTS_PER_CANDIDATE} per candidate'
            )
        pressures = [round(start + index * step, PRESSURE_DECIMALS) for index in range(count)]
    elif isinstance(value, list | tuple):
        if not value:
            raise _FieldError((), f'the list is empty; {_PRESSURE_RULE}, e.g. [150, 200]')
        if len(value) > MAX_POINTS_PER_CANDIDATE:
            raise _FieldError((), f'{len(value)} pressures; at most {MAX_POINTS_PER_CANDIDATE} per candidate')
        pressures = [_pressure(item, (index,)) for index, item in enumerate(value)]
        seen: dict[float, int] = {}
        for index, pressure in enumerate(pressures):
            if pressure in seen:
                raise _FieldError(
                    (index,), f'{pressure:g} GPa is listed twice (also at [{seen[pressure]}]); give it once'
                )
            seen[pressure] = index
    else:
        raise _FieldError(
            (), f'{_show(value)} is not a pressure grid; give a list in GPa, e.g. [150, 200], or {{start, stop, step}}'
        )
    return tuple(sorted(pressures))


def _check_overrides(value: Any, loc: tuple[str | int, ...] = (), depth: int = 0) -> Any:
    """Return a copy of an overrides tree if it only holds safe keys, YAML scalars, lists and mappings."""
    if depth > 12:
        raise _FieldError(loc, 'nested more than 12 levels deep')
    if isinstance(value, Mapping):
        result = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise _FieldError(loc, f'key {_show(key)} is not a string; keys are namelist or input names')
            if not _OVERRIDE_KEY.fullmatch(key) or len(key) > 64:
                raise _FieldError(
                    loc, f"key {_show(key)} is not valid; use letters, digits and '_' (optionally an index like '(1)')"
                )
            if depth == 0 and key in _META_KEYS:
                raise _FieldError((key,), f'set the campaign field {key!r} instead of an override')
            result[key] = _check_overrides(item, (*loc, key), depth + 1)
            if key in _SCRIPT_KEYS:
                raise _FieldError(
                    (*loc, key),
                    'job-script text is not accepted from a campaign file; put it on the AiiDA code or computer '
                    '(`verdi code setup --prepend-text`, `verdi computer setup`)',
                )
        return result
    if isinstance(value, list | tuple):
        return [_check_overrides(item, (*loc, index), depth + 1) for index, item in enumerate(value)]
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _FieldError(loc, f'{value!r} is not a finite number')
        return value
    if isinstance(value, str):
        bad = next((char for char in value if char in _UNSAFE_TEXT or not (' ' <= char <= '~')), None)
        if bad is not None or len(value) > 200:
            reason = f'the character {bad!r} is not allowed' if bad is not None else 'longer than 200 characters'
            raise _FieldError(
                loc,
                f'{_show(value)}: {reason}; override strings are printable ASCII without quotes, backslashes or '
                'shell characters ($ ; & | < > ! `); put scheduler or environment text on the AiiDA code or computer',
            )
        return value
    raise _FieldError(
        loc,
        f'{_show(value)} ({type(value).__name__}) is not allowed; give numbers, strings, booleans, lists or mappings',
    )


def _merge(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``base`` updated recursively by ``update`` (mappings merge, anything else replaces)."""
    result = dict(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = _merge(result[key], value)
        else:
            result[key] = value
    return result


def _deep_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _deep_copy(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_deep_copy(item) for item in value]
    return value


@functools.lru_cache(maxsize=64)
def _prototype(name: str, lattice_constant: float | None):
    """Cached :func:`prototype_structure` (standard primitive cell); callers must copy the result."""
    return prototype_structure(name, lattice_constant=lattice_constant)


def _read_structure_file(path: pathlib.Path):
    """Read a CIF, POSCAR/CONTCAR or pw.x input with pymatgen; raise ValueError naming the formats tried."""
    from pymatgen.core import Structure

    errors = []
    try:
        return Structure.from_file(str(path))
    except Exception as exception:  # noqa: BLE001 - pymatgen raises many types; we report them all
        errors.append(f'pymatgen: {exception}')
    try:
        from pymatgen.io.pwscf import PWInput

        return PWInput.from_file(str(path)).structure
    except Exception as exception:  # noqa: BLE001
        errors.append(f'pw.x input: {exception}')
    detail = ' '.join('; '.join(errors).split())
    detail = detail if len(detail) <= 200 else detail[:197] + '...'
    raise ValueError(f'{path} is not a readable structure file (CIF, POSCAR/CONTCAR or pw.x input): {detail}')


def _check_geometry(structure) -> None:
    """Raise ValueError for a disordered structure, unknown species, too many atoms or overlapping atoms."""
    if not structure.is_ordered:
        raise ValueError('has partial occupancies; give an ordered structure (every site fully occupied)')
    unknown = sorted({str(specie) for specie in structure.composition if not hasattr(specie, 'Z') or specie.Z < 1})
    if unknown:
        raise ValueError(f'has species that are not chemical elements ({", ".join(unknown)}); give element symbols')
    if len(structure) > MAX_ATOMS:
        raise ValueError(f'has {len(structure)} atoms; at most {MAX_ATOMS} atoms per cell')
    centres, neighbours, offsets, distances = structure.get_neighbor_list(MIN_INTERATOMIC_DISTANCE, exclude_self=False)
    for centre, neighbour, offset, distance in zip(centres, neighbours, offsets, distances, strict=True):
        if centre == neighbour and not offset.any():
            continue  # an atom and itself
        raise ValueError(
            f'atoms {centre} ({structure[centre].specie}) and {neighbour} ({structure[neighbour].specie}) are '
            f'{distance:.3f} Å apart (< {MIN_INTERATOMIC_DISTANCE} Å): overlapping atoms; check the coordinates and '
            'that lengths are in Å'
        )


def check_geometry(structure, where: str = 'structure') -> None:
    """Check a pymatgen ``Structure`` as a campaign checks its candidates (the CLI's ``launch`` commands use it).

    Raises
    ------
    InputValidationError
        ``'<where> has partial occupancies; …'``, unknown species, more than :data:`MAX_ATOMS` atoms, or two atoms
        closer than :data:`MIN_INTERATOMIC_DISTANCE` Å; the message says what would be valid.
    """
    try:
        _check_geometry(structure)
    except ValueError as exception:
        raise InputValidationError(f'{where}: {exception}') from None


class Candidate(BaseModel):
    """One candidate structure of a campaign and its pressure grid.

    Give exactly one of ``structure`` (a file) and ``prototype`` (a built-in structure, optionally with
    ``lattice_constant``). ``protocol`` and ``overrides`` refine the campaign-level ones for this candidate.

    Attributes
    ----------
    label : str
        Unique within the campaign; 1–64 letters, digits, ``_``, ``-`` or ``.``, starting with a letter or digit.
    structure : pathlib.Path or None
        Absolute path of a CIF, POSCAR/CONTCAR or pw.x input (relative paths in the file are taken from the
        campaign file's folder).
    prototype : str or None
        Key of :data:`~aiida_enatom.common.structures.PROTOTYPES`; aliases (``SH3``) are stored as the key (``H3S``).
    lattice_constant : float or None
        Conventional cubic lattice constant of the prototype, Å, in (0, 20); ``None`` keeps the prototype's own.
    pressures : tuple of float
        Target pressures, GPa, in (0, 1000], sorted ascending, unique (rounded to 1e-6 GPa).
    protocol : str or None
        Protocol of this candidate's points; ``None`` uses the campaign's.
    overrides : dict
        Merged recursively over the campaign's overrides for this candidate.
    """

    model_config = ConfigDict(extra='forbid', frozen=True)

    label: StrictStr
    structure: pathlib.Path | None = None
    prototype: StrictStr | None = None
    lattice_constant: _Number | None = None
    pressures: tuple[float, ...]
    protocol: Protocol | None = None
    overrides: dict[str, Any] = Field(default_factory=dict)

    _structure: Any = PrivateAttr(default=None)

    def __hash__(self) -> int:
        return hash((type(self), self.label, self.structure, self.prototype, self.lattice_constant, self.pressures))

    @field_validator('label')
    @classmethod
    def _label(cls, value: str) -> str:
        return _check_pattern(value, _LABEL, '_.-', _LABEL_RULE, 64, 'label')

    @field_validator('structure', mode='before')
    @classmethod
    def _structure_path(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None or isinstance(value, pathlib.Path):
            return value
        if not isinstance(value, str) or not value:
            raise ValueError(f'{_show(value)} is not a file path; give the path of a CIF, POSCAR or pw.x input file')
        _check_text(value, 4096)
        base = pathlib.Path((info.context or {}).get('base_dir') or os.getcwd())
        path = (base / pathlib.Path(value).expanduser()).resolve()
        if not path.is_file():
            state = 'is not a file' if path.exists() else 'does not exist'
            raise ValueError(f'{path} {state}; relative paths are taken from the folder of the campaign file ({base})')
        if path.stat().st_size > MAX_STRUCTURE_BYTES:
            raise ValueError(f'{path} is larger than {MAX_STRUCTURE_BYTES >> 20} MiB; give a structure file')
        return path

    @field_validator('prototype')
    @classmethod
    def _prototype_name(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            return canonical_prototype_name(value)
        except InputValidationError:
            known = ', '.join([*PROTOTYPES, *PROTOTYPE_ALIASES])
            raise ValueError(f'{_show(value)} is not a built-in prototype; valid: {known}') from None

    @field_validator('lattice_constant')
    @classmethod
    def _lattice_constant(cls, value: float | None) -> float | None:
        if value is not None and not (math.isfinite(value) and 0 < value < MAX_LATTICE_CONSTANT):
            raise ValueError(f'{value!r} Å is not in (0, {MAX_LATTICE_CONSTANT:g}) Å; give the cubic lattice constant')
        return value

    @field_validator('pressures', mode='before')
    @classmethod
    def _pressures(cls, value: Any) -> tuple[float, ...]:
        return _pressure_grid(value)

    @field_validator('protocol', mode='before')
    @classmethod
    def _protocol(cls, value: Any) -> Any:
        return _check_protocol(value)

    @field_validator('overrides', mode='before')
    @classmethod
    def _overrides(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise ValueError(f'{_show(value)} is not a mapping; give nested keys, e.g. {{relax_base: {{...}}}}')
        return _check_overrides(value)

    @model_validator(mode='after')
    def _build(self) -> Candidate:
        if (self.structure is None) == (self.prototype is None):
            given = 'both structure and prototype' if self.structure is not None else 'neither structure nor prototype'
            raise ValueError(
                f'{given} given; give either structure (a CIF, POSCAR or pw.x input file) or prototype (one of '
                f'{", ".join(PROTOTYPES)})'
            )
        if self.lattice_constant is not None and self.prototype is None:
            raise _FieldError(('lattice_constant',), 'only applies to a prototype; a structure file has its own cell')
        field = (
            'structure' if self.structure is not None else 'lattice_constant' if self.lattice_constant else 'prototype'
        )
        try:
            if self.structure is not None:
                raw = _read_structure_file(self.structure)
                _check_geometry(raw)
                from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

                standard = SpacegroupAnalyzer(raw, symprec=1e-3).get_primitive_standard_structure()
            else:
                standard = _prototype(self.prototype, self.lattice_constant)
                _check_geometry(standard)
        except ValueError as exception:
            raise _FieldError((field,), str(exception)) from None
        self._structure = standard
        return self

    def build_structure(self):
        """Return the standard primitive cell (spglib, symprec 1e-3) as a new :class:`pymatgen.core.Structure`.

        The cell has the conventional cubic axes along x, y, z, so that pw.x finds every symmetry operation.
        """
        return self._structure.copy()

    @property
    def formula(self) -> str:
        """Reduced formula of the structure, e.g. ``'H3S'``."""
        return self._structure.composition.reduced_formula

    @property
    def elements(self) -> tuple[str, ...]:
        """Element symbols of the structure, sorted."""
        return tuple(sorted(element.symbol for element in self._structure.composition.elements))

    @property
    def source(self) -> str:
        """Where the structure comes from: the file path, or ``'prototype H3S'`` (with ``a = … Å`` if given)."""
        if self.structure is not None:
            return str(self.structure)
        size = '' if self.lattice_constant is None else f' (a = {self.lattice_constant:g} Å)'
        return f'prototype {self.prototype}{size}'


class Campaign(BaseModel):
    """A screening campaign: candidates × pressure grids × protocol, with the codes and options to run them.

    Attributes
    ----------
    name : str
        Label of the campaign's AiiDA group: letters, digits, ``_``, ``-``, ``.`` and ``/`` between parts.
    description : str
        One line of free text.
    protocol : str
        One of :data:`PROTOCOLS` (default ``'fast'``).
    overrides : dict
        Nested overrides of ``enatom.pressure_point``'s ``get_builder_from_protocol`` (without ``pseudo_family`` and
        ``run_enatom``, which are fields here).
    mu_star : float
        Coulomb pseudopotential μ*, in [0, 0.5] (default 0.10).
    mu_star_convention : str
        Where μ* is quoted in the Eliashberg solver, one of :data:`MU_STAR_CONVENTIONS` (default ``'ten_omega_max'``);
        passed to every point's ``alpha2f.mu_star_convention`` unless the overrides set that key.
    codes : dict of str to str
        Code role (:data:`CODE_ROLES`) → AiiDA code label (``'pw@localhost'``); roles not given default to
        ``'<role>@localhost'``.
    pseudo_family : str or None
        Label of the pseudopotential family; ``None`` uses the protocol's.
    run_enatom : bool
        Also run the enatom stage at every point (default false).
    max_active : int
        Most points running at once, 1 to 1000 (default 4).
    options : dict
        Run resources of every CalcJob (:data:`~aiida_enatom.setup.run_options.RUN_OPTION_KEYS`: ``num_machines``,
        ``mpiprocs_per_machine``, ``walltime``, ``queue``, ``account``, ``qos``, ``pools``); what is not given comes
        from the computer of each code. Empty by default.
    require_hydrogen : bool
        Refuse candidates without hydrogen (default true).
    candidates : tuple of Candidate
        At least one.
    """

    model_config = ConfigDict(extra='forbid', frozen=True)

    name: StrictStr
    description: StrictStr = ''
    protocol: Protocol = 'fast'
    overrides: dict[str, Any] = Field(default_factory=dict)
    mu_star: _Number = 0.10
    mu_star_convention: StrictStr = DEFAULT_MU_STAR_CONVENTION
    codes: dict[str, str] = Field(default_factory=lambda: {role: f'{role}@localhost' for role in CODE_ROLES})
    pseudo_family: StrictStr | None = None
    run_enatom: StrictBool = False
    max_active: StrictInt = 4
    options: dict[str, Any] = Field(default_factory=dict)
    require_hydrogen: StrictBool = True
    candidates: tuple[Candidate, ...]

    _source: pathlib.Path | None = PrivateAttr(default=None)

    def __hash__(self) -> int:
        return hash((type(self), self.name, self.protocol, self.candidates))

    @field_validator('name')
    @classmethod
    def _name(cls, value: str) -> str:
        return _check_pattern(value, _NAME, '_.-/', _NAME_RULE, 128, 'name')

    @field_validator('description')
    @classmethod
    def _description(cls, value: str) -> str:
        return _check_text(value, 1000)

    @field_validator('protocol', mode='before')
    @classmethod
    def _protocol(cls, value: Any) -> Any:
        return _check_protocol(value)

    @field_validator('overrides', mode='before')
    @classmethod
    def _overrides(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise ValueError(f'{_show(value)} is not a mapping; give nested keys, e.g. {{relax_base: {{...}}}}')
        return _check_overrides(value)

    @field_validator('mu_star')
    @classmethod
    def _mu_star(cls, value: float) -> float:
        if not (math.isfinite(value) and 0.0 <= value <= 0.5):
            raise ValueError(f'{value!r} is outside [0, 0.5]; give μ* in [0, 0.5] (typically 0.10-0.13)')
        return value

    @field_validator('mu_star_convention')
    @classmethod
    def _mu_star_convention(cls, value: str) -> str:
        if value not in MU_STAR_CONVENTIONS:
            raise ValueError(f'{_show(value)} is not a μ* convention; give one of {", ".join(MU_STAR_CONVENTIONS)}')
        return value

    @field_validator('codes', mode='before')
    @classmethod
    def _codes(cls, value: Any) -> dict[str, str]:
        if not isinstance(value, Mapping):
            raise ValueError(f'{_show(value)} is not a mapping; give role: code label, e.g. {{pw: pw@localhost}}')
        codes = {role: f'{role}@localhost' for role in CODE_ROLES}
        for role, label in value.items():
            if role not in CODE_ROLES:
                raise _FieldError((), f'unknown code role {_show(role)}; valid roles: {", ".join(CODE_ROLES)}')
            if not isinstance(label, str):
                raise _FieldError(
                    (role,), f'{_show(label)} is not a code label; give LABEL@COMPUTER, e.g. pw@localhost'
                )
            try:
                codes[role] = _check_pattern(
                    label, _CODE, '_.-+@', "LABEL@COMPUTER of letters, digits, '_', '-', '.' and '+'", 128, 'code label'
                )
            except ValueError as exception:
                raise _FieldError((role,), str(exception)) from None
        return codes

    @field_validator('pseudo_family')
    @classmethod
    def _pseudo_family(cls, value: str | None) -> str | None:
        if value is None:
            return value
        return _check_pattern(value, _FAMILY, '_.-+/', _NAME_RULE + " ('+' also allowed)", 128, 'family label')

    @field_validator('options', mode='before')
    @classmethod
    def _options(cls, value: Any) -> Any:
        from aiida_enatom.setup.common import SetupError
        from aiida_enatom.setup.run_options import run_options

        if not isinstance(value, Mapping):
            raise ValueError(f'{_show(value)} is not a mapping; give e.g. {{num_machines: 2, walltime: 06:00:00}}')
        try:
            run_options(value)
        except SetupError as exception:
            raise ValueError(str(exception).removeprefix('options.')) from None
        return dict(value)

    def metadata_options(self) -> dict[str, Any]:
        """Return ``options`` as AiiDA ``metadata.options`` (empty when the file gives none)."""
        from aiida_enatom.setup.run_options import run_options

        return run_options(self.options)

    @field_validator('max_active')
    @classmethod
    def _max_active(cls, value: int) -> int:
        if not 1 <= value <= 1000:
            raise ValueError(f'{value} is outside 1..1000; give how many points may run at once')
        return value

    @field_validator('candidates', mode='before')
    @classmethod
    def _candidates_list(cls, value: Any) -> Any:
        if not isinstance(value, list | tuple) or not value:
            raise ValueError(
                f'{_show(value)} is not a non-empty list; give candidates as a list of mappings with label, '
                'structure or prototype, and pressures'
            )
        return value

    @model_validator(mode='after')
    def _check_candidates(self) -> Campaign:
        labels: dict[str, int] = {}
        sources: dict[tuple, int] = {}
        for index, candidate in enumerate(self.candidates):
            folded = candidate.label.casefold()
            if folded in labels:
                first = self.candidates[labels[folded]].label
                raise _FieldError(
                    ('candidates', index, 'label'),
                    f'{candidate.label!r} is already the label of candidates[{labels[folded]}] ({first!r}; labels are '
                    'compared ignoring case); give each candidate a unique label',
                )
            labels[folded] = index
            if candidate.structure is not None:
                key: tuple = ('file', candidate.structure)
            else:
                default = PROTOTYPES[candidate.prototype].lattice_constant
                key = ('prototype', candidate.prototype, candidate.lattice_constant or default)
            if key in sources:
                raise _FieldError(
                    ('candidates', index),
                    f'same structure as candidates[{sources[key]}] ({candidate.source}); give each structure once '
                    'and list all its pressures there',
                )
            sources[key] = index
            if self.require_hydrogen and 'H' not in candidate.elements:
                field = 'structure' if candidate.structure is not None else 'prototype'
                raise _FieldError(
                    ('candidates', index, field),
                    f'{candidate.formula} has no hydrogen; set require_hydrogen: false to screen hydrogen-free '
                    'structures',
                )
        return self

    @property
    def source(self) -> pathlib.Path | None:
        """The campaign file this campaign was read from (``None`` if built from a dict without a file)."""
        return self._source

    def points(self) -> list[tuple[Candidate, float]]:
        """Return every (candidate, pressure in GPa): candidates in file order, pressures ascending."""
        return [(candidate, pressure) for candidate in self.candidates for pressure in candidate.pressures]

    def get_candidate(self, label: str) -> Candidate:
        """Return the candidate called ``label``; raise :class:`InputValidationError` listing the labels if none is."""
        for candidate in self.candidates:
            if candidate.label == label:
                return candidate
        labels = ', '.join(candidate.label for candidate in self.candidates)
        raise InputValidationError(f'{self._where()}: no candidate {_show(label)}; candidates: {labels}')

    def effective_protocol(self, candidate: Candidate | str) -> str:
        """Return the protocol of ``candidate``'s points: its own, else the campaign's."""
        candidate = self._resolve(candidate)
        return candidate.protocol or self.protocol

    def effective_overrides(self, candidate: Candidate | str) -> dict[str, Any]:
        """Return the overrides of ``candidate``'s points, ready for ``get_builder_from_protocol``.

        The campaign's ``overrides`` merged recursively with the candidate's (the candidate wins), plus the meta keys
        ``run_enatom`` and, when set, ``pseudo_family`` of ``enatom.pressure_point``, and ``alpha2f.mu_star_convention``
        (unless the overrides give it). A new dict every call.
        """
        candidate = self._resolve(candidate)
        overrides = _merge(_deep_copy(self.overrides), _deep_copy(candidate.overrides))
        alpha2f = overrides.setdefault('alpha2f', {})
        if isinstance(alpha2f, dict):
            alpha2f.setdefault('mu_star_convention', self.mu_star_convention)
        overrides['run_enatom'] = self.run_enatom
        if self.pseudo_family is not None:
            overrides['pseudo_family'] = self.pseudo_family
        if 'pools' in self.options:
            from aiida_enatom.setup.run_options import pool_overrides

            overrides = _merge(overrides, pool_overrides(self.options['pools']))
        return overrides

    def fingerprint(self, candidate: Candidate | str, pressure: float) -> dict[str, Any]:
        """Return the JSON-able identity of one point, for storing as extras and finding it again.

        Parameters
        ----------
        candidate : Candidate or str
            A candidate of this campaign, or its label.
        pressure : float
            One of the candidate's pressures, GPa.

        Returns
        -------
        dict
            ``{'campaign', 'candidate', 'formula', 'pressure_GPa', 'protocol'}``, the protocol being the effective one.

        Raises
        ------
        InputValidationError
            If the candidate is not in this campaign or the pressure is not on its grid.
        """
        candidate = self._resolve(candidate)
        try:
            value = _pressure(pressure)
        except _FieldError as exception:
            raise InputValidationError(f'{self._where()}: {exception.message}') from None
        if value not in candidate.pressures:
            grid = ', '.join(f'{p:g}' for p in candidate.pressures)
            raise InputValidationError(
                f'{self._where()}: {_show(pressure)} GPa is not a pressure of {candidate.label}; its grid: {grid} GPa'
            )
        return {
            'campaign': self.name,
            'candidate': candidate.label,
            'formula': candidate.formula,
            'pressure_GPa': value,
            'protocol': self.effective_protocol(candidate),
        }

    def check_elements(self, available: set[str] | frozenset[str], family: str | None = None) -> None:
        """Raise if a pseudopotential family lacks an element of a candidate.

        Parameters
        ----------
        available : set of str
            Element symbols the family covers.
        family : str, optional
            The family's label, for the message; defaults to :attr:`pseudo_family`.

        Raises
        ------
        InputValidationError
            Naming every candidate with missing elements, the elements and the family.
        """
        family = family if family is not None else self.pseudo_family or 'the pseudopotential family'
        problems = []
        for candidate in self.candidates:
            missing = [element for element in candidate.elements if element not in available]
            if missing:
                problems.append(f'{candidate.label} ({candidate.formula}) needs {", ".join(missing)}')
        if problems:
            raise InputValidationError(
                f'{self._where()}: pseudopotential family {family!r} has no pseudopotential for: '
                + '; '.join(problems)
                + '; choose a family that covers every element (pseudo_family) or remove those candidates'
            )

    def _resolve(self, candidate: Candidate | str) -> Candidate:
        label = candidate if isinstance(candidate, str) else candidate.label
        found = self.get_candidate(label)
        if not isinstance(candidate, str) and found is not candidate and found != candidate:
            raise InputValidationError(f'{self._where()}: candidate {label!r} is not the one of this campaign')
        return found

    def _where(self) -> str:
        return str(self._source) if self._source is not None else f'campaign {self.name!r}'


# --- reading files and reporting errors -------------------------------------------------------------------------


def load_campaign(path: str | os.PathLike) -> Campaign:
    """Read, validate and return the campaign file at ``path``.

    Relative structure paths are taken from the folder of the file; ``name`` defaults to the file's stem (characters
    that are not allowed become ``-``).

    Raises
    ------
    InputValidationError
        With one line naming the file, the field path, what is wrong and what would be valid (and the line in the
        file when known).
    """
    path = pathlib.Path(path)
    where = str(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise InputValidationError(f'{where}: not a file; give a campaign file (YAML)')
        if size > MAX_FILE_BYTES:
            raise InputValidationError(f'{where}: {size} bytes is too large for a campaign file (at most 1 MiB)')
        text = path.read_bytes().decode('utf-8')
    except FileNotFoundError:
        raise InputValidationError(f'{where}: no such file; give the path of a campaign file (YAML)') from None
    except UnicodeDecodeError as exception:
        raise InputValidationError(
            f'{where}: not UTF-8 text (byte {exception.start}); save the file as UTF-8'
        ) from None
    except OSError as exception:
        raise InputValidationError(f'{where}: cannot be read ({exception.strerror})') from None
    data, root = _parse_yaml(text, where)
    stem = re.sub(r'[^A-Za-z0-9_.-]+', '-', path.stem).lstrip('-_.') or 'campaign'
    return _validate(data, base_dir=path.resolve().parent, where=where, default_name=stem, root=root, source=path)


def campaign_from_dict(
    data: Any,
    *,
    base_dir: str | os.PathLike | None = None,
    source: str = '<campaign>',
    default_name: str | None = None,
) -> Campaign:
    """Validate campaign data already loaded (a mapping as from YAML) and return the :class:`Campaign`.

    Parameters
    ----------
    data : Mapping
        The campaign's fields.
    base_dir : path, optional
        Folder relative structure paths are taken from (default: the working directory).
    source : str
        Name used in error messages in place of a file name.
    default_name : str, optional
        ``name`` when ``data`` has none.

    Raises
    ------
    InputValidationError
        One line, as :func:`load_campaign`.
    """
    return _validate(data, base_dir=base_dir, where=source, default_name=default_name, root=None, source=None)


def _validate(data, *, base_dir, where, default_name, root, source) -> Campaign:
    if not isinstance(data, Mapping):
        kind = 'a list' if isinstance(data, list) else f'a {type(data).__name__} ({_show(data, 40)})'
        raise InputValidationError(
            f'{where}: the top level is {kind}; give a mapping of campaign fields (name, protocol, candidates, ...)'
        )
    data = dict(data)
    if default_name is not None and 'name' not in data:
        data['name'] = default_name
    context = {'base_dir': pathlib.Path(base_dir) if base_dir is not None else None}
    try:
        campaign = Campaign.model_validate(data, context=context)
    except ValidationError as error:
        raise InputValidationError(_one_line(f'{where}: {_describe_errors(error, root)}')) from None
    campaign._source = source
    return campaign


def _parse_yaml(text: str, where: str) -> tuple[Any, yaml.Node | None]:
    """Return (data, node tree) of one YAML document; refuse syntax errors, duplicate keys and aliases."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise InputValidationError(f"{where}: the file is empty; give a mapping with at least 'candidates'")
        _check_nodes(root, where)
        data = loader.construct_document(root)
    except yaml.YAMLError as exception:
        mark = getattr(exception, 'problem_mark', None) or getattr(exception, 'context_mark', None)
        at = f' at line {mark.line + 1}, column {mark.column + 1}' if mark is not None else ''
        problem = getattr(exception, 'problem', None) or str(exception)
        context = getattr(exception, 'context', None)
        problem = f'{problem} ({context})' if context else problem
        raise InputValidationError(_one_line(f'{where}: not valid YAML{at}: {problem}')) from None
    except RecursionError:
        raise InputValidationError(f'{where}: nested too deeply to be a campaign file') from None
    finally:
        loader.dispose()
    return data, root


def _check_nodes(root: yaml.Node, where: str) -> None:
    """Refuse duplicate mapping keys (YAML keeps the last silently) and anchors/aliases (shared or cyclic data)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise InputValidationError(
                f'{where}: the value at line {node.start_mark.line + 1} is reused through a YAML alias (&name ... '
                '*name); aliases are not supported: write the value out, or put shared settings in the campaign-level '
                'overrides'
            )
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in keys:
                        raise InputValidationError(
                            _one_line(
                                f'{where}: key {key.value!r} is repeated (lines {keys[key.value]} and '
                                f'{key.start_mark.line + 1}); give each key once'
                            )
                        )
                    keys[key.value] = key.start_mark.line + 1
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


_HINTS = {
    'name': _NAME_RULE,
    'description': 'one line of text',
    'protocol': 'one of ' + ', '.join(PROTOCOLS),
    'overrides': 'a mapping',
    'mu_star': 'a number in [0, 0.5], e.g. 0.10',
    'mu_star_convention': 'one of ' + ', '.join(MU_STAR_CONVENTIONS),
    'codes': 'a mapping of role to code label, e.g. {pw: pw@localhost}',
    'pseudo_family': 'a family label, e.g. SSSP/1.3/PBE/efficiency',
    'run_enatom': 'true or false',
    'max_active': 'an integer from 1 to 1000',
    'options': 'a mapping of run resources: num_machines, mpiprocs_per_machine, walltime, queue, account, qos, pools',
    'require_hydrogen': 'true or false',
    'candidates': 'a non-empty list of candidates (label, structure or prototype, pressures)',
    'label': _LABEL_RULE,
    'structure': 'the path of a CIF, POSCAR or pw.x input file',
    'prototype': 'one of ' + ', '.join([*PROTOTYPES, *PROTOTYPE_ALIASES]),
    'lattice_constant': f'a number of Å in (0, {MAX_LATTICE_CONSTANT:g})',
    'pressures': f'a list of pressures in (0, {MAX_PRESSURE_GPA:g}] GPa or a range {{start, stop, step}}',
}


def _fields_at(loc: tuple[str | int, ...]) -> tuple[str, ...]:
    """Return the valid keys of the mapping at ``loc`` (the campaign or a candidate)."""
    model = Candidate if len(loc) == 2 and loc[0] == 'candidates' else Campaign
    return tuple(model.model_fields)


def _path(loc: tuple[str | int, ...]) -> str:
    """Return ``('candidates', 2, 'pressures')`` as ``'candidates[2].pressures'``."""
    text = ''
    for part in loc:
        if isinstance(part, int):
            text += f'[{part}]'
        elif re.fullmatch(r'[A-Za-z_][A-Za-z0-9_]*', part):
            text += f'.{part}' if text else part
        else:
            text += f'[{part!r}]'
    return text


def _line(root: yaml.Node | None, loc: tuple[str | int, ...]) -> int | None:
    """Return the 1-based line of the deepest node of ``loc`` found in the YAML tree."""
    node, line = root, None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(
                ((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None
            )
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _describe(item: dict, root: yaml.Node | None) -> str:
    """Return one pydantic error as ``'path: message (line N)'``."""
    loc, kind, value = tuple(item['loc']), item['type'], item.get('input')
    error = (item.get('ctx') or {}).get('error')
    field = next((part for part in reversed(loc) if isinstance(part, str)), '')
    if isinstance(error, _FieldError):
        loc, message = loc + error.loc, error.message
    elif error is not None:
        message = str(error)
    elif kind == 'extra_forbidden':
        valid = _fields_at(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), valid, n=1)
        guess = f' (did you mean {close[0]!r}?)' if close else ''
        message = f'unknown key {loc[-1]!r}{guess}; valid keys: {", ".join(valid)}'
    elif kind == 'invalid_key':
        message = f'key {_show(value)} is not a string; valid keys: {", ".join(_fields_at(loc[:-1]))}'
    elif kind == 'missing':
        message = f'missing; give {_HINTS.get(field, "a value")}'
    elif kind in ('model_type', 'model_attributes_type', 'dict_type') and len(loc) == 2:
        message = f'{_show(value)} is not a mapping; give a candidate as a mapping of {", ".join(_fields_at(loc))}'
    else:
        message = f'{item["msg"][:1].lower()}{item["msg"][1:]}, got {_show(value)}; give {_HINTS.get(field, "a value")}'
        if field in ('name', 'description', 'label', 'prototype', 'pseudo_family') and not isinstance(value, str):
            message += ' (quote it: YAML reads yes/no/on/off, numbers and dates as non-strings)'
    path = _path(loc[:-1] if kind == 'extra_forbidden' else loc)
    line = _line(root, loc) if root is not None else None
    text = f'{path}: {message}' if path else message
    return text + (f' (line {line})' if line is not None else '')


def _describe_errors(error: ValidationError, root: yaml.Node | None, limit: int = 5) -> str:
    """Return every error of ``error`` on one line, ``'; '``-joined (at most ``limit``, then a count)."""
    items = error.errors(include_url=False)
    parts = [_describe(item, root) for item in items[:limit]]
    if len(items) > limit:
        parts.append(f'and {len(items) - limit} more errors')
    return '; '.join(parts)


def _one_line(text: str) -> str:
    """Return ``text`` with every line break (of any kind) escaped, so a message is always one line."""
    return ''.join(char if char.isprintable() or char == ' ' else repr(char)[1:-1] for char in text)

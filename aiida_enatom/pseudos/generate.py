"""Generate the project's offline PBE pseudopotential family with ``ld1.x`` from the shipped input files."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from aiida_enatom.exceptions import EnatomError
from aiida_enatom.io._qe_text import QE_ERROR_BLOCK, qe_error_message

__all__ = (
    'CUTOFFS_FILE',
    'EXPERIMENTAL_ELEMENTS',
    'INPUTS_DIR',
    'STRINGENCIES',
    'ElementNotAvailableError',
    'PseudoGenerationError',
    'available_elements',
    'generate_pseudopotential',
    'generate_pseudopotentials',
    'input_file',
    'read_upf_header',
    'recommended_cutoffs',
    'validated_elements',
)

PACKAGE_DIR = Path(__file__).resolve().parent
INPUTS_DIR = PACKAGE_DIR / 'inputs'
"""Folder with one ``ld1.x`` generation input ``<El>.in`` per element."""
CUTOFFS_FILE = PACKAGE_DIR / 'cutoffs.json'
"""Recommended cutoffs (Ry) per stringency and element."""
STRINGENCIES = ('low', 'normal', 'high')

_ALTERNATIVES = (
    'install a published family instead, e.g. `aiida-pseudo install sssp -x PBE` (SSSP) or '
    '`aiida-pseudo install pseudo-dojo` (PseudoDojo), and pass that family label as `pseudo_family`'
)
_FILE_PSEUDOPW = re.compile(r"file_pseudopw\s*=\s*['\"]([^'\"]+)['\"]", re.IGNORECASE)
_HEADER = re.compile(r'<PP_HEADER\b(.*?)/?>', re.DOTALL)
_ATTRIBUTE = re.compile(r'(\w+)\s*=\s*"([^"]*)"')
_DATE_INFO = re.compile(r'^(\s*Generation date:).*$', re.MULTILINE)
_DATE_HEADER = re.compile(r'(<PP_HEADER\b[^>]*?\bdate=")[^"]*(")', re.DOTALL)
_NUMERIC_LINE = re.compile(r'^[\s0-9eEdD+\-.]+$')
_MAX_LINE = 1000


class ElementNotAvailableError(EnatomError, LookupError):
    """The project ships no ``ld1.x`` input for the requested element."""

    def __init__(self, element: str):
        self.element = element
        super().__init__(
            f'no ld1.x input file for element {element!r} in the aiida-enatom offline family '
            f'(available: {", ".join(available_elements())}); {_ALTERNATIVES}.'
        )

    def __str__(self) -> str:
        return self.args[0]


class PseudoGenerationError(EnatomError, RuntimeError):
    """``ld1.x`` failed, or produced no usable UPF file, for one element."""

    def __init__(self, element: str, message: str):
        self.element = element
        super().__init__(f'generation of the {element} pseudopotential failed: {message}')


def available_elements() -> list[str]:
    """Return the elements for which the project ships an ``ld1.x`` generation input.

    Returns
    -------
    list of str
        Element symbols, sorted alphabetically.
    """
    return sorted(path.stem for path in INPUTS_DIR.glob('*.in'))


#: Elements whose generated potential has not passed every validation step of docs/pseudopotentials.md
#: (La: ld1.x tests pass, the pw.x ghost check and the lattice constant are not done). They can be generated on
#: request but are kept out of the default offline family, so a La compound asks for SSSP or PseudoDojo instead.
EXPERIMENTAL_ELEMENTS: frozenset[str] = frozenset({'La'})


def validated_elements() -> list[str]:
    """Return :func:`available_elements` without :data:`EXPERIMENTAL_ELEMENTS`, sorted."""
    return [element for element in available_elements() if element not in EXPERIMENTAL_ELEMENTS]


def input_file(element: str) -> Path:
    """Return the ``ld1.x`` generation input of ``element``.

    Parameters
    ----------
    element : str
        Chemical symbol, e.g. ``'Ca'``.

    Returns
    -------
    pathlib.Path
        The input file ``inputs/<element>.in`` inside the package.

    Raises
    ------
    ElementNotAvailableError
        If the project has no input for ``element``; the message says how to use SSSP or PseudoDojo instead.
    """
    path = INPUTS_DIR / f'{element}.in'
    if not path.is_file():
        raise ElementNotAvailableError(element)
    return path


def read_upf_header(path: Path | str) -> dict[str, str]:
    """Read the attributes of the ``<PP_HEADER>`` tag of a UPF v2 file.

    Parameters
    ----------
    path : pathlib.Path or str
        UPF file.

    Returns
    -------
    dict of str to str
        Attribute name to stripped string value, e.g. ``{'element': 'S', 'functional': 'PBE', 'z_valence': '6.0…'}``.

    Raises
    ------
    ValueError
        If the file has no ``<PP_HEADER>`` tag (e.g. a UPF v1 file).
    """
    text = Path(path).read_text(errors='replace')
    match = _HEADER.search(text)
    if match is None:
        raise ValueError(f'{path}: no <PP_HEADER> tag found (not a UPF v2 file?)')
    return {key: value.strip() for key, value in _ATTRIBUTE.findall(match.group(1))}


def _wrap_long_numeric_lines(upf: str, width: int = _MAX_LINE) -> str:
    """Split purely numeric lines longer than ``width`` into lines of four numbers.

    ld1.x writes the D_ij matrix on one line; with more than six projectors that line exceeds the 1024-character
    limit of QE 6.7's own XML reader (``xmlr_opentag: severe error, line too long``). Whitespace between numbers
    is not significant in UPF data, so wrapping changes no value.
    """
    lines = []
    for line in upf.split('\n'):
        if len(line) > width and _NUMERIC_LINE.match(line):
            tokens = line.split()
            lines.extend('  ' + '  '.join(tokens[i : i + 4]) for i in range(0, len(tokens), 4))
        else:
            lines.append(line)
    return '\n'.join(lines)


def _normalise(upf: str, input_text: str) -> str:
    """Make ld1.x's UPF reproducible and readable by QE 6.7.

    The generation date (the only non-deterministic part) is replaced by a hash of the input, and over-long
    numeric lines are wrapped (see :func:`_wrap_long_numeric_lines`).
    """
    stamp = 'input-sha256-' + hashlib.sha256(input_text.encode()).hexdigest()[:16]
    upf = _DATE_INFO.sub(lambda m: f'{m.group(1)} {stamp}', upf, count=1)
    upf = _DATE_HEADER.sub(lambda m: f'{m.group(1)}{stamp}{m.group(2)}', upf, count=1)
    return _wrap_long_numeric_lines(upf)


def _ld1_error(stdout: str, workdir: Path) -> str:
    """Extract QE's error message from ld1.x's output or its CRASH file."""
    crash = workdir / 'CRASH'
    for text in (stdout, crash.read_text(errors='replace') if crash.is_file() else ''):
        message = qe_error_message(text)
        if message:
            return message
    tail = [line.strip() for line in stdout.splitlines() if line.strip()][-5:]
    return 'ld1.x output ends with: ' + ' | '.join(tail) if tail else 'ld1.x printed nothing'


def run_ld1(input_text: str, workdir: Path, *, ld1: str = 'ld1.x', element: str = '?', timeout: float = 300) -> str:
    """Run ``ld1.x`` on ``input_text`` in ``workdir`` and return its standard output.

    Parameters
    ----------
    input_text : str
        Complete ``ld1.x`` input (namelists and cards).
    workdir : pathlib.Path
        Existing directory in which ld1.x runs and writes its files.
    ld1 : str
        Executable name or path.
    element : str
        Element symbol, used in error messages only.
    timeout : float
        Wall-time limit in seconds.

    Returns
    -------
    str
        ld1.x standard output.

    Raises
    ------
    PseudoGenerationError
        If the executable is missing, times out, exits with a non-zero status or reports a QE error.
    """
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    try:
        proc = subprocess.run(
            [ld1],
            input=input_text,
            capture_output=True,
            text=True,
            cwd=workdir,
            timeout=timeout,
            env=env,
            check=False,
        )
    except FileNotFoundError as exc:
        raise PseudoGenerationError(
            element, f'executable {ld1!r} not found (install Quantum ESPRESSO, e.g. `apt-get install quantum-espresso`)'
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise PseudoGenerationError(element, f'{ld1} did not finish within {timeout} s') from exc
    if proc.returncode != 0 or (workdir / 'CRASH').is_file() or QE_ERROR_BLOCK.search(proc.stdout):
        message = _ld1_error(proc.stdout, workdir)
        raise PseudoGenerationError(element, f'{ld1} exited with status {proc.returncode}: {message}')
    return proc.stdout


def _same_element_files(directory: Path, element: str, keep: str) -> list[Path]:
    """Return UPF files in ``directory`` other than ``keep`` whose header names ``element``."""
    clashes = []
    for path in sorted(directory.iterdir()):
        if path.name == keep or not path.is_file() or path.suffix.lower() != '.upf':
            continue
        try:
            if read_upf_header(path).get('element') == element:
                clashes.append(path)
        except ValueError:
            continue
    return clashes


def generate_pseudopotential(element: str, directory: Path | str, *, ld1: str = 'ld1.x') -> Path:
    """Generate the pseudopotential of one element and place its UPF file in ``directory``.

    Parameters
    ----------
    element : str
        Chemical symbol with an input in :data:`INPUTS_DIR`.
    directory : pathlib.Path or str
        Target folder (created if missing). It receives one file, named as ``file_pseudopw`` in the input.
    ld1 : str
        ``ld1.x`` executable name or path.

    Returns
    -------
    pathlib.Path
        Path of the UPF file in ``directory``. An existing file with identical content is left untouched.

    Raises
    ------
    ElementNotAvailableError
        If there is no input file for ``element``.
    PseudoGenerationError
        If ld1.x fails (the message contains ld1.x's error), writes no UPF, writes a UPF for another element,
        or if ``directory`` already holds another UPF file for ``element``.

    Notes
    -----
    ld1.x writes the generation date into the UPF; it is replaced by a hash of the input so that the output is
    byte-for-byte reproducible with the same ld1.x build.
    """
    source = input_file(element)
    input_text = source.read_text()
    match = _FILE_PSEUDOPW.search(input_text)
    if match is None:
        raise PseudoGenerationError(element, f'{source} does not set file_pseudopw')
    name = Path(match.group(1)).name
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix=f'ld1_{element}_') as tmp:
        workdir = Path(tmp)
        run_ld1(input_text, workdir, ld1=ld1, element=element)
        produced = workdir / name
        if not produced.is_file():
            raise PseudoGenerationError(element, f'ld1.x finished but wrote no {name}')
        upf = _normalise(produced.read_text(), input_text)

    target = directory / name
    staged = directory / f'.{name}.tmp'
    staged.write_text(upf)
    header = read_upf_header(staged)
    if header.get('element') != element:
        staged.unlink()
        raise PseudoGenerationError(element, f'the UPF header names element {header.get("element")!r}')
    clashes = _same_element_files(directory, element, keep=name)
    if clashes:
        staged.unlink()
        raise PseudoGenerationError(
            element,
            f'{directory} already holds {", ".join(p.name for p in clashes)} for {element}; an aiida-pseudo family '
            'folder must contain exactly one UPF per element',
        )
    if target.is_file() and target.read_bytes() == staged.read_bytes():
        staged.unlink()
    else:
        os.replace(staged, target)
    return target


def generate_pseudopotentials(elements: Iterable[str], directory: Path | str, *, ld1: str = 'ld1.x') -> dict[str, Path]:
    """Generate the pseudopotentials of ``elements`` into one flat folder usable as an aiida-pseudo family.

    Each element's ``ld1.x`` run happens in its own temporary directory; only the UPF file is copied into
    ``directory``, so the folder holds exactly one UPF per element and no subfolders, as required by
    ``aiida_pseudo.groups.family.PseudoPotentialFamily.create_from_folder``. Repeated calls are idempotent.

    Parameters
    ----------
    elements : iterable of str
        Chemical symbols; duplicates are ignored. All are checked for an input file before anything runs.
    directory : pathlib.Path or str
        Target folder, created if missing.
    ld1 : str
        ``ld1.x`` executable name or path.

    Returns
    -------
    dict of str to pathlib.Path
        Element symbol to UPF file.

    Raises
    ------
    ElementNotAvailableError
        If any element has no input file (raised before any generation).
    PseudoGenerationError
        If ld1.x fails for an element.
    """
    unique = list(dict.fromkeys(elements))
    for element in unique:
        input_file(element)
    return {element: generate_pseudopotential(element, directory, ld1=ld1) for element in unique}


def recommended_cutoffs(
    stringency: str = 'normal', elements: Iterable[str] | None = None
) -> dict[str, dict[str, float]]:
    """Return the recommended plane-wave cutoffs of the offline family.

    Parameters
    ----------
    stringency : str
        One of ``'low'``, ``'normal'`` (default) or ``'high'``.
    elements : iterable of str, optional
        Restrict to these elements; default all available elements.

    Returns
    -------
    dict
        ``{'H': {'cutoff_wfc': 40.0, 'cutoff_rho': 320.0}, ...}`` in Ry, the format of
        ``aiida_pseudo.groups.mixins.RecommendedCutoffMixin.set_cutoffs(..., unit='Ry')``.

    Raises
    ------
    ValueError
        If ``stringency`` is unknown.
    ElementNotAvailableError
        If an element in ``elements`` has no input file.
    KeyError
        If an available element has no cutoffs (a packaging error).
    """
    data = json.loads(CUTOFFS_FILE.read_text())
    if stringency not in data['stringencies']:
        raise ValueError(f'unknown stringency {stringency!r}; choose one of {", ".join(data["stringencies"])}')
    table = data['stringencies'][stringency]
    selected = available_elements() if elements is None else list(elements)
    result = {}
    for element in selected:
        if element not in table:
            input_file(element)
            raise KeyError(f'{CUTOFFS_FILE.name} has no {stringency!r} cutoffs for {element}')
        result[element] = {key: float(table[element][key]) for key in ('cutoff_wfc', 'cutoff_rho')}
    return result


def copy_inputs(directory: Path | str) -> list[Path]:
    """Copy the shipped ``ld1.x`` inputs to ``directory`` (for users who want to inspect or modify them).

    Parameters
    ----------
    directory : pathlib.Path or str
        Target folder, created if missing.

    Returns
    -------
    list of pathlib.Path
        The copied files.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy2(INPUTS_DIR / f'{el}.in', directory)) for el in available_elements()]

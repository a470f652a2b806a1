"""Install the offline pseudopotential family generated with ``ld1.x``, and check that a family covers a structure."""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiida_enatom.setup.common import FAMILY_LABEL, Action, FamilyCoverageError, SetupError

if TYPE_CHECKING:
    from aiida_pseudo.groups.family import CutoffsPseudoPotentialFamily, PseudoPotentialFamily

__all__ = (
    'EXTRA_FINGERPRINT',
    'INSTALL_HINT',
    'check_family_covers',
    'current_fingerprint',
    'ensure_offline_family',
    'find_offline_family',
    'offline_elements',
)

EXTRA_FINGERPRINT = 'enatom_offline_fingerprint'
"""Group extra that records which generation inputs an offline family was built from."""
EXTRA_ELEMENTS = 'enatom_offline_elements'

INSTALL_HINT = (
    'install a published family with aiida-pseudo, e.g. `aiida-pseudo install sssp -x PBE -p efficiency` (SSSP) or '
    '`aiida-pseudo install pseudo-dojo` (PseudoDojo) (both download, so they need a network connection), or load a '
    'local folder of UPF files with `aiida-pseudo install family FOLDER LABEL -P pseudo.upf`; then pass that '
    'family label as the pseudo family'
)


def offline_elements() -> list[str]:
    """Return the elements the offline family can have now: a validated ``ld1.x`` input and 'normal' cutoffs.

    An element whose input is present but is not validated yet (no recommended cutoffs, or listed in
    :data:`aiida_enatom.pseudos.generate.EXPERIMENTAL_ELEMENTS`) is left out.
    """
    from aiida_enatom.pseudos.generate import ElementNotAvailableError, recommended_cutoffs, validated_elements

    elements = []
    for element in validated_elements():
        try:
            recommended_cutoffs('normal', [element])
        except ElementNotAvailableError:
            continue
        elements.append(element)
    return elements


def current_fingerprint() -> dict[str, str]:
    """Return ``{element: sha256 of its ld1.x input}`` for every element of :func:`offline_elements`."""
    from aiida_enatom.pseudos.generate import input_file

    return {element: hashlib.sha256(input_file(element).read_bytes()).hexdigest() for element in offline_elements()}


def _is_current(group: Any, fingerprint: dict[str, str]) -> bool:
    return group.base.extras.get(EXTRA_FINGERPRINT, None) == fingerprint and set(group.elements) == set(fingerprint)


def _versioned_labels(label: str) -> Iterable[str]:
    yield label
    version = 2
    while True:
        yield f'{label}-v{version}'
        version += 1


def _load_family(label: str) -> Any:
    from aiida import orm
    from aiida.common.exceptions import NotExistent

    try:
        return orm.load_group(label)
    except NotExistent:
        return None


def find_offline_family(label: str = FAMILY_LABEL) -> str | None:
    """Return the label of the installed offline family that matches the shipped generation inputs.

    Parameters
    ----------
    label : str
        Base label; versioned labels ``<label>-v2``, ``<label>-v3``, ... are searched too.

    Returns
    -------
    str or None
        ``label`` or a versioned label if such a family is up to date, else ``None``.
    """
    from aiida import orm

    fingerprint = current_fingerprint()
    pattern = re.compile(rf'^{re.escape(label)}(-v\d+)?$')
    query = orm.QueryBuilder().append(orm.Group, filters={'label': {'like': f'{label}%'}}, project='*')
    candidates = [group for (group,) in query.iterall() if pattern.match(group.label)]
    for group in sorted(candidates, key=lambda g: (g.label != label, g.label)):
        if hasattr(group, 'elements') and _is_current(group, fingerprint):
            return group.label
    return None


STRINGENCIES = ('low', 'normal', 'high')
"""Cutoff stringencies installed on the offline family (``normal`` is the default; ``fast`` protocols use ``low``)."""


def install_cutoffs(family: CutoffsPseudoPotentialFamily, elements: Iterable[str]) -> list[str]:
    """Set every stringency of :data:`STRINGENCIES` that ``family`` lacks, with ``normal`` as its default.

    Parameters
    ----------
    family
        An aiida-pseudo family with recommended cutoffs.
    elements
        Its elements.

    Returns
    -------
    list of str
        The stringencies that were added (empty when the family had them all).
    """
    from aiida_enatom.pseudos.generate import recommended_cutoffs

    elements = sorted(elements)
    have = set(family.get_cutoff_stringencies())
    added = [stringency for stringency in STRINGENCIES if stringency not in have]
    for stringency in added:
        family.set_cutoffs(recommended_cutoffs(stringency, elements), stringency, unit='Ry')
    if 'normal' in added:
        family.set_default_stringency('normal')
    return added


def _create_family(label: str, fingerprint: dict[str, str], ld1: str) -> CutoffsPseudoPotentialFamily:
    from aiida_pseudo.data.pseudo.upf import UpfData
    from aiida_pseudo.groups.family import CutoffsPseudoPotentialFamily

    from aiida_enatom.pseudos.generate import generate_pseudopotentials

    elements = sorted(fingerprint)
    with tempfile.TemporaryDirectory(prefix='enatom_pseudos_') as tmp:
        generate_pseudopotentials(elements, Path(tmp), ld1=ld1)
        family = CutoffsPseudoPotentialFamily.create_from_folder(
            Path(tmp),
            label,
            description='PBE pseudopotentials generated offline with ld1.x from the inputs shipped with aiida-enatom',
            pseudo_type=UpfData,
        )
    try:
        install_cutoffs(family, elements)
    except Exception:
        from aiida import orm

        orm.Group.collection.delete(family.pk)
        raise
    family.base.extras.set_many({EXTRA_FINGERPRINT: fingerprint, EXTRA_ELEMENTS: elements})
    return family


def ensure_offline_family(
    label: str = FAMILY_LABEL, *, force: bool = False, ld1: str = 'ld1.x'
) -> tuple[str, list[Action]]:
    """Generate the offline pseudopotentials and install them as a ``pseudo.family.cutoffs`` family.

    An existing family built from the same inputs is kept. A stale one (built from other inputs, e.g. fewer
    elements than are available now) is left alone and a new family is created under the first free versioned
    label ``<label>-v2``, ``<label>-v3``, ...; with ``force`` the stale group is deleted (its pseudopotential nodes
    stay in the database) and the family is rebuilt under ``label`` itself.

    Parameters
    ----------
    label : str
        Family label.
    force : bool
        Replace a stale family of that label instead of creating a versioned one.
    ld1 : str
        ``ld1.x`` executable.

    Returns
    -------
    tuple
        The label of the up-to-date family and the list of :class:`Action`.

    Raises
    ------
    SetupError
        If generation fails, or a group with the label exists that is not a pseudopotential family (with ``force``).
    """
    from aiida import orm
    from aiida_pseudo.groups.family import PseudoPotentialFamily

    from aiida_enatom.exceptions import EnatomError

    fingerprint = current_fingerprint()
    elements = ', '.join(sorted(fingerprint))
    actions: list[Action] = []

    existing = _load_family(label)
    if existing is not None and isinstance(existing, PseudoPotentialFamily) and _is_current(existing, fingerprint):
        added = install_cutoffs(existing, fingerprint)  # families made before the low/high stringencies existed
        if added:
            return label, [Action('updated', f'pseudopotential family {label!r}: added the {"/".join(added)} cutoffs')]
        return label, [Action('found', f'pseudopotential family {label!r} is up to date ({elements})')]

    if existing is not None:
        have = ', '.join(sorted(existing.elements)) if isinstance(existing, PseudoPotentialFamily) else 'not a family'
        if force:
            if not isinstance(existing, PseudoPotentialFamily):
                raise SetupError(f'group {label!r} is not a pseudopotential family; refusing to delete it')
            orm.Group.collection.delete(existing.pk)
            actions.append(Action('updated', f'deleted the stale family {label!r} ({have}) because of --force'))
            target = label
        else:
            target = None
            for candidate in _versioned_labels(label):
                group = _load_family(candidate)
                if group is None:
                    target = candidate
                    break
                if isinstance(group, PseudoPotentialFamily) and _is_current(group, fingerprint):
                    install_cutoffs(group, fingerprint)
                    actions.append(
                        Action('warning', f'family {label!r} is stale ({have}); the up-to-date family is {candidate!r}')
                    )
                    return candidate, actions
            actions.append(
                Action(
                    'warning',
                    f'family {label!r} is stale ({have}; now available: {elements}); building {target!r} '
                    '(use --force to rebuild it under its own label)',
                )
            )
    else:
        target = label

    try:
        _create_family(target, fingerprint, ld1)
    except (EnatomError, ValueError, OSError) as exception:
        raise SetupError(f'cannot build the offline pseudopotential family {target!r}: {exception}') from exception
    cutoffs = 'cutoffs low/normal/high in Ry, default normal'
    actions.append(Action('created', f'pseudopotential family {target!r} ({elements}; {cutoffs})'))
    return target, actions


def _element_set(elements: Any) -> set[str]:
    if hasattr(elements, 'get_symbols_set'):
        return set(elements.get_symbols_set())
    if isinstance(elements, str):
        return {elements}
    return set(elements)


def check_family_covers(family_label: str, elements: Any) -> PseudoPotentialFamily:
    """Check that the aiida-pseudo family ``family_label`` has a pseudopotential for every element.

    Any aiida-pseudo family is accepted (SSSP, PseudoDojo, the offline family, or one installed from a folder).

    Parameters
    ----------
    family_label : str
        Label of the family.
    elements : iterable of str or aiida.orm.StructureData
        Element symbols, or a structure whose elements are checked.

    Returns
    -------
    aiida_pseudo.groups.family.PseudoPotentialFamily
        The family.

    Raises
    ------
    FamilyCoverageError
        If the family does not exist, is not a pseudopotential family, or lacks elements; the message names the
        missing elements and says how to install SSSP or PseudoDojo with aiida-pseudo.
    """
    from aiida_pseudo.groups.family import PseudoPotentialFamily

    wanted = _element_set(elements)
    group = _load_family(family_label)
    if group is None:
        raise FamilyCoverageError(
            family_label,
            sorted(wanted),
            f'pseudopotential family {family_label!r} does not exist (see `aiida-pseudo list`); run '
            f'`aiida-enatom setup` for the offline family {FAMILY_LABEL!r}, or {INSTALL_HINT}',
        )
    if not isinstance(group, PseudoPotentialFamily):
        raise FamilyCoverageError(
            family_label,
            sorted(wanted),
            f'group {family_label!r} is a {type(group).__name__}, not an aiida-pseudo pseudopotential family; '
            f'{INSTALL_HINT}',
        )
    missing = sorted(wanted - set(group.elements))
    if missing:
        raise FamilyCoverageError(
            family_label,
            missing,
            f'pseudopotential family {family_label!r} has no pseudopotential for {", ".join(missing)} '
            f'(it covers {", ".join(sorted(group.elements))}); {INSTALL_HINT}',
        )
    return group

"""Plane-wave cutoffs of a protocol's ``cutoff_stringency``, from the pseudopotential family's recommendations.

aiida-quantumespresso's ``PwBaseWorkChain.get_builder_from_protocol`` takes the family's *default* stringency. The
enatom protocols name one (``cutoff_stringency``: ``low``, ``normal`` or ``high``, as aiida-pseudo calls them), so
that ``fast`` can use cheaper cutoffs than ``balanced`` with the same family. The result goes into the builders'
overrides as ``SYSTEM.ecutwfc``/``ecutrho``; explicit values in a protocol or the user's overrides still win.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiida import orm

__all__ = ('stringency_cutoffs',)


def stringency_cutoffs(family_label: str, structure: orm.StructureData, stringency: str | None) -> dict[str, float]:
    """Return the family's recommended cutoffs of ``stringency`` for ``structure`` as pw.x ``SYSTEM`` keys.

    Parameters
    ----------
    family_label
        Label of an aiida-pseudo family.
    structure
        The crystal: the largest recommendation over its elements is taken.
    stringency
        ``'low'``, ``'normal'``, ``'high'`` or any stringency the family defines; ``None`` leaves the choice to
        aiida-quantumespresso (the family's default).

    Returns
    -------
    dict
        ``{'ecutwfc': ..., 'ecutrho': ...}`` in Ry, or ``{}`` when ``stringency`` is ``None``, is the family's default,
        or the family cannot be loaded or recommends no cutoffs (aiida-quantumespresso then decides, and raises its
        own error for a missing family). A family without ``stringency`` gives ``{}`` and a ``UserWarning``: the
        family's default cutoffs are used.
    """
    if stringency is None:
        return {}
    from aiida import orm
    from aiida.common.exceptions import MultipleObjectsError, NotExistent
    from aiida_pseudo.groups.mixins import RecommendedCutoffMixin

    try:
        family = orm.Group.collection.get(label=family_label)
    except (NotExistent, MultipleObjectsError):  # aiida-quantumespresso reports it with its own message
        return {}
    if not isinstance(family, RecommendedCutoffMixin):
        return {}
    stringencies = family.get_cutoff_stringencies()
    default = family.get_default_stringency()
    if stringency == default:
        return {}
    if stringency not in stringencies:
        warnings.warn(
            f'pseudopotential family {family_label!r} has no {stringency!r} cutoffs (it has: '
            f'{", ".join(sorted(stringencies))}); using its default {default!r} cutoffs',
            UserWarning,
            stacklevel=2,
        )
        return {}
    ecutwfc, ecutrho = family.get_recommended_cutoffs(structure=structure, stringency=stringency, unit='Ry')
    return {'ecutwfc': float(ecutwfc), 'ecutrho': float(ecutrho)}

"""Run options (machines, ranks, walltime, queue, account, pools) → ``metadata.options`` and overrides (no AiiDA).

One place that validates what a user may say about the resources of a run, for ``--options`` on the command line
and an ``options`` section of a campaign file alike. Whatever is not given comes from the computer (ranks per
machine: ``default_mpiprocs_per_machine``) or from aiida-quantumespresso's defaults (walltime 12 h). Every string
that reaches a scheduler script is checked against a strict pattern, so nothing can be injected into ``#SBATCH``
lines.

Example
-------
>>> run_options({'num_machines': 2, 'walltime': '06:00:00', 'queue': 'compute'})
{'resources': {'num_machines': 2}, 'max_wallclock_seconds': 21600, 'queue_name': 'compute'}
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from aiida_enatom.setup.common import SetupError

__all__ = ('RUN_OPTION_KEYS', 'parse_walltime', 'pool_overrides', 'run_options')

RUN_OPTION_KEYS = ('num_machines', 'mpiprocs_per_machine', 'walltime', 'queue', 'account', 'qos', 'pools')
"""Keys of a run-options mapping."""

_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$')
_CLOCK = re.compile(r'^(?:(\d+)-)?(\d+):(\d{1,2}):(\d{1,2})$')
_UNITS = {'s': 1, 'min': 60, 'm': 60, 'h': 3600, 'd': 86400}
_SUFFIX = re.compile(r'^(\d+(?:\.\d+)?)\s*(s|min|m|h|d)$')


def parse_walltime(value: Any) -> int:
    """Return a walltime in seconds from seconds, ``'[D-]HH:MM:SS'`` or ``'<number><s|min|h|d>'``.

    Raises
    ------
    SetupError
        If the value is not one of those forms or not between 1 s and 365 days.
    """
    hint = "give seconds, 'HH:MM:SS', 'D-HH:MM:SS' or e.g. '6h'"
    if isinstance(value, bool):
        raise SetupError(f'walltime {value!r} is not a duration; {hint}')
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        clock, suffix = _CLOCK.match(text), _SUFFIX.match(text)
        if clock:
            days, hours, minutes, secs = (int(part) if part else 0 for part in clock.groups())
            if minutes >= 60 or secs >= 60:
                raise SetupError(f'walltime {value!r} has minutes or seconds >= 60; {hint}')
            seconds = float(((days * 24 + hours) * 60 + minutes) * 60 + secs)
        elif suffix:
            seconds = float(suffix.group(1)) * _UNITS[suffix.group(2)]
        elif text.isdigit():
            seconds = float(text)
        else:
            raise SetupError(f'walltime {value!r} is not a duration; {hint}')
    else:
        raise SetupError(f'walltime {value!r} is not a duration; {hint}')
    if not math.isfinite(seconds) or not 1 <= seconds <= 365 * 86400:
        raise SetupError(f'walltime {value!r} is outside 1 s to 365 days; {hint}')
    return math.ceil(seconds)


def _positive_int(key: str, value: Any, upper: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= upper:
        raise SetupError(f'options.{key} = {value!r} is not an integer from 1 to {upper}')
    return value


def _name(key: str, value: Any) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise SetupError(
            f"options.{key} = {value!r} is not a scheduler name: letters, digits, '_', '.', '+', '-' (<= 64)"
        )
    return value


def run_options(options: Mapping[str, Any] | None) -> dict[str, Any]:
    """Translate run options into AiiDA ``metadata.options`` (without ``pools``, see :func:`pool_overrides`).

    Parameters
    ----------
    options : mapping, optional
        Keys of :data:`RUN_OPTION_KEYS`: ``num_machines`` (nodes), ``mpiprocs_per_machine`` (ranks per node;
        default the computer's), ``walltime`` (see :func:`parse_walltime`), ``queue`` (SLURM partition),
        ``account``, ``qos``, ``pools`` (ignored here).

    Returns
    -------
    dict
        ``metadata.options`` to pass as ``options`` to ``get_builder_from_protocol``; empty if nothing is given.

    Raises
    ------
    SetupError
        For an unknown key or an invalid value; the message names the key and what would be valid.
    """
    options = dict(options or {})
    unknown = sorted(set(options) - set(RUN_OPTION_KEYS))
    if unknown:
        raise SetupError(f'unknown run option(s) {", ".join(unknown)}; valid: {", ".join(RUN_OPTION_KEYS)}')
    result: dict[str, Any] = {}
    resources = {}
    if 'num_machines' in options:
        resources['num_machines'] = _positive_int('num_machines', options['num_machines'], 100000)
    if 'mpiprocs_per_machine' in options:
        resources['num_mpiprocs_per_machine'] = _positive_int(
            'mpiprocs_per_machine', options['mpiprocs_per_machine'], 4096
        )
    if resources:
        result['resources'] = resources
    if 'walltime' in options:
        result['max_wallclock_seconds'] = parse_walltime(options['walltime'])
    for key, option in (('queue', 'queue_name'), ('account', 'account'), ('qos', 'qos')):
        if key in options:
            result[option] = _name(key, options[key])
    if 'pools' in options:
        _positive_int('pools', options['pools'], 4096)
    return result


def pool_overrides(pools: int, workflow: str = 'pressure_point') -> dict[str, Any]:
    """Return builder overrides that run pw.x and ph.x with ``pools`` k-point pools.

    The total number of ranks of each run must be a multiple of ``pools`` (QE stops otherwise).

    Parameters
    ----------
    pools
        k-point pools (``npool`` of pw.x, ``-nk`` of ph.x), 1 to 4096.
    workflow
        ``'pressure_point'`` (relax, α²F and the optional enatom stage of ``enatom.pressure_point`` and
        ``enatom.sweep``) or ``'enatom'`` (``enatom.enatom`` alone).

    Returns
    -------
    dict
        Overrides for that WorkChain's ``get_builder_from_protocol``.
    """
    pools = _positive_int('pools', pools, 4096)
    pw = {'pw': {'parallelization': {'npool': pools}}}
    enatom = {'scf': pw}
    if workflow == 'enatom':
        return enatom
    if workflow != 'pressure_point':
        raise ValueError(f"workflow {workflow!r} is not 'pressure_point' or 'enatom'")
    return {
        'relax_base': pw,
        'alpha2f': {'scf': pw, 'ph': {'ph': {'settings': {'CMDLINE': ['-nk', str(pools)]}}}},
        'enatom': enatom,
    }

"""Calcfunction: merge the ``output_parameters`` of a ph.x run and its recover restarts into those of one run."""

from __future__ import annotations

import re

from aiida import orm
from aiida.engine import calcfunction

__all__ = ('merge_ph_restarts', 'merge_restart_parameters')

_DYNMAT = re.compile(r'dynamical_matrix_(\d+)$')


def _complete(value) -> bool:
    """Whether a parsed ``dynamical_matrix_<n>`` holds the frequencies of a finished q-point."""
    return isinstance(value, dict) and bool(value.get('frequencies'))


def merge_restart_parameters(outputs: list[dict]) -> dict:
    """Merge the parsed outputs of consecutive ph.x runs over one q-grid (each a recover restart of the one before).

    aiida-quantumespresso's ``merge_ph_outputs`` counts q-points by summing each run's list of irreducible
    representations, which is right when each run prints only the q-points it computes (a convergence restart) but
    counts q-points twice when a run was killed after finishing some and the restart prints them again. Here each
    ``dynamical_matrix_<n>`` (keyed by the position of its file in ``DYN_MAT``, so the same q has the same key in every
    run of one grid) is taken from the last run that holds it with frequencies, and the q-points are counted from
    those. ``mode_symmetry`` is not required: the parser attaches it by ph.x's q index, which differs from the file
    position in a ``start_q = last_q`` run.

    Parameters
    ----------
    outputs
        Parsed ``output_parameters`` of the runs, oldest first.

    Returns
    -------
    dict
        The last run's scalar keys, every complete ``dynamical_matrix_<iq>``, ``number_of_qpoints`` (the number of
        complete dynamical matrices, Γ's ``dynamical_matrix_0`` excepted when it is the grid file list),
        ``number_of_irr_representations_for_each_q`` (per q, from the run that computed it when known) and the summed
        ``wall_time_seconds``.
    """
    merged: dict = {}
    irreps: dict[int, int] = {}
    wall_time = 0.0
    for output in outputs:
        output = dict(output)
        wall_time += output.pop('wall_time_seconds', 0) or 0
        listed = output.pop('number_of_irr_representations_for_each_q', [])
        complete = sorted(
            int(match.group(1)) for key, value in output.items() if (match := _DYNMAT.match(key)) and _complete(value)
        )
        # The irreps lines a run prints end with the q-points it computed: align them with its last complete matrices.
        for index, count in zip(complete[::-1], listed[::-1], strict=False):
            irreps[index] = count
        for key, value in output.items():
            if _DYNMAT.match(key) and not _complete(value):
                continue
            merged[key] = value
    indices = sorted(int(match.group(1)) for key in merged if (match := _DYNMAT.match(key)) and match.group(1) != '0')
    merged['number_of_qpoints'] = len(indices)
    merged['number_of_irr_representations_for_each_q'] = [irreps.get(index, 0) for index in indices]
    merged['wall_time_seconds'] = wall_time
    return merged


@calcfunction
def merge_ph_restarts(**outputs: orm.Dict) -> orm.Dict:
    """Merge the ``output_parameters`` of a ph.x run and its restarts: :func:`merge_restart_parameters`.

    Parameters
    ----------
    **outputs
        ``output_parameters`` keyed ``output_1``, ``output_2``, … in the order the runs were made.

    Returns
    -------
    orm.Dict
        The merged parameters.
    """
    ordered = [outputs[key].get_dict() for key in sorted(outputs, key=lambda label: int(label.rsplit('_', 1)[1]))]
    return orm.Dict(merge_restart_parameters(ordered))

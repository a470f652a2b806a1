"""Calcfunction: merge the ``output_parameters`` of ph.x split by irreducible q-point into those of one run."""

from __future__ import annotations

from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.common.ph_split import merge_q_parameters, source_label

__all__ = ('merge_split_ph_outputs',)


@calcfunction
def merge_split_ph_outputs(number_of_qpoints: orm.Int, **outputs: orm.Dict) -> orm.Dict:
    """Merge the per-q ph.x ``output_parameters`` (``enatom.ph_split``) into those of a run over the whole grid.

    Parameters
    ----------
    number_of_qpoints
        Irreducible q-points of the grid, from the initialisation run.
    **outputs
        ``output_parameters`` of the ``start_q = last_q = iq`` runs, keyed ``q_0001``, ``q_0002``, …
        (:func:`~aiida_enatom.common.ph_split.source_label`).

    Returns
    -------
    orm.Dict
        ``dynamical_matrix_<iq>`` (``q_point``, ``frequencies`` in cm⁻¹, …) for every q, ``number_of_qpoints``,
        ``number_of_irr_representations_for_each_q`` and the summed ``wall_time_seconds``; see
        :func:`~aiida_enatom.common.ph_split.merge_q_parameters`.
    """
    count = number_of_qpoints.value
    labels = {source_label(index): index for index in range(1, count + 1)}
    unknown = sorted(set(outputs) - set(labels))
    if unknown:
        raise ValueError(f'unexpected labels {unknown}; expected {source_label(1)} to {source_label(count)}')
    return orm.Dict(merge_q_parameters({labels[key]: node.get_dict() for key, node in outputs.items()}, count))

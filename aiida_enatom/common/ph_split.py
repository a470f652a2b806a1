"""ph.x split by irreducible q-point: the on/off rule, the gathering instructions and the merged output (no AiiDA).

ph.x computes the irreducible q-points of a grid one after the other, and each one is independent of the others
once the SCF is given. ``enatom.ph_split`` (:mod:`aiida_enatom.workflows.ph_split`) therefore runs one ph.x per
irreducible q (``start_q = last_q = iq``), each from its own copy of the SCF folder, and gathers what q2r.x reads
into one folder. What Quantum ESPRESSO 6.7 writes in the folder of a ``start_q = last_q = iq`` run (checked on fcc Al,
2×2×2 q, interpolated el-ph):

* ``DYN_MAT/dynamical-matrix-0`` (the grid and the list of irreducible q, the same in every run) and
  ``DYN_MAT/dynamical-matrix-<iq>``: the global index iq, not 1;
* for ``electron_phonon``: ``elph_dir/elph.inp_lambda.<iq>`` and ``elph_dir/a2Fq2r.<50+isig>.<iq>``
  (isig = 1 … ``el_ph_nsigma``), nothing of the other q-points.

The dynamical matrix of the first q ≠ Γ is byte-identical to the single run's; for later q ph.x's non-self-consistent
run starts from other random wavefunctions (the random sequence continues within one ph.x process), so results agree
to ph.x's own reproducibility, not bit for bit: on fcc Al matrices to 1e-6 with a tight ``tr2_ph``, λ to about 2e-6.
A q-star may also be listed in another order and with other representatives q + G (q2r.x places matrices by q modulo
G).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aiida_enatom.exceptions import InputValidationError

__all__ = (
    'BATCH_SCHEDULERS',
    'DYN_MAT_FOLDER',
    'DYN_MAT_PREFIX',
    'ELPH_FOLDER',
    'SPLIT_KEYS',
    'SPLIT_MODES',
    'expected_files',
    'gather_instructions',
    'merge_q_parameters',
    'missing_files',
    'resolve_split',
    'source_label',
    'split_by_default',
)

DYN_MAT_FOLDER = 'DYN_MAT'
"""Folder of the dynamical matrices in a ph.x folder of aiida-quantumespresso (``PhCalculation``)."""

DYN_MAT_PREFIX = 'dynamical-matrix-'
"""Prefix of the dynamical-matrix files (``fildyn``); ``<prefix>0`` holds the q-grid."""

ELPH_FOLDER = 'elph_dir'
"""Folder in which ph.x writes the per-q el-ph files (``electron_phonon='interpolated'``)."""

SPLIT_KEYS = ('start_q', 'last_q', 'start_irr', 'last_irr')
"""``INPUTPH`` keys that the split sets itself (an input that sets them is refused)."""

SPLIT_MODES = ('auto', True, False)
"""Values of the ``ph_split_by_q`` protocol key."""

BATCH_SCHEDULERS = ('core.slurm', 'core.pbspro', 'core.torque', 'core.sge', 'core.lsf')
"""aiida-core scheduler plugins that place jobs on the nodes of a cluster (``core.direct`` runs them in place)."""


def split_by_default(scheduler_type: str, num_machines: int) -> bool:
    """Return whether ph.x is split by q when the protocol says ``ph_split_by_q: auto``.

    The rule: split when the computer has a batch scheduler (one of :data:`BATCH_SCHEDULERS`, which can place the
    q-point jobs on different nodes) and the ph.x run asks for more than one node's worth of ranks
    (``num_machines > 1``). On ``core.direct`` (a workstation, the embedded default) every job shares the same
    cores, so splitting only adds the per-job start-up.

    Parameters
    ----------
    scheduler_type
        Entry point of the computer's scheduler, e.g. ``'core.slurm'``.
    num_machines
        Nodes the ph.x run asks for (``metadata.options.resources.num_machines``).

    Returns
    -------
    bool
        True if the split is the default.
    """
    return scheduler_type in BATCH_SCHEDULERS and num_machines > 1


def resolve_split(value: Any, scheduler_type: str, num_machines: int) -> bool:
    """Return the ``ph_split_by_q`` setting for a protocol value (``'auto'``, true or false).

    Raises
    ------
    InputValidationError
        If ``value`` is none of :data:`SPLIT_MODES`.
    """
    if isinstance(value, bool):
        return value
    if value == 'auto':
        return split_by_default(scheduler_type, num_machines)
    raise InputValidationError(f"ph_split_by_q = {value!r} is not valid; give 'auto', true or false")


def source_label(index: int) -> str:
    """Return the label of the q-point job ``index`` (1-based) among the gathered folders (``q_0001``, …)."""
    return f'q_{index:04d}'


def expected_files(indices: Sequence[int], n_sigma: int | None) -> dict[str, list[str]]:
    """Return the file names q2r.x needs per folder, for irreducible q-points ``indices``.

    Parameters
    ----------
    indices
        1-based indices of the irreducible q-points (all of them).
    n_sigma
        ``el_ph_nsigma`` of an el-ph run (``None``: no el-ph files).

    Returns
    -------
    dict
        ``{'DYN_MAT': [...], 'elph_dir': [...]}`` (the second only with ``n_sigma``), sorted.
    """
    files = {DYN_MAT_FOLDER: sorted(f'{DYN_MAT_PREFIX}{index}' for index in [0, *indices])}
    if n_sigma is not None:
        names = [f'elph.inp_lambda.{index}' for index in indices]
        names += [f'a2Fq2r.{50 + sigma}.{index}' for index in indices for sigma in range(1, n_sigma + 1)]
        files[ELPH_FOLDER] = sorted(names)
    return files


def gather_instructions(indices: Sequence[int], electron_phonon: bool) -> dict[str, Any]:
    """Return the ``instructions`` of aiida-core's ``core.transfer`` that gather the q-point folders into one.

    The first q-point's ``DYN_MAT`` (with ``dynamical-matrix-0``) and ``elph_dir`` are copied as folders, which
    creates them in the target; every other q adds its own ``dynamical-matrix-<iq>`` and ``elph_dir/*.<iq>``. The
    result has the layout of a single ph.x run over the whole grid, which is what q2r.x reads.

    Parameters
    ----------
    indices
        1-based indices of the irreducible q-points, in order; the source node of q ``iq`` is labelled
        :func:`source_label` (``iq``).
    electron_phonon
        Whether the runs wrote ``elph_dir`` (``INPUTPH.electron_phonon`` set).

    Returns
    -------
    dict
        ``{'retrieve_files': False, 'remote_files': [(label, source, target), ...]}``.

    Raises
    ------
    InputValidationError
        If ``indices`` is empty or not 1, 2, … in order.
    """
    indices = list(indices)
    if not indices or indices != list(range(1, len(indices) + 1)):
        raise InputValidationError(f'q-point indices {indices} are not 1, 2, ..., N')
    first = source_label(indices[0])
    remote_files = [(first, DYN_MAT_FOLDER, DYN_MAT_FOLDER)]
    if electron_phonon:
        remote_files.append((first, ELPH_FOLDER, ELPH_FOLDER))
    for index in indices[1:]:
        label = source_label(index)
        name = f'{DYN_MAT_FOLDER}/{DYN_MAT_PREFIX}{index}'
        remote_files.append((label, name, name))
        if electron_phonon:
            remote_files.append((label, f'{ELPH_FOLDER}/*.{index}', ELPH_FOLDER))
    return {'retrieve_files': False, 'remote_files': remote_files}


def missing_files(expected: Mapping[str, Iterable[str]], present: Mapping[str, Iterable[str]]) -> list[str]:
    """Return ``folder/name`` of every expected file that is not present (sorted; empty if all are there)."""
    missing = []
    for folder, names in expected.items():
        have = set(present.get(folder, ()))
        missing.extend(f'{folder}/{name}' for name in names if name not in have)
    return sorted(missing)


def _q_matrix(index: int, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The one dynamical matrix with frequencies of the ``start_q = last_q = index`` run."""
    matrices = [
        value
        for key, value in parameters.items()
        if key.startswith('dynamical_matrix_') and isinstance(value, Mapping) and value.get('frequencies')
    ]
    if len(matrices) != 1:
        raise InputValidationError(
            f'the ph.x run of q-point {index} has {len(matrices)} dynamical matrices with frequencies, expected 1'
        )
    return dict(matrices[0])


def merge_q_parameters(outputs: Mapping[int, Mapping[str, Any]], number_of_qpoints: int) -> dict[str, Any]:
    """Merge the ``output_parameters`` of the per-q ph.x runs into those of one run over the whole grid.

    aiida-quantumespresso's parser numbers the dynamical matrices of a run by their position among the files it
    retrieved, so the one matrix of run ``iq`` is ``dynamical_matrix_1``; here it becomes ``dynamical_matrix_<iq>``,
    as in a single run. ``number_of_irr_representations_for_each_q`` is concatenated in q order,
    ``wall_time_seconds`` summed (CPU-time-like: the runs may overlap), and the remaining keys are taken from
    q-point 1.

    Parameters
    ----------
    outputs
        ``{iq: output_parameters}`` for iq = 1 … ``number_of_qpoints``.
    number_of_qpoints
        Irreducible q-points of the grid (from the initialisation run).

    Returns
    -------
    dict
        The merged parameters.

    Raises
    ------
    InputValidationError
        If a q-point is missing or its run has not exactly one dynamical matrix with frequencies.
    """
    indices = sorted(outputs)
    if indices != list(range(1, number_of_qpoints + 1)):
        raise InputValidationError(f'outputs of q-points {indices}, expected 1 to {number_of_qpoints}')
    merged = {
        key: value
        for key, value in outputs[1].items()
        if not key.startswith('dynamical_matrix_')
        and key not in ('wall_time_seconds', 'number_of_irr_representations_for_each_q')
    }
    irreps: list[int] = []
    wall_time = 0.0
    for index in indices:
        parameters = outputs[index]
        merged[f'dynamical_matrix_{index}'] = _q_matrix(index, parameters)
        irreps.extend(parameters.get('number_of_irr_representations_for_each_q', []))
        wall_time += float(parameters.get('wall_time_seconds', 0.0))
    merged['number_of_qpoints'] = number_of_qpoints
    merged['number_of_irr_representations_for_each_q'] = irreps
    merged['wall_time_seconds'] = wall_time
    return merged

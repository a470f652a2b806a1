"""Print, as one JSON line, the state of a campaign in a profile: sweeps, points with their records, CalcJobs.

Usage: ``python campaign_probe.py PROFILE GROUP``; run with ``AIIDA_PATH`` set (the fault tests call it in a
subprocess, so that the pytest process never loads the production profile). Every CalcJob is attributed to the
pressure point (or, for the vc-relaxes, the sweep) that called it, through its chain of callers.
"""

from __future__ import annotations

import json
import re
import sys

POINT_LABEL = 'PressurePointWorkChain'
SWEEP_LABEL = 'SweepWorkChain'


def _owner(node) -> tuple[str, str | None, float | None, int | None]:
    """Return (kind, candidate, pressure, pk) of the point or sweep that ``node`` runs for."""
    caller = node.caller
    while caller is not None:
        if caller.process_label == POINT_LABEL:
            extras = caller.base.extras
            return 'point', extras.get('enatom_candidate', None), extras.get('enatom_pressure_GPa', None), caller.pk
        if caller.process_label == SWEEP_LABEL:
            return 'sweep', caller.base.extras.get('enatom_candidate', None), None, caller.pk
        caller = caller.caller
    return 'none', None, None, None


#: QE's closing timing line, e.g. ``PHONON       :   2m31.52s CPU   2m40.01s WALL``.
_TIMING = re.compile(r'^\s*[A-Z0-9]+\s*:\s*(?P<cpu>[\dhms. ]+?)\s*CPU\s+(?P<wall>[\dhms. ]+?)\s*WALL', re.M)


def _seconds(text: str) -> float:
    """Return the seconds of a QE time such as ``1h 2m``, ``2m31.52s`` or ``0.41s``."""
    units = {'h': 3600.0, 'm': 60.0, 's': 1.0}
    return sum(float(value) * units[unit] for value, unit in re.findall(r'([\d.]+)\s*([hms])', text))


def _qe_times(node) -> tuple[float | None, float | None]:
    """Return (CPU, wall) seconds of rank 0 from the last timing line of the retrieved ``aiida.out``, if any."""
    try:
        matches = list(_TIMING.finditer(node.outputs.retrieved.base.repository.get_object_content('aiida.out')))
    except Exception:  # noqa: BLE001 - not retrieved (killed, failed) or no stdout: no timing
        return None, None
    if not matches:
        return None, None
    return _seconds(matches[-1]['cpu']), _seconds(matches[-1]['wall'])


def _stopped_on_error(node) -> bool | None:
    """Return whether the retrieved stdout of a failed ph.x run carries QE's error banner (None: no stdout)."""
    from aiida_enatom.workflows.ph_base import ERROR_MARKER

    try:
        text = node.outputs.retrieved.base.repository.get_object_content('aiida.out')
    except Exception:  # noqa: BLE001 - not retrieved or no stdout
        return None
    return ERROR_MARKER in text


def _called(node):
    """Yield every process that ``node`` called, directly or through its sub-processes (CALL links)."""
    for child in node.called:
        yield child
        yield from _called(child)


def _ph_frequencies(point) -> dict[str, list[float]] | None:
    """Return ph.x's frequencies (cm⁻¹) per dynamical-matrix file of the point's grid run (restarts merged)."""
    from aiida.common.links import LinkType

    for ph in _called(point):
        if ph.process_label != 'EnatomPhBaseWorkChain':
            continue
        if ph.base.links.get_incoming(link_type=LinkType.CALL_WORK).one().link_label != 'ph':
            continue  # e.g. the direct stability check's ph.x at one q
        if ph.is_finished_ok and 'output_parameters' in ph.outputs:
            parameters = ph.outputs.output_parameters.get_dict()
            return {
                key: value['frequencies']
                for key, value in parameters.items()
                if key.startswith('dynamical_matrix_') and isinstance(value, dict) and value.get('frequencies')
            }
    return None


def _state(node) -> str | None:
    return node.process_state.value if node.process_state else None


def main() -> None:
    """Load the profile and print the campaign's state."""
    from aiida import load_profile, orm

    profile, group_label = sys.argv[1], sys.argv[2]
    load_profile(profile)
    group = orm.load_group(group_label)
    sweeps, points = [], []
    for node in group.nodes:
        if not isinstance(node, orm.WorkChainNode):
            continue
        extras = node.base.extras
        entry = {
            'pk': node.pk,
            'candidate': extras.get('enatom_candidate', None),
            'state': _state(node),
            'exit_status': node.exit_status,
            'exit_message': node.exit_message,
        }
        if node.process_label == SWEEP_LABEL:
            entry['pressures'] = extras.get('enatom_pressures_GPa', None)
            sweeps.append(entry)
        elif node.process_label == POINT_LABEL:
            entry['pressure'] = extras.get('enatom_pressure_GPa', None)
            entry['status'] = extras.get('enatom_status', None)
            record = node.outputs.results.get_dict() if 'results' in node.outputs else None
            entry['record'] = record
            if record is not None:
                query = orm.QueryBuilder()
                query.append(orm.Dict, filters={'id': node.outputs.results.pk}, tag='record')
                query.append(orm.CalcJobNode, with_descendants='record', project='attributes.process_label')
                entry['record_ancestors'] = sorted({label for (label,) in query.all()})
            entry['ph_frequencies_cm1'] = _ph_frequencies(node)
            points.append(entry)
    sweep_pks = {sweep['pk'] for sweep in sweeps}
    calcjobs = []
    query = orm.QueryBuilder().append(orm.CalcJobNode)
    for (node,) in query.iterall():
        kind, candidate, pressure, owner = _owner(node)
        top = node.caller
        while top is not None and top.pk not in sweep_pks:
            top = top.caller
        if top is None:
            continue  # not part of this campaign
        parent = node.inputs.parent_folder.creator.pk if 'parent_folder' in node.inputs else None
        parameters = node.inputs.parameters.get_dict() if 'parameters' in node.inputs else {}
        cpu, wall = _qe_times(node)
        calcjobs.append(
            {
                'pk': node.pk,
                'label': node.process_label,
                'caller_label': node.caller.process_label if node.caller else None,
                'caller_pk': node.caller.pk if node.caller else None,
                'state': _state(node),
                'exit_status': node.exit_status,
                'job_id': node.get_job_id(),
                'scheduler_state': node.get_scheduler_state().value if node.get_scheduler_state() else None,
                'workdir': node.get_remote_workdir(),
                'owner': kind,
                'owner_pk': owner,
                'candidate': candidate,
                'pressure': pressure,
                'parent_calc': parent,
                'recover': parameters.get('INPUTPH', {}).get('recover'),
                'max_seconds': parameters.get('INPUTPH', {}).get('max_seconds'),
                'walltime': node.get_option('max_wallclock_seconds'),
                'qe_cpu_s': cpu,
                'qe_wall_s': wall,
                'stopped_on_error': _stopped_on_error(node) if node.exit_status not in (0, None) else None,
            }
        )
    query = orm.QueryBuilder().append(orm.ProcessNode, filters={'attributes.process_state': 'excepted'})
    excepted = [
        {'pk': node.pk, 'label': node.process_label, 'exception': (node.exception or '')[-4000:]}
        for (node,) in query.iterall()
    ]
    query = orm.QueryBuilder().append(
        orm.ProcessNode, filters={'attributes.process_state': {'in': ['created', 'waiting', 'running']}}
    )
    active = [
        {'pk': node.pk, 'label': node.process_label, 'state': _state(node), 'status': node.process_status}
        for (node,) in query.iterall()
    ]
    ended = ('finished', 'excepted', 'killed')
    # a sweep that excepted leaves the points it had submitted running: the campaign has ended when they have too
    terminated = bool(sweeps) and all(entry['state'] in ended for entry in sweeps + points)
    state = {
        'sweeps': sweeps,
        'points': points,
        'calcjobs': calcjobs,
        'excepted': excepted,
        'active': active,
        'terminated': terminated,
    }
    print(json.dumps(state))


if __name__ == '__main__':
    main()

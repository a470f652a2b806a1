"""A finished campaign: pressure continuation (ionic steps saved) and engine overhead per point.

Usage (on the profile that ran the campaign)::

    python benchmarks/bench_campaign.py GROUP [--cold]

For every ``enatom.sweep`` of the group it prints, per pressure, the ionic (BFGS) steps and wall time of the vc-relax
started from the previous pressure's cell. With ``--cold`` it also runs, for each pressure after the first, the
sweep's first vc-relax again at that pressure (a cold start from the candidate's structure, with the pre-relaxation if
the protocol has one) and prints the steps and wall time saved. Run it with the daemon stopped on an embedded SQLite
profile: it writes to the database (see docs/setup.md, "database is locked"). For every pressure point it prints
the engine overhead: point wall time minus Quantum ESPRESSO's own wall time, as a ratio of the QE time (target
≤ 5 % at ``fast``), with the split used by ``bench_pressure_point.py``.
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

TARGET_OVERHEAD = 0.05


def relax_rows(sweep) -> list[tuple[float, int, float, object]]:
    """(target GPa, ionic steps, wall s, node) of each vc-relax of a sweep, in pressure order."""
    rows = []
    for link in sweep.base.links.get_outgoing().all():
        if not link.link_label.startswith('relax_'):
            continue
        node = link.node
        pressure = node.inputs.base_relax.pw.parameters['CELL']['press'] / 10.0
        steps = node.outputs.output_trajectory.numsteps if 'output_trajectory' in node.outputs else 0
        rows.append((pressure, int(steps), (node.mtime - node.ctime).total_seconds(), node))
    return sorted(rows, key=lambda row: row[0])


def cold_relax(cold, warm) -> tuple[int, float]:
    """Run the vc-relax of ``warm`` again as a cold start; return (ionic steps, wall s).

    The cold start is the sweep's own first vc-relax (``cold``: from the candidate's input structure, with the
    protocol's pre-relaxation if it has one) restarted with ``warm``'s target pressure, so that everything but the
    starting cell and the pressure is what the sweep ran. Restarting the stored process keeps its ``metadata``
    (resources, options), which a namespace of stored input nodes alone does not carry.
    """
    from aiida import orm
    from aiida.engine import run_get_node

    press = warm.inputs.base_relax.pw.parameters['CELL']['press']
    builder = cold.get_builder_restart()
    for namespace in ('base_relax', 'base_init_relax'):
        if namespace in cold.inputs:
            parameters = cold.inputs[namespace].pw.parameters.get_dict()
            parameters['CELL']['press'] = press
            builder[namespace]['pw']['parameters'] = orm.Dict(parameters)
    _, node = run_get_node(builder)
    steps = node.outputs.output_trajectory.numsteps if 'output_trajectory' in node.outputs else 0
    return int(steps), (node.mtime - node.ctime).total_seconds()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('group')
    parser.add_argument('--cold', action='store_true', help='Also run cold-start relaxes for comparison.')
    args = parser.parse_args()
    from aiida import load_profile, orm

    load_profile()
    from bench_pressure_point import analyse

    query = orm.QueryBuilder()
    query.append(orm.Group, filters={'label': args.group}, tag='g')
    query.append(orm.WorkChainNode, with_group='g', filters={'attributes.process_label': 'SweepWorkChain'})
    sweeps = [node for (node,) in query.iterall()]
    print(f'{len(sweeps)} sweep(s) in {args.group!r}')
    saved_steps = saved_time = 0.0
    for sweep in sweeps:
        rows = relax_rows(sweep)
        print(f'SweepWorkChain<{sweep.pk}> {sweep.base.extras.get("enatom_candidate", "")}')
        for index, (pressure, steps, wall, node) in enumerate(rows):
            line = f'  {pressure:7.1f} GPa  {"cold" if index == 0 else "warm"} relax: {steps:3d} steps {wall:7.1f} s'
            if args.cold and index > 0:
                cold_steps, cold_wall = cold_relax(rows[0][3], node)
                saved_steps += cold_steps - steps
                saved_time += cold_wall - wall
                line += f'   cold start: {cold_steps:3d} steps {cold_wall:7.1f} s'
            print(line)
    if args.cold:
        print(f'continuation saved {saved_steps:.0f} ionic steps and {saved_time:.0f} s of vc-relax in total')
    query = orm.QueryBuilder()
    query.append(orm.Group, filters={'label': args.group}, tag='g')
    query.append(
        orm.WorkChainNode,
        with_group='g',
        # finished points only: superseded attempts (killed, orphaned) have CalcJobs that never retrieved anything
        filters={
            'attributes.process_label': 'PressurePointWorkChain',
            'attributes.process_state': 'finished',
            'extras': {'!has_key': 'enatom_superseded_by'},
        },
    )
    ratios = []
    for (point,) in query.iterall():
        split = analyse(point)
        overhead = split['total'] - split['qe']
        ratio = overhead / split['qe'] if split['qe'] else float('nan')
        ratios.append(ratio)
        print(
            f'  point {point.pk}: wall {split["total"]:7.1f} s, QE {split["qe"]:7.1f} s, overhead {overhead:6.1f} s '
            f'({ratio:.3f} of QE), our calcfunctions {split["ours"]:.1f} s'
        )
    if ratios:
        median = statistics.median(ratios)
        print(f'engine overhead per point: median {median:.3f} of QE time (target {TARGET_OVERHEAD})')
    return 0


if __name__ == '__main__':
    sys.exit(main())

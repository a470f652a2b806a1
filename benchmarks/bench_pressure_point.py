"""Wall time of enatom.pressure_point for H3S at 200 GPa, split into Quantum ESPRESSO time and everything else.

Usage (never on ~/.aiida: point AIIDA_PATH at a scratch directory; `aiida-enatom setup` is run there first)::

    AIIDA_PATH=/tmp/bench_enatom python benchmarks/bench_pressure_point.py [--protocol fast] [--pk PK]

With ``--pk`` an existing run is analysed instead of launching a new one. Reported:

* total wall time of the WorkChain (ctime to mtime of its node);
* QE time: the sum over CalcJobs of QE's own ``wall_time_seconds`` (output_parameters; taken from the
  retrieved ``aiida.out`` "WALL" line where the parser does not store it);
* CalcJob wall (node ctime → mtime: upload, scheduler, retrieve, parse);
* our calcfunctions: the sum of ctime → mtime of the aiida-enatom calcfunctions;
* everything else = total − QE time, as a share of the total, and the calcfunction time / QE time (target ≤ 5 %);
* ph.x per irreducible q: the q-point, its number of k and k+q points and its wall time (from ph.x's cumulative
  "PHONON ... WALL" lines), and the wall time per such k-point, which is what extrapolates to other q-grids.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import time

_TIME = r'(?:(\d+)h\s*)?(?:(\d+)m\s*)?([\d.]+)s'
TIMES = re.compile(rf'(?:PWSCF|PHONON|PROJWFC|Q2R|MATDYN)\s*:\s*{_TIME}\s+CPU\s+{_TIME}\s+WALL')
CODES = ('pw', 'ph', 'q2r', 'matdyn', 'projwfc')


def _seconds(hours, minutes, seconds) -> float:
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds)


def _qe_times(node) -> tuple[float, float]:
    """Return QE's own (wall, CPU) seconds of one CalcJob: output_parameters, else the last timing line of aiida.out."""
    text = node.outputs.retrieved.base.repository.get_object_content('aiida.out')
    matches = list(TIMES.finditer(text))
    cpu = _seconds(*matches[-1].groups()[:3]) if matches else 0.0
    parameters = node.outputs.output_parameters.get_dict() if 'output_parameters' in node.outputs else {}
    if 'wall_time_seconds' in parameters:
        return float(parameters['wall_time_seconds']), cpu
    return (_seconds(*matches[-1].groups()[3:]) if matches else 0.0), cpu


QPOINT = re.compile(r'Calculation of q\s*=\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)')
NKPOINTS = re.compile(r'number of k points=\s*(\d+)')


def ph_per_qpoint(text: str) -> list[tuple[tuple[float, float, float], int, float]]:
    """Return (q in 2π/alat, k and k+q points, wall seconds) per irreducible q of a ph.x ``aiida.out``.

    A q-point's time runs from ph.x's cumulative PHONON wall time printed when its k-points are set up to the one
    printed at the next q-point (or at the end), so the start-up before the first q is left out.
    """
    qpoints = [(m.start(), tuple(float(v) for v in m.groups())) for m in QPOINT.finditer(text)]
    nks = [(m.start(), int(m.group(1))) for m in NKPOINTS.finditer(text)]
    walls = [(m.start(), _seconds(*m.groups()[3:])) for m in TIMES.finditer(text) if 'PHONON' in m.group(0)]
    if not qpoints or not walls:
        return []
    bounds = [position for position, _ in qpoints] + [len(text)]
    rows = []
    for (position, q), next_position in zip(qpoints, bounds[1:], strict=True):
        inside = [seconds for where, seconds in walls if position < where < next_position]
        after = [seconds for where, seconds in walls if where > next_position]
        start = inside[0] if inside else 0.0
        stop = after[0] if after else walls[-1][1]
        nk = next((count for where, count in nks if position < where < next_position), 0)
        rows.append((q, nk, stop - start))
    return rows


def analyse(node) -> dict:
    """Return the time split of a finished pressure-point node."""
    from aiida import orm

    total = (node.mtime - node.ctime).total_seconds()
    qe = qe_cpu = calcjob = ours = 0.0
    rows = []
    for descendant in node.called_descendants:
        duration = (descendant.mtime - descendant.ctime).total_seconds()
        if isinstance(descendant, orm.CalcJobNode):
            wall, cpu = _qe_times(descendant)
            qe += wall
            qe_cpu += cpu
            calcjob += duration
            rows.append((descendant.process_label, duration, wall))
        elif isinstance(descendant, orm.CalcFunctionNode):
            process_type = descendant.process_type or ''
            if process_type.startswith(('aiida_enatom.', 'aiida.calculations:enatom.')):
                ours += duration
            rows.append((descendant.process_label, duration, None))
    return {'total': total, 'qe': qe, 'qe_cpu': qe_cpu, 'calcjob': calcjob, 'ours': ours, 'rows': rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--protocol', default='fast', choices=['test', 'fast', 'balanced', 'stringent'])
    parser.add_argument('--pressure', type=float, default=200.0, help='GPa')
    parser.add_argument('--pk', type=int, default=None, help='analyse this finished pressure point instead')
    args = parser.parse_args()
    if 'AIIDA_PATH' not in os.environ:
        sys.exit('set AIIDA_PATH to a scratch directory first (never use ~/.aiida)')
    from aiida_enatom.setup.main import run_setup

    setup = run_setup()  # idempotent: the 'enatom' profile, localhost, codes and offline family under AIIDA_PATH
    from aiida import orm

    print(
        f'machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, '
        f'Python {platform.python_version()}'
    )
    if args.pk is None:
        from aiida_enatom.campaign.launch import run_in_process
        from aiida_enatom.common.structures import prototype_structure
        from aiida_enatom.workflows.pressure_point import PressurePointWorkChain

        structure = orm.StructureData(pymatgen=prototype_structure('H3S'))
        codes = {label: f'{label}@localhost' for label in CODES}
        overrides = {'pseudo_family': setup.family_label, 'alpha2f': {'pseudo_family': setup.family_label}}
        builder = PressurePointWorkChain.get_builder_from_protocol(
            codes, structure, pressure=args.pressure, protocol=args.protocol, overrides=overrides
        )
        start = time.perf_counter()
        node = run_in_process(builder)  # as `aiida-enatom launch` and an in-process campaign run it
        print(
            f'PressurePointWorkChain<{node.pk}> exit status {node.exit_status} in {time.perf_counter() - start:.1f} s'
        )
    else:
        node = orm.load_node(args.pk)
    result = analyse(node)
    for label, duration, wall in result['rows']:
        qe = f'{wall:8.1f}' if wall is not None else '        '
        print(f'  {label:<28s} node {duration:8.1f} s   QE {qe} s')
    total, qe = result['total'], result['qe']
    print(f'total wall time                 {total:8.1f} s')
    print(f'QE wall time (sum of CalcJobs)   {qe:8.1f} s')
    cpu = result['qe_cpu']
    print(f'QE CPU time (MPI rank 0)         {cpu:8.1f} s   CPU/wall {cpu / qe:.2f} (< 1: CPU contention)')
    print(f'CalcJob node time (incl. QE)     {result["calcjob"]:8.1f} s')
    print(f'everything else                  {total - qe:8.1f} s   share {(total - qe) / total:.3f}')
    ratio = result['ours'] / qe
    print(f'our calcfunctions                {result["ours"]:8.1f} s   / QE time = {ratio:.3f} (target ≤ 0.05)')
    for descendant in node.called_descendants:
        if isinstance(descendant, orm.CalcJobNode) and descendant.process_label.endswith('PhCalculation'):
            rows = ph_per_qpoint(descendant.outputs.retrieved.base.repository.get_object_content('aiida.out'))
            print(f'ph.x per irreducible q ({descendant.process_label}<{descendant.pk}>):')
            for q, nk, seconds in rows:
                print(f'  q = ({q[0]:7.4f} {q[1]:7.4f} {q[2]:7.4f}) 2π/alat  {nk:6d} k   {seconds / 60:6.2f} min')
            nk_total, seconds_total = sum(row[1] for row in rows), sum(row[2] for row in rows)
            if nk_total:
                print(
                    f'  {len(rows)} q, {nk_total} k and k+q points, {seconds_total / 60:.2f} min, '
                    f'{seconds_total / nk_total:.3f} s per k-point'
                )
    if args.protocol == 'fast' and ratio > 0.05:
        sys.exit('our calcfunctions exceed 5 % of the QE wall time')


if __name__ == '__main__':
    main()

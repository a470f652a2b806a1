"""Wall time of enatom.pressure_point for H3S at 200 GPa, split into Quantum ESPRESSO time and everything else.

Usage (never on ~/.aiida: point AIIDA_PATH at a scratch directory; a profile is created there if needed)::

    AIIDA_PATH=/tmp/bench_enatom python benchmarks/bench_pressure_point.py [--protocol fast] [--pk PK] [--profile P]

With ``--pk`` an existing run is analysed instead of launching a new one. Reported:

* total wall time of the WorkChain (ctime to mtime of its node);
* QE time: the sum over CalcJobs of QE's own ``wall_time_seconds`` (output_parameters; taken from the
  retrieved ``aiida.out`` "WALL" line where the parser does not store it);
* CalcJob wall (node ctime → mtime: upload, scheduler, retrieve, parse);
* our calcfunctions: the sum of ctime → mtime of the aiida-enatom calcfunctions;
* everything else = total − QE time, as a share of the total, and the calcfunction time / QE time (target ≤ 5 %).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

_TIME = r'(?:(\d+)h\s*)?(?:(\d+)m\s*)?([\d.]+)s'
TIMES = re.compile(rf'(?:PWSCF|PHONON|PROJWFC|Q2R|MATDYN)\s*:\s*{_TIME}\s+CPU\s+{_TIME}\s+WALL')
CODES = {'pw': 'pw.x', 'ph': 'ph.x', 'q2r': 'q2r.x', 'matdyn': 'matdyn.x', 'projwfc': 'projwfc.x'}
PREPEND = 'export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1'


def _profile(name: str):
    from aiida import load_profile
    from aiida.manage.configuration import get_config, reset_config

    if 'AIIDA_PATH' not in os.environ:
        sys.exit('set AIIDA_PATH to a scratch directory first (never use ~/.aiida)')
    try:
        names = [profile.name for profile in get_config().profiles]
    except Exception:  # noqa: BLE001 - no configuration yet
        names = []
    if name not in names:
        import subprocess

        subprocess.run(
            ['verdi', 'presto', '--profile-name', name, '--no-broker', '--email', 'bench@example.com', '-n'],
            check=True,
        )
        reset_config()
    load_profile(name, allow_switch=True)


def _setup():
    """Computer prepend text, codes 'pw@localhost'... and the offline family (as `aiida-enatom setup` does)."""
    from aiida import orm
    from aiida_pseudo.data.pseudo.upf import UpfData
    from aiida_pseudo.groups.family import CutoffsPseudoPotentialFamily

    from aiida_enatom.pseudos.generate import generate_pseudopotentials, recommended_cutoffs

    computer = orm.load_computer('localhost')
    computer.set_prepend_text(PREPEND)
    computer.configure(safe_interval=0.0)
    for label, executable in CODES.items():
        try:
            orm.load_code(f'{label}@localhost')
        except Exception:  # noqa: BLE001
            orm.InstalledCode(
                computer=computer,
                filepath_executable=shutil.which(executable),
                label=label,
                default_calc_job_plugin=f'quantumespresso.{label}',
            ).store()
    if not orm.QueryBuilder().append(orm.Group, filters={'label': 'enatom-pbe-offline'}).count():
        directory = Path(tempfile.mkdtemp())
        generate_pseudopotentials(['H', 'S'], directory)
        family = CutoffsPseudoPotentialFamily.create_from_folder(directory, 'enatom-pbe-offline', pseudo_type=UpfData)
        family.set_cutoffs(recommended_cutoffs('normal', ['H', 'S']), 'normal', unit='Ry')


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
            if (descendant.process_type or '').startswith('aiida_enatom.'):
                ours += duration
            rows.append((descendant.process_label, duration, None))
    return {'total': total, 'qe': qe, 'qe_cpu': qe_cpu, 'calcjob': calcjob, 'ours': ours, 'rows': rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--protocol', default='fast', choices=['test', 'fast', 'balanced', 'stringent'])
    parser.add_argument('--pressure', type=float, default=200.0, help='GPa')
    parser.add_argument('--pk', type=int, default=None, help='analyse this finished pressure point instead')
    parser.add_argument('--profile', default='bench', help='AiiDA profile (created with verdi presto if missing)')
    args = parser.parse_args()
    _profile(args.profile)
    from aiida import orm

    if args.pk is None:
        from aiida.engine import run_get_node
        from pymatgen.core import Lattice, Structure

        from aiida_enatom.workflows.pressure_point import PressurePointWorkChain

        _setup()
        conventional = Structure.from_spacegroup('Im-3m', Lattice.cubic(3.0), ['S', 'H'], [[0, 0, 0], [0.5, 0, 0]])
        structure = orm.StructureData(pymatgen=conventional.get_primitive_structure())
        codes = {label: f'{label}@localhost' for label in CODES}
        builder = PressurePointWorkChain.get_builder_from_protocol(
            codes, structure, pressure=args.pressure, protocol=args.protocol
        )
        start = time.perf_counter()
        _, node = run_get_node(builder)
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
    print(f'our calcfunctions                {result["ours"]:8.1f} s   / QE time = {result["ours"] / qe:.3f}')


if __name__ == '__main__':
    main()

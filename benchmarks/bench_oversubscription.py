"""Two 2-rank pw.x at once on a 2-core workstation, with and without OpenMPI's ``mpi_yield_when_idle``.

A sweep runs the α²F stages of its pressures concurrently, and on ``localhost`` (``core.direct``) nothing stops two
2-rank QE jobs from sharing 2 cores. Each ``mpirun`` believes it owns the cores, so by default its ranks spin in MPI
while their partner waits for the CPU. This script times one pw.x SCF alone (fcc Al, Debian's ``Al.pz-vbc.UPF``,
25/100 Ry, k 14³ without symmetry), then two copies at once without and with ``OMPI_MCA_mpi_yield_when_idle=1`` (what
``aiida-enatom setup`` now puts in the computer's prepend text), and prints the wall times and their ratio to running
the two one after the other.

Run on an otherwise idle machine: ``python benchmarks/bench_oversubscription.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PSEUDO_DIR = '/usr/share/espresso/pseudo'
INPUT = """&CONTROL
  calculation = 'scf', prefix = 'al', outdir = './out', pseudo_dir = '{pseudo_dir}'
/
&SYSTEM
  ibrav = 2, celldm(1) = 7.5, nat = 1, ntyp = 1, ecutwfc = 25.0, ecutrho = 100.0,
  occupations = 'smearing', smearing = 'mv', degauss = 0.02, nosym = .true.
/
&ELECTRONS
  conv_thr = 1.0d-10
/
ATOMIC_SPECIES
 Al 26.98 Al.pz-vbc.UPF
ATOMIC_POSITIONS alat
 Al 0.00 0.00 0.00
K_POINTS automatic
 14 14 14 0 0 0
"""


def run_pw(folder: Path, env: dict[str, str]) -> float:
    """Run ``mpirun -np 2 pw.x -nk 2`` in ``folder``; return the wall time in s."""
    folder.mkdir()
    (folder / 'pw.in').write_text(INPUT.format(pseudo_dir=PSEUDO_DIR))
    start = time.perf_counter()
    with open(folder / 'pw.out', 'w') as out:
        subprocess.run(
            ['mpirun', '-np', '2', 'pw.x', '-nk', '2', '-in', 'pw.in'], cwd=folder, env=env, stdout=out, check=True
        )
    return time.perf_counter() - start


def concurrent(root: Path, tag: str, env: dict[str, str]) -> float:
    """Wall time (s) of two copies started together."""
    start = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda i: run_pw(root / f'{tag}{i}', env), range(2)))
    return time.perf_counter() - start


def main() -> None:
    if shutil.which('pw.x') is None or not Path(PSEUDO_DIR, 'Al.pz-vbc.UPF').exists():
        raise SystemExit('needs Debian quantum-espresso and quantum-espresso-data (apt-get install)')
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT='1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM='1', OMP_NUM_THREADS='1')
    env.pop('OMPI_MCA_mpi_yield_when_idle', None)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        alone = run_pw(root / 'alone', env)
        spinning = concurrent(root, 'spin', env)
        yielding = concurrent(root, 'yield', dict(env, OMPI_MCA_mpi_yield_when_idle='1'))
    print(f'one pw.x alone (2 ranks):              {alone:7.1f} s')
    print(f'two at once, default (spinning):       {spinning:7.1f} s  ratio to 2 x alone {spinning / (2 * alone):.2f}')
    print(f'two at once, mpi_yield_when_idle=1:    {yielding:7.1f} s  ratio to 2 x alone {yielding / (2 * alone):.2f}')


if __name__ == '__main__':
    main()

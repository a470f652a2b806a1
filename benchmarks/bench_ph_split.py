"""CPU-time overhead of ph.x split by irreducible q-point (``enatom.ph_split``) against one ph.x run over the grid.

Run with ``nice -n 10 .venv/bin/python benchmarks/bench_ph_split.py [--mesh 2 4] [--keep DIR]``. For fcc Al (Debian's
LDA pseudopotential, 12/48 Ry, k 4³ with la2F, MV 0.05 Ry; interpolated el-ph, 10 broadenings) and each q-mesh it runs,
serially and outside AiiDA (so that only QE's own cost is counted):

1. pw.x SCF with ``la2F``;
2. ph.x over the whole grid (the single run);
3. ph.x with ``start_irr = last_irr = 0`` (the split's initialisation) and one ph.x per irreducible q
   (``start_q = last_q = iq``), each in its own copy of the SCF folder, as ``enatom.ph_split`` runs them.

CPU time is user + system time of each ph.x process (``os.wait4``), so the load of other processes on the machine
does not enter it (wall time does, and is printed only for information). Prints per-q CPU times, the split's total
(initialisation + q-points) over the single run, and the largest difference of the dynamical matrices C(q), matched
by q modulo reciprocal-lattice vectors (ph.x may list a q-star in another order and with other representatives
q + G in the two runs), relative to their largest element.
The AiiDA side (one EnatomPhBaseWorkChain per q, the gathering) adds about 2-4 s of engine time per CalcJob on this
machine and no QE time; it is not counted here.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PSEUDO_DIR = '/usr/share/espresso/pseudo'

SCF = """&CONTROL
  calculation='scf', prefix='aiida', outdir='./out/', pseudo_dir='{pseudo_dir}'
/
&SYSTEM
  ibrav=2, celldm(1)=7.5, nat=1, ntyp=1, ecutwfc=12.0, ecutrho=48.0,
  occupations='smearing', smearing='mv', degauss=0.05, la2F=.true.
/
&ELECTRONS
  conv_thr=1e-10
/
ATOMIC_SPECIES
Al 26.98 Al.pz-vbc.UPF
ATOMIC_POSITIONS alat
Al 0 0 0
K_POINTS automatic
{k} {k} {k} 0 0 0
"""

PH = """&INPUTPH
  tr2_ph={tr2_ph}, prefix='aiida', outdir='./out/', fildyn='DYN_MAT/dynamical-matrix-', verbosity='high',
  electron_phonon='interpolated', el_ph_sigma=0.005, el_ph_nsigma=10, fildvscf='dvscf',
  ldisp=.true., nq1={q}, nq2={q}, nq3={q}{extra}
/
"""


def run(executable: str, folder: Path, input_text: str) -> tuple[float, float, str]:
    """Run ``executable -in in`` in ``folder``; return (CPU seconds of the process, wall seconds, stdout)."""
    (folder / 'in').write_text(input_text)
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    start = time.perf_counter()
    with (folder / 'out.txt').open('w') as stdout:
        process = subprocess.Popen(
            [executable, '-in', 'in'], cwd=folder, stdout=stdout, stderr=subprocess.DEVNULL, env=env
        )
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    text = (folder / 'out.txt').read_text()
    if status != 0:
        raise RuntimeError(f'{executable} in {folder} exited with status {status}:\n{text[-2000:]}')
    return usage.ru_utime + usage.ru_stime, wall, text


def ph_folder(root: Path, name: str, scf: Path) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / 'DYN_MAT').mkdir()
    shutil.copytree(scf / 'out', folder / 'out')
    return folder


def by_q(dyn) -> dict:
    """``{reduced q mod 1 (rounded): C(q)}`` of a dynamical-matrix file.

    ph.x may list a q-star in another order, and with other representatives q + G, in the two runs; C(q + G) = C(q).
    """
    keys = np.round(np.mod(np.round(dyn.q_points_reduced, 6), 1.0), 6) % 1.0
    return {tuple(float(x) + 0.0 for x in key): matrix for key, matrix in zip(keys, dyn.matrices, strict=True)}


def benchmark(root: Path, q: int, tr2_ph: float) -> dict:
    from aiida_enatom.io.qe_dyn import parse_dyn_file

    scf = root / 'scf'
    scf.mkdir()
    run('pw.x', scf, SCF.format(pseudo_dir=PSEUDO_DIR, k=4))

    single_cpu, single_wall, _ = run('ph.x', ph_folder(root, 'single', scf), PH.format(tr2_ph=tr2_ph, q=q, extra=''))
    init_cpu, init_wall, text = run(
        'ph.x', ph_folder(root, 'init', scf), PH.format(tr2_ph=tr2_ph, q=q, extra=', start_irr=0, last_irr=0')
    )
    count = int(re.search(r'\(\s*(\d+)\s*q-points\)', text).group(1))
    per_q = []
    for index in range(1, count + 1):
        extra = f', start_q={index}, last_q={index}'
        cpu, wall, _ = run('ph.x', ph_folder(root, f'q{index}', scf), PH.format(tr2_ph=tr2_ph, q=q, extra=extra))
        per_q.append((cpu, wall))

    worst = 0.0
    for index in range(1, count + 1):
        name = f'dynamical-matrix-{index}'
        ours = by_q(parse_dyn_file(root / f'q{index}' / 'DYN_MAT' / name))
        theirs = by_q(parse_dyn_file(root / 'single' / 'DYN_MAT' / name))
        if set(ours) != set(theirs):
            raise RuntimeError(f'{name}: the split and the single run have different q-stars')
        largest = max(float(abs(matrix).max()) for matrix in theirs.values())
        worst = max(worst, max(float(abs(ours[q] - theirs[q]).max()) for q in theirs) / largest)
    split_cpu = init_cpu + sum(cpu for cpu, _ in per_q)
    return {
        'q': q,
        'count': count,
        'single_cpu': single_cpu,
        'single_wall': single_wall,
        'init_cpu': init_cpu,
        'init_wall': init_wall,
        'per_q': per_q,
        'split_cpu': split_cpu,
        'worst_dyn': worst,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--mesh', type=int, nargs='+', default=[2, 4], help='q-meshes n (n×n×n) to run')
    parser.add_argument('--tr2-ph', type=float, default=1.0e-14, help='ph.x tr2_ph')
    parser.add_argument('--keep', type=Path, help='keep the run folders under this directory')
    arguments = parser.parse_args()
    for executable in ('pw.x', 'ph.x'):
        if shutil.which(executable) is None:
            print(f'{executable} is not on PATH: install it with `apt-get install quantum-espresso`')
            return 1
    for q in arguments.mesh:
        if arguments.keep:
            root = arguments.keep / f'q{q}'
            root.mkdir(parents=True)
            result = benchmark(root, q, arguments.tr2_ph)
        else:
            with tempfile.TemporaryDirectory(prefix='bench_ph_split_') as directory:
                result = benchmark(Path(directory), q, arguments.tr2_ph)
        print(f'fcc Al, q {q}x{q}x{q}: {result["count"]} irreducible q, tr2_ph {arguments.tr2_ph:g}')
        print(f'  single ph.x          CPU {result["single_cpu"]:7.2f} s   (wall {result["single_wall"]:6.1f} s)')
        print(f'  split initialisation CPU {result["init_cpu"]:7.2f} s   (wall {result["init_wall"]:6.1f} s)')
        for index, (cpu, wall) in enumerate(result['per_q'], start=1):
            print(f'  split q {index:<3d}          CPU {cpu:7.2f} s   (wall {wall:6.1f} s)')
        ratio = result['split_cpu'] / result['single_cpu']
        print(f'  split total          CPU {result["split_cpu"]:7.2f} s   = {ratio:.2f} x the single run')
        print(f'  dynamical matrices: largest relative difference {result["worst_dyn"]:.1e}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

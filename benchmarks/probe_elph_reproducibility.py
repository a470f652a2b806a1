"""How far ph.x 6.7's ``interpolated`` el-ph reproduces itself when ph.x runs in other processes.

Run with ``nice -n 10 .venv/bin/python benchmarks/probe_elph_reproducibility.py [--ranks 2] [--keep DIR]``.
For fcc Al at the ``test`` protocol's settings (the project's ld1.x PBE pseudopotential, a = 3.80 Å, 25/200 Ry, MV
0.02 Ry, ph.x k 4³, q 2³, 10 broadenings from 0.005 Ry) it runs, outside AiiDA, two SCF pairs: the la2F mesh 8³ as
the protocol has it, and the la2F mesh equal to ph.x's 4³ (a control). For each, ph.x runs

* ``reference``: once over the grid on ``--ranks`` ranks and as many pools (as the protocols run it);
* ``one-rank``: the same on one rank;
* ``fresh``: each q ≠ Γ in its own process (``start_q = last_q``), as ``enatom.ph_split`` runs it;
* ``recovered``: over the grid, every rank SIGKILLed 0.2 s after the first representation of the second q
  converged, then ph.x again with ``recover = .true.`` after ``enatom.ph``'s repair of its recover data
  (:data:`aiida_enatom.calculations.ph.RECOVER_FIX`), as ``enatom.ph_base`` restarts a killed ph.x.

and prints, against ``reference``, the largest difference of the phonon frequencies (cm⁻¹), of the el-ph matrices
Γ(q) of each irreducible q (relative to that q's largest element, over the 10 broadenings), and λ summed on the q-grid
(Σ_q w_q Σ_ν λ_qν at σ = 0.02 Ry, w_q the star's share of the grid), with the relative change.

What it showed (2026-11-28, two runs, docs/cluster.md §8): the frequencies agree to 0.05 cm⁻¹ in every variant; with
the 8³ la2F mesh the el-ph matrices of the q-points computed in another process (or after another history in the
same one) differ by percents, and with la2F = ph.x mesh by at most 2e-4. ph.x's non-self-consistent run of each q ≠
Γ starts the bands beyond the atomic wavefunctions from random vectors drawn from one sequence per process, and the
interpolation of |g|² band by band from ph.x's k-mesh to the la2F mesh depends on the gauge of degenerate bands that
those vectors fix. No QE input controls this (ph.x sets ``starting_wfc = 'atomic'`` itself).
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiida_enatom.calculations.ph import RECOVER_FIX
from aiida_enatom.io.qe_ph import parse_a2fq2r, parse_elph_lambda
from aiida_enatom.pseudos.generate import generate_pseudopotential

SCF = """&CONTROL
  calculation='scf', prefix='aiida', outdir='./out/', pseudo_dir='{pseudo_dir}'
/
&SYSTEM
  ibrav=2, celldm(1)=7.18, nat=1, ntyp=1, ecutwfc=25, ecutrho=200,
  occupations='smearing', smearing='mv', degauss=0.02, la2f={la2f}
/
&ELECTRONS
  conv_thr=1e-8
/
ATOMIC_SPECIES
Al 26.98 {upf}
ATOMIC_POSITIONS crystal
Al 0 0 0
K_POINTS automatic
{k} {k} {k} 0 0 0
"""

PH = """phonons
&INPUTPH
  prefix='aiida', outdir='./out/', fildyn='DYN_MAT/dynamical-matrix-', tr2_ph=1e-12, nmix_ph=4,
  electron_phonon='interpolated', el_ph_sigma=0.005, el_ph_nsigma=10, fildvscf='dvscf',
  ldisp=.true., nq1=2, nq2=2, nq3=2, recover={recover}{range}
/
"""
K_PH = 4
N_Q_IRREDUCIBLE = 3  # Γ, L, X of fcc on the 2×2×2 grid
SIGMA_INDEX = 3  # 0.020 Ry, the protocols' default_smearing_index
_FREQUENCY = re.compile(r'freq \(\s*\d+\) =\s*\S+ \[THz\] =\s*(\S+) \[cm-1\]')


def _mpi(ranks: int) -> list[str]:
    root = ['--allow-run-as-root'] if os.geteuid() == 0 else []
    return ['mpirun', *root, '-np', str(ranks)]


def _run(command: list[str], folder: Path, stdin: str, stdout: str) -> None:
    (folder / stdout.replace('.out', '.in')).write_text(stdin)
    with open(folder / stdout, 'w') as handle:
        subprocess.run(
            [*command, '-in', stdout.replace('.out', '.in')],
            cwd=folder,
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=True,
        )


def _scf_pair(root: Path, upf: Path, k_la2f: int, ranks: int) -> Path:
    folder = root / f'scf-la2f-{k_la2f}'
    folder.mkdir()
    pw = [*_mpi(ranks), 'pw.x', '-nk', str(ranks)]
    for name, la2f, k in (('scf_la2f.out', '.true.', k_la2f), ('scf.out', '.false.', K_PH)):
        _run(pw, folder, SCF.format(pseudo_dir=upf.parent, upf=upf.name, la2f=la2f, k=k), name)
    return folder


def _copy(base: Path, folder: Path) -> Path:
    shutil.copytree(base, folder)
    (folder / 'DYN_MAT').mkdir()
    return folder


def _ph(folder: Path, ranks: int, recover: bool = False, q_range: tuple[int, int] | None = None) -> None:
    extra = f', start_q={q_range[0]}, last_q={q_range[1]}' if q_range else ''
    text = PH.format(recover='.true.' if recover else '.false.', range=extra)
    _run([*_mpi(ranks), 'ph.x', '-nk', str(ranks)], folder, text, 'ph_recover.out' if recover else 'ph.out')


def _ph_processes(folder: Path) -> list[int]:
    pids = []
    for entry in Path('/proc').iterdir():
        try:
            if (entry / 'comm').read_text().strip() == 'ph.x' and os.readlink(entry / 'cwd') == str(folder):
                pids.append(int(entry.name))
        except (OSError, ValueError):
            continue
    return pids


def _killed_and_recovered(folder: Path, ranks: int) -> None:
    """Run ph.x, SIGKILL every rank in the second q after one representation, then recover as enatom.ph does."""
    (folder / 'ph.in').write_text(PH.format(recover='.false.', range=''))
    with open(folder / 'ph_killed.out', 'w') as handle:
        process = subprocess.Popen(
            [*_mpi(ranks), 'ph.x', '-nk', str(ranks), '-in', 'ph.in'], cwd=folder, stdout=handle, stderr=handle
        )
        while process.poll() is None:
            text = (folder / 'ph_killed.out').read_text()
            parts = text.split('Calculation of q')
            if len(parts) > 2 and 'Convergence has been achieved' in parts[2]:
                time.sleep(0.2)
                for pid in _ph_processes(folder):
                    os.kill(pid, signal.SIGKILL)
                break
            time.sleep(0.02)
        process.wait()
    if 'JOB DONE' in (folder / 'ph_killed.out').read_text():
        raise SystemExit('ph.x ended before it could be killed: the probe needs a slower ph.x')
    subprocess.run(['bash', '-c', RECOVER_FIX], cwd=folder, check=True)
    _ph(folder, ranks, recover=True)


@functools.cache
def _frequencies(folder: Path) -> np.ndarray:
    files = sorted((folder / 'DYN_MAT').glob('dynamical-matrix-[1-9]*'))
    return np.array([[float(x) for x in _FREQUENCY.findall(path.read_text())] for path in files])


@functools.cache
def _gamma(folder: Path, iq: int) -> np.ndarray:
    files = sorted((folder / 'elph_dir').glob(f'a2Fq2r.*.{iq}'))
    return np.array([parse_a2fq2r(path).gamma_mev_amu for path in files])


@functools.cache
def _lambda_grid(folder: Path) -> float:
    total = 0.0
    for iq in range(1, N_Q_IRREDUCIBLE + 1):
        star = len(parse_a2fq2r(folder / 'elph_dir' / f'a2Fq2r.51.{iq}').q_points)
        coupling = parse_elph_lambda(folder / 'elph_dir' / f'elph.inp_lambda.{iq}').coupling_lambda[SIGMA_INDEX]
        total += star / 8 * float(np.sum(coupling))
    return total


def _compare(reference: Path, other: Path) -> str:
    frequency = np.max(np.abs(_frequencies(other) - _frequencies(reference)))
    gammas = []
    for iq in range(1, N_Q_IRREDUCIBLE + 1):
        ref, new = _gamma(reference, iq), _gamma(other, iq)
        scale = np.max(np.abs(ref))
        gammas.append(np.max(np.abs(new - ref)) / scale if scale > 0 else np.max(np.abs(new)))
    lam_ref, lam = _lambda_grid(reference), _lambda_grid(other)
    per_q = ' '.join(f'{value:8.1e}' for value in gammas)
    return f'{frequency:9.4f} | {per_q} | {lam:.4f} ({(lam - lam_ref) / lam_ref:+.2%})'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--ranks', type=int, default=2, help='MPI ranks (and pools) of the reference runs')
    parser.add_argument('--keep', type=Path, help='keep the QE folders here instead of a temporary folder')
    args = parser.parse_args()
    for program in ('pw.x', 'ph.x', 'ld1.x', 'mpirun'):
        if shutil.which(program) is None:
            raise SystemExit(f'{program} not found: install quantum-espresso (make system)')
    root = args.keep or Path(tempfile.mkdtemp(prefix='elph-repro-'))
    root.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    upf = generate_pseudopotential('Al', root / 'pseudo')
    print('fcc Al, test-protocol settings; differences against one ph.x run over the grid on', args.ranks, 'ranks')
    print(f'{"la2F mesh":9} {"variant":10} | {"max dω cm-1":>9} | {"dΓ/Γ per q (Γ, L, X)":>26} | λ on the q-grid')
    for k_la2f in (8, K_PH):
        base = _scf_pair(root, upf, k_la2f, args.ranks)
        reference = _copy(base, root / f'reference-{k_la2f}')
        _ph(reference, args.ranks)
        lam = _lambda_grid(reference)
        print(f'{k_la2f:>6}³   {"reference":10} | {0.0:9.4f} | {"":26} | {lam:.4f}')
        one = _copy(base, root / f'one-rank-{k_la2f}')
        _ph(one, 1)
        fresh = _copy(base, root / f'fresh-{k_la2f}')
        for iq in range(1, N_Q_IRREDUCIBLE + 1):
            _ph(fresh, args.ranks, q_range=(iq, iq))
        recovered = _copy(base, root / f'recovered-{k_la2f}')
        _killed_and_recovered(recovered, args.ranks)
        for name, folder in (('one-rank', one), ('fresh', fresh), ('recovered', recovered)):
            print(f'{k_la2f:>6}³   {name:10} | {_compare(reference, folder)}')
    print(f'wall time {time.perf_counter() - start:.0f} s; folders in {root}')
    if args.keep is None:
        shutil.rmtree(root)


if __name__ == '__main__':
    main()

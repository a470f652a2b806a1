#!/bin/bash
# Single-q ph.x check of the H3S soft mode at q = (1/4, 1/4, 0) 2pi/a, the q-point where the `fast` protocol
# (SCF k 8x8x8, MV 0.02 Ry) finds an imaginary mode and `balanced` (k 12x12x12) does not (docs/validation.md).
#
# Usage: examples/qe/h3s_soft_mode_check.sh K DEGAUSS [WORKDIR]
#   K        SCF k-mesh K x K x K (8, 12, ...)
#   DEGAUSS  Marzari-Vanderbilt smearing in Ry (0.02, 0.03, ...)
#   WORKDIR  where to run (default: ./h3s_soft_mode_kK_dgDEGAUSS)
# Needs pw.x/ph.x on PATH and the offline pseudopotentials (H.pbe-rrkjus_enatom.UPF, S.pbe-n-rrkjus_enatom.UPF)
# written by python -c "from aiida_enatom.pseudos.generate import generate_pseudopotentials as g; g(['H', 'S'], 'DIR')"
# (ld1.x, seconds); then set ENATOM_PSEUDO_DIR=DIR.
# Structure: the `balanced` vc-relax of H3S at 200 GPa (a = 2.9874 A), cutoffs 45/360 Ry as in the family.
# Cost on 2 cores: about 2 min (k 8) to 8 min (k 12).
set -euo pipefail
k=${1:?SCF k-mesh K}; degauss=${2:?MV smearing in Ry}
pseudo_dir=${ENATOM_PSEUDO_DIR:?set ENATOM_PSEUDO_DIR to the folder with the offline H and S UPF files}
workdir=${3:-h3s_soft_mode_k${k}_dg${degauss}}
mkdir -p "$workdir" && cd "$workdir"
half=1.4936854843
cat > scf.in <<EOI
&CONTROL
  calculation = 'scf', prefix = 'h3s', outdir = './out', pseudo_dir = '$pseudo_dir'
/
&SYSTEM
  ibrav = 0, nat = 4, ntyp = 2, ecutwfc = 45, ecutrho = 360
  occupations = 'smearing', smearing = 'mv', degauss = $degauss
/
&ELECTRONS
  conv_thr = 1e-10, mixing_beta = 0.4
/
ATOMIC_SPECIES
H 1.00794 H.pbe-rrkjus_enatom.UPF
S 32.065 S.pbe-n-rrkjus_enatom.UPF
ATOMIC_POSITIONS angstrom
H 0.0 0.0 $half
H $half 0.0 $half
H $half 0.0 0.0
S 0.0 0.0 0.0
K_POINTS automatic
$k $k $k 0 0 0
CELL_PARAMETERS angstrom
 -$half  $half  $half
  $half -$half  $half
  $half  $half -$half
EOI
cat > ph.in <<EOI
H3S soft-mode check
&INPUTPH
  prefix = 'h3s', outdir = './out', tr2_ph = 1e-14, fildyn = 'dyn', ldisp = .false.
/
0.2165063509 0.2165063509 0.0
EOI
mpirun=${MPIRUN:-mpirun -np 2}
$mpirun pw.x -nk 2 -in scf.in > scf.out
$mpirun ph.x -nk 2 -in ph.in > ph.out
echo "k ${k}^3, MV ${degauss} Ry: lowest three frequencies at q = (1/4,1/4,0) 2pi/a (cm-1):"
grep 'freq (' ph.out | head -3 | awk '{print "   " $8}'

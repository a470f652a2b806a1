"""Analyse a real α²F with the pure API (no AiiDA): moments, T_c by every route, δT_c/δα²F, plots.

Run from the repository root::

    python examples/numerics_only/analyse_spectrum.py [A2F_FILE] [--unit THz] [--mu-star 0.1] [-o out/]

Without a file it uses matdyn's a2F.dos5 of the fcc Al fixture (QE 6.7, tests/fixtures/qe/al_q222_qe67).
"""

from __future__ import annotations

import argparse
import pathlib

from aiida_enatom.io.alpha2f import read_alpha2f
from aiida_enatom.numerics import analyse_spectrum, tc_functional_derivative

DEFAULT = pathlib.Path(__file__).parents[2] / 'tests' / 'fixtures' / 'qe' / 'al_q222_qe67' / 'a2F.dos5'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('filename', nargs='?', type=pathlib.Path, default=DEFAULT)
    parser.add_argument('--unit', default=None, help='frequency unit of a column file (meV, THz, cm-1, Ry, ...)')
    parser.add_argument('--mu-star', type=float, default=0.1)
    parser.add_argument('-o', '--output-dir', type=pathlib.Path, default=pathlib.Path('example-output'))
    args = parser.parse_args()

    spectrum = read_alpha2f(args.filename, unit=args.unit)
    metrics = analyse_spectrum(spectrum, mu_star=args.mu_star)
    for key, value in metrics.items():
        print(f'{key:28s} {value}')

    derivative = tc_functional_derivative(spectrum, mu_star=args.mu_star)
    print(f'δT_c/δα²F peaks at Ω = {derivative.peak_omega_over_kTc:.2f} k_B T_c')

    import matplotlib

    matplotlib.use('Agg')
    from aiida_enatom.plotting.spectra import plot_alpha2f, plot_tc_derivative

    args.output_dir.mkdir(parents=True, exist_ok=True)
    plot_alpha2f(spectrum).figure.savefig(args.output_dir / 'alpha2f.png', dpi=120)
    plot_tc_derivative(spectrum, derivative.omega_mev, derivative.dtc_da2f_k_per_mev, derivative.tc_k).figure.savefig(
        args.output_dir / 'derivative.png', dpi=120
    )
    print(f'plots written to {args.output_dir}/')


if __name__ == '__main__':
    main()

"""Relax H3S at 200 GPa and compute its α²F, H/metal split, T_c and I_H² through the Python API.

Run after `aiida-enatom setup` (which creates the profile, codes and offline pseudopotential family)::

    python examples/aiida/pressure_point.py [--protocol fast] [--pressure 200]

The same as `aiida-enatom launch point examples/structures/H3S_Im-3m.cif --pressure 200`, written out.
"""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--protocol', default='fast', choices=['test', 'fast', 'balanced', 'stringent'])
    parser.add_argument('--pressure', type=float, default=200.0, help='GPa')
    args = parser.parse_args()

    from aiida import load_profile, orm
    from aiida.engine import run_get_node

    from aiida_enatom.common.structures import prototype_structure
    from aiida_enatom.setup import find_offline_family
    from aiida_enatom.workflows.pressure_point import PressurePointWorkChain

    load_profile()
    family = find_offline_family()
    codes = {name: orm.load_code(f'{name}@localhost') for name in ('pw', 'ph', 'q2r', 'matdyn', 'projwfc')}
    builder = PressurePointWorkChain.get_builder_from_protocol(
        codes,
        orm.StructureData(pymatgen=prototype_structure('H3S')),
        pressure=args.pressure,
        protocol=args.protocol,
        overrides={'pseudo_family': family, 'alpha2f': {'pseudo_family': family}},
    )
    _, node = run_get_node(builder)
    metrics = node.outputs.alpha2f.metrics.get_dict()
    print(f'PressurePointWorkChain<{node.pk}>: exit status {node.exit_status}')
    for key in ('lambda', 'lambda_H', 'omega_log_meV', 'area_meV', 'tc_eliashberg_K', 'I2_H_eV2_per_A2'):
        print(f'  {key:20s} {metrics.get(key)}')


if __name__ == '__main__':
    main()

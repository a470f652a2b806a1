"""Submit a tiny pw.x scf (fcc Al, offline family) to the daemon of a profile and wait for it; print JSON.

Usage: ``python submit_scf.py PROFILE FAMILY_LABEL [TIMEOUT_S]``; run with ``AIIDA_PATH`` set.
"""

from __future__ import annotations

import json
import sys
import time


def main() -> None:
    from aiida import load_profile, orm
    from aiida.engine import submit
    from aiida.plugins import CalculationFactory

    profile, family_label = sys.argv[1], sys.argv[2]
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 120.0
    load_profile(profile)
    family = orm.load_group(family_label)
    half = 4.04 / 2  # fcc Al, primitive cell, a = 4.04 Å
    structure = orm.StructureData(cell=[[0, half, half], [half, 0, half], [half, half, 0]])
    structure.append_atom(position=(0.0, 0.0, 0.0), symbols='Al')
    ecutwfc, ecutrho = family.get_recommended_cutoffs(structure=structure, unit='Ry')
    kpoints = orm.KpointsData()
    kpoints.set_kpoints_mesh([4, 4, 4])

    builder = CalculationFactory('quantumespresso.pw').get_builder()
    builder.code = orm.load_code('pw@localhost')
    builder.structure = structure
    builder.pseudos = family.get_pseudos(structure=structure)
    builder.kpoints = kpoints
    builder.parameters = orm.Dict(
        {
            'CONTROL': {'calculation': 'scf'},
            'SYSTEM': {
                'ecutwfc': ecutwfc,
                'ecutrho': ecutrho,
                'occupations': 'smearing',
                'smearing': 'mv',
                'degauss': 0.02,
            },
            'ELECTRONS': {'conv_thr': 1e-8},
        }
    )
    builder.metadata.options.resources = {'num_machines': 1, 'num_mpiprocs_per_machine': 1}
    builder.metadata.options.withmpi = True
    builder.metadata.options.max_wallclock_seconds = 600

    start = time.monotonic()
    node = submit(builder)
    while not node.is_terminated and time.monotonic() - start < timeout:
        time.sleep(0.5)
    result = {
        'pk': node.pk,
        'state': node.process_state.value if node.process_state else None,
        'exit_status': node.exit_status,
        'finished_ok': node.is_finished_ok,
        'seconds': round(time.monotonic() - start, 1),
    }
    if node.is_finished_ok:
        result['energy_ev'] = node.outputs.output_parameters['energy']
    print(json.dumps(result))


if __name__ == '__main__':
    main()

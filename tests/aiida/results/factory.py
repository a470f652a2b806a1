"""Store realistic results records without running QE (for the rank/export/status tests and the benchmark).

Each point is a ``WorkChainNode`` labelled ``PressurePointWorkChain`` (finished, exit 0 or 452) with a ``results``
Dict returned under that link label, exactly the shape ``enatom.pressure_point`` leaves; the record content comes
from :func:`aiida_enatom.common.record.build_record` on metrics computed by the real numerics from a two-peak
α²F (metal ≈ 25 meV, H ≈ 150 meV), scaled per point. Nothing here is a substitute for the real-QE campaign test;
it fills a database fast.
"""

from __future__ import annotations

from datetime import UTC

import numpy as np

from aiida_enatom.common.record import SUMMARY_LINK, build_record, record_summary
from aiida_enatom.numerics.metrics import analyse_spectrum
from aiida_enatom.numerics.species_metrics import species_metrics
from aiida_enatom.numerics.spectra import Alpha2F

FORMULAS = ('H3S', 'CaH6', 'MgH6', 'LaH10', 'YH10')


def template_metrics() -> dict:
    """Metrics of a hydride-like two-peak spectrum (every key a real point stores, Eliashberg included)."""
    omega = np.linspace(0.5, 250.0, 400)
    metal = 0.6 * np.exp(-0.5 * ((omega - 25.0) / 6.0) ** 2)
    hydrogen = 1.2 * np.exp(-0.5 * ((omega - 150.0) / 30.0) ** 2)
    spectrum = Alpha2F(omega, metal + hydrogen, {'H': hydrogen, 'S': metal})
    metrics = dict(analyse_spectrum(spectrum, mu_star=0.1))
    metrics.update(
        species_metrics(
            spectrum,
            counts={'H': 3, 'S': 1},
            masses={'H': 1.008, 'S': 32.06},
            fermi_dos_per_atom={'H': 0.043, 'S': 0.14},
            mu_star=0.1,
            full_metrics=metrics,
        )
    )
    metrics.update(
        smearing_index=3,
        smearing_Ry=0.02,
        partial_sum_rule_passed=True,
        lambda_per_smearing=[metrics['lambda']] * 10,
        tc_allen_dynes_K_per_smearing=[metrics['tc_allen_dynes_K']] * 10,
    )
    return metrics


def point_records(n_points: int, seed: int = 7, unstable_fraction: float = 0.2) -> list[dict]:
    """Return ``n_points`` records: formulas cycle through :data:`FORMULAS`, pressures 150–400 GPa."""
    rng = np.random.default_rng(seed)
    template = template_metrics()
    records = []
    for index in range(n_points):
        scale = float(rng.uniform(0.5, 1.5))
        metrics = {
            key: (value * scale if isinstance(value, float) and key != 'mu_star' else value)
            for key, value in template.items()
        }
        stable = bool(rng.uniform() >= unstable_fraction)
        formula = FORMULAS[index % len(FORMULAS)]
        pressure = 150.0 + 50.0 * ((index // len(FORMULAS)) % 6)
        records.append(
            build_record(
                metrics,
                {'dynamically_stable': stable, 'lowest_frequency_meV': 20.0 if stable else -15.0},
                formula=formula,
                candidate=f'{formula}-{index // (len(FORMULAS) * 6)}',
                protocol='fast',
                target_pressure_gpa=pressure,
                pressure_gpa=pressure + float(rng.normal(0.0, 0.3)),
                number_of_atoms=4,
                volume_a3=13.3,
            )
        )
    return records


def point_extras(record: dict, group_label: str) -> dict:
    """The campaign extras a sweep sets on a point, and ``enatom_status`` as the point sets it when it ends."""
    return {
        'enatom_campaign': group_label,
        'enatom_candidate': record['candidate'],
        'enatom_formula': record['formula'],
        'enatom_pressure_GPa': record['target_pressure_GPa'],
        'enatom_protocol': record['protocol'],
        'enatom_status': record['status'],
    }


def store_points(records: list[dict], group_label: str) -> list[int]:
    """Store one finished point node + results Dict per record in group ``group_label``; return the point PKs."""
    from aiida import orm
    from aiida.common import LinkType
    from aiida.engine import ProcessState

    group, _ = orm.Group.collection.get_or_create(group_label)
    nodes = []
    for record in records:
        node = orm.WorkChainNode()
        node.set_process_label('PressurePointWorkChain')
        node.set_process_type('aiida.workflows:enatom.pressure_point')
        node.set_process_state(ProcessState.FINISHED)
        node.set_exit_status(0 if record['rankable'] else 452)
        node.store()
        node.base.extras.set_many(point_extras(record, group_label))
        result = orm.Dict(record).store()
        result.base.links.add_incoming(node, link_type=LinkType.RETURN, link_label='results')
        summary = orm.Dict(record_summary(record)).store()
        summary.base.links.add_incoming(node, link_type=LinkType.RETURN, link_label=SUMMARY_LINK)
        node.seal()
        nodes.append(node)
    group.add_nodes(nodes)
    return [node.pk for node in nodes]


def store_points_bulk(records: list[dict], group_label: str) -> int:
    """Store the same rows as :func:`store_points` through the storage backend's bulk insert (for 10⁴–10⁵ points).

    One transaction: point nodes, results Dicts, their ``results`` RETURN links and the group membership, with the
    same attributes and extras as the ORM path. Only the benchmark uses it: inserting row by row through the ORM
    takes minutes for 10⁴ points, which measures the ORM, not the queries.
    """
    import uuid as uuid_module
    from datetime import datetime

    from aiida import orm
    from aiida.manage import get_manager
    from aiida.orm.entities import EntityTypes

    backend = get_manager().get_profile_storage()
    group, _ = orm.Group.collection.get_or_create(group_label)
    user = orm.User.collection.get_default().pk
    now = datetime.now(UTC)

    def row(node_type, process_type, attributes, extras):
        return {
            'uuid': str(uuid_module.uuid4()),
            'node_type': node_type,
            'process_type': process_type,
            'label': '',
            'description': '',
            'ctime': now,
            'mtime': now,
            'user_id': user,
            'attributes': attributes,
            'extras': extras,
            'repository_metadata': {},
        }

    points, dicts, summaries = [], [], []
    for record in records:
        points.append(
            row(
                'process.workflow.workchain.WorkChainNode.',
                'aiida.workflows:enatom.pressure_point',
                {
                    'process_label': 'PressurePointWorkChain',
                    'process_state': 'finished',
                    'exit_status': 0 if record['rankable'] else 452,
                    'sealed': True,
                },
                point_extras(record, group_label),
            )
        )
        dicts.append(row('data.core.dict.Dict.', None, record, {}))
        summaries.append(row('data.core.dict.Dict.', None, record_summary(record), {}))
    with backend.transaction():
        point_ids = backend.bulk_insert(EntityTypes.NODE, points, allow_defaults=True)
        dict_ids = backend.bulk_insert(EntityTypes.NODE, dicts, allow_defaults=True)
        summary_ids = backend.bulk_insert(EntityTypes.NODE, summaries, allow_defaults=True)
        links = [
            {'input_id': p, 'output_id': d, 'label': label, 'type': 'return'}
            for ids, label in ((dict_ids, 'results'), (summary_ids, SUMMARY_LINK))
            for p, d in zip(point_ids, ids, strict=True)
        ]
        backend.bulk_insert(EntityTypes.LINK, links)
        backend.bulk_insert(EntityTypes.GROUP_NODE, [{'dbgroup_id': group.pk, 'dbnode_id': p} for p in point_ids])
    return len(point_ids)

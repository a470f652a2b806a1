"""The shipped AiiDA archives of real runs: imported, they give the documented numbers through rank, export and show.

The archives in ``tests/fixtures/archives/`` were made by ``verdi archive create -G <campaign>`` on the profiles that
ran the campaign files of ``workflows/`` with Quantum ESPRESSO 6.7 (see that folder's README for the commands, the
machine and the dates). These tests run no QE: they import the stored provenance and read it back.
"""

from __future__ import annotations

import json
import pathlib

import pytest
from click.testing import CliRunner

from aiida_enatom.cli import cmd_root
from aiida_enatom.results.query import campaign_status, rank_records, records

ARCHIVES = pathlib.Path(__file__).resolve().parents[2] / 'fixtures' / 'archives'

#: Documented numbers per archive: (candidate, target GPa) → {record key: (value, absolute tolerance)}.
#: quickstart.aiida → docs/workflows.md (the quickstart table) and docs/isotopes.md (the same two points);
#: validation.aiida → docs/validation.md (the `balanced` table) and docs/isotopes.md (D3S from the balanced point);
#: small-cells.aiida → docs/screening.md: the groups `small-cells` (H3S at 200/250/300, CaH6 at 250/300, MgH6 at
#: 300/350 GPa, `fast`) and `isovalent-300` (its CaH6 and MgH6 points at 300 GPa, which `small-cells` reuses).
EXPECTED = {
    'quickstart': {
        ('H3S', 200.0): {
            'lambda': (2.14, 0.01),
            'tc_allen_dynes_K': (208.0, 1.0),
            'tc_eliashberg_K': (232.0, 1.0),
            'area_H_meV': (113.7, 0.1),
            'I2_H_eV2_per_A2': (78.0, 0.1),
        },
        ('H3S', 250.0): {
            'lambda': (1.55, 0.01),
            'tc_allen_dynes_K': (199.0, 1.0),
            'tc_eliashberg_K': (222.0, 1.0),
            'area_H_meV': (106.3, 0.1),
            'I2_H_eV2_per_A2': (76.1, 0.1),
        },
    },
    'isovalent-300': {
        ('MgH6', 300.0): {
            'lambda': (2.551, 0.001),
            'lambda_H': (2.495, 0.001),
            'area_H_meV': (197.8, 0.1),
            'I2_H_eV2_per_A2': (94.04, 0.01),
            'I2_H_route2_eV2_per_A2': (13.65, 0.01),
            'tc_eliashberg_K': (378.4, 0.1),
            'tc_eliashberg_H_K': (376.3, 0.1),
        },
        ('CaH6', 300.0): {
            'lambda': (1.773, 0.001),
            'lambda_H': (1.658, 0.001),
            'area_H_meV': (101.1, 0.1),
            'I2_H_eV2_per_A2': (91.39, 0.01),
            'I2_H_route2_eV2_per_A2': (8.29, 0.01),
            'tc_eliashberg_K': (199.6, 0.1),
            'tc_eliashberg_H_K': (195.9, 0.1),
            'lowest_frequency_meV': (5.38, 0.01),
        },
    },
    'small-cells': {
        ('H3S', 200.0): {
            'lambda': (2.123, 0.001),
            'lambda_H': (1.929, 0.001),
            'area_H_meV': (113.5, 0.1),
            'I2_H_eV2_per_A2': (77.70, 0.01),
            'I2_H_route2_eV2_per_A2': (10.60, 0.01),
            'tc_eliashberg_K': (231.5, 0.1),
            'tc_eliashberg_H_K': (221.4, 0.1),
        },
        ('H3S', 250.0): {
            'lambda': (1.557, 0.001),
            'area_H_meV': (107.0, 0.1),
            'I2_H_eV2_per_A2': (76.55, 0.01),
            'I2_H_route2_eV2_per_A2': (12.11, 0.01),
            'tc_eliashberg_K': (222.6, 0.1),
        },
        ('H3S', 300.0): {
            'lambda': (1.455, 0.001),
            'area_H_meV': (109.8, 0.1),
            'I2_H_eV2_per_A2': (89.32, 0.01),
            'I2_H_route2_eV2_per_A2': (13.50, 0.01),
            'tc_eliashberg_K': (225.6, 0.1),
        },
        ('MgH6', 300.0): {'lambda': (2.551, 0.001), 'I2_H_eV2_per_A2': (94.04, 0.01)},
        ('MgH6', 350.0): {
            'lambda': (2.227, 0.001),
            'lambda_H': (2.194, 0.001),
            'area_H_meV': (194.0, 0.1),
            'I2_H_eV2_per_A2': (89.33, 0.01),
            'I2_H_route2_eV2_per_A2': (15.04, 0.01),
            'tc_eliashberg_K': (377.8, 0.1),
            'tc_eliashberg_H_K': (377.6, 0.1),
        },
        ('CaH6', 300.0): {'lambda': (1.773, 0.001), 'I2_H_eV2_per_A2': (91.39, 0.01)},
        ('CaH6', 250.0): {
            'lambda': (1.673, 0.001),
            'lambda_H': (1.624, 0.001),
            'area_H_meV': (109.2, 0.1),
            'I2_H_eV2_per_A2': (98.17, 0.01),
            'I2_H_route2_eV2_per_A2': (8.63, 0.01),
            'tc_eliashberg_K': (217.9, 0.1),
        },
    },
    'validation': {
        ('H3S', 200.0): {
            'lambda': (2.52, 0.01),
            'tc_allen_dynes_K': (225.0, 1.0),
            'tc_eliashberg_K': (257.0, 1.0),
            'area_meV': (135.9, 0.1),
            'area_H_meV': (129.1, 0.1),
            'I2_H_eV2_per_A2': (63.6, 0.1),
            'tc_eliashberg_D_K': (188.0, 1.0),
            'isotope_alpha_H': (0.463, 0.002),
            'tc_eliashberg_dos_K': (251.5, 1.0),
        },
    },
}

#: Points whose record is not ``ok`` (they keep every number but do not rank): (campaign, candidate, GPa) → status.
#: CaH6 at 300 and 250 GPa: the per-species λ on the mesh misses matdyn's λ by 1.8 and 1.2 % (tolerance 1 %).
FLAGGED = {
    ('isovalent-300', 'CaH6', 300.0): 'sum_rule_failed',
    ('small-cells', 'CaH6', 300.0): 'sum_rule_failed',
    ('small-cells', 'CaH6', 250.0): 'sum_rule_failed',  # +1.2 % (docs/screening.md)
}

#: The archive file that holds each campaign group: small-cells.aiida holds `isovalent-300` too (its two points are
#: reused by `small-cells`; one archive instead of the same 6 MB twice).
ARCHIVE_OF = {'isovalent-300': 'small-cells'}


def _status(campaign: str, point: tuple[str, float]) -> str:
    return FLAGGED.get((campaign, *point), 'ok')


def _import(label: str) -> None:
    """Import ``<label>.aiida`` into the test profile once (its group is the campaign's)."""
    from aiida import orm
    from aiida.tools.archive import import_archive

    if not orm.QueryBuilder().append(orm.Group, filters={'label': label}).count():
        import_archive(ARCHIVES / f'{ARCHIVE_OF.get(label, label)}.aiida')


@pytest.fixture(params=sorted(EXPECTED))
def campaign(request, aiida_profile):
    path = ARCHIVES / f'{ARCHIVE_OF.get(request.param, request.param)}.aiida'
    if not path.exists():
        pytest.fail(f'{path} is missing: the archive is part of the repository')
    _import(request.param)
    return request.param


def test_archive_is_small(campaign):
    assert (ARCHIVES / f'{ARCHIVE_OF.get(campaign, campaign)}.aiida').stat().st_size <= 20 * 1024**2


def test_records_give_the_documented_numbers(campaign):
    rows = {(row['candidate'], row['target_pressure_GPa']): row for row in records(campaign)}
    assert set(rows) == set(EXPECTED[campaign])
    for point, expected in EXPECTED[campaign].items():
        row = rows[point]
        assert row['status'] == _status(campaign, point), (point, row['status'])
        assert row['rankable'] is (row['status'] == 'ok'), point
        for key, (value, tolerance) in expected.items():
            assert row[key] == pytest.approx(value, abs=tolerance), (point, key)


def test_rank_export_status_on_imported_points(campaign, tmp_path):
    ranked = rank_records(campaign, by='area_H')
    assert [row['area_H_meV'] for row in ranked] == sorted((row['area_H_meV'] for row in ranked), reverse=True)
    ok = [point for point in EXPECTED[campaign] if _status(campaign, point) == 'ok']
    assert sorted((row['candidate'], row['target_pressure_GPa']) for row in ranked) == sorted(ok)
    status = campaign_status(campaign)  # superseded (orphaned, redone) attempts in the archive are not counted
    assert status.done == status.total == len(EXPECTED[campaign]) and status.counts['ok'] == len(ok)
    result = CliRunner().invoke(cmd_root, ['rank', campaign, '--format', 'json'], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert {row['uuid'] for row in json.loads(result.output)} == {row['uuid'] for row in ranked}


def test_every_ranked_number_traces_to_qe(campaign):
    from aiida import orm

    for row in rank_records(campaign, by='area_H'):
        point = orm.load_node(row['uuid'])
        query = orm.QueryBuilder()
        query.append(orm.Dict, filters={'id': point.outputs.results.pk}, tag='record')
        query.append(orm.CalcJobNode, with_descendants='record', project='attributes.process_label')
        labels = {label for (label,) in query.all()}
        assert {'PwCalculation', 'EnatomPhCalculation', 'Q2rCalculation', 'MatdynCalculation'} <= labels, labels


def test_recipe_queries_of_the_docs(campaign):
    """The recipe queries of docs/campaigns.md run on the imported records."""
    from aiida import orm

    for formula in {candidate for candidate, _ in EXPECTED[campaign]}:  # the candidates are labelled by formula
        query = orm.QueryBuilder()
        query.append(orm.Group, filters={'label': campaign}, tag='g')
        query.append(orm.WorkChainNode, with_group='g', filters={'extras.enatom_formula': formula}, tag='p')
        query.append(
            orm.Dict,
            with_incoming='p',
            edge_filters={'label': 'results'},
            project=['attributes.target_pressure_GPa', 'attributes.I2_H_eV2_per_A2'],
        )
        rows = sorted(query.all())
        expected = sorted(pressure for candidate, pressure in EXPECTED[campaign] if candidate == formula)
        assert [pressure for pressure, _ in rows] == expected
        assert all(value > 0 for _, value in rows)

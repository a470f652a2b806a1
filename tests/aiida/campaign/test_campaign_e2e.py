"""A campaign end to end with real Quantum ESPRESSO: validate, launch in-process, relaunch, status, rank, export.

H3S (prototype, a = 3.0 Å) at 200 and 210 GPa with the ``test`` protocol through ``aiida-enatom campaign launch``
(click's runner, embedded profile): one ``enatom.sweep`` relaxes 200 GPa from the prototype and 210 GPa from the
200 GPa cell, then runs both α²F stages concurrently (q 2×2×2; about 6–9 min on 2 cores). A relaunch must create no
new CalcJob. The 200 GPa point's QE CalcJobs have the same inputs as the pressure-point end to end's
(``tests/aiida/workflows/test_pressure_point_e2e.py``), which takes them from AiiDA's cache when it runs after this
module.
"""

from __future__ import annotations

import json

import pytest
import yaml
from aiida import orm
from click.testing import CliRunner

from aiida_enatom.cli import cmd_root

from ..workflows.conftest import E2E_CANDIDATE, E2E_PRESSURES

GROUP = 'e2e-campaign'
PRESSURES = E2E_PRESSURES
_STATE: dict = {}


def invoke(*args):
    return CliRunner().invoke(cmd_root, [str(arg) for arg in args], catch_exceptions=False)


def n_calcjobs() -> int:
    return orm.QueryBuilder().append(orm.CalcJobNode).count()


@pytest.fixture
def campaign_file(tmp_path_factory, codes, pseudo_family):
    path = tmp_path_factory.mktemp('campaign') / 'e2e.yaml'
    content = {
        'name': GROUP,
        'protocol': 'test',
        'pseudo_family': pseudo_family,
        'max_active': 2,
        'codes': {role: code.full_label for role, code in codes.items() if role != 'pp'},
        'candidates': [{**E2E_CANDIDATE, 'pressures': PRESSURES}],
    }
    path.write_text(yaml.safe_dump(content))
    return path


@pytest.fixture
def launched(campaign_file):
    """Launch once per module (the profile fixtures are function-scoped; cache what the assertions need)."""
    if not _STATE:
        before = n_calcjobs()
        result = invoke('campaign', 'launch', campaign_file)
        _STATE.update(output=result.output, exit_code=result.exit_code, calcjobs=n_calcjobs() - before)
    return _STATE


def _points():
    query = orm.QueryBuilder()
    query.append(orm.Group, filters={'label': GROUP}, tag='g')
    query.append(orm.WorkChainNode, with_group='g', filters={'attributes.process_label': 'PressurePointWorkChain'})
    return sorted((node for (node,) in query.iterall()), key=lambda node: node.inputs.pressure.value)


@pytest.mark.slow
def test_validate(campaign_file):
    result = invoke('campaign', 'validate', campaign_file)
    assert result.exit_code == 0, result.output
    assert '2 pressure point(s)' in result.output and 'H3S' in result.output


@pytest.mark.slow
def test_launch_creates_points_with_records_and_extras(launched):
    assert launched['exit_code'] == 0, launched['output']
    assert launched['output'].strip().splitlines()[-1] == GROUP
    points = _points()
    assert [point.inputs.pressure.value for point in points] == PRESSURES
    for point in points:
        assert point.is_finished, point.exit_status
        assert 'results' in point.outputs, point.exit_message
        record = point.outputs.results.get_dict()
        assert record['schema_version'] == 1
        assert record['formula'] == 'H3S' and record['candidate'] == 'H3S-e2e' and record['protocol'] == 'test'
        assert record['pressure_GPa'] == pytest.approx(point.inputs.pressure.value, abs=5.0)
        assert record['status'] == point.base.extras.get('enatom_status')
        assert (point.exit_status == 0) is (record['status'] == 'ok')
        assert record['lambda_H'] + record['lambda_M'] == pytest.approx(record['lambda'], rel=0.02)
        assert record['tc_eliashberg_H_K'] is not None
        assert record['delta_tc_eliashberg_K'] == pytest.approx(record['tc_eliashberg_K'] - record['tc_eliashberg_H_K'])
        extras = point.base.extras.all
        assert extras['enatom_campaign'] == GROUP and extras['enatom_pressure_GPa'] == point.inputs.pressure.value
        # the point took the sweep's relaxed cell as is: no vc-relax of its own
        assert 'relax' not in {link.link_label for link in point.base.links.get_outgoing().all()}
        assert point.inputs.structure.creator is not None  # created by the sweep's vc-relax (provenance kept)


@pytest.mark.slow
def test_every_record_traces_to_its_qe_calculations(launched):
    for point in _points():
        query = orm.QueryBuilder()
        query.append(orm.Dict, filters={'id': point.outputs.results.pk}, tag='record')
        query.append(orm.CalcJobNode, with_descendants='record', project='attributes.process_label')
        labels = {label for (label,) in query.all()}
        # the vc-relax of the sweep, the SCFs, ph.x, q2r.x and matdyn.x are all ancestors of the record
        assert {'PwCalculation', 'EnatomPhCalculation', 'Q2rCalculation', 'MatdynCalculation'} <= labels, labels


@pytest.mark.slow
def test_sweep_relaxes_in_order_from_the_previous_cell(launched):
    sweep = _points()[0].caller
    assert sweep.process_label == 'SweepWorkChain' and sweep.is_finished_ok
    relaxes = sorted(
        (link for link in sweep.base.links.get_outgoing().all() if link.link_label.startswith('relax_')),
        key=lambda link: link.node.ctime,
    )
    assert len(relaxes) == 2
    first, second = (link.node for link in relaxes)
    assert second.inputs.structure.uuid == first.outputs.output_structure.uuid
    table = sweep.outputs.table.get_dict()
    assert [row['target_pressure_GPa'] for row in table['rows']] == PRESSURES
    assert all(row['relax_steps'] >= 1 for row in table['rows'])


@pytest.mark.slow
def test_relaunch_creates_no_calcjob(launched, campaign_file):
    before = n_calcjobs()
    result = invoke('campaign', 'launch', campaign_file)
    assert result.exit_code == 0, result.output
    assert '2 finished point(s) reused' in result.output and 'nothing to submit' in result.output
    assert n_calcjobs() == before


@pytest.mark.slow
def test_status_rank_export(launched, tmp_path):
    status = invoke('campaign', 'status', GROUP)
    assert status.exit_code == 0 and '2/2 done' in status.output
    ranked = json.loads(invoke('rank', GROUP, '--include-unstable', '--format', 'json').output)
    assert {row['target_pressure_GPa'] for row in ranked} == set(PRESSURES)
    assert all(row['uuid'] == orm.load_node(row['pk']).uuid for row in ranked)
    out = tmp_path / 'e2e.json'
    assert invoke('export', GROUP, '--format', 'json', '-o', out).exit_code == 0
    assert len(json.loads(out.read_text())) == 2
    for kind in ('ih2-vs-pressure', 'tc-vs-area', 'a2f'):
        png = tmp_path / f'{kind}.png'
        result = invoke('plot', GROUP, '--kind', kind, '-o', png, '--include-unstable')
        assert result.exit_code == 0, result.output
        assert png.stat().st_size > 10_000

"""``aiida-enatom setup`` end to end in a fresh ``AIIDA_PATH`` (subprocesses), and the missing-executable error."""

from __future__ import annotations

import pathlib
import shutil

import pytest

from aiida_enatom.setup import DEFAULT_PROFILE_NAME, FAMILY_LABEL, MPI_PREPEND_TEXT, QE_EXECUTABLES
from aiida_enatom.setup.sqlite_journal import DATABASE_FILENAME, journal_mode
from tests.production.helpers import dump_state, enatom, read_config, run_daemon_scf, short_tempdir, verdi


@pytest.fixture
def aiida_path():
    path = short_tempdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope='module')
def embedded():
    """A fresh AIIDA_PATH with a default profile 'other', then one `aiida-enatom setup` (shared by two tests)."""
    path = short_tempdir()
    proc = verdi(['presto', '--profile-name', 'other', '--no-broker', '-n'], path)
    assert proc.returncode == 0, proc.stderr
    before = read_config(path)
    first = enatom(['setup'], path)
    yield path, before, first
    shutil.rmtree(path, ignore_errors=True)


def test_setup_twice_keeps_other_default_profile(embedded):
    """First run creates profile, computer, codes and family; the second changes nothing; 'other' stays default."""
    from aiida_enatom.setup.family import offline_elements

    aiida_path, before, first = embedded
    assert before['default_profile'] == 'other'
    assert first.returncode == 0, first.stdout + first.stderr
    assert 'Traceback' not in first.stderr
    assert f"profile '{DEFAULT_PROFILE_NAME}' (core.sqlite_dos, ZeroMQ broker)" in first.stdout
    assert "default profile 'other' left unchanged" in first.stdout

    config = read_config(aiida_path)
    assert config['default_profile'] == 'other'
    assert config['profiles']['other'] == before['profiles']['other']
    assert config['profiles'][DEFAULT_PROFILE_NAME]['storage']['backend'] == 'core.sqlite_dos'
    assert config['profiles'][DEFAULT_PROFILE_NAME]['process_control']['backend'] == 'core.zeromq'
    storage_folder = config['profiles'][DEFAULT_PROFILE_NAME]['storage']['config']['filepath']
    assert 'switched to WAL mode' in first.stdout
    assert journal_mode(pathlib.Path(storage_folder) / DATABASE_FILENAME) == 'wal'

    state = dump_state(DEFAULT_PROFILE_NAME, aiida_path)
    _, transport, scheduler, prepend, configured = state['computer']
    assert (transport, scheduler, configured) == ('core.local', 'core.direct', True)
    assert MPI_PREPEND_TEXT in prepend
    assert state['transport']['use_login_shell'] is False  # no profile scripts on every poll (their stderr = warnings)
    assert set(state['codes']) == set(QE_EXECUTABLES)
    for label, (_, executable, plugin) in state['codes'].items():
        assert executable == shutil.which(QE_EXECUTABLES[label])
        assert plugin == f'quantumespresso.{label}'
    assert list(state['families']) == [FAMILY_LABEL]
    _, type_string, elements, cutoffs = state['families'][FAMILY_LABEL]
    assert type_string == 'pseudo.family.cutoffs'
    assert elements == sorted(offline_elements())
    assert {'H', 'S', 'Al', 'Li'} <= set(elements)
    assert cutoffs['H']['cutoff_wfc'] > 0

    second = enatom(['setup'], aiida_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert 'nothing changed' in second.stdout
    assert 'Success: profile' not in second.stdout
    assert read_config(aiida_path) == config
    assert dump_state(DEFAULT_PROFILE_NAME, aiida_path) == state

    # --aiida-path wins over AIIDA_PATH; --set-default changes only the default; a broker mismatch is only reported
    elsewhere = aiida_path / 'elsewhere'
    elsewhere.mkdir()
    third = enatom(['setup', '--aiida-path', str(aiida_path), '--set-default', '--no-broker'], elsewhere)
    assert third.returncode == 0, third.stdout + third.stderr
    assert "profile 'enatom' is now the default (was 'other')" in third.stdout
    assert 'not the requested no broker' in third.stdout
    assert [line for line in third.stdout.splitlines() if line.startswith('Success:')][:-1] == [
        "Success: profile 'enatom' is now the default (was 'other')"
    ]
    expected = {**config, 'default_profile': DEFAULT_PROFILE_NAME}
    assert read_config(aiida_path) == expected
    elsewhere_config = elsewhere / '.aiida' / 'config.json'  # the CLI root may create an empty one (AiiDA's doing)
    assert not elsewhere_config.exists() or read_config(elsewhere)['profiles'] == {}


@pytest.mark.requires_broker
def test_embedded_zeromq_daemon(embedded):
    """The embedded profile (SQLite + ZeroMQ broker) runs a submitted pw.x scf through the daemon."""
    aiida_path, _, first = embedded
    assert first.returncode == 0, first.stdout + first.stderr
    result = run_daemon_scf(DEFAULT_PROFILE_NAME, FAMILY_LABEL, aiida_path)
    assert result['finished_ok'], result
    assert result['energy_ev'] < 0


def test_setup_missing_executables(aiida_path, tmp_path):
    """Without QE on PATH: one clear error naming the executables and the apt command; nothing is created."""
    fake_bin = tmp_path / 'bin'
    fake_bin.mkdir()
    fake = fake_bin / 'pw.x'
    fake.write_text('#!/bin/sh\nexit 0\n')
    fake.chmod(0o755)

    proc = enatom(['setup'], aiida_path, path=str(fake_bin))
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert 'Traceback' not in output
    assert 'apt-get install quantum-espresso' in output
    for name in ('ph.x', 'q2r.x', 'matdyn.x', 'pp.x', 'projwfc.x', 'ld1.x'):
        assert name in output
    assert 'pw.x' not in output.split('PATH:')[1].split(';')[0]
    config = aiida_path / '.aiida' / 'config.json'  # the CLI root may create an empty one (AiiDA's own doing)
    assert not config.exists() or read_config(aiida_path)['profiles'] == {}


def test_production_and_no_broker_conflict(aiida_path):
    proc = enatom(['setup', '--production', '--no-broker'], aiida_path)
    assert proc.returncode != 0
    assert 'Traceback' not in proc.stderr
    assert '--no-broker' in proc.stdout + proc.stderr


#: Two fcc-Al candidates at the `test` protocol, one point active at a time: ``Al-nc`` fails by design (its α²F SCF
#: may take one electronic step), ``Al`` finishes. A followed launch must submit ``Al`` once ``Al-nc`` has ended,
#: wait for it, and not submit ``Al-nc`` again.
FOLLOW_CAMPAIGN = """\
name: follow
protocol: test
max_active: 1
require_hydrogen: false
options: {mpiprocs_per_machine: 1, pools: 1}
candidates:
  - label: Al-nc
    prototype: Al
    lattice_constant: 4.06
    pressures: [20]
    overrides:
      alpha2f: {scf: {max_iterations: 2, pw: {parameters: {ELECTRONS: {electron_maxstep: 1}}}}}
  - label: Al
    prototype: Al
    pressures: [10]
    overrides: {alpha2f: {sum_rule_tolerance: 0.05}}
"""


@pytest.mark.requires_broker
def test_campaign_launch_follow_on_the_daemon(embedded):
    """``campaign launch --daemon --follow``: submits as capacity frees up, waits for the end, retries nothing.

    With ``max_active`` 1 a plain ``--daemon`` launch submits only the first sweep; ``--follow`` submits the second
    once the first has ended, returns when both have, and exits 1 because ``Al-nc`` has no result (once, not
    resubmitted in a loop).
    """
    aiida_path, _, first = embedded
    assert first.returncode == 0, first.stdout + first.stderr
    path = aiida_path / 'follow.yaml'
    path.write_text(FOLLOW_CAMPAIGN)
    start = verdi(['-p', DEFAULT_PROFILE_NAME, 'daemon', 'start', '--timeout', '120', '1'], aiida_path, timeout=180)
    assert start.returncode == 0, start.stdout + start.stderr
    try:
        launch = enatom(
            ['-p', DEFAULT_PROFILE_NAME, 'campaign', 'launch', str(path), '--follow', '--interval', '2'],
            aiida_path,
            timeout=900,
        )
    finally:
        verdi(['-p', DEFAULT_PROFILE_NAME, 'daemon', 'stop', '--timeout', '120'], aiida_path, timeout=180)
    output = launch.stdout + launch.stderr
    print(output)
    assert launch.returncode == 1, output
    assert 'Traceback' not in output
    submitted = [line for line in output.splitlines() if 'submitted SweepWorkChain' in line]
    assert len(submitted) == 2, output
    assert 'for Al-nc at 20 GPa' in submitted[0] and 'for Al at 10 GPa' in submitted[1], submitted
    assert '2 sweep(s) submitted' in output and 'points: failed 1, ok 1' in output, output
    assert "campaign 'follow': 1 point(s) without a result" in output
    assert launch.stdout.strip().splitlines()[-1] == 'follow'  # the group label, last, as `campaign launch` prints it
    status = enatom(['-p', DEFAULT_PROFILE_NAME, 'campaign', 'status', 'follow'], aiida_path)
    assert status.returncode == 0 and '2/2 done (failed 1, ok 1)' in status.stdout, status.stdout + status.stderr

"""``aiida-enatom setup computer``/``setup codes`` against a real single-node SLURM, and the documented YAML path.

The SLURM fixture starts munged, slurmctld and slurmd from Debian's packages under a short temporary prefix on free
ports (about 0.5 s) and stops them by PID afterwards. It skips only when the SLURM programs are absent (``make
system`` installs them) or this is not root (slurmd must be root). The CalcJob sent through ``sbatch`` is AiiDA's
``core.arithmetic.add`` on ``/bin/bash``: it proves the computer end to end in seconds without running QE.
"""

from __future__ import annotations

import pathlib
import re
import shutil
import socket
import tempfile
import time

import pytest
import yaml
from click.testing import CliRunner

from aiida_enatom.cli.setup import cmd_setup
from aiida_enatom.setup.common import QE_EXECUTABLES, SetupError
from aiida_enatom.setup.computer import ComputerSpec
from tests.aiida.setup.local_slurm import LocalSlurm, missing_binaries

DOCS = pathlib.Path(__file__).resolve().parents[3] / 'docs' / 'cluster.md'
ENV = ('OMP_NUM_THREADS=1', 'OMPI_ALLOW_RUN_AS_ROOT=1', 'OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1')


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


@pytest.fixture(scope='module')
def slurm():
    """A running single-node SLURM (node ``localhost``, 2 CPUs); yields the :class:`LocalSlurm`."""
    import os

    missing = missing_binaries()
    if missing:
        pytest.skip(f'SLURM programs absent: {", ".join(missing)} (`make system` installs slurmctld slurmd munge)')
    if os.geteuid() != 0:
        pytest.skip('a local SLURM needs root (slurmd starts the jobs as the submitting user)')
    prefix = pathlib.Path(tempfile.mkdtemp(prefix='sl', dir='/tmp'))  # unix socket paths: <= 107 characters
    cluster = LocalSlurm(prefix, cpus=min(2, os.cpu_count() or 1), ctld_port=_free_port(), slurmd_port=_free_port())
    try:
        cluster.start()  # stops what it started if it fails
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(prefix, ignore_errors=True)


def _setup(*args: str):
    return CliRunner().invoke(cmd_setup, list(args), catch_exceptions=False)


def _computer_args(label: str, workdir: pathlib.Path, *extra: str) -> list[str]:
    env = [item for line in ENV for item in ('--env', line)]
    return ['computer', label, '--scheduler', 'slurm', '--workdir', str(workdir), *env, *extra]


@pytest.mark.parametrize(
    ('kwargs', 'message'),
    [
        ({'label': 'bad label'}, 'computer label'),
        ({'label': 'c', 'scheduler': 'core.direct', 'mpirun': 'srun'}, 'srun needs the SLURM scheduler'),
        ({'label': 'c', 'workdir': 'scratch/x'}, 'not absolute'),
        ({'label': 'c', 'workdir': '/scratch/$(id)'}, 'shell characters'),
        ({'label': 'c', 'env': ('A=1; rm -rf /',)}, 'NAME=value'),
        ({'label': 'c', 'hostname': 'login1'}, 'hostname must be localhost'),
        ({'label': 'c', 'mpiprocs_per_machine': 0}, 'out of range'),
    ],
)
def test_spec_rejects_bad_input(kwargs, message):
    """Every bad field gives one line naming it and what would be valid (nothing is stored: no profile needed)."""
    with pytest.raises(SetupError, match=re.escape(message)) as info:
        ComputerSpec(**kwargs)
    assert '\n' not in str(info.value)


def test_spec_prepend_text_and_pools_warning():
    spec = ComputerSpec('c', env=('OMP_NUM_THREADS=1',), prepend_lines=('module load qe',), mpiprocs_per_machine=3)
    assert spec.prepend_text == 'export OMP_NUM_THREADS=1\nmodule load qe'
    assert 'multiple of the 2 k-point pools' in spec.pools_warning
    assert ComputerSpec('c', mpiprocs_per_machine=32).pools_warning is None


def test_setup_computer_on_real_slurm(slurm, tmp_path, monkeypatch):
    """Create (codes included), re-run (nothing changes), update, refuse a conflict; then a job through sbatch."""
    from aiida import orm
    from aiida.engine import run_get_node
    from aiida.plugins import CalculationFactory

    monkeypatch.setenv('SLURM_CONF', str(slurm.conf))  # the process that calls sbatch/squeue needs it
    label = 'slurm-test'
    first = _setup(*_computer_args(label, tmp_path, '--mpiprocs-per-machine', '2'))
    assert first.exit_code == 0, first.output
    assert f"computer '{label}' (core.local + core.slurm on localhost, mpirun, 2 ranks per machine" in first.output
    computer = orm.load_computer(label)
    assert (computer.transport_type, computer.scheduler_type) == ('core.local', 'core.slurm')
    assert computer.get_default_mpiprocs_per_machine() == 2
    assert computer.get_mpirun_command() == ['mpirun', '-np', '{tot_num_mpiprocs}']
    assert computer.get_prepend_text().splitlines() == [f'export {line}' for line in ENV]
    auth = computer.get_authinfo(orm.User.collection.get_default()).get_auth_params()
    assert auth['use_login_shell'] is False  # no profile scripts on every sbatch/squeue call
    for role, executable in QE_EXECUTABLES.items():
        code = orm.load_code(f'{role}@{label}')
        assert str(code.filepath_executable) == shutil.which(executable)
        assert code.default_calc_job_plugin == f'quantumespresso.{role}'

    second = _setup(*_computer_args(label, tmp_path, '--mpiprocs-per-machine', '2'))
    assert second.exit_code == 0, second.output
    assert 'Success: computer' in second.output.splitlines()[-1]
    assert [line for line in second.output.splitlines()[:-1] if not line.startswith('Report:')] == []

    third = _setup(*_computer_args(label, tmp_path, '--mpiprocs-per-machine', '3'))
    assert third.exit_code == 0, third.output
    assert f"computer '{label}': ranks per machine" in third.output
    assert 'not a multiple of the 2 k-point pools' in third.output
    assert orm.load_computer(label).get_default_mpiprocs_per_machine() == 3
    orm.load_computer(label).set_default_mpiprocs_per_machine(2)

    conflict = _setup(*_computer_args(label, tmp_path, '--scheduler', 'pbspro'))
    assert conflict.exit_code != 0
    assert 'exists with hostname/transport/scheduler localhost/core.local/core.slurm' in conflict.output
    assert 'Traceback' not in conflict.output

    computer = orm.load_computer(label)
    computer.set_minimum_job_poll_interval(0.0)  # setup's 1 s is for real runs, not for a test
    bash = orm.InstalledCode(
        computer=computer, filepath_executable='/bin/bash', default_calc_job_plugin='core.arithmetic.add'
    ).store()
    builder = CalculationFactory('core.arithmetic.add').get_builder()
    builder.code = bash
    builder.x = orm.Int(2)
    builder.y = orm.Int(3)
    builder.metadata.options.resources = {'num_machines': 1}  # ranks from the computer
    builder.metadata.options.max_wallclock_seconds = 60
    start = time.monotonic()
    results, node = run_get_node(builder)
    print(f'CalcJob through sbatch: {time.monotonic() - start:.1f} s')
    assert node.is_finished_ok, node.exit_status
    assert results['sum'].value == 5
    assert node.get_job_id().isdigit()
    assert node.get_option('resources') == {'num_machines': 1, 'num_mpiprocs_per_machine': 2}
    log = (slurm.prefix / 'log' / 'slurmctld.log').read_text()
    assert f'JobId={node.get_job_id()} WEXITSTATUS 0' in log


def _documented_yaml() -> dict:
    """The ``verdi computer setup --config`` YAML of docs/cluster.md (the block after its marker comment)."""
    text = DOCS.read_text()
    block = re.search(r'<!-- verdi-computer-setup-config -->\s*```yaml\n(.*?)```', text, re.S)
    assert block, f'{DOCS} has no verdi computer setup YAML block'
    return yaml.safe_load(block.group(1))


def test_documented_verdi_config_and_setup_codes(tmp_path):
    """The YAML in docs/cluster.md is accepted by `verdi computer setup --config`; `setup codes` then adds QE."""
    from aiida import orm
    from aiida.cmdline.commands.cmd_computer import computer_setup
    from aiida.common.extendeddicts import AttributeDict
    from aiida.manage import get_manager
    from aiida.manage.configuration import get_config

    config = _documented_yaml()
    assert (config['transport'], config['scheduler']) == ('core.ssh', 'core.slurm')
    config['label'] = 'doc-cluster'
    path = tmp_path / 'cluster.yml'
    path.write_text(yaml.safe_dump(config))
    obj = AttributeDict({'config': get_config(), 'profile': get_manager().get_profile()})
    result = CliRunner().invoke(computer_setup, ['--config', str(path), '-n'], obj=obj, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    computer = orm.load_computer('doc-cluster')
    assert computer.get_default_mpiprocs_per_machine() == config['mpiprocs_per_machine']
    assert 'module load' in computer.get_prepend_text()

    codes = _setup('codes', 'doc-cluster', '--qe-bin', '/opt/qe/bin')
    assert codes.exit_code == 0, codes.output
    assert str(orm.load_code('pw@doc-cluster').filepath_executable) == '/opt/qe/bin/pw.x'
    again = _setup('codes', 'doc-cluster', '--qe-bin', '/opt/qe/bin')
    assert again.exit_code == 0 and 'Success: code' not in again.output, again.output
    missing = _setup('codes', 'no-such-computer')
    assert missing.exit_code != 0 and "no computer 'no-such-computer'" in missing.output


def _stored_localhost(label: str, workdir):
    """Store a bare core.local + core.direct computer, as an earlier version of setup (or a user) left it."""
    from aiida import orm

    return orm.Computer(
        label=label,
        hostname='localhost',
        transport_type='core.local',
        scheduler_type='core.direct',
        workdir=str(workdir),
    ).store()


def test_localhost_ranks_come_from_the_computer(tmp_path):
    """`setup` gives localhost 2 ranks (the protocols' pools) and raises an older localhost's 1 to 2, once."""
    from aiida import orm

    from aiida_enatom.setup.codes import LOCALHOST_RANKS, ensure_computer

    computer, actions = ensure_computer(tmp_path, label='enatom-local-new')
    assert computer.get_default_mpiprocs_per_machine() == LOCALHOST_RANKS == 2
    assert [a.kind for a in actions] == ['created', 'created']

    old = _stored_localhost('enatom-local-old', tmp_path)
    old.set_default_mpiprocs_per_machine(1)  # what earlier versions of setup stored
    _, actions = ensure_computer(tmp_path, label='enatom-local-old')
    assert f"computer 'enatom-local-old': {LOCALHOST_RANKS} MPI ranks per calculation" in [a.message for a in actions]
    assert orm.load_computer('enatom-local-old').get_default_mpiprocs_per_machine() == 2
    _, actions = ensure_computer(tmp_path, label='enatom-local-old')
    assert not any(a.changed for a in actions)


def test_localhost_prepend_text_is_updated_in_place(tmp_path):
    """An older version of setup's MPI line is replaced (not duplicated); the user's own lines stay, in order."""
    from aiida import orm

    from aiida_enatom.setup.codes import ensure_computer
    from aiida_enatom.setup.common import MPI_PREPEND_TEXT

    computer = _stored_localhost('enatom-local-prepend', tmp_path)
    older = 'export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1'  # session-1 setup
    computer.set_prepend_text(f'module load qe\n{older}\nexport MY_VAR=1')
    _, actions = ensure_computer(tmp_path, label='enatom-local-prepend')
    assert f"computer 'enatom-local-prepend': MPI exports of its prepend text: {MPI_PREPEND_TEXT}" in [
        a.message for a in actions
    ]
    assert orm.load_computer('enatom-local-prepend').get_prepend_text().splitlines() == [
        'module load qe',
        'export MY_VAR=1',
        MPI_PREPEND_TEXT,
    ]
    assert 'OMPI_MCA_hwloc_base_binding_policy=none' in MPI_PREPEND_TEXT  # 1-rank jobs at once must not share core 0
    _, actions = ensure_computer(tmp_path, label='enatom-local-prepend')
    assert not any(a.changed for a in actions)

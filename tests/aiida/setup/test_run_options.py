"""Run options → ``metadata.options``: accepted forms, refusals in one line, and that AiiDA accepts the result."""

from __future__ import annotations

import pytest

from aiida_enatom.setup.common import SetupError
from aiida_enatom.setup.run_options import parse_walltime, pool_overrides, run_options


@pytest.mark.parametrize(
    ('value', 'seconds'),
    [(3600, 3600), ('3600', 3600), ('01:30:00', 5400), ('1-00:00:00', 86400), ('6h', 21600), ('90min', 5400)],
)
def test_walltime_forms(value, seconds):
    assert parse_walltime(value) == seconds


@pytest.mark.parametrize(
    ('options', 'message'),
    [
        ({'walltime': 'forever'}, "walltime 'forever' is not a duration"),
        ({'walltime': '01:75:00'}, 'minutes or seconds >= 60'),
        ({'walltime': 0}, 'outside 1 s to 365 days'),
        ({'walltime': True}, 'not a duration'),
        ({'num_machines': 0}, 'options.num_machines = 0 is not an integer from 1'),
        ({'mpiprocs_per_machine': 2.5}, 'options.mpiprocs_per_machine = 2.5'),
        ({'queue': 'debug\n#SBATCH --uid=0'}, 'is not a scheduler name'),
        ({'account': 'a b'}, 'is not a scheduler name'),
        ({'qos': '$(id)'}, 'is not a scheduler name'),
        ({'partition': 'x'}, 'unknown run option(s) partition; valid: num_machines'),
    ],
)
def test_bad_options_are_refused_in_one_line(options, message):
    with pytest.raises(SetupError) as info:
        run_options(options)
    assert message in str(info.value)
    assert '\n' not in str(info.value)  # a newline in the value is shown escaped


def test_options_translate_and_are_valid_calcjob_options(aiida_localhost):
    """The result goes through a CalcJob's ``metadata.options`` validation (no DB write)."""
    from aiida.plugins import CalculationFactory

    options = run_options(
        {'num_machines': 2, 'mpiprocs_per_machine': 4, 'walltime': '02:00:00', 'queue': 'compute', 'account': 'p-1'}
    )
    assert options == {
        'resources': {'num_machines': 2, 'num_mpiprocs_per_machine': 4},
        'max_wallclock_seconds': 7200,
        'queue_name': 'compute',
        'account': 'p-1',
    }
    assert run_options(None) == {} and run_options({'pools': 4}) == {}
    spec = CalculationFactory('quantumespresso.pw').spec()
    assert spec.inputs['metadata']['options'].validate(options) is None


def test_pool_overrides():
    overrides = pool_overrides(4)
    assert overrides['relax_base']['pw']['parallelization'] == {'npool': 4}
    assert overrides['alpha2f']['scf']['pw']['parallelization'] == {'npool': 4}
    assert overrides['alpha2f']['ph']['ph']['settings']['CMDLINE'] == ['-nk', '4']
    assert overrides['enatom']['scf']['pw']['parallelization'] == {'npool': 4}
    assert pool_overrides(4, 'enatom') == {'scf': {'pw': {'parallelization': {'npool': 4}}}}
    with pytest.raises(SetupError, match=r'options\.pools = 0'):
        pool_overrides(0)

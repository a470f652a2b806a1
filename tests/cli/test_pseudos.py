"""``aiida-enatom pseudos validate`` through click's runner: bad input gives one clear error line, no work."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from aiida_enatom.cli.pseudos import cmd_pseudos
from aiida_enatom.io.qe_pw import PwError

SUMMARY = {
    'element': 'H',
    'ld1': {'max_abs_delta_e': 0.000023, 'bessel_ghosts': []},
    'atom': {'max_deviation': 0.002, 'ghosts': []},
}


@pytest.fixture
def calls(monkeypatch):
    """Replace the validation driver; record its calls and return ``SUMMARY`` per element."""
    recorded = []

    def fake(elements, **kwargs):
        recorded.append((elements, kwargs))
        summaries = [SUMMARY | {'element': element} for element in elements]
        for summary in summaries:
            kwargs['progress'](summary)
        return summaries

    monkeypatch.setattr('aiida_enatom.pseudos.validate.driver.validate_elements', fake)
    return recorded


def invoke(*args: str):
    return CliRunner().invoke(cmd_pseudos, ['validate', *args])


def error_lines(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith('Error:')]


@pytest.mark.parametrize(
    ('args', 'fragments'),
    [
        (['Xe'], ["no ld1.x input for 'Xe'", 'the offline family has Al, Ca, H']),
        (['H', 'Fe', 'Xe'], ["'Fe', 'Xe'"]),
        (['H', '--pw', 'no-such-pw.x'], ["'--pw': 'no-such-pw.x' is not an executable on PATH"]),
        (['H', '--ld1', 'no-such-ld1.x'], ["'--ld1': 'no-such-ld1.x' is not an executable"]),
        (['H', '--json', '/no/such/folder/out.json'], ["'--json': folder '/no/such/folder' does not exist"]),
    ],
)
def test_bad_input_one_line_and_no_work(calls, args, fragments):
    result = invoke(*args)
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)  # click's exit, not a traceback
    (line,) = error_lines(result)
    for fragment in fragments:
        assert fragment in line
    assert calls == []


def test_table_json_and_options(calls, tmp_path):
    path = tmp_path / 'out.json'
    result = invoke('H', 'Li', 'H', '--no-eos', '--json', str(path), '--directory', str(tmp_path / 'upf'))
    assert result.exit_code == 0, result.output
    ((elements, kwargs),) = calls
    assert elements == ('H', 'Li')  # duplicates dropped, order kept
    assert kwargs['eos'] is False and kwargs['cutoffs'] is True
    assert kwargs['directory'] == tmp_path / 'upf' and kwargs['pw'] == 'pw.x' and kwargs['ld1'] == 'ld1.x'
    rows = [line for line in result.stdout.splitlines() if line.startswith('| H |')]
    assert rows == ['| H | 0.023 | 0 | 2.0 / 0 | — | — | — | — | — | — |']
    assert [s['element'] for s in json.loads(path.read_text())] == ['H', 'Li']


def test_default_is_every_available_element(calls):
    from aiida_enatom.pseudos import available_elements

    assert invoke().exit_code == 0
    assert calls[0][0] == tuple(available_elements())


def test_qe_failure_is_one_line(monkeypatch):
    message = 'pw.x output: pw.x stopped: Error in routine readpp (1): file Li.UPF not found'

    def fail(elements, **kwargs):
        raise PwError(message)

    monkeypatch.setattr('aiida_enatom.pseudos.validate.driver.validate_elements', fail)
    result = invoke('Li')
    assert result.exit_code == 1
    assert error_lines(result) == [f'Error: {message}']
    assert 'Traceback' not in result.output


def test_listed_under_the_root_command():
    import click

    from aiida_enatom.cli import cmd_root

    with click.Context(cmd_root) as ctx:
        assert 'pseudos' in cmd_root.list_commands(ctx)
        assert cmd_root.get_command(ctx, 'pseudos') is cmd_pseudos

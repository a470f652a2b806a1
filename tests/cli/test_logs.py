"""The console rewording of expected pw.x messages during in-process campaign runs."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from aiida_enatom.cli.logs import EXPECTED, explain_expected_messages

MESSAGE = 'The ionic minimization cycle converged but the thresholds are exceeded in the final SCF.'


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@contextlib.contextmanager
def captured() -> Iterator[tuple[_Capture, logging.Logger]]:
    """A capturing handler on the ``aiida`` logger and a child logger to emit on; the handler is removed after."""
    handler = _Capture()
    logger = logging.getLogger('aiida')
    logger.addHandler(handler)
    try:
        yield handler, logging.getLogger('aiida.test.calcjob')
    finally:
        logger.removeHandler(handler)


def test_expected_message_is_reworded_only_inside_the_block():
    assert MESSAGE in EXPECTED
    with captured() as (handler, child):
        with explain_expected_messages():
            child.error(MESSAGE)
            child.warning(f'output parser returned exit code<501>: {MESSAGE}')  # dropped: said already
            child.log(
                23,
                f'[196|PwBaseWorkChain|report_error_handled]: PwCalculation<201> failed with exit status 501: '
                f'{MESSAGE}',  # PwBaseWorkChain's report of the handled error: dropped too
            )
            child.error('Error in routine cdiaghg: S matrix not positive definite')
        child.error(MESSAGE)
    reworded, other, outside = handler.records
    assert reworded.levelname == 'REPORT' and 'meta-convergence' in reworded.getMessage()
    assert other.levelname == 'ERROR'  # anything else stays an error
    assert outside.levelname == 'ERROR' and outside.getMessage() == MESSAGE
    assert not handler.filters


def test_handled_bfgs_history_failure_is_one_report_line():
    """Exit status 520 of a vc-relax (seen in `make quickstart` on 2026-11-27): three lines become one REPORT."""
    text = (
        'The ionic minimization cycle terminated prematurely because of two consecutive failures in the BFGS algorithm.'
    )
    assert text in EXPECTED
    with captured() as (handler, child):
        with explain_expected_messages():
            child.error('ERROR_IONIC_CYCLE_BFGS_HISTORY_FAILURE')
            child.error(text)
            child.warning(f'output parser returned exit code<520>: {text}')
            child.log(
                23,
                f'[109|PwBaseWorkChain|report_error_handled]: PwCalculation<114> failed with exit status 520: {text}',
            )
    (only,) = handler.records
    assert only.levelname == 'REPORT' and 'exit status 520' in only.getMessage()
    assert 'trust_radius_min' in only.getMessage()

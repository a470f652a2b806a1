"""Console messages of in-process runs that a newcomer would misread, reworded where they are expected.

pw.x ends a vc-relax with an SCF in a fresh plane-wave basis; when the stress of that SCF exceeds ``press_conv_thr``
(Pulay stress), aiida-quantumespresso's parser logs the exit message of status 501 at ERROR level, and
``PwRelaxWorkChain`` handles it by design: the pre-relaxation accepts it, the main relax runs again from the final
cell (meta-convergence). On the console that reads as a failure ("Error: The ionic minimization cycle converged
but ..."). While a campaign runs in this process, that one message is shown at REPORT level with what happens next;
aiida-core's matching warning ("output parser returned exit code<501>") and PwBaseWorkChain's report of the handled
error ("PwCalculation<pk> failed with exit status 501") are left out. The same for exit status 520 (two failed
BFGS steps in a row, which ``PwBaseWorkChain`` restarts with a smaller ``trust_radius_min``). The log stored on the
node is untouched (``verdi process report`` still shows the original).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

__all__ = ('EXPECTED', 'REDUNDANT', 'REDUNDANT_PARTS', 'explain_expected_messages')

#: Exact message → (console text). Only messages that a workflow handles by design belong here.
EXPECTED = {
    'The ionic minimization cycle converged but the thresholds are exceeded in the final SCF.': (
        'pw.x: the final SCF of a vc-relax, in a fresh plane-wave basis, exceeds the stress threshold (Pulay '
        'stress, exit status 501); aiida-quantumespresso relaxes again from the final cell (meta-convergence), or '
        'accepts it for the pre-relaxation'
    ),
    'The ionic minimization cycle terminated prematurely because of two consecutive failures in the BFGS algorithm.': (
        'pw.x: two BFGS steps of a vc-relax failed in a row (exit status 520, usually close to the minimum); '
        'aiida-quantumespresso restarts it from the last structure with a smaller trust_radius_min'
    ),
}


#: Message prefixes dropped from the console while the block runs, because a reworded line already says it.
REDUNDANT = (
    'output parser returned exit code<501>:',
    'output parser returned exit code<520>:',
    'ERROR_IONIC_CYCLE_BFGS_HISTORY_FAILURE',  # the parser's name of the 520 message, logged just before it
)

#: Message parts dropped likewise: PwBaseWorkChain's report of the handled error ("[pk|PwBaseWorkChain|
#: report_error_handled]: PwCalculation<pk> failed with exit status 501: The ionic ...").
REDUNDANT_PARTS = (
    'failed with exit status 501: The ionic minimization cycle converged',
    'failed with exit status 520: The ionic minimization cycle terminated prematurely',
)


class _Reword(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith(REDUNDANT) or any(part in message for part in REDUNDANT_PARTS):
            return False
        text = EXPECTED.get(message)
        if text is not None:
            record.msg, record.args = text, ()
            record.levelno, record.levelname = 23, 'REPORT'  # aiida's REPORT level
        return True


@contextlib.contextmanager
def explain_expected_messages() -> Iterator[None]:
    """Reword :data:`EXPECTED` messages on the console handlers of the ``aiida`` logger while the block runs."""
    handlers = logging.getLogger('aiida').handlers
    rewording = _Reword()
    for handler in handlers:
        handler.addFilter(rewording)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(rewording)

"""``enatom.ph_base``: aiida-quantumespresso's ``PhBaseWorkChain`` with ph.x restarts that work on this stack."""

from __future__ import annotations

from aiida.engine import ProcessHandlerReport, process_handler
from aiida.orm import CalcJobNode
from aiida.plugins import CalculationFactory
from aiida_quantumespresso.workflows.ph.base import PhBaseWorkChain

from aiida_enatom.calculations.functions.merge_ph_restarts import merge_ph_restarts
from aiida_enatom.calculations.ph import EnatomPhCalculation

PhCalculation = CalculationFactory('quantumespresso.ph')

__all__ = ('ALPHA_MIX_LATE', 'ERROR_MARKER', 'MAX_NMIX_PH', 'MIN_ALPHA_MIX', 'EnatomPhBaseWorkChain', 'was_interrupted')

MAX_NMIX_PH = 5
"""Largest ``INPUTPH.nmix_ph`` that ph.x accepts on this stack.

Quantum ESPRESSO 6.7's ``phq_readin`` stops with "Wrong nmix_ph" unless 1 ≤ nmix_ph ≤ 5 (checked with Debian's
ph.x 6.7: 1 to 5 run, 6, 8 and 20 stop). aiida-quantumespresso 5.1 restarts a non-converged ph.x with
``nmix_ph = 8``, so on this stack its first convergence restart would stop in ph.x's input reading.
"""

MIN_ALPHA_MIX = 0.1
"""Smallest ``alpha_mix(1)`` the halving step goes to; below it ``alpha_mix(20)`` is set instead (as upstream)."""

ALPHA_MIX_LATE = 0.4
"""Value that the last step gives ``alpha_mix(20)``, the mixing from iteration 20 on (as upstream)."""


ERROR_MARKER = '%%%%%%%%%%%%%%%%'
"""Start of the banner with which Quantum ESPRESSO's ``errore`` stops a run (ph.x 6.7 prints it to stdout)."""


def was_interrupted(stdout: str | None) -> bool:
    """Tell whether an incomplete ph.x stdout comes from a run that was stopped from outside.

    ph.x writes ``JOB DONE.`` at its end. Without it the run either stopped itself on an error (bad input, a
    failed diagonalisation: QE's ``errore`` banner of ``%`` signs) or was stopped from outside (a killed process, a
    lost node, a scheduler limit that the scheduler output did not report). Only the second can be continued from
    the recover data.

    Parameters
    ----------
    stdout
        Content of ph.x's standard output, or None when it was not retrieved.

    Returns
    -------
    bool
        True when the output has started (ph.x printed its header) and ends neither in ``JOB DONE.`` nor in an
        error banner.
    """
    if not stdout or 'Program PHONON' not in stdout:
        return False
    return 'JOB DONE' not in stdout and ERROR_MARKER not in stdout


def _stdout(node: CalcJobNode) -> str | None:
    """Return the retrieved ph.x stdout of ``node``, or None when it was not retrieved."""
    try:
        return node.outputs.retrieved.base.repository.get_object_content(node.get_option('output_filename'))
    except (AttributeError, KeyError, FileNotFoundError, OSError, TypeError):
        return None


class EnatomPhBaseWorkChain(PhBaseWorkChain):
    """``PhBaseWorkChain`` whose convergence restarts keep ``nmix_ph`` within what ph.x 6.7 accepts.

    Two changes: ``handle_convergence_not_reached`` (same name, so it replaces the parent's handler; same priority
    410 and exit code), and the calculations run as :class:`~aiida_enatom.calculations.ph.EnatomPhCalculation`
    (``enatom.ph``), because aiida-quantumespresso 5.1's ``PhCalculation`` raises ``KeyError: 'INPUTPH'`` in
    ``prepare_for_submission`` for every restart from a ph.x folder (its issue #1212), so no restart of upstream's
    ``PhBaseWorkChain`` reaches ph.x, whichever handler asked for it; ``enatom.ph`` also repairs ph.x 6.7's recover
    data of metals and el-ph runs before a restart. Inputs (the ``ph`` namespace is still exposed
    from ``PhCalculation``; ``enatom.ph`` has the same spec), outputs, protocols and the other handlers are those of
    aiida-quantumespresso.
    """

    _process_class = EnatomPhCalculation

    @classmethod
    def define(cls, spec):
        """Define the process specification: upstream's, with the outputs exposed for ``EnatomPhCalculation`` too."""
        super().define(spec)
        # Upstream exposes the outputs of `PhCalculation`, but `BaseRestartWorkChain.get_outputs` looks exposed outputs
        # up by `_process_class`; without this no output of the last calculation would be attached (the ports are the
        # same, the subclass does not change the spec).
        spec.expose_outputs(EnatomPhCalculation, exclude=('retrieved_folder',))

    def create_merged_output(self):
        """Merge the outputs of the ph.x runs when there were restarts, counting each q-point once.

        Upstream sums the runs' lists of irreducible representations, which counts a q-point twice when a killed run
        had finished it and the recover restart prints it again; :func:`merge_ph_restarts` counts the complete
        dynamical matrices instead (the same key for the same q in every run).

        Returns
        -------
        ExitCode or None
            ``ERROR_MERGING_QPOINTS`` if q-points of the grid have no complete dynamical matrix in any run.
        """
        if self.inputs.only_initialization.value or len(self.ctx.children) == 1:
            return None
        outputs = {
            f'output_{index + 1}': child.outputs.output_parameters
            for index, child in enumerate(self.ctx.children)
            if 'output_parameters' in child.outputs
        }
        inputph = self.ctx.inputs.parameters['INPUTPH']
        expected = self.ctx.children[0].outputs.output_parameters['number_of_qpoints']
        expected = inputph.get('last_q', expected) - inputph.get('start_q', 1) + 1
        merged = merge_ph_restarts(**outputs)
        if merged['number_of_qpoints'] != expected:
            self.report(f'Only {merged["number_of_qpoints"]} of {expected} q-points have a complete dynamical matrix.')
            return self.exit_codes.ERROR_MERGING_QPOINTS
        self.report(f'Merged {expected} q-points from {len(outputs)} ph.x runs.')
        self.ctx.merged_output_parameters = merged
        return None

    @process_handler(priority=590, exit_codes=PhCalculation.exit_codes.ERROR_OUTPUT_STDOUT_INCOMPLETE)
    def handle_interrupted(self, node: CalcJobNode) -> ProcessHandlerReport | None:
        """Handle a ph.x run stopped from outside: restart it from its recover data.

        A ph.x process killed mid-run (SIGKILL, a lost node, the machine or session going down, a daemon restarted
        after the job vanished) leaves an incomplete stdout (``ERROR_OUTPUT_STDOUT_INCOMPLETE``, 312) and, in its
        remote folder, the recover data of every representation it finished. aiida-quantumespresso has no handler for
        this exit code, so the work chain used to abort and the point lost all the ph.x work done. The restart runs
        with ``recover = .true.`` from the failed run's folder (``enatom.ph`` carries over ``DYN_MAT`` and
        ``elph_dir`` and repairs ph.x 6.7's recover data), so only the unfinished representations are computed again.
        The number of restarts is bounded by ``max_iterations``.

        A run that stopped itself on an error (QE's ``%%%%`` banner in stdout, e.g. an invalid input value) is not
        restarted: the handler returns None and the failure stays unhandled, as before.

        Parameters
        ----------
        node
            The failed ``PhCalculation``.

        Returns
        -------
        ProcessHandlerReport or None
            ``do_break=True`` with a restart from ``node``, or None if ph.x stopped on an error of its own.
        """
        stdout = _stdout(node)
        if not was_interrupted(stdout):
            return None
        self.ctx.restart_calc = node
        self.report_error_handled(node, 'ph.x was stopped from outside: restarting from its recover data')
        return ProcessHandlerReport(True)

    @process_handler(priority=585, exit_codes=PhCalculation.exit_codes.ERROR_OUTPUT_STDOUT_INCOMPLETE)
    def handle_failed_recover(self, node: CalcJobNode) -> ProcessHandlerReport | None:
        """Handle a recover restart that stopped on an error of ph.x: start once more from the SCF, without recover.

        A ph.x killed while it writes (the next q-point's wavefunctions, its recover files) leaves recover data that
        the restart cannot read, and ph.x stops on an error banner (seen in the fault-injection campaign: a ph.x
        SIGKILLed 3.8 s in, its recover restart ended 1.5 s later). :meth:`handle_interrupted` does not restart a
        run that stopped on an error, so the point used to fail. This handler restarts ph.x from the work chain's
        own ``parent_folder`` (the SCF) with ``recover = .false.``: the representations done before are computed
        again, but the point survives. Once per work chain; a second such failure stays unhandled.

        Parameters
        ----------
        node
            The failed ``PhCalculation``.

        Returns
        -------
        ProcessHandlerReport or None
            ``do_break=True`` with a fresh start, or None if ``node`` was not a recover restart that stopped on an
            error, or if a fresh start was already made.
        """
        parameters = node.inputs.parameters.get_dict().get('INPUTPH', {})
        if not parameters.get('recover') or self.ctx.get('fresh_start_after_failed_recover'):
            return None
        stdout = _stdout(node)
        if not stdout or 'Program PHONON' not in stdout or ERROR_MARKER not in stdout:
            return None
        self.ctx.fresh_start_after_failed_recover = True
        self.ctx.restart_calc = None
        self.ctx.inputs.parameters.setdefault('INPUTPH', {})['recover'] = False
        self.ctx.inputs.parent_folder = self.inputs.ph.parent_folder
        self.report_error_handled(
            node, 'the recover restart stopped on an error reading its recover data: starting again from the SCF'
        )
        return ProcessHandlerReport(True)

    @process_handler(priority=410, exit_codes=PhCalculation.exit_codes.ERROR_CONVERGENCE_NOT_REACHED)
    def handle_convergence_not_reached(self, node: CalcJobNode) -> ProcessHandlerReport:
        """Handle ``ERROR_CONVERGENCE_NOT_REACHED``: restart from the last iteration with stronger mixing settings.

        The steps, one per failure:

        1. ``nmix_ph`` below :data:`MAX_NMIX_PH`: raise it to :data:`MAX_NMIX_PH` (the parent would set 8, which
           ph.x 6.7 rejects at input reading);
        2. otherwise halve ``alpha_mix(1)`` (default 0.7) while the result stays ≥ :data:`MIN_ALPHA_MIX`;
        3. then set ``alpha_mix(20)`` to :data:`ALPHA_MIX_LATE`;
        4. once ``alpha_mix(20)`` is set, no setting is left to change: restart unchanged, which continues the
           iterations from the recover data, until ``max_iterations``.

        Steps 2–4 are the parent's (aiida-quantumespresso 5.1 ``workflows/ph/base.py``), written out here because
        the parent's method always starts with its ``nmix_ph < 8`` step and cannot be called past it.

        Parameters
        ----------
        node
            The failed ``PhCalculation``; its remote folder becomes the restart's ``parent_folder``
            (``recover = .true.``).

        Returns
        -------
        ProcessHandlerReport
            ``do_break=True`` for steps 1–3, ``do_break=False`` for step 4 (as the parent); both restart.
        """
        self.ctx.restart_calc = node
        inputph = self.ctx.inputs.parameters.setdefault('INPUTPH', {})
        nmix_ph = inputph.get('nmix_ph', self.defaults.nmix_ph)

        if nmix_ph < MAX_NMIX_PH:
            inputph['nmix_ph'] = MAX_NMIX_PH
            action = (
                f'increased nmix_ph from {nmix_ph} to {MAX_NMIX_PH} (the largest ph.x 6.7 accepts) and restarting '
                'from the last iteration'
            )
            self.report_error_handled(node, action)
            return ProcessHandlerReport(True)

        return self._reduce_alpha_mix(node)

    def _reduce_alpha_mix(self, node: CalcJobNode) -> ProcessHandlerReport:
        """Apply steps 2–4 of :meth:`handle_convergence_not_reached` to ``ctx.inputs`` and report the action.

        Parameters
        ----------
        node
            The failed ``PhCalculation``.

        Returns
        -------
        ProcessHandlerReport
            The report that the handler returns.
        """
        inputph = self.ctx.inputs.parameters.setdefault('INPUTPH', {})

        if inputph.get('alpha_mix(20)') is not None:
            action = (
                f'nmix_ph = {inputph.get("nmix_ph")}, alpha_mix(1) = {inputph.get("alpha_mix(1)")} and '
                f'alpha_mix(20) = {inputph["alpha_mix(20)"]} already set: no mixing setting left to change, '
                'restarting unchanged from the last iteration; if it still fails, raise niter_ph or check the '
                'SCF (k-points, smearing) that ph.x starts from'
            )
            self.report_error_handled(node, action)
            return ProcessHandlerReport(False)

        # `alpha_mix` without an index is alpha_mix(1) for ph.x (aiida-quantumespresso's protocol sets it that way)
        alpha_mix = inputph.get('alpha_mix(1)', inputph.get('alpha_mix', self.defaults.alpha_mix))
        alpha_mix_new = alpha_mix * self.defaults.delta_factor_alpha_mix

        if alpha_mix_new >= MIN_ALPHA_MIX:
            inputph.pop('alpha_mix', None)
            inputph['alpha_mix(1)'] = alpha_mix_new
            action = f'reduced alpha_mix(1) from {alpha_mix} to {alpha_mix_new} and restarting from the last iteration'
        else:
            inputph['alpha_mix(20)'] = ALPHA_MIX_LATE
            action = (
                f'alpha_mix(1) = {alpha_mix} cannot be halved below {MIN_ALPHA_MIX}: set alpha_mix(20) = '
                f'{ALPHA_MIX_LATE} and restarting from the last iteration'
            )

        self.report_error_handled(node, action)
        return ProcessHandlerReport(True)

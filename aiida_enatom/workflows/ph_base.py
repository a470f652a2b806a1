"""``enatom.ph_base``: aiida-quantumespresso's ``PhBaseWorkChain`` with ph.x restarts that work on this stack."""

from __future__ import annotations

from aiida.engine import ProcessHandlerReport, process_handler
from aiida.orm import CalcJobNode
from aiida.plugins import CalculationFactory
from aiida_quantumespresso.workflows.ph.base import PhBaseWorkChain

from aiida_enatom.calculations.ph import EnatomPhCalculation

PhCalculation = CalculationFactory('quantumespresso.ph')

__all__ = ('ALPHA_MIX_LATE', 'MAX_NMIX_PH', 'MIN_ALPHA_MIX', 'EnatomPhBaseWorkChain')

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

        alpha_mix = inputph.get('alpha_mix(1)', self.defaults.alpha_mix)
        alpha_mix_new = alpha_mix * self.defaults.delta_factor_alpha_mix

        if alpha_mix_new >= MIN_ALPHA_MIX:
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

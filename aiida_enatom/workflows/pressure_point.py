"""``enatom.pressure_point``: vc-relax at a pressure, then ``enatom.alpha2f`` (and ``enatom.enatom``) on the result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiida import orm
from aiida.common import AttributeDict
from aiida.engine import ToContext, WorkChain, if_
from aiida_quantumespresso.common.types import RelaxType
from aiida_quantumespresso.workflows.protocols.utils import ProtocolMixin, recursive_merge
from aiida_quantumespresso.workflows.pw.relax import PwRelaxWorkChain

from aiida_enatom.calculations.functions.build_results_record import build_results_record
from aiida_enatom.calculations.functions.extract_pressure import extract_pressure
from aiida_enatom.constants import KBAR_PER_GPA
from aiida_enatom.workflows.alpha2f import Alpha2FWorkChain, _load_codes
from aiida_enatom.workflows.cutoffs import stringency_cutoffs
from aiida_enatom.workflows.enatom import EnatomWorkChain
from aiida_enatom.workflows.mixins import CleanWorkdirMixin
from aiida_enatom.workflows.protocols import get_protocol_filepath
from aiida_enatom.workflows.validation import codes_problem, validate_pressure, validate_structure

__all__ = ('STATUS_EXTRA', 'PressurePointWorkChain')

#: Extra set on every pressure point when it terminates: the record status, or failed / killed / excepted.
STATUS_EXTRA = 'enatom_status'


class PressurePointWorkChain(ProtocolMixin, CleanWorkdirMixin, WorkChain):
    """Relax a structure at pressure P and compute its α²F, species split, metrics and stability.

    Outline: ``PwRelaxWorkChain`` (vc-relax, ``CELL.press`` = 10·P kbar) → pressure of the relaxed cell →
    ``Alpha2FWorkChain`` on the relaxed structure, in parallel with ``EnatomWorkChain`` on the same structure when
    ``run_enatom`` is true (off by default: the supercell SCFs are expensive) → the results record
    (``build_results_record``), written for every point that has an α²F, stable or not.

    Without the ``relax`` namespace the input ``structure`` is taken as already relaxed at ``pressure`` and
    ``structure_pressure`` must give its computed pressure: ``enatom.sweep`` relaxes a pressure grid in order and
    hands each relaxed cell (with its provenance) to a point this way.
    """

    @classmethod
    def define(cls, spec):
        """Define the process specification."""
        super().define(spec)
        spec.input(
            'structure', valid_type=orm.StructureData, validator=validate_structure, help='The starting crystal.'
        )
        spec.input(
            'pressure', valid_type=orm.Float, validator=validate_pressure, help='Target hydrostatic pressure in GPa.'
        )
        spec.input(
            'structure_pressure',
            valid_type=orm.Float,
            required=False,
            help='Computed pressure (GPa) of `structure` when it is already relaxed (no `relax` namespace).',
        )
        spec.input(
            'protocol',
            valid_type=orm.Str,
            required=False,
            help='Name of the protocol the inputs came from; stored in the results record (default "custom").',
        )
        spec.input(
            'candidate',
            valid_type=orm.Str,
            required=False,
            help='Candidate label (campaign file); stored in the results record (default: the reduced formula).',
        )
        spec.input(
            'run_enatom',
            valid_type=orm.Bool,
            default=lambda: orm.Bool(False),
            help='Also run the enatom stage (`EnatomWorkChain`, inputs in `enatom`) on the relaxed structure.',
        )
        spec.expose_inputs(
            PwRelaxWorkChain,
            namespace='relax',
            exclude=('structure', 'clean_workdir'),
            namespace_options={
                'required': False,
                'populate_defaults': False,
                'help': 'Inputs of the vc-relax; CELL.press must equal 10 × `pressure` (kbar). Leave out to take '
                '`structure` as relaxed at `structure_pressure`.',
            },
        )
        spec.expose_inputs(
            Alpha2FWorkChain,
            namespace='alpha2f',
            exclude=('structure', 'clean_workdir'),
            namespace_options={'help': 'Inputs of the α²F stage on the relaxed structure.'},
        )
        spec.expose_inputs(
            EnatomWorkChain,
            namespace='enatom',
            exclude=('structure', 'clean_workdir'),
            namespace_options={
                'required': False,
                'populate_defaults': False,
                'help': 'Inputs of the enatom stage on the relaxed structure; needed only with `run_enatom`.',
            },
        )
        spec.inputs.validator = cls.validate_inputs
        spec.outline(
            if_(cls.should_relax)(cls.run_relax, cls.inspect_relax).else_(cls.take_structure_as_relaxed),
            cls.run_stages,
            cls.inspect_alpha2f,
            if_(cls.should_run_enatom)(cls.inspect_enatom),
            cls.results,
        )
        spec.output('relaxed_structure', valid_type=orm.StructureData, help='The structure relaxed at `pressure`.')
        spec.output('pressure', valid_type=orm.Float, help='Pressure of the relaxed cell in GPa (final SCF stress).')
        spec.output(
            'results',
            valid_type=orm.Dict,
            required=False,
            help='The versioned results record (aiida_enatom.common.record): every metric plus the query context.',
        )
        spec.output(
            'results_summary',
            valid_type=orm.Dict,
            required=False,
            help="A small copy of the record's table columns, rank keys and status, which rankings query.",
        )
        spec.expose_outputs(Alpha2FWorkChain, namespace='alpha2f')
        spec.expose_outputs(
            EnatomWorkChain,
            namespace='enatom',
            namespace_options={'required': False, 'help': 'Outputs of the enatom stage (only with `run_enatom`).'},
        )
        spec.exit_code(
            450,
            'ERROR_SUB_PROCESS_FAILED_RELAX',
            message='The vc-relax failed: see the PwRelaxWorkChain report; try a structure closer to the target '
            'pressure or a looser press_conv_thr.',
        )
        spec.exit_code(
            451,
            'ERROR_SUB_PROCESS_FAILED_ALPHA2F',
            message='The alpha2f stage failed with exit status {status}: {message}',
        )
        spec.exit_code(
            452,
            'ERROR_DYNAMICALLY_UNSTABLE',
            message='The relaxed structure is dynamically unstable at this pressure; outputs kept, metrics flagged.',
        )
        spec.exit_code(
            453,
            'ERROR_PARTIAL_SUM_RULE',
            message='The species partials violate the λ sum rule (outputs attached): {message}',
        )
        spec.exit_code(454, 'ERROR_PRESSURE_NOT_AVAILABLE', message='The relaxed pressure could not be computed.')
        spec.exit_code(456, 'ERROR_RESULTS_RECORD', message='The results record could not be built: {message}')
        spec.exit_code(
            455,
            'ERROR_SUB_PROCESS_FAILED_ENATOM',
            message='The enatom stage failed with exit status {status}: {message}',
        )

    @staticmethod
    def validate_inputs(value, ctx):
        """Check CELL.press against ``pressure`` and that ``run_enatom`` comes with inputs in ``enatom``.

        When the namespace is exposed without ``relax`` and ``structure_pressure`` (``enatom.sweep``), only the
        enatom check applies: the exposing WorkChain sets those per point.
        """
        if 'run_enatom' in value and value['run_enatom'].value and not value.get('enatom'):
            return (
                '`run_enatom=True` needs the `enatom` inputs (EnatomWorkChain without structure and clean_workdir); '
                "build them with get_builder_from_protocol(..., overrides={'run_enatom': True})."
            )
        problem = codes_problem(value, {'relax.base_relax.pw.code': 'pw'})
        if problem:
            return problem
        if ctx is not None and ('structure_pressure' not in ctx or 'relax' not in ctx):
            return None
        if not value.get('relax'):
            if 'structure_pressure' not in value:
                return 'without `relax` inputs, `structure_pressure` (GPa of the already relaxed structure) is needed.'
            return None
        try:
            press = value['relax']['base_relax']['pw']['parameters']['CELL']['press']
        except KeyError:
            return '`relax.base_relax.pw.parameters` must set CELL.press (kbar) = 10 × `pressure` (GPa).'
        expected = value['pressure'].value * KBAR_PER_GPA
        if abs(press - expected) > 1.0e-6 * max(1.0, abs(expected)):
            return (
                f'CELL.press = {press} kbar does not match pressure = {value["pressure"].value} GPa ({expected} kbar).'
            )

    @classmethod
    def get_protocol_filepath(cls):
        """Return the path of the ``pressure_point.yaml`` protocol file."""
        return get_protocol_filepath('pressure_point')

    @classmethod
    def get_builder_from_protocol(
        cls,
        codes: Mapping[str, orm.AbstractCode | str],
        structure: orm.StructureData,
        pressure: float,
        protocol: str | None = None,
        overrides: dict[str, Any] | None = None,
        options: dict[str, Any] | None = None,
        candidate: str | None = None,
        **_,
    ):
        """Return a builder for a pressure point prepopulated with the inputs of ``protocol``.

        Parameters
        ----------
        codes
            Codes (or labels) keyed ``'pw'``, ``'ph'``, ``'q2r'``, ``'matdyn'``, ``'projwfc'``, and ``'pp'`` (only
            needed when ``run_enatom`` is true).
        structure
            Starting structure.
        pressure
            Target pressure in GPa; the vc-relax gets ``CELL.press`` = 10 × pressure kbar.
        protocol
            ``'test'``, ``'fast'``, ``'balanced'`` (default) or ``'stringent'``; also selects the alpha2f and
            enatom protocols.
        overrides
            Nested dict over the protocol: meta keys (``qe_protocol``, ``pseudo_family``, ``cutoff_stringency`` (the
            family's recommended cutoffs of the relax, also given to the alpha2f stage), ``run_init_relax``,
            ``run_enatom``, ``press_conv_thr``, ``relax_base`` = PwBaseWorkChain overrides of both relax stages),
            ``alpha2f`` (overrides of :meth:`Alpha2FWorkChain.get_builder_from_protocol`) and ``enatom`` (overrides
            of :meth:`EnatomWorkChain.get_builder_from_protocol`, on top of this protocol's ``pseudo_family``; only
            used with ``run_enatom``).
        options
            Merged into ``metadata.options`` of every CalcJob.
        candidate
            Candidate label stored in the results record (default: the reduced formula).

        Returns
        -------
        ProcessBuilder
            Ready to run.

        Raises
        ------
        ValueError
            If a code is missing, in particular ``'pp'`` when ``run_enatom`` is true.
        """
        overrides = dict(overrides or {})
        alpha2f_overrides = overrides.pop('alpha2f', {})
        enatom_overrides = overrides.pop('enatom', {})
        inputs = cls.get_protocol_inputs(protocol, overrides)
        run_enatom = bool(inputs['run_enatom'])
        if run_enatom and 'pp' not in codes:
            raise ValueError("`run_enatom` is true but `codes` has no 'pp' entry (the pp.x code of the enatom stage)")
        codes = _load_codes(codes, ('pw', 'ph', 'q2r', 'matdyn', 'projwfc'))
        press = float(pressure) * KBAR_PER_GPA
        cutoffs = stringency_cutoffs(inputs['pseudo_family'], structure, inputs.get('cutoff_stringency'))
        alpha2f_overrides = recursive_merge({'cutoff_stringency': inputs.get('cutoff_stringency')}, alpha2f_overrides)
        stage = recursive_merge(
            recursive_merge({'pw': {'parameters': {'SYSTEM': cutoffs}}}, inputs['relax_base']),
            {
                'pseudo_family': inputs['pseudo_family'],
                'pw': {'parameters': {'CELL': {'press': press, 'press_conv_thr': inputs['press_conv_thr']}}},
            },
        )
        relax = PwRelaxWorkChain.get_builder_from_protocol(
            codes['pw'],
            structure,
            protocol=inputs['qe_protocol'],
            overrides={'base_relax': stage, 'base_init_relax': stage},
            relax_type=RelaxType.POSITIONS_CELL,
            options=options,
        )
        relax.pop('structure', None)
        relax.pop('clean_workdir', None)
        if not inputs['run_init_relax']:
            relax.pop('base_init_relax', None)
        alpha2f = Alpha2FWorkChain.get_builder_from_protocol(
            codes, structure, protocol=protocol, overrides=alpha2f_overrides, options=options
        )
        alpha2f.pop('structure', None)
        alpha2f.pop('clean_workdir', None)

        builder = cls.get_builder()
        builder.structure = structure
        builder.pressure = orm.Float(float(pressure))
        builder.relax = relax
        builder.alpha2f = alpha2f
        if run_enatom:
            enatom = EnatomWorkChain.get_builder_from_protocol(
                {'pw': codes['pw'], 'pp': codes['pp']},
                structure,
                protocol=protocol,
                overrides=recursive_merge({'pseudo_family': inputs['pseudo_family']}, enatom_overrides),
                options=options,
            )
            enatom.pop('structure', None)  # set to the relaxed structure in `run_stages`
            enatom.pop('clean_workdir', None)
            builder.enatom = enatom
        builder.run_enatom = orm.Bool(run_enatom)
        builder.clean_workdir = orm.Bool(inputs['clean_workdir'])
        builder.protocol = orm.Str(protocol or cls.get_default_protocol())
        if candidate is not None:
            builder.candidate = orm.Str(candidate)
        return builder

    def should_relax(self) -> bool:
        """Return whether the vc-relax runs (the ``relax`` namespace is populated)."""
        return bool(self.inputs.get('relax'))

    def take_structure_as_relaxed(self):
        """Use the input structure as relaxed, at ``structure_pressure`` (set by ``enatom.sweep``)."""
        self.ctx.relaxed_structure = self.inputs.structure
        self.ctx.pressure = self.inputs.structure_pressure
        self.report(
            f'structure taken as relaxed at {self.ctx.pressure.value:.2f} GPa (target {self.inputs.pressure.value} GPa)'
        )

    def run_relax(self):
        """Run the vc-relax at the target pressure."""
        inputs = AttributeDict(self.exposed_inputs(PwRelaxWorkChain, namespace='relax'))
        inputs.structure = self.inputs.structure
        inputs.clean_workdir = orm.Bool(False)
        inputs.metadata.call_link_label = 'relax'
        node = self.submit(PwRelaxWorkChain, **inputs)
        self.report(f'launching PwRelaxWorkChain<{node.pk}> at {self.inputs.pressure.value} GPa')
        return ToContext(relax=node)

    def inspect_relax(self):
        """Check the relax and compute the pressure of the relaxed cell."""
        node = self.ctx.relax
        if not node.is_finished_ok or 'output_structure' not in node.outputs:
            self.report(f'PwRelaxWorkChain<{node.pk}> failed with exit status {node.exit_status}: {node.exit_message}')
            return self.exit_codes.ERROR_SUB_PROCESS_FAILED_RELAX
        try:
            self.ctx.pressure = extract_pressure(
                node.outputs.output_trajectory, metadata={'call_link_label': 'extract_pressure'}
            )
        except Exception as exception:  # noqa: BLE001 - any failure of the calcfunction maps to one exit code
            self.report(f'cannot compute the relaxed pressure: {exception}')
            return self.exit_codes.ERROR_PRESSURE_NOT_AVAILABLE
        self.ctx.relaxed_structure = node.outputs.output_structure
        self.report(f'relaxed at {self.ctx.pressure.value:.2f} GPa (target {self.inputs.pressure.value} GPa)')

    def run_stages(self):
        """Submit the α²F stage and, if requested, the enatom stage on the relaxed structure; wait for both."""
        futures = {'alpha2f': self._submit_stage(Alpha2FWorkChain, 'alpha2f')}
        if self.should_run_enatom():
            futures['enatom'] = self._submit_stage(EnatomWorkChain, 'enatom')
        return ToContext(**futures)

    def _submit_stage(self, process_class, namespace: str):
        """Submit ``process_class`` with the inputs exposed in ``namespace`` on the relaxed structure."""
        inputs = AttributeDict(self.exposed_inputs(process_class, namespace=namespace))
        inputs.structure = self.ctx.relaxed_structure
        inputs.clean_workdir = orm.Bool(False)
        inputs.metadata.call_link_label = namespace
        node = self.submit(process_class, **inputs)
        self.report(f'launching {process_class.__name__}<{node.pk}>')
        return node

    def inspect_alpha2f(self):
        """Check the α²F stage; instability and sum-rule failures keep their data and are reported in results."""
        node = self.ctx.alpha2f
        kept = (
            Alpha2FWorkChain.exit_codes.ERROR_DYNAMICALLY_UNSTABLE.status,
            Alpha2FWorkChain.exit_codes.ERROR_PARTIAL_SUM_RULE.status,
        )
        if not node.is_finished_ok and node.exit_status not in kept:
            self.report(f'Alpha2FWorkChain<{node.pk}> failed with exit status {node.exit_status}')
            return self.exit_codes.ERROR_SUB_PROCESS_FAILED_ALPHA2F.format(
                status=node.exit_status, message=node.exit_message
            )

    def should_run_enatom(self) -> bool:
        """Return whether the enatom stage is requested (``run_enatom``)."""
        return self.inputs.run_enatom.value

    def inspect_enatom(self):
        """Check the enatom stage; any failure ends this WorkChain with its own exit code."""
        node = self.ctx.enatom
        if not node.is_finished_ok:
            self.report(f'EnatomWorkChain<{node.pk}> failed with exit status {node.exit_status}')
            return self.exit_codes.ERROR_SUB_PROCESS_FAILED_ENATOM.format(
                status=node.exit_status, message=node.exit_message
            )

    def results(self):
        """Attach the relaxed structure, its pressure, the α²F and enatom outputs; flag instability and sum rule."""
        self.out('relaxed_structure', self.ctx.relaxed_structure)
        self.out('pressure', self.ctx.pressure)
        self.out_many(self.exposed_outputs(self.ctx.alpha2f, Alpha2FWorkChain, namespace='alpha2f'))
        if self.should_run_enatom():
            self.out_many(self.exposed_outputs(self.ctx.enatom, EnatomWorkChain, namespace='enatom'))
        record_error = self._build_results_record()
        if record_error is not None:
            return record_error
        status = self.ctx.alpha2f.exit_status
        if status == Alpha2FWorkChain.exit_codes.ERROR_PARTIAL_SUM_RULE.status:
            return self.exit_codes.ERROR_PARTIAL_SUM_RULE.format(message=self.ctx.alpha2f.exit_message)
        if status == Alpha2FWorkChain.exit_codes.ERROR_DYNAMICALLY_UNSTABLE.status:
            return self.exit_codes.ERROR_DYNAMICALLY_UNSTABLE

    def _build_results_record(self):
        """Attach the results record (every metric plus the query context); return an exit code on failure."""
        outputs = self.ctx.alpha2f.outputs
        context = {
            'candidate': self.inputs.candidate.value if 'candidate' in self.inputs else None,
            'protocol': self.inputs.protocol.value if 'protocol' in self.inputs else None,
            'target_pressure_GPa': self.inputs.pressure.value,
        }
        extra = {}
        if self.should_run_enatom() and 'plane_wave' in self.ctx.enatom.outputs:
            extra['plane_wave'] = self.ctx.enatom.outputs.plane_wave
        try:
            record = build_results_record(
                metrics=outputs.metrics,
                stability=outputs.stability,
                structure=self.ctx.relaxed_structure,
                pressure=self.ctx.pressure,
                context=orm.Dict(context),
                metadata={'call_link_label': 'build_results_record'},
                **extra,
            )
        except Exception as exception:  # noqa: BLE001 - any calcfunction failure maps to one exit code
            self.report(f'cannot build the results record: {type(exception).__name__}: {exception}')
            return self.exit_codes.ERROR_RESULTS_RECORD.format(message=str(exception))
        self.out('results', record['record'])
        self.out('results_summary', record['summary'])
        self.report(f'results record: status {record["record"]["status"]}, rankable {record["record"]["rankable"]}')
        return None

    def on_terminated(self) -> None:
        """Store the point's status as the extra ``enatom_status`` (campaign queries need no process-tree walk)."""
        super().on_terminated()
        status = 'failed'
        if 'results' in self.node.outputs:
            status = self.node.outputs.results['status']
        elif self.node.is_killed:
            status = 'killed'
        elif self.node.is_excepted:
            status = 'excepted'
        self.node.base.extras.set(STATUS_EXTRA, status)

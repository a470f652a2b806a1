"""``enatom.sweep``: one candidate over a pressure grid, relaxed in pressure order, then every α²F concurrently."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiida import orm
from aiida.common import AttributeDict
from aiida.engine import ToContext, WorkChain, while_
from aiida_quantumespresso.workflows.protocols.utils import ProtocolMixin
from aiida_quantumespresso.workflows.pw.relax import PwRelaxWorkChain

from aiida_enatom.calculations.functions.extract_pressure import extract_pressure
from aiida_enatom.calculations.functions.tabulate_sweep import tabulate_sweep
from aiida_enatom.common.runner_tag import RUNNER_EXTRA, current_runner
from aiida_enatom.constants import KBAR_PER_GPA
from aiida_enatom.workflows.mixins import CleanWorkdirMixin
from aiida_enatom.workflows.pressure_point import STATUS_EXTRA, PressurePointWorkChain
from aiida_enatom.workflows.protocols import get_protocol_filepath
from aiida_enatom.workflows.validation import codes_problem, validate_structure

__all__ = ('POINT_EXTRAS', 'SweepWorkChain', 'pressure_key')

#: Extras set on every pressure point a sweep launches, so that campaign queries need no process-tree walk.
POINT_EXTRAS = ('enatom_campaign', 'enatom_candidate', 'enatom_formula', 'enatom_pressure_GPa', 'enatom_protocol')


def pressure_key(pressure_gpa: float) -> str:
    """Link-label-safe key of a pressure, e.g. 200.0 → ``'p200_0'`` (GPa)."""
    return 'p' + f'{pressure_gpa:.6g}'.replace('.', '_').replace('-', 'm')


class SweepWorkChain(ProtocolMixin, CleanWorkdirMixin, WorkChain):
    """Relax one candidate over a pressure grid in ascending order, each relax starting from the previous cell.

    Outline: vc-relax at P₁ (with aiida-quantumespresso's pre-relaxation when configured) → vc-relax at P₂ starting
    from the cell relaxed at P₁ (no pre-relaxation) → … → one ``enatom.pressure_point`` per relaxed pressure
    (taking the relaxed cell as is), at most ``max_concurrent`` at a time → ``tabulate_sweep`` collects the results
    records into one table. A failed relax or point is marked in the table and never fails the sweep; the next
    relax then starts from the last good cell.
    """

    @classmethod
    def define(cls, spec):
        """Define the process specification."""
        super().define(spec)
        spec.input(
            'structure',
            valid_type=orm.StructureData,
            validator=validate_structure,
            help='The starting structure of the candidate.',
        )
        spec.input('pressures', valid_type=orm.List, help='Target pressures in GPa (any order; run ascending).')
        spec.input(
            'structure_relaxed_at',
            valid_type=orm.Float,
            required=False,
            help='GPa at which `structure` is already relaxed (a relaunch continuing from a finished point): every '
            'relax then starts warm, without the pre-relaxation.',
        )
        spec.input('candidate', valid_type=orm.Str, required=False, help='Candidate label (default: formula).')
        spec.input('protocol', valid_type=orm.Str, required=False, help='Protocol name, stored in every record.')
        spec.input(
            'campaign',
            valid_type=orm.Str,
            required=False,
            help='Label of the campaign group: each point is added to it, with the extras of POINT_EXTRAS.',
        )
        spec.input(
            'max_concurrent',
            valid_type=orm.Int,
            default=lambda: orm.Int(1000),
            help='At most this many pressure points run at the same time.',
        )
        spec.expose_inputs(
            PwRelaxWorkChain,
            namespace='relax',
            exclude=('structure', 'clean_workdir'),
            namespace_options={'help': 'vc-relax inputs; CELL.press is set per pressure by the sweep.'},
        )
        spec.expose_inputs(
            PressurePointWorkChain,
            namespace='point',
            exclude=('structure', 'pressure', 'structure_pressure', 'relax', 'protocol', 'candidate', 'clean_workdir'),
            namespace_options={'help': 'Inputs of every pressure point (alpha2f, run_enatom, enatom).'},
        )
        spec.inputs.validator = cls.validate_inputs
        spec.outline(
            cls.setup,
            while_(cls.should_relax)(cls.run_relax, cls.inspect_relax),
            while_(cls.should_run_points)(cls.run_points, cls.inspect_points),
            cls.results,
        )
        spec.output('table', valid_type=orm.Dict, help='Per pressure: status and the rankable numbers of its record.')
        spec.output_namespace('records', valid_type=orm.Dict, dynamic=True, help='Results record per pressure.')
        spec.exit_code(
            460, 'ERROR_NO_POINT_FINISHED', message='No pressure point of the sweep produced a results record.'
        )

    @staticmethod
    def validate_inputs(value, _):
        """Check the pressure grid: non-empty, finite, positive, no duplicates."""
        pressures = list(value['pressures'].get_list()) if 'pressures' in value else []
        if not pressures:
            return '`pressures` is empty; give at least one pressure in GPa.'
        if any(not isinstance(p, (int, float)) or not 0 < p <= 1000 for p in pressures):
            return f'`pressures` = {pressures}: every pressure must be a number in (0, 1000] GPa.'
        if len(set(pressures)) != len(pressures):
            return f'`pressures` = {pressures} has duplicates.'
        return codes_problem(value, {'relax.base_relax.pw.code': 'pw'})

    @classmethod
    def get_protocol_filepath(cls):
        """Return the protocol file of ``enatom.pressure_point`` (a sweep has the same protocols)."""
        return get_protocol_filepath('pressure_point')

    @classmethod
    def get_builder_from_protocol(
        cls,
        codes: Mapping[str, orm.AbstractCode | str],
        structure: orm.StructureData,
        pressures: list[float],
        protocol: str | None = None,
        overrides: dict[str, Any] | None = None,
        options: dict[str, Any] | None = None,
        candidate: str | None = None,
        campaign: str | None = None,
        max_concurrent: int | None = None,
        **_,
    ):
        """Return a sweep builder: the inputs of :meth:`PressurePointWorkChain.get_builder_from_protocol`.

        Parameters
        ----------
        codes, structure, protocol, overrides, options, candidate
            As for :meth:`PressurePointWorkChain.get_builder_from_protocol`.
        pressures
            Target pressures in GPa.
        campaign
            Label of the campaign group the points join.
        max_concurrent
            At most this many points at a time (default: all).
        """
        pressures = [float(p) for p in pressures]
        point = PressurePointWorkChain.get_builder_from_protocol(
            codes,
            structure,
            pressure=min(pressures),
            protocol=protocol,
            overrides=overrides,
            options=options,
            candidate=candidate,
        )
        builder = cls.get_builder()
        builder.structure = structure
        builder.pressures = orm.List(sorted(pressures))
        builder.relax = point.relax._inputs(prune=True)
        builder.point.alpha2f = point.alpha2f._inputs(prune=True)
        builder.point.run_enatom = point.run_enatom
        if point.run_enatom.value:
            builder.point.enatom = point.enatom._inputs(prune=True)
        builder.protocol = point.protocol
        if candidate is not None:
            builder.candidate = orm.Str(candidate)
        if campaign is not None:
            builder.campaign = orm.Str(campaign)
        if max_concurrent is not None:
            builder.max_concurrent = orm.Int(max_concurrent)
        builder.clean_workdir = point.clean_workdir
        return builder

    def setup(self):
        """Order the pressures and start from the input structure."""
        self.ctx.pressures = sorted(float(p) for p in self.inputs.pressures.get_list())
        self.ctx.relax_index = 0
        self.ctx.structure = self.inputs.structure
        self.ctx.relaxed = {}  # pressure_key → {pressure, structure pk, computed-pressure pk, ionic steps}
        self.ctx.failed = {}  # pressure_key → reason
        self.ctx.pending = []  # target pressures relaxed and waiting for their point
        self.ctx.points = {}  # pressure_key → PressurePointWorkChain pk

    def should_relax(self) -> bool:
        """Return whether a pressure is left to relax."""
        return self.ctx.relax_index < len(self.ctx.pressures)

    def run_relax(self):
        """vc-relax at the next pressure from the last relaxed cell (the pre-relaxation only for a cold start)."""
        pressure = self.ctx.pressures[self.ctx.relax_index]
        inputs = AttributeDict(self.exposed_inputs(PwRelaxWorkChain, namespace='relax'))
        inputs.structure = self.ctx.structure
        inputs.clean_workdir = orm.Bool(False)
        warm = bool(self.ctx.relaxed) or 'structure_relaxed_at' in self.inputs
        for stage in ('base_relax', 'base_init_relax'):
            if stage not in inputs:
                continue
            if warm and stage == 'base_init_relax':
                inputs.pop(stage)
                continue
            parameters = inputs[stage]['pw']['parameters'].get_dict()
            parameters.setdefault('CELL', {})['press'] = pressure * KBAR_PER_GPA
            inputs[stage]['pw']['parameters'] = orm.Dict(parameters)
        inputs.metadata.call_link_label = f'relax_{pressure_key(pressure)}'
        node = self.submit(PwRelaxWorkChain, **inputs)
        if self.ctx.relaxed:
            start = 'the previous relaxed cell'
        elif warm:
            start = f'the input structure, relaxed at {self.inputs.structure_relaxed_at.value:g} GPa'
        else:
            start = 'the input structure'
        self.report(f'launching PwRelaxWorkChain<{node.pk}> at {pressure:g} GPa from {start}')
        return ToContext(relax=node)

    def inspect_relax(self):
        """Keep the relaxed cell and its pressure; a failed relax marks its pressure and the sweep goes on."""
        pressure = self.ctx.pressures[self.ctx.relax_index]
        self.ctx.relax_index += 1
        node = self.ctx.relax
        if not node.is_finished_ok or 'output_structure' not in node.outputs:
            self.report(f'relax at {pressure:g} GPa failed ({node.exit_status}); the next starts from the last cell')
            self.ctx.failed[pressure_key(pressure)] = f'relax failed: exit status {node.exit_status}'
            return
        computed = extract_pressure(
            node.outputs.output_trajectory, metadata={'call_link_label': f'extract_pressure_{pressure_key(pressure)}'}
        )
        steps = int(node.outputs.output_trajectory.numsteps)
        self.ctx.relaxed[pressure_key(pressure)] = {
            'pressure': pressure,
            'structure': node.outputs.output_structure.pk,
            'computed': computed.pk,
            'steps': steps,
        }
        self.ctx.structure = node.outputs.output_structure
        self.ctx.pending.append(pressure)
        self.report(f'relaxed at {computed.value:.2f} GPa (target {pressure:g}) in {steps} ionic steps')

    def should_run_points(self) -> bool:
        """Return whether relaxed pressures are waiting for their α²F."""
        return bool(self.ctx.pending)

    def run_points(self):
        """Launch the next batch of at most ``max_concurrent`` pressure points."""
        batch, self.ctx.pending = (
            self.ctx.pending[: self.inputs.max_concurrent.value],
            self.ctx.pending[self.inputs.max_concurrent.value :],
        )
        futures = {}
        group = None
        if 'campaign' in self.inputs:
            group, _ = orm.Group.collection.get_or_create(self.inputs.campaign.value)
        for pressure in batch:
            relaxed = self.ctx.relaxed[pressure_key(pressure)]
            inputs = AttributeDict(self.exposed_inputs(PressurePointWorkChain, namespace='point'))
            structure = orm.load_node(relaxed['structure'])
            inputs.structure = structure
            inputs.structure_pressure = orm.load_node(relaxed['computed'])
            inputs.pressure = orm.Float(pressure)
            inputs.clean_workdir = self.inputs.clean_workdir
            for name in ('protocol', 'candidate'):
                if name in self.inputs:
                    inputs[name] = self.inputs[name]
            inputs.metadata.call_link_label = f'point_{pressure_key(pressure)}'
            node = self.submit(PressurePointWorkChain, **inputs)
            node.base.extras.set_many(self._point_extras(structure, pressure))
            if group is not None:
                group.add_nodes(node)
            futures[f'point_{pressure_key(pressure)}'] = node
            self.ctx.points[pressure_key(pressure)] = node.pk
            self.report(f'launching PressurePointWorkChain<{node.pk}> at {pressure:g} GPa')
        return ToContext(**futures)

    def _point_extras(self, structure: orm.StructureData, pressure: float) -> dict[str, Any]:
        formula = structure.get_pymatgen_structure().composition.reduced_formula
        return {
            'enatom_campaign': self.inputs.campaign.value if 'campaign' in self.inputs else None,
            'enatom_candidate': self.inputs.candidate.value if 'candidate' in self.inputs else formula,
            'enatom_formula': formula,
            'enatom_pressure_GPa': pressure,
            'enatom_protocol': self.inputs.protocol.value if 'protocol' in self.inputs else 'custom',
            STATUS_EXTRA: 'running',
            RUNNER_EXTRA: None if self.runner.is_daemon_runner else current_runner(),
        }

    def inspect_points(self):
        """Note the points of the batch that ended without a results record; they never fail the sweep."""
        for key, pk in self.ctx.points.items():
            node = orm.load_node(pk)
            if node.is_terminated and 'results' not in node.outputs and key not in self.ctx.failed:
                self.ctx.failed[key] = f'point failed: exit status {node.exit_status}'
                self.report(f'PressurePointWorkChain<{pk}> ({key}) ended without a results record')

    def results(self):
        """Tabulate the records (a calcfunction, so the table has provenance) and attach them."""
        records = {}
        for key, pk in self.ctx.points.items():
            node = orm.load_node(pk)
            if 'results' in node.outputs:
                records[key] = node.outputs.results
        for key, record in records.items():
            self.out(f'records.{key}', record)
        sweep = {
            'pressures_GPa': {pressure_key(p): p for p in self.ctx.pressures},
            'relax_steps': {key: value['steps'] for key, value in self.ctx.relaxed.items()},
            'failed': dict(self.ctx.failed),
        }
        table = tabulate_sweep(
            sweep=orm.Dict(sweep),
            metadata={'call_link_label': 'tabulate_sweep'},
            **records,
        )
        self.out('table', table)
        if not records:
            return self.exit_codes.ERROR_NO_POINT_FINISHED
        return None

"""``enatom.alpha2f``: Eliashberg function α²F(ω) with species-resolved parts, from Quantum ESPRESSO."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiida import orm
from aiida.common import AttributeDict
from aiida.engine import ToContext, WorkChain, if_
from aiida.plugins import CalculationFactory
from aiida_quantumespresso.workflows.protocols.utils import ProtocolMixin, recursive_merge
from aiida_quantumespresso.workflows.pw.base import PwBaseWorkChain

from aiida_enatom.calculations.functions.assess_stability import assess_stability
from aiida_enatom.calculations.functions.check_partial_sum import check_partial_sum
from aiida_enatom.calculations.functions.compute_eliashberg_dos import compute_eliashberg_dos
from aiida_enatom.calculations.functions.compute_fermi_pdos import compute_fermi_pdos
from aiida_enatom.calculations.functions.compute_metrics import compute_metrics
from aiida_enatom.calculations.functions.compute_scattering_route2 import compute_scattering_route2
from aiida_enatom.calculations.functions.compute_tc_derivative import compute_tc_derivative
from aiida_enatom.calculations.functions.create_elph_meshes import create_elph_meshes
from aiida_enatom.calculations.functions.extend_metrics import extend_metrics
from aiida_enatom.calculations.functions.locate_interpolated_minimum import locate_interpolated_minimum
from aiida_enatom.calculations.functions.parse_matdyn_a2f import parse_matdyn_a2f
from aiida_enatom.calculations.functions.split_alpha2f import split_alpha2f
from aiida_enatom.calculations.functions.substitute_isotopes import substitute_isotopes
from aiida_enatom.common.ph_split import resolve_split
from aiida_enatom.data.alpha2f import Alpha2FData
from aiida_enatom.numerics.eliashberg import DEFAULT_MU_STAR_CONVENTION, MU_STAR_CONVENTIONS
from aiida_enatom.workflows.cutoffs import stringency_cutoffs
from aiida_enatom.workflows.mixins import CleanWorkdirMixin
from aiida_enatom.workflows.ph_base import EnatomPhBaseWorkChain
from aiida_enatom.workflows.ph_split import EnatomPhSplitWorkChain
from aiida_enatom.workflows.protocols import get_protocol_filepath
from aiida_enatom.workflows.validation import codes_problem, validate_mu_star, validate_structure

Q2rCalculation = CalculationFactory('quantumespresso.q2r')
MatdynCalculation = CalculationFactory('quantumespresso.matdyn')
ProjwfcCalculation = CalculationFactory('quantumespresso.projwfc')

__all__ = ('DIRECT_CHECK_DROPPED_KEYS', 'Alpha2FWorkChain')

#: INPUTPH keys of the el-ph grid run that the direct single-q check drops (a plain phonon run at one q).
DIRECT_CHECK_DROPPED_KEYS = ('electron_phonon', 'el_ph_sigma', 'el_ph_nsigma', 'fildvscf', 'trans', 'start_q', 'last_q')


#: Where each QE code sits in the inputs of ``enatom.alpha2f`` (dotted path → role).
CODE_PATHS = {
    'scf.pw.code': 'pw',
    'ph.ph.code': 'ph',
    'q2r.code': 'q2r',
    'matdyn.code': 'matdyn',
    'projwfc.code': 'projwfc',
}


def validate_codes(inputs, _=None) -> str | None:
    """Namespace validator: every code runs the QE program of its role (also when exposed, e.g. as ``alpha2f``)."""
    return codes_problem(inputs, CODE_PATHS)


class Alpha2FWorkChain(ProtocolMixin, CleanWorkdirMixin, WorkChain):
    """Compute α²F(ω), its species-pair and per-species parts, the superconducting metrics and a stability verdict.

    Outline: commensurate meshes → pw.x SCF with ``la2F`` on the dense k-mesh → pw.x SCF on the ph.x k-mesh (its
    ``parent_folder`` copies the ``a2Fsave`` file), together with projwfc.x on the dense SCF → ph.x el-ph
    (``electron_phonon='interpolated'``) → q2r.x (``la2F``; the real-space Γ files are retrieved) → matdyn.x
    (phonon DOS and α²F on the fine q-mesh) → locate the most imaginary interpolated mode → if ph.x's grid is
    stable but the interpolated mesh is not (and ``stability_direct_check``): ph.x directly at that q-point (same
    SCF, no el-ph) → calcfunctions: parse α²F, split it by atom, check the partial sum rule, assess dynamical
    stability (with the evidence that decided it), N_s(0) at E_F, metrics, I² by the on-site Γ route, H → D from the
    stored force constants (isotope coefficients), T_c with projwfc.x's energy-dependent N(ε), the metrics extended by
    all three.
    """

    @classmethod
    def define(cls, spec):
        """Define the process specification."""
        super().define(spec)
        spec.input(
            'structure', valid_type=orm.StructureData, validator=validate_structure, help='The (relaxed) crystal.'
        )
        spec.input('kpoints_distance', valid_type=orm.Float, help='k-point spacing (1/Å) of the SCF that ph.x uses.')
        spec.input(
            'kpoints_distance_la2f',
            valid_type=orm.Float,
            help='k-point spacing (1/Å) of the dense la2F SCF; rounded to a multiple of the SCF mesh.',
        )
        spec.input('qpoints_distance', valid_type=orm.Float, help='q-point spacing (1/Å) of the ph.x grid.')
        spec.input(
            'matdyn_qpoints_distance',
            valid_type=orm.Float,
            help='q-point spacing (1/Å) of the fine matdyn.x mesh on which α²F and the phonon DOS are computed.',
        )
        spec.input(
            'mu_star',
            valid_type=orm.Float,
            default=lambda: orm.Float(0.10),
            validator=validate_mu_star,
            help='Coulomb pseudopotential μ*, in [0, 0.5].',
        )
        spec.input(
            'mu_star_convention',
            valid_type=orm.Str,
            default=lambda: orm.Str(DEFAULT_MU_STAR_CONVENTION),
            validator=_validate_mu_star_convention,
            help='Frequency at which mu_star is quoted in the Eliashberg solver: ten_omega_max (at 10 ω_max, rescaled '
            "to the Matsubara cutoff), cutoff (applied at the cutoff, EPW's muc) or omega_log.",
        )
        spec.input(
            'default_smearing_index',
            valid_type=orm.Int,
            default=lambda: orm.Int(3),
            help='0-based index of the el-ph smearing whose α²F gives the scalar metrics.',
        )
        spec.input(
            'stability_threshold',
            valid_type=orm.Float,
            default=lambda: orm.Float(3.0),
            help='Imaginary-mode tolerance in meV: a phonon below -threshold marks the structure as unstable.',
        )
        spec.input(
            'stability_direct_check',
            valid_type=orm.Bool,
            default=lambda: orm.Bool(True),
            help="If ph.x's q-grid is stable but matdyn's interpolated mesh is not, run ph.x directly at the worst "
            'interpolated q-point and let it decide the verdict; if false, such a point stays unstable.',
        )
        spec.input(
            'isotope_substitution',
            valid_type=orm.Bool,
            default=lambda: orm.Bool(True),
            help='If the structure has hydrogen, re-diagonalise the stored force constants with H -> D (no new DFT): '
            'T_c of full deuteration and the isotope coefficients alpha, alpha_H, alpha_M in the metrics.',
        )
        spec.input(
            'sum_rule_tolerance',
            valid_type=orm.Float,
            default=lambda: orm.Float(0.01),
            help='Largest relative difference between λ of the summed partials and matdyn.x λ.',
        )
        spec.input(
            'ph_split_by_q',
            valid_type=orm.Bool,
            default=lambda: orm.Bool(False),
            help='Run the el-ph ph.x as one job per irreducible q-point (enatom.ph_split), gathered for q2r.x: same '
            'results, jobs a batch scheduler can place on different nodes. The protocol key `ph_split_by_q: auto` '
            'switches it on for a batch-scheduler computer when ph.x asks for more than one node.',
        )
        spec.expose_inputs(
            PwBaseWorkChain,
            namespace='scf',
            exclude=('clean_workdir', 'pw.structure', 'pw.parent_folder', 'kpoints', 'kpoints_distance'),
            namespace_options={'help': 'Inputs of both pw.x SCF runs (the la2F one on the dense mesh, then ph.x).'},
        )
        spec.expose_inputs(
            EnatomPhBaseWorkChain,
            namespace='ph',
            exclude=('clean_workdir', 'ph.parent_folder', 'qpoints', 'qpoints_distance', 'qpoints_force_parity'),
            namespace_options={'help': 'Inputs of the electron-phonon ph.x run.'},
        )
        spec.expose_inputs(
            Q2rCalculation,
            namespace='q2r',
            exclude=('parent_folder',),
            namespace_options={'help': 'Inputs of q2r.x (la2F: writes the real-space Γ).'},
        )
        spec.expose_inputs(
            MatdynCalculation,
            namespace='matdyn',
            exclude=('parent_folder', 'force_constants', 'kpoints'),
            namespace_options={'help': 'Inputs of matdyn.x (phonon DOS and α²F on the fine q-mesh).'},
        )
        spec.expose_inputs(
            ProjwfcCalculation,
            namespace='projwfc',
            exclude=('parent_folder',),
            namespace_options={'help': 'Inputs of projwfc.x on the dense SCF (atom-projected DOS at E_F).'},
        )
        spec.inputs.validator = validate_codes
        spec.outline(
            cls.create_meshes,
            cls.run_scf_la2f,
            cls.inspect_scf_la2f,
            cls.run_scf_and_projwfc,
            cls.inspect_scf_and_projwfc,
            cls.run_ph,
            cls.inspect_ph,
            cls.run_q2r,
            cls.inspect_q2r,
            cls.run_matdyn,
            cls.inspect_matdyn,
            cls.locate_interpolated_minimum,
            if_(cls.should_run_direct_check)(
                cls.run_direct_check,
                cls.inspect_direct_check,
            ),
            cls.analyse,
            cls.results,
        )
        spec.output('alpha2f', valid_type=Alpha2FData, help='α²F for every smearing, with species partials.')
        spec.output('metrics', valid_type=orm.Dict, help='λ, moments, T_c estimates, per-species λ, I², η, etc.')
        spec.output(
            'stability',
            valid_type=orm.Dict,
            help='dynamically_stable, lowest_frequency_meV and the evidence that decided them (ph_grid, '
            'interpolated_mesh or direct_q).',
        )
        spec.output('sum_rule', valid_type=orm.Dict, help='λ of the summed partials against matdyn.x, per smearing.')
        spec.output('fermi_dos', valid_type=orm.Dict, help='Atom-projected DOS at E_F (states/eV/spin/cell).')
        spec.output('matdyn_lambda', valid_type=orm.Dict, help='matdyn.x λ, ω_log and N(E_F) per smearing.')
        spec.output('meshes', valid_type=orm.Dict, help='The q-, k-, dense k- and fine q-meshes used.')
        spec.output(
            'alpha2f_deuterated',
            valid_type=Alpha2FData,
            required=False,
            help='α²F and partials of the default smearing with every H replaced by D (isotope_substitution).',
        )
        spec.output(
            'tc_derivative',
            valid_type=orm.ArrayData,
            required=False,
            help='Bergmann–Rainer δT_c/δα²F(Ω) (K/meV) of the default smearing and of its H partial alone; its '
            'per-species summary is in the metrics (dtc_* keys).',
        )
        spec.exit_code(
            410,
            'ERROR_SUB_PROCESS_FAILED_SCF_LA2F',
            message='The la2F SCF (dense k-mesh) failed: check its report; try a larger `scf.pw.parameters` '
            'ELECTRONS.electron_maxstep or smaller mixing_beta.',
        )
        spec.exit_code(
            411,
            'ERROR_SUB_PROCESS_FAILED_SCF',
            message='The SCF for ph.x failed: check its report; the la2F SCF had converged with the same settings.',
        )
        spec.exit_code(
            412,
            'ERROR_SUB_PROCESS_FAILED_PROJWFC',
            message='projwfc.x failed: check its retrieved aiida.out (often a missing wavefunction in the SCF folder).',
        )
        spec.exit_code(
            413,
            'ERROR_SUB_PROCESS_FAILED_PH',
            message='The el-ph ph.x run failed after the restarts of EnatomPhBaseWorkChain: check its report; '
            'tighten tr2_ph or lower alpha_mix in `ph.ph.parameters`.',
        )
        spec.exit_code(
            414,
            'ERROR_SUB_PROCESS_FAILED_Q2R',
            message='q2r.x failed: the ph.x DYN_MAT or elph_dir files are incomplete (was the ph folder cleaned?).',
        )
        spec.exit_code(
            415,
            'ERROR_SUB_PROCESS_FAILED_MATDYN',
            message='matdyn.x failed or wrote no a2F.dos files: check that q2r ran with la2F and its folder exists.',
        )
        spec.exit_code(
            416,
            'ERROR_SUB_PROCESS_FAILED_DIRECT_CHECK',
            message='ph.x at the worst interpolated q-point (the direct stability check) failed after the restarts '
            'of EnatomPhBaseWorkChain: check its report; or set stability_direct_check to false (the point then '
            'stays flagged unstable).',
        )
        spec.exit_code(
            420,
            'ERROR_ANALYSIS_FAILED',
            message='A post-processing calcfunction failed: {message}',
        )
        spec.exit_code(
            430,
            'ERROR_PARTIAL_SUM_RULE',
            message='The species partials do not reproduce matdyn.x λ within the tolerance: {message}',
        )
        spec.exit_code(
            440,
            'ERROR_DYNAMICALLY_UNSTABLE',
            message='Imaginary phonon frequencies below the threshold: the structure is dynamically unstable '
            '(lowest frequency {frequency:.2f} meV). All outputs are attached; metrics are flagged.',
        )

    @classmethod
    def get_protocol_filepath(cls):
        """Return the path of the ``alpha2f.yaml`` protocol file."""
        return get_protocol_filepath('alpha2f')

    @classmethod
    def get_builder_from_protocol(
        cls,
        codes: Mapping[str, orm.AbstractCode | str],
        structure: orm.StructureData,
        protocol: str | None = None,
        overrides: dict[str, Any] | None = None,
        options: dict[str, Any] | None = None,
        **_,
    ):
        """Return a builder prepopulated with the inputs of ``protocol``.

        Parameters
        ----------
        codes
            Codes (or their labels) keyed ``'pw'``, ``'ph'``, ``'q2r'``, ``'matdyn'`` and ``'projwfc'``.
        structure
            The crystal structure (normally already relaxed at the target pressure).
        protocol
            ``'test'``, ``'fast'``, ``'balanced'`` (default) or ``'stringent'``.
        overrides
            Nested dict merged over the protocol inputs, with the same nesting as the ports, plus the meta keys
            ``qe_protocol``, ``pseudo_family`` and ``cutoff_stringency`` (the family's ``low``/``normal``/``high``
            recommended cutoffs for both SCFs; explicit ``ecutwfc``/``ecutrho`` in ``scf`` win).
        options
            Merged into ``metadata.options`` of every CalcJob.

        Returns
        -------
        ProcessBuilder
            Ready to run.

        Raises
        ------
        ValueError
            If a code is missing, the protocol is unknown or the pseudopotential family is not installed.
        """
        codes = _load_codes(codes, ('pw', 'ph', 'q2r', 'matdyn', 'projwfc'))
        inputs = cls.get_protocol_inputs(protocol, overrides)
        qe_protocol = inputs['qe_protocol']

        cutoffs = stringency_cutoffs(inputs['pseudo_family'], structure, inputs.get('cutoff_stringency'))
        scf_overrides = recursive_merge(
            {'pw': {'parameters': {'SYSTEM': cutoffs}}},
            recursive_merge(inputs['scf'], {'pseudo_family': inputs['pseudo_family']}),
        )
        scf = PwBaseWorkChain.get_builder_from_protocol(
            codes['pw'], structure, protocol=qe_protocol, overrides=scf_overrides, options=options
        )
        scf['pw'].pop('structure', None)
        scf.pop('clean_workdir', None)
        scf.pop('kpoints_distance', None)
        scf.pop('kpoints', None)
        scf.pop('kpoints_force_parity', None)

        ph_overrides = recursive_merge(inputs['ph'], {'qpoints': [1, 1, 1]})
        ph = EnatomPhBaseWorkChain.get_builder_from_protocol(
            codes['ph'], protocol=qe_protocol, overrides=ph_overrides, options=options
        )
        ph.pop('clean_workdir', None)
        ph.pop('qpoints', None)

        builder = cls.get_builder()
        builder.structure = structure
        builder.scf = scf
        builder.ph = ph
        for name in ('q2r', 'matdyn', 'projwfc'):
            namespace = inputs[name]
            metadata = dict(namespace.get('metadata', {}))
            metadata['options'] = recursive_merge(metadata.get('options', {}), options or {})
            getattr(builder, name).code = codes[name]
            getattr(builder, name).parameters = orm.Dict(namespace['parameters'])
            getattr(builder, name).metadata = metadata
        for key in ('kpoints_distance', 'kpoints_distance_la2f', 'qpoints_distance', 'matdyn_qpoints_distance'):
            builder[key] = orm.Float(inputs[key])
        builder.mu_star = orm.Float(inputs['mu_star'])
        builder.mu_star_convention = orm.Str(inputs['mu_star_convention'])
        builder.default_smearing_index = orm.Int(inputs['default_smearing_index'])
        builder.stability_threshold = orm.Float(inputs['stability_threshold'])
        builder.stability_direct_check = orm.Bool(inputs['stability_direct_check'])
        builder.sum_rule_tolerance = orm.Float(inputs['sum_rule_tolerance'])
        builder.clean_workdir = orm.Bool(inputs['clean_workdir'])
        num_machines = ph['ph']['metadata']['options'].get('resources', {}).get('num_machines', 1)
        if resolve_split(inputs.get('ph_split_by_q', False), codes['ph'].computer.scheduler_type, num_machines):
            builder.ph_split_by_q = orm.Bool(True)  # set only when on: the default builder stays as it was
        return builder

    def create_meshes(self):
        """Create the commensurate q-, k-, dense k- and fine q-meshes."""
        self.ctx.meshes = create_elph_meshes(
            structure=self.inputs.structure,
            qpoints_distance=self.inputs.qpoints_distance,
            kpoints_distance=self.inputs.kpoints_distance,
            kpoints_distance_la2f=self.inputs.kpoints_distance_la2f,
            matdyn_qpoints_distance=self.inputs.matdyn_qpoints_distance,
            metadata={'call_link_label': 'create_elph_meshes'},
        )
        self.report(f'meshes: {self.ctx.meshes["summary"].get_dict()}')

    def _scf_inputs(self, kpoints: orm.KpointsData, la2f: bool) -> AttributeDict:
        inputs = AttributeDict(self.exposed_inputs(PwBaseWorkChain, namespace='scf'))
        inputs.pw.structure = self.inputs.structure
        inputs.kpoints = kpoints
        inputs.clean_workdir = orm.Bool(False)
        parameters = inputs.pw.parameters.get_dict()
        parameters.setdefault('CONTROL', {})['calculation'] = 'scf'
        parameters.setdefault('SYSTEM', {})['la2f'] = la2f
        inputs.pw.parameters = orm.Dict(parameters)
        return inputs

    def run_scf_la2f(self):
        """Run the pw.x SCF with ``la2F`` on the dense k-mesh."""
        inputs = self._scf_inputs(self.ctx.meshes['kpoints_la2f'], la2f=True)
        inputs.metadata.call_link_label = 'scf_la2f'
        node = self.submit(PwBaseWorkChain, **inputs)
        self.report(f'launching PwBaseWorkChain<{node.pk}> (la2F SCF)')
        return ToContext(scf_la2f=node)

    def inspect_scf_la2f(self):
        """Check the la2F SCF."""
        if not self.ctx.scf_la2f.is_finished_ok:
            return self._failed(self.ctx.scf_la2f, self.exit_codes.ERROR_SUB_PROCESS_FAILED_SCF_LA2F)

    def run_scf_and_projwfc(self):
        """Run the SCF for ph.x (restarting from the la2F folder) and projwfc.x on the la2F SCF."""
        inputs = self._scf_inputs(self.ctx.meshes['kpoints'], la2f=False)
        inputs.pw.parent_folder = self.ctx.scf_la2f.outputs.remote_folder
        # Same structure and cutoffs as the la2F SCF: start from its converged density (what the copied folder is for).
        parameters = inputs.pw.parameters.get_dict()
        parameters.setdefault('ELECTRONS', {})['startingpot'] = 'file'
        inputs.pw.parameters = orm.Dict(parameters)
        inputs.metadata.call_link_label = 'scf'
        scf = self.submit(PwBaseWorkChain, **inputs)

        projwfc_inputs = AttributeDict(self.exposed_inputs(ProjwfcCalculation, namespace='projwfc'))
        projwfc_inputs.parent_folder = self.ctx.scf_la2f.outputs.remote_folder
        projwfc_inputs.metadata.call_link_label = 'projwfc'
        projwfc = self.submit(ProjwfcCalculation, **projwfc_inputs)
        self.report(f'launching PwBaseWorkChain<{scf.pk}> (SCF) and ProjwfcCalculation<{projwfc.pk}>')
        return ToContext(scf=scf, projwfc=projwfc)

    def inspect_scf_and_projwfc(self):
        """Check the SCF and projwfc.x."""
        if not self.ctx.scf.is_finished_ok:
            return self._failed(self.ctx.scf, self.exit_codes.ERROR_SUB_PROCESS_FAILED_SCF)
        if not self.ctx.projwfc.is_finished_ok:
            return self._failed(self.ctx.projwfc, self.exit_codes.ERROR_SUB_PROCESS_FAILED_PROJWFC)

    def run_ph(self):
        """Run ph.x with ``electron_phonon='interpolated'`` on the q-mesh: one job, or one per q (``ph_split_by_q``)."""
        inputs = AttributeDict(self.exposed_inputs(EnatomPhBaseWorkChain, namespace='ph'))
        inputs.ph.parent_folder = self.ctx.scf.outputs.remote_folder
        inputs.qpoints = self.ctx.meshes['qpoints']
        inputs.clean_workdir = orm.Bool(False)
        inputs.metadata.call_link_label = 'ph'
        process = EnatomPhBaseWorkChain
        if self.inputs.ph_split_by_q.value:
            process = EnatomPhSplitWorkChain
            inputs.pop('only_initialization', None)  # not a port of the split: it runs its own initialisation
        node = self.submit(process, **inputs)
        self.report(f'launching {process.__name__}<{node.pk}> (el-ph)')
        return ToContext(ph=node)

    def inspect_ph(self):
        """Check ph.x."""
        if not self.ctx.ph.is_finished_ok:
            return self._failed(self.ctx.ph, self.exit_codes.ERROR_SUB_PROCESS_FAILED_PH)

    def run_q2r(self):
        """Run q2r.x with ``la2F`` (real-space force constants and Γ)."""
        inputs = AttributeDict(self.exposed_inputs(Q2rCalculation, namespace='q2r'))
        inputs.parent_folder = self.ctx.ph.outputs.remote_folder
        inputs.metadata.call_link_label = 'q2r'
        node = self.submit(Q2rCalculation, **inputs)
        self.report(f'launching Q2rCalculation<{node.pk}>')
        return ToContext(q2r=node)

    def inspect_q2r(self):
        """Check q2r.x."""
        if not self.ctx.q2r.is_finished_ok:
            return self._failed(self.ctx.q2r, self.exit_codes.ERROR_SUB_PROCESS_FAILED_Q2R)

    def run_matdyn(self):
        """Run matdyn.x: phonon DOS and α²F on the fine q-mesh."""
        inputs = AttributeDict(self.exposed_inputs(MatdynCalculation, namespace='matdyn'))
        inputs.force_constants = self.ctx.q2r.outputs.force_constants
        inputs.parent_folder = self.ctx.q2r.outputs.remote_folder
        inputs.kpoints = self.ctx.meshes['qpoints_matdyn']
        inputs.metadata.call_link_label = 'matdyn'
        node = self.submit(MatdynCalculation, **inputs)
        self.report(f'launching MatdynCalculation<{node.pk}>')
        return ToContext(matdyn=node)

    def inspect_matdyn(self):
        """Check matdyn.x and that it wrote the α²F files."""
        node = self.ctx.matdyn
        if not node.is_finished_ok:
            return self._failed(node, self.exit_codes.ERROR_SUB_PROCESS_FAILED_MATDYN)
        names = node.outputs.retrieved.base.repository.list_object_names()
        if 'a2F.dos1' not in names or 'lambda' not in names:
            self.report(f'MatdynCalculation<{node.pk}> retrieved {sorted(names)} but no a2F.dos1/lambda')
            return self.exit_codes.ERROR_SUB_PROCESS_FAILED_MATDYN

    def locate_interpolated_minimum(self):
        """Find the most imaginary mode of matdyn's mesh and whether ph.x must check its q-point directly."""
        try:
            self.ctx.interpolated = locate_interpolated_minimum(
                matdyn_retrieved=self.ctx.matdyn.outputs.retrieved,
                force_constants=self.ctx.q2r.outputs.force_constants,
                ph_parameters=self.ctx.ph.outputs.output_parameters,
                threshold=self.inputs.stability_threshold,
                metadata={'call_link_label': 'locate_interpolated_minimum'},
            )
        except Exception as exception:  # noqa: BLE001 - a calcfunction failure becomes one exit code
            self.report(f'locating the interpolated minimum failed: {type(exception).__name__}: {exception}')
            return self.exit_codes.ERROR_ANALYSIS_FAILED.format(message=f'{type(exception).__name__}: {exception}')
        summary = self.ctx.interpolated['summary']
        self.report(
            f'lowest frequency: ph.x grid {summary["lowest_frequency_coarse_grid_meV"]:.2f} meV, interpolated mesh '
            f'{summary["interpolated_lowest_frequency_meV"]:.2f} meV at q = {summary["interpolated_worst_q"]} 2π/alat'
        )

    def should_run_direct_check(self) -> bool:
        """Return whether the grid is stable, the interpolated mesh is not, and the direct check is switched on."""
        needed = self.ctx.interpolated['summary']['direct_check_needed']
        if needed and not self.inputs.stability_direct_check.value:
            self.report(
                'grid stable, interpolated mesh unstable, stability_direct_check is off: the point stays unstable'
            )
        return bool(needed and self.inputs.stability_direct_check.value)

    def run_direct_check(self):
        """Run ph.x (no el-ph) at the worst interpolated q-point, from the same SCF as the grid run."""
        inputs = AttributeDict(self.exposed_inputs(EnatomPhBaseWorkChain, namespace='ph'))
        inputs.ph.parent_folder = self.ctx.scf.outputs.remote_folder
        inputs.qpoints = self.ctx.interpolated['qpoint']
        parameters = inputs.ph.parameters.get_dict()
        for key in DIRECT_CHECK_DROPPED_KEYS:
            parameters.get('INPUTPH', {}).pop(key, None)
        inputs.ph.parameters = orm.Dict(parameters)
        inputs.clean_workdir = orm.Bool(False)
        inputs.metadata.call_link_label = 'ph_direct_check'
        node = self.submit(EnatomPhBaseWorkChain, **inputs)
        summary = self.ctx.interpolated['summary']
        self.report(
            f'launching EnatomPhBaseWorkChain<{node.pk}> (direct check at q = {summary["interpolated_worst_q"]} '
            f'2π/alat, crystal {summary["interpolated_worst_q_crystal"]})'
        )
        return ToContext(ph_direct_check=node)

    def inspect_direct_check(self):
        """Check the direct ph.x run."""
        if not self.ctx.ph_direct_check.is_finished_ok:
            return self._failed(self.ctx.ph_direct_check, self.exit_codes.ERROR_SUB_PROCESS_FAILED_DIRECT_CHECK)

    def analyse(self):
        """Run the calcfunctions: α²F, atom split, sum rule, stability, N_s(0) and metrics."""
        try:
            parsed = parse_matdyn_a2f(
                retrieved=self.ctx.matdyn.outputs.retrieved,
                phonon_dos=self.ctx.matdyn.outputs.output_phonon_dos,
                metadata={'call_link_label': 'parse_matdyn_a2f'},
            )
            self.ctx.matdyn_lambda = parsed['matdyn_lambda']
            self.ctx.alpha2f = split_alpha2f(
                alpha2f=parsed['alpha2f'],
                force_constants=self.ctx.q2r.outputs.force_constants,
                q2r_retrieved=self.ctx.q2r.outputs.retrieved,
                qpoints=self.ctx.meshes['qpoints_matdyn'],
                metadata={'call_link_label': 'split_alpha2f'},
            )
            self.ctx.sum_rule = check_partial_sum(
                alpha2f=self.ctx.alpha2f,
                reference=parsed['alpha2f'],
                tolerance=self.inputs.sum_rule_tolerance,
                smearing_index=self.inputs.default_smearing_index,
                metadata={'call_link_label': 'check_partial_sum'},
            )
            direct = {}
            if 'ph_direct_check' in self.ctx:
                direct['direct_parameters'] = self.ctx.ph_direct_check.outputs.output_parameters
            self.ctx.stability = assess_stability(
                ph_parameters=self.ctx.ph.outputs.output_parameters,
                matdyn_retrieved=self.ctx.matdyn.outputs.retrieved,
                threshold=self.inputs.stability_threshold,
                **direct,
                metadata={'call_link_label': 'assess_stability'},
            )
            self.ctx.fermi_dos = compute_fermi_pdos(
                projections=self.ctx.projwfc.outputs.projections,
                dos=self.ctx.projwfc.outputs.Dos,
                scf_parameters=self.ctx.scf_la2f.outputs.output_parameters,
                metadata={'call_link_label': 'compute_fermi_pdos'},
            )
            derivative = compute_tc_derivative(
                alpha2f=self.ctx.alpha2f,
                mu_star=self.inputs.mu_star,
                smearing_index=self.inputs.default_smearing_index,
                mu_star_convention=self.inputs.mu_star_convention,
                metadata={'call_link_label': 'compute_tc_derivative'},
            )
            self.ctx.tc_derivative = derivative['derivative']
            self.ctx.metrics = compute_metrics(
                alpha2f=self.ctx.alpha2f,
                structure=self.inputs.structure,
                mu_star=self.inputs.mu_star,
                smearing_index=self.inputs.default_smearing_index,
                fermi_dos=self.ctx.fermi_dos,
                stability=self.ctx.stability,
                sum_rule=self.ctx.sum_rule,
                mu_star_convention=self.inputs.mu_star_convention,
                tc_derivative=derivative['summary'],
                metadata={'call_link_label': 'compute_metrics'},
            )
            extensions = {
                'scattering_route2': compute_scattering_route2(
                    force_constants=self.ctx.q2r.outputs.force_constants,
                    q2r_retrieved=self.ctx.q2r.outputs.retrieved,
                    metrics=self.ctx.metrics,
                    smearing_index=self.inputs.default_smearing_index,
                    metadata={'call_link_label': 'compute_scattering_route2'},
                )
            }
            isotopes = self._substitute_isotopes()
            if isotopes is not None:
                extensions['isotope_effect'] = isotopes['isotope_effect']
                self.ctx.alpha2f_deuterated = isotopes['alpha2f']
            eliashberg_dos = self._eliashberg_dos()
            if eliashberg_dos is not None:
                extensions['eliashberg_dos'] = eliashberg_dos
            self.ctx.metrics = extend_metrics(
                metrics=self.ctx.metrics, **extensions, metadata={'call_link_label': 'extend_metrics'}
            )
        except Exception as exception:  # noqa: BLE001 - any calcfunction failure becomes one exit code
            self.report(f'post-processing failed: {type(exception).__name__}: {exception}')
            return self.exit_codes.ERROR_ANALYSIS_FAILED.format(message=f'{type(exception).__name__}: {exception}')

    def _substitute_isotopes(self) -> dict | None:
        """H -> D from the stored force constants (if asked and the structure has H); a failure is reported only."""
        symbols = {kind.symbol for kind in self.inputs.structure.kinds}
        if not self.inputs.isotope_substitution.value or 'H' not in symbols:
            return None
        try:
            return substitute_isotopes(
                alpha2f=self.ctx.alpha2f,
                force_constants=self.ctx.q2r.outputs.force_constants,
                q2r_retrieved=self.ctx.q2r.outputs.retrieved,
                qpoints=self.ctx.meshes['qpoints_matdyn'],
                masses=orm.Dict({'H': 'D'}),
                mu_star=self.inputs.mu_star,
                smearing_index=self.inputs.default_smearing_index,
                mu_star_convention=self.inputs.mu_star_convention,
                metadata={'call_link_label': 'substitute_isotopes'},
            )
        except Exception as exception:  # noqa: BLE001 - an add-on: the point keeps its metrics without the keys
            self.report(f'isotope substitution failed, no isotope keys: {type(exception).__name__}: {exception}')
            return None

    def _eliashberg_dos(self) -> orm.Dict | None:
        """T_c with projwfc.x's N(ε) (issue 10 §5); a failure is reported only and the point keeps its metrics."""
        try:
            return compute_eliashberg_dos(
                alpha2f=self.ctx.alpha2f,
                dos=self.ctx.projwfc.outputs.Dos,
                scf_parameters=self.ctx.scf_la2f.outputs.output_parameters,
                mu_star=self.inputs.mu_star,
                smearing_index=self.inputs.default_smearing_index,
                mu_star_convention=self.inputs.mu_star_convention,
                metadata={'call_link_label': 'compute_eliashberg_dos'},
            )
        except Exception as exception:  # noqa: BLE001 - an add-on: the point keeps its metrics without the keys
            self.report(f'T_c with N(E) failed, no tc_eliashberg_dos keys: {type(exception).__name__}: {exception}')
            return None

    def results(self):
        """Attach the outputs; return the sum-rule or the instability exit code when they apply (data kept)."""
        self.out('alpha2f', self.ctx.alpha2f)
        self.out('metrics', self.ctx.metrics)
        self.out('stability', self.ctx.stability)
        self.out('sum_rule', self.ctx.sum_rule)
        self.out('fermi_dos', self.ctx.fermi_dos)
        self.out('matdyn_lambda', self.ctx.matdyn_lambda)
        self.out('meshes', self.ctx.meshes['summary'])
        if 'tc_derivative' in self.ctx:
            self.out('tc_derivative', self.ctx.tc_derivative)
        if 'alpha2f_deuterated' in self.ctx:
            self.out('alpha2f_deuterated', self.ctx.alpha2f_deuterated)
        # Instability first: with imaginary modes matdyn's λ also sums its ω < 0 bins while our moments leave them
        # out (and report their weight), so the sum rule is not a meaningful test of the split then.
        stability = self.ctx.stability.get_dict()
        self.report(
            f'stability verdict from {stability.get("evidence")}: '
            f'{"stable" if stability["dynamically_stable"] else "unstable"}, lowest frequency '
            f'{stability["lowest_frequency_meV"]:.2f} meV (threshold {stability.get("threshold_meV")} meV)'
        )
        if not stability['dynamically_stable']:
            frequency = stability['lowest_frequency_meV']
            self.report(f'dynamically unstable: lowest phonon frequency {frequency:.2f} meV')
            return self.exit_codes.ERROR_DYNAMICALLY_UNSTABLE.format(frequency=frequency)
        if self.ctx.sum_rule['passed'] and not self.ctx.sum_rule['passed_all']:
            self.report(f'partial sum rule: {self.ctx.sum_rule["message"]} (only the default smearing must pass)')
        if not self.ctx.sum_rule['passed']:
            message = self.ctx.sum_rule['message']
            self.report(f'partial sum rule violated: {message}')
            return self.exit_codes.ERROR_PARTIAL_SUM_RULE.format(message=message)
        self.report(
            f'λ = {self.ctx.metrics["lambda"]:.3f}, T_c(Allen-Dynes) = {self.ctx.metrics["tc_allen_dynes_K"]:.1f} K'
        )

    def _failed(self, node: orm.ProcessNode, exit_code):
        """Report a failed sub-process with an actionable message and return ``exit_code``."""
        self.report(
            f'{node.process_label}<{node.pk}> failed with exit status {node.exit_status}: {node.exit_message}. '
            f'{exit_code.message}'
        )
        return exit_code


def _validate_mu_star_convention(value: orm.Str, _) -> str | None:
    """Return an error message unless ``value`` names a μ* convention."""
    if value.value not in MU_STAR_CONVENTIONS:
        return f'mu_star_convention = {value.value!r} is not valid; choose one of {", ".join(MU_STAR_CONVENTIONS)}'
    return None


def _load_codes(codes: Mapping[str, orm.AbstractCode | str], required: tuple[str, ...]) -> dict:
    """Return ``codes`` with labels loaded as code nodes; raise ``ValueError`` naming any missing key."""
    missing = [name for name in required if name not in codes]
    if missing:
        raise ValueError(f'codes missing for: {", ".join(missing)} (expected keys {", ".join(required)})')
    return {name: orm.load_code(code) if isinstance(code, str) else code for name, code in codes.items()}

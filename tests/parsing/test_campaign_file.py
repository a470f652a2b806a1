"""Campaign files (``aiida_enatom.io.campaign``): the shipped files, the API, and one-line errors for bad files."""

from __future__ import annotations

import itertools
import pathlib
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.io.campaign import CODE_ROLES, Campaign, Candidate, campaign_from_dict, load_campaign

WORKFLOWS = pathlib.Path(__file__).resolve().parents[2] / 'workflows'
GOOD = 'candidates:\n  - label: A\n    prototype: H3S\n    pressures: [200]\n'

# pw.x input of H3S (Im-3m primitive cell, a = 3.09 Å); read through pymatgen's PWInput (the fallback reader)
PW_INPUT = """&CONTROL
  calculation = 'scf'
/
&SYSTEM
  ibrav = 0, nat = 4, ntyp = 2, ecutwfc = 40
/
&ELECTRONS
/
ATOMIC_SPECIES
S 32.06 S.upf
H 1.008 H.upf
CELL_PARAMETERS angstrom
  -1.545 1.545 1.545
  1.545 -1.545 1.545
  1.545 1.545 -1.545
ATOMIC_POSITIONS crystal
S 0.0 0.0 0.0
H 0.0 0.5 0.5
H 0.5 0.0 0.5
{last}
K_POINTS automatic
8 8 8 0 0 0
"""
LAST_H = 'H 0.5 0.5 0.0'
AL_CIF = """data_Al
_cell_length_a 4.04
_cell_length_b 4.04
_cell_length_c 4.04
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_symmetry_space_group_name_H-M 'P 1'
loop_
 _atom_site_type_symbol
 _atom_site_label
 _atom_site_fract_x
 _atom_site_fract_y
 _atom_site_fract_z
 Al Al1 0.0 0.0 0.0
 Al Al2 0.0 0.5 0.5
 Al Al3 0.5 0.0 0.5
 Al Al4 0.5 0.5 0.0
"""


def _error(path: pathlib.Path) -> str:
    """Load ``path``, which must fail; return the message after checking it is one line naming the file."""
    with pytest.raises(InputValidationError) as info:
        load_campaign(path)
    message = str(info.value)
    assert '\n' not in message
    assert '\r' not in message
    assert message.startswith(f'{path}: ')
    return message


def _write(tmp_path: pathlib.Path, text: str, name: str = 'campaign.yaml') -> pathlib.Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --- the shipped files --------------------------------------------------------------------------------------------


def test_quickstart_file():
    campaign = load_campaign(WORKFLOWS / 'quickstart.yaml')
    assert (campaign.name, campaign.protocol, campaign.max_active) == ('quickstart', 'fast', 2)
    assert campaign.options == {'mpiprocs_per_machine': 1, 'pools': 1}  # two 1-rank points on 2 cores
    assert [(candidate.formula, pressure) for candidate, pressure in campaign.points()] == [
        ('H3S', 200.0),
        ('H3S', 250.0),
    ]
    assert len(campaign.candidates[0].build_structure()) == 4  # the Im-3m primitive cell


def test_small_cells_file():
    campaign = load_campaign(WORKFLOWS / 'small-cells.yaml')
    assert {candidate.formula: candidate.pressures for candidate in campaign.candidates} == {
        'H3S': (200.0, 250.0, 300.0),
        'CaH6': (250.0, 300.0),
        'MgH6': (300.0, 350.0),
    }
    assert [candidate.label for candidate in campaign.candidates] == ['CaH6', 'MgH6', 'H3S']  # longest first
    campaign.check_elements({'H', 'S', 'Ca', 'Mg'}, 'offline')  # the offline family covers it


def test_five_hydrides_file():
    campaign = load_campaign(WORKFLOWS / 'five-hydrides.yaml')
    assert campaign.protocol == 'fast'
    grid = {candidate.formula: candidate.pressures for candidate in campaign.candidates}
    assert set(grid) == {'H3S', 'LaH10', 'YH10', 'CaH6', 'MgH6'}
    assert grid['H3S'] == grid['CaH6'] == (150.0, 200.0, 250.0, 300.0)  # written as ranges: inclusive stop
    assert grid['MgH6'] == (250.0, 300.0, 350.0, 400.0)
    assert all(150 <= p <= 400 for pressures in grid.values() for p in pressures)
    assert len(campaign.points()) == 18
    assert {len(c.build_structure()) for c in campaign.candidates} == {4, 7, 11}


def test_the_readme_example_validates(tmp_path):
    """The annotated example of ``workflows/README.md`` is a valid campaign (given its structure file)."""
    from pymatgen.io.cif import CifWriter

    from aiida_enatom.common.structures import prototype_structure

    readme = (WORKFLOWS / 'README.md').read_text()
    example = readme.split('```yaml\n', 1)[1].split('```', 1)[0]
    (tmp_path / 'structures').mkdir()
    CifWriter(prototype_structure('H3S', lattice_constant=3.0)).write_file(tmp_path / 'structures' / 'my-phase.cif')
    campaign = load_campaign(_write(tmp_path, example))
    assert [candidate.formula for candidate in campaign.candidates] == ['H3S', 'LaH10', 'H3S']
    assert campaign.candidates[0].pressures == (150.0, 200.0, 250.0, 300.0)
    assert campaign.effective_protocol('my-phase') == 'balanced'
    assert campaign.codes['pw'] == 'pw-7.2@cluster'


# --- API ----------------------------------------------------------------------------------------------------------


def test_points_fingerprint_and_overrides(tmp_path):
    path = _write(
        tmp_path,
        'name: screen/h3s\nprotocol: fast\npseudo_family: SSSP/1.3/PBE/efficiency\n'
        'overrides: {relax_base: {kpoints_distance: 0.3, pw: {parameters: {SYSTEM: {degauss: 0.02}}}}}\n'
        'codes: {pw: pw-7.2@cluster}\n'
        'candidates:\n'
        '  - {label: hi, prototype: H3S, pressures: [300, 150.0000001]}\n'
        '  - label: lo\n    prototype: CaH6\n    pressures: {start: 100, stop: 130, step: 15}\n    protocol: balanced\n'
        '    overrides: {relax_base: {kpoints_distance: 0.2}}\n',
    )
    campaign = load_campaign(path)
    assert campaign.source == path
    assert [(c.label, p) for c, p in campaign.points()] == [('hi', 150.0), ('hi', 300.0), ('lo', 100.0), ('lo', 115.0),
                                                            ('lo', 130.0)]  # fmt: skip
    assert campaign.codes['pw'] == 'pw-7.2@cluster'
    assert campaign.codes['ph'] == 'ph@localhost'
    assert set(campaign.codes) == set(CODE_ROLES)
    assert campaign.fingerprint('lo', 115) == {
        'campaign': 'screen/h3s',
        'candidate': 'lo',
        'formula': 'CaH6',
        'pressure_GPa': 115.0,
        'protocol': 'balanced',
    }
    assert campaign.effective_protocol(campaign.candidates[0]) == 'fast'
    overrides = campaign.effective_overrides('lo')
    assert overrides['relax_base'] == {'kpoints_distance': 0.2, 'pw': {'parameters': {'SYSTEM': {'degauss': 0.02}}}}
    assert overrides['pseudo_family'] == 'SSSP/1.3/PBE/efficiency'
    assert overrides['run_enatom'] is False
    assert overrides['alpha2f'] == {'mu_star_convention': 'ten_omega_max'}
    overrides['relax_base']['pw']['parameters']['SYSTEM']['degauss'] = 1.0  # a copy: the campaign is unchanged
    assert campaign.overrides['relax_base']['pw']['parameters']['SYSTEM']['degauss'] == 0.02
    with pytest.raises(InputValidationError, match=r'250 GPa is not a pressure of hi; its grid: 150, 300 GPa'):
        campaign.fingerprint('hi', 250)
    with pytest.raises(InputValidationError, match=r"no candidate 'H3S'; candidates: hi, lo"):
        campaign.fingerprint('H3S', 150)


def test_check_elements_names_candidate_elements_and_family():
    campaign = campaign_from_dict(
        {
            'name': 'x',
            'candidates': [
                {'label': 'h3s', 'prototype': 'H3S', 'pressures': [200]},
                {'label': 'yh10', 'prototype': 'YH10', 'pressures': [250]},
            ],
        }
    )
    campaign.check_elements({'H', 'S', 'Y'}, 'fam')
    with pytest.raises(InputValidationError) as info:
        campaign.check_elements({'H', 'S'}, 'enatom-pbe-offline')
    message = str(info.value)
    assert (
        "campaign 'x': pseudopotential family 'enatom-pbe-offline' has no pseudopotential for: yh10 (YH10) needs Y"
        in (message)
    )
    assert 'h3s' not in message


def test_models_are_frozen_and_structures_are_copies():
    campaign = campaign_from_dict({'name': 'x', 'candidates': [{'label': 'a', 'prototype': 'SH3', 'pressures': [200]}]})
    candidate = campaign.candidates[0]
    assert candidate.prototype == 'H3S'  # the alias is stored as the prototype's key
    with pytest.raises(ValueError, match='frozen'):
        campaign.name = 'y'
    with pytest.raises(ValueError, match='frozen'):
        candidate.pressures = (1.0,)
    structure = candidate.build_structure()
    structure.scale_lattice(1.0)
    assert candidate.build_structure().volume == pytest.approx(3.09**3 / 2)
    assert isinstance(candidate, Candidate)
    assert isinstance(campaign, Campaign)
    assert {candidate: 1, campaign: 2}[candidate] == 1  # hashable: usable as dict keys despite the overrides dict


def test_name_defaults_to_a_safe_file_stem(tmp_path):
    assert load_campaign(_write(tmp_path, GOOD, 'my first campaign.yaml')).name == 'my-first-campaign'


def test_structure_files_relative_to_the_campaign_folder(tmp_path):
    (tmp_path / 'structures').mkdir()
    (tmp_path / 'structures' / 'h3s.in').write_text(PW_INPUT.format(last=LAST_H))
    (tmp_path / 'al.cif').write_text(AL_CIF)
    path = _write(
        tmp_path,
        'require_hydrogen: false\ncandidates:\n'
        '  - {label: h3s, structure: structures/h3s.in, pressures: [200]}\n'
        '  - {label: al, structure: al.cif, pressures: [10]}\n',
        'sub.yaml',
    )
    campaign = load_campaign(path)
    h3s, al = campaign.candidates
    assert h3s.structure == (tmp_path / 'structures' / 'h3s.in').resolve()
    assert (h3s.formula, len(h3s.build_structure())) == ('H3S', 4)
    assert (al.formula, len(al.build_structure())) == ('Al', 1)  # conventional fcc CIF → 1-atom primitive cell
    assert al.elements == ('Al',)


# --- bad files: one line, the field path and what would be valid ----------------------------------------------------

BAD_FILES = {
    'unknown key': ('foo: 1\n' + GOOD, ["unknown key 'foo'; valid keys: name, description, protocol", '(line 1)']),
    'misspelt key': ('protocl: fast\n' + GOOD, ["unknown key 'protocl' (did you mean 'protocol'?)"]),
    'unknown candidate key': (
        GOOD + '    pressure: [100]\n',
        ["candidates[0]: unknown key 'pressure' (did you mean 'pressures'?); valid keys: label, structure"],
    ),
    'missing candidates': ('name: x\n', ['candidates: missing; give a non-empty list of candidates']),
    'empty candidates': ('candidates: []\n', ['candidates: [] is not a non-empty list']),
    'candidate not a mapping': ('candidates: [H3S]\n', ["candidates[0]: 'H3S' is not a mapping"]),
    'empty file': ('# only a comment\n', ["the file is empty; give a mapping with at least 'candidates'"]),
    'top-level list': ('- a\n- b\n', ['the top level is a list; give a mapping of campaign fields']),
    'top-level scalar': ('just text\n', ["the top level is a str ('just text'); give a mapping"]),
    'YAML syntax': ('candidates:\n  - label: A\n   prototype: H3S\n', ['not valid YAML at line 3, column 4']),
    'unclosed flow': ('candidates: [\n', ['not valid YAML at line 2']),
    'two documents': (GOOD + '---\n' + GOOD, ['not valid YAML at line 5', 'expected a single document']),
    'python tag': ("name: !!python/object/apply:os.system ['ls']\n" + GOOD, ['not valid YAML at line 1']),
    'duplicate key': ('protocol: fast\nprotocol: balanced\n' + GOOD, ["key 'protocol' is repeated (lines 1 and 2)"]),
    'alias': ('overrides: &o {a: 1}\n' + GOOD + '    overrides: *o\n', ['YAML alias', 'not supported']),
    'no pressures': (
        'candidates:\n  - {label: A, prototype: H3S}\n',
        ['candidates[0].pressures: missing; give a list'],
    ),
    'empty pressures': (GOOD.replace('[200]', '[]'), ['candidates[0].pressures: the list is empty; give pressures in']),
    'negative pressure': (
        GOOD.replace('[200]', '[200, -5]'),
        ['candidates[0].pressures[1]: -5 GPa is not positive; give pressures in (0, 1000] GPa (line 4)'],
    ),
    'zero pressure': (GOOD.replace('[200]', '[0]'), ['pressures[0]: 0 GPa is not positive']),
    'absurd pressure': (GOOD.replace('[200]', '[1500]'), ['1500 GPa is above 1000 GPa; give pressures in (0, 1000]']),
    'NaN pressure': (GOOD.replace('[200]', '[.nan]'), ['pressures[0]: nan is not a finite number']),
    'inf pressure': (GOOD.replace('[200]', '[-.inf]'), ['pressures[0]: -inf is not a finite number']),
    'pressure with unit': (GOOD.replace('[200]', "['200 GPa']"), ["'200 GPa' is not a number; give pressures in"]),
    'boolean pressure': (GOOD.replace('[200]', '[true]'), ['True is not a number']),
    'duplicate pressure': (GOOD.replace('[200]', '[200, 250, 200.0]'), ['pressures[2]: 200 GPa is listed twice']),
    'scalar pressures': (GOOD.replace('[200]', '200'), ['pressures: 200 is not a pressure grid; give a list in GPa']),
    'range backwards': (
        GOOD.replace('[200]', '{start: 300, stop: 200, step: 50}'),
        ['pressures.stop: 200 GPa is below start 300 GPa; give start <= stop'],
    ),
    'range zero step': (
        GOOD.replace('[200]', '{start: 100, stop: 200, step: 0}'),
        ['pressures.step: 0 is not a step in GPa; give a number >= 0.001'],
    ),
    'range with a tiny step': (
        GOOD.replace('[200]', '{start: 1, stop: 2, step: 1.0e-7}'),
        ['pressures.step: 1e-07 is not a step in GPa; give a number >= 0.001'],
    ),
    'range with a huge integer step': (
        GOOD.replace('[200]', '{start: 1, stop: 2, step: ' + '9' * 400 + '}'),
        ['pressures.step: 9999', 'is not a step in GPa'],
    ),
    'range without step': (
        GOOD.replace('[200]', '{start: 100, stop: 200}'),
        ['the range has no step; give start, stop'],
    ),
    'range unknown key': (GOOD.replace('[200]', '{start: 1, end: 2, step: 1}'), ["unknown key 'end' in the range"]),
    'range too long': (GOOD.replace('[200]', '{start: 1, stop: 1000, step: 1}'), ['gives 1000 pressures; at most 100']),
    'mu_star too large': ('mu_star: 0.7\n' + GOOD, ['mu_star: 0.7 is outside [0, 0.5]; give μ* in [0, 0.5]']),
    'mu_star negative': ('mu_star: -0.1\n' + GOOD, ['mu_star: -0.1 is outside [0, 0.5]']),
    'mu_star text': ('mu_star: high\n' + GOOD, ["mu_star: input should be a valid number, got 'high'; give a number"]),
    'mu_star convention unknown': (
        'mu_star_convention: epw\n' + GOOD,
        ["mu_star_convention: 'epw' is not a μ* convention; give one of ten_omega_max, cutoff, omega_log"],
    ),
    'unknown protocol': (
        'protocol: ultra\n' + GOOD,
        ["protocol: 'ultra' is not a protocol; valid: test, fast, balanced"],
    ),
    'unknown candidate protocol': (GOOD + '    protocol: precise\n', ["candidates[0].protocol: 'precise' is not a"]),
    'duplicate label': (
        GOOD + '  - {label: A, prototype: CaH6, pressures: [150]}\n',
        ["candidates[1].label: 'A' is already the label of candidates[0] ('A';", 'give each candidate a unique label'],
    ),
    'duplicate label up to case': (
        GOOD + '  - {label: a, prototype: CaH6, pressures: [150]}\n',
        ["candidates[1].label: 'a' is already the label of candidates[0] ('A'; labels are compared ignoring case)"],
    ),
    'duplicate prototype (alias, explicit default a)': (
        GOOD + '  - {label: B, prototype: SH3, lattice_constant: 3.09, pressures: [150]}\n',
        ['candidates[1]: same structure as candidates[0] (prototype H3S (a = 3.09 Å)); give each structure once'],
    ),
    'no hydrogen': (
        GOOD + '  - {label: B, prototype: Al, pressures: [10]}\n',
        ['candidates[1].prototype: Al has no hydrogen; set require_hydrogen: false'],
    ),
    'unknown prototype': (
        GOOD.replace('prototype: H3S', 'prototype: H2O'),
        ["candidates[0].prototype: 'H2O' is not a built-in prototype; valid: H3S, CaH6, LaH10"],
    ),
    'structure and prototype': (
        GOOD.replace('prototype: H3S', 'prototype: H3S\n    structure: h3s.in'),
        ['candidates[0]: both structure and prototype given; give either structure'],
    ),
    'neither structure nor prototype': (
        GOOD.replace('    prototype: H3S\n', ''),
        ['candidates[0]: neither structure nor prototype given'],
    ),
    'missing structure file': (
        GOOD.replace('prototype: H3S', 'structure: nothere.cif'),
        ['candidates[0].structure:', 'nothere.cif does not exist; relative paths are taken from the folder'],
    ),
    'structure is a folder': (GOOD.replace('prototype: H3S', 'structure: .'), ['is not a file; relative paths']),
    'unreadable structure file': (
        GOOD.replace('prototype: H3S', 'structure: junk.cif'),
        ['candidates[0].structure:', 'junk.cif is not a readable structure file (CIF, POSCAR/CONTCAR or pw.x input)'],
    ),
    'overlapping atoms in a file': (
        GOOD.replace('prototype: H3S', 'structure: overlap.in'),
        ['candidates[0].structure: atoms', 'Å apart (< 0.5 Å): overlapping atoms'],
    ),
    'overlapping atoms from a small lattice constant': (
        GOOD.replace('prototype: H3S', 'prototype: H3S\n    lattice_constant: 0.9'),
        ['candidates[0].lattice_constant: atoms', '0.450 Å apart (< 0.5 Å): overlapping atoms'],
    ),
    'absurd lattice constant': (
        GOOD.replace('prototype: H3S', 'prototype: H3S\n    lattice_constant: 25'),
        ['candidates[0].lattice_constant: 25.0 Å is not in (0, 20) Å'],
    ),
    'lattice constant of a file': (
        GOOD.replace('prototype: H3S', 'structure: h3s.in\n    lattice_constant: 3'),
        ['candidates[0].lattice_constant: only applies to a prototype'],
    ),
    'hydrogen-free structure file': (
        GOOD.replace('prototype: H3S', 'structure: al.cif'),
        ['candidates[0].structure: Al has no hydrogen'],
    ),
    'unknown code role': (
        'codes: {pw: pw@localhost, vasp: vasp@x}\n' + GOOD,
        ["unknown code role 'vasp'; valid roles"],
    ),
    'code label with a space': ("codes: {pw: 'pw@local host'}\n" + GOOD, ["codes.pw: 'pw@local host' is not a valid"]),
    'max_active zero': ('max_active: 0\n' + GOOD, ['max_active: 0 is outside 1..1000']),
    'max_active boolean': ('max_active: true\n' + GOOD, ['max_active: input should be a valid integer, got True']),
    'run_enatom text': ("run_enatom: 'maybe'\n" + GOOD, ["run_enatom: input should be a valid boolean, got 'maybe'"]),
    'label read as boolean': (
        GOOD.replace('label: A', 'label: no'),
        ['candidates[0].label: input should be a valid string, got False', 'quote it'],
    ),
    'description over two lines': (
        'description: "a\\nb"\n' + GOOD,
        ["description: 'a\\nb' contains the non-printable character '\\n'"],
    ),
    'override meta key': ('overrides: {run_enatom: true}\n' + GOOD, ['overrides.run_enatom: set the campaign field']),
    'override with a date': ('overrides: {a: 2024-01-01}\n' + GOOD, ['overrides.a: datetime.date(2024, 1, 1) (date)']),
    'override key with a space': ("overrides: {'bad key': 1}\n" + GOOD, ["overrides: key 'bad key' is not valid"]),
    'overrides not a mapping': ('overrides: [1]\n' + GOOD, ['overrides: [1] is not a mapping']),
    'several errors': (
        'mu_star: 2\nmax_active: 0\n' + GOOD,
        ['mu_star: 2.0 is outside [0, 0.5]', '(line 1); max_active: 0 is outside 1..1000', '(line 2)'],
    ),
}

# Attempts to smuggle text into shells, scheduler scripts, group labels or QE namelists.
INJECTIONS = {
    'namelist break-out label': (
        GOOD.replace('label: A', 'label: "\'/\\n&CONTROL"'),
        ['candidates[0].label: "\'/\\n&CONTROL" is not a valid label (character "\'" is not allowed); use 1-64'],
    ),
    'command substitution label': (
        GOOD.replace('label: A', 'label: $(rm -rf ~)'),
        ["candidates[0].label: '$(rm -rf ~)' is not a valid label (character '$' is not allowed)"],
    ),
    'backtick label': (GOOD.replace('label: A', "label: '`id`'"), ["(character '`' is not allowed)"]),
    'semicolon label': (GOOD.replace('label: A', 'label: a;reboot'), ["'a;reboot' is not a valid label"]),
    'label starting with a dash': (GOOD.replace('label: A', 'label: -rf'), ["'-rf' is not a valid label; use 1-64"]),
    'label too long': (GOOD.replace('label: A', 'label: ' + 'a' * 65), ['is longer than 64 characters']),
    'formula with quotes': (
        'name: "H3S\'\\""\n' + GOOD,
        ["name: 'H3S\\'\"' is not a valid name (character \"'\" is not allowed)"],
    ),
    'absolute group name': ('name: /etc/passwd\n' + GOOD, ["name: '/etc/passwd' is not a valid name; use letters"]),
    'parent folder in the name': ('name: a/../b\n' + GOOD, ["name: 'a/../b' is not a valid name"]),
    'ampersand in the name': ('name: a&b\n' + GOOD, ["(character '&' is not allowed)"]),
    'NUL in the description': ('description: "a\\0b"\n' + GOOD, ["contains the non-printable character '\\x00'"]),
    'quote in an override': (
        'overrides: {relax_base: {pw: {parameters: {SYSTEM: {smearing: "mv\'\\n/\\n&CONTROL"}}}}}\n' + GOOD,
        ['overrides.relax_base.pw.parameters.SYSTEM.smearing:', 'the character "\'" is not allowed'],
    ),
    'shell text in an override': (
        "overrides: {relax_base: {pw: {metadata: {options: {prepend_text: 'x; curl evil | sh'}}}}}\n" + GOOD,
        ["prepend_text: 'x; curl evil | sh': the character ';' is not allowed"],
    ),
    'namelist key injection': ("overrides: {'a=1 /': 1}\n" + GOOD, ["overrides: key 'a=1 /' is not valid"]),
    'pseudo family with a newline': (
        'pseudo_family: "SSSP\\nx"\n' + GOOD,
        ["pseudo_family: 'SSSP\\nx' is not a valid"],
    ),
    'code label with command substitution': ("codes: {ph: '$(id)@x'}\n" + GOOD, ["codes.ph: '$(id)@x' is not a valid"]),
    'queue with an sbatch line': (
        'options: {queue: "debug\n#SBATCH --uid=0"}\n' + GOOD,
        ["options: queue = 'debug #SBATCH --uid=0' is not a scheduler name"],
    ),
    'walltime that is not a duration': (
        'options: {walltime: soon}\n' + GOOD,
        ["options: walltime 'soon' is not a duration; give seconds, 'HH:MM:SS'"],
    ),
    'unknown run option': (
        'options: {cores: 4}\n' + GOOD,
        ['options: unknown run option(s) cores; valid: num_machines'],
    ),
    'options not a mapping': ('options: 4\n' + GOOD, ['options: 4 is not a mapping']),
}


@pytest.mark.parametrize(('text', 'phrases'), list({**BAD_FILES, **INJECTIONS}.values()), ids=[*BAD_FILES, *INJECTIONS])
def test_bad_campaign_file(tmp_path, text, phrases):
    (tmp_path / 'h3s.in').write_text(PW_INPUT.format(last=LAST_H))
    (tmp_path / 'overlap.in').write_text(PW_INPUT.format(last='H 0.0 0.51 0.5'))
    (tmp_path / 'junk.cif').write_text('this is not a crystal\n')
    (tmp_path / 'al.cif').write_text(AL_CIF)
    message = _error(_write(tmp_path, text))
    for phrase in phrases:
        assert phrase in message


def test_duplicate_structure_file_through_another_path(tmp_path):
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'h3s.in').write_text(PW_INPUT.format(last=LAST_H))
    text = (
        'candidates:\n  - {label: a, structure: h3s.in, pressures: [200]}\n'
        '  - {label: b, structure: sub/../h3s.in, pressures: [250]}\n'
    )
    message = _error(_write(tmp_path, text))
    assert f'candidates[1]: same structure as candidates[0] ({tmp_path / "h3s.in"})' in message


@pytest.mark.parametrize(
    ('content', 'phrase'),
    [(b'name: \xff\xfe\n', 'not UTF-8 text (byte 6); save the file as UTF-8'), (b'#' * (1 << 20) + b'\n', 'too large')],
)
def test_unreadable_file(tmp_path, content, phrase):
    path = tmp_path / 'campaign.yaml'
    path.write_bytes(content)
    assert phrase in _error(path)


def test_missing_file_and_folder(tmp_path):
    assert 'no such file; give the path of a campaign file' in _error(tmp_path / 'none.yaml')
    assert 'not a file; give a campaign file' in _error(tmp_path)


def test_from_dict_rejects_a_non_mapping():
    with pytest.raises(InputValidationError, match=r'^<campaign>: the top level is a list'):
        campaign_from_dict([1, 2])


# --- properties ---------------------------------------------------------------------------------------------------

SAFE = string.ascii_letters + string.digits + '_.-'


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(label=st.text(min_size=1, max_size=30).filter(lambda text: any(char not in SAFE for char in text)))
def test_any_label_with_an_unsafe_character_is_rejected_on_one_line(label):
    with pytest.raises(InputValidationError) as info:
        campaign_from_dict({'name': 'x', 'candidates': [{'label': label, 'prototype': 'H3S', 'pressures': [200]}]})
    message = str(info.value)
    assert 'candidates[0].label: ' in message
    assert '\n' not in message
    assert '\r' not in message


@settings(max_examples=40, deadline=None)
@given(label=st.from_regex(r'[A-Za-z0-9][A-Za-z0-9_.-]{0,63}', fullmatch=True))
def test_any_safe_label_is_accepted(label):
    campaign = campaign_from_dict({'name': 'x', 'candidates': [{'label': label, 'prototype': 'H3S', 'pressures': [1]}]})
    assert campaign.candidates[0].label == label


@settings(max_examples=60, deadline=None)
@given(
    start=st.integers(1, 500),
    step=st.sampled_from([0.1, 0.5, 1, 2.5, 10, 25, 50]),
    count=st.integers(1, 40),
)
def test_pressure_range_is_inclusive_sorted_and_evenly_spaced(start, step, count):
    stop = start + (count - 1) * step
    candidate = {'label': 'a', 'prototype': 'H3S', 'pressures': {'start': start, 'stop': stop, 'step': step}}
    if stop > 1000:
        with pytest.raises(InputValidationError, match='is above 1000 GPa'):
            campaign_from_dict({'name': 'x', 'candidates': [candidate]})
        return
    pressures = campaign_from_dict({'name': 'x', 'candidates': [candidate]}).candidates[0].pressures
    assert len(pressures) == count
    assert pressures[0] == start
    assert pressures[-1] == pytest.approx(stop, abs=1e-6)
    assert list(pressures) == sorted(set(pressures))
    assert all(b - a == pytest.approx(step, abs=2e-6) for a, b in itertools.pairwise(pressures))


def test_mu_star_convention_reaches_the_alpha2f_overrides():
    """The campaign field sets alpha2f.mu_star_convention of every point; explicit overrides of that key win."""
    campaign = campaign_from_dict({'name': 'x', 'mu_star_convention': 'cutoff', 'candidates': [_CANDIDATE]})
    assert campaign.mu_star_convention == 'cutoff'
    assert campaign.effective_overrides('A')['alpha2f'] == {'mu_star_convention': 'cutoff'}
    explicit = campaign_from_dict(
        {
            'name': 'x',
            'mu_star_convention': 'cutoff',
            'overrides': {'alpha2f': {'mu_star_convention': 'omega_log', 'qpoints_distance': 0.5}},
            'candidates': [_CANDIDATE],
        }
    )
    assert explicit.effective_overrides('A')['alpha2f'] == {'mu_star_convention': 'omega_log', 'qpoints_distance': 0.5}
    assert campaign_from_dict({'name': 'x', 'candidates': [_CANDIDATE]}).mu_star_convention == 'ten_omega_max'


_CANDIDATE = {'label': 'A', 'prototype': 'H3S', 'pressures': [200]}


def test_run_options_reach_metadata_and_pool_overrides():
    """``options`` of a campaign file become ``metadata.options`` and the pool overrides of every point."""
    campaign = campaign_from_dict(
        {
            'name': 'resources',
            'options': {'num_machines': 2, 'mpiprocs_per_machine': 8, 'walltime': '6h', 'queue': 'compute', 'pools': 4},
            'candidates': [{'label': 'A', 'prototype': 'H3S', 'pressures': [200]}],
        }
    )
    assert campaign.metadata_options() == {
        'resources': {'num_machines': 2, 'num_mpiprocs_per_machine': 8},
        'max_wallclock_seconds': 21600,
        'queue_name': 'compute',
    }
    overrides = campaign.effective_overrides('A')
    assert overrides['relax_base']['pw']['parallelization'] == {'npool': 4}
    assert overrides['alpha2f']['ph']['ph']['settings']['CMDLINE'] == ['-nk', '4']
    assert overrides['alpha2f']['mu_star_convention'] == campaign.mu_star_convention  # still merged
    plain = campaign_from_dict(
        {'name': 'plain', 'candidates': [{'label': 'A', 'prototype': 'H3S', 'pressures': [200]}]}
    )
    assert plain.options == {} and plain.metadata_options() == {}

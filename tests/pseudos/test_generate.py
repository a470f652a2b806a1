"""Tests of the offline ld1.x pseudopotential family (generation, determinism, headers, cutoffs, errors)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aiida_enatom.pseudos import (
    STRINGENCIES,
    ElementNotAvailableError,
    PseudoGenerationError,
    available_elements,
    generate_pseudopotentials,
    read_upf_header,
    recommended_cutoffs,
)
from aiida_enatom.pseudos.generate import _wrap_long_numeric_lines, run_ld1

requires_ld1 = pytest.mark.skipif(shutil.which('ld1.x') is None, reason='ld1.x (Quantum ESPRESSO) not installed')


@pytest.fixture(scope='module')
def generated(tmp_path_factory) -> dict[str, Path]:
    """H and S generated once for the module."""
    return generate_pseudopotentials(['H', 'S'], tmp_path_factory.mktemp('family'))


@requires_ld1
def test_generation_is_flat_and_one_file_per_element(generated):
    directory = generated['H'].parent
    assert sorted(p.name for p in directory.iterdir()) == sorted(p.name for p in generated.values())
    assert all(p.is_file() and p.suffix == '.UPF' for p in directory.iterdir())


@requires_ld1
def test_generation_is_deterministic(generated, tmp_path):
    again = generate_pseudopotentials(['S', 'H'], tmp_path)
    for element, path in generated.items():
        assert again[element].read_bytes() == path.read_bytes()


@requires_ld1
def test_generation_is_idempotent(generated):
    directory = generated['H'].parent
    stamps = {p: p.stat().st_mtime_ns for p in generated.values()}
    assert generate_pseudopotentials(['H', 'S', 'H'], directory) == generated
    assert {p: p.stat().st_mtime_ns for p in generated.values()} == stamps
    assert len(list(directory.iterdir())) == 2


@requires_ld1
@pytest.mark.parametrize(('element', 'z_valence'), [('H', 1.0), ('S', 6.0)])
def test_upf_header(generated, element, z_valence):
    header = read_upf_header(generated[element])
    assert header['element'] == element
    assert header['functional'] == 'PBE'
    assert float(header['z_valence']) == z_valence
    assert header['pseudo_type'] == 'USPP'
    assert header['date'].startswith('input-sha256-')


@requires_ld1
def test_second_upf_for_same_element_is_refused(generated, tmp_path):
    shutil.copy(generated['H'], tmp_path / 'H.other.upf')
    with pytest.raises(PseudoGenerationError, match='exactly one UPF per element'):
        generate_pseudopotentials(['H'], tmp_path)


@requires_ld1
def test_ld1_error_is_reported_with_element(tmp_path):
    bad = "&input\n zed=3.0, config='1s5 2s1', iswitch=1, dft='PBE'\n/\n"
    with pytest.raises(PseudoGenerationError, match=r'Li pseudopotential failed: .*Error in routine'):
        run_ld1(bad, tmp_path, element='Li')


def test_unknown_element_names_it_and_the_alternatives(tmp_path):
    with pytest.raises(ElementNotAvailableError) as info:
        generate_pseudopotentials(['H', 'Xe'], tmp_path / 'out')
    message = str(info.value)
    assert "'Xe'" in message
    assert 'aiida-pseudo install sssp' in message
    assert 'aiida-pseudo install pseudo-dojo' in message
    assert not (tmp_path / 'out').exists()


def test_missing_ld1_executable(tmp_path):
    with pytest.raises(PseudoGenerationError, match='not found'):
        generate_pseudopotentials(['H'], tmp_path, ld1='no-such-ld1.x')


@pytest.mark.parametrize('stringency', STRINGENCIES)
def test_recommended_cutoffs_cover_every_element(stringency):
    cutoffs = recommended_cutoffs(stringency)
    assert set(cutoffs) == set(available_elements())
    for values in cutoffs.values():
        assert set(values) == {'cutoff_wfc', 'cutoff_rho'}
        assert values['cutoff_rho'] >= 4 * values['cutoff_wfc'] > 0


def test_cutoffs_increase_with_stringency():
    low, normal, high = (recommended_cutoffs(s) for s in STRINGENCIES)
    for element in available_elements():
        assert low[element]['cutoff_wfc'] <= normal[element]['cutoff_wfc'] <= high[element]['cutoff_wfc']


def test_recommended_cutoffs_errors():
    with pytest.raises(ValueError, match='unknown stringency'):
        recommended_cutoffs('extreme')
    with pytest.raises(ElementNotAvailableError, match='Xe'):
        recommended_cutoffs(elements=['Xe'])


def test_required_elements_are_available():
    assert {'H', 'S', 'Li', 'Al', 'Mg', 'Ca'} <= set(available_elements())


def test_long_numeric_lines_are_wrapped_without_changing_values():
    numbers = [f'{0.1 * i:.16E}' for i in range(64)]
    text = '<PP_DIJ>\n' + '  '.join(numbers) + '\n</PP_DIJ>\n<PP_HEADER ' + 'x="1" ' * 300 + '/>'
    wrapped = _wrap_long_numeric_lines(text)
    assert max(len(line) for line in wrapped.splitlines()[:-1]) < 1000
    assert wrapped.splitlines()[-1] == text.splitlines()[-1]
    assert wrapped.split('</PP_DIJ>')[0].split()[1:] == numbers


def test_pseudos_package_does_not_import_aiida():
    code = "import sys; sys.modules['aiida'] = None; import aiida_enatom.pseudos, aiida_enatom.pseudos.validate"
    subprocess.run([sys.executable, '-c', code], check=True)


def test_experimental_elements_stay_out_of_the_validated_set():
    from aiida_enatom.pseudos.generate import EXPERIMENTAL_ELEMENTS, available_elements, validated_elements

    assert 'La' in EXPERIMENTAL_ELEMENTS and 'La' in available_elements()
    assert 'La' not in validated_elements()
    assert {'H', 'Li', 'Mg', 'Al', 'S', 'Ca'} <= set(validated_elements())

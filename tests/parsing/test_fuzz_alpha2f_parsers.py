"""Fuzzing of every α²F-side parser: random text and random mutations of real fixtures raise only ParsingError."""

from __future__ import annotations

import lzma
import pathlib
import tempfile
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiida_enatom.exceptions import ParsingError
from aiida_enatom.io.alpha2f import detect_format, read_alpha2f
from aiida_enatom.io.columns import parse_columns
from aiida_enatom.io.qe_lambda_x import (
    parse_alpha2f_dat,
    parse_lambda_dat,
    parse_lambda_x_input,
    parse_lambda_x_output,
)
from aiida_enatom.io.qe_matdyn import parse_a2f_dos, parse_lambda_file

FIXTURES = pathlib.Path(__file__).parent.parent / 'fixtures'
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _text(relative: str, lines: int | None = None) -> str:
    path = FIXTURES / relative
    text = lzma.open(path, 'rt').read() if path.suffix == '.xz' else path.read_text()
    return '\n'.join(text.splitlines()[:lines]) if lines else text


#: parser under test → real texts of its format to mutate
PARSERS: dict[str, tuple[Callable[[str], object], list[str]]] = {
    'a2f_dos': (
        parse_a2f_dos,
        [
            _text('qe/al_q222_qe67/a2F.dos3'),
            _text('qe/al_q444_qe60_reference/a2F.dos5'),
            _text('qe/al_q222_qe67_unstable/a9/a2F.dos1'),
        ],
    ),
    'lambda_file': (
        parse_lambda_file,
        [
            _text('qe/al_q222_qe67/lambda'),
            _text('qe/al_q444_qe60_reference/lambda'),
            _text('qe/al_q222_qe67_unstable/a10/lambda'),
        ],
    ),
    'lambda_x_output': (parse_lambda_x_output, [_text('qe/al_q222_qe67/lambda_x/lambda.out')]),
    'lambda_dat': (parse_lambda_dat, [_text('qe/al_q444_qe60_reference/lambda_x/lambda.dat')]),
    'alpha2f_dat': (parse_alpha2f_dat, [_text('qe/al_q222_qe67/lambda_x/alpha2F.dat', 60)]),
    'lambda_x_input': (parse_lambda_x_input, [_text('qe/al_q444_qe60_reference/lambda_x/lambda.in')]),
    'columns': (
        lambda text: parse_columns(text, unit='THz'),
        [_text('reference/elk_ALPHA2F.OUT', 80), _text('reference/Nb.a2F.xz', 20)],
    ),
    'detect_format': (
        detect_format,
        [_text('qe/al_q222_qe67/a2F.dos1'), _text('qe/al_q222_qe67/lambda_x/alpha2F.dat', 30)],
    ),
}


@st.composite
def mutated(draw: st.DrawFn, texts: list[str]) -> str:
    """A real text with 1–3 random edits: truncation, deletion, insertion, replacement or line shuffles."""
    text = draw(st.sampled_from(texts))
    for _ in range(draw(st.integers(1, 3))):
        size = len(text)
        position = draw(st.integers(0, size))
        operation = draw(st.sampled_from(['truncate', 'delete', 'insert', 'replace', 'duplicate_line', 'swap_lines']))
        if operation == 'truncate':
            text = text[:position]
        elif operation == 'delete':
            text = text[:position] + text[position + draw(st.integers(1, 200)) :]
        elif operation == 'insert':
            snippet = draw(st.text(alphabet=st.sampled_from('0123456789.-+eEdD*# \n\tNaIf:=()lambda'), max_size=20))
            text = text[:position] + snippet + text[position:]
        elif operation == 'replace' and size:
            char = draw(st.characters(codec='utf-8', exclude_categories=['Cs']))
            position = min(position, size - 1)
            text = text[:position] + char + text[position + 1 :]
        else:
            lines = text.splitlines()
            if len(lines) >= 2:
                first = draw(st.integers(0, len(lines) - 1))
                second = draw(st.integers(0, len(lines) - 1))
                if operation == 'duplicate_line':
                    lines.insert(second, lines[first])
                else:
                    lines[first], lines[second] = lines[second], lines[first]
                text = '\n'.join(lines)
    return text


def _only_parsing_error(parser: Callable[[str], object], text: str) -> None:
    try:
        parser(text)
    except ParsingError as exc:
        assert exc.filename == '<string>'
        assert exc.line is None or exc.line >= 1


@pytest.mark.parametrize('name', sorted(PARSERS))
def test_fuzz_random_text(name):
    parser = PARSERS[name][0]

    @SETTINGS
    @given(
        st.text(max_size=400)
        | st.lists(st.sampled_from(['1.0', '-2e-3', '*****', 'NaN', '#', 'lambda', '\n']), max_size=60).map(' '.join)
    )
    def run(text: str) -> None:
        _only_parsing_error(parser, text)

    run()


@pytest.mark.parametrize('name', sorted(PARSERS))
def test_fuzz_mutated_real_files(name):
    parser, texts = PARSERS[name]

    @SETTINGS
    @given(mutated(texts))
    def run(text: str) -> None:
        _only_parsing_error(parser, text)

    run()


@SETTINGS
@given(
    st.one_of(
        st.binary(max_size=300),
        mutated([_text('qe/al_q222_qe67/a2F.dos2'), _text('qe/al_q222_qe67/lambda_x/alpha2F.dat', 40)]).map(
            lambda text: text.encode('utf-8', 'surrogatepass')
        ),
        mutated([_text('reference/elk_ALPHA2F.OUT', 40)]).map(lambda text: text.encode('utf-8', 'surrogatepass')),
    )
)
def test_fuzz_read_alpha2f_files(content: bytes) -> None:
    """``read_alpha2f`` on random or mutated files: content problems are ParsingError naming the file."""
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / 'a2F.dos2'
        path.write_bytes(content)
        for unit in (None, 'THz'):
            try:
                read_alpha2f(path, unit=unit, smearing_index=None if unit is None else 1)
            except ParsingError as exc:
                assert exc.filename == str(path)

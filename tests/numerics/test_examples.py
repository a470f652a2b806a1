"""The profile-free example script runs on the bundled real fixture and writes its plots."""

import pathlib
import subprocess
import sys

EXAMPLE = pathlib.Path(__file__).parents[2] / 'examples' / 'numerics_only' / 'analyse_spectrum.py'


def test_numerics_example_runs(tmp_path):
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), '-o', str(tmp_path)], capture_output=True, text=True, check=False, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert 'tc_eliashberg_K' in result.stdout
    assert (tmp_path / 'alpha2f.png').stat().st_size > 10_000
    assert (tmp_path / 'derivative.png').stat().st_size > 10_000

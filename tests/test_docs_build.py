"""The Sphinx documentation builds with every warning treated as an error.

Runs ``python -m sphinx -W --keep-going -b html docs OUT`` in a subprocess, as ``make docs`` does. No network is
needed (no linkcheck, no intersphinx) and no AiiDA profile: ``docs/conf.py`` loads a storage-less dummy profile
for ``aiida.sphinxext``. A missing Sphinx or extension fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import time

DOCS = pathlib.Path(__file__).resolve().parents[1] / 'docs'

#: Pages that must come out of the build; each one exercises a different extension.
EXPECTED_PAGES = {
    'index.html': 'aiida-enatom documentation',
    'cli.html': 'id="aiida-enatom-analyse-a2f"',  # sphinx-click, nested through the lazy group and a subgroup
    'workchains.html': 'PressurePointWorkChain',  # aiida.sphinxext
    'api.html': 'eliashberg_tc',  # autodoc + napoleon
    'campaigns.html': 'Screening campaigns',
}


def test_docs_build_without_warnings(tmp_path):
    """Build the HTML docs with ``-W --keep-going``; on failure show every warning Sphinx printed."""
    out = tmp_path / 'html'
    env = {**os.environ, 'AIIDA_PATH': str(tmp_path / 'aiida')}  # keep the user's AiiDA configuration untouched
    command = [sys.executable, '-m', 'sphinx', '-W', '--keep-going', '-b', 'html', str(DOCS), str(out)]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False)
    elapsed = time.perf_counter() - start

    assert result.returncode == 0, (
        f'sphinx exited with {result.returncode} after {elapsed:.1f} s\n'
        f'--- stderr (warnings) ---\n{result.stderr}\n--- stdout (tail) ---\n{result.stdout[-3000:]}'
    )
    for page, text in EXPECTED_PAGES.items():
        html = (out / page).read_text(encoding='utf-8')
        assert text in html, f'{page} does not contain {text!r}'
    print(f'docs build: {elapsed:.1f} s')

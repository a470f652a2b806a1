"""Sphinx configuration of the aiida-enatom documentation.

Build with ``make docs`` (output in ``docs/_build/html``) or ``python -m sphinx -W --keep-going -b html docs OUT``;
``tests/test_docs_build.py`` runs the latter with warnings as errors.
"""

from __future__ import annotations

import importlib.util
import re
import time
import warnings
from typing import TYPE_CHECKING

import aiida_enatom

if TYPE_CHECKING:
    from sphinx.application import Sphinx

# AiiDA creates its configuration folder on first import; that is noise in a docs build.
warnings.filterwarnings('ignore', message='Creating AiiDA configuration folder')

from aiida.manage.configuration import Profile, load_profile  # noqa: E402, TID251

# ``aiida.sphinxext`` calls ``load_profile()`` before it builds a process spec. A dummy profile without storage or
# broker (as aiida-quantumespresso's docs do) satisfies it, so the build needs no configured AiiDA profile:
# building a spec never opens the storage.
load_profile(Profile('docs', {'process_control': {}, 'storage': {}}), allow_switch=True)

# -- Project information --------------------------------------------------------------------------------------------

project = 'aiida-enatom'
author = 'the aiida-enatom developers'
copyright = f'{time.localtime().tm_year}, {author}'
release = aiida_enatom.__version__
version = release

# -- General configuration ------------------------------------------------------------------------------------------

extensions = [
    'myst_parser',
    'sphinx.ext.autodoc',
    'sphinx.ext.napoleon',
    'sphinx.ext.mathjax',
    'sphinx_click',
    'aiida.sphinxext',
]

source_suffix = {'.md': 'markdown', '.rst': 'restructuredtext'}
root_doc = 'index'
exclude_patterns = ['_build', '**/.ipynb_checkpoints']
language = 'en'

# Missing references are not errors by default; every other warning is (``-W`` in the test and in ``make docs``).
nitpicky = False

# -- MyST ------------------------------------------------------------------------------------------------------------

# The pages carry no ``$...$`` maths (formulas are written in Unicode), so ``dollarmath``/``amsmath`` stay off:
# ``$AIIDA_PATH`` and friends must stay literal text.
myst_enable_extensions = ['colon_fence', 'deflist']
# ``page.md#some-heading`` links between and within pages resolve through these slugs (levels 1 to 3).
myst_heading_anchors = 3

# -- autodoc / napoleon (NumPy docstrings) ---------------------------------------------------------------------------

autodoc_default_options = {'members': False, 'show-inheritance': False}
autodoc_typehints = 'description'
autodoc_member_order = 'bysource'
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

# -- HTML ------------------------------------------------------------------------------------------------------------

html_theme = 'furo' if importlib.util.find_spec('furo') is not None else 'alabaster'
html_title = f'aiida-enatom {release}'
html_static_path: list[str] = []

# -- sphinx-click ----------------------------------------------------------------------------------------------------

_BAR = re.compile(r'(?<!\\)\|')


def _escape_bars(_app: Sphinx, _ctx: object, lines: list[str]) -> None:
    """Escape ``|`` in a command's help so terminal prose such as ``|∇×W_j|`` is not a reST substitution.

    A ``| `` at the start of a line is sphinx-click's own line block (click's ``\\b`` paragraphs) and is kept.
    """
    for index, line in enumerate(lines):
        head, tail = (line[:2], line[2:]) if line.startswith('| ') else ('', line)
        lines[index] = head + _BAR.sub(r'\\|', tail)


def setup(app: Sphinx) -> None:
    """Register the help-text hook of sphinx-click."""
    app.connect('sphinx-click-process-description', _escape_bars)

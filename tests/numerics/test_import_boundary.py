"""The pure layer must import with AiiDA and click made unimportable (checked in a fresh interpreter)."""

import subprocess
import sys

PURE_MODULES = [
    'aiida_enatom.constants',
    'aiida_enatom.exceptions',
    'aiida_enatom.numerics',
    'aiida_enatom.io',
    'aiida_enatom.plotting',
    'aiida_enatom.common',
]


def test_pure_layer_imports_without_aiida():
    """Block ``aiida`` and ``click`` in ``sys.modules`` and import every pure module and submodule."""
    code = (
        'import sys, pkgutil, importlib\n'
        "sys.modules['aiida'] = None\n"
        "sys.modules['click'] = None\n"
        f'for name in {PURE_MODULES!r}:\n'
        '    module = importlib.import_module(name)\n'
        "    for info in pkgutil.walk_packages(getattr(module, '__path__', []), name + '.'):\n"
        '        importlib.import_module(info.name)\n'
        "assert 'matplotlib.pyplot' not in sys.modules, 'matplotlib must be imported lazily'\n"
    )
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_boundary_test_detects_a_violation():
    """The same mechanism fails when a module does import AiiDA (so the test above can fail)."""
    code = "import sys\nsys.modules['aiida'] = None\nimport aiida.orm\n"
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=False)
    assert result.returncode != 0

"""Check which Debian packages are installed; installing them is the job of ``make system``, not of library code."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence

from aiida_enatom.setup.common import SetupError

__all__ = ('missing_debian_packages', 'require_debian_packages')


def missing_debian_packages(packages: Sequence[str]) -> list[str]:
    """Return the Debian packages of ``packages`` that are not installed (empty if ``dpkg-query`` is absent)."""
    if shutil.which('dpkg-query') is None:
        return []
    missing = []
    for package in packages:
        proc = subprocess.run(
            ['dpkg-query', '-W', '-f=${Status}', package], capture_output=True, text=True, check=False
        )
        if 'install ok installed' not in proc.stdout:
            missing.append(package)
    return missing


def require_debian_packages(packages: Sequence[str], purpose: str) -> None:
    """Raise :class:`SetupError` naming the ``apt-get`` command if any of ``packages`` is not installed.

    Parameters
    ----------
    packages : sequence of str
        Debian package names.
    purpose : str
        What they are for, e.g. ``'the production profile'`` (goes into the message).
    """
    missing = missing_debian_packages(packages)
    if missing:
        raise SetupError(
            f'Debian packages missing for {purpose}: {" ".join(missing)}; install them with `make system` or '
            f'`apt-get install {" ".join(missing)}` (as root)'
        )

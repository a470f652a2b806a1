"""Prepare an AiiDA environment for aiida-enatom: profile, ``localhost`` computer, QE codes and pseudo family.

The modules of this package hold the logic of ``aiida-enatom setup`` without any click dependency:

- :mod:`~aiida_enatom.setup.profile`: create or find the AiiDA profile (SQLite or PostgreSQL storage);
- :mod:`~aiida_enatom.setup.codes`: the ``localhost`` computer and the ``InstalledCode`` of each QE executable;
- :mod:`~aiida_enatom.setup.family`: the offline pseudopotential family and :func:`check_family_covers`;
- :mod:`~aiida_enatom.setup.postgres`, :mod:`~aiida_enatom.setup.rabbitmq`: start PostgreSQL and RabbitMQ on the
  loopback interface (with :mod:`~aiida_enatom.setup.service`, :mod:`~aiida_enatom.setup.commands` and
  :mod:`~aiida_enatom.setup.apt`, which only checks Debian packages: ``make system`` installs them);
- :mod:`~aiida_enatom.setup.computer`: a computer of a batch scheduler (SLURM) with the QE codes on it;
- :mod:`~aiida_enatom.setup.main`: :func:`run_setup`, which chains all of the above.

Importing this package does not import AiiDA; the functions re-exported here import it when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiida_enatom.setup.common import (
    DEFAULT_PROFILE_NAME,
    FAMILY_LABEL,
    MPI_PREPEND_TEXT,
    PRODUCTION_PROFILE_NAME,
    QE_EXECUTABLES,
    Action,
    FamilyCoverageError,
    MissingExecutableError,
    SetupError,
)

if TYPE_CHECKING:
    from aiida_enatom.setup.family import check_family_covers, find_offline_family
    from aiida_enatom.setup.main import SetupResult, run_setup

__all__ = (
    'DEFAULT_PROFILE_NAME',
    'FAMILY_LABEL',
    'MPI_PREPEND_TEXT',
    'PRODUCTION_PROFILE_NAME',
    'QE_EXECUTABLES',
    'Action',
    'FamilyCoverageError',
    'MissingExecutableError',
    'SetupError',
    'SetupResult',
    'check_family_covers',
    'find_offline_family',
    'run_setup',
)

_LAZY = {
    'check_family_covers': 'aiida_enatom.setup.family',
    'find_offline_family': 'aiida_enatom.setup.family',
    'run_setup': 'aiida_enatom.setup.main',
    'SetupResult': 'aiida_enatom.setup.main',
}


def __getattr__(name: str) -> Any:
    """Import the AiiDA-using functions on first access, so that ``import aiida_enatom.setup`` stays light."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')

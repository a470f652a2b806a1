"""Constants, the :class:`Action` record and the exceptions shared by the setup modules (no AiiDA import)."""

from __future__ import annotations

import dataclasses

from aiida_enatom.exceptions import EnatomError

__all__ = (
    'APT_INSTALL_QE',
    'DEFAULT_PROFILE_NAME',
    'FAMILY_LABEL',
    'MPI_PREPEND_TEXT',
    'PRODUCTION_PROFILE_NAME',
    'QE_EXECUTABLES',
    'Action',
    'FamilyCoverageError',
    'MissingExecutableError',
    'SetupError',
)

DEFAULT_PROFILE_NAME = 'enatom'
"""Name of the profile that ``aiida-enatom setup`` creates by default."""

PRODUCTION_PROFILE_NAME = 'enatom-production'
"""Name of the profile that ``aiida-enatom setup --production`` creates by default."""

FAMILY_LABEL = 'enatom-pbe-offline'
"""Label of the aiida-pseudo family built from the pseudopotentials that aiida-enatom generates with ``ld1.x``."""

MPI_PREPEND_TEXT = (
    'export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1 OMPI_MCA_mpi_yield_when_idle=1 '
    'OMPI_MCA_hwloc_base_binding_policy=none'
)
"""Prepend text of the ``localhost`` computer.

Lets OpenMPI run as root, keeps QE single-threaded, makes waiting MPI ranks yield the core and leaves the placement
of ranks to the kernel. OpenMPI binds the ranks of every ``mpirun`` to cores 0, 1, ...: two 1-rank jobs at once
(what a 2-core campaign with ``mpiprocs_per_machine: 1`` runs) then share core 0 while core 1 idles (two 1-rank
pw.x took 13.3 s together against 7.7 s unbound and 7.1 s for one alone, docs/benchmarks.md). A sweep runs the
α²F stages of its pressures concurrently; on a workstation each ``mpirun`` believes it owns the cores, so two 2-rank
ph.x on 2 cores spin in MPI while their partner rank waits for the CPU (measured in docs/benchmarks.md: 2.5× the
CPU time per q-point for the quickstart's two ph.x; two 2-rank pw.x took 53.5 s together against 44.5 s when
yielding, 2 × 22.3 s alone).
"""

QE_EXECUTABLES = {
    'pw': 'pw.x',
    'ph': 'ph.x',
    'q2r': 'q2r.x',
    'matdyn': 'matdyn.x',
    'pp': 'pp.x',
    'projwfc': 'projwfc.x',
}
"""Code label to Quantum ESPRESSO executable; the calculation plugin of code ``X`` is ``quantumespresso.X``."""

APT_INSTALL_QE = 'apt-get install quantum-espresso'


@dataclasses.dataclass(frozen=True)
class Action:
    """One thing that setup found or did.

    Attributes
    ----------
    kind : str
        ``'found'`` (already right, left alone), ``'created'``, ``'updated'``, ``'started'`` or ``'warning'``.
    message : str
        One line for the user.
    """

    kind: str
    message: str

    @property
    def changed(self) -> bool:
        """Whether this action changed something (created, updated or started)."""
        return self.kind in {'created', 'updated', 'started'}


class SetupError(EnatomError, RuntimeError):
    """Setup cannot continue; the message says what is wrong and how to fix it."""


class MissingExecutableError(SetupError):
    """Quantum ESPRESSO executables are not on ``PATH``.

    Parameters
    ----------
    missing : list of str
        Names of the missing executables.
    """

    def __init__(self, missing: list[str]):
        self.missing = list(missing)
        super().__init__(
            f'Quantum ESPRESSO executable(s) not found on PATH: {", ".join(self.missing)}; '
            f'install them with `{APT_INSTALL_QE}` (Debian/Ubuntu, as root) and run setup again'
        )


class FamilyCoverageError(SetupError, LookupError):
    """A pseudopotential family does not exist or lacks elements of a structure.

    Parameters
    ----------
    family_label : str
        The family that was checked.
    missing : list of str
        Elements it lacks (empty if the family itself does not exist).
    message : str
        The full message.
    """

    def __init__(self, family_label: str, missing: list[str], message: str):
        self.family_label = family_label
        self.missing = list(missing)
        super().__init__(message)

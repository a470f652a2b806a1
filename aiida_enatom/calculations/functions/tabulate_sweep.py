"""Calcfunction: one table of a pressure sweep from the results records of its points."""

from __future__ import annotations

from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.common.sweep_table import sweep_table

__all__ = ('tabulate_sweep',)


@calcfunction
def tabulate_sweep(sweep: orm.Dict, **records: orm.Dict) -> orm.Dict:
    """Return ``{'rows': [...], 'columns': [...]}``: one row per target pressure, ascending.

    Parameters
    ----------
    sweep
        ``pressures_GPa`` (key → target GPa), ``relax_steps`` (key → ionic steps of the vc-relax) and ``failed``
        (key → reason) of the sweep.
    records
        Results record per pressure key (points without a record are marked by their ``failed`` reason).
    """
    return orm.Dict(sweep_table(sweep.get_dict(), {key: record.get_dict() for key, record in records.items()}))

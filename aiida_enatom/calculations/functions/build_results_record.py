"""Calcfunction: the versioned results record of a pressure point (see :mod:`aiida_enatom.common.record`)."""

from __future__ import annotations

from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.common.record import build_record, record_summary

__all__ = ('build_results_record',)


@calcfunction
def build_results_record(
    metrics: orm.Dict,
    stability: orm.Dict,
    structure: orm.StructureData,
    pressure: orm.Float,
    context: orm.Dict,
    plane_wave: orm.Dict | None = None,
) -> dict[str, orm.Dict]:
    """Return the results record (``record``) and its summary (``summary``, the keys rankings query).

    The record holds every metric of the point plus the context a database query needs; the summary is a small copy
    of its table columns, rank keys and status (:data:`~aiida_enatom.common.record.SUMMARY_KEYS`), because databases
    store a large JSON value out of line and decompress it for every key a query reads.

    Parameters
    ----------
    metrics
        ``metrics`` of the α²F stage.
    stability
        ``stability`` of the α²F stage (the verdict and the evidence behind it).
    structure
        The relaxed structure (formula, number of atoms, volume).
    pressure
        Pressure of the relaxed cell in GPa.
    context
        ``candidate``, ``protocol`` and ``target_pressure_GPa`` (each may be None).
    plane_wave
        Optional ``plane_wave`` of the enatom stage: the rigid/backflow split of I² (plane waves on a Fermi sphere).
    """
    ase = structure.get_ase()
    from pymatgen.core import Composition

    formula = Composition(ase.get_chemical_formula()).reduced_formula
    record = build_record(
        metrics.get_dict(),
        stability.get_dict(),
        formula=formula,
        candidate=context.get('candidate'),
        protocol=context.get('protocol'),
        target_pressure_gpa=context.get('target_pressure_GPa'),
        pressure_gpa=pressure.value,
        number_of_atoms=len(structure.sites),
        volume_a3=structure.get_cell_volume(),
        plane_wave=None if plane_wave is None else plane_wave.get_dict(),
    )
    return {'record': orm.Dict(record), 'summary': orm.Dict(record_summary(record))}

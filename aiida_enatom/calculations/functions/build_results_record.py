"""Calcfunction: the versioned results record of a pressure point (see :mod:`aiida_enatom.common.record`)."""

from __future__ import annotations

from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.common.record import build_record

__all__ = ('build_results_record',)


@calcfunction
def build_results_record(
    metrics: orm.Dict,
    stability: orm.Dict,
    structure: orm.StructureData,
    pressure: orm.Float,
    context: orm.Dict,
) -> orm.Dict:
    """Return the results record: every metric of the point plus the context a database query needs.

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
    """
    ase = structure.get_ase()
    from pymatgen.core import Composition

    formula = Composition(ase.get_chemical_formula()).reduced_formula
    return orm.Dict(
        build_record(
            metrics.get_dict(),
            stability.get_dict(),
            formula=formula,
            candidate=context.get('candidate'),
            protocol=context.get('protocol'),
            target_pressure_gpa=context.get('target_pressure_GPa'),
            pressure_gpa=pressure.value,
            number_of_atoms=len(structure.sites),
            volume_a3=structure.get_cell_volume(),
        )
    )

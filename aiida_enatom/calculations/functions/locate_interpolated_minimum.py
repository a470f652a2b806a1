"""Calcfunction: the most imaginary mode of matdyn.x's fine mesh, its q-point for a direct ph.x check."""

from __future__ import annotations

from aiida import orm
from aiida.engine import calcfunction
from aiida_quantumespresso.data.force_constants import ForceConstantsData

from aiida_enatom.calculations.functions._phonon_minima import ph_minimum, read_matdyn_frequencies
from aiida_enatom.constants import BOHR_TO_ANGSTROM, CM1_TO_MEV
from aiida_enatom.io.qe_q2r import parse_force_constants
from aiida_enatom.numerics.interpolated_minimum import interpolated_minimum
from aiida_enatom.numerics.stability import needs_direct_check

__all__ = ('locate_interpolated_minimum',)


@calcfunction
def locate_interpolated_minimum(
    matdyn_retrieved: orm.FolderData,
    force_constants: ForceConstantsData,
    ph_parameters: orm.Dict,
    threshold: orm.Float,
) -> dict[str, orm.Data]:
    """Return the worst (lowest) interpolated frequency, its q-point, and whether ph.x must check it directly.

    Parameters
    ----------
    matdyn_retrieved
        Retrieved folder of matdyn.x (``phonon_frequencies.dat``: q in 2π/alat, frequencies in cm⁻¹).
    force_constants
        The q2r.x force constants that matdyn.x interpolated (their cell converts q to crystal coordinates).
    ph_parameters
        ``output_parameters`` of the ph.x grid run.
    threshold
        Imaginary-mode tolerance in meV.

    Returns
    -------
    dict
        ``summary`` (Dict): ``interpolated_lowest_frequency_meV``, ``interpolated_worst_q`` (Cartesian, 2π/alat),
        ``interpolated_worst_q_crystal``, ``interpolated_n_below_threshold``, ``lowest_frequency_coarse_grid_meV``,
        ``direct_check_needed`` (grid stable, mesh not); ``qpoint`` (KpointsData): that q-point, one point in
        crystal coordinates on the force constants' cell, as ph.x's ``qpoints`` input.
    """
    frequencies = read_matdyn_frequencies(matdyn_retrieved)
    constants = parse_force_constants(force_constants.get_content(), filename=force_constants.filename)
    minimum = interpolated_minimum(
        frequencies.qpoints, frequencies.frequencies_cm1 * CM1_TO_MEV, constants.cell, threshold.value
    )
    grid = ph_minimum(ph_parameters)
    qpoint = orm.KpointsData()
    qpoint.set_cell(constants.cell * constants.alat_bohr * BOHR_TO_ANGSTROM)
    qpoint.set_kpoints([list(minimum.qpoint_crystal)])
    summary = {
        'interpolated_lowest_frequency_meV': minimum.lowest_meV,
        'interpolated_worst_q': list(minimum.qpoint_cartesian),
        'interpolated_worst_q_crystal': list(minimum.qpoint_crystal),
        'interpolated_n_below_threshold': minimum.n_below,
        'interpolated_n_frequencies': minimum.n_frequencies,
        'lowest_frequency_coarse_grid_meV': grid.lowest_meV,
        'threshold_meV': threshold.value,
        'direct_check_needed': needs_direct_check(grid.lowest_meV, minimum.lowest_meV, threshold.value),
    }
    return {'summary': orm.Dict(summary), 'qpoint': qpoint}

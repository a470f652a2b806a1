"""Calcfunction: dynamical-stability verdict from ph.x's grid, matdyn.x's fine mesh and the direct ph.x check."""

from __future__ import annotations

from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.calculations.functions._phonon_minima import ph_minimum, ph_qpoints, read_matdyn_frequencies
from aiida_enatom.constants import CM1_TO_MEV
from aiida_enatom.numerics.interpolated_minimum import interpolated_minimum
from aiida_enatom.numerics.stability import decide_stability

__all__ = ('assess_stability',)


@calcfunction
def assess_stability(
    ph_parameters: orm.Dict,
    matdyn_retrieved: orm.FolderData,
    threshold: orm.Float,
    direct_parameters: orm.Dict | None = None,
) -> orm.Dict:
    """Return the stability verdict and the evidence that decided it (imaginary frequencies are negative).

    The rule (:func:`aiida_enatom.numerics.stability.decide_stability`): an imaginary mode on ph.x's q-grid
    (below −``threshold``; the three acoustic modes at Γ left out, ph.x imposes no acoustic sum rule) makes the
    structure unstable (``evidence = 'ph_grid'``). With a stable grid, matdyn.x's interpolated mesh decides if it
    is stable too (``'interpolated_mesh'``); if it is not, ph.x run directly at its worst q decides
    (``'direct_q'``), and without that run the verdict stays unstable (``'interpolated_mesh'``).

    Parameters
    ----------
    ph_parameters
        ``output_parameters`` of the ph.x grid run (``dynamical_matrix_<i>.q_point``, ``.frequencies`` in cm⁻¹).
    matdyn_retrieved
        Retrieved folder of matdyn.x on the fine mesh (``phonon_frequencies.dat``).
    threshold
        Tolerance in meV for small imaginary frequencies.
    direct_parameters
        ``output_parameters`` of ph.x run at the worst interpolated q (``ldisp = .false.``), if it was run.

    Returns
    -------
    orm.Dict
        ``dynamically_stable``, ``lowest_frequency_meV`` (of the deciding evidence: the grid for ``ph_grid``,
        min(grid, mesh) for ``interpolated_mesh``, min(grid, direct) for ``direct_q``), ``threshold_meV``,
        ``evidence``, ``direct_check_q`` (2π/alat, Cartesian, or None), ``direct_check_lowest_frequency_meV``
        (or None), ``interpolated_lowest_frequency_meV``, ``interpolated_worst_q`` (2π/alat, Cartesian),
        ``interpolated_n_below_threshold``, ``lowest_frequency_coarse_grid_meV``, ``acoustic_gamma_max_abs_meV``,
        ``q_units`` (``'2pi/alat'``).
    """
    grid = ph_minimum(ph_parameters)
    frequencies = read_matdyn_frequencies(matdyn_retrieved)
    mesh = interpolated_minimum(
        frequencies.qpoints, frequencies.frequencies_cm1 * CM1_TO_MEV, threshold_meV=threshold.value
    )
    direct_q, direct_lowest = None, None
    if direct_parameters is not None:
        direct_q = ph_qpoints(direct_parameters)[0]
        direct_lowest = ph_minimum(direct_parameters).lowest_meV
    verdict = decide_stability(grid.lowest_meV, mesh.lowest_meV, threshold.value, direct_lowest)
    return orm.Dict(
        {
            'dynamically_stable': verdict.dynamically_stable,
            'lowest_frequency_meV': verdict.lowest_meV,
            'threshold_meV': threshold.value,
            'evidence': verdict.evidence,
            'direct_check_q': direct_q,
            'direct_check_lowest_frequency_meV': direct_lowest,
            'interpolated_lowest_frequency_meV': mesh.lowest_meV,
            'interpolated_worst_q': list(mesh.qpoint_cartesian),
            'interpolated_n_below_threshold': mesh.n_below,
            'lowest_frequency_coarse_grid_meV': grid.lowest_meV,
            'acoustic_gamma_max_abs_meV': grid.acoustic_gamma_max_abs_meV,
            'q_units': '2pi/alat',
        }
    )

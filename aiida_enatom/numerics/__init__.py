"""Pure numerics (numpy/scipy only): α²F moments, T_c, Eliashberg, per-atom splits, I², Helmholtz decomposition.

Units: meV, K, amu, Å. Nothing in this package imports AiiDA, click or (at module level) matplotlib.
"""

from aiida_enatom.numerics.bergmann_rainer import FunctionalDerivative, tc_functional_derivative
from aiida_enatom.numerics.displacements import DisplacementSet, minimal_displacements, reconstruct_atom_fields
from aiida_enatom.numerics.eliashberg import EliashbergResult, eliashberg_tc, pairing_eigenvalue
from aiida_enatom.numerics.finite_difference import FiniteDifference, central_difference
from aiida_enatom.numerics.helmholtz import HelmholtzComponents, helmholtz_decompose
from aiida_enatom.numerics.metrics import analyse_spectrum
from aiida_enatom.numerics.moments import Moments, a2f_area, coupling_lambda, cumulative_lambda, moments, omega_log
from aiida_enatom.numerics.radial import RadialProfile, spherical_average
from aiida_enatom.numerics.spectra import Alpha2F
from aiida_enatom.numerics.sum_rules import SumRuleResiduals, sum_rule_residuals
from aiida_enatom.numerics.tc import (
    allen_dynes_tc,
    leavens_carbotte_tc,
    mcmillan_tc,
    strong_coupling_tc,
)

__all__ = (
    'Alpha2F',
    'DisplacementSet',
    'EliashbergResult',
    'FiniteDifference',
    'FunctionalDerivative',
    'HelmholtzComponents',
    'Moments',
    'RadialProfile',
    'SumRuleResiduals',
    'a2f_area',
    'allen_dynes_tc',
    'analyse_spectrum',
    'central_difference',
    'coupling_lambda',
    'cumulative_lambda',
    'eliashberg_tc',
    'helmholtz_decompose',
    'leavens_carbotte_tc',
    'mcmillan_tc',
    'minimal_displacements',
    'moments',
    'omega_log',
    'pairing_eigenvalue',
    'reconstruct_atom_fields',
    'spherical_average',
    'strong_coupling_tc',
    'sum_rule_residuals',
    'tc_functional_derivative',
)

"""Pure numerics (numpy/scipy only): α²F moments, T_c, Eliashberg, per-atom splits, I², Helmholtz decomposition.

Units: meV, K, amu, Å. Nothing in this package imports AiiDA, click or (at module level) matplotlib.
"""

from aiida_enatom.numerics.bergmann_rainer import FunctionalDerivative, tc_functional_derivative
from aiida_enatom.numerics.eliashberg import EliashbergResult, eliashberg_tc, pairing_eigenvalue
from aiida_enatom.numerics.metrics import analyse_spectrum
from aiida_enatom.numerics.moments import Moments, a2f_area, coupling_lambda, cumulative_lambda, moments, omega_log
from aiida_enatom.numerics.spectra import Alpha2F
from aiida_enatom.numerics.tc import (
    allen_dynes_tc,
    leavens_carbotte_tc,
    mcmillan_tc,
    strong_coupling_tc,
)

__all__ = (
    'Alpha2F',
    'EliashbergResult',
    'FunctionalDerivative',
    'Moments',
    'a2f_area',
    'allen_dynes_tc',
    'analyse_spectrum',
    'coupling_lambda',
    'cumulative_lambda',
    'eliashberg_tc',
    'leavens_carbotte_tc',
    'mcmillan_tc',
    'moments',
    'omega_log',
    'pairing_eigenvalue',
    'strong_coupling_tc',
    'tc_functional_derivative',
)

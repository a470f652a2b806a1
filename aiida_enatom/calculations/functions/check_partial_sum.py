"""Calcfunction: check that the species-pair partials reproduce the total λ of matdyn.x."""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.engine import calcfunction

from aiida_enatom.data.alpha2f import Alpha2FData
from aiida_enatom.numerics.moments import coupling_lambda
from aiida_enatom.numerics.spectra import Alpha2F

__all__ = ('check_partial_sum',)


@calcfunction
def check_partial_sum(alpha2f: Alpha2FData, reference: Alpha2FData, tolerance: orm.Float) -> orm.Dict:
    """Compare λ of the summed species-pair partials with λ of matdyn's total, for every smearing.

    Parameters
    ----------
    alpha2f
        α²F with partials; the pair keys (``'A-B'``) are summed.
    reference
        matdyn's total α²F on the same grid.
    tolerance
        Largest accepted relative difference |λ_sum − λ_matdyn| / λ_matdyn.
    """
    pairs = [key for key in alpha2f.partial_keys if '-' in key and ':' not in key]
    summed = np.sum([alpha2f.get_partial(key) for key in pairs], axis=0)
    lambda_sum = [coupling_lambda(Alpha2F(alpha2f.frequency, row)) for row in summed]
    lambda_ref = [coupling_lambda(spectrum) for spectrum in reference.to_alpha2f_list()]
    errors = [abs(a - b) / abs(b) if b else float('inf') for a, b in zip(lambda_sum, lambda_ref, strict=True)]
    worst = int(np.argmax(errors))
    passed = bool(pairs) and errors[worst] <= tolerance.value
    message = (
        f'max |Δλ|/λ = {errors[worst]:.4f} at smearing {reference.smearings[worst]:g} Ry '
        f'(λ partials {lambda_sum[worst]:.4f}, matdyn {lambda_ref[worst]:.4f}; tolerance {tolerance.value:g})'
    )
    return orm.Dict(
        {
            'pair_keys': pairs,
            'lambda_partials': lambda_sum,
            'lambda_matdyn': lambda_ref,
            'relative_error': errors,
            'max_relative_error': errors[worst],
            'tolerance': tolerance.value,
            'passed': passed,
            'message': message,
        }
    )

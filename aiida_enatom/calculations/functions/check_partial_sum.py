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
def check_partial_sum(
    alpha2f: Alpha2FData, reference: Alpha2FData, tolerance: orm.Float, smearing_index: orm.Int
) -> orm.Dict:
    """Compare λ of the summed species-pair partials with λ of matdyn's total, for every smearing.

    ``passed`` judges the smearing the metrics are computed at (``smearing_index``); every other smearing is
    reported (``passed_all``, ``relative_error``). The smallest el-ph smearings sample a spiky, unconverged α²F
    on which matdyn's histogram and our tetrahedra differ by a few per cent, without bearing on the figures of merit.

    Parameters
    ----------
    alpha2f
        α²F with partials; the pair keys (``'A-B'``) are summed.
    reference
        matdyn's total α²F on the same grid.
    tolerance
        Largest accepted relative difference |λ_sum − λ_matdyn| / λ_matdyn.
    smearing_index
        0-based index of the smearing that must pass (the default smearing of the metrics).
    """
    pairs = [key for key in alpha2f.partial_keys if '-' in key and ':' not in key]
    summed = np.sum([alpha2f.get_partial(key) for key in pairs], axis=0)
    lambda_sum = [coupling_lambda(Alpha2F(alpha2f.frequency, row)) for row in summed]
    lambda_ref = [coupling_lambda(spectrum) for spectrum in reference.to_alpha2f_list()]
    errors = [abs(a - b) / abs(b) if b else float('inf') for a, b in zip(lambda_sum, lambda_ref, strict=True)]
    worst = int(np.argmax(errors))
    index = smearing_index.value
    passed = bool(pairs) and errors[index] <= tolerance.value
    message = (
        f'|Δλ|/λ = {errors[index]:.4f} at the default smearing {reference.smearings[index]:g} Ry '
        f'(λ partials {lambda_sum[index]:.4f}, matdyn {lambda_ref[index]:.4f}; tolerance {tolerance.value:g}); '
        f'largest over all smearings {errors[worst]:.4f} at {reference.smearings[worst]:g} Ry'
    )
    return orm.Dict(
        {
            'pair_keys': pairs,
            'lambda_partials': lambda_sum,
            'lambda_matdyn': lambda_ref,
            'relative_error': errors,
            'max_relative_error': errors[worst],
            'tolerance': tolerance.value,
            'smearing_index': index,
            'passed': passed,
            'passed_all': bool(pairs) and errors[worst] <= tolerance.value,
            'message': message,
        }
    )

"""Calcfunction: α²F, T_c and isotope coefficients at substituted masses from a finished α²F stage (no new DFT)."""

from __future__ import annotations

import numpy as np
from aiida import orm
from aiida.common import LinkType
from aiida.engine import calcfunction

from aiida_enatom.calculations.functions._elph_model import load_model
from aiida_enatom.data.alpha2f import Alpha2FData
from aiida_enatom.numerics.isotopes import isotope_effect
from aiida_enatom.numerics.spectra import Alpha2F

__all__ = ('point_isotope_inputs', 'record_suffix', 'substitute_isotopes')


def record_suffix(substitutions: dict) -> str:
    """Key suffix of the substituted T_c: ``'D'`` for full deuteration (``{'H': 'D'}``), else ``'substituted'``."""
    return 'D' if substitutions == {'H': 'D'} else 'substituted'


def point_isotope_inputs(node: orm.ProcessNode) -> dict[str, orm.Data]:
    """The stored inputs of :func:`substitute_isotopes` (all but ``masses``) of a finished point or α²F stage.

    Parameters
    ----------
    node
        An ``enatom.pressure_point`` or ``enatom.alpha2f`` process node.

    Returns
    -------
    dict
        ``alpha2f``, ``force_constants``, ``q2r_retrieved``, ``qpoints``, ``mu_star``, ``smearing_index`` and, if the
        stage has one, ``mu_star_convention``.

    Raises
    ------
    ValueError
        One line naming the node and what is missing: not a point or α²F stage, no α²F stage, or not finished.

    Examples
    --------
    Full deuteration of a stored point, with provenance::

        inputs = point_isotope_inputs(orm.load_node(PK))
        result = substitute_isotopes(**inputs, masses=orm.Dict({'H': 'D'}))
        result['isotope_effect']['tc_eliashberg_D_K']
    """
    process_type = getattr(node, 'process_type', None) or ''
    stage = node
    if process_type.endswith('enatom.pressure_point'):
        called = {link.link_label: link.node for link in node.base.links.get_outgoing(link_type=LinkType.CALL_WORK)}
        if 'alpha2f' not in called:
            raise ValueError(f'pressure point {node.pk} has no alpha2f stage (it failed before it)')
        stage = called['alpha2f']
    elif not process_type.endswith('enatom.alpha2f'):
        kind = process_type.split(':')[-1] or type(node).__name__
        raise ValueError(f'node {node.pk} is a {kind}, not an enatom.pressure_point or enatom.alpha2f process')
    calls = {link.link_label: link.node for link in stage.base.links.get_outgoing(link_type=LinkType.CALL_CALC)}
    q2r, matdyn = calls.get('q2r'), calls.get('matdyn')
    if q2r is None or matdyn is None or 'alpha2f' not in stage.outputs:
        raise ValueError(f'the alpha2f stage {stage.pk} has no q2r/matdyn results or α²F output (not finished?)')
    inputs = {
        'alpha2f': stage.outputs.alpha2f,
        'force_constants': q2r.outputs.force_constants,
        'q2r_retrieved': q2r.outputs.retrieved,
        'qpoints': matdyn.inputs.kpoints,
        'mu_star': stage.inputs.mu_star,
        'smearing_index': stage.inputs.default_smearing_index,
    }
    if 'mu_star_convention' in stage.inputs:
        inputs['mu_star_convention'] = stage.inputs.mu_star_convention
    return inputs


@calcfunction
def substitute_isotopes(
    alpha2f: Alpha2FData,
    force_constants: orm.SinglefileData,
    q2r_retrieved: orm.FolderData,
    qpoints: orm.KpointsData,
    masses: orm.Dict,
    mu_star: orm.Float,
    smearing_index: orm.Int,
    mu_star_convention: orm.Str | None = None,
) -> dict:
    """Return the isotope numbers (``isotope_effect``) and the substituted α²F with partials (``alpha2f``).

    Parameters
    ----------
    alpha2f
        The split α²F of the point (its grid and, at the default smearing, its species partials are reused).
    force_constants
        q2r's ``real_space_force_constants.dat``.
    q2r_retrieved
        q2r's retrieved folder with the real-space Γ files ``a2Fmatdyn.61``….
    qpoints
        matdyn's fine q-mesh.
    masses
        Element → new mass in amu, or ``'D'``/``'T'`` for H (e.g. ``{'H': 'D'}``).
    mu_star
        μ* of the point; its reference frequency (that of the stored spectrum) is held fixed for every mass set.
    smearing_index
        0-based el-ph smearing of the metrics.
    mu_star_convention
        Where μ* is quoted (:data:`~aiida_enatom.numerics.eliashberg.MU_STAR_CONVENTIONS`); default the solver's.
    """
    index = smearing_index.value
    model = load_model(force_constants, q2r_retrieved, qpoints, index)
    stored = alpha2f.to_alpha2f(index)
    species = sorted(set(model.species))
    base = Alpha2F(stored.frequency, np.sum([stored.partials[s] for s in species], axis=0), label='stored masses')
    substitutions = masses.get_dict()
    options = {} if mu_star_convention is None else {'mu_star_convention': mu_star_convention.value}
    effect = isotope_effect(model, substitutions, stored.frequency, mu_star=mu_star.value, base=base, **options)
    values = effect.as_dict(record_suffix(substitutions))
    values['isotope_substitution'] = ', '.join(f'{key}={value}' for key, value in sorted(substitutions.items()))
    for symbol in species:
        values[f'isotope_mass_{symbol}_amu'] = float(effect.substituted_masses_amu[model.species.index(symbol)])
    spectrum = Alpha2FData()
    spectrum.set_from(
        [Alpha2F(effect.substituted.frequency, effect.substituted.spectrum, dict(effect.substituted.partials))],
        [alpha2f.smearings[index]],
    )
    return {'isotope_effect': orm.Dict(values), 'alpha2f': spectrum}

"""I² per species by a second route: the on-site (diagonal) block of Γ averaged over the q-mesh, no phonons needed.

Derivation (units: Γ in meV·amu with γ_qν = e†Γ(q)e/√(M_a M_b), as :mod:`aiida_enatom.numerics.interpolation`)
-----------------------------------------------------------------------------------------------------------
With g^ν_{mn}(k, q) = Σ_a (ħ/2M_a ω_qν)^{1/2} e_{qν,a}·⟨mk|∂V/∂R_a|n k+q⟩ and
γ_qν = 2πω_qν (1/N_k) Σ_{k,mn} |g^ν_{mn}|² δ(ε_mk)δ(ε_{n k+q}), the matrix Γ(q) that ph.x writes is

.. math:: Γ_{ab}(q) = πħ² \\frac{1}{N_k}\\sum_{k,mn} ⟨mk|∂_aV|n k{+}q⟩^* ⟨mk|∂_bV|n k{+}q⟩\\, δ(ε_{mk})δ(ε_{n k+q}),

not mass-scaled. Averaging the trace of the **diagonal block a = b** over a q-mesh turns k + q into an independent
k′, so the mesh average is a double Fermi-surface sum:

.. math:: \\bar Γ_a ≡ \\frac{1}{N_q}\\sum_q \\mathrm{Tr}\\,Γ_{aa}(q)
          = πħ² N(0)^2\\, \\langle\\langle |⟨k|∇_{R_a}V|k′⟩|^2 \\rangle\\rangle_{FS},

with N(0) the DOS per spin per cell at E_F (the ``a2Fmatdyn`` header of the same smearing). Hence, per atom a,

.. math:: η_a^{(2)} = \\frac{\\bar Γ_a}{π N(0)},\\qquad I_a^{2\\,(2)} = \\frac{η_a^{(2)}}{N(0)}
          = \\frac{\\bar Γ_a}{π N(0)^2} = \\langle\\langle |⟨k|∇_{R_a}V|k′⟩|^2\\rangle\\rangle_{FS},

the double Fermi-surface average of the seed paper's Eq. 2 (and η = N(0)I² of its Figure 1, N(0) the whole
cell's). Γ̄/(πN(0)) is in amu·meV²; ×2.392253e-4 (:data:`aiida_enatom.constants.AMU_MEV2_TO_EV_PER_A2`, which
absorbs ħ²) gives η in eV/Å², and dividing by N(0) in states/eV/spin gives I² in eV²/Å².

Why η agrees with the first route, and what the I² ratio measures
------------------------------------------------------------------
The mode sum at fixed q uses only the completeness of the eigenvectors: Σ_ν γ_qν = Σ_a Tr Γ_aa(q)/M_a; every
cross term (a ≠ b, including H–metal) cancels. With ∫α²F_s(ω) ω dω = (1/2πN(0)N_q) Σ_qν γ^s_qν for the species
partial of :mod:`aiida_enatom.numerics.projections` (s–s pairs plus half the cross pairs), Eq. 7's route
(:mod:`aiida_enatom.numerics.hopfield`) gives per atom of s

.. math:: η_s^{(1)} = \\frac{λ_s}{n_s} M_s \\bar ω_{2,s}^2 = \\frac{2M_s}{n_s}\\int α^2F_s(ω)\\, ω\\, dω
          = \\frac{1}{n_s}\\sum_{a∈s} η_a^{(2)}

**exactly**, apart from (i) the frequency integration of the stored α²F (trapezoid on matdyn's grid), (ii) modes
with ω ≤ 0, which carry no α²F weight but do enter Γ̄, (iii) aggregating several metal species with one mean mass
(group ``M``). ``eta_<s>_route_ratio`` = η^(2)/η^(1) measures these and should be 1 to about a percent.

The two I² then differ by their DOS: Eq. 7 divides η by the projected DOS of one atom, N_s(0); Eq. 2 averages over
the whole Fermi surface, i.e. divides by N(0) of the cell. So

.. math:: \\frac{I_s^{2\\,(2)}}{I_s^{2\\,(1)}} = \\frac{η_s^{(2)}}{η_s^{(1)}}\\,\\frac{N_s(0)}{N(0)},

which is 1 for one atom per cell and otherwise the Fermi-level DOS share of one atom of s (times the route
consistency). A ratio well below 1/n_atoms says the atom's scattering is spread over states that are not its own.

The diagonal block a = a of Γ(R) contributes to the mesh average only through R = 0 (the Wigner–Seitz weight of
any other lattice vector of the q2r supercell is 0 for r = R), so Γ̄_a = Tr Γ_aa(R = 0) for every Γ-centred mesh at
least as fine as the q2r grid, and equals ph.x's own average over its q-grid: this route does not depend on the
Fourier interpolation. With ``asr='simple'`` (matdyn's, the α²F's) Γ_aa(0) first loses Σ_{b,R} Γ_ab(R), as matdyn
does.

References: W. L. McMillan, Phys. Rev. 167, 331 (1968); J. J. Hopfield, Phys. Rev. 186, 443 (1969);
G. D. Gaspari and B. L. Györffy, Phys. Rev. Lett. 28, 801 (1972); P. B. Allen, Phys. Rev. B 6, 2577 (1972).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from aiida_enatom.constants import AMU_MEV2_TO_EV_PER_A2, EV_TO_MEV
from aiida_enatom.exceptions import InputValidationError

__all__ = ('METAL_GROUP', 'onsite_gamma_trace', 'route2_metrics', 'route2_scattering')

#: Key suffix of every non-hydrogen species together (as :mod:`aiida_enatom.numerics.species_metrics`).
METAL_GROUP = 'M'


def onsite_gamma_trace(gamma_real_space: ArrayLike, *, asr: str = 'simple') -> NDArray[np.float64]:
    """Γ̄_a = Tr Γ_aa(R = 0) of each atom, the q-mesh average of the diagonal block of Γ(q).

    Parameters
    ----------
    gamma_real_space : array_like, shape (nr1, nr2, nr3, 3, 3, N, N)
        q2r's real-space Γ(R) of one smearing in meV·amu (QE layout, π/2 included).
    asr : {'simple', 'no'}
        ``'simple'``: subtract Σ_{b,R} Γ_ab(R) from the on-site block first (matdyn's acoustic sum rule on Γ).

    Returns
    -------
    ndarray, shape (N,)
        Γ̄_a in meV·amu.
    """
    gamma = np.asarray(gamma_real_space, dtype=float)
    if gamma.ndim != 7 or gamma.shape[3:5] != (3, 3) or gamma.shape[5] != gamma.shape[6]:
        raise InputValidationError(f'gamma_real_space has shape {gamma.shape}, expected (nr1, nr2, nr3, 3, 3, N, N)')
    if asr not in ('simple', 'no'):
        raise InputValidationError(f"asr must be 'simple' or 'no', got {asr!r}")
    onsite = np.einsum('iiaa->a', gamma[0, 0, 0])
    if asr == 'simple':
        onsite = onsite - np.einsum('xyziiab->a', gamma)
    return onsite


def route2_scattering(
    gamma_real_space: ArrayLike, species: Sequence[str], dos_ef_per_mev: float, *, asr: str = 'simple'
) -> dict[str, dict[str, float]]:
    """η and I² per atom of each species (and of the metal group ``'M'``) from the on-site block of Γ.

    Parameters
    ----------
    gamma_real_space : array_like, shape (nr1, nr2, nr3, 3, 3, N, N)
        Real-space Γ(R) in meV·amu (one smearing).
    species : sequence of str, length N
        Element of each atom.
    dos_ef_per_mev : float
        N(0) of the same smearing, states/spin/meV/cell.
    asr : {'simple', 'no'}
        As :func:`onsite_gamma_trace`; use the α²F's (matdyn's) choice.

    Returns
    -------
    dict
        ``{group: {'eta_eV_per_A2': η, 'I2_eV2_per_A2': I²}}`` per species and, when H and another species are
        present, ``'M'`` (mean over the metal atoms). η = Γ̄/(πN(0)) in eV/Å², I² = η/N(0) in eV²/Å² (module
        docstring).

    Examples
    --------
    One atom with Tr Γ(R=0) = π·1000 meV·amu and N(0) = 1/meV: η = 1000 amu·meV² = 0.2392 eV/Å², I² = η/(1000/eV).

    >>> g = np.zeros((1, 1, 1, 3, 3, 1, 1)); g[0, 0, 0, :, :, 0, 0] = np.eye(3) * np.pi * 1000 / 3
    >>> round(route2_scattering(g, ['Al'], 1.0, asr='no')['Al']['eta_eV_per_A2'], 4)
    0.2392
    """
    labels = list(species)
    trace = onsite_gamma_trace(gamma_real_space, asr=asr)
    if trace.size != len(labels):
        raise InputValidationError(f'Γ(R) has {trace.size} atoms but {len(labels)} species labels were given')
    if not dos_ef_per_mev > 0:
        raise InputValidationError(f'dos_ef_per_mev must be positive, got {dos_ef_per_mev}')
    eta = trace / (np.pi * dos_ef_per_mev) * AMU_MEV2_TO_EV_PER_A2
    n_ef_per_ev = dos_ef_per_mev * EV_TO_MEV
    groups: dict[str, list[int]] = {s: [a for a, label in enumerate(labels) if label == s] for s in sorted(set(labels))}
    metals = [a for a, label in enumerate(labels) if label != 'H']
    if 'H' in groups and metals:
        groups[METAL_GROUP] = metals
    return {
        group: {
            'eta_eV_per_A2': float(eta[atoms].mean()),
            'I2_eV2_per_A2': float(eta[atoms].mean() / n_ef_per_ev),
        }
        for group, atoms in groups.items()
    }


def route2_metrics(
    gamma_real_space: ArrayLike,
    species: Sequence[str],
    dos_ef_per_mev: float,
    route1: Mapping[str, Any],
    *,
    asr: str = 'simple',
) -> dict[str, float | None]:
    """Record keys of the second route next to the first (Eq. 7) route's ``metrics``.

    Parameters
    ----------
    gamma_real_space, species, dos_ef_per_mev, asr
        As :func:`route2_scattering` (the smearing of the metrics).
    route1 : mapping
        Metrics holding ``I2_<g>_eV2_per_A2`` and ``eta_<g>_eV_per_A2`` (None allowed) from
        :func:`~aiida_enatom.numerics.species_metrics.species_metrics`.

    Returns
    -------
    dict
        Per group g: ``I2_<g>_route2_eV2_per_A2``, ``eta_<g>_route2_eV_per_A2``, ``I2_<g>_route_ratio`` (route 2 /
        route 1) and ``eta_<g>_route_ratio``; ratios are None where route 1 has no value; and
        ``N_0_elph_states_per_eV_spin`` (N(0) of the cell at this smearing).
    """
    out: dict[str, float | None] = {'N_0_elph_states_per_eV_spin': float(dos_ef_per_mev) * EV_TO_MEV}
    for group, values in route2_scattering(gamma_real_space, species, dos_ef_per_mev, asr=asr).items():
        for stem, unit in (('I2', 'eV2_per_A2'), ('eta', 'eV_per_A2')):
            second = values[f'{stem}_{unit}']
            first = route1.get(f'{stem}_{group}_{unit}')
            out[f'{stem}_{group}_route2_{unit}'] = second
            out[f'{stem}_{group}_route_ratio'] = second / float(first) if first else None
    return out

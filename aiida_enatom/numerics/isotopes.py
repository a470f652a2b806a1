"""Isotope substitution from stored force constants and Γ(R): α²F, T_c and isotope coefficients at other masses.

The real-space force constants C(R) and the electron–phonon matrices Γ(R) that q2r.x writes do not depend on the
atomic masses (adiabatic approximation): the masses enter only when D(q) = C(q)/√(M_a M_b) is diagonalised and when
γ_qν = e†Γ(q)e/√(M_a M_b) is formed. Changing the masses therefore needs no new DFT: re-diagonalise on the same
fine q-mesh, rebuild α²F and its partials (:mod:`aiida_enatom.numerics.interpolation`), and solve for T_c again.

Conventions
-----------
* **Frequency grid.** The substituted α²F is sampled on the stored grid stretched by ω_max(new)/ω_max(stored),
  ω_max the highest interpolated phonon frequency on the mesh. At unchanged masses the factor is exactly 1 (the
  stored α²F is reproduced exactly); scaling every mass by s stretches the grid by exactly 1/√s, as α²F itself
  (α²F_s(ω) = α²F(√s ω)).
* **μ\\*.** The Coulomb repulsion does not depend on the ionic mass, so μ\\* is held at a *fixed* reference frequency
  (default 10 ω_max of the unsubstituted spectrum) for every mass set; the Eliashberg solver rescales it to its
  Matsubara cutoff (Morel–Anderson). This is the origin of α < ½: at μ\\* = 0 every route gives α = ½ exactly.
  McMillan's and Allen–Dynes' formulas hold μ\\* fixed whatever ω_log, so their *total* α is ½ by construction.
* **Isotope coefficients** α_g = −∂ ln T_c / ∂ ln M_g for g = all atoms (``'all'``), hydrogen (``'H'``) and every
  other species together (``'M'``), by a centred difference in ln M with step h (:data:`DEFAULT_LOG_STEP` = 0.05,
  i.e. masses × e^{±0.05} ≈ ±5 %): α_g = −[ln T_c(M_g e^{h}) − ln T_c(M_g e^{−h})]/(2h), truncation error O(h²).
  The T_c of these differences (and the ratio T_c(substituted)/T_c(stored)) come from a Gaussian-broadened α²F
  (σ = 2 grid steps) of the same modes, which is smooth in the masses; the point-sampled tetrahedron α²F is not
  (see :func:`isotope_effect`). Scaling all masses together is exactly a frequency stretch of the stored-mass
  spectrum, so α_all needs no diagonalisation; α_H + α_M = α_all to O(h²) (chain rule) is a check.
* **Full deuteration**: every H replaced by ²H (:data:`ISOTOPE_MASSES_AMU`), the metals unchanged.

References
----------
C. A. Reynolds et al., Phys. Rev. 78, 487 (1950) and E. Maxwell, Phys. Rev. 78, 477 (1950) (the isotope effect);
P. Morel and P. W. Anderson, Phys. Rev. 125, 1263 (1962) (μ\\* and α < ½); A. P. Drozdov et al., Nature 525, 73
(2015) (H₃S and D₃S).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.constants as _sc
from numpy.typing import ArrayLike, NDArray

from aiida_enatom.constants import AMU_MEV2_TO_EV_PER_A2
from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.eliashberg import DEFAULT_MU_STAR_CONVENTION, mu_star_reference_mev
from aiida_enatom.numerics.interpolation import (
    RealSpaceModel,
    atom_resolved_alpha2f,
    fourier_kernel,
    monkhorst_pack_mesh,
    phonons_from_force_constants,
    tetrahedron_alpha2f,
)
from aiida_enatom.numerics.metrics import analyse_spectrum
from aiida_enatom.numerics.projections import (
    assemble_alpha2f,
    eigenvector_weights,
    gaussian_alpha2f,
    pair_linewidths,
    species_channels,
)
from aiida_enatom.numerics.spectra import Alpha2F

__all__ = (
    'DEFAULT_LOG_STEP',
    'HYDROGEN',
    'ISOTOPE_MASSES_AMU',
    'TC_ROUTES',
    'ElectronPhononModel',
    'IsotopeEffect',
    'isotope_effect',
    'substituted_alpha2f',
    'substituted_masses',
)

HYDROGEN = 'H'
#: The Gaussians of the smooth spectra stop at this many σ (e^{−50} ≈ 2·10⁻²² of their peak: below rounding).
GAUSSIAN_CUTOFF_SIGMAS = 10.0
#: Centred-difference step in ln M for the isotope coefficients.
DEFAULT_LOG_STEP = 0.05
#: T_c routes of :func:`~aiida_enatom.numerics.metrics.analyse_spectrum` (key stem ``tc_<route>_K``).
TC_ROUTES = ('mcmillan', 'allen_dynes', 'leavens_carbotte', 'eliashberg')
_U = _sc.physical_constants['electron mass in u'][0]
#: Atomic masses (nucleus + one electron, amu) of the hydrogen isotopes a substitution may name instead of a number.
ISOTOPE_MASSES_AMU: dict[str, float] = {
    'D': _sc.physical_constants['deuteron mass in u'][0] + _U,
    'T': _sc.physical_constants['triton mass in u'][0] + _U,
}


def substituted_masses(
    species: Sequence[str], masses_amu: ArrayLike, substitutions: Mapping[str, float | str]
) -> NDArray[np.float64]:
    """Per-atom masses after replacing the mass of whole elements.

    Parameters
    ----------
    species : sequence of str, length N
        Element of each atom.
    masses_amu : array_like, shape (N,)
        Current masses in amu.
    substitutions : mapping of str to float or str
        Element → new mass in amu (> 0), or the name of a hydrogen isotope (``'D'``, ``'T'``) for ``'H'``.

    Returns
    -------
    ndarray, shape (N,)
        The new masses in amu.

    Raises
    ------
    InputValidationError
        For an element not in ``species``, a non-positive or non-finite mass, or an unknown isotope name.
    """
    labels = list(species)
    masses = np.array(masses_amu, dtype=float, copy=True)
    if masses.shape != (len(labels),):
        raise InputValidationError(f'masses_amu has shape {masses.shape}, expected ({len(labels)},)')
    for element, value in substitutions.items():
        if element not in labels:
            raise InputValidationError(
                f'cannot substitute {element!r}: the structure has only {", ".join(sorted(set(labels)))}'
            )
        if isinstance(value, str):
            if element != HYDROGEN or value not in ISOTOPE_MASSES_AMU:
                raise InputValidationError(
                    f'unknown isotope {value!r} for {element!r}: give a mass in amu, or D or T for H'
                )
            mass = ISOTOPE_MASSES_AMU[value]
        else:
            mass = float(value)
        if not (math.isfinite(mass) and mass > 0):
            raise InputValidationError(f'mass of {element!r} must be a positive number of amu, got {value!r}')
        masses[[index for index, label in enumerate(labels) if label == element]] = mass
    return masses


@dataclass(frozen=True)
class ElectronPhononModel:
    """Mass-independent electron–phonon data of one smearing: q2r's C(R) and Γ(R) and the fine q-mesh.

    Attributes
    ----------
    force_constants : ndarray, shape (nr1, nr2, nr3, 3, 3, N, N)
        Real-space force constants in eV/Å² (QE layout).
    gamma : ndarray, shape (nr1, nr2, nr3, 3, 3, N, N)
        Real-space Γ(R) of one smearing in meV·amu, π/2 included (:func:`aiida_enatom.io.qe_q2r.gamma_to_mev_amu`).
    cell : ndarray, shape (3, 3)
        Lattice vectors as rows, Å.
    positions : ndarray, shape (N, 3)
        Cartesian positions, Å.
    species : tuple of str, length N
        Element of each atom.
    masses_amu : ndarray, shape (N,)
        The masses of the stored calculation, amu.
    q_mesh : tuple of 3 int
        Fine Γ-centred q-mesh (matdyn's).
    dos_ef_per_mev : float
        N(0) of this smearing, states/spin/meV/cell (the ``a2Fmatdyn`` header).
    asr : {'simple', 'no'}
        Acoustic sum rule applied to C and Γ (matdyn's ``asr``).
    """

    force_constants: NDArray[np.float64]
    gamma: NDArray[np.float64]
    cell: NDArray[np.float64]
    positions: NDArray[np.float64]
    species: tuple[str, ...]
    masses_amu: NDArray[np.float64]
    q_mesh: tuple[int, int, int]
    dos_ef_per_mev: float
    asr: str = 'simple'

    def __post_init__(self) -> None:
        """Check shapes and values."""
        n_atoms = len(self.species)
        fc = np.asarray(self.force_constants)
        if fc.ndim != 7 or fc.shape[3:] != (3, 3, n_atoms, n_atoms):
            raise InputValidationError(f'force_constants shape {fc.shape} does not fit {n_atoms} atoms')
        if np.shape(self.gamma) != fc.shape:
            raise InputValidationError(f'gamma shape {np.shape(self.gamma)} differs from force constants {fc.shape}')
        if np.shape(self.masses_amu) != (n_atoms,) or np.any(np.asarray(self.masses_amu) <= 0):
            raise InputValidationError(f'masses_amu must be {n_atoms} positive numbers, got {self.masses_amu}')
        if not self.dos_ef_per_mev > 0:
            raise InputValidationError(f'dos_ef_per_mev must be positive, got {self.dos_ef_per_mev}')
        if len(self.q_mesh) != 3 or min(self.q_mesh) < 1:
            raise InputValidationError(f'q_mesh must be three positive integers, got {self.q_mesh}')

    def stored_alpha2f(self, frequency_mev: ArrayLike) -> Alpha2F:
        """Return α²F with its atom-pair partials at the stored masses (matdyn's tetrahedra), on ``frequency_mev``.

        Parameters
        ----------
        frequency_mev : array_like, shape (n_omega,)
            Frequency grid, meV.
        """
        return atom_resolved_alpha2f(
            self.force_constants,
            [self.gamma],
            cell=self.cell,
            positions=self.positions,
            masses_amu=self.masses_amu,
            species=self.species,
            q_mesh=self.q_mesh,
            dos_ef_per_mev=[self.dos_ef_per_mev],
            frequency_mev=frequency_mev,
        )[0]

    @property
    def real_space(self) -> RealSpaceModel:
        """Geometry for :func:`~aiida_enatom.numerics.interpolation.fourier_matrices`."""
        grid = tuple(int(n) for n in np.shape(self.force_constants)[:3])
        return RealSpaceModel(np.asarray(self.cell, float), np.asarray(self.positions, float), grid)  # type: ignore[arg-type]


@dataclass(frozen=True)
class _Modes:
    """Frequencies (meV, shape (n_q, 3N)) and γ channels (meV, each (n_q, 3N)) of one mass set; grid factor."""

    masses: NDArray[np.float64]
    frequencies: NDArray[np.float64]
    channels: dict[str, NDArray[np.float64]]
    grid_factor: float


def _time_reversal(mesh: Sequence[int]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Mesh points q with q ≤ −q (index order) and, for every point, the position of q or −q among them.

    C(R) and Γ(R) are real, so C(−q) = C(q)* and Γ(−q) = Γ(q)*: the same frequencies, conjugate eigenvectors and the
    same (real) γ and atom-pair parts. About half of the Γ-centred mesh suffices.
    """
    n = np.asarray(mesh, dtype=int)
    index = np.arange(int(np.prod(n)))
    minus = np.ravel_multi_index(tuple((-i) % k for i, k in zip(np.unravel_index(index, tuple(n)), n, strict=True)), n)
    kept = np.flatnonzero(index <= minus)
    return kept, np.searchsorted(kept, np.minimum(index, minus))


def _linewidths(
    vectors: NDArray[np.complex128], gamma: NDArray[np.complex128], masses: NDArray[np.float64]
) -> NDArray[np.float64]:
    """γ_qν = Re e†Γ(q)e/√(M_a M_b) of every mode (meV), shape (n_q, 3N): the sum of :func:`pair_linewidths`."""
    inv_sqrt = np.repeat(1.0 / np.sqrt(masses), 3)
    scaled = gamma * inv_sqrt[None, :, None] * inv_sqrt[None, None, :]
    return np.einsum('qin,qin->qn', vectors.conj(), scaled @ vectors).real


def _mesh_modes(
    model: ElectronPhononModel, mass_sets: Sequence[ArrayLike], partials: Sequence[bool], chunk_size: int
) -> list[_Modes]:
    """Diagonalise every mass set on the fine mesh; C(q) and Γ(q) are Fourier-transformed once per chunk.

    Only the points q ≤ −q of :func:`_time_reversal` are transformed and diagonalised; their partners are copies.
    """
    sets = [np.asarray(m, dtype=float) for m in mass_sets]
    n_atoms = len(model.species)
    for masses in sets:
        if masses.shape != (n_atoms,) or np.any(~np.isfinite(masses)) or np.any(masses <= 0):
            raise InputValidationError(f'each mass set must be {n_atoms} positive masses in amu, got {masses}')
    kept, source = _time_reversal(model.q_mesh)
    q_points = monkhorst_pack_mesh(model.q_mesh)[kept]
    n_q = q_points.shape[0]
    reference = np.asarray(model.masses_amu, dtype=float)
    same = [np.array_equal(masses, reference) for masses in sets]
    inv_sqrt = np.repeat(1.0 / np.sqrt(reference), 3)
    w2_max = -np.inf
    frequencies = [np.empty((n_q, 3 * n_atoms)) for _ in sets]
    channels: list[dict[str, list[NDArray[np.float64]]]] = [{} for _ in sets]
    transform = fourier_kernel([model.force_constants, model.gamma], model.real_space, asr=model.asr)
    for start in range(0, n_q, chunk_size):
        block = q_points[start : start + chunk_size]
        mats = transform.at(block)
        if not any(same):
            scaled = mats[0] * inv_sqrt[None, :, None] * inv_sqrt[None, None, :]
            w2_max = max(w2_max, float(np.linalg.eigvalsh(scaled).max()))
        for index, masses in enumerate(sets):
            omega, vectors = phonons_from_force_constants(mats[0], masses)
            frequencies[index][start : start + block.shape[0]] = omega
            if partials[index]:
                pairs = pair_linewidths(vectors, mats[1], masses)
                found = species_channels(pairs, model.species, eigenvector_weights(vectors, n_atoms))
            else:
                found = {'total': _linewidths(vectors, mats[1], masses)}
            for key, value in found.items():
                channels[index].setdefault(key, []).append(value)
    if any(same):
        # The same eigh as that set's own spectrum: at the stored masses the grid factor is exactly 1.
        reference_top = float(frequencies[same.index(True)].max())
    else:
        reference_top = float(np.sign(w2_max) * np.sqrt(abs(w2_max) / AMU_MEV2_TO_EV_PER_A2))
    return [
        _Modes(
            masses,
            frequencies[index][source],
            {key: np.concatenate(value)[source] for key, value in channels[index].items()},
            float(frequencies[index].max()) / reference_top,
        )
        for index, masses in enumerate(sets)
    ]


def _integrate(
    modes: _Modes, model: ElectronPhononModel, grid: NDArray[np.float64], method: str, broadening_steps: float
) -> Alpha2F:
    """α²F of one mass set on ``grid`` × its grid factor, by tetrahedra or Gaussians of width broadening_steps·Δω."""
    set_grid = grid * modes.grid_factor
    keys = list(modes.channels)
    gammas = np.stack([modes.channels[key] for key in keys])
    if method == 'tetrahedron':
        values = tetrahedron_alpha2f(modes.frequencies, gammas, model.q_mesh, model.dos_ef_per_mev, set_grid)
    elif method == 'gaussian':
        n_q = modes.frequencies.shape[0]
        sigma = broadening_steps * float(np.mean(np.diff(set_grid)))
        values = gaussian_alpha2f(
            modes.frequencies,
            gammas,
            np.full(n_q, 1.0 / n_q),
            model.dos_ef_per_mev,
            set_grid,
            sigma,
            cutoff_sigmas=GAUSSIAN_CUTOFF_SIGMAS,
        )
    else:
        raise InputValidationError(f"method must be 'tetrahedron' or 'gaussian', got {method!r}")
    return assemble_alpha2f(set_grid, dict(zip(keys, values, strict=True)), f'masses {modes.masses.tolist()}')


def substituted_alpha2f(
    model: ElectronPhononModel,
    mass_sets: Sequence[ArrayLike],
    frequency_mev: ArrayLike,
    *,
    partials: bool = True,
    method: str = 'tetrahedron',
    broadening_steps: float = 2.0,
    chunk_size: int = 4096,
) -> list[Alpha2F]:
    """α²F (and partials) of ``model`` for each set of masses, on the same fine mesh.

    Parameters
    ----------
    model : ElectronPhononModel
        C(R), Γ(R), geometry, mesh, N(0).
    mass_sets : sequence of array_like, each shape (N,)
        Masses in amu, one spectrum per set.
    frequency_mev : array_like, shape (n_freq,)
        The α²F grid at the stored masses (meV); each set uses it × ω_max(set)/ω_max(stored), ω_max the highest
        interpolated frequency on the mesh.
    partials : bool
        Also build the species-pair, species and eigenvector-weight partials (as
        :func:`~aiida_enatom.numerics.interpolation.atom_resolved_alpha2f`); else the total only.
    method : {'tetrahedron', 'gaussian'}
        δ-function integration: linear tetrahedra sampled at the grid points (matdyn's, the stored spectra's), or
        Gaussians of width ``broadening_steps`` grid steps (smooth in the masses: what the isotope coefficients use).
    broadening_steps : float
        Gaussian σ in units of the set's grid step.
    chunk_size : int
        q points Fourier-transformed at once (memory control). C(q) and Γ(q) are computed once per chunk and
        diagonalised for every mass set.

    Returns
    -------
    list of Alpha2F
        One per mass set; at the stored masses, with tetrahedra, the spectrum and partials equal
        :func:`~aiida_enatom.numerics.interpolation.atom_resolved_alpha2f` on ``frequency_mev``.

    Notes
    -----
    Cost: one Fourier transform of C and Γ on the half of the mesh that time reversal leaves (C(−q) = C(q)*), then
    per set one batched ``eigh`` there and one δ integration. Tetrahedra use closed-form corner weights for all
    (tetrahedron, mode, frequency) triples at once; Gaussians stop at :data:`GAUSSIAN_CUTOFF_SIGMAS` σ. Measured
    seconds in ``docs/isotopes.md`` ("Cost") and ``benchmarks/bench_isotopes.py``.
    """
    grid = np.asarray(frequency_mev, dtype=float)
    modes = _mesh_modes(model, mass_sets, [bool(partials)] * len(mass_sets), chunk_size)
    return [_integrate(each, model, grid, method, broadening_steps) for each in modes]


@dataclass(frozen=True)
class IsotopeEffect:
    """T_c at substituted masses and the isotope coefficients (see the module docstring for the conventions).

    Attributes
    ----------
    masses_amu, substituted_masses_amu : ndarray, shape (N,)
        Stored and substituted masses (amu).
    log_step : float
        h of the centred difference in ln M.
    mu_star : float
        μ\\* quoted at ``mu_star_reference_mev`` for every mass set.
    mu_star_convention : str
        Where μ\\* is quoted (see :func:`isotope_effect`).
    mu_star_reference_mev : float or None
        The fixed reference frequency of μ\\* (meV); None for the convention ``'cutoff'``.
    base : Alpha2F
        α²F at the stored masses (our interpolation; its partials are the stored ones).
    substituted : Alpha2F
        α²F and partials at the substituted masses.
    tc_k : dict of str to float or None
        T_c (K) of ``base`` (tetrahedra) by route (:data:`TC_ROUTES`).
    tc_substituted_k : dict of str to float or None
        T_c (K) of ``substituted`` (tetrahedra) by route.
    alpha : dict of str to dict of str to float or None
        ``alpha[group][route]``, group ``'all'``, ``'H'`` or ``'M'`` (None when the group is absent or T_c = 0).
    tc_ratio : dict of str to float or None
        T_c(substituted)/T_c(stored) by route, both from the Gaussian-broadened spectra (see
        :func:`isotope_effect`).
    """

    masses_amu: NDArray[np.float64]
    substituted_masses_amu: NDArray[np.float64]
    log_step: float
    mu_star: float
    mu_star_convention: str
    mu_star_reference_mev: float | None
    base: Alpha2F
    substituted: Alpha2F
    tc_k: dict[str, float | None]
    tc_substituted_k: dict[str, float | None]
    tc_ratio: dict[str, float | None]
    alpha: dict[str, dict[str, float | None]]

    def as_dict(self, suffix: str = 'D') -> dict[str, Any]:
        """Flat record keys: ``tc_<route>_<suffix>_K``, ``isotope_alpha[_H|_M]`` (Eliashberg) and per route.

        ``isotope_alpha``, ``isotope_alpha_H``, ``isotope_alpha_M`` are the Eliashberg coefficients;
        ``isotope_alpha[_H|_M]_<route>`` every route; ``isotope_tc_ratio_<suffix>`` = T_c(substituted)/T_c(stored)
        (Eliashberg, both from our interpolation); ``tc_eliashberg_recomputed_K`` (T_c of our own α²F at the stored
        masses); ``isotope_log_step``; ``isotope_mu_star_reference_meV``; ``isotope_mu_star_convention``.
        """
        out: dict[str, Any] = {}
        for route in TC_ROUTES:
            out[f'tc_{route}_{suffix}_K'] = self.tc_substituted_k.get(route)
        for group, values in self.alpha.items():
            stem = 'isotope_alpha' if group == 'all' else f'isotope_alpha_{group}'
            out[stem] = values.get('eliashberg')
            for route in TC_ROUTES:
                out[f'{stem}_{route}'] = values.get(route)
        out[f'isotope_tc_ratio_{suffix}'] = self.tc_ratio.get('eliashberg')
        out['tc_eliashberg_recomputed_K'] = self.tc_k.get('eliashberg')
        out['isotope_log_step'] = self.log_step
        out['isotope_mu_star_reference_meV'] = self.mu_star_reference_mev
        out['isotope_mu_star_convention'] = self.mu_star_convention
        return out


def _tc(spectrum: Alpha2F, mu_star: float, reference_mev: float | None, convention: str) -> dict[str, float | None]:
    analysis = analyse_spectrum(
        spectrum, mu_star=mu_star, mu_star_reference_mev=reference_mev, mu_star_convention=convention
    )
    return {route: analysis[f'tc_{route}_K'] for route in TC_ROUTES}  # type: ignore[misc]


def _alpha(plus: dict[str, float | None], minus: dict[str, float | None], step: float) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for route in TC_ROUTES:
        high, low = plus.get(route), minus.get(route)
        out[route] = -(math.log(high) - math.log(low)) / (2.0 * step) if high and low else None
    return out


def isotope_effect(
    model: ElectronPhononModel,
    substitutions: Mapping[str, float | str],
    frequency_mev: ArrayLike,
    *,
    mu_star: float,
    mu_star_convention: str = DEFAULT_MU_STAR_CONVENTION,
    log_step: float = DEFAULT_LOG_STEP,
    broadening_steps: float = 2.0,
    base: Alpha2F | None = None,
    chunk_size: int = 4096,
) -> IsotopeEffect:
    """α²F and T_c at substituted masses, and α, α_H, α_M by a centred difference in ln M.

    Parameters
    ----------
    model : ElectronPhononModel
        The stored C(R), Γ(R) of one smearing and the fine mesh.
    substitutions : mapping of str to float or str
        Element → mass (amu) or ``'D'``/``'T'`` for H, e.g. ``{'H': 'D'}`` for full deuteration.
    frequency_mev : array_like, shape (n_freq,)
        The stored α²F grid (meV).
    mu_star : float
        μ\\* in [0, 0.5).
    mu_star_convention : str
        Where μ\\* is quoted (:data:`~aiida_enatom.numerics.eliashberg.MU_STAR_CONVENTIONS`). For
        ``'ten_omega_max'`` and ``'omega_log'`` the reference frequency is that of the stored-mass spectrum and is
        held fixed for every mass set (the Coulomb repulsion does not depend on the ionic mass); for ``'cutoff'``
        μ\\* is applied at the Matsubara cutoff, which scales with ω_max, so α_all = ½ by construction.
    log_step : float
        h of the centred difference in ln M, in (0, 0.5].
    broadening_steps : float
        σ of the Gaussian α²F used for T_c ratios and coefficients, in grid steps.
    base : Alpha2F, optional
        The tetrahedron α²F at the stored masses on ``frequency_mev`` if already known (e.g. the sum of a stored
        split's species partials); saves one tetrahedron integration. Computed when not given.
    chunk_size : int
        q points per Fourier transform.

    Returns
    -------
    IsotopeEffect
        ``substituted`` is the tetrahedron α²F with partials (as stored); ``tc_substituted_k`` its T_c. The
        coefficients and ``tc_ratio`` come from Gaussian-broadened spectra of the same modes.

    Raises
    ------
    InputValidationError
        For a bad substitution (unknown element, non-positive mass), a step outside (0, 0.5], or invalid μ\\*.

    Notes
    -----
    Why Gaussians for the differences: λ = Tr[Γ(q)C(q)⁻¹] summed over q is exactly independent of the masses
    (harmonic approximation), but the tetrahedron α²F *sampled at grid points* moves λ by ≈ 0.5 % when spectral
    features slide across the grid (MgH, ±5 % masses: 1.837–1.855), which is larger than the physical change of
    T_c's log-derivative with the metal mass. Gaussians of two grid steps keep λ within 5·10⁻⁵ of constant.
    Cost: one Fourier transform and 6 diagonalisations (base, substituted, H±, M±) on half the mesh (time
    reversal), two tetrahedron integrations (one with ``base``) and 6 Gaussian ones, 10 T_c analyses (every route).
    H₃S on 25³ (``balanced``) with ``base``: 5–6 s of CPU on one core, 5× less than before (``docs/isotopes.md``).
    """
    if not (0.0 < log_step <= 0.5):
        raise InputValidationError(f'log_step = {log_step!r}: it must be in (0, 0.5]')
    grid = np.asarray(frequency_mev, dtype=float)
    masses = np.asarray(model.masses_amu, dtype=float)
    new_masses = substituted_masses(model.species, masses, substitutions)
    hydrogen = np.array([label == HYDROGEN for label in model.species])
    groups = {'H': hydrogen, 'M': ~hydrogen}
    names: list[tuple[str, int]] = [('base', 0), ('substituted', 0)]
    sets: list[NDArray[np.float64]] = [masses, new_masses]
    for group, members in groups.items():
        if members.any():
            for sign in (+1, -1):
                sets.append(np.where(members, masses * math.exp(sign * log_step), masses))
                names.append((group, sign))
    flags = [name == ('substituted', 0) or (base is None and name == ('base', 0)) for name in names]
    modes = dict(zip(names, _mesh_modes(model, sets, flags, chunk_size), strict=True))
    if base is None:
        base = _integrate(modes[('base', 0)], model, grid, 'tetrahedron', broadening_steps)
    elif not np.array_equal(base.frequency, grid):
        raise InputValidationError('base must be sampled on frequency_mev (the stored grid)')
    full = _integrate(modes[('substituted', 0)], model, grid, 'tetrahedron', broadening_steps)
    smooth = {name: _integrate(each, model, grid, 'gaussian', broadening_steps) for name, each in modes.items()}
    reference = mu_star_reference_mev(base, mu_star_convention)
    convention = mu_star_convention

    def _tc_of(spectrum: Alpha2F) -> dict[str, float | None]:
        return _tc(spectrum, mu_star, reference, convention)

    tc = {name: _tc_of(spectrum) for name, spectrum in smooth.items()}
    # Every mass × e^{±h} is exactly α²F(ω e^{±h/2}): the stored-mass spectrum on a grid stretched by e^{∓h/2}.
    stretched = {
        sign: _tc_of(
            Alpha2F(smooth[('base', 0)].frequency * math.exp(-sign * log_step / 2), smooth[('base', 0)].spectrum)
        )
        for sign in (+1, -1)
    }
    alpha: dict[str, dict[str, float | None]] = {'all': _alpha(stretched[+1], stretched[-1], log_step)}
    for group in groups:
        if (group, +1) in tc:
            alpha[group] = _alpha(tc[(group, +1)], tc[(group, -1)], log_step)
        else:
            alpha[group] = {route: None for route in TC_ROUTES}
    ratio = {
        route: (high / low if high is not None and low else None)
        for route, high, low in ((route, tc[('substituted', 0)][route], tc[('base', 0)][route]) for route in TC_ROUTES)
    }
    return IsotopeEffect(
        masses_amu=masses,
        substituted_masses_amu=new_masses,
        log_step=float(log_step),
        mu_star=float(mu_star),
        mu_star_convention=convention,
        mu_star_reference_mev=None if reference is None else float(reference),
        base=base,
        substituted=full,
        tc_k=_tc_of(base),
        tc_substituted_k=_tc_of(full),
        tc_ratio=ratio,
        alpha=alpha,
    )

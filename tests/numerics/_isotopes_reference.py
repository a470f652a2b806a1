"""Frozen reference path of the isotope substitution: the implementation before the speed-up (issue 10 §7).

Copied verbatim from ``aiida_enatom`` at commit 1ed13e9 (``numerics/isotopes.py``: ``_mesh_modes``, ``_integrate``,
``isotope_effect``; ``numerics/interpolation.py``: the per-level geometric ``tetrahedron_alpha2f``;
``numerics/projections.py``: the dense ``gaussian_alpha2f``), only the names of the package functions it still
shares are imported. ``tests/numerics/test_isotopes.py`` checks that the fast path equals it, and
``benchmarks/bench_isotopes.py`` times it as "before". Do not optimise this module.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from aiida_enatom.constants import AMU_MEV2_TO_EV_PER_A2
from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.eliashberg import DEFAULT_MU_STAR_CONVENTION, mu_star_reference_mev
from aiida_enatom.numerics.interpolation import (
    _tetrahedra,
    fourier_matrices,
    monkhorst_pack_mesh,
    phonons_from_force_constants,
)
from aiida_enatom.numerics.isotopes import (
    DEFAULT_LOG_STEP,
    HYDROGEN,
    TC_ROUTES,
    ElectronPhononModel,
    IsotopeEffect,
    _Modes,
    substituted_masses,
)
from aiida_enatom.numerics.metrics import analyse_spectrum
from aiida_enatom.numerics.projections import (
    assemble_alpha2f,
    eigenvector_weights,
    pair_linewidths,
    species_channels,
)
from aiida_enatom.numerics.spectra import Alpha2F

__all__ = ('gaussian_alpha2f', 'isotope_effect', 'tetrahedron_alpha2f')


# Edges (sorted-vertex indices) whose crossings span the iso-surface, padded to four points (see module notes).
_CASE_EDGES = np.array(
    [
        [[0, 1], [0, 2], [0, 3], [0, 3]],  # e1 < E ≤ e2: triangle
        [[0, 2], [0, 3], [1, 3], [1, 2]],  # e2 < E < e3: quadrilateral, vertices in cyclic order
        [[0, 3], [1, 3], [2, 3], [2, 3]],  # e3 ≤ E < e4: triangle
    ]
)
_REFERENCE = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])


def _iso_surface_weights(energies: NDArray[np.float64], level: float) -> NDArray[np.float64]:
    """Weights c_k with ∫_tet δ(E − ε(x)) Y(x) dx / V_tet = Σ_k c_k Y_k for linear ε and Y.

    ``energies`` are sorted ascending per row (shape (n, 4)) with e1 < level < e4. The tetrahedron is mapped
    affinely onto the reference simplex; there ∫δ = area/|∇ε| over V = 1/6, and the average of a linear Y over
    the iso-surface polygon is the area-weighted mean of its triangles' centroids (affine maps keep area ratios
    within a plane).
    """
    e = energies
    case = np.where(level <= e[:, 1], 0, np.where(level < e[:, 2], 1, 2))
    edges = _CASE_EDGES[case]  # (n, 4, 2)
    rows = np.arange(e.shape[0])[:, None]
    ea, eb = e[rows, edges[..., 0]], e[rows, edges[..., 1]]
    frac = np.clip((level - ea) / np.maximum(eb - ea, 1e-300), 0.0, 1.0)  # (n, 4)
    points = _REFERENCE[edges[..., 0]] * (1 - frac)[..., None] + _REFERENCE[edges[..., 1]] * frac[..., None]
    eye = np.eye(4)
    bary = eye[edges[..., 0]] * (1 - frac)[..., None] + eye[edges[..., 1]] * frac[..., None]  # (n, point, vertex)
    weights = np.zeros_like(e)
    for tri in ((0, 1, 2), (0, 2, 3)):
        p = points[:, tri, :]
        area = 0.5 * np.linalg.norm(np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]), axis=1)
        weights += area[:, None] * bary[:, tri, :].mean(axis=1)
    gradient = np.linalg.norm(e[:, 1:] - e[:, :1], axis=1)
    return weights * (6.0 / gradient)[:, None]


def tetrahedron_alpha2f(
    frequencies_mev: NDArray[np.float64],
    linewidths_mev: NDArray[np.float64],
    q_mesh: Sequence[int],
    dos_ef_per_mev: float,
    frequency_mev: ArrayLike,
    *,
    min_frequency_mev: float = 1.0e-3,
) -> NDArray[np.float64]:
    """α²F(ω) = 1/(2πN(0)) Σ_ν ∫_BZ δ(ω − ω_qν) γ_qν/ω_qν by linear tetrahedra on the full Γ-centred mesh.

    Parameters
    ----------
    frequencies_mev : ndarray, shape (n_q, n_modes)
        ω on the mesh of :func:`monkhorst_pack_mesh` (meV), each row ascending (band ordering).
    linewidths_mev : ndarray, shape (n_channels, n_q, n_modes)
        γ channels in meV.
    q_mesh : sequence of 3 int
        The mesh.
    dos_ef_per_mev : float
        N(0), states/spin/meV/cell.
    frequency_mev : array_like, shape (n_freq,)
        Output grid (meV).
    min_frequency_mev : float
        Modes with ω at or below this get γ/ω = 0 (matdyn zeroes them).

    Returns
    -------
    ndarray, shape (n_channels, n_freq)
    """
    omega = np.asarray(frequencies_mev, dtype=float)
    gamma = np.asarray(linewidths_mev, dtype=float)
    grid = np.asarray(frequency_mev, dtype=float)
    tetra = _tetrahedra(q_mesh)
    if omega.shape[0] != int(np.prod(q_mesh)):
        raise InputValidationError(f'{omega.shape[0]} q points do not fill the mesh {tuple(q_mesh)}')
    active = omega > min_frequency_mev
    ratio = np.where(active, gamma / np.where(active, omega, 1.0), 0.0)  # (n_ch, n_q, n_modes)
    n_modes = omega.shape[1]
    # rows = (tetrahedron, mode); corner energies sorted ascending with their q indices
    corner_q = np.repeat(tetra, n_modes, axis=0)  # (n_tet·n_modes, 4)
    mode = np.tile(np.arange(n_modes), tetra.shape[0])
    energy = omega[corner_q, mode[:, None]]
    order = np.argsort(energy, axis=1)
    energy = np.take_along_axis(energy, order, axis=1)
    corner_q = np.take_along_axis(corner_q, order, axis=1)
    volume = 1.0 / tetra.shape[0]
    out = np.zeros((gamma.shape[0], grid.size))
    for n, level in enumerate(grid):
        rows = np.flatnonzero((energy[:, 0] < level) & (level < energy[:, 3]))
        if rows.size == 0:
            continue
        weights = _iso_surface_weights(energy[rows], level)  # (n_rows, 4)
        values = ratio[:, corner_q[rows], mode[rows, None]]  # (n_ch, n_rows, 4)
        out[:, n] = np.einsum('crk,rk->c', values, weights) * volume
    return out / (2.0 * np.pi * dos_ef_per_mev)


def gaussian_alpha2f(
    frequencies_mev: ArrayLike,
    linewidths_mev: ArrayLike,
    q_weights: ArrayLike,
    dos_ef_per_mev: float,
    frequency_mev: ArrayLike,
    broadening_mev: float,
    *,
    min_frequency_mev: float = 1.0e-3,
) -> NDArray[np.float64]:
    """α²F(ω) = 1/(2πN(0)) Σ_qν w_q (γ_qν/ω_qν) g_σ(ω − ω_qν) with a normalised Gaussian g_σ.

    Parameters
    ----------
    frequencies_mev : array_like, shape (n_q, n_modes)
        Phonon energies in meV (negative for imaginary modes).
    linewidths_mev : array_like, shape (..., n_q, n_modes)
        Linewidths γ (or one of their channels) in meV; leading axes are channels.
    q_weights : array_like, shape (n_q,)
        Weights of the q points, summing to 1.
    dos_ef_per_mev : float
        N(0) in states/spin/meV/cell.
    frequency_mev : array_like, shape (n_freq,)
        Output grid in meV.
    broadening_mev : float
        Gaussian standard deviation σ in meV.
    min_frequency_mev : float, optional
        Modes at or below this energy carry no weight (matdyn does the same).

    Returns
    -------
    ndarray, shape (..., n_freq)
        α²F on the grid (dimensionless).
    """
    omega = np.asarray(frequencies_mev, dtype=float)
    gamma = np.asarray(linewidths_mev, dtype=float)
    weights = np.asarray(q_weights, dtype=float)
    grid = np.asarray(frequency_mev, dtype=float)
    if not broadening_mev > 0 or not dos_ef_per_mev > 0:
        raise InputValidationError('broadening_mev and dos_ef_per_mev must be positive')
    if gamma.shape[-2:] != omega.shape or weights.shape != omega.shape[:1]:
        raise InputValidationError(
            f'shapes do not match: frequencies {omega.shape}, linewidths {gamma.shape}, weights {weights.shape}'
        )
    active = omega > min_frequency_mev
    ratio = np.where(active, gamma / np.where(active, omega, 1.0), 0.0) * weights[:, None]
    flat_omega = omega[active]
    flat_ratio = ratio[..., active]
    out = np.zeros(gamma.shape[:-2] + grid.shape)
    norm = 1.0 / (np.sqrt(2.0 * np.pi) * broadening_mev) / (2.0 * np.pi * dos_ef_per_mev)
    for start in range(0, grid.size, 256):
        chunk = grid[start : start + 256]
        kernel = np.exp(-0.5 * ((chunk[:, None] - flat_omega[None, :]) / broadening_mev) ** 2) * norm
        out[..., start : start + 256] = flat_ratio @ kernel.T
    return out


def _mesh_modes(
    model: ElectronPhononModel, mass_sets: Sequence[ArrayLike], partials: Sequence[bool], chunk_size: int
) -> list[_Modes]:
    """Diagonalise every mass set on the fine mesh; C(q) and Γ(q) are Fourier-transformed once per chunk."""
    sets = [np.asarray(m, dtype=float) for m in mass_sets]
    n_atoms = len(model.species)
    for masses in sets:
        if masses.shape != (n_atoms,) or np.any(~np.isfinite(masses)) or np.any(masses <= 0):
            raise InputValidationError(f'each mass set must be {n_atoms} positive masses in amu, got {masses}')
    q_points = monkhorst_pack_mesh(model.q_mesh)
    n_q = q_points.shape[0]
    reference = np.asarray(model.masses_amu, dtype=float)
    same = [np.array_equal(masses, reference) for masses in sets]
    inv_sqrt = np.repeat(1.0 / np.sqrt(reference), 3)
    w2_max = -np.inf
    frequencies = [np.empty((n_q, 3 * n_atoms)) for _ in sets]
    channels: list[dict[str, list[NDArray[np.float64]]]] = [{} for _ in sets]
    for start in range(0, n_q, chunk_size):
        block = q_points[start : start + chunk_size]
        mats = fourier_matrices([model.force_constants, model.gamma], model.real_space, block, asr=model.asr)
        if not any(same):
            scaled = mats[0] * inv_sqrt[None, :, None] * inv_sqrt[None, None, :]
            w2_max = max(w2_max, float(np.linalg.eigvalsh(scaled).max()))
        for index, masses in enumerate(sets):
            omega, vectors = phonons_from_force_constants(mats[0], masses)
            frequencies[index][start : start + block.shape[0]] = omega
            pairs = pair_linewidths(vectors, mats[1], masses)
            if partials[index]:
                found = species_channels(pairs, model.species, eigenvector_weights(vectors, n_atoms))
            else:
                found = {'total': pairs.sum(axis=(1, 2))}
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
            frequencies[index],
            {key: np.concatenate(value) for key, value in channels[index].items()},
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
            modes.frequencies, gammas, np.full(n_q, 1.0 / n_q), model.dos_ef_per_mev, set_grid, sigma
        )
    else:
        raise InputValidationError(f"method must be 'tetrahedron' or 'gaussian', got {method!r}")
    return assemble_alpha2f(set_grid, dict(zip(keys, values, strict=True)), f'masses {modes.masses.tolist()}')


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
    Cost: one Fourier transform, 6 diagonalisations (base, substituted, H±, M±), two tetrahedron integrations (one
    with ``base``) and 6 Gaussian ones, 16 T_c solutions.
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

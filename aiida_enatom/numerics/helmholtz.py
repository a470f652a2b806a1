"""Helmholtz decomposition of a periodic vector field on an FFT grid: F = −∇v + ∇×W + F₀.

Conventions (see ``docs/enatom.md``)
------------------------------------
* Grid: point ``(i1, i2, i3)`` of a grid of shape ``(n1, n2, n3)`` sits at the Cartesian position
  ``r = (i1/n1) a1 + (i2/n2) a2 + (i3/n3) a3`` where ``a_k`` are the rows of ``cell`` (Å).
* Fourier components: ``F(r) = Σ_G F(G) exp(iG·r)`` with ``G = m1 b1 + m2 b2 + m3 b3``,
  ``b`` the rows of ``2π inv(cell).T`` (Å⁻¹) and ``m_k`` the :func:`numpy.fft.fftfreq` integer indices.
* Sign: the field is split as ``F = −∇v + ∇×W + F₀`` (the rigid part enters with a minus sign, as a force
  does from a potential). ``v(G) = i G·F(G)/|G|²`` for G ≠ 0.
* G = 0: the constant part F₀ (``mean``) is returned separately; ``rigid`` has zero mean and ``backflow``
  has zero mean.
* Nyquist: on an axis with an even number of points the index ``m = −n/2`` has no well-defined first
  derivative for a real field (``i G`` would make the sampled real cosine imaginary). Every Fourier component
  with at least one index on a Nyquist plane is assigned entirely to ``backflow``, and the spectral
  derivative operators of this module (:func:`spectral_gradient`, :func:`spectral_divergence`,
  :func:`spectral_curl`) return zero for those components. With this convention all outputs are real,
  ``field = −∇rigid + backflow + mean`` holds to rounding error, ``∇·backflow = 0`` and ``∇×∇rigid = 0``
  spectrally, and the longitudinal and transverse parts are orthogonal.

References
----------
H. Helmholtz, J. Reine Angew. Math. 55, 25 (1858); the spectral form is the standard projection
``F_L(G) = Ĝ(Ĝ·F(G))`` on the periodic cell (e.g. Press et al., *Numerical Recipes*, 3rd ed., §20.4).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import scipy.fft
from numpy.typing import ArrayLike, NDArray

from aiida_enatom.exceptions import InputValidationError

__all__ = (
    'HelmholtzComponents',
    'coulomb_gauge_potential',
    'helmholtz_decompose',
    'reciprocal_cell',
    'spectral_curl',
    'spectral_divergence',
    'spectral_gradient',
)

_AXES = (-3, -2, -1)


@dataclass(frozen=True)
class HelmholtzComponents:
    """Result of :func:`helmholtz_decompose`: ``field = −∇rigid + backflow + mean``.

    Units: if the field is in [V]/Å (e.g. eV/Å), ``rigid`` is in [V] (eV) and ``backflow``, ``mean`` in [V]/Å.
    """

    rigid: NDArray[np.float64]
    """Scalar potential v, shape (n1, n2, n3), zero mean; −∇v is the longitudinal (curl-free) part."""
    backflow: NDArray[np.float64]
    """Transverse part ∇×W, shape (3, n1, n2, n3), Cartesian components; zero mean; holds Nyquist content."""
    mean: NDArray[np.float64]
    """G = 0 part F₀, shape (3,), Cartesian components."""
    cell: NDArray[np.float64]
    """Lattice vectors as rows, shape (3, 3), Å."""

    @property
    def longitudinal(self) -> NDArray[np.float64]:
        """The curl-free part −∇rigid, shape (3, n1, n2, n3) (computed spectrally on each access)."""
        return -spectral_gradient(self.rigid, self.cell)

    def norms(self) -> dict[str, float]:
        """Root-mean-square norms over the grid of the three parts and the backflow-to-rigid ratio.

        Returns
        -------
        dict
            ``rigid_gradient`` = RMS |∇v|, ``backflow`` = RMS |∇×W|, ``mean`` = |F₀| (units of the field) and
            ``backflow_to_rigid`` = ‖∇×W‖/‖∇v‖ (dimensionless; ``inf`` if ∇v vanishes identically).
        """
        grad = np.sqrt(np.mean(np.sum(self.longitudinal**2, axis=0)))
        back = np.sqrt(np.mean(np.sum(self.backflow**2, axis=0)))
        ratio = float(back / grad) if grad > 0 else float('inf')
        return {
            'rigid_gradient': float(grad),
            'backflow': float(back),
            'mean': float(np.linalg.norm(self.mean)),
            'backflow_to_rigid': ratio,
        }


def reciprocal_cell(cell: ArrayLike) -> NDArray[np.float64]:
    """Reciprocal lattice vectors (rows) ``2π inv(cell).T`` in Å⁻¹, shape (3, 3).

    Raises
    ------
    InputValidationError
        If ``cell`` is not (3, 3), not finite or (nearly) singular.
    """
    cell = np.asarray(cell, dtype=float)
    if cell.shape != (3, 3) or not np.all(np.isfinite(cell)):
        raise InputValidationError(
            f'cell must be a finite (3, 3) array of lattice vectors (rows, Å); got shape {cell.shape}'
        )
    volume = abs(np.linalg.det(cell))
    if volume <= 1e-8 * np.prod(np.linalg.norm(cell, axis=1)):
        raise InputValidationError('cell is singular: its lattice vectors are (nearly) linearly dependent')
    return 2.0 * np.pi * np.linalg.inv(cell).T


def _g_components(shape: tuple[int, int, int], cell: NDArray[np.float64]) -> tuple[list[NDArray], NDArray]:
    """Cartesian G components on the rfftn half grid and the Nyquist mask (read-only, cached)."""
    recip = reciprocal_cell(cell)
    gx, gy, gz, _, nyquist = _spectral_tables(tuple(int(n) for n in shape), recip.tobytes())
    return [gx, gy, gz], nyquist


@functools.lru_cache(maxsize=2)
def _spectral_tables(shape: tuple[int, int, int], recip_bytes: bytes) -> tuple[NDArray, ...]:
    """G components, 1/|G|² (zero at G = 0 and on Nyquist planes) and the Nyquist mask for one grid and cell.

    Cached because the enatom decomposes the fields of many atoms on the same supercell grid.
    """
    recip = np.frombuffer(recip_bytes, dtype=np.float64).reshape(3, 3)
    n1, n2, n3 = shape
    m1 = np.fft.fftfreq(n1, 1.0 / n1)[:, None, None]
    m2 = np.fft.fftfreq(n2, 1.0 / n2)[None, :, None]
    m3 = np.fft.rfftfreq(n3, 1.0 / n3)[None, None, :]
    comps = [m1 * recip[0, c] + m2 * recip[1, c] + m3 * recip[2, c] for c in range(3)]
    nyquist = np.zeros((n1, n2, n3 // 2 + 1), dtype=bool)
    if n1 % 2 == 0:
        nyquist[n1 // 2, :, :] = True
    if n2 % 2 == 0:
        nyquist[:, n2 // 2, :] = True
    if n3 % 2 == 0:
        nyquist[:, :, n3 // 2] = True
    g2 = comps[0] ** 2 + comps[1] ** 2 + comps[2] ** 2
    g2[0, 0, 0] = 1.0
    inv_g2 = 1.0 / g2
    inv_g2[0, 0, 0] = 0.0
    inv_g2[nyquist] = 0.0
    tables = (*comps, inv_g2, nyquist)
    for table in tables:
        table.flags.writeable = False
    return tables


def _validate_grid_shape(shape: tuple[int, ...], name: str) -> tuple[int, int, int]:
    if len(shape) != 3 or min(shape) < 2:
        raise InputValidationError(f'{name} must have three grid axes of at least 2 points each; got {shape}')
    return shape  # type: ignore[return-value]


def spectral_gradient(scalar: ArrayLike, cell: ArrayLike) -> NDArray[np.float64]:
    """Spectral gradient ∇f of a periodic scalar grid.

    Parameters
    ----------
    scalar : array_like, shape (n1, n2, n3)
        Values on the periodic grid of ``cell``.
    cell : array_like, shape (3, 3)
        Lattice vectors as rows, Å.

    Returns
    -------
    numpy.ndarray, shape (3, n1, n2, n3)
        Cartesian components of ∇f in [f]/Å; Nyquist-plane components are dropped (module convention).
    """
    scalar = np.asarray(scalar, dtype=float)
    shape = _validate_grid_shape(scalar.shape, 'scalar')
    comps, nyquist = _g_components(shape, np.asarray(cell, dtype=float))
    fh = scipy.fft.rfftn(scalar, workers=-1)
    fh[nyquist] = 0.0
    return np.stack([scipy.fft.irfftn(1j * g * fh, s=shape, workers=-1) for g in comps])


def spectral_divergence(field: ArrayLike, cell: ArrayLike) -> NDArray[np.float64]:
    """Spectral divergence ∇·F of a periodic vector grid, shape (n1, n2, n3), in [F]/Å.

    Parameters
    ----------
    field : array_like, shape (3, n1, n2, n3)
        Cartesian components.
    cell : array_like, shape (3, 3)
        Lattice vectors as rows, Å.
    """
    shape, comps, nyquist, fh = _vector_spectrum(field, cell)
    div = 1j * (comps[0] * fh[0] + comps[1] * fh[1] + comps[2] * fh[2])
    div[nyquist] = 0.0
    return scipy.fft.irfftn(div, s=shape, workers=-1)


def spectral_curl(field: ArrayLike, cell: ArrayLike) -> NDArray[np.float64]:
    """Spectral curl ∇×F of a periodic vector grid, shape (3, n1, n2, n3), in [F]/Å.

    Parameters
    ----------
    field : array_like, shape (3, n1, n2, n3)
        Cartesian components.
    cell : array_like, shape (3, 3)
        Lattice vectors as rows, Å.
    """
    shape, (gx, gy, gz), nyquist, fh = _vector_spectrum(field, cell)
    fh[:, nyquist] = 0.0
    curl = np.stack([gy * fh[2] - gz * fh[1], gz * fh[0] - gx * fh[2], gx * fh[1] - gy * fh[0]])
    return scipy.fft.irfftn(1j * curl, s=shape, axes=_AXES, workers=-1)


def _vector_spectrum(
    field: ArrayLike, cell: ArrayLike
) -> tuple[tuple[int, ...], list[NDArray], NDArray, NDArray[np.complex128]]:
    """Grid shape, Cartesian G components, Nyquist mask and real FFT (per component) of a periodic vector grid."""
    field = _as_vector_field(field)
    shape = field.shape[1:]
    comps, nyquist = _g_components(shape, np.asarray(cell, dtype=float))
    return shape, comps, nyquist, scipy.fft.rfftn(field, axes=_AXES, workers=-1)


def _as_vector_field(field: ArrayLike) -> NDArray[np.float64]:
    field = np.asarray(field)
    if np.iscomplexobj(field):
        raise InputValidationError('field must be real; got a complex array')
    field = np.asarray(field, dtype=float)
    if field.ndim != 4 or field.shape[0] != 3:
        raise InputValidationError(
            f'field must have shape (3, n1, n2, n3) (Cartesian components first); got {field.shape}'
        )
    _validate_grid_shape(field.shape[1:], 'field')
    if not np.all(np.isfinite(field)):
        raise InputValidationError('field contains NaN or infinite values')
    return field


def helmholtz_decompose(field: ArrayLike, cell: ArrayLike) -> HelmholtzComponents:
    """Split a periodic vector field into rigid (longitudinal), backflow (transverse) and constant parts.

    Parameters
    ----------
    field : array_like, shape (3, n1, n2, n3)
        Cartesian components of the field (e.g. ∂V/∂R_j in eV/Å) on the periodic grid of ``cell``;
        grid point ``(i1, i2, i3)`` is at ``Σ_k (i_k/n_k) a_k``.
    cell : array_like, shape (3, 3)
        Lattice vectors as rows, Å; any shape, including triclinic.

    Returns
    -------
    HelmholtzComponents
        ``rigid`` (n1, n2, n3), ``backflow`` (3, n1, n2, n3) and ``mean`` (3,) such that
        ``field = −∇rigid + backflow + mean`` to rounding error (with :func:`spectral_gradient`).

    Raises
    ------
    InputValidationError
        On a wrong shape, a complex or non-finite field, or a singular cell.

    Notes
    -----
    With :math:`F(\\mathbf G)` the Fourier components, for :math:`\\mathbf G \\neq 0` off the Nyquist planes

    .. math:: v(G) = i\\,G\\cdot F(G)/|G|^2,\\qquad (\\nabla\\times W)(G) = F(G) - G\\,(G\\cdot F(G))/|G|^2 .

    Nyquist-plane components (even grids) go to the backflow; G = 0 goes to ``mean`` (module docstring).
    Cost: one forward three-component real FFT and four inverse single-component real FFTs.

    Examples
    --------
    >>> import numpy as np
    >>> cell = np.diag([2.0, 3.0, 4.0])
    >>> x = np.arange(8) / 8 * 2.0
    >>> field = np.zeros((3, 8, 6, 4))
    >>> field[0] = np.cos(2 * np.pi * x / 2.0)[:, None, None] + 0.5
    >>> parts = helmholtz_decompose(field, cell)
    >>> np.round(parts.mean, 12).tolist(), float(np.abs(parts.backflow).max()) < 1e-12
    ([0.5, 0.0, 0.0], True)
    """
    field = _as_vector_field(field)
    cell = np.asarray(cell, dtype=float)
    shape = field.shape[1:]
    recip = reciprocal_cell(cell)
    gx, gy, gz, inv_g2, _ = _spectral_tables(tuple(int(n) for n in shape), recip.tobytes())
    npts = field[0].size

    fh = scipy.fft.rfftn(field, axes=_AXES, workers=-1)
    mean = fh[:, 0, 0, 0].real / npts

    # s = G·F/|G|² (zero at G = 0 and on Nyquist planes); v(G) = i s; F_L(G) = G s. In place, one buffer.
    s = gx * fh[0]
    tmp = np.multiply(gy, fh[1])
    s += tmp
    np.multiply(gz, fh[2], out=tmp)
    s += tmp
    s *= inv_g2
    for c, g in enumerate((gx, gy, gz)):
        np.multiply(g, s, out=tmp)
        fh[c] -= tmp
    del tmp
    fh[:, 0, 0, 0] = 0.0
    s *= 1j
    rigid = scipy.fft.irfftn(s, s=shape, workers=-1, overwrite_x=True)
    backflow = scipy.fft.irfftn(fh, s=shape, axes=_AXES, workers=-1, overwrite_x=True)
    return HelmholtzComponents(rigid=rigid, backflow=backflow, mean=mean, cell=cell)


def coulomb_gauge_potential(field: ArrayLike, cell: ArrayLike) -> NDArray[np.float64]:
    """Vector potential W of the transverse (backflow) part of a periodic field, in the Coulomb gauge ∇·W = 0.

    Parameters
    ----------
    field : array_like, shape (3, n1, n2, n3)
        Cartesian components of the field F (e.g. ∂V/∂R_j in eV/Å, or ∂n/∂R_j in e/Å⁴) on the periodic grid of
        ``cell``; only its transverse part enters (the longitudinal part −∇v and the mean drop out).
    cell : array_like, shape (3, 3)
        Lattice vectors as rows, Å.

    Returns
    -------
    numpy.ndarray, shape (3, n1, n2, n3)
        Cartesian components of W in [F]·Å (eV for a field in eV/Å), zero mean, with
        ``spectral_curl(W) = backflow`` (the ``backflow`` of :func:`helmholtz_decompose` without its
        Nyquist-plane content) and ``spectral_divergence(W) = 0``.

    Notes
    -----
    With the module's convention ``F(r) = Σ_G F(G) exp(iG·r)`` the curl is ``(∇×W)(G) = iG × W(G)``. For a
    divergence-free W (``G·W(G) = 0``) the identity ``iG × (iG × W) = |G|² W − G (G·W)`` gives

    .. math:: W(G) = \\frac{i\\,G \\times F(G)}{|G|^2} \\quad (G \\neq 0),\\qquad W(0) = 0,

    and ``iG × F(G) = iG × F_T(G)`` because the longitudinal part ``F_L ∥ G`` drops out of the cross product.
    Check: ``iG × W(G) = −G × (G × F)/|G|² = F − G(G·F)/|G|² = F_T(G)``. W is unique up to a constant in this
    gauge; the constant is fixed to zero. Nyquist-plane components (even grids) have no spectral curl in this
    module and are set to zero in W: they stay in ``backflow`` but no W reproduces them.

    Examples
    --------
    >>> import numpy as np
    >>> cell = np.diag([2.0, 2.0, 2.0])
    >>> x = np.arange(8) / 8 * 2.0
    >>> field = np.zeros((3, 8, 8, 8))
    >>> field[1] = np.cos(np.pi * x)[:, None, None]    # F = ŷ cos(πx): transverse, ∇×W = F for W = −ẑ sin(πx)/π
    >>> w = coulomb_gauge_potential(field, cell)
    >>> bool(np.allclose(w[2], -np.sin(np.pi * x)[:, None, None] / np.pi)), bool(np.allclose(w[:2], 0))
    (True, True)
    """
    field = _as_vector_field(field)
    cell = np.asarray(cell, dtype=float)
    shape = field.shape[1:]
    recip = reciprocal_cell(cell)
    gx, gy, gz, inv_g2, _ = _spectral_tables(tuple(int(n) for n in shape), recip.tobytes())
    fh = scipy.fft.rfftn(field, axes=_AXES, workers=-1)
    # inv_g2 is zero at G = 0 and on the Nyquist planes: W(0) = 0 and no Nyquist content.
    scale = 1j * inv_g2
    wh = np.stack(
        [
            scale * (gy * fh[2] - gz * fh[1]),
            scale * (gz * fh[0] - gx * fh[2]),
            scale * (gx * fh[1] - gy * fh[0]),
        ]
    )
    return scipy.fft.irfftn(wh, s=shape, axes=_AXES, workers=-1, overwrite_x=True)

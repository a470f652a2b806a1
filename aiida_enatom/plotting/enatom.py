"""Plots of the enatom: radial profiles v_j(r) per species and plane slices of v_j and |∇×W_j| through the atom."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.helmholtz import HelmholtzComponents
from aiida_enatom.numerics.radial import RadialProfile

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ('plane_slice', 'plot_backflow_slice', 'plot_field_slice', 'plot_radial_profiles', 'plot_rigid_slice')


def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(5.0, 4.0), layout='constrained')
    return ax


def plot_radial_profiles(profiles: Mapping[str, RadialProfile], *, unit: str = 'eV', ax: Axes | None = None) -> Axes:
    """Spherical averages v_j(r), one line per label (e.g. per species), with r_max marked.

    Parameters
    ----------
    profiles : mapping of str to RadialProfile
        Label → profile (radius in Å).
    unit : str
        Unit of the values, for the axis label.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not profiles:
        raise InputValidationError('no radial profile to plot')
    ax = _axes(ax)
    for k, (label, profile) in enumerate(profiles.items()):
        ax.plot(profile.radius, profile.value, color=f'C{k}', label=label)
        ax.axvline(profile.r_max, color=f'C{k}', lw=0.6, ls=':')
    ax.axhline(0.0, color='0.5', lw=0.5)
    ax.set_xlabel('r (Å)')
    ax.set_ylabel(f'v(r) ({unit})')
    ax.legend()
    return ax


def plane_slice(
    field: ArrayLike, cell: ArrayLike, center: ArrayLike, *, normal_axis: int = 2
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Grid plane through the point nearest to ``center``, spanned by the two other lattice vectors.

    Parameters
    ----------
    field : array_like, shape (n1, n2, n3)
        Periodic scalar grid.
    cell : array_like, shape (3, 3)
        Lattice vectors as rows, Å.
    center : array_like, shape (3,)
        Cartesian point (the atom), Å; it is placed in the middle of the slice (periodic roll).
    normal_axis : int
        Lattice axis held fixed (0, 1 or 2).

    Returns
    -------
    x, y, values : numpy.ndarray, each shape (n_a, n_b)
        In-plane Cartesian coordinates (Å, orthonormal basis of the plane, origin at the centre) and values.
    """
    field = np.asarray(field, dtype=float)
    cell = np.asarray(cell, dtype=float)
    if field.ndim != 3:
        raise InputValidationError(f'field must have shape (n1, n2, n3); got {field.shape}')
    if normal_axis not in (0, 1, 2):
        raise InputValidationError(f'normal_axis must be 0, 1 or 2; got {normal_axis}')
    shape = np.array(field.shape)
    frac = np.asarray(center, dtype=float) @ np.linalg.inv(cell)
    nearest = np.round(frac * shape).astype(int)
    # roll so that the centre's grid point sits at index n//2 along every axis
    shift = shape // 2 - nearest
    rolled = np.roll(field, tuple(shift), axis=(0, 1, 2))
    index = [slice(None)] * 3
    index[normal_axis] = shape[normal_axis] // 2
    values = rolled[tuple(index)]
    a, b = (k for k in range(3) if k != normal_axis)
    ia, ib = np.meshgrid(np.arange(shape[a]) - shape[a] // 2, np.arange(shape[b]) - shape[b] // 2, indexing='ij')
    offset = frac * shape - nearest  # centre relative to its nearest grid point, in grid units
    points = (
        np.multiply.outer(ia - offset[a], cell[a] / shape[a])
        + np.multiply.outer(ib - offset[b], cell[b] / shape[b])
        - offset[normal_axis] * cell[normal_axis] / shape[normal_axis]
    )
    e1 = cell[a] / np.linalg.norm(cell[a])
    e2 = cell[b] - (cell[b] @ e1) * e1
    e2 /= np.linalg.norm(e2)
    return points @ e1, points @ e2, values


def plot_field_slice(
    field: ArrayLike,
    cell: ArrayLike,
    center: ArrayLike,
    *,
    normal_axis: int = 2,
    label: str = '',
    cmap: str = 'RdBu_r',
    symmetric: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """Colour map of a scalar grid on the lattice plane through ``center`` (marked with a cross).

    Parameters
    ----------
    field, cell, center, normal_axis
        As in :func:`plane_slice`.
    label : str
        Colour-bar label (quantity and unit).
    cmap : str
        Matplotlib colour map.
    symmetric : bool
        Centre the colour scale on zero (for signed fields such as v_j).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.

    Returns
    -------
    matplotlib.axes.Axes
    """
    x, y, values = plane_slice(field, cell, center, normal_axis=normal_axis)
    ax = _axes(ax)
    limits = {}
    if symmetric:
        vmax = float(np.abs(values).max()) or 1.0
        limits = {'vmin': -vmax, 'vmax': vmax}
    mesh = ax.pcolormesh(x, y, values, shading='gouraud', cmap=cmap, **limits)
    ax.figure.colorbar(mesh, ax=ax, label=label)
    ax.plot([0.0], [0.0], marker='x', color='k')
    ax.set_aspect('equal')
    ax.set_xlabel('x (Å)')
    ax.set_ylabel('y (Å)')
    return ax


def plot_rigid_slice(
    components: HelmholtzComponents,
    center: ArrayLike,
    *,
    normal_axis: int = 2,
    unit: str = 'eV',
    ax: Axes | None = None,
) -> Axes:
    """Slice of the rigid potential v_j through the atom at ``center`` (Å)."""
    return plot_field_slice(
        components.rigid, components.cell, center, normal_axis=normal_axis, label=f'v_j ({unit})', ax=ax
    )


def plot_backflow_slice(
    components: HelmholtzComponents,
    center: ArrayLike,
    *,
    normal_axis: int = 2,
    unit: str = 'eV/Å',
    ax: Axes | None = None,
) -> Axes:
    """Slice of the backflow magnitude |∇×W_j| through the atom at ``center`` (Å)."""
    magnitude = np.sqrt(np.sum(components.backflow**2, axis=0))
    return plot_field_slice(
        magnitude,
        components.cell,
        center,
        normal_axis=normal_axis,
        label=f'|∇×W_j| ({unit})',
        cmap='viridis',
        symmetric=False,
        ax=ax,
    )

"""Plots across candidates: T_c versus the Leavens–Carbotte area 𝒜 (the seed paper's Figure 3 layout)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from aiida_enatom.constants import MEV_TO_K
from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.tc import LEAVENS_CARBOTTE_SLOPE

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ('plot_tc_vs_area',)


def plot_tc_vs_area(
    area_mev: ArrayLike,
    tc_k: ArrayLike,
    labels: Sequence[str] | None = None,
    *,
    ax: Axes | None = None,
) -> Axes:
    """Scatter T_c against 𝒜 with the Leavens–Carbotte line T_c = 0.148 𝒜.

    Parameters
    ----------
    area_mev : array_like, shape (n,)
        Areas 𝒜 = ∫α²F dω in meV.
    tc_k : array_like, shape (n,)
        T_c in K (any route; say which in the axis label of the caller if needed).
    labels : sequence of str, optional
        One annotation per point (e.g. ``'H3S 200 GPa'``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(5.0, 4.5), layout='constrained')
    area = np.asarray(area_mev, dtype=float)
    tc = np.asarray(tc_k, dtype=float)
    if area.shape != tc.shape:
        raise InputValidationError(f'area_mev has shape {area.shape} but tc_k has shape {tc.shape}; they must match')
    ax.scatter(area, tc, color='C0', zorder=3)
    top = 1.1 * max(float(area.max(initial=1.0)), 1.0)
    line = np.linspace(0.0, top, 2)
    ax.plot(line, LEAVENS_CARBOTTE_SLOPE * line * MEV_TO_K, color='0.3', ls='--', label=r'$T_c = 0.148\,\mathcal{A}$')
    for x, y, text in zip(area, tc, labels or [], strict=False):
        ax.annotate(text, (x, y), textcoords='offset points', xytext=(4, 4), fontsize=8)
    ax.set_xlabel(r'$\mathcal{A} = \int \alpha^2F(\omega)\,d\omega$ (meV)')
    ax.set_ylabel('T_c (K)')
    ax.set_xlim(0.0, top)
    ax.set_ylim(bottom=0.0)
    ax.legend(frameon=False)
    return ax

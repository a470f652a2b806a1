"""Plots of α²F: the spectrum with its running λ(ω), the partial spectra, and the Bergmann–Rainer derivative."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from aiida_enatom.constants import K_TO_MEV
from aiida_enatom.numerics.moments import cumulative_lambda
from aiida_enatom.numerics.spectra import Alpha2F

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ('plot_alpha2f', 'plot_partial_alpha2f', 'plot_tc_derivative')


def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6.0, 4.0), layout='constrained')
    return ax


def plot_alpha2f(spectrum: Alpha2F, *, ax: Axes | None = None, cumulative: bool = True) -> Axes:
    """Plot α²F(ω) and, on a twin axis, the running coupling λ(ω).

    Parameters
    ----------
    spectrum : Alpha2F
        The spectrum; frequencies in meV.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.
    cumulative : bool
        Draw λ(ω) on a right-hand twin axis.

    Returns
    -------
    matplotlib.axes.Axes
        The α²F axes (the twin axis is reachable as ``ax.right_ax`` when drawn).
    """
    ax = _axes(ax)
    ax.plot(spectrum.frequency, spectrum.spectrum, color='C0', label='α²F(ω)')
    ax.fill_between(spectrum.frequency, spectrum.spectrum, color='C0', alpha=0.2)
    ax.set_xlabel('ω (meV)')
    ax.set_ylabel('α²F(ω)')
    ax.axhline(0.0, color='0.5', lw=0.5)
    if cumulative:
        right = ax.twinx()
        right.plot(spectrum.frequency, cumulative_lambda(spectrum), color='C3', label='λ(ω)')
        right.set_ylabel('λ(ω)', color='C3')
        right.tick_params(axis='y', colors='C3')
        ax.right_ax = right
    return ax


def plot_partial_alpha2f(
    spectrum: Alpha2F, keys: Sequence[str] | None = None, *, ax: Axes | None = None, stacked: bool | None = None
) -> Axes:
    """Plot the partial spectra with the total as a black line on top.

    Parameters
    ----------
    spectrum : Alpha2F
        Spectrum with :attr:`~Alpha2F.partials`.
    keys : sequence of str, optional
        Which partials to draw, in order (default: the species pairs, i.e. keys containing ``'-'``, sorted;
        those sum to the total).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    stacked : bool, optional
        Stack the partials on each other. The default stacks only when every drawn partial is ≥ 0: cross terms
        such as H–S are often negative at low frequency, and a stack of signed areas is unreadable, so they are
        then drawn as overlaid curves filled to zero.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    KeyError
        If a key is not among the partial spectra.
    """
    ax = _axes(ax)
    if keys is None:
        keys = sorted(key for key in spectrum.partials if '-' in key) or sorted(spectrum.partials)
    missing = [key for key in keys if key not in spectrum.partials]
    if missing:
        raise KeyError(f'no partial spectra {missing}; available: {sorted(spectrum.partials)}')
    values = [spectrum.partials[key] for key in keys]
    if stacked is None:
        stacked = all(float(value.min()) >= 0.0 for value in values)
    if stacked:
        ax.stackplot(spectrum.frequency, *values, labels=list(keys), alpha=0.7)
    else:
        for index, (key, value) in enumerate(zip(keys, values, strict=True)):
            ax.plot(spectrum.frequency, value, color=f'C{index}', lw=1.0, label=key)
            ax.fill_between(spectrum.frequency, value, color=f'C{index}', alpha=0.25)
        ax.axhline(0.0, color='0.5', lw=0.5)
    ax.plot(spectrum.frequency, spectrum.spectrum, color='k', lw=1.0, label='total')
    ax.set_xlabel('ω (meV)')
    ax.set_ylabel('α²F(ω)')
    ax.legend(frameon=False)
    return ax


def plot_tc_derivative(
    spectrum: Alpha2F, omega_mev: ArrayLike, dtc_da2f: ArrayLike, tc_k: float, *, ax: Axes | None = None
) -> Axes:
    """Plot the Bergmann–Rainer derivative δT_c/δα²F(Ω) over α²F(ω), marking Ω = 7 k_B T_c and the maximum.

    Parameters
    ----------
    spectrum : Alpha2F
        The spectrum the derivative was computed for.
    omega_mev : array_like, shape (n_Ω,)
        Ω grid in meV.
    dtc_da2f : array_like, shape (n_Ω,)
        δT_c/δα²F(Ω) in K/meV.
    tc_k : float
        T_c in K.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        The derivative axes; α²F is on ``ax.right_ax``.
    """
    ax = _axes(ax)
    omega = np.asarray(omega_mev, dtype=float)
    derivative = np.asarray(dtc_da2f, dtype=float)
    ax.plot(omega, derivative, color='C3', label='δT_c/δα²F(Ω)')
    ax.set_xlabel('Ω (meV)')
    ax.set_ylabel('δT_c/δα²F(Ω) (K/meV)', color='C3')
    peak = omega[np.argmax(derivative)]
    ax.axvline(peak, color='C3', ls=':', lw=1.0)
    ax.axvline(7.0 * tc_k * K_TO_MEV, color='0.4', ls='--', lw=1.0, label='7 k_B T_c')
    right = ax.twinx()
    right.fill_between(spectrum.frequency, spectrum.spectrum, color='C0', alpha=0.25)
    right.set_ylabel('α²F(ω)', color='C0')
    ax.right_ax = right
    ax.set_title(f'T_c = {tc_k:.1f} K, maximum at Ω = {peak / (tc_k * K_TO_MEV):.2f} k_B T_c')
    ax.legend(frameon=False, loc='lower right')
    return ax

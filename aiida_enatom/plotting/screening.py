"""Plots across candidates and pressures: the seed paper's Figures 2 and 3 and their companions.

* :func:`plot_ih2_vs_pressure`: hydrogen scattering strength I_H² versus pressure, one line per formula (Figure 2);
* :func:`plot_tc_vs_area_screening`: T_c versus the Leavens–Carbotte area 𝒜 with the line T_c = 0.148 𝒜, from the
  H part of α²F, from the full α²F, or both side by side (Figure 3);
* :func:`plot_lambda_vs_pressure`: λ (solid) and λ_H (dashed) versus pressure;
* :func:`plot_alpha2f_overlay`: several α²F(ω) on one axes;
* :func:`plot_tc_vs_area`: the bare scatter of T_c against 𝒜 from arrays.

The screening plots take plain rows, one mapping per candidate–pressure point (the per-point results record), with
the keys listed in :data:`ROW_KEYS`; a value may be ``None`` when it is missing. Points that are not ``rankable``
(dynamically unstable, or a step that did not finish) are drawn with hollow markers, not joined by the lines, and
get one legend entry :data:`FLAGGED_LABEL`; ``include_flagged=False`` leaves them out. A point whose plotted values
are missing cannot be drawn and is left out; when nothing is left to draw the plot refuses with an error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from aiida_enatom.constants import MEV_TO_K
from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics.moments import coupling_lambda
from aiida_enatom.numerics.spectra import Alpha2F
from aiida_enatom.numerics.tc import LEAVENS_CARBOTTE_SLOPE

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.lines import Line2D

__all__ = (
    'FLAGGED_LABEL',
    'ROW_KEYS',
    'format_formula',
    'plot_alpha2f_overlay',
    'plot_ih2_vs_pressure',
    'plot_lambda_vs_pressure',
    'plot_tc_vs_area',
    'plot_tc_vs_area_screening',
)

#: Keys of one results row that the screening plots read (values may be ``None``).
ROW_KEYS: tuple[str, ...] = (
    'formula',
    'candidate',
    'pressure_GPa',
    'target_pressure_GPa',
    'I2_H_eV2_per_A2',
    'eta_H_eV_per_A2',
    'lambda',
    'lambda_H',
    'area_meV',
    'area_H_meV',
    'tc_eliashberg_K',
    'tc_eliashberg_H_K',
    'tc_allen_dynes_K',
    'tc_allen_dynes_H_K',
    'tc_leavens_carbotte_K',
    'tc_leavens_carbotte_H_K',
    'rankable',
)
#: Legend text of the hollow markers of points that are not rankable.
FLAGGED_LABEL = 'flagged (unstable/failed)'
#: Gid of the Leavens–Carbotte line and of the flagged-point markers (to find them on the axes).
GID_LEAVENS_CARBOTTE = 'leavens_carbotte'
GID_FLAGGED = 'flagged'

_WHICH = ('H', 'full', 'both')
_TC_ROUTES = ('eliashberg', 'allen_dynes')
_MARKERS = ('o', 's', '^', 'D', 'v', 'P', 'X', '<', '>', 'h')
_LC_LABEL = r'$T_c = 0.148\,\mathcal{A}$'


def format_formula(formula: str) -> str:
    """Mathtext with subscripted counts: ``'LaH10'`` → ``'LaH$_{10}$'``, ``'H3S'`` → ``'H$_{3}$S'``."""
    return re.sub(r'(\d+)', r'$_{\1}$', formula)


# ---------------------------------------------------------------------------------------------------------------
# Rows → series
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Point:
    x: float
    y: float
    rankable: bool
    text: str


@dataclass(frozen=True)
class _Series:
    label: str
    points: tuple[_Point, ...]

    def arrays(self, rankable: bool) -> tuple[np.ndarray, np.ndarray, list[str]]:
        chosen = sorted((p for p in self.points if p.rankable is rankable), key=lambda p: p.x)
        return (
            np.array([p.x for p in chosen], dtype=float),
            np.array([p.y for p in chosen], dtype=float),
            [p.text for p in chosen],
        )


def _number(row: Mapping[str, Any], key: str, index: int) -> float:
    """The value of ``key`` as a float, NaN when it is ``None``."""
    value = row[key]
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InputValidationError(
            f'row {index} ({row.get("formula")!r}): {key} = {value!r} is not a number; give a float or None'
        )
    return float(value)


def _validate_rows(rows: Sequence[Mapping[str, Any]], required: Sequence[str]) -> list[Mapping[str, Any]]:
    if isinstance(rows, str | bytes | Mapping) or not isinstance(rows, Sequence):
        raise InputValidationError(f'rows must be a sequence of mappings (results records); got {type(rows).__name__}')
    if len(rows) == 0:
        raise InputValidationError('rows is empty; pass at least one results record')
    keys = ('formula', 'pressure_GPa', 'rankable', *required)
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise InputValidationError(f'row {index} is a {type(row).__name__}, not a mapping with keys {list(keys)}')
        missing = [key for key in keys if key not in row]
        if missing:
            raise InputValidationError(
                f'row {index} ({row.get("formula")!r}) has no key {missing[0]!r}; required keys: {", ".join(keys)}'
            )
        formula = row['formula']
        if not isinstance(formula, str) or not formula:
            raise InputValidationError(f'row {index}: formula = {formula!r}; give a non-empty string such as "H3S"')
    return list(rows)


def _pressure(row: Mapping[str, Any], index: int) -> float:
    """Relaxed pressure in GPa, else the target pressure (a failed relaxation has no relaxed pressure)."""
    pressure = _number(row, 'pressure_GPa', index)
    if math.isnan(pressure) and row.get('target_pressure_GPa') is not None:
        pressure = _number(row, 'target_pressure_GPa', index)
    return pressure


def _series_labels(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Label of each row's series: the formula, or 'formula (candidate)' when candidates share a formula."""
    candidates: dict[str, set[str]] = {}
    for row in rows:
        candidates.setdefault(row['formula'], set()).add(str(row.get('candidate')))
    labels = []
    for row in rows:
        label = format_formula(row['formula'])
        if len(candidates[row['formula']]) > 1 and row.get('candidate') is not None:
            label = f'{label} ({row["candidate"]})'
        labels.append(label)
    return labels


def _build_series(
    rows: Sequence[Mapping[str, Any]],
    x_of: Any,
    y_key: str,
    *,
    include_flagged: bool,
) -> list[_Series]:
    """Group finite (x, y) points by series label; formulas in order of first appearance, then their candidates."""
    formulas = list(dict.fromkeys(row['formula'] for row in rows))
    labels = _series_labels(rows)
    order = sorted(range(len(rows)), key=lambda index: formulas.index(rows[index]['formula']))
    grouped: dict[str, list[_Point]] = {labels[index]: [] for index in order}
    for index, (row, label) in enumerate(zip(rows, labels, strict=True)):
        rankable = bool(row['rankable'])
        if not rankable and not include_flagged:
            continue
        x, y = x_of(row, index), _number(row, y_key, index)
        if math.isfinite(x) and math.isfinite(y):
            pressure = _pressure(row, index)
            text = format_formula(row['formula'])
            if math.isfinite(pressure):
                text = f'{text} {pressure:.0f} GPa'
            grouped[label].append(_Point(x, y, rankable, text))
    return [_Series(label, tuple(points)) for label, points in grouped.items()]


def _require_points(series: Sequence[_Series], keys: str, n_rows: int, include_flagged: bool) -> None:
    if not any(s.points for s in series):
        which = '' if include_flagged else ' rankable'
        hint = '' if include_flagged else '; pass include_flagged=True to draw the flagged points'
        raise InputValidationError(f'no{which} row of {n_rows} has finite values of {keys}: nothing to plot{hint}')


# ---------------------------------------------------------------------------------------------------------------
# Drawing helpers
# ---------------------------------------------------------------------------------------------------------------


def _axes(ax: Axes | None, figsize: tuple[float, float] = (5.5, 4.5)) -> Axes:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize, layout='constrained')
    return ax


def _flagged_handle() -> Line2D:
    from matplotlib.lines import Line2D

    return Line2D([], [], ls='none', marker='o', mfc='none', mec='0.3', color='0.3', label=FLAGGED_LABEL)


def _draw_series(
    ax: Axes, series: Sequence[_Series], *, ls: str = '-', annotate: bool = False
) -> tuple[list[Line2D], bool, list[tuple[float, float, str, str]]]:
    """Draw series number k in colour C<k> with marker k.

    Returns the legend handles, whether any point is flagged and, when ``annotate``, the (x, y, text, colour) of
    each drawn point for :func:`_annotate_points`.

    Per series with points: its rankable points as one ``Line2D`` joined by ``ls`` (empty when all its points are
    flagged; it still serves as the legend handle), and its flagged points as a second ``Line2D`` with hollow markers,
    no line and gid :data:`GID_FLAGGED`. Series without points are skipped but keep their colour index, so one
    formula has the same colour and marker in every plot of the same rows.
    """
    handles = []
    labels: list[tuple[float, float, str, str]] = []
    any_flagged = False
    for k, s in enumerate(series):
        if not s.points:
            continue
        color, marker = f'C{k % 10}', _MARKERS[k % len(_MARKERS)]
        x, y, texts = s.arrays(rankable=True)
        (line,) = ax.plot(x, y, ls=ls, marker=marker, color=color, label=s.label, zorder=3)
        handles.append(line)
        xf, yf, texts_f = s.arrays(rankable=False)
        if xf.size:
            any_flagged = True
            ax.plot(
                xf, yf, ls='none', marker=marker, mfc='none', mec=color, zorder=3, gid=GID_FLAGGED, label='_flagged'
            )
        if annotate:
            labels.extend(zip([*x, *xf], [*y, *yf], [*texts, *texts_f], [color] * (x.size + xf.size), strict=True))
    return handles, any_flagged, labels


#: Label positions tried in turn, as (dx, dy) in points from the marker and the text alignment.
_LABEL_SLOTS = tuple(
    (sx * 5.0, dy, 'left' if sx > 0 else 'right', 'bottom' if dy > 0 else 'top')
    for dy in (2.0, -2.0, 9.0, -9.0, 16.0, -16.0)
    for sx in (1, -1)
)


def _annotate_points(ax: Axes, labels: Sequence[tuple[float, float, str, str]], fontsize: float = 7.0) -> None:
    """Annotate each (x, y, text, colour) beside its marker without covering other labels or markers.

    For each label the first of :data:`_LABEL_SLOTS` whose estimated text box overlaps no marker and no label placed
    before is taken (else the least overlapping one). Call it once the axis limits are final.
    """
    if not labels:
        return
    ax.get_xlim(), ax.get_ylim()  # settle pending autoscaling before transforming to display coordinates
    to_points = 72.0 / ax.figure.dpi
    xy = ax.transData.transform([(x, y) for x, y, _, _ in labels]) * to_points
    boxes = [(px - 4.0, py - 4.0, px + 4.0, py + 4.0) for px, py in xy]  # the markers

    def overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
        return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))

    for (px, py), (x, y, text, color) in sorted(zip(xy, labels, strict=True), key=lambda item: -item[1][1]):
        width = 0.55 * fontsize * len(re.sub(r'[${}_]', '', text))
        best, best_cost = _LABEL_SLOTS[0], math.inf
        for slot in _LABEL_SLOTS:
            dx, dy, ha, va = slot
            x0 = px + dx if ha == 'left' else px + dx - width
            y0 = py + dy if va == 'bottom' else py + dy - 1.1 * fontsize
            box = (x0, y0, x0 + width, y0 + 1.1 * fontsize)
            cost = sum(overlap(box, other) for other in boxes)
            if cost < best_cost:
                best, best_cost, best_box = slot, cost, box
            if cost == 0.0:
                break
        boxes.append(best_box)
        dx, dy, ha, va = best
        ax.annotate(
            text, (x, y), textcoords='offset points', xytext=(dx, dy), ha=ha, va=va, fontsize=fontsize, color=color
        )


def _leavens_carbotte_line(ax: Axes, area_max: float) -> tuple[Line2D, float]:
    """Draw T_c = 0.148 𝒜 (𝒜 in meV, T_c in K) from 0 to 1.1 × ``area_max``; returns the line and its right end."""
    top = 1.1 * max(area_max, 1.0)
    line = np.linspace(0.0, top, 2)
    (artist,) = ax.plot(
        line, LEAVENS_CARBOTTE_SLOPE * line * MEV_TO_K, color='0.3', ls='--', label=_LC_LABEL, gid=GID_LEAVENS_CARBOTTE
    )
    return artist, top


def _zero_based_ylim(ax: Axes, headroom: float = 0.08) -> None:
    """Start the y axis at 0 and leave ``headroom`` (a fraction of the largest value) above the highest point."""
    top = ax.dataLim.y1
    ax.set_ylim(0.0, top * (1.0 + headroom) if np.isfinite(top) and top > 0 else None)


def _finish_tc_area_axes(ax: Axes, top: float, xlabel: str, ylabel: str) -> None:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_xlim(0.0, top)
    ax.set_ylim(bottom=0.0)


# ---------------------------------------------------------------------------------------------------------------
# Public plots
# ---------------------------------------------------------------------------------------------------------------


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
        The Leavens–Carbotte line is ``ax.lines[0]``.
    """
    ax = _axes(ax, (5.0, 4.5))
    area = np.asarray(area_mev, dtype=float)
    tc = np.asarray(tc_k, dtype=float)
    if area.shape != tc.shape:
        raise InputValidationError(f'area_mev has shape {area.shape} but tc_k has shape {tc.shape}; they must match')
    ax.scatter(area, tc, color='C0', zorder=3)
    _, top = _leavens_carbotte_line(ax, float(area.max(initial=1.0)))
    for x, y, text in zip(area, tc, labels or [], strict=False):
        ax.annotate(text, (x, y), textcoords='offset points', xytext=(4, 4), fontsize=8)
    _finish_tc_area_axes(ax, top, r'$\mathcal{A} = \int \alpha^2F(\omega)\,d\omega$ (meV)', 'T_c (K)')
    ax.legend(frameon=False)
    return ax


def plot_ih2_vs_pressure(
    rows: Sequence[Mapping[str, Any]], *, ax: Axes | None = None, include_flagged: bool = True
) -> Axes:
    """Hydrogen scattering strength I_H² versus pressure, one line with markers per formula (the paper's Figure 2).

    Parameters
    ----------
    rows : sequence of mapping
        Results records; reads ``formula``, ``candidate`` (optional), ``pressure_GPa`` (relaxed, GPa; the
        ``target_pressure_GPa`` is used when it is ``None``), ``I2_H_eV2_per_A2`` (eV²/Å²) and ``rankable``.
        When several candidates share a formula each gets its own line, labelled ``'formula (candidate)'``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.
    include_flagged : bool
        Draw points that are not rankable as hollow markers (default) or leave them out.

    Returns
    -------
    matplotlib.axes.Axes
        Per formula one ``Line2D`` of its rankable points sorted by pressure, and, if it has flagged points, one
        ``Line2D`` of hollow markers with gid ``'flagged'``.

    Raises
    ------
    InputValidationError
        If ``rows`` is empty, a row lacks a required key or has a non-numeric value, or no point has a finite
        pressure and I_H².
    """
    rows = _validate_rows(rows, ('I2_H_eV2_per_A2',))
    series = _build_series(rows, _pressure, 'I2_H_eV2_per_A2', include_flagged=include_flagged)
    _require_points(series, 'pressure_GPa and I2_H_eV2_per_A2', len(rows), include_flagged)
    ax = _axes(ax)
    handles, any_flagged, _ = _draw_series(ax, series)
    if any_flagged:
        handles.append(_flagged_handle())
    ax.set_xlabel('Pressure (GPa)')
    ax.set_ylabel(r'$I_H^2$ (eV$^2$/Å$^2$)')
    _zero_based_ylim(ax)
    ax.legend(handles=handles, frameon=False)
    return ax


def _tc_area_panel(
    ax: Axes, rows: list[Mapping[str, Any]], part: str, tc_route: str, include_flagged: bool, annotate: bool
) -> list[tuple[float, float, str, str]]:
    """Draw one T_c-versus-𝒜 panel; returns the point labels, to be placed once the axis limits are final."""
    suffix = '_H' if part == 'H' else ''
    area_key, tc_key = f'area{suffix}_meV', f'tc_{tc_route}{suffix}_K'
    series = _build_series(
        rows, lambda row, index: _number(row, area_key, index), tc_key, include_flagged=include_flagged
    )
    _require_points(series, f'{area_key} and {tc_key}', len(rows), include_flagged)
    handles, any_flagged, labels = _draw_series(ax, series, ls='none', annotate=annotate)
    area_max = max(p.x for s in series for p in s.points)
    line, top = _leavens_carbotte_line(ax, area_max)
    handles.append(line)
    if any_flagged:
        handles.append(_flagged_handle())
    route = {'eliashberg': 'Eliashberg', 'allen_dynes': 'Allen–Dynes'}[tc_route]
    if part == 'H':
        xlabel = r'$\mathcal{A}_H = \int \alpha^2F_H(\omega)\,d\omega$ (meV)'
        ylabel = rf'$T_c$ from $\alpha^2F_H$ alone, {route} (K)'
        title = r'H part of $\alpha^2F$'
    else:
        xlabel = r'$\mathcal{A} = \int \alpha^2F(\omega)\,d\omega$ (meV)'
        ylabel = rf'$T_c$, {route} (K)'
        title = r'full $\alpha^2F$'
    _finish_tc_area_axes(ax, top, xlabel, ylabel)
    ax.set_title(title)
    ax.legend(handles=handles, frameon=False, loc='upper left', fontsize=8)
    return labels


def plot_tc_vs_area_screening(
    rows: Sequence[Mapping[str, Any]],
    *,
    which: str = 'H',
    tc_route: str = 'eliashberg',
    ax: Axes | Sequence[Axes] | None = None,
    include_flagged: bool = True,
    annotate: bool = True,
) -> Axes | tuple[Axes, Axes]:
    """T_c versus the Leavens–Carbotte area 𝒜 with the line T_c = 0.148 𝒜 (the paper's Figure 3).

    Parameters
    ----------
    rows : sequence of mapping
        Results records; reads ``formula``, ``candidate``, ``pressure_GPa`` (for the annotations ``'formula P GPa'``),
        ``rankable`` and, per panel, ``area_H_meV`` with ``tc_<route>_H_K`` (the H part of α²F alone) or ``area_meV``
        with ``tc_<route>_K`` (the full α²F); areas in meV, T_c in K.
    which : {'H', 'full', 'both'}
        The H-only panel (the paper's figure), the full-α²F panel, or both side by side (H on the left).
    tc_route : {'eliashberg', 'allen_dynes'}
        Which T_c goes on the vertical axis.
    ax : matplotlib.axes.Axes or pair of Axes, optional
        One axes for ``'H'``/``'full'``, two for ``'both'``; a new figure is made when omitted.
    include_flagged : bool
        Draw points that are not rankable as hollow markers (default) or leave them out.
    annotate : bool
        Label each point ``'formula P GPa'`` (P the relaxed pressure), placed to avoid the other labels and markers.

    Returns
    -------
    matplotlib.axes.Axes or tuple of two Axes
        The axes of the one panel, or ``(H panel, full panel)`` for ``'both'`` (``[0].figure`` is their figure).
        Each panel carries one marker ``Line2D`` per formula (no connecting line), one of hollow markers (gid
        ``'flagged'``) per formula with flagged points, and the Leavens–Carbotte line (gid ``'leavens_carbotte'``).
        For ``'both'`` the two panels share the vertical range.

    Raises
    ------
    InputValidationError
        For an unknown ``which`` or ``tc_route``, a wrong number of axes, empty rows, a missing key, or a panel with
        no finite point.
    """
    if which not in _WHICH:
        raise InputValidationError(f'which = {which!r} is not valid; choose one of {", ".join(map(repr, _WHICH))}')
    if tc_route not in _TC_ROUTES:
        raise InputValidationError(
            f'tc_route = {tc_route!r} is not valid; choose one of {", ".join(map(repr, _TC_ROUTES))}'
        )
    parts = ('H', 'full') if which == 'both' else (which,)
    required = [f'{"area_H_meV" if p == "H" else "area_meV"}' for p in parts]
    required += [f'tc_{tc_route}{"_H" if p == "H" else ""}_K' for p in parts]
    rows = _validate_rows(rows, required)
    if which != 'both':
        if ax is not None and not hasattr(ax, 'plot'):
            raise InputValidationError(f'which = {which!r} draws one panel; pass a single Axes as ax, not {ax!r}')
        panel = _axes(ax)
        _annotate_points(panel, _tc_area_panel(panel, rows, which, tc_route, include_flagged, annotate))
        return panel
    if ax is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 2, figsize=(10.5, 4.5), layout='constrained')
    else:
        axes = list(np.ravel(np.asarray(ax, dtype=object))) if not hasattr(ax, 'plot') else [ax]
        if len(axes) != 2:
            raise InputValidationError(f"which = 'both' draws two panels; pass a pair of Axes as ax, got {len(axes)}")
    labels = [_tc_area_panel(a, rows, p, tc_route, include_flagged, annotate) for a, p in zip(axes, parts, strict=True)]
    top = max(a.get_ylim()[1] for a in axes)
    for a, panel_labels in zip(axes, labels, strict=True):
        a.set_ylim(0.0, top)
        _annotate_points(a, panel_labels)
    return axes[0], axes[1]


def plot_lambda_vs_pressure(
    rows: Sequence[Mapping[str, Any]], *, ax: Axes | None = None, include_flagged: bool = True
) -> Axes:
    """λ (solid) and λ_H (dashed) versus pressure, one colour per formula.

    Parameters
    ----------
    rows : sequence of mapping
        Results records; reads ``formula``, ``candidate``, ``pressure_GPa`` (GPa, or ``target_pressure_GPa`` when
        it is ``None``), ``lambda``, ``lambda_H`` and ``rankable``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.
    include_flagged : bool
        Draw points that are not rankable as hollow markers (default) or leave them out.

    Returns
    -------
    matplotlib.axes.Axes
        Per formula a solid ``Line2D`` of λ and a dashed one of λ_H (when it has such values), plus hollow-marker
        lines (gid ``'flagged'``) for flagged points. The legend has the formulas, then ``'λ'``, ``'λ_H'`` and, if
        any point is flagged, :data:`FLAGGED_LABEL`.

    Raises
    ------
    InputValidationError
        If ``rows`` is empty, a row lacks a required key or has a non-numeric value, or no point has a finite
        pressure and λ or λ_H.
    """
    from matplotlib.lines import Line2D

    rows = _validate_rows(rows, ('lambda', 'lambda_H'))
    full = _build_series(rows, _pressure, 'lambda', include_flagged=include_flagged)
    hydrogen = _build_series(rows, _pressure, 'lambda_H', include_flagged=include_flagged)
    _require_points([*full, *hydrogen], 'pressure_GPa and lambda or lambda_H', len(rows), include_flagged)
    ax = _axes(ax)
    flagged_full = _draw_series(ax, full, ls='-')[1]
    flagged_h = _draw_series(ax, hydrogen, ls='--')[1]
    # the legend shows each formula once, by colour and marker, and the two line styles in grey
    handles = [
        Line2D([], [], color=f'C{k % 10}', marker=_MARKERS[k % len(_MARKERS)], label=a.label)
        for k, (a, b) in enumerate(zip(full, hydrogen, strict=True))
        if a.points or b.points
    ]
    handles.append(Line2D([], [], color='0.3', ls='-', label=r'$\lambda$'))
    handles.append(Line2D([], [], color='0.3', ls='--', label=r'$\lambda_H$'))
    if flagged_full or flagged_h:
        handles.append(_flagged_handle())
    ax.set_xlabel('Pressure (GPa)')
    ax.set_ylabel(r'$\lambda$, $\lambda_H$')
    _zero_based_ylim(ax)
    ax.legend(handles=handles, frameon=False)
    return ax


def plot_alpha2f_overlay(
    spectra: Sequence[tuple[str, Alpha2F]],
    *,
    partial: str | None = None,
    show_lambda: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """Several α²F(ω) on one axes, one line per labelled spectrum.

    Parameters
    ----------
    spectra : sequence of (str, Alpha2F)
        Label (e.g. ``'H3S 200 GPa'``) and spectrum (frequencies in meV) of each point.
    partial : str, optional
        Draw this partial spectrum of each (e.g. ``'H'`` or ``'H-H'``) instead of the total.
    show_lambda : bool
        Append λ = 2∫α²F/ω dω of the drawn spectrum to each legend label.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        One ``Line2D`` per spectrum in the given order, then the zero line.

    Raises
    ------
    InputValidationError
        If ``spectra`` is empty, an item is not a ``(label, Alpha2F)`` pair, or a spectrum lacks ``partial``.
    """
    if isinstance(spectra, str | bytes | Mapping) or not isinstance(spectra, Sequence) or len(spectra) == 0:
        raise InputValidationError('spectra must be a non-empty sequence of (label, Alpha2F) pairs')
    drawn = []
    for index, item in enumerate(spectra):
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Alpha2F)):
            raise InputValidationError(f'spectra[{index}] is {item!r:.60}; give a (label, Alpha2F) pair')
        label, spectrum = str(item[0]), item[1]
        if partial is not None:
            if partial not in spectrum.partials:
                raise InputValidationError(
                    f'spectrum {label!r} has no partial {partial!r}; available: {sorted(spectrum.partials)}'
                )
            spectrum = spectrum.partial(partial)
        drawn.append((label, spectrum))
    ax = _axes(ax, (6.0, 4.0))
    for k, (label, spectrum) in enumerate(drawn):
        text = f'{label} (λ = {coupling_lambda(spectrum):.2f})' if show_lambda else label
        ax.plot(spectrum.frequency, spectrum.spectrum, color=f'C{k % 10}', lw=1.2, label=text)
    ax.axhline(0.0, color='0.5', lw=0.5)
    ax.set_xlabel('ω (meV)')
    ax.set_ylabel('α²F(ω)' if partial is None else f'α²F(ω), partial {partial}')
    ax.legend(frameon=False)
    return ax

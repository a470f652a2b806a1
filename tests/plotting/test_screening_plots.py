"""Screening plots (the seed paper's Figures 2 and 3 and companions): what is drawn, flagged points, bad input."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use('Agg')

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgba

from aiida_enatom.constants import MEV_TO_K
from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics import Alpha2F, coupling_lambda
from aiida_enatom.plotting.screening import (
    FLAGGED_LABEL,
    GID_FLAGGED,
    GID_LEAVENS_CARBOTTE,
    ROW_KEYS,
    format_formula,
    plot_alpha2f_overlay,
    plot_ih2_vs_pressure,
    plot_lambda_vs_pressure,
    plot_tc_vs_area,
    plot_tc_vs_area_screening,
)


def _row(formula, pressure, i2, *, rankable=True, candidate=None, **values):
    row = dict.fromkeys(ROW_KEYS)
    row.update(
        formula=formula,
        candidate=candidate or f'{formula}-cand',
        pressure_GPa=pressure,
        target_pressure_GPa=None if pressure is None else round(pressure, -1),
        I2_H_eV2_per_A2=i2,
        rankable=rankable,
    )
    row.update(values)
    return row


def _tc_values(area_h, area):
    """Plausible T_c's close to (but not on) the Leavens–Carbotte line, K."""
    return {
        'area_H_meV': area_h,
        'area_meV': area,
        'tc_eliashberg_H_K': 0.16 * area_h * MEV_TO_K,
        'tc_eliashberg_K': 0.155 * area * MEV_TO_K,
        'tc_allen_dynes_H_K': 0.13 * area_h * MEV_TO_K,
        'tc_allen_dynes_K': 0.125 * area * MEV_TO_K,
        'lambda': 2.0 + area / 100.0,
        'lambda_H': 1.7 + area_h / 100.0,
    }


@pytest.fixture
def rows():
    """Three formulas; H3S has an unstable point at 120 GPa, LaH10 a failed one without results."""
    return [
        # given out of pressure order on purpose
        _row('H3S', 250.8, 9.4, **_tc_values(82.0, 88.0)),
        _row('H3S', 150.2, 7.5, **_tc_values(88.0, 95.0)),
        _row('H3S', 200.5, 8.6, **_tc_values(86.0, 92.0)),
        _row('H3S', 121.0, 6.3, rankable=False, **_tc_values(80.0, 85.0)),
        _row('LaH10', 200.0, 3.1, **_tc_values(105.0, 118.0)),
        _row('LaH10', 250.0, 3.5, **_tc_values(98.0, 108.0)),
        _row('LaH10', None, None, rankable=False),
        _row('CaH6', 150.0, 8.0, **_tc_values(102.0, 112.0)),
        _row('CaH6', 300.0, 10.3, **_tc_values(89.0, 96.0)),
    ]


def _save(artist, path):
    figure = artist if hasattr(artist, 'savefig') else artist.figure
    figure.savefig(path, dpi=60)
    assert path.stat().st_size > 1000
    plt.close(figure)


def _legend_texts(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


def _series_lines(ax):
    """Lines of rankable points (not the flagged markers, the zero line or the Leavens–Carbotte line)."""
    return [line for line in ax.lines if line.get_gid() is None]


def _flagged_lines(ax):
    return [line for line in ax.lines if line.get_gid() == GID_FLAGGED]


def test_format_formula():
    assert format_formula('H3S') == 'H$_{3}$S'
    assert format_formula('LaH10') == 'LaH$_{10}$'
    assert format_formula('CaH6') == 'CaH$_{6}$'


def test_ih2_vs_pressure(rows, tmp_path):
    ax = plot_ih2_vs_pressure(rows)
    assert _legend_texts(ax) == ['H$_{3}$S', 'LaH$_{10}$', 'CaH$_{6}$', FLAGGED_LABEL]
    h3s, lah10, cah6 = _series_lines(ax)
    # sorted by pressure, the rankable points only
    np.testing.assert_allclose(h3s.get_xdata(), [150.2, 200.5, 250.8])
    np.testing.assert_allclose(h3s.get_ydata(), [7.5, 8.6, 9.4])
    assert h3s.get_linestyle() == '-'
    assert h3s.get_marker() != lah10.get_marker()
    np.testing.assert_allclose(cah6.get_ydata(), [8.0, 10.3])
    # the unstable H3S point is hollow, in H3S's colour; the failed LaH10 point has nothing to draw
    (flagged,) = _flagged_lines(ax)
    np.testing.assert_allclose(flagged.get_xydata(), [[121.0, 6.3]])
    assert flagged.get_markerfacecolor() == 'none'
    assert flagged.get_linestyle() == 'None'
    assert to_rgba(flagged.get_markeredgecolor()) == to_rgba(h3s.get_color())
    assert to_rgba(h3s.get_markerfacecolor()) == to_rgba(h3s.get_color())  # rankable markers are filled
    legend_flagged = ax.get_legend().legend_handles[-1]
    assert legend_flagged.get_markerfacecolor() == 'none'
    # the axis starts at 0 and the highest marker is not cut by the frame
    bottom, top = ax.get_ylim()
    assert bottom == 0.0 and top >= 1.05 * max(line.get_ydata().max() for line in _series_lines(ax))
    _save(ax, tmp_path / 'fig2.png')


def test_ih2_without_flagged(rows, tmp_path):
    ax = plot_ih2_vs_pressure(rows, include_flagged=False)
    assert _flagged_lines(ax) == []
    assert FLAGGED_LABEL not in _legend_texts(ax)
    assert len(_series_lines(ax)) == 3
    _save(ax, tmp_path / 'fig2.png')


def test_ih2_falls_back_to_target_pressure(rows):
    """A failed relaxation has no relaxed pressure: the point goes to its target pressure."""
    rows = [*rows, _row('CaH6', None, 12.0, rankable=False)]
    rows[-1]['target_pressure_GPa'] = 350.0
    ax = plot_ih2_vs_pressure(rows)
    np.testing.assert_allclose(_flagged_lines(ax)[-1].get_xydata(), [[350.0, 12.0]])


def test_polymorphs_get_their_own_lines(rows):
    rows = [*rows, _row('H3S', 200.0, 5.0, candidate='H3S-R3m'), _row('H3S', 250.0, 5.5, candidate='H3S-R3m')]
    ax = plot_ih2_vs_pressure(rows)
    assert _legend_texts(ax)[:2] == ['H$_{3}$S (H3S-cand)', 'H$_{3}$S (H3S-R3m)']
    assert len(_series_lines(ax)) == 4


def _leavens_carbotte_line(ax):
    (line,) = [line for line in ax.lines if line.get_gid() == GID_LEAVENS_CARBOTTE]
    return line


def _check_leavens_carbotte(ax):
    line = _leavens_carbotte_line(ax)
    x, y = line.get_xdata(), line.get_ydata()
    np.testing.assert_allclose(np.diff(y) / np.diff(x), 0.148 * 11.604518, rtol=1e-6)
    np.testing.assert_allclose(y[0], 0.0, atol=1e-12)  # through the origin


@pytest.mark.parametrize(
    ('which', 'area_key', 'tc_key'),
    [('H', 'area_H_meV', 'tc_eliashberg_H_K'), ('full', 'area_meV', 'tc_eliashberg_K')],
)
def test_tc_vs_area_single_panel(rows, tmp_path, which, area_key, tc_key):
    ax = plot_tc_vs_area_screening(rows, which=which)
    _check_leavens_carbotte(ax)
    assert _legend_texts(ax) == ['H$_{3}$S', 'LaH$_{10}$', 'CaH$_{6}$', r'$T_c = 0.148\,\mathcal{A}$', FLAGGED_LABEL]
    h3s = _series_lines(ax)[0]
    assert h3s.get_linestyle() == 'None'  # a scatter: no line joins the points
    expected = sorted((row[area_key], row[tc_key]) for row in rows[:3])
    np.testing.assert_allclose(h3s.get_xydata(), expected)
    (flagged,) = _flagged_lines(ax)
    assert flagged.get_markerfacecolor() == 'none'
    np.testing.assert_allclose(flagged.get_xydata(), [[rows[3][area_key], rows[3][tc_key]]])
    # every drawn point is annotated 'formula P GPa'
    texts = sorted(text.get_text() for text in ax.texts)
    assert len(texts) == 8
    assert 'H$_{3}$S 121 GPa' in texts
    assert 'CaH$_{6}$ 300 GPa' in texts
    assert ax.get_xlim()[0] == 0.0
    assert ax.get_ylim()[0] == 0.0
    _save(ax, tmp_path / f'fig3_{which}.png')


def test_tc_vs_area_both_panels(rows, tmp_path):
    left, right = plot_tc_vs_area_screening(rows, which='both', tc_route='allen_dynes', include_flagged=False)
    assert left.figure is right.figure
    assert left.figure.axes == [left, right]
    assert 'H part' in left.get_title()
    assert 'full' in right.get_title()
    assert 'Allen–Dynes' in left.get_ylabel()
    for ax, area_key, tc_key in ((left, 'area_H_meV', 'tc_allen_dynes_H_K'), (right, 'area_meV', 'tc_allen_dynes_K')):
        _check_leavens_carbotte(ax)
        assert _flagged_lines(ax) == []
        assert len(_series_lines(ax)) == 3
        points = np.concatenate([line.get_xydata() for line in _series_lines(ax)])
        expected = [(row[area_key], row[tc_key]) for row in rows if row['rankable']]
        np.testing.assert_allclose(sorted(map(tuple, points)), sorted(expected))
    assert left.get_ylim() == right.get_ylim()
    _save(left.figure, tmp_path / 'fig3_both.png')


def test_tc_vs_area_on_given_axes(rows):
    figure, axes = plt.subplots(1, 2)
    assert plot_tc_vs_area_screening(rows, which='both', ax=axes, annotate=False) == (axes[0], axes[1])
    assert len(axes[0].texts) == 0
    assert plot_tc_vs_area_screening(rows, which='full', ax=axes[1]) is axes[1]
    plt.close(figure)


def test_plot_tc_vs_area_from_arrays_unchanged(tmp_path):
    ax = plot_tc_vs_area([100.0, 150.0], [170.0, 260.0], ['a', 'b'])
    slope = np.diff(ax.lines[0].get_ydata()) / np.diff(ax.lines[0].get_xdata())
    np.testing.assert_allclose(slope, 0.148 * 11.604518, rtol=1e-6)
    assert len(ax.collections) == 1
    assert [text.get_text() for text in ax.texts] == ['a', 'b']
    _save(ax, tmp_path / 'arrays.png')


def test_lambda_vs_pressure(rows, tmp_path):
    ax = plot_lambda_vs_pressure(rows)
    assert _legend_texts(ax) == ['H$_{3}$S', 'LaH$_{10}$', 'CaH$_{6}$', r'$\lambda$', r'$\lambda_H$', FLAGGED_LABEL]
    lines = _series_lines(ax)
    assert [line.get_linestyle() for line in lines] == ['-'] * 3 + ['--'] * 3
    full_h3s, hydrogen_h3s = lines[0], lines[3]
    np.testing.assert_allclose(full_h3s.get_xdata(), [150.2, 200.5, 250.8])
    np.testing.assert_allclose(full_h3s.get_ydata(), [2.95, 2.92, 2.88])
    np.testing.assert_allclose(hydrogen_h3s.get_ydata(), [2.58, 2.56, 2.52])
    assert full_h3s.get_color() == hydrogen_h3s.get_color()
    flagged = _flagged_lines(ax)
    assert len(flagged) == 2  # the unstable H3S point, for λ and for λ_H
    assert all(line.get_markerfacecolor() == 'none' for line in flagged)
    assert ax.get_ylim()[0] == 0.0 and ax.get_ylim()[1] >= 1.05 * 2.95
    _save(ax, tmp_path / 'lambda.png')


@pytest.fixture
def spectra():
    omega = np.linspace(0.0, 250.0, 501)
    out = []
    for label, centre in (('H3S 200 GPa', 150.0), ('LaH10 250 GPa', 120.0)):
        h = np.exp(-(((omega - centre) / 20.0) ** 2))
        m = 0.4 * np.exp(-(((omega - 30.0) / 6.0) ** 2))
        out.append((label, Alpha2F(omega, h + m, {'H': h, 'M': m})))
    return out


def test_alpha2f_overlay(spectra, tmp_path):
    ax = plot_alpha2f_overlay(spectra)
    first, second, zero = ax.lines
    np.testing.assert_allclose(first.get_ydata(), spectra[0][1].spectrum)
    np.testing.assert_allclose(second.get_ydata(), spectra[1][1].spectrum)
    np.testing.assert_allclose(zero.get_ydata(), 0.0)
    lam = coupling_lambda(spectra[0][1])
    assert _legend_texts(ax)[0] == f'H3S 200 GPa (λ = {lam:.2f})'
    assert len(_legend_texts(ax)) == 2
    _save(ax, tmp_path / 'overlay.png')


def test_alpha2f_overlay_partial(spectra):
    ax = plot_alpha2f_overlay(spectra, partial='H', show_lambda=False)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), spectra[1][1].partials['H'])
    assert _legend_texts(ax) == ['H3S 200 GPa', 'LaH10 250 GPa']
    assert 'partial H' in ax.get_ylabel()
    with pytest.raises(InputValidationError, match=r"no partial 'H-H'; available: \['H', 'M'\]"):
        plot_alpha2f_overlay(spectra, partial='H-H')


@pytest.mark.parametrize(
    ('bad', 'match'),
    [
        ([], 'spectra must be a non-empty sequence'),
        ([('a', np.zeros(3))], r'spectra\[0\] is .*\(label, Alpha2F\) pair'),
        ('H3S', 'non-empty sequence'),
    ],
)
def test_alpha2f_overlay_bad_input(bad, match):
    with pytest.raises(InputValidationError, match=match):
        plot_alpha2f_overlay(bad)


def _without(rows, key):
    return [{k: v for k, v in row.items() if k != key} if i == 1 else row for i, row in enumerate(rows)]


@pytest.mark.parametrize(
    ('call', 'match'),
    [
        (lambda rows: plot_ih2_vs_pressure([]), 'rows is empty'),
        (lambda rows: plot_ih2_vs_pressure(rows[0]), 'rows must be a sequence of mappings'),
        (lambda rows: plot_ih2_vs_pressure(_without(rows, 'I2_H_eV2_per_A2')), "row 1 .* no key 'I2_H_eV2_per_A2'"),
        (lambda rows: plot_ih2_vs_pressure(_without(rows, 'rankable')), "row 1 .* no key 'rankable'"),
        (lambda rows: plot_lambda_vs_pressure(_without(rows, 'lambda_H')), "no key 'lambda_H'"),
        (lambda rows: plot_tc_vs_area_screening(_without(rows, 'area_H_meV')), "no key 'area_H_meV'"),
        (lambda rows: plot_tc_vs_area_screening(rows, which='metal'), r"which = 'metal' .* 'H', 'full', 'both'"),
        (lambda rows: plot_tc_vs_area_screening(rows, tc_route='mcmillan'), "tc_route = 'mcmillan' .* 'eliashberg'"),
        (lambda rows: plot_tc_vs_area_screening(rows, which='both', ax=plt.gca()), 'pair of Axes'),
        (lambda rows: plot_ih2_vs_pressure([{**rows[0], 'formula': None}]), 'formula = None'),
        (lambda rows: plot_ih2_vs_pressure([{**rows[0], 'I2_H_eV2_per_A2': 'big'}]), "I2_H_eV2_per_A2 = 'big' is not"),
        (
            lambda rows: plot_ih2_vs_pressure([{**row, 'I2_H_eV2_per_A2': math.nan} for row in rows]),
            'no row of 9 has finite values of pressure_GPa and I2_H_eV2_per_A2',
        ),
        (
            lambda rows: plot_tc_vs_area_screening([{**row, 'tc_eliashberg_H_K': None} for row in rows]),
            'finite values of area_H_meV and tc_eliashberg_H_K',
        ),
        (
            lambda rows: plot_ih2_vs_pressure([row for row in rows if not row['rankable']], include_flagged=False),
            'no rankable row of 2 .* include_flagged=True',
        ),
    ],
)
def test_bad_input(rows, call, match):
    with pytest.raises(InputValidationError, match=match) as info:
        call(rows)
    assert '\n' not in str(info.value)
    plt.close('all')

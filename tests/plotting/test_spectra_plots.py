"""Smoke tests of the α²F plots: they draw what they claim on Agg axes, and bad input is refused."""

import numpy as np
import pytest

from aiida_enatom.exceptions import InputValidationError
from aiida_enatom.numerics import Alpha2F, cumulative_lambda
from aiida_enatom.plotting.screening import plot_tc_vs_area
from aiida_enatom.plotting.spectra import plot_alpha2f, plot_partial_alpha2f, plot_tc_derivative


@pytest.fixture
def spectrum():
    omega = np.linspace(0, 200, 401)
    h = np.exp(-(((omega - 150) / 15) ** 2))
    m = 0.5 * np.exp(-(((omega - 40) / 8) ** 2))
    return Alpha2F(omega, h + m, {'H-H': 0.9 * h, 'S-S': 0.9 * m, 'H-S': 0.1 * (h + m), 'H': h, 'S': m})


def test_plot_alpha2f_draws_spectrum_and_running_lambda(spectrum):
    ax = plot_alpha2f(spectrum)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), spectrum.spectrum)
    np.testing.assert_allclose(ax.right_ax.lines[0].get_ydata(), cumulative_lambda(spectrum))


def test_plot_partial_stacks_pairs_to_total(spectrum):
    ax = plot_partial_alpha2f(spectrum)
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ['H-H', 'H-S', 'S-S', 'total']
    # the top of the stack is the total, because the pairs partition it
    top = ax.collections[-1].get_paths()[0].vertices[:, 1].max()
    np.testing.assert_allclose(top, spectrum.spectrum.max(), rtol=1e-6)
    with pytest.raises(KeyError, match='available'):
        plot_partial_alpha2f(spectrum, ['La-La'])


def test_plot_partial_overlays_signed_cross_terms(spectrum):
    """A negative cross term switches to overlaid curves: each drawn line is its own partial, not a running sum."""
    omega = spectrum.frequency
    signed = Alpha2F(omega, spectrum.spectrum, {'H-H': spectrum.spectrum + 0.1, 'H-S': np.full(omega.size, -0.1)})
    ax = plot_partial_alpha2f(signed)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), signed.partials['H-H'])
    np.testing.assert_allclose(ax.lines[1].get_ydata(), signed.partials['H-S'])
    np.testing.assert_allclose(ax.lines[-1].get_ydata(), signed.spectrum)


def test_plot_tc_derivative_marks_the_peak(spectrum):
    omega = spectrum.frequency[1:]
    derivative = omega * np.exp(-omega / 60.0)
    ax = plot_tc_derivative(spectrum, omega, derivative, 100.0)
    assert 'maximum at Ω' in ax.get_title()
    np.testing.assert_allclose(ax.lines[1].get_xdata()[0], 60.0, atol=0.5)  # argmax of ω e^(−ω/60)


def test_plot_tc_vs_area_has_the_leavens_carbotte_line():
    ax = plot_tc_vs_area([100.0, 150.0], [170.0, 260.0], ['a', 'b'])
    line = ax.lines[0]
    slope = np.diff(line.get_ydata()) / np.diff(line.get_xdata())
    np.testing.assert_allclose(slope, 0.148 * 11.604518, rtol=1e-6)
    with pytest.raises(InputValidationError, match='must match'):
        plot_tc_vs_area([1.0], [1.0, 2.0])

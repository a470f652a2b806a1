"""Matplotlib plots in the ``ax=`` style; matplotlib is imported lazily inside each function."""

from aiida_enatom.plotting.screening import (
    plot_alpha2f_overlay,
    plot_ih2_vs_pressure,
    plot_lambda_vs_pressure,
    plot_tc_vs_area,
    plot_tc_vs_area_screening,
)

__all__ = (
    'plot_alpha2f_overlay',
    'plot_ih2_vs_pressure',
    'plot_lambda_vs_pressure',
    'plot_tc_vs_area',
    'plot_tc_vs_area_screening',
)

"""Matplotlib plots in the ``ax=`` style; matplotlib is imported lazily inside each function."""

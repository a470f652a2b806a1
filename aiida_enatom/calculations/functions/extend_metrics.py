"""Calcfunction: the α²F stage's metrics extended by the keys of further analyses (route-2 I², isotopes)."""

from __future__ import annotations

from aiida import orm
from aiida.engine import calcfunction

__all__ = ('extend_metrics',)


@calcfunction
def extend_metrics(metrics: orm.Dict, **extensions: orm.Dict) -> orm.Dict:
    """Return ``metrics`` with every key of each extension added (a key may not be defined twice).

    Parameters
    ----------
    metrics
        Output of ``compute_metrics``.
    extensions
        Further Dicts, e.g. ``scattering_route2`` and ``isotope_effect``.
    """
    merged = metrics.get_dict()
    for label, extension in extensions.items():
        for key, value in extension.get_dict().items():
            if key in merged:
                raise ValueError(f'extension {label!r} redefines metrics key {key!r}')
            merged[key] = value
    return orm.Dict(merged)

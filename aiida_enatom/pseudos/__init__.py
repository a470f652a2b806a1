"""Offline PBE pseudopotential family generated with ``ld1.x`` from inputs the project owns (no AiiDA import)."""

from . import generate
from .generate import *  # noqa: F403 (the public names are listed once, in generate.__all__)

__all__ = generate.__all__

"""Helpers of the AiiDA layer (conversions between nodes and pure dataclasses)."""

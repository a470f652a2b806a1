"""One calcfunction per module."""

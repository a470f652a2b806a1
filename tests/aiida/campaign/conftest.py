"""Fixtures of the campaign tests: the workflow fixtures (codes, offline family) reused."""

from tests.aiida.workflows.conftest import codes, pseudo_family  # noqa: F401

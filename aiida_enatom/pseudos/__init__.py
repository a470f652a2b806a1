"""Offline PBE pseudopotential family generated with ``ld1.x`` from inputs the project owns (no AiiDA import)."""

from .generate import (
    CUTOFFS_FILE,
    INPUTS_DIR,
    STRINGENCIES,
    ElementNotAvailableError,
    PseudoGenerationError,
    available_elements,
    generate_pseudopotential,
    generate_pseudopotentials,
    input_file,
    read_upf_header,
    recommended_cutoffs,
)

__all__ = (
    'CUTOFFS_FILE',
    'INPUTS_DIR',
    'STRINGENCIES',
    'ElementNotAvailableError',
    'PseudoGenerationError',
    'available_elements',
    'generate_pseudopotential',
    'generate_pseudopotentials',
    'input_file',
    'read_upf_header',
    'recommended_cutoffs',
)

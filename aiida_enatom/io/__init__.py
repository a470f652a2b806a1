"""Pure parsers and writers of Quantum ESPRESSO and volumetric files: str or path in, dataclass out (no AiiDA)."""

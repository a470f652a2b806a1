"""aiida-enatom: per-atom electron-phonon analysis of hydride superconductors with AiiDA and Quantum ESPRESSO."""

__version__ = '0.1.0'

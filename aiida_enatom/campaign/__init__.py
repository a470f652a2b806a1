"""Campaigns in the database: launching many sweeps with a throttle, and reusing what is finished.

Ranking, export and status queries live in :mod:`aiida_enatom.results.query`.
"""

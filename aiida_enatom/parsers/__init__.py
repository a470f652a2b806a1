"""AiiDA parsers (thin shells around :mod:`aiida_enatom.io`)."""

"""AiiDA data types of aiida-enatom."""

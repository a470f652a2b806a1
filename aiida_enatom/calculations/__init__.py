"""Calculations: calcfunctions that wrap one pure function each, and the thin `enatom.ph` CalcJob subclass."""

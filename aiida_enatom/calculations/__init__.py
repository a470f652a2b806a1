"""Calculations: calcfunctions that wrap one pure function each."""

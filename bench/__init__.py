"""Benchmarks: runnable scripts that print and store figures (not pass/fail tests)."""

"""Process memory benchmark (see run.py)."""

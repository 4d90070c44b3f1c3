"""Bot hot-path benchmark (see run.py)."""

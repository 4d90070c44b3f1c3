"""Payment-webhook benchmark (see run.py)."""

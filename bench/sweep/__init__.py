"""Expiry sweep benchmark: ``uv run python -m bench.sweep``."""

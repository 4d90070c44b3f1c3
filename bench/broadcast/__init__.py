"""Broadcast pacing benchmark (see run.py)."""

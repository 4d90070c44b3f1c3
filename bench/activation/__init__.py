"""Activation latency: confirmed payment → "access ready" message leaving the bot."""

"""Reliability suite settings: ``--slow`` runs the long variants (thousands of inputs)."""

from __future__ import annotations

import pytest


@pytest.fixture
def slow_examples(request: pytest.FixtureRequest) -> int:
    """How many generated inputs a dispatcher-level fuzz sends (bounded either way)."""
    return 2000 if request.config.getoption("--slow") else 60

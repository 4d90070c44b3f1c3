"""Remnawave adapter (dialects ``2.x`` and ``3.x``)."""

from vpnsales.adapters.panels.remnawave.panel import (
    RemnawaveConfig,
    RemnawaveDialect,
    RemnawavePanel,
    RemnawaveRejected,
    verify_webhook_signature,
)

__all__ = [
    "RemnawaveConfig",
    "RemnawaveDialect",
    "RemnawavePanel",
    "RemnawaveRejected",
    "verify_webhook_signature",
]

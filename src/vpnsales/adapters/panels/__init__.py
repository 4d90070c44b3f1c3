"""VPN panel adapters: Remnawave (2.x, 3.x) and 3x-UI (classic, 3.0, 3.1) over httpx.

The dialect packages ``remnawave`` and ``xui`` are independent of each other; both use the
shared resilience module :mod:`vpnsales.adapters.panels._http`. :mod:`.registry` resolves
panel ids and 3x-UI server groups.
"""

from vpnsales.adapters.panels._http import (
    CallOutcome,
    CircuitBreaker,
    PanelObserver,
    ResilientHttp,
    RetryPolicy,
    Secret,
    Timeouts,
)

__all__ = [
    "CallOutcome",
    "CircuitBreaker",
    "PanelObserver",
    "ResilientHttp",
    "RetryPolicy",
    "Secret",
    "Timeouts",
]

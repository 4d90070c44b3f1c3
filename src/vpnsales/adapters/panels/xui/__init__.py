"""3x-UI adapter (dialects ``classic``, ``3.0`` and ``3.1``)."""

from vpnsales.adapters.panels.xui.panel import (
    XuiConfig,
    XuiDialect,
    XuiPanel,
    XuiRejected,
    client_uuid_for,
    sub_id_for,
)

__all__ = [
    "XuiConfig",
    "XuiDialect",
    "XuiPanel",
    "XuiRejected",
    "client_uuid_for",
    "sub_id_for",
]

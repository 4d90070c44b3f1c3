"""An embedded PostgreSQL (the ``pgserver`` package) for setups without a database URL.

A real server in a data directory, listening on a Unix socket only: no Docker, no
install step. ``start_embedded(path)`` returns a handle whose ``url`` the rest of the
application uses like any other; ``stop()`` shuts the server down cleanly (the data
stays unless ``delete=True``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy.engine import make_url

from vpnsales.adapters.persistence.engine import DRIVER


@dataclass(slots=True)
class EmbeddedPostgres:
    data_dir: Path
    url: str
    """asyncpg URL of the ``postgres`` database (``?host=<socket dir>``)."""
    _server: Any = field(repr=False)
    _stopped: bool = False

    def url_for(self, database: str) -> str:
        return make_url(self.url).set(database=database).render_as_string(hide_password=False)

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            self._server.cleanup()

    def __enter__(self) -> EmbeddedPostgres:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_embedded(data_dir: str | Path, *, delete: bool = False) -> EmbeddedPostgres:
    """Start (initialising on first use) a server in ``data_dir``. Blocking: call it
    before the event loop starts or through ``asyncio.to_thread``."""
    path = Path(data_dir).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs/pgserver import-time warnings
        from pgserver.postgres_server import get_server

        server = get_server(path, cleanup_mode="delete" if delete else "stop")
    raw = make_url(server.get_uri("postgres"))
    url = raw.set(drivername=DRIVER, password=None).render_as_string(hide_password=False)
    return EmbeddedPostgres(data_dir=path, url=url, _server=server)

"""The worker and scheduler processes (taskiq on Redis)."""

from vpnsales.entrypoints.worker.main import run_scheduler, run_worker

__all__ = ["run_scheduler", "run_worker"]

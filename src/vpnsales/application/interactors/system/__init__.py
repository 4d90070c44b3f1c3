"""Worker use cases: outbox execution, sweeps, reconciliation, broadcasts."""

"""Admin use cases: each checks the actor's role and writes an audit record."""

# syntax=docker/dockerfile:1.7
# Multi-stage build: dependencies resolved by uv from the committed lock, then a slim
# runtime image running as a non-root user.

FROM python:3.11-slim-bookworm AS build
COPY --from=ghcr.io/astral-sh/uv:0.9 /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Dependencies first (cached layer), then the project itself.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project
COPY src ./src
COPY migrations ./migrations
COPY alembic.ini ./
# the example seed file: `docker compose run --rm migrate seed /app/examples/seed.toml`
COPY examples ./examples
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev

FROM python:3.11-slim-bookworm AS runtime
RUN groupadd --system --gid 10001 vpnsales \
 && useradd --system --uid 10001 --gid vpnsales --home-dir /app --shell /usr/sbin/nologin vpnsales \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build --chown=vpnsales:vpnsales /app /app
ENV PATH="/app/.venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VPNSALES_DATA_DIR=/app/data
RUN mkdir -p /app/data && chown vpnsales:vpnsales /app/data
USER vpnsales
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4); sys.exit(0)" || exit 1
ENTRYPOINT ["vpnsales"]
CMD ["web"]

"""The Dockerfile and docker-compose.yml cannot be run here (no Docker engine), so what
they say is checked against the code: every command they run is a CLI command, every
setting they pass is a real setting, every file they mention is in the image."""

from __future__ import annotations

import re
from pathlib import Path

from vpnsales.entrypoints.cli import app
from vpnsales.entrypoints.config import reference

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _cli_commands() -> set[str]:
    return {name for name in app if not name.startswith("-")}


def _run_lines() -> list[list[str]]:
    """`docker compose run --rm <service> <args…>` in the compose comments and README."""
    found = []
    for text in (COMPOSE, README):
        for match in re.finditer(r"docker compose run --rm (\S+) ([^\n#`]+)", text):
            found.append([match.group(1), *match.group(2).split()])
    return found


def test_every_service_command_is_a_cli_command() -> None:
    commands = re.findall(r'command: \["([^"]+)"', COMPOSE)
    app_commands = [c for c in commands if not c.startswith("redis-")]

    assert set(app_commands) == {"migrate", "web", "worker", "scheduler"}
    assert set(app_commands) <= _cli_commands()


def test_the_image_runs_the_cli() -> None:
    assert 'ENTRYPOINT ["vpnsales"]' in DOCKERFILE
    cmd = re.search(r'^CMD \["([^"]+)"\]', DOCKERFILE, re.MULTILINE)
    assert cmd is not None
    assert cmd.group(1) in _cli_commands()
    assert re.search(r"^USER (?!root)\w+", DOCKERFILE, re.MULTILINE), "runs as non-root"
    assert "HEALTHCHECK" in DOCKERFILE


def test_documented_one_off_commands_exist_and_name_files_in_the_image() -> None:
    lines = _run_lines()
    assert lines, "the deploy instructions show how to seed and add an admin"
    copied = re.findall(r"^COPY (?:--\S+ )*(\S+) \./", DOCKERFILE, re.MULTILINE)
    for service, command, *args in lines:
        assert service in re.findall(r"^  (\w+):$", COMPOSE, re.MULTILINE)
        assert command in _cli_commands(), f"`{command}` is not a vpnsales command"
        for arg in args:
            if arg.startswith("/app/"):
                top = arg.removeprefix("/app/").split("/")[0]
                assert top in copied, f"{arg} is not copied into the image"
                assert (ROOT / arg.removeprefix("/app/")).exists()


def test_compose_sets_only_real_settings() -> None:
    known = {doc.env for doc in reference()} | {"VPNSALES_DATA_DIR"}
    passed = set(re.findall(r"^\s+(VPNSALES_[A-Z0-9_]+):", COMPOSE, re.MULTILINE))

    assert passed
    assert passed <= known, passed - known

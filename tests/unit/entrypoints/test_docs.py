from __future__ import annotations

from pathlib import Path

from vpnsales.entrypoints.config import reference
from vpnsales.entrypoints.docs import env_example, render_readme

ROOT = Path(__file__).resolve().parents[3]


def test_readme_settings_reference_is_generated_from_the_model() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert render_readme(readme) == readme, (
        "run: uv run python -m vpnsales.entrypoints.docs --write"
    )


def test_env_example_is_generated_from_the_model() -> None:
    assert (ROOT / ".env.example").read_text(encoding="utf-8") == env_example()


def test_every_setting_is_in_the_env_example() -> None:
    text = env_example()
    assert all(item.env in text for item in reference())

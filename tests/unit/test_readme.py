"""The README's library example runs as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_library_example_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(
        r"<!-- readme-example:begin -->\n```python\n(.*?)```\n<!-- readme-example:end -->",
        readme,
        re.S,
    )
    assert block is not None
    result = subprocess.run(
        [sys.executable, "-c", block.group(1)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "access_ready" in result.stdout

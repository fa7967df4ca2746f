"""The tree stays clean: ruff's lint and format checks over every Python file (sqlfluff is in tests/dbt)."""

from __future__ import annotations

import subprocess
import sys

from ingestion.settings import PROJECT_DIR


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, str(PROJECT_DIR)],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_DIR,
    )


def test_ruff_lint_is_clean() -> None:
    result = _ruff("check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = _ruff("format", "--check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr

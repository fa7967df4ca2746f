"""The tree stays clean: mypy over the paths pyproject.toml's [tool.mypy] names (ingestion/ and bench/).

mypy keeps its incremental cache in .mypy_cache/ (gitignored): the first run checks every module, later runs only
what changed.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

from ingestion.settings import PROJECT_DIR


def _configured_paths() -> list[str]:
    config = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())
    return list(config["tool"]["mypy"]["files"])


def test_mypy_is_clean() -> None:
    paths = _configured_paths()
    assert {"ingestion", "bench"} <= set(paths), f"[tool.mypy] files is {paths}: name ingestion and bench"
    result = subprocess.run(
        [sys.executable, "-m", "mypy"],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_DIR,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # every Python file under those paths was checked: none left out by an `exclude` or a missing package
    expected = sum(
        1 for path in paths for file in (PROJECT_DIR / path).rglob("*.py") if "__pycache__" not in file.parts
    )
    checked = re.search(r"no issues found in (\d+) source files?", result.stdout)
    assert checked is not None, result.stdout + result.stderr
    assert int(checked.group(1)) == expected, result.stdout

"""SQL style is enforced, not just configured: `sqlfluff lint models macros dbt_tests` with the dbt templater
(config in .sqlfluff) must exit clean. Macro files are checked as rendered into the models that use them. The
templater compiles the project against a scratch DuckDB file through a temporary copy of profiles.example.yml."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_sqlfluff_lint_is_clean(tmp_path: Path, dbt_project_dir: Path, duckdb_profiles_dir: Path) -> None:
    profiles = duckdb_profiles_dir
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(profiles),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "IMPACT_DUCKDB_PATH": str(tmp_path / "lint.duckdb"),
        "IMPACT_DBT_TARGET": "local",
    }
    sqlfluff = Path(sys.executable).parent / "sqlfluff"
    result = subprocess.run(
        [str(sqlfluff), "lint", "models", "macros", "dbt_tests", "--disable-progress-bar", "--nocolor"],
        cwd=dbt_project_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"sqlfluff found problems:\n{result.stdout}\n{result.stderr}"

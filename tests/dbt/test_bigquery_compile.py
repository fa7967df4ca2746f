"""The BigQuery side, checked offline: every table model compiles for a BigQuery target (the `bigquery__`
macros render) and the compiled SQL parses as BigQuery SQL with sqlglot.

dbt-bigquery compiles without a network when the relation cache is not populated and no model asks the API
(table models do not; incremental ones do, so they are left out here). The profile is a throw-away one with a dummy
token: nothing ever reaches Google."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlglot

OFFLINE_PROFILE = """\
impact:
  target: bigquery
  outputs:
    bigquery:
      type: bigquery
      method: oauth-secrets
      token: dummy-offline
      project: impact-offline-check
      dataset: impact
      location: US
      threads: 2
"""


def test_models_compile_to_bigquery_sql(tmp_path: Path, dbt_project_dir: Path) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "profiles.yml").write_text(OFFLINE_PROFILE)
    target = tmp_path / "target"
    env = {**os.environ, "DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(tmp_path / "logs")}
    dbt = Path(sys.executable).parent / "dbt"
    result = subprocess.run(
        [
            str(dbt),
            "compile",
            "--project-dir",
            str(dbt_project_dir),
            "--profiles-dir",
            str(tmp_path / "profiles"),
            "--no-populate-cache",
            "--select",
            "resource_type:model,config.materialized:table",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, (
        f"dbt compile for BigQuery failed:\n{result.stdout[-5000:]}\n{result.stderr}"
    )

    compiled = target / "compiled" / "impact" / "models"
    models = sorted(
        path for path in compiled.rglob("*.sql") if not any(p.suffix == ".yml" for p in path.parents)
    )
    names = {path.stem for path in models}
    assert {
        "stg_github__events",
        "stg_github__commits",
        "int_events__github",
        "events_daily_to_project",
    } <= names
    problems = []
    for path in models:
        try:
            sqlglot.parse(path.read_text(), read="bigquery", error_level=sqlglot.ErrorLevel.RAISE)
        except sqlglot.errors.ParseError as error:
            problems.append(f"{path.relative_to(compiled)}: {error}")
    assert not problems, "compiled models that are not valid BigQuery SQL:\n" + "\n\n".join(problems)

    # The dialect macros took their BigQuery branch.
    commits = (compiled / "staging" / "github" / "stg_github__commits.sql").read_text()
    assert "json_query_array(" in commits and "json_value(" in commits and "regexp_extract(" in commits
    projects = (compiled / "staging" / "registry" / "stg_registry__projects.sql").read_text()
    assert "to_hex(sha256(concat(" in projects and "code_points_to_string([31])" in projects

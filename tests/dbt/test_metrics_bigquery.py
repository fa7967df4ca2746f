"""The metric models compile for BigQuery, and the SQL parses as BigQuery SQL (sqlglot), for both of their shapes:
a first build (no table yet) and an incremental run (the table exists, `is_incremental()` is true).

Offline, like tests/dbt/test_bigquery_compile.py: a throw-away profile with a dummy token. dbt asks BigQuery
whether an incremental model's table exists; here, in a child process, that one adapter call is answered locally
(no table, or a table), so nothing ever reaches Google."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlglot

REPO_ROOT = Path(__file__).resolve().parents[2]
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
COMPILE = """\
import sys
from dbt.adapters.bigquery.impl import BigQueryAdapter
from dbt.adapters.bigquery.relation import BigQueryRelation
from dbt.cli.main import dbtRunner

project_dir, profiles_dir, target_root = sys.argv[1:4]
existing = False

def get_relation(self, database, schema, identifier):
    if not existing:
        return None
    return BigQueryRelation.create(database=database, schema=schema, identifier=identifier, type="table")

BigQueryAdapter.get_relation = get_relation
for shape in ("first_build", "incremental"):
    existing = shape == "incremental"
    result = dbtRunner().invoke(
        ["compile", "--no-populate-cache", "--project-dir", project_dir, "--profiles-dir", profiles_dir,
         "--target-path", f"{target_root}/{shape}", "--select", "path:models/marts/metrics,resource_type:model"]
    )
    print(f"dbt compile ({shape}):", "ok" if result.success else f"failed: {result.exception}")
    if not result.success:
        sys.exit(1)
"""


@pytest.mark.slow
def test_metric_models_compile_to_bigquery_sql(tmp_path: Path) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "profiles.yml").write_text(OFFLINE_PROFILE)
    env = {**os.environ, "DBT_LOG_PATH": str(tmp_path / "logs")}
    result = subprocess.run(
        [sys.executable, "-c", COMPILE, str(REPO_ROOT), str(tmp_path / "profiles"), str(tmp_path / "target")],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, (
        f"dbt compile for BigQuery failed:\n{result.stdout[-5000:]}\n{result.stderr}"
    )

    for shape in ("first_build", "incremental"):
        folder = tmp_path / "target" / shape / "compiled" / "impact" / "models" / "marts" / "metrics"
        compiled = sorted(folder.glob("*.sql"))
        metric_models = [p for p in compiled if "entity_ranges" in p.read_text()]
        assert len(metric_models) >= 14
        for path in compiled:
            sql = path.read_text()
            sqlglot.parse(sql, read="bigquery")  # raises on anything BigQuery would not parse
            assert '"window"' not in sql, f"{path.name}: `window` must be quoted with backticks on BigQuery"
        for path in metric_models:
            sql = path.read_text()
            assert "generate_date_array(" in sql
            assert ("incremental_start as (" in sql) == (shape == "incremental"), f"{shape}: {path.name}"

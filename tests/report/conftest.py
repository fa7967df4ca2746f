"""Fixtures of the report tests: `report_warehouse`, a real DuckDB warehouse built by `dbt build` from the hand-made
rows of tests/fixtures/dbt (registry, GH Archive hours, Optimism transactions), with three additions made here:

- a hostile project: name and display name `<script>alert(1)</script>`, description `<img src=x onerror=...>`,
  owning repo 999 `someone/else` (in the fixture, a repository of no project: one star by dave on 2024-05-21),
  and a member of the collection `op-retrofunding`;
- the GH Archive hour `2025-12-15-10.json.gz` recorded as missing in the load of 2025-12-15 (raw._loads), as the
  real loader records an hour file that is not there.

The helpers that load the fixture rows and run dbt are those of tests/dbt/conftest.py, loaded by path (pytest runs
with --import-mode=importlib, so a conftest cannot be imported by name). Built once per session (~30 s)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow as pa
import pytest

from ingestion.warehouse import connect, day_load

HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_DESCRIPTION = "<img src=x onerror=alert(2)> & more"
MISSING_HOUR = "2025-12-15-10.json.gz"


def _dbt_helpers() -> ModuleType:
    name = "report_dbt_fixture_helpers"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "dbt" / "conftest.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _registry_rows(helpers: Any) -> dict[str, list[dict]]:
    rows = helpers.registry_fixture_rows(helpers.FIXTURES / "registry.json")
    loaded = {"_source_file": "hostile.yaml", "_loaded_at": helpers.LOADED_AT}
    rows["registry_projects"].append(
        {
            "project_name": HOSTILE_NAME,
            "display_name": HOSTILE_NAME,
            "description": HOSTILE_DESCRIPTION,
            "websites": [],
            "social": None,
        }
        | loaded
    )
    rows["registry_artifacts"].append(
        {
            "project_name": HOSTILE_NAME,
            "artifact_source": "GITHUB",
            "artifact_kind": "REPOSITORY",
            "artifact_namespace": "someone",
            "artifact_name": "else",
            "artifact_url": "https://github.com/someone/else",
            "network": None,
            "tags": None,
            "address_label": None,
        }
        | loaded
    )
    member = next(c for c in rows["registry_collections"] if c["collection_name"] == "op-retrofunding")
    rows["registry_collections"].append({**member, "project_name": HOSTILE_NAME})
    return rows


@pytest.fixture(scope="session")
def report_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    helpers = _dbt_helpers()
    folder = tmp_path_factory.mktemp("report_warehouse")
    warehouse = folder / "warehouse.duckdb"
    con = connect(warehouse)
    try:
        for table, rows in _registry_rows(helpers).items():
            columns = list(rows[0])
            con.executemany(
                f"insert into raw.{table} ({', '.join(columns)}) values ({', '.join('?' for _ in columns)})",  # noqa: S608
                [[row[column] for column in columns] for row in rows],
            )
        for day, files in helpers.gharchive_fixture_files(helpers.FIXTURES / "gharchive").items():
            with day_load(con, "github", "github_events", "archive_day", day) as load:
                for rows in files:
                    load.insert(pa.Table.from_pylist(rows, schema=helpers.GITHUB_EVENTS_SCHEMA))
                    load.stats.files_read += 1
                    load.stats.rows_read += len(rows)
                    load.stats.rows_kept += len(rows)
                if MISSING_HOUR.startswith(day.isoformat()):
                    load.stats.missing_files.append(MISSING_HOUR)
        helpers.load_optimism_fixture(con, helpers.FIXTURES / "optimism.json")
    finally:
        con.close()
    # dbt in a child process: in-process, dbt-duckdb keeps the file open read-write, and DuckDB then refuses the
    # read-only connection the report opens.
    dbt = Path(sys.executable).with_name("dbt")
    command = [
        str(dbt),
        "--quiet",
        "build",
        "--warn-error",
        "--project-dir",
        str(helpers.REPO_ROOT),
        "--profiles-dir",
        str(helpers.make_profiles_dir(folder / "profiles")),
        "--target-path",
        str(folder / "target"),
        "--log-path",
        str(folder / "logs"),
    ]
    done = subprocess.run(
        command, env={**os.environ, **helpers.dbt_env(warehouse)}, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"dbt build failed:\n{done.stdout}\n{done.stderr}"
    return warehouse

"""Fixtures of the dbt tests. `built_warehouse` is a real DuckDB file: raw tables made by
`ingestion.warehouse.connect`, the hand-made rows of tests/fixtures/dbt loaded through the same atomic day loads the
ingestion uses, then `dbt build --warn-error` run in-process on it. Built once per session (about 20 s).

pytest runs with --import-mode=importlib, so test modules cannot import from here: they get what they need as
fixtures (`built_warehouse`, `dbt_project_dir`, `duckdb_profiles_dir`)."""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from ingestion.warehouse import connect, day_load

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "dbt"
LOADED_AT = datetime(2025, 12, 16, 6, 0, 0)

_USER = pa.struct(
    [
        ("id", pa.int64()),
        ("login", pa.string()),
        ("gravatar_id", pa.string()),
        ("avatar_url", pa.string()),
        ("url", pa.string()),
    ]
)
GITHUB_EVENTS_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("type", pa.string()),
        ("public", pa.bool_()),
        ("created_at", pa.timestamp("us")),
        ("repo", pa.struct([("id", pa.int64()), ("name", pa.string()), ("url", pa.string())])),
        ("actor", _USER),
        ("org", _USER),
        ("payload", pa.string()),
        ("other", pa.string()),
        ("archive_day", pa.date32()),
        ("_source_file", pa.string()),
        ("_loaded_at", pa.timestamp("us")),
    ]
)


@dataclass(frozen=True)
class BuiltWarehouse:
    """The DuckDB file dbt built, where its artifacts went, and how long the build took."""

    path: Path
    target_path: Path
    profiles_dir: Path
    build_seconds: float

    def query(self, sql: str, params: list[object] | None = None) -> list[tuple]:
        # Not read-only: dbt-duckdb, in this same process, may still hold the file open, and DuckDB refuses a
        # second connection to one file with another configuration.
        con = duckdb.connect(str(self.path))
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()


def _user(value: dict | None) -> dict | None:
    if value is None:
        return None
    return {name: value.get(name) for name in ("id", "login", "gravatar_id", "avatar_url", "url")}


def _gharchive_row(line: str, archive_day: date, source_file: str, loaded_at: datetime) -> dict:
    event = json.loads(line)
    return {
        "id": event["id"],
        "type": event["type"],
        "public": event.get("public"),
        "created_at": datetime.strptime(event["created_at"], "%Y-%m-%dT%H:%M:%SZ"),
        "repo": {name: event["repo"].get(name) for name in ("id", "name", "url")},
        "actor": _user(event.get("actor")),
        "org": _user(event.get("org")),
        "payload": json.dumps(event["payload"], separators=(",", ":")),
        "other": None,
        "archive_day": archive_day,
        "_source_file": source_file,
        "_loaded_at": loaded_at,
    }


def load_gharchive_fixtures(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """Load every `YYYY-MM-DD-H.json` file (GH Archive lines) as its archive day, one atomic day load per day.
    Each hour file gets its own `_loaded_at` (one second apart, in file order) as the real loader's would."""
    by_day: dict[date, list[Path]] = {}
    for path in sorted(folder.glob("*.json"), key=lambda p: (p.stem[:10], int(p.stem[11:]))):
        by_day.setdefault(date.fromisoformat(path.stem[:10]), []).append(path)
    for day, paths in sorted(by_day.items()):
        with day_load(con, "github", "github_events", "archive_day", day) as load:
            for index, path in enumerate(paths):
                loaded_at = LOADED_AT + timedelta(seconds=index)
                lines = [line for line in path.read_text().splitlines() if line.strip()]
                rows = [_gharchive_row(line, day, path.name, loaded_at) for line in lines]
                load.insert(pa.Table.from_pylist(rows, schema=GITHUB_EVENTS_SCHEMA))
                load.stats.files_read += 1
                load.stats.rows_read += len(rows)
                load.stats.rows_kept += len(rows)


def load_registry_fixture(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    registry = json.loads(path.read_text())
    source_file = path.name
    con.executemany(
        "insert into raw.registry_projects (project_name, display_name, description, websites, social,"
        " _source_file, _loaded_at) values (?, ?, ?, ?, null, ?, ?)",
        [
            [p["project_name"], p["display_name"], p["description"], p["websites"], source_file, LOADED_AT]
            for p in registry["projects"]
        ],
    )
    con.executemany(
        "insert into raw.registry_collections (collection_name, display_name, description, project_name,"
        " _source_file, _loaded_at) values (?, ?, ?, ?, ?, ?)",
        [
            [
                c["collection_name"],
                c["display_name"],
                c["description"],
                c["project_name"],
                source_file,
                LOADED_AT,
            ]
            for c in registry["collections"]
        ],
    )
    con.executemany(
        "insert into raw.registry_artifacts (project_name, artifact_source, artifact_kind, artifact_namespace,"
        " artifact_name, artifact_url, network, tags, address_label, _source_file, _loaded_at)"
        " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                a["project_name"],
                a["artifact_source"],
                a["artifact_kind"],
                a["artifact_namespace"],
                a["artifact_name"],
                a["artifact_url"],
                a["network"],
                a["tags"],
                a["address_label"],
                source_file,
                LOADED_AT,
            ]
            for a in registry["artifacts"]
        ],
    )


def make_profiles_dir(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO_ROOT / "profiles.example.yml", folder / "profiles.yml")
    return folder


def dbt_env(warehouse: Path) -> dict[str, str]:
    return {"IMPACT_DUCKDB_PATH": str(warehouse), "IMPACT_DBT_TARGET": "local"}


def build_fixture_warehouse(folder: Path) -> BuiltWarehouse:
    """Load the fixtures into `folder`/warehouse.duckdb and run `dbt build --warn-error` on it."""
    from dbt.cli.main import dbtRunner

    warehouse = folder / "warehouse.duckdb"
    con = connect(warehouse)
    try:
        load_registry_fixture(con, FIXTURES / "registry.json")
        load_gharchive_fixtures(con, FIXTURES / "gharchive")
    finally:
        con.close()

    profiles = make_profiles_dir(folder / "profiles")
    target_path = folder / "target"
    saved = {key: os.environ.get(key) for key in dbt_env(warehouse)}
    os.environ.update(dbt_env(warehouse))
    try:
        started = time.perf_counter()
        result = dbtRunner().invoke(
            [
                "--quiet",
                "build",
                "--warn-error",
                "--project-dir",
                str(REPO_ROOT),
                "--profiles-dir",
                str(profiles),
                "--target-path",
                str(target_path),
                "--log-path",
                str(folder / "logs"),
            ]
        )
        seconds = time.perf_counter() - started
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    failures = [
        f"{r.node.unique_id}: {r.status} {r.message}"
        for r in (getattr(result.result, "results", None) or [])
        if str(getattr(r.status, "value", r.status)) not in {"success", "pass"}
    ]
    if not result.success:
        raise AssertionError(f"dbt build failed ({result.exception}):\n" + "\n".join(failures))
    return BuiltWarehouse(warehouse, target_path, profiles, seconds)


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    return build_fixture_warehouse(tmp_path_factory.mktemp("dbt_build"))


@pytest.fixture(scope="session")
def dbt_project_dir() -> Path:
    """The dbt project (the repository root)."""
    return REPO_ROOT


@pytest.fixture
def duckdb_profiles_dir(tmp_path: Path) -> Path:
    """A folder holding profiles.example.yml as profiles.yml (target `local`, DuckDB at IMPACT_DUCKDB_PATH)."""
    return make_profiles_dir(tmp_path / "profiles")

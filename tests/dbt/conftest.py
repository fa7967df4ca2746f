"""Fixtures of the dbt tests. `built_warehouse` is a real DuckDB file: raw tables made by
`ingestion.warehouse.connect`, the hand-made rows of tests/fixtures/dbt loaded through the same atomic day loads the
ingestion uses, then `dbt build --warn-error` run in-process on it. Built once per session (about 20 s).

The cross-engine pair, built only when a test asks for it (tests/dbt/test_bigquery_build.py):
- `parity_duckdb_warehouse`: the same DuckDB build, with the Optimism rows of tests/fixtures/dbt/optimism.json too.
- `bigquery_fixture_build`: the same raw rows (registry, GH Archive, Optimism) loaded by load jobs into the raw
  tables `ingestion.bigquery.raw.BigQueryRaw.ensure()` creates in a fresh project of the BigQuery emulator, then
  `dbt build --warn-error --target bigquery` with profiles.example.yml, through a `CtasFixProxy` in front of an
  emulator server of its own (`bq_dbt_emulator`; see there why not the session's shared one).

Offline, `bigquery_offline_sql`: every model compiled for BigQuery in both shapes (no table yet / the table exists)
and the SQL dbt-bigquery's incremental materialization sends on an incremental run, recorded instead of sent.

pytest runs with --import-mode=importlib, so test modules cannot import from here: they get what they need as
fixtures (`built_warehouse`, `dbt_project_dir`, `duckdb_profiles_dir`, `parity_duckdb_warehouse`,
`bigquery_fixture_build`, `bigquery_offline_sql`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pytest

from ingestion.raw_schema import OPTIMISM_TRANSACTIONS, RAW_TABLES, Column
from ingestion.warehouse import connect, day_load

if TYPE_CHECKING:
    from bqemulator import BigQueryEmulator
    from google.cloud import bigquery

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


def gharchive_fixture_files(folder: Path) -> dict[date, list[list[dict]]]:
    """Every `YYYY-MM-DD-H.json` file (GH Archive lines) as raw.github_events rows, per archive day and hour file
    in order. Each hour file gets its own `_loaded_at` (one second apart, in file order) as the real loader's
    would."""
    by_day: dict[date, list[Path]] = {}
    for path in sorted(folder.glob("*.json"), key=lambda p: (p.stem[:10], int(p.stem[11:]))):
        by_day.setdefault(date.fromisoformat(path.stem[:10]), []).append(path)
    files: dict[date, list[list[dict]]] = {}
    for day, paths in sorted(by_day.items()):
        for index, path in enumerate(paths):
            loaded_at = LOADED_AT + timedelta(seconds=index)
            lines = [line for line in path.read_text().splitlines() if line.strip()]
            files.setdefault(day, []).append(
                [_gharchive_row(line, day, path.name, loaded_at) for line in lines]
            )
    return files


def load_gharchive_fixtures(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """Load the GH Archive fixture files, one atomic day load per archive day."""
    for day, files in gharchive_fixture_files(folder).items():
        with day_load(con, "github", "github_events", "archive_day", day) as load:
            for rows in files:
                load.insert(pa.Table.from_pylist(rows, schema=GITHUB_EVENTS_SCHEMA))
                load.stats.files_read += 1
                load.stats.rows_read += len(rows)
                load.stats.rows_kept += len(rows)


_ARROW_TYPES = {
    "string": pa.string(),
    "int64": pa.int64(),
    "bool": pa.bool_(),
    "float64": pa.float64(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
    "wei": pa.decimal128(38, 0),
}


def _arrow_field(column: Column) -> pa.Field:
    kind = _ARROW_TYPES[column.type]
    return pa.field(column.name, pa.list_(kind) if column.repeated else kind)


OPTIMISM_TRANSACTIONS_SCHEMA = pa.schema([_arrow_field(column) for column in OPTIMISM_TRANSACTIONS.columns])


def optimism_fixture_days(path: Path) -> dict[date, list[dict]]:
    """tests/fixtures/dbt/optimism.json as raw.optimism_transactions rows per day load (wei as exact Decimals)."""
    wei = {column.name for column in OPTIMISM_TRANSACTIONS.columns if column.type == "wei"}
    days: dict[date, list[dict]] = {}
    for entry in json.loads(path.read_text())["days"]:
        day = date.fromisoformat(entry["day"])
        loaded_at = datetime.fromisoformat(entry["loaded_at"])
        days[day] = [
            {
                **{
                    key: Decimal(value) if key in wei and value is not None else value
                    for key, value in row.items()
                },
                "block_timestamp": datetime.fromisoformat(row["block_timestamp"]),
                "block_day": day,
                "_source_file": f"transactions/{day.isoformat()}.csv",
                "_loaded_at": loaded_at,
            }
            for row in entry["rows"]
        ]
    return days


def load_optimism_fixture(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Load the Optimism fixture rows, one atomic day load per day."""
    for day, rows in optimism_fixture_days(path).items():
        with day_load(con, "optimism", "optimism_transactions", "block_day", day) as load:
            load.insert(pa.Table.from_pylist(rows, schema=OPTIMISM_TRANSACTIONS_SCHEMA))
            load.stats.files_read += 2
            load.stats.rows_read += len(rows)
            load.stats.rows_kept += len(rows)


def registry_fixture_rows(path: Path) -> dict[str, list[dict]]:
    """registry.json as the rows of raw.registry_projects, raw.registry_collections and raw.registry_artifacts."""
    registry = json.loads(path.read_text())
    loaded = {"_source_file": path.name, "_loaded_at": LOADED_AT}
    return {
        "registry_projects": [
            {
                **{key: p[key] for key in ("project_name", "display_name", "description", "websites")},
                "social": None,
            }
            | loaded
            for p in registry["projects"]
        ],
        "registry_collections": [
            {key: c[key] for key in ("collection_name", "display_name", "description", "project_name")}
            | loaded
            for c in registry["collections"]
        ],
        "registry_artifacts": [
            {
                key: a[key]
                for key in (
                    "project_name",
                    "artifact_source",
                    "artifact_kind",
                    "artifact_namespace",
                    "artifact_name",
                    "artifact_url",
                    "network",
                    "tags",
                    "address_label",
                )
            }
            | loaded
            for a in registry["artifacts"]
        ],
    }


def load_registry_fixture(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    for table, rows in registry_fixture_rows(path).items():
        columns = list(rows[0])
        con.executemany(
            f"insert into raw.{table} ({', '.join(columns)}) values ({', '.join('?' for _ in columns)})",  # noqa: S608
            [[row[column] for column in columns] for row in rows],
        )


def make_profiles_dir(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO_ROOT / "profiles.example.yml", folder / "profiles.yml")
    return folder


def dbt_env(warehouse: Path) -> dict[str, str]:
    return {"IMPACT_DUCKDB_PATH": str(warehouse), "IMPACT_DBT_TARGET": "local"}


def run_dbt(folder: Path, env: dict[str, str], args: list[str]) -> tuple[Any, float]:
    """`dbt --quiet <args> --warn-error` in-process on the project, with profiles.example.yml and `env` set for
    the call only. Returns dbt's result and the seconds it took; raises AssertionError listing every node that did
    not pass."""
    from dbt.cli.main import dbtRunner

    profiles = make_profiles_dir(folder / "profiles")
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        started = time.perf_counter()
        result = dbtRunner().invoke(
            [
                "--quiet",
                *args,
                "--warn-error",
                "--project-dir",
                str(REPO_ROOT),
                "--profiles-dir",
                str(profiles),
                "--target-path",
                str(folder / "target"),
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
        if str(getattr(r.status, "value", r.status)) not in {"success", "pass", "no-op"}
    ]
    if not result.success:
        raise AssertionError(f"dbt {' '.join(args)} failed ({result.exception}):\n" + "\n".join(failures))
    return result, seconds


def build_fixture_warehouse(
    folder: Path, with_optimism: bool = False, gharchive: Path = FIXTURES / "gharchive"
) -> BuiltWarehouse:
    """Load the fixtures into `folder`/warehouse.duckdb and run `dbt build --warn-error` on it. `with_optimism`:
    the Optimism rows of optimism.json too (the cross-engine parity build; `built_warehouse` has none).
    `gharchive`: the folder of GH Archive hour files (default tests/fixtures/dbt/gharchive)."""
    warehouse = folder / "warehouse.duckdb"
    con = connect(warehouse)
    try:
        load_registry_fixture(con, FIXTURES / "registry.json")
        load_gharchive_fixtures(con, gharchive)
        if with_optimism:
            load_optimism_fixture(con, FIXTURES / "optimism.json")
    finally:
        con.close()
    _, seconds = run_dbt(folder, dbt_env(warehouse), ["build"])
    return BuiltWarehouse(warehouse, folder / "target", folder / "profiles", seconds)


# --------------------------------------------------------------------------------------------------------------
# The same fixture on the BigQuery emulator


def fixture_raw_tables() -> dict[str, list[dict]]:
    """Every raw row of the parity fixture (registry, GH Archive, Optimism), per raw table."""
    return {
        **registry_fixture_rows(FIXTURES / "registry.json"),
        "github_events": [
            row
            for files in gharchive_fixture_files(FIXTURES / "gharchive").values()
            for rows in files
            for row in rows
        ],
        "optimism_transactions": [
            row for rows in optimism_fixture_days(FIXTURES / "optimism.json").values() for row in rows
        ],
    }


def _json_value(value: object) -> object:
    """A value for a JSON load job: timestamps and dates in ISO form (a naive datetime is UTC, as BigQuery reads
    it), exact decimals (wei) as strings, records and lists element by element."""
    if isinstance(value, dict):
        return {key: _json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def load_bigquery_fixture(client: bigquery.Client, project: str, tables: dict[str, list[dict]]) -> None:
    """Create the raw dataset and tables (partitioned, clustered) as the ingestion does, then append each table's
    rows with one load job (explicit schema, newline-delimited JSON)."""
    from google.cloud import bigquery

    from ingestion.bigquery.jobs import QueryRunner
    from ingestion.bigquery.raw import BigQueryRaw

    BigQueryRaw(client, QueryRunner(client, max_bytes=10**12), project).ensure()
    for name, rows in tables.items():
        config = bigquery.LoadJobConfig(
            schema=RAW_TABLES[name].bigquery_schema(),
            source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
            write_disposition=bigquery.WriteDisposition.WRITE_APPEND,
        )
        job = client.load_table_from_json(
            [_json_value(row) for row in rows], f"{project}.raw.{name}", job_config=config
        )
        job.result()


def bigquery_dbt_env(project: str, endpoint: str) -> dict[str, str]:
    """The variables profiles.example.yml's `bigquery` output reads, for a local `endpoint` (the emulator, or a
    closed port offline): oauth-secrets with a placeholder token nothing checks; every other variable set too, so
    the developer's own environment cannot leak in."""
    return {
        "IMPACT_DBT_TARGET": "bigquery",
        "IMPACT_BQ_PROJECT": project,
        "IMPACT_BQ_DATASET": "impact",
        "IMPACT_BQ_LOCATION": "US",
        "IMPACT_BQ_METHOD": "oauth-secrets",
        "IMPACT_BQ_TOKEN": "emulator-placeholder",
        "IMPACT_BQ_KEYFILE": "",
        "IMPACT_BQ_ENDPOINT": endpoint,
        "IMPACT_BQ_MAX_BYTES": "100000000000",
    }


@dataclass(frozen=True)
class BigQueryBuild:
    """The fixture built by dbt on the BigQuery emulator: the project, a client on it, dbt's artifacts."""

    project: str
    client: bigquery.Client
    target_path: Path
    load_seconds: float
    build_seconds: float
    statuses: dict[str, str]
    """unique_id -> dbt's status, for every node the build ran."""

    def query(self, sql: str) -> list[tuple]:
        """Rows of a query run in the build's project (`dataset.table` names resolve there)."""
        return [tuple(row.values()) for row in self.client.query(sql).result()]


@pytest.fixture(scope="session")
def parity_duckdb_warehouse(tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    """The DuckDB build of the parity fixture: registry, GH Archive and Optimism rows."""
    return build_fixture_warehouse(tmp_path_factory.mktemp("dbt_parity_duckdb"), with_optimism=True)


@pytest.fixture(scope="session")
def bq_dbt_emulator(
    bq_emulator: BigQueryEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[BigQueryEmulator, str]]:
    """A BigQuery emulator of its own for the dbt build, and its `CtasFixProxy` endpoint for dbt-bigquery.

    The same installation as `bq_emulator` (which this asks for, so an emulator that cannot run skips or fails
    here the same way), another server: the emulator's cost per request grows with every job it has run (a build
    of this project is ~370 jobs; the same build took 126 s of emulator CPU on a fresh server and 241 s on one that
    had already run two builds), so on the session's shared server the build's time would depend on which tests
    ran before it."""
    bqemulator = sys.modules["bqemulator"]  # loaded by tests/conftest.py
    folder = tmp_path_factory.mktemp("bq-emulator-dbt")
    server = bqemulator.EmulatorServer(
        bqemulator.install(lambda message: None), data_dir=folder / "data", log_path=folder / "server.log"
    )
    try:
        emulator = server.start()
    except bqemulator.EmulatorError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        with bqemulator.CtasFixProxy(emulator.endpoint) as proxy:
            yield emulator, proxy.endpoint
    finally:
        server.stop()


@pytest.fixture(scope="session")
def bigquery_fixture_build(
    bq_dbt_emulator: tuple[BigQueryEmulator, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BigQueryBuild]:
    """The parity fixture loaded into a fresh emulator project and built by `dbt build --warn-error --target
    bigquery` (a first build: no table exists yet). Raises AssertionError naming every node that failed."""
    emulator, dbt_endpoint = bq_dbt_emulator
    folder = tmp_path_factory.mktemp("dbt_bigquery")
    project = f"t-dbt-parity-{uuid.uuid4().hex[:8]}"
    client = emulator.client(project)
    try:
        started = time.perf_counter()
        load_bigquery_fixture(client, project, fixture_raw_tables())
        load_seconds = time.perf_counter() - started
        result, seconds = run_dbt(
            folder, bigquery_dbt_env(project, dbt_endpoint), ["build", "--target", "bigquery"]
        )
        statuses = {
            r.node.unique_id: str(getattr(r.status, "value", r.status))
            for r in (getattr(result.result, "results", None) or [])
        }
        yield BigQueryBuild(project, client, folder / "target", load_seconds, seconds, statuses)
    finally:
        client.close()


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    return build_fixture_warehouse(tmp_path_factory.mktemp("dbt_build"))


@pytest.fixture(scope="session")
def cross_era_warehouse(tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    """The registry of tests/fixtures/dbt with the GH Archive hours of tests/fixtures/dbt_cross_era (twelve days
    across GH Archive's 2025-10-07 payload change, see its README), built by `dbt build --warn-error`."""
    return build_fixture_warehouse(
        tmp_path_factory.mktemp("dbt_cross_era"), gharchive=REPO_ROOT / "tests" / "fixtures" / "dbt_cross_era"
    )


@pytest.fixture(scope="session")
def dbt_in_warehouse() -> Callable[[Path, Path, list[str]], Any]:
    """`dbt --warn-error <args>` on the DuckDB file `warehouse`, with its artifacts under `folder`: for tests that
    write their own upstream tables (see run_dbt). Returns dbt's result."""
    return lambda folder, warehouse, args: run_dbt(folder, dbt_env(warehouse), args)[0]


@pytest.fixture(scope="session")
def dbt_project_dir() -> Path:
    """The dbt project (the repository root)."""
    return REPO_ROOT


@pytest.fixture
def duckdb_profiles_dir(tmp_path: Path) -> Path:
    """A folder holding profiles.example.yml as profiles.yml (target `local`, DuckDB at IMPACT_DUCKDB_PATH)."""
    return make_profiles_dir(tmp_path / "profiles")


# --------------------------------------------------------------------------------------------------------------
# BigQuery offline: compiled models and the incremental run's SQL, nothing sent

OFFLINE_PROJECT = "impact-offline-check"

# Runs in a child process (the adapter is patched there only). The boundary: dbt-bigquery's API calls are answered
# here instead of by BigQuery. `get_relation` says whether a model's table exists (the shape being compiled);
# `execute` records each statement with the node it belongs to and answers OK with no rows; on the incremental run
# the existing table's columns are the model's documented ones (the staging models') or the metric models'
# (which document none); persisting docs and dropping the temporary table do nothing. Anything else the adapter
# would ask goes to IMPACT_BQ_ENDPOINT, a closed local port, and fails: nothing reaches Google.
_OFFLINE_BIGQUERY = """
import json, shutil, sys
from pathlib import Path

from dbt.adapters.bigquery.column import BigQueryColumn
from dbt.adapters.bigquery.connections import BigQueryAdapterResponse, BigQueryConnectionManager
from dbt.adapters.bigquery.impl import BigQueryAdapter
from dbt.adapters.bigquery.relation import BigQueryRelation
from dbt.cli.main import dbtRunner
from dbt_common.clients import agate_helper

project_dir, profiles_dir, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
METRIC_COLUMNS = [("metric", "STRING"), ("entity_type", "STRING"), ("entity_id", "STRING"), ("sample_date", "DATE"),
                  ("window", "STRING"), ("amount", "FLOAT64"), ("unit", "STRING"), ("data_complete", "BOOL")]
existing = False
sent = []

def get_relation(self, database, schema, identifier):
    if not existing:
        return None
    return BigQueryRelation.create(database=database, schema=schema, identifier=identifier, type="table")

def execute(self, sql, auto_begin=False, fetch=None, limit=None):
    sent.append({"node": self.get_thread_connection().name, "sql": sql})
    return BigQueryAdapterResponse(_message="OK"), agate_helper.empty_table()

def get_columns_in_relation(self, relation):
    # The model's documented columns (names are what the MERGE needs; the type is a placeholder), else the metric
    # models' columns.
    name = relation.identifier.split("__dbt_tmp")[0]
    manifest = json.loads((out / "target" / "manifest.json").read_text())
    documented = [
        (column, "STRING")
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["name"] == name
        for column in node["columns"]
    ]
    return [BigQueryColumn(n, t) for n, t in documented or METRIC_COLUMNS]

BigQueryAdapter.get_relation = get_relation
BigQueryAdapter.get_columns_in_relation = get_columns_in_relation
BigQueryAdapter.list_schemas = lambda self, database: ["staging", "intermediate", "marts", "seeds"]
BigQueryAdapter.drop_relation = lambda self, relation: None
BigQueryAdapter.update_columns = lambda self, relation, columns: None
BigQueryAdapter.update_table_description = lambda self, *args, **kwargs: None
BigQueryConnectionManager.execute = execute

def dbt(*args):
    common = ["--no-populate-cache", "--project-dir", project_dir, "--profiles-dir", profiles_dir,
              "--target-path", str(out / "target"), "--threads", "1"]
    result = dbtRunner().invoke([args[0], *common, *args[1:]])
    print(f"dbt {' '.join(args)}:", "ok" if result.success else f"failed: {result.exception}", flush=True)
    if not result.success:
        sys.exit(1)

for shape in ("first_build", "incremental"):
    existing = shape == "incremental"
    dbt("compile", "--select", "resource_type:model")
    shutil.move(out / "target" / "compiled" / "impact" / "models", out / shape)
dbt("run", "--select", "config.materialized:incremental")
(out / "incremental_run.json").write_text(json.dumps(sent, indent=1))
"""


@dataclass(frozen=True)
class OfflineBigQuerySql:
    """Every model compiled for BigQuery, in both shapes, and what an incremental run sends."""

    first_build: Path
    """compiled/impact/models of `dbt compile` when no model's table exists (a first build)."""
    incremental: Path
    """The same when every table exists: incremental models take their `is_incremental()` shape."""
    incremental_run: dict[str, list[str]]
    """unique_id of each incremental model -> the statements `dbt run` sent for it, in order."""
    manifest: dict[str, Any]

    def compiled(self, shape: str) -> dict[str, Path]:
        """model name -> its compiled SQL file, for shape `first_build` or `incremental`."""
        folder = self.first_build if shape == "first_build" else self.incremental
        return {
            path.stem: path
            for path in folder.rglob("*.sql")
            if not any(parent.suffix == ".yml" for parent in path.relative_to(folder).parents)  # data tests
        }


@pytest.fixture(scope="session")
def bigquery_offline_sql(tmp_path_factory: pytest.TempPathFactory) -> OfflineBigQuerySql:
    """`dbt compile` of every model for the `bigquery` target of profiles.example.yml, with no table and with every
    table existing, then `dbt run` of the incremental models as an incremental run, all in one child process with
    the adapter's API calls answered locally (see `_OFFLINE_BIGQUERY`). About 30 s."""
    folder = tmp_path_factory.mktemp("bigquery_offline")
    profiles = make_profiles_dir(folder / "profiles")
    env = {
        **os.environ,
        **bigquery_dbt_env(OFFLINE_PROJECT, "http://127.0.0.1:9"),
        "DBT_LOG_PATH": str(folder / "logs"),
    }
    result = subprocess.run(
        [sys.executable, "-c", _OFFLINE_BIGQUERY, str(REPO_ROOT), str(profiles), str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, (
        f"dbt for BigQuery (offline) failed:\n{result.stdout[-6000:]}\n{result.stderr}"
    )
    statements: dict[str, list[str]] = {}
    for entry in json.loads((folder / "incremental_run.json").read_text()):
        statements.setdefault(entry["node"], []).append(entry["sql"])
    manifest = json.loads((folder / "target" / "manifest.json").read_text())
    return OfflineBigQuerySql(folder / "first_build", folder / "incremental", statements, manifest)

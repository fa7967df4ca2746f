"""Incremental runs equal a full refresh: the staging models over the raw layer and the metric models.

A real pipeline on a temporary DuckDB file: the sample registry, 24 days of generated GH Archive hours and Optimism
day files (2025-09-15 .. 2025-10-08, across a month boundary and the 2025-10-07 payload change) ingested by the real
sources, and dbt run in-process with metric windows of 2 and 7 days and all time (var metric_windows: short windows
so that 24 days reach past them), metric_lookback_days 2 and staging_lookback_days 3.

The story, one build after another (`runs`, built once for the module):
1. Days 09-15 .. 10-07 are loaded, 09-30 last (after October's days), 10-06 without its last hours; a full-refresh
   build. A GitHub event of 09-30 (the "boundary event") is also in the first hour file of 10-01, and an
   Optimism transaction of 09-30 (the "boundary transaction") is also in the load of 10-01: twins across the month
   boundary, the October copy loaded first.
2. 10-06 is re-loaded whole (inside the lookback: its missing hours arrive), 10-01 is re-loaded (its copies of
   the twins are now loaded after September's), 10-08 is loaded, holding copies of an event of 09-29 (the "late
   event") and a transaction of 09-28 (the "late transaction"); an incremental run. The staging models start
   from the month holding 10-07 - 3 days: they read the raw days from 10-01 on and rewrite October; the metric
   models recompute from 10-01 (the month of 10-06 = 10-07 + 1 - 2).
3. A full refresh of everything on the same data: every table and view the runs built must equal step 2's, row
   for row; the twins are kept once, on their earlier (September) day, in both.
4. A September day gains a row in the raw layer (as a late re-load of it could) and the staging models run
   incrementally again: they are unchanged, because the run reads no September partition (and that is why a
   load of a day before the lookback needs a --full-refresh build).
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from ingestion.metric_catalog import metric_names
from ingestion.pipeline import tracked_deployers
from ingestion.registry import Registry, load_registry, write_registry
from ingestion.sample.gharchive import SAMPLE_REPOS, generate_hour_files, hour_file_name
from ingestion.sample.optimism import sample_addresses, write_sample
from ingestion.sources.gharchive import ingest_github
from ingestion.sources.optimism import ingest_optimism
from ingestion.warehouse import connect

REPO_ROOT = Path(__file__).resolve().parents[2]
METRICS_DIR = REPO_ROOT / "models" / "marts" / "metrics"
FIRST_DAY = date(2025, 9, 15)
LAST_DAY = date(2025, 10, 8)
SEPTEMBER_30 = date(2025, 9, 30)
OCTOBER_1 = date(2025, 10, 1)
RELOADED_DAY = date(2025, 10, 6)
METRIC_LOOKBACK_DAYS = 2
STAGING_LOOKBACK_DAYS = 3
# Both lookbacks reach back into October only (10-06 for the metrics, 10-04 for staging): runs rewrite whole months.
FIRST_RECOMPUTED_DAY = OCTOBER_1
LATE_LOADED_DAY = date(2025, 9, 20)
# Each incremental staging model -> its key and day column.
STAGING = {
    "stg_github__events": ("event_id", "archive_day"),
    "stg_optimism__transactions": ("transaction_hash", "block_day"),
}


def metric_models() -> list[str]:
    return sorted(p.stem for p in METRICS_DIR.glob("*.sql") if "metric_timeseries(" in p.read_text())


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _read_hour(path: Path) -> list[bytes]:
    return [line for line in gzip.decompress(path.read_bytes()).splitlines() if line.strip()]


def _append_line(path: Path, line: bytes) -> None:
    path.write_bytes(gzip.compress(b"\n".join([*_read_hour(path), line]) + b"\n", mtime=0))


@dataclass(frozen=True)
class Twin:
    """An event or transaction present on two days: kept once, on `kept_day`."""

    model: str
    key: str
    kept_day: date
    copy_day: date
    raw_days: tuple[date, ...]
    """The days the raw layer holds it on, at the end."""


@dataclass(frozen=True)
class Snapshot:
    """What one step of the module docstring left in the warehouse."""

    relations: dict[str, list[tuple]]
    """Every table and view dbt built -> its rows, ordered."""
    days: dict[str, dict[str, list[date]]]
    """Each staging model -> its key (event id, transaction hash) -> the day (archive_day, block_day) of each row."""


@dataclass(frozen=True)
class Runs:
    first: Snapshot
    incremental: Snapshot
    full: Snapshot
    after_late_load: Snapshot
    twins: dict[str, Twin]
    reloaded_keys: dict[str, frozenset[str]]
    """Staging model -> the keys of the rows held back from RELOADED_DAY's first load (a superset: the Optimism
    afternoon's untracked transactions too)."""


class Warehouse:
    """A DuckDB file, its dbt profile and artifacts folders, and the steps the test runs on it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.path = folder / "warehouse.duckdb"
        self.gharchive = folder / "gharchive"
        self.optimism = folder / "optimism"
        self.profiles = folder / "profiles"
        self.profiles.mkdir()
        shutil.copyfile(REPO_ROOT / "profiles.example.yml", self.profiles / "profiles.yml")
        self.registry: Registry = load_registry(REPO_ROOT / "registry", REPO_ROOT / "seeds")
        with self.connection() as con:
            write_registry(con, self.registry)
        generate_hour_files(
            self.gharchive,
            FIRST_DAY,
            LAST_DAY,
            tracked_repos=SAMPLE_REPOS,
            seed=11,
            tracked_events_per_hour=2,
            noise_events_per_hour=0,
        )
        days = _days(FIRST_DAY, LAST_DAY)
        write_sample(
            self.optimism,
            sample_addresses(REPO_ROOT / "registry"),
            days,
            formats=[".csv"] * len(days),
            seed=5,
            noise_per_day=5,
            calls_per_contract=2,
        )

    def connection(self) -> duckdb.DuckDBPyConnection:
        return connect(self.path)

    def ingest(self, days: list[date]) -> None:
        with self.connection() as con:
            for day in days:
                ingest_github(con, self.gharchive, self.registry.tracked_github(), day, day, progress=False)
                ingest_optimism(
                    con,
                    self.optimism,
                    self.registry.tracked_addresses("optimism"),
                    day,
                    day,
                    progress=False,
                    deployers=tracked_deployers(self.registry),
                )

    def dbt(self, *args: str) -> None:
        from dbt.cli.main import dbtRunner

        result = dbtRunner().invoke(
            [
                "--quiet",
                *args,
                "--warn-error",
                "--project-dir",
                str(REPO_ROOT),
                "--profiles-dir",
                str(self.profiles),
                "--target-path",
                str(self.folder / "target"),
                "--log-path",
                str(self.folder / "logs"),
                "--vars",
                f"{{metric_lookback_days: {METRIC_LOOKBACK_DAYS}, metric_windows: ['2d', '7d', 'all'], "
                f"staging_lookback_days: {STAGING_LOOKBACK_DAYS}}}",
            ]
        )
        failures = [
            f"{r.node.unique_id}: {r.message}"
            for r in (getattr(result.result, "results", None) or [])
            if str(r.status) not in {"success", "pass"}
        ]
        assert result.success, f"dbt {' '.join(args)} failed ({result.exception}):\n" + "\n".join(failures)

    def snapshot(self) -> Snapshot:
        """Every table and view dbt built (staging, intermediate, marts), read whole and ordered."""
        with self.connection() as con:
            names = con.execute(
                "select table_schema, table_name from information_schema.tables"
                " where table_schema in ('staging', 'intermediate', 'marts') order by all"
            ).fetchall()
            relations = {
                name: con.execute(f'select * from {schema}."{name}" order by all').fetchall()  # noqa: S608
                for schema, name in names
            }
            days: dict[str, dict[str, list[date]]] = {}
            for model, (key, day_column) in STAGING.items():
                days[model] = {}
                for value, day in con.execute(
                    f"select {key}, {day_column} from staging.{model} order by all"  # noqa: S608
                ).fetchall():
                    days[model].setdefault(value, []).append(day)
        return Snapshot(relations, days)

    def raw_days(self, model: str, key: str) -> tuple[date, ...]:
        """The days of the raw rows behind one row of a staging model."""
        table, column, day_column = {
            "stg_github__events": ("github_events", "id", "archive_day"),
            "stg_optimism__transactions": ("optimism_transactions", "lower(transaction_hash)", "block_day"),
        }[model]
        with self.connection() as con:
            rows = con.execute(
                f"select {day_column} from raw.{table} where {column} = ? order by all",  # noqa: S608
                [key],
            ).fetchall()
        return tuple(row[0] for row in rows)

    def hold_back(self, name: str) -> Path:
        """Move a file aside (it is not there for the next load); returns where it went."""
        path = self.folder / name
        aside = self.folder / "held-back" / path.name
        aside.parent.mkdir(exist_ok=True)
        path.rename(aside)
        return aside

    def strays_into(self, day: date, hashes: list[str]) -> None:
        """Copy the raw rows of `hashes` into `day`'s load, as a day load holding a stray row of another day leaves
        them in raw.optimism_transactions (the local file loader rejects such a row; the raw layer allows it and
        staging deduplicates): the day's file, load time and day, the rest of the row as it is."""
        with self.connection() as con:
            load = con.execute(
                "select any_value(_source_file), max(_loaded_at) from raw.optimism_transactions"
                " where block_day = ?",
                [day],
            ).fetchone()
            assert load is not None
            source_file, loaded_at = load
            con.execute(
                "insert into raw.optimism_transactions by name select * replace"
                " (cast(? as date) as block_day, ? as _source_file, cast(? as timestamp) as _loaded_at)"
                " from raw.optimism_transactions where transaction_hash in (select unnest(?))",
                [day, source_file, loaded_at, hashes],
            )


def _first_event(path: Path) -> tuple[str, bytes]:
    line = _read_hour(path)[0]
    return str(json.loads(line)["id"]), line


def _first_tracked_transaction(warehouse: Warehouse, day: date) -> str:
    with warehouse.connection() as con:
        row = con.execute(
            "select min(transaction_hash) from raw.optimism_transactions where block_day = ?", [day]
        ).fetchone()
    assert row is not None and row[0] is not None, f"no tracked Optimism transaction on {day}"
    return str(row[0])


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    warehouse = Warehouse(tmp_path_factory.mktemp("incremental"))
    saved = {
        key: os.environ.get(key) for key in ("IMPACT_DUCKDB_PATH", "IMPACT_DBT_TARGET", "DBT_PROFILES_DIR")
    }
    os.environ.update({"IMPACT_DUCKDB_PATH": str(warehouse.path), "IMPACT_DBT_TARGET": "local"})
    os.environ.pop("DBT_PROFILES_DIR", None)
    try:
        yield _run_the_story(warehouse)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _run_the_story(warehouse: Warehouse) -> Runs:
    gharchive = warehouse.gharchive
    # Twins: an event of 09-30 23:00 also in 10-01's first hour; one of 09-29 in an hour of 10-08.
    boundary_event, line = _first_event(gharchive / hour_file_name(SEPTEMBER_30, 23))
    _append_line(gharchive / hour_file_name(OCTOBER_1, 0), line)
    late_event, line = _first_event(gharchive / hour_file_name(date(2025, 9, 29), 12))
    _append_line(gharchive / hour_file_name(LAST_DAY, 5), line)
    # 10-06 is first loaded without its last two hours, and the Optimism file of 10-06 without its afternoon.
    held_back = [warehouse.hold_back(f"gharchive/{hour_file_name(RELOADED_DAY, hour)}") for hour in (22, 23)]
    transactions = warehouse.optimism / "transactions" / f"{RELOADED_DAY.isoformat()}.csv"
    whole_day = transactions.read_text()
    header, *rows = whole_day.splitlines(keepends=True)
    assert header.startswith("block_timestamp,") and rows[0][10:11] == " "  # 2025-10-06 HH:MM:SS UTC
    transactions.write_text(header + "".join(row for row in rows if row[11:13] < "12"))
    reloaded_keys = {
        "stg_github__events": frozenset(
            str(json.loads(line)["id"]) for path in held_back for line in _read_hour(path)
        ),
        "stg_optimism__transactions": frozenset(
            record["transaction_hash"].lower()
            for record in csv.DictReader(whole_day.splitlines())
            if record["block_timestamp"][11:13] >= "12"
        ),
    }

    # 1. September 30 loaded last; a full-refresh build.
    warehouse.ingest(_days(FIRST_DAY, date(2025, 9, 29)) + _days(OCTOBER_1, date(2025, 10, 7)))
    warehouse.ingest([SEPTEMBER_30])
    boundary_transaction = _first_tracked_transaction(warehouse, SEPTEMBER_30)
    warehouse.strays_into(OCTOBER_1, [boundary_transaction])
    selection = "+path:models/marts/metrics"
    # The wide tables' contracts name the production windows: not built with the short ones (nor incremental).
    wide = ("--exclude", "code_metrics_by_project_v1", "onchain_metrics_by_project_v1")
    warehouse.dbt(
        "build",
        "--full-refresh",
        "--select",
        selection,
        *wide,
        "--resource-type",
        "seed",
        "--resource-type",
        "model",
    )
    first = warehouse.snapshot()

    # 2. 10-06 re-loaded whole, 10-01 re-loaded (with its stray copy), 10-08 loaded; an incremental run.
    for path in held_back:
        path.rename(gharchive / path.name)
    transactions.write_text(whole_day)
    late_transaction = _first_tracked_transaction(warehouse, date(2025, 9, 28))
    warehouse.ingest([RELOADED_DAY, OCTOBER_1, LAST_DAY])
    warehouse.strays_into(OCTOBER_1, [boundary_transaction])
    warehouse.strays_into(LAST_DAY, [late_transaction])
    warehouse.dbt("run", "--select", selection, *wide)
    incremental = warehouse.snapshot()

    # 3. A full refresh of everything on the same data.
    warehouse.dbt("run", "--full-refresh", "--select", selection, *wide)
    full = warehouse.snapshot()

    # 4. A September day gains a row in the raw layer; the staging models run incrementally.
    with warehouse.connection() as con:
        con.execute(
            "insert into raw.github_events by name select * replace (id || '9' as id)"
            " from raw.github_events where archive_day = ? order by id limit 1",
            [LATE_LOADED_DAY],
        )
        con.execute(
            "insert into raw.optimism_transactions by name"
            " select * replace (transaction_hash[1:64] || 'ff' as transaction_hash)"
            " from raw.optimism_transactions where block_day = ? order by transaction_hash limit 1",
            [LATE_LOADED_DAY],
        )
    warehouse.dbt("run", "--select", *STAGING)
    after_late_load = warehouse.snapshot()

    return Runs(
        first=first,
        incremental=incremental,
        full=full,
        after_late_load=after_late_load,
        twins={
            name: Twin(model, key, kept_day, copy_day, warehouse.raw_days(model, key))
            for name, model, key, kept_day, copy_day in (
                ("boundary event", "stg_github__events", boundary_event, SEPTEMBER_30, OCTOBER_1),
                ("late event", "stg_github__events", late_event, date(2025, 9, 29), LAST_DAY),
                (
                    "boundary transaction",
                    "stg_optimism__transactions",
                    boundary_transaction,
                    SEPTEMBER_30,
                    OCTOBER_1,
                ),
                (
                    "late transaction",
                    "stg_optimism__transactions",
                    late_transaction,
                    date(2025, 9, 28),
                    LAST_DAY,
                ),
            )
        },
        reloaded_keys=reloaded_keys,
    )


@pytest.mark.slow
def test_incremental_runs_equal_a_full_refresh_table_for_table(runs: Runs) -> None:
    """Step 2 against step 3: every relation the runs built, the two incremental staging models, the tables
    rebuilt from them and the incremental metric models, holds the same rows."""
    incremental, full = runs.incremental.relations, runs.full.relations
    assert set(incremental) == set(full)
    assert set(STAGING) | set(metric_models()) | {"int_events", "stg_github__commits"} <= set(full)
    for model in STAGING:
        assert full[model], f"{model} is empty: nothing was compared"
    differ = [name for name in full if incremental[name] != full[name]]
    assert not differ, f"the incremental run differs from a full refresh in: {differ}"


@pytest.mark.slow
def test_staging_rewrites_only_the_months_of_the_lookback(runs: Runs) -> None:
    """The staging models' rows of September (before the month holding 10-07 - 3 days) are the first build's,
    and October's were rewritten: the hours held back from 10-06's first load are there after its re-load."""
    for model in STAGING:
        september = {
            key: days for key, days in runs.first.days[model].items() if days[0] < FIRST_RECOMPUTED_DAY
        }
        assert september, model
        assert {
            key: days for key, days in runs.incremental.days[model].items() if days[0] < FIRST_RECOMPUTED_DAY
        } == september, model
        held_back = runs.reloaded_keys[model]
        assert not held_back & set(runs.first.days[model]), model
        kept_after_reload = held_back & set(runs.incremental.days[model])
        assert kept_after_reload, f"{model}: nothing of 10-06's re-load arrived"
        assert all(runs.incremental.days[model][key] == [RELOADED_DAY] for key in kept_after_reload), model
    # Every held-back GitHub event is on a tracked repo (no noise was generated): all of them arrived.
    assert runs.reloaded_keys["stg_github__events"] <= set(runs.incremental.days["stg_github__events"])


@pytest.mark.slow
def test_twins_are_kept_once_on_their_earlier_day(runs: Runs) -> None:
    """An event or transaction loaded on two days keeps the copy of the earlier day, whichever was loaded first:
    the boundary twins' October copies were loaded before September's copy at step 1 and after it at step 2;
    the late twins' copies arrive with 10-08 in a month the incremental run rewrites while their September
    originals are in a month it leaves alone."""
    for name, twin in runs.twins.items():
        assert twin.raw_days == (twin.kept_day, twin.copy_day), (name, twin)
        for step, snapshot in (("first", runs.first), ("incremental", runs.incremental), ("full", runs.full)):
            assert snapshot.days[twin.model].get(twin.key) == [twin.kept_day], (name, step, twin)


@pytest.mark.slow
def test_a_day_before_the_lookback_is_not_read(runs: Runs) -> None:
    """Step 4: LATE_LOADED_DAY gained a row in the raw layer, yet after an incremental run the staging models are
    as step 3 left them: the run read no September partition, and rewrote none (had it read September's raw rows,
    the one new row would have replaced September's partition, the others being dropped as already kept). A load
    of a day before the lookback is only picked up by a --full-refresh build."""
    for model in STAGING:
        assert any(LATE_LOADED_DAY in days for days in runs.full.days[model].values()), model
        assert runs.after_late_load.relations[model] == runs.full.relations[model], model


@pytest.mark.slow
def test_metric_models_recompute_from_the_lookback_month(runs: Runs) -> None:
    """The metric models' incremental run left the sample days before 10-01 as the first build had them, and has
    rows for the added day, whose events moved the all-time sums (about 40 generated events a day)."""
    models = metric_models()
    assert sorted(models) == sorted(metric_names())  # one model per catalog metric, all of them compared
    first, full = runs.first.relations, runs.full.relations
    assert max(row[3] for row in first["commit_count"]) == date(2025, 10, 7)
    for model in models:
        kept = [row for row in runs.incremental.relations[model] if row[3] < FIRST_RECOMPUTED_DAY]
        assert kept == [row for row in first[model] if row[3] < FIRST_RECOMPUTED_DAY], model
        assert any(row[3] == LAST_DAY for row in full[model]), f"{model}: no row for the added day"

    def all_time_total(day: date) -> float:
        return sum(r[5] for model in models for r in full[model] if r[3] == day and r[4] == "all")

    assert all_time_total(LAST_DAY) > all_time_total(date(2025, 10, 7))

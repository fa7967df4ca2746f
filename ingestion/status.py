"""`impact status`: what the warehouse holds and whether it can be trusted, as one value (`Status`).

Read from the warehouse itself, never from logs: the run state (`ingestion.run_state`), the latest load attempt of
each source and day (raw._loads), the last `dbt source freshness` and the last `dbt build` (raw._builds, from dbt's
run results), and the days GH Archive's 2025-10-07 payload change affects (marts.github_data_coverage_v1).

What fails the status (exit code 1):

* a source is **stale**: the last `impact freshness` (dbt `source freshness`) found its newest `loaded_at_field`
  value older than the source's `error_after` (models/staging/*/_*__sources.yml), or could not check it;
* the last `dbt build` has a failed node (a model, seed or snapshot that errored, a test that failed);
* the latest load attempt of a day failed;
* the last command that wrote the warehouse failed, or was interrupted (killed before it recorded its end).

Reported, not failing: a source past its `warn_after` only, warned tests, skipped nodes, missing GH Archive hours,
drift days, and freshness never checked. While another process holds a DuckDB warehouse, its tables cannot be
read: the status is the run (what, since when, which stage) and exits 0.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ingestion.errors import ConfigError
from ingestion.run_state import (
    FAILED,
    INTERRUPTED,
    RUNNING,
    FileRunStore,
    RunRecord,
    effective_status,
    reading,
)
from ingestion.settings import Settings
from ingestion.warehouse import utcnow

if TYPE_CHECKING:
    import duckdb

    from ingestion.bigquery.raw import BigQueryRaw

GH_ARCHIVE_CHANGE = date(2025, 10, 7)
STALE, WARN, PASS = "error", "warn", "pass"


@dataclass(frozen=True)
class DayLoad:
    """The latest load attempt of one source's day."""

    source: str
    day: date | None
    status: str
    rows_read: int
    rows_kept: int
    rows_rejected: int
    missing_files: tuple[str, ...]
    finished_at: datetime | None
    seconds: float | None
    error: str | None
    bytes_billed: int | None
    registry_fingerprint: str | None


@dataclass(frozen=True)
class SourceFreshness:
    """One source table's verdict in the last `dbt source freshness`."""

    source: str
    status: str
    max_loaded_at: str | None
    age_seconds: float | None
    warn_after: str | None
    error_after: str | None
    loaded_at_field: str | None
    message: str | None


@dataclass(frozen=True)
class BuildRecord:
    """One dbt invocation as raw._builds recorded it."""

    command: str
    status: str
    started_at: datetime | None
    finished_at: datetime | None
    seconds: float | None
    counts: Mapping[str, int]
    failures: tuple[str, ...]
    failed_nodes: tuple[str, ...]
    warned_nodes: tuple[str, ...]
    skipped_nodes: tuple[str, ...]


@dataclass(frozen=True)
class DriftDay:
    """A loaded archive day whose payloads no longer say commits and/or merges."""

    day: date
    commits_known: bool | None
    merges_known: bool | None


@dataclass(frozen=True)
class Status:
    target: str
    where: str
    checked_at: datetime
    latest: RunRecord | None
    """The newest command that wrote (or writes) the warehouse."""
    latest_status: str | None
    """Its status as it stands: running, ok, failed, or interrupted (running when it was killed)."""
    last_run: RunRecord | None
    """The newest `impact run` (what `impact run --resume` would pick up), when it is not `latest`."""
    readable: bool = True
    """False while another process holds the DuckDB warehouse: then only the run is known."""
    unreadable_because: str | None = None
    loads: tuple[DayLoad, ...] = ()
    freshness: tuple[SourceFreshness, ...] = ()
    freshness_checked_at: datetime | None = None
    build: BuildRecord | None = None
    drift_days: tuple[DriftDay, ...] = ()
    problems: tuple[str, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())

    @property
    def running(self) -> bool:
        return self.latest_status == RUNNING

    @property
    def exit_code(self) -> int:
        return 1 if self.problems else 0

    def to_json(self) -> dict[str, Any]:
        def when(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "target": self.target,
            "where": self.where,
            "checked_at": when(self.checked_at),
            "healthy": not self.problems,
            "exit_code": self.exit_code,
            "running": self.running,
            "problems": list(self.problems),
            "notes": list(self.notes),
            "run": None if self.latest is None else {**self.latest.to_json(), "status": self.latest_status},
            "last_pipeline_run": None if self.last_run is None else self.last_run.to_json(),
            "readable": self.readable,
            "loads": [
                {
                    "source": load.source,
                    "day": load.day.isoformat() if load.day else None,
                    "status": load.status,
                    "rows_read": load.rows_read,
                    "rows_kept": load.rows_kept,
                    "rows_rejected": load.rows_rejected,
                    "missing_files": list(load.missing_files),
                    "finished_at": when(load.finished_at),
                    "seconds": load.seconds,
                    "error": load.error,
                    "bytes_billed": load.bytes_billed,
                    "registry_fingerprint": load.registry_fingerprint,
                }
                for load in self.loads
            ],
            "freshness": {
                "checked_at": when(self.freshness_checked_at),
                "sources": [vars(f) for f in self.freshness],
            },
            "last_build": None
            if self.build is None
            else {
                **{k: v for k, v in vars(self.build).items() if not isinstance(v, datetime | tuple)},
                "started_at": when(self.build.started_at),
                "finished_at": when(self.build.finished_at),
                "counts": dict(self.build.counts),
                "failures": list(self.build.failures),
                "failed_nodes": list(self.build.failed_nodes),
                "warned_nodes": list(self.build.warned_nodes),
                "skipped_nodes": list(self.build.skipped_nodes),
            },
            "drift_days": [
                {"day": d.day.isoformat(), "commits_known": d.commits_known, "merges_known": d.merges_known}
                for d in self.drift_days
            ],
        }


# --- reading ---------------------------------------------------------------------------------------------------

LOADS_SQL = """
    select source, day, status, rows_read, rows_kept, rows_rejected, missing_files, finished_at,
           duration_seconds, error, {bytes_billed}, {fingerprint}
    from raw._loads
    qualify row_number() over (partition by source, day order by finished_at desc) = 1
    order by source, day
"""
BUILD_SQL = """
    select command, status, started_at, finished_at, duration_seconds, results, failures,
           {failed_nodes}, {warned_nodes}, {skipped_nodes}, {freshness}
    from raw._builds
    where command like {pattern}
    order by finished_at desc
    limit 1
"""
BUILD_COMMAND = "dbt build%"
FRESHNESS_COMMAND = "dbt source freshness%"
DRIFT_SQL = """
    select archive_day, commits_known, merges_known
    from {table}
    where commits_known = false or merges_known = false
    order by archive_day
"""
_NEWER_COLUMNS = {
    "_loads": ("bytes_billed", "registry_fingerprint"),
    "_builds": ("failed_nodes", "warned_nodes", "skipped_nodes", "freshness"),
}
"""Columns a warehouse made by an older version may lack (status reads, never migrates): read as NULL then."""


def _loads_sql(have: set[str]) -> str:
    return LOADS_SQL.format(
        bytes_billed="bytes_billed" if "bytes_billed" in have else "null",
        fingerprint="registry_fingerprint" if "registry_fingerprint" in have else "null",
    )


def _build_sql(have: set[str], pattern: str) -> str:
    columns = {name: name if name in have else "null" for name in _NEWER_COLUMNS["_builds"]}
    return BUILD_SQL.format(pattern=pattern, **columns)


def local_status(settings: Settings) -> Status:
    """The status of the DuckDB warehouse; answers while another process holds it."""
    path = settings.duckdb_path
    store = FileRunStore(path)
    with reading(path) as free:
        latest, last_run = store.latest(), store.last_run()

        def judged(writer_holds: bool, **read: Any) -> Status:
            state = effective_status(latest, writer_holds) if latest else None
            return judge(
                Status("local", str(path), utcnow(), latest, state, _other(last_run, latest), **read)
            )

        if not free:
            return judged(True, readable=False)
        if not path.exists():
            if latest is None:
                raise ConfigError(
                    f"no warehouse at {path}: run `impact run --start D --end D` (or `impact demo`) first"
                )
            # A run was recorded (it may have been killed) before it wrote anything: report the run.
            return judged(
                False,
                readable=False,
                unreadable_because=f"no warehouse file at {path} yet: nothing was loaded",
            )
        from ingestion.errors import WarehouseBusyError
        from ingestion.warehouse import connect

        try:
            con = connect(path, read_only=True)
        except WarehouseBusyError as busy:  # held outside impact's lock (a DuckDB shell, dbt run by hand)
            return judged(False, readable=False, unreadable_because=str(busy))
        try:
            read = _read_duckdb(con)
        finally:
            con.close()
        return judged(False, **read)


def _other(last_run: RunRecord | None, latest: RunRecord | None) -> RunRecord | None:
    return None if last_run is None or (latest is not None and latest.run_id == last_run.run_id) else last_run


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?",
            [table],
        ).fetchall()
    }


def _read_duckdb(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    loads_columns, builds_columns = _columns(con, "_loads"), _columns(con, "_builds")
    loads = con.execute(_loads_sql(loads_columns)).fetchall() if loads_columns else []
    build = fresh = None
    if builds_columns:
        build = con.execute(_build_sql(builds_columns, "?"), [BUILD_COMMAND]).fetchone()
        fresh = con.execute(_build_sql(builds_columns, "?"), [FRESHNESS_COMMAND]).fetchone()
    coverage = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'marts' and table_name = 'github_data_coverage_v1'"
    ).fetchone()
    drift = []
    if coverage and coverage[0]:
        drift = con.execute(DRIFT_SQL.format(table="marts.github_data_coverage_v1")).fetchall()
    return _parsed(loads, build, fresh, drift)


def bigquery_status(settings: Settings) -> Status:
    """The status of the BigQuery warehouse: the same from raw._runs, raw._loads, raw._builds and the marts
    dataset, each read by a small priced query."""
    from ingestion.raw_layer import BigQueryRawLayer
    from ingestion.run_state import BigQueryRunStore

    layer = BigQueryRawLayer(settings)
    store = BigQueryRunStore(layer)
    try:
        latest, last_run = store.latest(), store.last_run()
        read = _read_bigquery(layer.raw)
    finally:
        layer.close()
    return judge(
        Status(
            "bigquery",
            layer.raw.dataset,
            utcnow(),
            latest,
            effective_status(latest, None) if latest else None,
            _other(last_run, latest),
            **read,
        )
    )


def _read_bigquery(raw: BigQueryRaw) -> dict[str, Any]:
    from google.api_core.exceptions import NotFound
    from google.cloud import bigquery

    def columns(name: str) -> set[str]:
        try:
            return {f.name for f in raw.client.get_table(raw.table_id(name)).schema}
        except NotFound:
            return set()

    def rows(sql: str, params: Sequence[Any], what: str) -> list[tuple[Any, ...]]:
        return [tuple(r.values()) for r in raw.runner.run(sql, params, what, quiet=True).job.result()]

    loads_columns, builds_columns = columns("_loads"), columns("_builds")
    loads = []
    if loads_columns:
        loads = rows(
            _loads_sql(loads_columns).replace("raw._loads", raw.table_sql("_loads")), [], "status: raw._loads"
        )
    build = fresh = None
    if builds_columns:
        sql = _build_sql(builds_columns, "@pattern").replace("raw._builds", raw.table_sql("_builds"))
        found = rows(
            sql, [bigquery.ScalarQueryParameter("pattern", "STRING", BUILD_COMMAND)], "status: build"
        )
        build = found[0] if found else None
        found = rows(
            sql, [bigquery.ScalarQueryParameter("pattern", "STRING", FRESHNESS_COMMAND)], "status: freshness"
        )
        fresh = found[0] if found else None
    coverage = f"{raw.project}.marts.github_data_coverage_v1"
    drift: list[tuple[Any, ...]] = []
    try:
        raw.client.get_table(coverage)
    except NotFound:
        pass
    else:
        from ingestion.bigquery.raw import quote_path

        drift = rows(DRIFT_SQL.format(table=quote_path(coverage)), [], "status: drift days")
    return _parsed(loads, build, fresh, drift)


def _naive(value: object) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is not None:
        from datetime import UTC

        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _parsed(
    loads: Sequence[Sequence[Any]],
    build: Sequence[Any] | None,
    fresh: Sequence[Any] | None,
    drift: Sequence[Sequence[Any]],
) -> dict[str, Any]:
    day_loads = tuple(
        DayLoad(
            source=str(source),
            day=day,
            status=str(status),
            rows_read=int(read or 0),
            rows_kept=int(kept or 0),
            rows_rejected=int(rejected or 0),
            missing_files=tuple(missing or ()),
            finished_at=_naive(finished),
            seconds=None if seconds is None else float(seconds),
            error=error,
            bytes_billed=None if billed is None else int(billed),
            registry_fingerprint=fingerprint,
        )
        for source, day, status, read, kept, rejected, missing, finished, seconds, error, billed, fingerprint in loads
    )
    freshness: tuple[SourceFreshness, ...] = ()
    checked_at = None
    if fresh is not None:
        checked_at = _naive(fresh[3])
        entries = json.loads(fresh[10] or "{}")
        freshness = tuple(
            SourceFreshness(
                source=name,
                status=str(entry.get("status")),
                max_loaded_at=entry.get("max_loaded_at"),
                age_seconds=entry.get("age_seconds"),
                warn_after=entry.get("warn_after"),
                error_after=entry.get("error_after"),
                loaded_at_field=entry.get("loaded_at_field"),
                message=entry.get("message"),
            )
            for name, entry in sorted(entries.items())
        )
    return {
        "loads": day_loads,
        "freshness": freshness,
        "freshness_checked_at": checked_at,
        "build": None if build is None else _build_record(build),
        "drift_days": tuple(DriftDay(day, commits, merges) for day, commits, merges in drift),
    }


def _build_record(row: Sequence[Any]) -> BuildRecord:
    command, status, started, finished, seconds, results, failures, failed, warned, skipped, _ = row
    return BuildRecord(
        command=str(command),
        status=str(status),
        started_at=_naive(started),
        finished_at=_naive(finished),
        seconds=None if seconds is None else float(seconds),
        counts=json.loads(results or "{}"),
        failures=tuple(failures or ()),
        failed_nodes=tuple(failed or ()),
        warned_nodes=tuple(warned or ()),
        skipped_nodes=tuple(skipped or ()),
    )


# --- judging -----------------------------------------------------------------------------------------------------


def _days(days: Sequence[date | None]) -> str:
    from ingestion.pipeline import spans_text

    return spans_text([d for d in days if d is not None])


def judge(status: Status) -> Status:
    """The status with its problems (which fail it) and notes (which do not), each naming what and what to do."""
    problems: list[str] = []
    notes: list[str] = []
    latest = status.latest
    if latest is not None and status.latest_status == RUNNING:
        notes.append(f"running: {latest.describe()}")
        if not status.readable:
            notes.append(
                "the run holds the warehouse file, so loads, freshness and the last build show when it ends "
                "(`impact status` again then)"
            )
    elif latest is not None and status.latest_status in (FAILED, INTERRUPTED):
        how = "was interrupted" if status.latest_status == INTERRUPTED else "failed"
        error = f": {latest.error.splitlines()[0]}" if latest.error else ""
        fix = "`impact run --resume` picks it up there" if latest.kind == "run" else "run it again"
        problems.append(
            f"the last command `{latest.command}` {how} at stage {latest.stage or '-'}{error}; {fix}"
        )
    if not status.readable:
        if status.unreadable_because:
            notes.append(status.unreadable_because)
        elif status.latest_status != RUNNING:
            notes.append(
                "another impact process holds the warehouse and has not recorded its run yet: "
                "`impact status` again in a moment"
            )
        return _with(status, problems, notes)

    failed = [load for load in status.loads if load.status != "ok"]
    for source in sorted({load.source for load in failed}):
        days = [load.day for load in failed if load.source == source]
        first = next(load.error for load in failed if load.source == source)
        problems.append(
            f"{source}: the latest load failed on {_days(days) or 'its registry load'}: "
            f"{(first or 'see raw._loads').splitlines()[0]}"
        )
    loaded = {load.source for load in status.loads}
    for entry in status.freshness:
        if never_loaded(entry.source, entry.status, entry.max_loaded_at, loaded):
            notes.append(
                f"source {entry.source} has no rows and no load of {entry.source.split('.')[0]} is recorded: "
                "nothing to be fresh yet (load it with `impact ingest`)"
            )
    stale = [
        f
        for f in status.freshness
        if f.status not in (PASS, WARN) and not never_loaded(f.source, f.status, f.max_loaded_at, loaded)
    ]
    for entry in stale:
        why = (
            f"newest {entry.loaded_at_field} {entry.max_loaded_at}, older than error_after {entry.error_after}"
            if entry.status == STALE
            else f"freshness could not be checked: {entry.message or entry.status}"
        )
        problems.append(
            f"stale source {entry.source}: {why}; load it (`impact run`), then `impact freshness`"
        )
    for entry in (f for f in status.freshness if f.status == WARN):
        notes.append(
            f"source {entry.source} is past warn_after {entry.warn_after} (newest {entry.loaded_at_field} "
            f"{entry.max_loaded_at}), not yet error_after {entry.error_after}"
        )
    if not status.freshness:
        notes.append("source freshness never checked: run `impact freshness`")
    build = status.build
    if build is not None and (build.status != "ok" or build.failed_nodes):
        names = ", ".join(build.failed_nodes) or (build.failures[0] if build.failures else "see its log")
        problems.append(
            f"the last dbt build failed: {names}; fix it, then `impact build --select <model>+` "
            "(or `impact run --resume`)"
        )
    if build is not None and build.warned_nodes:
        notes.append(f"the last dbt build warned: {', '.join(build.warned_nodes)}")
    if build is not None and build.skipped_nodes:
        notes.append(f"the last dbt build skipped: {', '.join(build.skipped_nodes)}")
    if build is None:
        notes.append("no dbt build recorded: run `impact build` (or `impact run`)")
    for load in status.loads:
        if load.status == "ok" and load.missing_files:
            notes.append(
                f"{load.source} {load.day}: {len(load.missing_files)} missing "
                f"({', '.join(load.missing_files[:4])}{' ...' if len(load.missing_files) > 4 else ''}); "
                "the day loaded without them: re-run the day when they are published"
            )
    no_commits = [d.day for d in status.drift_days if d.commits_known is False]
    no_merges = [d.day for d in status.drift_days if d.merges_known is False]
    if no_commits:
        notes.append(
            f"commits unknown on {_days(no_commits)}: GH Archive push payloads stopped listing commits on "
            f"{GH_ARCHIVE_CHANGE}, so commit counts there are unknown, not zero"
        )
    if no_merges:
        notes.append(
            f"merges unknown on {_days(no_merges)}: pull request payloads stopped saying `merged` on "
            f"{GH_ARCHIVE_CHANGE}"
        )
    return _with(status, problems, notes)


def never_loaded(source: str, verdict: str, max_loaded_at: object, loaded_sources: set[str]) -> bool:
    """A source table dbt finds empty (no newest loaded_at) while no load of its source (``github`` for
    ``github.github_events``) was ever recorded: not stale, just not ingested on this warehouse (Optimism on a
    laptop without Optimism files). Once a load is recorded, an empty table fails freshness as dbt says. dbt
    gives an empty table's newest value as the smallest datetime (year 1)."""
    empty = max_loaded_at is None or str(max_loaded_at).startswith("0001-01-01")
    return verdict == STALE and empty and source.split(".")[0] not in loaded_sources


def _with(status: Status, problems: Sequence[str], notes: Sequence[str]) -> Status:
    from dataclasses import replace

    return replace(status, problems=tuple(problems), notes=tuple(notes))


def warehouse_status(settings: Settings) -> Status:
    return bigquery_status(settings) if settings.on_bigquery else local_status(settings)

"""The raw layer on DuckDB (docs/architecture.md §3): its tables, and atomic, idempotent day loads.

Every ingestion job writes through `DayLoad`: the day's partition (and the day's rejects) is deleted and
re-inserted inside one transaction, so a day is either the previous good data or the new complete data,
never a mixture. Each attempt, good or failed, is recorded in `raw._loads`.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from ingestion.errors import WarehouseBusyError
from ingestion.raw_schema import RAW_SCHEMA, RAW_TABLES

DUCKDB_TABLES = {name: table for name, table in RAW_TABLES.items() if not table.bigquery_only}
"""The raw tables of the DuckDB warehouse (raw._runs is BigQuery's: DuckDB keeps the run state in a file)."""
RAW_DDL: dict[str, str] = {name: table.duckdb_ddl() for name, table in DUCKDB_TABLES.items()}
"""`create table if not exists` of each raw table, rendered from `ingestion.raw_schema`."""

FINGERPRINT_VARIABLE = "impact_registry_fingerprint"
"""The DuckDB session variable a day load records as raw._loads.registry_fingerprint (`set_registry_fingerprint`)."""


_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
"""Table and column names below are the module's own constants, checked against this before use in SQL."""


def utcnow() -> datetime:
    """Naive UTC timestamp: the raw layer stores UTC in `timestamp` columns."""
    return datetime.now(UTC).replace(tzinfo=None)


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file (creating the raw schema when writing); WarehouseBusyError, in one line, when
    another process holds it (a DuckDB file has one writer, and no reader while it is written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        raise WarehouseBusyError(held_by_another_process(path, exc)) from None
    if not read_only:
        ensure_raw_schema(con)
    return con


_DUCKDB_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def held_by_another_process(path: Path, exc: BaseException) -> str:
    """The one-line message for a DuckDB lock conflict, naming the process DuckDB names."""
    found = _DUCKDB_HOLDER.search(str(exc))
    who = f"process {found['pid']} ({found['program']})" if found else "another process"
    return (
        f"the warehouse {path} is open in {who}, outside `impact`'s run lock (a DuckDB shell, a notebook, "
        "`dbt` run by hand?): close it there, then run the command again"
    )


def set_registry_fingerprint(con: duckdb.DuckDBPyConnection, fingerprint: str | None) -> None:
    """The fingerprint the day loads on this connection record in raw._loads (None: record NULL)."""
    if fingerprint is None:
        con.execute(f"reset variable {FINGERPRINT_VARIABLE}")
    else:
        con.execute(f"set variable {FINGERPRINT_VARIABLE} = ?", [fingerprint])


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema and tables; add the columns a table made by an older version lacks."""
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    for ddl in RAW_DDL.values():
        con.execute(ddl)
    existing: dict[str, set[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns where table_schema = ?", [RAW_SCHEMA]
    ).fetchall():
        existing.setdefault(table, set()).add(column)
    for name, table in DUCKDB_TABLES.items():
        for column in table.columns:
            if column.name not in existing.get(name, set()):
                con.execute(
                    f"alter table {RAW_SCHEMA}.{name} add column if not exists {column.name} {column.duckdb_type()}"
                )


@dataclass
class LoadStats:
    """What one day load saw. Filled in by the source while it runs."""

    files_expected: int = 0
    files_read: int = 0
    missing_files: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_kept: int = 0
    rows_rejected: int = 0
    bytes_scanned: int = 0


@dataclass(frozen=True)
class Reject:
    source_file: str
    line_number: int
    error: str
    raw_line: str


class DayLoad:
    """One day's partition of one raw table, replaced whole inside one transaction."""

    def __init__(self, con: duckdb.DuckDBPyConnection, source: str, table: str, day_column: str, day: date):
        if table not in RAW_DDL or not _IDENTIFIER.fullmatch(day_column):
            raise ValueError(f"{table}.{day_column} is not a raw-layer table and column")
        self.con = con
        self.source = source
        self.table = table
        self.day_column = day_column
        self.day = day
        self.stats = LoadStats()
        self.loaded_at = utcnow()
        self._rejects: list[Reject] = []

    def insert(self, batch: pa.Table) -> None:
        """Append rows (an Arrow table whose column names match the raw table) to the day."""
        if batch.num_rows == 0:
            return
        self.con.register("_impact_batch", batch)
        try:
            self.con.execute(f"insert into {RAW_SCHEMA}.{self.table} by name select * from _impact_batch")  # noqa: S608
        finally:
            self.con.unregister("_impact_batch")

    def reject(self, source_file: str, line_number: int, error: str, raw_line: str) -> None:
        self.stats.rows_rejected += 1
        self._rejects.append(Reject(source_file, line_number, error, raw_line))
        if len(self._rejects) >= 10_000:
            self._flush_rejects()

    def _flush_rejects(self) -> None:
        if not self._rejects:
            return
        self.con.executemany(
            f"insert into {RAW_SCHEMA}._rejects values (?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
            [
                (self.source, self.day, r.source_file, r.line_number, r.error, r.raw_line, self.loaded_at)
                for r in self._rejects
            ],
        )
        self._rejects.clear()

    def _begin(self) -> None:
        self.con.execute("begin transaction")
        self.con.execute(
            f"delete from {RAW_SCHEMA}.{self.table} where {self.day_column} = ?",  # noqa: S608
            [self.day],
        )
        self.con.execute(
            f"delete from {RAW_SCHEMA}._rejects where source = ? and day = ?",  # noqa: S608
            [self.source, self.day],
        )


@contextmanager
def day_load(
    con: duckdb.DuckDBPyConnection, source: str, table: str, day_column: str, day: date
) -> Iterator[DayLoad]:
    """Replace one day atomically; record the attempt in raw._loads whether it succeeds or fails.

    Usage::

        with day_load(con, "github", "github_events", "archive_day", day) as load:
            load.insert(arrow_table)
            load.reject(file, line_number, "invalid JSON", line)
            load.stats.rows_read += n
    """
    load = DayLoad(con, source, table, day_column, day)
    started = time.perf_counter()
    load._begin()
    try:
        yield load
        load._flush_rejects()
        con.execute("commit")
    except BaseException as exc:
        con.execute("rollback")
        _record(con, load, "failed", time.perf_counter() - started, f"{type(exc).__name__}: {exc}")
        raise
    _record(con, load, "ok", time.perf_counter() - started, None)


LOADS_INSERT = (
    f"insert into {RAW_SCHEMA}._loads (load_id, source, day, status, started_at, finished_at, duration_seconds, "  # noqa: S608
    "files_expected, files_read, missing_files, rows_read, rows_kept, rows_rejected, bytes_scanned, error, "
    "registry_fingerprint) "
    f"values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, getvariable('{FINGERPRINT_VARIABLE}'))"
)
"""One load attempt into raw._loads (the BigQuery columns bytes_processed / bytes_billed stay NULL locally); the
registry fingerprint is the connection's (`set_registry_fingerprint`), NULL when none was set."""


def _record(
    con: duckdb.DuckDBPyConnection, load: DayLoad, status: str, seconds: float, error: str | None
) -> None:
    s = load.stats
    con.execute(
        LOADS_INSERT,
        [
            uuid.uuid4().hex,
            load.source,
            load.day,
            status,
            load.loaded_at,
            utcnow(),
            round(seconds, 6),
            s.files_expected,
            s.files_read,
            s.missing_files,
            s.rows_read,
            s.rows_kept if status == "ok" else 0,
            s.rows_rejected,
            s.bytes_scanned,
            error,
        ],
    )

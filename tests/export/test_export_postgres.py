"""The export against real Postgres and real DuckDB files: idempotent re-runs, grants, failures and kills that
leave the last good table serving, concurrent readers during the swap, dry runs, the export lock.

The mart is `metrics_v1` with n rows: project_id 'p0'..'p{n-1}', amount 0..n-1, so count = n and
sum(amount) = n(n-1)/2: 1,000 rows sum to 499,500 and 3,000 rows to 4,498,500.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from ingestion.errors import ExportError
from ingestion.export import ColumnChange, DuckDBReader, ExportSummary, export_postgres, tables_from_manifest
from ingestion.export.postgres import LOCK_NAMESPACE

SLOW_EXPORT = Path(__file__).parent / "slow_export.py"
SUMS = {1_000: 499_500, 3_000: 4_498_500}


def _mart_sql(n: int, bad_row: int | None = None) -> str:
    """metrics_v1 with n rows; row `bad_row` (0-based) gets a NUL byte in its project_id, which Postgres
    refuses in text (DuckDB accepts it)."""
    bad = f"when {bad_row} then 'p' || i || chr(0)" if bad_row is not None else "when -1 then ''"
    return f"""
        create or replace table marts.metrics_v1 as
        select case i {bad} else 'p' || i end as project_id,
               date '2024-01-01' + (i % 365)::integer as sample_date,
               i::bigint as amount
        from range({n}) as t(i)
    """  # noqa: S608 (only integers are formatted in)


@pytest.fixture
def manifest(tmp_path: Path, marts) -> Path:
    columns = [
        marts.column("project_id", "varchar", not_null=True, description="the project's id"),
        marts.column("sample_date", "date"),
        marts.column("amount", "bigint"),
    ]
    indexes = [{"columns": ["project_id"], "unique": True}, {"columns": ["sample_date"]}]
    node = marts.model("metrics_v1", columns, indexes=indexes, description="Daily metrics.")
    return marts.manifest(tmp_path / "manifest.json", node)


def _warehouse(marts, path: Path, n: int, bad_row: int | None = None) -> Path:
    return marts.warehouse(path, _mart_sql(n, bad_row))


def _export(pg, warehouse: Path, manifest: Path, **options: Any) -> ExportSummary:
    options.setdefault("progress", False)
    with DuckDBReader(warehouse) as reader:
        return export_postgres(
            reader,
            pg.url,
            tables_from_manifest(manifest),
            schema=pg.schema,
            reader_role=pg.reader_role,
            **options,
        )


def _count_and_sum(pg) -> tuple[int, int]:
    query = sql.SQL("select count(*), coalesce(sum(amount), 0) from {}").format(
        sql.Identifier(pg.schema, "metrics_v1")
    )
    count, total = pg.query(query)[0]
    return count, int(total)


def _grants(pg) -> dict[str, Any]:
    return {
        "tables": pg.query(
            "select table_schema, table_name, privilege_type from information_schema.role_table_grants "
            "where grantee = %s order by 1, 2, 3",
            [pg.reader_role],
        ),
        "schemas": pg.query(
            "select has_schema_privilege(%(r)s, %(s)s, 'USAGE'), has_schema_privilege(%(r)s, %(s)s, 'CREATE'), "
            "has_schema_privilege(%(r)s, %(st)s, 'USAGE')",
            {"r": pg.reader_role, "s": pg.schema, "st": pg.staging},
        ),
    }


def _indexes(pg) -> list[tuple[str, str]]:
    return pg.query(
        "select indexname, indexdef from pg_indexes where schemaname = %s order by 1", [pg.schema]
    )


def test_first_run_creates_and_a_rerun_changes_nothing(tmp_path: Path, marts, manifest: Path, pg) -> None:
    warehouse = _warehouse(marts, tmp_path / "warehouse.duckdb", 1_000)
    first = _export(pg, warehouse, manifest)
    assert first.ok and [(t.name, t.action, t.rows) for t in first.tables] == [
        ("metrics_v1", "created", 1_000)
    ]
    assert _count_and_sum(pg) == (1_000, 499_500)
    contents, grants, indexes = pg.rows("metrics_v1"), _grants(pg), _indexes(pg)
    assert grants == {
        "tables": [(pg.schema, "metrics_v1", "SELECT")],
        "schemas": [(True, False, False)],  # usage on the served schema only; no create; no staging
    }
    assert [name for name, _ in indexes] == ["metrics_v1__project_id__key", "metrics_v1__sample_date__idx"]
    assert "CREATE UNIQUE INDEX" in indexes[0][1]
    comments = pg.query(
        "select obj_description(c.oid), col_description(c.oid, 1) from pg_class c "
        "join pg_namespace n on n.oid = c.relnamespace where n.nspname = %s and c.relname = 'metrics_v1'",
        [pg.schema],
    )
    assert comments == [("Daily metrics.", "the project's id")]
    analysed = pg.query(
        "select reltuples from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relname = 'metrics_v1'",
        [pg.schema],
    )
    assert analysed == [(1_000.0,)]  # ANALYZE ran before the swap

    second = _export(pg, warehouse, manifest)
    assert second.ok and [(t.name, t.action, t.rows) for t in second.tables] == [
        ("metrics_v1", "replaced", 1_000)
    ]
    assert pg.rows("metrics_v1") == contents
    assert _grants(pg) == grants
    assert _indexes(pg) == indexes
    assert pg.staging_tables() == []
    tables = pg.query("select tablename from pg_tables where schemaname = %s", [pg.schema])
    assert tables == [("metrics_v1",)]


def test_the_reader_role_can_select_and_do_nothing_else(tmp_path: Path, marts, manifest: Path, pg) -> None:
    other = f"{pg.schema}_other"
    with pg.connect() as conn:
        conn.execute(sql.SQL("create schema {}").format(sql.Identifier(other)))
        conn.execute(sql.SQL("create table {} as select 1 as secret").format(sql.Identifier(other, "t")))
        # An over-grant from an earlier mistake: the exporter takes it back.
        conn.execute(sql.SQL("create schema {}").format(sql.Identifier(pg.schema)))
        conn.execute(sql.SQL("create role {} nologin").format(sql.Identifier(pg.reader_role)))
        conn.execute(
            sql.SQL("grant usage, create on schema {} to {}").format(
                sql.Identifier(pg.schema), sql.Identifier(pg.reader_role)
            )
        )
    warehouse = _warehouse(marts, tmp_path / "warehouse.duckdb", 1_000)
    assert _export(pg, warehouse, manifest).ok
    served = sql.Identifier(pg.schema, "metrics_v1")
    with pg.connect() as conn:
        conn.execute(sql.SQL("create table {} (x integer)").format(sql.Identifier(pg.staging, "leftover")))
        conn.execute(sql.SQL("set role {}").format(sql.Identifier(pg.reader_role)))
        assert conn.execute(sql.SQL("select count(*) from {}").format(served)).fetchone() == (1_000,)
        denied = [
            sql.SQL("insert into {} values ('x', null, 1)").format(served),
            sql.SQL("update {} set amount = 0").format(served),
            sql.SQL("delete from {}").format(served),
            sql.SQL("truncate {}").format(served),
            sql.SQL("drop table {}").format(served),
            sql.SQL("alter table {} add column y integer").format(served),
            sql.SQL("create table {} (x integer)").format(sql.Identifier(pg.schema, "mine")),
            sql.SQL("create index on {} (amount)").format(served),
            sql.SQL("select * from {}").format(sql.Identifier(other, "t")),
            sql.SQL("select * from {}").format(sql.Identifier(pg.staging, "leftover")),
        ]
        for statement in denied:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)


def test_a_row_rejected_mid_copy_leaves_the_old_table_serving(
    tmp_path: Path, marts, manifest: Path, pg
) -> None:
    good = _warehouse(marts, tmp_path / "good.duckdb", 1_000)
    assert _export(pg, good, manifest).ok
    # 200,000 rows; row 100,000 (0-based) is refused by Postgres, half-way through the COPY.
    bad = _warehouse(marts, tmp_path / "bad.duckdb", 200_000, bad_row=100_000)
    seen, errors, stop = [], [], threading.Event()
    reader = threading.Thread(target=_read_loop, args=(pg, seen, errors, stop))
    reader.start()
    try:
        summary = _export(pg, bad, manifest)
    finally:
        stop.set()
        reader.join()
    assert summary.failed and not summary.ok
    (failure,) = summary.failures
    assert failure.name == "metrics_v1" and failure.action == "failed"
    assert 'invalid byte sequence for encoding "UTF8": 0x00' in (failure.error or "")
    assert "line 100001, column project_id" in (failure.error or "")  # COPY counts rows from 1
    assert errors == [] and seen and set(seen) == {(1_000, 499_500)}
    assert _count_and_sum(pg) == (1_000, 499_500)
    assert pg.staging_tables() == []
    fixed = _warehouse(marts, tmp_path / "fixed.duckdb", 200_000)
    again = _export(pg, fixed, manifest)
    assert again.ok
    assert _count_and_sum(pg) == (200_000, 200_000 * 199_999 // 2)


def test_an_exporter_killed_mid_copy_leaves_the_old_table_and_no_debris(
    tmp_path: Path, marts, manifest: Path, pg
) -> None:
    old = _warehouse(marts, tmp_path / "old.duckdb", 1_000)
    assert _export(pg, old, manifest).ok
    new = _warehouse(marts, tmp_path / "new.duckdb", 100_000)
    process = subprocess.Popen(
        [sys.executable, str(SLOW_EXPORT), str(new), str(manifest), pg.url, pg.schema, pg.reader_role],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        backend = _wait_for_copy_progress(pg, minimum_rows=2_000)
        assert _count_and_sum(pg) == (1_000, 499_500)  # served while the COPY runs
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    _wait_for_backend_exit(pg, backend)
    assert _count_and_sum(pg) == (1_000, 499_500)
    assert pg.staging_tables() == []  # the COPY's transaction died with the connection
    summary = _export(pg, new, manifest)
    assert summary.ok and summary.cleaned_up == ()
    assert _count_and_sum(pg) == (100_000, 100_000 * 99_999 // 2)
    assert pg.staging_tables() == []


def test_leftover_staging_tables_are_dropped_at_the_start(tmp_path: Path, marts, manifest: Path, pg) -> None:
    warehouse = _warehouse(marts, tmp_path / "warehouse.duckdb", 1_000)
    assert _export(pg, warehouse, manifest).ok
    # A run killed between the COPY's commit and the swap leaves a committed staging table behind.
    with pg.connect() as conn:
        conn.execute(sql.SQL("create table {} (x integer)").format(sql.Identifier(pg.staging, "metrics_v1")))
        conn.execute(sql.SQL("create table {} (x integer)").format(sql.Identifier(pg.staging, "gone_v1")))
    summary = _export(pg, warehouse, manifest)
    assert summary.ok
    assert summary.cleaned_up == ("gone_v1", "metrics_v1")
    assert pg.staging_tables() == []
    assert _count_and_sum(pg) == (1_000, 499_500)


def test_a_staging_schema_the_exporter_did_not_make_is_not_emptied(
    tmp_path: Path, marts, manifest: Path, pg
) -> None:
    with pg.connect() as conn:
        conn.execute(sql.SQL("create schema {}").format(sql.Identifier(pg.staging)))
        conn.execute(sql.SQL("create table {} (x integer)").format(sql.Identifier(pg.staging, "precious")))
    warehouse = _warehouse(marts, tmp_path / "warehouse.duckdb", 1_000)
    with pytest.raises(ExportError, match=f"schema {pg.staging} exists, holds tables and was not made by"):
        _export(pg, warehouse, manifest)
    assert pg.staging_tables() == ["precious"]
    with pg.connect() as conn:  # once empty, the schema is adopted
        conn.execute(sql.SQL("drop table {}").format(sql.Identifier(pg.staging, "precious")))
    assert _export(pg, warehouse, manifest).ok


def test_concurrent_readers_see_the_old_or_the_new_table_never_a_partial_one(
    tmp_path: Path, marts, manifest: Path, pg
) -> None:
    small = _warehouse(marts, tmp_path / "small.duckdb", 1_000)
    big = _warehouse(marts, tmp_path / "big.duckdb", 3_000)
    assert _export(pg, small, manifest).ok
    seen: list[tuple[int, int]] = []
    errors: list[BaseException] = []
    stop = threading.Event()
    readers = [threading.Thread(target=_read_loop, args=(pg, seen, errors, stop)) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        for warehouse in (big, small, big, small, big):
            assert _export(pg, warehouse, manifest).ok
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert errors == []
    assert set(seen) == {(1_000, 499_500), (3_000, 4_498_500)}
    assert len(seen) > 20


def test_dry_run_reports_what_would_change_and_writes_nothing(
    tmp_path: Path, marts, manifest: Path, pg, capsys
) -> None:
    warehouse = _warehouse(marts, tmp_path / "warehouse.duckdb", 1_000)
    plan = _export(pg, warehouse, manifest, dry_run=True)
    assert plan.dry_run and plan.ok
    (table,) = plan.tables
    assert (table.action, table.rows, table.served_rows) == ("create", 1_000, None)
    assert table.column_changes == (
        ColumnChange("project_id", None, "text"),
        ColumnChange("sample_date", None, "date"),
        ColumnChange("amount", None, "bigint"),
    )
    assert (
        pg.query("select nspname from pg_namespace where nspname in (%s, %s)", [pg.schema, pg.staging]) == []
    )
    assert pg.query("select rolname from pg_roles where rolname = %s", [pg.reader_role]) == []

    # A served table of an older shape: amount was integer, legacy is gone, sample_date is new.
    with pg.connect() as conn:
        conn.execute(sql.SQL("create schema {}").format(sql.Identifier(pg.schema)))
        served = sql.Identifier(pg.schema, "metrics_v1")
        conn.execute(sql.SQL("create table {} (project_id text, amount integer, legacy text)").format(served))
        conn.execute(sql.SQL("insert into {} values ('a', 1, 'x'), ('b', 2, 'y')").format(served))
        conn.execute(sql.SQL("create index old_idx on {} (legacy)").format(served))
    capsys.readouterr()
    plan = _export(pg, warehouse, manifest, dry_run=True)
    (table,) = plan.tables
    assert (table.action, table.rows, table.served_rows) == ("replace", 1_000, 2)
    assert table.column_changes == (
        ColumnChange("sample_date", None, "date"),
        ColumnChange("legacy", "text", None),
        ColumnChange("amount", "integer", "bigint"),
    )
    assert table.index_changes == (
        "+index metrics_v1__project_id__key",
        "+index metrics_v1__sample_date__idx",
        "-index old_idx",
    )
    printed = capsys.readouterr().err
    assert "replace" in printed and "+sample_date date" in printed and "~amount integer -> bigint" in printed
    assert pg.rows("metrics_v1") == [("a", 1, "x"), ("b", 2, "y")]  # untouched
    assert pg.query("select rolname from pg_roles where rolname = %s", [pg.reader_role]) == []


def test_a_second_exporter_on_the_same_schema_is_refused(tmp_path: Path, marts, manifest: Path, pg) -> None:
    warehouse = _warehouse(marts, tmp_path / "warehouse.duckdb", 1_000)
    with pg.connect() as holder:
        holder.execute("select pg_advisory_lock(%s, hashtext(%s))", [LOCK_NAMESPACE, pg.schema])
        pid = holder.info.backend_pid
        with pytest.raises(
            ExportError, match=f"another export into schema {pg.schema} is running \\(pid {pid}"
        ):
            _export(pg, warehouse, manifest)
    assert _export(pg, warehouse, manifest).ok  # the lock went with the holder's session


def test_an_empty_mart_does_not_replace_a_served_table_unless_allowed(
    tmp_path: Path, marts, manifest: Path, pg
) -> None:
    assert _export(pg, _warehouse(marts, tmp_path / "full.duckdb", 1_000), manifest).ok
    empty = _warehouse(marts, tmp_path / "empty.duckdb", 0)
    refused = _export(pg, empty, manifest)
    assert refused.failed
    assert "is empty but" in (refused.failures[0].error or "")
    assert _count_and_sum(pg) == (1_000, 499_500)
    allowed = _export(pg, empty, manifest, allow_empty=True)
    assert allowed.ok and _count_and_sum(pg) == (0, 0)


def test_progress_and_summary_are_printed(tmp_path: Path, marts, manifest: Path, pg, capsys) -> None:
    warehouse = _warehouse(marts, tmp_path / "warehouse.duckdb", 1_000)
    summary = _export(pg, warehouse, manifest, progress=True, fmt="csv")
    assert summary.ok and summary.format == "csv"
    err = capsys.readouterr().err
    assert "1000/1000" in err and "MB/s" in err  # the bar: rows and throughput
    assert f"exported 1 table(s), 1,000 rows to schema {pg.schema}" in err


# --- helpers -------------------------------------------------------------------------------------------------


def _read_loop(pg, seen: list[tuple[int, int]], errors: list[BaseException], stop: threading.Event) -> None:
    """Query the served table as fast as possible until told to stop; record every (count, sum)."""
    try:
        with pg.connect() as conn:
            query = sql.SQL("select count(*), sum(amount) from {}").format(
                sql.Identifier(pg.schema, "metrics_v1")
            )
            while not stop.is_set():
                count, total = conn.execute(query).fetchone()
                seen.append((count, int(total)))
    except BaseException as exc:
        errors.append(exc)


def _wait_for_copy_progress(pg, minimum_rows: int, timeout: float = 30.0) -> int:
    """Wait until a COPY into the staging schema has taken `minimum_rows`; return its backend pid."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # The staging table is created in the COPY's own transaction, invisible to other sessions until it
        # commits: find the COPY by its statement text instead of its table.
        rows = pg.query(
            "select p.pid, p.tuples_processed from pg_stat_progress_copy p join pg_stat_activity a using (pid) "
            "where a.query like %s",
            [f'copy "{pg.staging}"."metrics_v1"%'],
        )
        if rows and rows[0][1] >= minimum_rows:
            return rows[0][0]
        time.sleep(0.05)
    raise AssertionError(f"no COPY into {pg.staging} reached {minimum_rows} rows in {timeout} s")


def _wait_for_backend_exit(pg, pid: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pg.query("select 1 from pg_stat_activity where pid = %s", [pid]):
            return
        time.sleep(0.05)
    raise AssertionError(f"backend {pid} still alive {timeout} s after its client was killed")

"""Serve the exported marts from Postgres: streamed, atomic, indexed, safe to re-run and to interrupt.

For each mart (docs/architecture.md §7):

1. its rows stream from the warehouse as Arrow batches, are encoded a batch at a time (binary COPY by default,
   see `pgcopy`) by a producer thread, and go to `COPY <staging>.<table> FROM STDIN` on the main thread: memory
   holds a few batches, never the table;
2. in the same transaction as the COPY: indexes from the mart's `meta`, comments, the reader's grant, ANALYZE.
   A failure or a kill before the commit leaves nothing behind (the transaction is rolled back);
3. in one short transaction: `DROP TABLE <schema>.<table>` then `ALTER TABLE <staging>.<table> SET SCHEMA
   <schema>`. Readers see the old table until the commit and the new one after: never a partial or empty one.

A session advisory lock makes a second exporter into the same schema fail fast instead of interleaving, and
frees itself when the process dies; at start, the staging schema is emptied of tables a killed run left there.
The read-only role (NOLOGIN; its login users are granted it) gets USAGE on the served schema and SELECT on its
tables, and nothing else; its grants are re-applied on every run.

Every identifier goes through `psycopg.sql.Identifier`, every value through a query parameter or
`sql.Literal`. The connection string's password is masked in every message (see `redaction`).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol, runtime_checkable

import psycopg
from psycopg import sql
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from ingestion.errors import ExportError
from ingestion.export.manifest import (
    MAX_IDENTIFIER_BYTES,
    ExportColumn,
    ExportTable,
    IndexSpec,
    WarehouseRelation,
    index_name,
    tables_from_manifest,
)
from ingestion.export.pgcopy import FORMATS, Encoded, Encoder, encoder_for
from ingestion.export.readers import DEFAULT_BATCH_ROWS, DuckDBReader, WarehouseReader
from ingestion.export.redaction import Redactor
from ingestion.log import console as log_console
from ingestion.log import step

__all__ = [
    "DEFAULT_FORMAT",
    "DuckDBReader",
    "ExportColumn",
    "ExportSummary",
    "ExportTable",
    "IndexSpec",
    "TableResult",
    "WarehouseReader",
    "WarehouseRelation",
    "export_postgres",
    "staging_schema_for",
    "tables_from_manifest",
]

DEFAULT_SCHEMA = "impact"
DEFAULT_READER_ROLE = "impact_reader"
DEFAULT_FORMAT = "binary"
"""Measured (bench/README.md, "Export to Postgres"): Postgres ingests binary COPY about twice as fast as CSV."""
STAGING_SUFFIX = "_staging"
LOCK_NAMESPACE = 0x1D9AC7
"""First key of the session advisory lock; the second is hashtext(schema)."""
QUEUE_BATCHES = 3
SWAP_ATTEMPTS = 5
"""The swap waits at most `lock_timeout_seconds` for running queries on the old table (new queries queue behind
it meanwhile), then lets them run and tries again, up to this many times."""
STAGING_COMMENT = "impact export staging: tables here are dropped by every export run"


def staging_schema_for(schema: str) -> str:
    return f"{schema}{STAGING_SUFFIX}"


# --- results -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnChange:
    """One difference between the served table and the mart: `before` None = added, `after` None = removed."""

    column: str
    before: str | None
    after: str | None

    def __str__(self) -> str:
        if self.before is None:
            return f"+{self.column} {self.after}"
        if self.after is None:
            return f"-{self.column} {self.before}"
        return f"~{self.column} {self.before} -> {self.after}"


@dataclass(frozen=True)
class TableResult:
    """What happened to one table. `action`: created, replaced, failed; in a dry run: create, replace."""

    name: str
    action: str
    rows: int = 0
    """Rows copied (dry run: rows the warehouse holds)."""
    served_rows: int | None = None
    """Rows the served table held before (None: there was no served table)."""
    bytes: int = 0
    seconds: float = 0.0
    """Wall time for the whole table: count, COPY, indexes, ANALYZE, swap."""
    copy_seconds: float = 0.0
    """Wall time of the COPY alone (reading the warehouse, encoding, sending)."""
    error: str | None = None
    column_changes: tuple[ColumnChange, ...] = ()
    index_changes: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return self.error is not None


@dataclass(frozen=True)
class ExportSummary:
    schema: str
    dry_run: bool
    format: str
    tables: tuple[TableResult, ...] = ()
    seconds: float = 0.0
    cleaned_up: tuple[str, ...] = field(default=())
    """Leftover staging tables of an interrupted run that this run dropped (dry run: would drop)."""

    @property
    def failures(self) -> tuple[TableResult, ...]:
        return tuple(t for t in self.tables if t.failed)

    @property
    def failed(self) -> bool:
        return bool(self.failures)

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables if not t.failed)

    def table(self) -> Table:
        """A rich table of the results (or of the plan, in a dry run)."""
        title = (
            f"Postgres export plan for schema {self.schema}" if self.dry_run else f"Exported to {self.schema}"
        )
        out = Table(title=escape(title), title_justify="left")
        out.add_column("table")
        out.add_column("action")
        out.add_column("rows", justify="right")
        out.add_column("served rows" if self.dry_run else "MB", justify="right")
        out.add_column(
            "changes" if self.dry_run else "seconds", justify="right" if not self.dry_run else "left"
        )
        for t in self.tables:
            if self.dry_run:
                last = "; ".join([*(str(c) for c in t.column_changes), *t.index_changes]) or "-"
                fourth = "-" if t.served_rows is None else f"{t.served_rows:,}"
            else:
                last, fourth = f"{t.seconds:.2f}", f"{t.bytes / 1e6:.1f}"
            if t.failed:
                out.add_row(escape(t.name), "[red]failed[/]", "-", "-", f"[red]{escape(t.error or '')}[/]")
            else:
                out.add_row(escape(t.name), t.action, f"{t.rows:,}", fourth, escape(last))
        return out

    def plan_lines(self) -> list[str]:
        """A dry run's plan, one line per table: action, rows, and the column and index changes."""
        lines = [f"would drop leftover staging table {name}" for name in self.cleaned_up]
        for t in self.tables:
            if t.failed:
                lines.append(f"cannot plan {t.name}: {t.error}")
                continue
            served = "not served yet" if t.served_rows is None else f"served now: {t.served_rows:,} rows"
            line = f"would {t.action} {t.name} with {t.rows:,} rows ({served})"
            if t.column_changes:
                line += "; columns: " + ", ".join(str(c) for c in t.column_changes)
            if t.index_changes:
                line += "; indexes: " + ", ".join(t.index_changes)
            if t.action == "replace" and not t.column_changes and not t.index_changes:
                line += "; same columns and indexes"
            lines.append(line)
        return lines

    def describe(self) -> str:
        """One line: how many tables, rows, seconds, failures."""
        verb = "would export" if self.dry_run else "exported"
        ok = len(self.tables) - len(self.failures)
        text = f"{verb} {ok} table(s), {self.rows:,} rows to schema {self.schema} in {self.seconds:.2f} s"
        if self.failures:
            text += f"; {len(self.failures)} failed: {', '.join(t.name for t in self.failures)}"
        return text


# --- the export ----------------------------------------------------------------------------------------------


def export_postgres(
    warehouse: WarehouseReader,
    postgres_url: str,
    tables: Sequence[ExportTable],
    *,
    schema: str = DEFAULT_SCHEMA,
    reader_role: str = DEFAULT_READER_ROLE,
    dry_run: bool = False,
    progress: bool = True,
    fmt: str = DEFAULT_FORMAT,
    allow_empty: bool = False,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    lock_timeout_seconds: float = 5.0,
    console: Console | None = None,
) -> ExportSummary:
    """Copy `tables` from the warehouse into `schema` (see the module docstring for how).

    A table that fails is reported in the summary (`summary.failed`) and the others still go; errors that stop
    everything (cannot connect, another export running, bad arguments) raise ExportError. `allow_empty` lets an
    empty mart replace a served table that has rows (refused by default: an empty mart is usually a broken run).
    The password in `postgres_url` never appears in what this prints, logs or raises.
    """
    redactor = Redactor(postgres_url)
    out = console or log_console
    fmt = "csv" if fmt == "text" else fmt
    if fmt not in FORMATS:
        raise ExportError(f"unknown COPY format {fmt!r}: use one of {', '.join(FORMATS)}")
    if not schema or len(staging_schema_for(schema).encode()) > MAX_IDENTIFIER_BYTES:
        limit = MAX_IDENTIFIER_BYTES - len(STAGING_SUFFIX)
        raise ExportError(f"the schema name {schema!r} must be 1 to {limit} bytes (its staging twin adds 8)")
    if not reader_role or len(reader_role.encode()) > MAX_IDENTIFIER_BYTES:
        raise ExportError(f"the reader role name {reader_role!r} must be 1 to {MAX_IDENTIFIER_BYTES} bytes")
    staging = staging_schema_for(schema)
    started = time.perf_counter()
    results: list[TableResult] = []
    cleaned: tuple[str, ...] = ()
    with _connect(postgres_url, redactor, read_only=dry_run) as conn:
        if dry_run:
            cleaned = _setup_step(redactor, lambda: _leftovers(conn, staging))
            for table in tables:
                results.append(_guard(table, redactor, partial(_plan, conn, warehouse, table, schema)))
        else:
            with _export_lock(conn, schema):
                cleaned = _setup_step(redactor, lambda: _prepare(conn, schema, staging, reader_role))
                for name in cleaned:
                    step("export: dropped leftover staging table", table=escape(name))
                with _progress_bar(out, progress) as bar:
                    for table in tables:
                        result = _guard(
                            table,
                            redactor,
                            partial(
                                _export_table,
                                conn,
                                warehouse,
                                table,
                                schema=schema,
                                staging=staging,
                                reader_role=reader_role,
                                fmt=fmt,
                                allow_empty=allow_empty,
                                batch_rows=batch_rows,
                                lock_timeout_seconds=lock_timeout_seconds,
                                bar=bar,
                            ),
                        )
                        if result.failed:
                            _drop_staging(conn, staging, table.name)
                            step("export: failed", table=escape(table.name), error=escape(result.error or ""))
                        results.append(result)
    summary = ExportSummary(
        schema=schema,
        dry_run=dry_run,
        format=fmt,
        tables=tuple(results),
        seconds=round(time.perf_counter() - started, 3),
        cleaned_up=cleaned,
    )
    if dry_run:
        for line in summary.plan_lines():
            step("export: " + escape(line))
    elif results:
        out.print(summary.table())
    step("export: " + escape(summary.describe()))
    return summary


def _setup_step(redactor: Redactor, run: Callable[[], tuple[str, ...]]) -> tuple[str, ...]:
    """Schemas, role, grants, cleanup: a refusal here stops the export with a redacted ExportError."""
    try:
        return run()
    except psycopg.Error as exc:
        raise ExportError(
            f"Postgres refused to set up the export: {redactor(_describe_error(exc))}. The connecting role needs "
            "CREATE on the database (for the schemas) and CREATEROLE, or the reader role created beforehand"
        ) from None


def _guard(table: ExportTable, redactor: Redactor, run: Callable[[], TableResult]) -> TableResult:
    """Run one table's export; an ordinary exception becomes a failed result with a redacted message."""
    started = time.perf_counter()
    try:
        return run()
    except Exception as exc:
        return TableResult(
            name=table.name,
            action="failed",
            seconds=round(time.perf_counter() - started, 3),
            error=redactor(_describe_error(exc)),
        )


def _describe_error(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, psycopg.Error):
        text = text.splitlines()[0]
        diag = exc.diag
        if diag.context:
            text += f" ({diag.context.strip().splitlines()[0]})"
        if diag.message_detail:
            text += f"; {diag.message_detail.strip()}"
    return text


def _export_table(
    conn: psycopg.Connection[Any],
    warehouse: WarehouseReader,
    table: ExportTable,
    *,
    schema: str,
    staging: str,
    reader_role: str,
    fmt: str,
    allow_empty: bool,
    batch_rows: int,
    lock_timeout_seconds: float,
    bar: _Bar,
) -> TableResult:
    started = time.perf_counter()
    encoder = encoder_for(fmt, table.columns)
    expected = warehouse.count_rows(table.relation)
    served = _table_exists(conn, schema, table.name)
    if expected == 0 and served and not allow_empty and _has_rows(conn, schema, table.name):
        raise ExportError(
            f"the mart {table.relation} is empty but {schema}.{table.name} has rows: refusing to replace it "
            "with an empty table (check the dbt run; pass allow_empty / --allow-empty if it is meant)"
        )
    target = sql.Identifier(staging, table.name)
    columns = sql.SQL(", ").join(sql.Identifier(c.name) for c in table.columns)
    task = bar.add(table.name, expected)
    with conn.transaction():
        conn.execute(sql.SQL("drop table if exists {}").format(target))
        conn.execute(_create_table_sql(target, table.columns))
        copy_started = time.perf_counter()
        copy = sql.SQL("copy {} ({}) from stdin (format {})").format(
            target, columns, sql.SQL("binary" if encoder.format == "binary" else "csv")
        )
        rows, nbytes, copied = _stream(conn, copy, warehouse, table, encoder, batch_rows, task)
        copy_seconds = time.perf_counter() - copy_started
        if copied != rows:
            raise ExportError(
                f"Postgres reports {copied} rows copied but {rows} were sent; nothing was changed"
            )
        step(
            "export: copied",
            copy_seconds,
            table=escape(table.name),
            rows=rows,
            MB=round(nbytes / 1e6, 1),
            MB_per_s=round(nbytes / 1e6 / copy_seconds, 1) if copy_seconds else 0,
        )
        index_started = time.perf_counter()
        for index in table.indexes:
            conn.execute(_create_index_sql(staging, table.name, index))
        for statement in _comment_sql(target, table):
            conn.execute(statement)
        conn.execute(sql.SQL("grant select on {} to {}").format(target, sql.Identifier(reader_role)))
        conn.execute(sql.SQL("analyze {}").format(target))
        step(
            "export: indexed and analysed",
            time.perf_counter() - index_started,
            table=escape(table.name),
            indexes=len(table.indexes),
        )
    _swap(conn, schema, staging, table.name, lock_timeout_seconds)
    return TableResult(
        name=table.name,
        action="replaced" if served else "created",
        rows=rows,
        bytes=nbytes,
        seconds=round(time.perf_counter() - started, 3),
        copy_seconds=round(copy_seconds, 3),
    )


_DONE = object()


@runtime_checkable
class _Closable(Protocol):
    """A batch iterator that can be closed early (a generator): closing it releases the reader's cursor."""

    def close(self) -> object: ...


def _stream(
    conn: psycopg.Connection[Any],
    copy_sql: sql.Composed,
    warehouse: WarehouseReader,
    table: ExportTable,
    encoder: Encoder,
    batch_rows: int,
    task: Callable[[int, int], None],
) -> tuple[int, int, int]:
    """COPY the mart's rows: a producer thread reads and encodes batches into a small bounded queue, this thread
    writes them to the connection. Returns (rows sent, bytes sent, rows Postgres reports copied)."""
    pending: queue.Queue[object] = queue.Queue(maxsize=QUEUE_BATCHES)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                pending.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            batches = warehouse.record_batches(table.relation, table.column_names, batch_rows)
            with closing(batches) if isinstance(batches, _Closable) else nullcontext():
                for batch in batches:
                    if stop.is_set() or not put(encoder.encode(batch)):
                        return
            put(_DONE)
        except BaseException as exc:  # handed to the writer thread, which raises it
            put(exc)

    rows = nbytes = 0
    producer = threading.Thread(target=produce, name=f"export-{table.name}", daemon=True)
    with conn.cursor() as cursor:
        try:
            with cursor.copy(copy_sql) as copy:
                copy.write(encoder.header())
                producer.start()
                while True:
                    item = pending.get()
                    if item is _DONE:
                        break
                    if isinstance(item, BaseException):
                        raise item
                    assert isinstance(item, Encoded)
                    if item.rows:
                        copy.write(item.data)
                        rows += item.rows
                        nbytes += len(item.data)
                        task(item.rows, len(item.data))
                copy.write(encoder.trailer())
        finally:
            stop.set()
            if producer.is_alive():
                producer.join()
        copied = cursor.rowcount
    return rows, nbytes, copied


def _swap(conn: psycopg.Connection[Any], schema: str, staging: str, name: str, lock_timeout: float) -> None:
    """Replace the served table by the staged one in one transaction, retrying if readers hold it too long."""
    started = time.perf_counter()
    for attempt in range(1, SWAP_ATTEMPTS + 1):
        try:
            with conn.transaction():
                conn.execute("select set_config('lock_timeout', %s, true)", [f"{int(lock_timeout * 1000)}ms"])
                conn.execute(sql.SQL("drop table if exists {}").format(sql.Identifier(schema, name)))
                conn.execute(
                    sql.SQL("alter table {} set schema {}").format(
                        sql.Identifier(staging, name), sql.Identifier(schema)
                    )
                )
            break
        except psycopg.errors.LockNotAvailable:
            if attempt == SWAP_ATTEMPTS:
                raise ExportError(
                    f"could not swap in {schema}.{name}: readers held it for over {lock_timeout:g} s, "
                    f"{SWAP_ATTEMPTS} times; the previous table is still served. Re-run the export when "
                    "long queries are done."
                ) from None
            time.sleep(attempt)
    step("export: swapped", time.perf_counter() - started, table=escape(f"{schema}.{name}"))


def _drop_staging(conn: psycopg.Connection[Any], staging: str, name: str) -> None:
    """Best effort: a failed table leaves nothing in staging (the next run would drop it anyway)."""
    with suppress(psycopg.Error):
        conn.execute(sql.SQL("drop table if exists {}").format(sql.Identifier(staging, name)))


# --- SQL -----------------------------------------------------------------------------------------------------


def _create_table_sql(target: sql.Identifier, columns: Sequence[ExportColumn]) -> sql.Composed:
    definitions = [
        sql.SQL("{} {}{}").format(
            sql.Identifier(c.name),
            sql.SQL(c.pg_type.ddl),  # built by types.PgType from constants and validated integers only
            sql.SQL(" not null") if c.not_null else sql.SQL(""),
        )
        for c in columns
    ]
    return sql.SQL("create table {} ({})").format(target, sql.SQL(", ").join(definitions))


def _create_index_sql(staging: str, table: str, index: IndexSpec) -> sql.Composed:
    return sql.SQL("create {}index {} on {} ({})").format(
        sql.SQL("unique ") if index.unique else sql.SQL(""),
        sql.Identifier(index_name(table, index)),
        sql.Identifier(staging, table),
        sql.SQL(", ").join(sql.Identifier(c) for c in index.columns),
    )


def _comment_sql(target: sql.Identifier, table: ExportTable) -> list[sql.Composed]:
    statements = []
    if table.description:
        statements.append(sql.SQL("comment on table {} is {}").format(target, sql.Literal(table.description)))
    for column in table.columns:
        if column.description:
            statements.append(
                sql.SQL("comment on column {}.{} is {}").format(
                    target, sql.Identifier(column.name), sql.Literal(column.description)
                )
            )
    return statements


# --- connection, lock, schemas and grants --------------------------------------------------------------------


@contextmanager
def _connect(url: str, redactor: Redactor, read_only: bool) -> Iterator[psycopg.Connection[Any]]:
    try:
        conn = psycopg.connect(
            url, autocommit=True, application_name="impact-export", client_encoding="UTF8", connect_timeout=15
        )
    except Exception as exc:  # psycopg.Error, or ProgrammingError for a malformed string
        raise ExportError(
            f"cannot connect to Postgres at {redactor.display_url}: {redactor(_describe_error(exc))}; "
            "check IMPACT_POSTGRES_URL (e.g. postgresql://user:password@host:5432/db)"
        ) from None
    try:
        if read_only:
            conn.execute("select set_config('default_transaction_read_only', 'on', false)")
        yield conn
    finally:
        conn.close()


@contextmanager
def _export_lock(conn: psycopg.Connection[Any], schema: str) -> Iterator[None]:
    row = conn.execute("select pg_try_advisory_lock(%s, hashtext(%s))", [LOCK_NAMESPACE, schema]).fetchone()
    if not row or not row[0]:
        holder = conn.execute(
            """
            select a.pid, a.application_name from pg_locks l join pg_stat_activity a using (pid)
            where l.locktype = 'advisory' and l.classid = %s::oid and l.objid = hashtext(%s)::oid and l.granted
            """,
            [LOCK_NAMESPACE, schema],
        ).fetchone()
        who = f" (pid {holder[0]}, {holder[1] or 'no application name'})" if holder else ""
        raise ExportError(
            f"another export into schema {schema} is running{who}: wait for it to finish, then re-run"
        )
    try:
        yield
    finally:
        with suppress(psycopg.Error):  # if the connection is broken, the lock went with it
            conn.execute("select pg_advisory_unlock(%s, hashtext(%s))", [LOCK_NAMESPACE, schema])


def _prepare(conn: psycopg.Connection[Any], schema: str, staging: str, role: str) -> tuple[str, ...]:
    """Schemas, the reader role and its grants (idempotent); drop what an interrupted run left in staging."""
    served, stage, reader = sql.Identifier(schema), sql.Identifier(staging), sql.Identifier(role)
    with conn.transaction():
        conn.execute(sql.SQL("create schema if not exists {}").format(served))
        conn.execute(sql.SQL("create schema if not exists {}").format(stage))
        _claim_staging(conn, staging)
        conn.execute(sql.SQL("revoke all on schema {} from public").format(stage))
        exists = conn.execute("select 1 from pg_roles where rolname = %s", [role]).fetchone()
        if not exists:
            conn.execute(sql.SQL("create role {} nologin").format(reader))
            step("export: created read-only role", role=escape(role))
        conn.execute(sql.SQL("revoke all on schema {} from {}").format(stage, reader))
        conn.execute(sql.SQL("revoke create on schema {} from {}").format(served, reader))
        conn.execute(sql.SQL("grant usage on schema {} to {}").format(served, reader))
        conn.execute(
            sql.SQL(
                "revoke insert, update, delete, truncate, references, trigger on all tables in schema {} from {}"
            ).format(served, reader)
        )
        conn.execute(sql.SQL("grant select on all tables in schema {} to {}").format(served, reader))
    leftovers = _leftovers(conn, staging)
    for name in leftovers:
        conn.execute(sql.SQL("drop table if exists {} cascade").format(sql.Identifier(staging, name)))
    return leftovers


def _claim_staging(conn: psycopg.Connection[Any], staging: str) -> None:
    """The staging schema is the exporter's: it empties it at every run. A schema of that name made by someone
    else (no marker comment) is adopted only while it holds no tables; otherwise the export stops."""
    row = conn.execute(
        "select obj_description(oid, 'pg_namespace') from pg_namespace where nspname = %s", [staging]
    ).fetchone()
    if row and row[0] == STAGING_COMMENT:
        return
    if _leftovers(conn, staging):
        raise ExportError(
            f"schema {staging} exists, holds tables and was not made by the exporter, which empties its staging "
            "schema at every run: export to another schema, or move those tables and drop it"
        )
    conn.execute(
        sql.SQL("comment on schema {} is {}").format(sql.Identifier(staging), sql.Literal(STAGING_COMMENT))
    )


def _leftovers(conn: psycopg.Connection[Any], staging: str) -> tuple[str, ...]:
    rows = conn.execute(
        """
        select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = %s and c.relkind in ('r', 'p') order by c.relname
        """,
        [staging],
    ).fetchall()
    return tuple(r[0] for r in rows)


def _table_exists(conn: psycopg.Connection[Any], schema: str, name: str) -> bool:
    row = conn.execute(
        """
        select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = %s and c.relname = %s and c.relkind in ('r', 'p')
        """,
        [schema, name],
    ).fetchone()
    return row is not None


def _has_rows(conn: psycopg.Connection[Any], schema: str, name: str) -> bool:
    query = sql.SQL("select exists (select 1 from {})").format(sql.Identifier(schema, name))
    row = conn.execute(query).fetchone()
    return bool(row and row[0])


# --- dry run -------------------------------------------------------------------------------------------------


def _plan(
    conn: psycopg.Connection[Any], warehouse: WarehouseReader, table: ExportTable, schema: str
) -> TableResult:
    """What an export would do to one table, from reads only."""
    rows = warehouse.count_rows(table.relation)
    served = _served_columns(conn, schema, table.name)
    if served is None:
        return TableResult(
            name=table.name,
            action="create",
            rows=rows,
            column_changes=tuple(ColumnChange(c.name, None, c.pg_type.ddl) for c in table.columns),
            index_changes=tuple(f"+index {index_name(table.name, i)}" for i in table.indexes),
        )
    count = conn.execute(
        sql.SQL("select count(*) from {}").format(sql.Identifier(schema, table.name))
    ).fetchone()
    wanted = {c.name: c.pg_type.ddl for c in table.columns}
    changes = [ColumnChange(name, None, ddl) for name, ddl in wanted.items() if name not in served]
    changes += [ColumnChange(name, ddl, None) for name, ddl in served.items() if name not in wanted]
    changes += [
        ColumnChange(name, served[name], ddl)
        for name, ddl in wanted.items()
        if name in served and served[name] != ddl
    ]
    existing = set(_served_indexes(conn, schema, table.name))
    planned = {index_name(table.name, i) for i in table.indexes}
    index_changes = [f"+index {n}" for n in sorted(planned - existing)]
    index_changes += [f"-index {n}" for n in sorted(existing - planned)]
    return TableResult(
        name=table.name,
        action="replace",
        rows=rows,
        served_rows=int(count[0]) if count else 0,
        column_changes=tuple(changes),
        index_changes=tuple(index_changes),
    )


def _served_columns(conn: psycopg.Connection[Any], schema: str, name: str) -> dict[str, str] | None:
    if not _table_exists(conn, schema, name):
        return None
    rows = conn.execute(
        """
        select a.attname, format_type(a.atttypid, a.atttypmod)
        from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = %s and c.relname = %s and a.attnum > 0 and not a.attisdropped order by a.attnum
        """,
        [schema, name],
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def _served_indexes(conn: psycopg.Connection[Any], schema: str, name: str) -> list[str]:
    rows = conn.execute(
        "select indexname from pg_indexes where schemaname = %s and tablename = %s order by indexname",
        [schema, name],
    ).fetchall()
    return [r[0] for r in rows]


# --- progress ------------------------------------------------------------------------------------------------


class _Throughput(ProgressColumn):
    def render(self, task: Task) -> Text:
        elapsed = task.finished_time if task.finished else task.elapsed
        megabytes = float(task.fields.get("bytes", 0)) / 1e6
        if not elapsed:
            return Text("     - MB/s")
        return Text(f"{megabytes / elapsed:6.1f} MB/s")


class _Bar:
    """One progress task per table (rows copied, MB/s), or nothing when progress is off."""

    def __init__(self, progress: Progress | None):
        self.progress = progress

    def add(self, name: str, total: int) -> Callable[[int, int], None]:
        if self.progress is None:
            return lambda rows, nbytes: None
        progress = self.progress
        task_id = progress.add_task(name, total=max(total, 0), bytes=0)
        sent = [0]

        def advance(rows: int, nbytes: int) -> None:
            sent[0] += nbytes
            progress.update(task_id, advance=rows, bytes=sent[0])

        return advance


@contextmanager
def _progress_bar(console: Console, enabled: bool) -> Iterator[_Bar]:
    if not enabled:
        yield _Bar(None)
        return
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        _Throughput(),
        TimeElapsedColumn(),
        console=console,
    )
    with progress:
        yield _Bar(progress)

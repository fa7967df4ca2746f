"""Warehouse readers: stream a relation's rows as Arrow record batches, in bounded memory.

The exporter only needs two things from a warehouse (`WarehouseReader`), so the BigQuery reader (table metadata
for the count, the Storage Read API for the rows) sits beside the DuckDB one without touching the export code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import duckdb
import pyarrow as pa

from ingestion.errors import ExportError, ImpactError
from ingestion.export.manifest import WarehouseRelation
from ingestion.settings import ENV_BQ_KEYFILE

if TYPE_CHECKING:
    from google.auth.credentials import Credentials
    from google.cloud import bigquery
    from google.cloud.bigquery_storage_v1 import BigQueryReadClient

    from ingestion.bigquery.jobs import QueryRunner

DEFAULT_BATCH_ROWS = 32_768
DEFAULT_MEMORY_LIMIT = "128MB"
"""DuckDB's buffer pool for the export: a scan then holds a few blocks instead of caching the whole file
(measured: 10M rows read with peak RSS 290 MB at 128MB against 540 MB unlimited, and no slower)."""


class WarehouseReader(Protocol):
    """What the exporter reads from: the row count of a relation and its rows as Arrow batches."""

    dialect: str
    """The dbt adapter type whose `data_type` names the contracts use (duckdb, bigquery)."""

    def count_rows(self, relation: WarehouseRelation) -> int: ...

    def record_batches(
        self, relation: WarehouseRelation, columns: Sequence[str], batch_rows: int = DEFAULT_BATCH_ROWS
    ) -> Iterator[pa.RecordBatch]:
        """The relation's `columns`, in that order, a batch at a time (never the whole table in memory)."""
        ...


def duckdb_identifier(name: str) -> str:
    """A DuckDB identifier in double quotes (embedded quotes doubled): never a bare name in SQL."""
    return '"' + name.replace('"', '""') + '"'


class DuckDBReader:
    """Reads marts from a DuckDB file, opened read-only, with a bounded buffer pool (`memory_limit`)."""

    dialect = "duckdb"

    def __init__(self, path: Path, memory_limit: str = DEFAULT_MEMORY_LIMIT):
        self.path = Path(path)
        self.memory_limit = memory_limit
        self._con: duckdb.DuckDBPyConnection | None = None

    def __enter__(self) -> DuckDBReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            if not self.path.exists():
                raise ExportError(f"no warehouse at {self.path}: run `impact run` (or `dbt build`) first")
            try:
                self._con = duckdb.connect(
                    str(self.path), read_only=True, config={"memory_limit": self.memory_limit}
                )
            except duckdb.Error as exc:
                raise ExportError(f"cannot open the warehouse {self.path} read-only: {exc}") from None
        return self._con

    def qualified_name(self, relation: WarehouseRelation) -> str:
        """`"catalog"."schema"."table"`; the catalog only when attached under that name.

        dbt-duckdb names the catalog after the file it built into; a copy of that file opened under another
        name is the same warehouse, so its default catalog is used then.
        """
        parts = [relation.schema, relation.identifier]
        if relation.database:
            row = self.con.execute(
                "select count(*) from duckdb_databases() where database_name = ?", [relation.database]
            ).fetchone()
            if row and row[0]:
                parts.insert(0, relation.database)
        return ".".join(duckdb_identifier(p) for p in parts if p)

    def count_rows(self, relation: WarehouseRelation) -> int:
        name = self.qualified_name(relation)
        try:
            row = self.con.execute(f"select count(*) from {name}").fetchone()  # noqa: S608 (quoted identifiers)
        except duckdb.Error as exc:
            raise ExportError(
                f"cannot read {relation} from {self.path}: {_first_line(exc)}; run `dbt build` to create it"
            ) from None
        return int(row[0]) if row else 0

    def record_batches(
        self, relation: WarehouseRelation, columns: Sequence[str], batch_rows: int = DEFAULT_BATCH_ROWS
    ) -> Iterator[pa.RecordBatch]:
        select = ", ".join(duckdb_identifier(c) for c in columns)
        query = f"select {select} from {self.qualified_name(relation)}"  # noqa: S608 (quoted identifiers)
        cursor = self.con.cursor()  # its own connection: the export may pull batches from another thread
        try:
            cursor.execute("set enable_progress_bar = false")  # the exporter draws its own
            try:
                reader = cursor.sql(query).to_arrow_reader(batch_rows)
            except duckdb.Error as exc:
                raise ExportError(
                    f"cannot read columns {', '.join(columns)} of {relation} from {self.path}: "
                    f"{_first_line(exc)}; the manifest and the warehouse disagree: run `dbt build`"
                ) from None
            yield from reader
        finally:
            cursor.close()


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# --- BigQuery -------------------------------------------------------------------------------------------------

DEFAULT_READ_STREAMS = 4
"""Storage Read API streams read in parallel. The client library holds at most one response per stream in its
queue (plus one being read per stream), so memory stays bounded whatever the table's size; BigQuery caps a
response at 10 MiB."""
GOOGLE_API_ENDPOINT = "https://bigquery.googleapis.com"
ROLE_DATA_VIEWER = "BigQuery Data Viewer (roles/bigquery.dataViewer)"
ROLE_READ_SESSION_USER = "BigQuery Read Session User (roles/bigquery.readSessionUser)"
CREDENTIALS_HINT = (
    f"check the BigQuery credentials: {ENV_BQ_KEYFILE} (a service-account key file) or Application Default "
    "Credentials (`gcloud auth application-default login`)"
)
BUILD_HINT = "run `impact build --target bigquery` to build it"

_ARROW_TYPES: dict[str, pa.DataType] = {
    "STRING": pa.string(),
    "INTEGER": pa.int64(),
    "INT64": pa.int64(),
    "FLOAT": pa.float64(),
    "FLOAT64": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "BOOL": pa.bool_(),
    "NUMERIC": pa.decimal128(38, 9),
    "BIGNUMERIC": pa.decimal256(76, 38),
    "DATE": pa.date32(),
    "DATETIME": pa.timestamp("us"),
    "TIME": pa.time64("us"),
    "TIMESTAMP": pa.timestamp("us", tz="UTC"),
}
"""The Arrow type the Storage Read API gives for each BigQuery type (a REPEATED field: a list of it). Batches are
brought to these types (exact casts only), so the encoders see the same types from BigQuery and from a local
stand-in that stores BIGNUMERIC narrower (as decimal128(38,18))."""

_QUERYABLE = frozenset({"VIEW", "MATERIALIZED_VIEW"})
"""Relations read by a query instead of the Storage Read API directly (when the reader has a runner)."""
_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NAME_PART = re.compile(r"^[^./$@`\x00-\x1f]+$")
"""A project, dataset or table name: none of `.`, `/`, `$` (partition decorator), `@` (snapshot), backtick."""


def bigquery_read_client(
    endpoint: str | None = None, credentials: Credentials | None = None
) -> BigQueryReadClient:
    """A BigQuery Storage Read API client.

    `endpoint` (`host:port`) is a local server speaking the Storage Read API over plain gRPC (an emulator): the
    channel is insecure and no credentials are sent. Without it, the client talks to Google with `credentials`
    (None: Application Default Credentials).
    """
    from google.cloud.bigquery_storage_v1 import BigQueryReadClient

    if endpoint is None:
        return BigQueryReadClient(credentials=credentials)
    import grpc
    from google.auth.credentials import AnonymousCredentials
    from google.cloud.bigquery_storage_v1.services.big_query_read.transports import BigQueryReadGrpcTransport

    target = re.sub(r"^(grpc|http)://", "", endpoint.strip()).rstrip("/")
    if not re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+:\d{1,5}", target):
        raise ExportError(
            f"the Storage Read API endpoint {endpoint!r} is not host:port (e.g. 127.0.0.1:9060)"
        )
    channel = grpc.insecure_channel(
        target,
        options=[("grpc.max_receive_message_length", -1), ("grpc.max_send_message_length", -1)],
    )
    transport = BigQueryReadGrpcTransport(channel=channel, credentials=AnonymousCredentials())
    return BigQueryReadClient(transport=transport)


class BigQueryReader:
    """Reads marts from BigQuery: the row count from the table's metadata, the rows through the Storage Read API.

    A relation from the dbt manifest is `database` = project (the client's project when empty), `schema` =
    dataset, `identifier` = table; it becomes a `TableReference`, never SQL text. No query runs, so an export
    bills no query bytes: the Storage Read API is priced per byte read (the columns asked for, nothing else).

    `read_client` defaults to a Storage Read API client for Google with the BigQuery client's credentials; a
    client pointed anywhere but Google must come with its own (`bigquery_read_client(endpoint=...)`), so an export
    against a local server never reaches Google.

    The account needs BigQuery Data Viewer on the marts dataset (table metadata and data) and BigQuery Read
    Session User on the client's project (read sessions are created, and billed, there).

    A mart that is a view (the timeseries marts union the metric tables) cannot be read by the Storage Read API
    directly: with a `runner` (`ingestion.bigquery.jobs.QueryRunner`), the view is read by a query, dry-run and
    capped like every other, whose result the Storage Read API then streams; without one, it is an error.
    """

    dialect = "bigquery"

    def __init__(
        self,
        client: bigquery.Client,
        read_client: BigQueryReadClient | None = None,
        *,
        max_streams: int = DEFAULT_READ_STREAMS,
        runner: QueryRunner | None = None,
    ):
        if max_streams < 1:
            raise ExportError(f"max_streams must be at least 1, not {max_streams}")
        self.client = client
        self.runner = runner
        self.max_streams = max_streams
        self._read_client = read_client
        self._owns_read_client = read_client is None

    def __enter__(self) -> BigQueryReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the Storage Read API channel if this reader opened it (a client passed in is the caller's)."""
        if self._owns_read_client and self._read_client is not None:
            self._read_client.transport.close()
            self._read_client = None

    @property
    def read_client(self) -> BigQueryReadClient:
        if self._read_client is None:
            # The REST client's endpoint and credentials are private attributes, the only place it keeps them.
            endpoint = getattr(self.client._connection, "API_BASE_URL", GOOGLE_API_ENDPOINT)
            if endpoint.rstrip("/") != GOOGLE_API_ENDPOINT:
                raise ExportError(
                    f"the BigQuery client talks to {endpoint}, not Google: give the reader a Storage Read API "
                    "client for the same server (bigquery_read_client(endpoint='host:port'))"
                )
            self._read_client = bigquery_read_client(credentials=self.client._credentials)
        return self._read_client

    def table_reference(self, relation: WarehouseRelation) -> bigquery.TableReference:
        """The relation as a BigQuery table reference (project.dataset.table), names checked, nothing quoted."""
        from google.cloud import bigquery

        project = relation.database or self.client.project
        parts = {
            "project (database)": project,
            "dataset (schema)": relation.schema,
            "table": relation.identifier,
        }
        for what, name in parts.items():
            if not name or not _NAME_PART.match(name):
                raise ExportError(
                    f"the mart {relation} has no valid BigQuery {what} name ({name!r}): check the model's "
                    "database, schema and alias in the dbt manifest (run `dbt parse --target bigquery`)"
                )
        return bigquery.TableReference(
            bigquery.DatasetReference(project, relation.schema), relation.identifier
        )

    def count_rows(self, relation: WarehouseRelation) -> int:
        """The table's row count from its metadata: no query, no bytes billed.

        BigQuery's `num_rows` leaves out rows still in a streaming buffer. The marts are written by dbt's query
        jobs, never streamed, so for them the count is exact; were a table being streamed into, the buffer's
        estimate is added (it only sizes the progress bar: the export checks what Postgres received).
        """
        table = self._table(relation)
        if table.table_type != "TABLE":
            outcome = self._query_view(table, relation, "count(*)", "counting")
            return int(next(iter(outcome.job.result()))[0])
        rows = int(table.num_rows or 0)
        if table.streaming_buffer is not None:
            rows += int(table.streaming_buffer.estimated_rows or 0)
        return rows

    def record_batches(
        self, relation: WarehouseRelation, columns: Sequence[str], batch_rows: int = DEFAULT_BATCH_ROWS
    ) -> Iterator[pa.RecordBatch]:
        """The columns, in the order asked, as batches of at most `batch_rows` rows, in the Arrow types of
        `_ARROW_TYPES` (BIGNUMERIC as decimal256(76,38), TIMESTAMP as UTC microseconds, ARRAY<STRING> as a list of
        strings). Rows come in no particular order (streams are read in parallel)."""
        table = self._table(relation)
        fields = _selected_fields(table, relation, columns)
        if table.table_type == "TABLE":
            rows = self.client.list_rows(table, selected_fields=fields)
        else:
            if any(not _COLUMN.match(field.name) for field in fields):
                raise ExportError(f"the mart {relation} has a column name BigQuery cannot quote")
            select = ", ".join(f"`{field.name}`" for field in fields)
            rows = self._query_view(table, relation, select, "reading").job.result(page_size=batch_rows)
        pages = rows.to_arrow_iterable(bqstorage_client=self.read_client, max_stream_count=self.max_streams)
        try:
            batches = (_conformed(page, fields, columns, relation) for page in pages)
            yield from _rebatched(batches, batch_rows)
        except ExportError:
            raise
        except Exception as exc:
            raise _explain(exc, relation, self.client.project, reading=True) from None
        finally:
            close = getattr(pages, "close", None)  # a generator: stops the library's stream readers early
            if close is not None:
                close()

    def _table(self, relation: WarehouseRelation) -> bigquery.Table:
        reference = self.table_reference(relation)
        try:
            table = self.client.get_table(reference)
        except Exception as exc:
            raise _explain(exc, relation, self.client.project, reading=False) from None
        if table.table_type != "TABLE" and (self.runner is None or table.table_type not in _QUERYABLE):
            raise ExportError(
                f"the mart {relation} is a {table.table_type} in BigQuery; the Storage Read API reads tables: "
                "materialize the model as a table (`materialized: table`) and run `impact build --target bigquery`"
            )
        return table

    def _query_view(self, table: bigquery.Table, relation: WarehouseRelation, select: str, what: str) -> Any:
        """`select <select> from <view>`, priced and capped by the runner (names come from the view's schema and a
        checked table reference, in backticks)."""
        assert self.runner is not None
        path = f"{table.project}.{table.dataset_id}.{table.table_id}"
        if "`" in path or "\\" in path:
            raise ExportError(f"the mart {relation} has a name BigQuery cannot quote")
        sql = f"select {select} from `{path}`"  # noqa: S608 (checked names in backticks; no values)
        try:
            return self.runner.run(sql, [], f"export: {what} {relation}", quiet=True)
        except ExportError:
            raise
        except Exception as exc:
            if isinstance(exc, ImpactError):
                raise ExportError(str(exc)) from None
            raise _explain(exc, relation, self.client.project, reading=False) from None


def _selected_fields(
    table: bigquery.Table, relation: WarehouseRelation, columns: Sequence[str]
) -> list[bigquery.SchemaField]:
    """The table's schema fields for `columns`, in that order (BigQuery names are case-insensitive)."""
    by_name = {field.name.casefold(): field for field in table.schema}
    missing = [c for c in columns if c.casefold() not in by_name]
    if missing:
        raise ExportError(
            f"the mart {relation} in BigQuery has no column(s) {', '.join(missing)} (it has "
            f"{', '.join(f.name for f in table.schema) or 'none'}): the dbt manifest and BigQuery disagree; "
            f"{BUILD_HINT} again"
        )
    return [by_name[c.casefold()] for c in columns]


def _arrow_type(field: bigquery.SchemaField) -> pa.DataType | None:
    scalar = _ARROW_TYPES.get(field.field_type.upper())
    if scalar is None:
        return None  # RECORD, BYTES, JSON, GEOGRAPHY...: passed as they come; the contract decides
    return pa.list_(scalar) if field.mode == "REPEATED" else scalar


def _same_type(have: pa.DataType, want: pa.DataType) -> bool:
    if pa.types.is_list(have) and pa.types.is_list(want):  # list field names differ ("item", "l"): not a type
        return _same_type(have.value_type, want.value_type)
    return have == want


def _conformed(
    page: pa.RecordBatch,
    fields: Sequence[bigquery.SchemaField],
    columns: Sequence[str],
    relation: WarehouseRelation,
) -> pa.RecordBatch:
    """The page's columns in the order asked, named as the contract names them, in the Storage Read API's types.

    The Storage Read API returns the selected fields in the table's order, not the order asked for.
    """
    index = {name.casefold(): i for i, name in enumerate(page.schema.names)}
    arrays: list[pa.Array] = []
    for field, name in zip(fields, columns, strict=True):
        position = index.get(field.name.casefold())
        if position is None:
            raise ExportError(f"BigQuery returned no column {name} for {relation}; {BUILD_HINT} again")
        array = page.column(position)
        wanted = _arrow_type(field)
        if wanted is not None and not _same_type(array.type, wanted):
            try:
                array = array.cast(wanted)  # safe cast: raises instead of rounding or overflowing
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise ExportError(
                    f"column {name} of {relation}: BigQuery {field.field_type} came as Arrow {array.type}, which "
                    f"does not convert exactly to {wanted}: {_first_line(exc)}"
                ) from None
        arrays.append(array)
    return pa.RecordBatch.from_arrays(arrays, names=list(columns))


def _rebatched(batches: Iterable[pa.RecordBatch], batch_rows: int) -> Iterator[pa.RecordBatch]:
    """Batches of exactly `batch_rows` rows (the last one fewer): big pages are sliced (no copy), small ones
    gathered (one copy), so the encoder's work per batch does not depend on how the server cut its pages."""
    if batch_rows < 1:
        raise ExportError(f"batch_rows must be at least 1, not {batch_rows}")
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        pending.append(batch)
        held += batch.num_rows
        while held >= batch_rows:
            gathered = pa.Table.from_batches(pending)
            yield _one_batch(gathered.slice(0, batch_rows))
            rest = gathered.slice(batch_rows)
            pending, held = rest.to_batches(), rest.num_rows
    if held:
        yield _one_batch(pa.Table.from_batches(pending))


def _one_batch(table: pa.Table) -> pa.RecordBatch:
    """A non-empty table as one record batch (a table of one chunk per column gives exactly one)."""
    (batch,) = table.combine_chunks().to_batches()
    return batch


def _explain(
    exc: BaseException, relation: WarehouseRelation, billing_project: str, *, reading: bool
) -> ExportError:
    """Google's error as an ExportError that names the fix. Only Google's own message is quoted (never a
    credential, a header or a request)."""
    from google.api_core import exceptions as api
    from google.auth import exceptions as auth

    where = f"{relation.database or billing_project}.{relation.schema}"
    said = _google_message(exc)
    if isinstance(exc, auth.RefreshError | auth.DefaultCredentialsError | api.Unauthorized):
        return ExportError(
            f"BigQuery did not accept the credentials while reading {relation} ({type(exc).__name__}); "
            f"{CREDENTIALS_HINT}"
        )
    if isinstance(exc, api.NotFound):
        return ExportError(f"the mart {relation} is not in BigQuery ({said}): {BUILD_HINT}")
    if isinstance(exc, api.Forbidden):
        lowered = said.lower()
        if "service_disabled" in lowered or "has not been used" in lowered or "is disabled" in lowered:
            api_name = "BigQuery Storage API (bigquerystorage.googleapis.com)" if reading else "BigQuery API"
            return ExportError(
                f"reading {relation}: the {api_name} is not enabled ({said}): enable it in project "
                f"{billing_project} (APIs & Services > Enable APIs), then re-run"
            )
        if reading:
            return ExportError(
                f"BigQuery refused to read {relation} through the Storage Read API ({said}): the account needs "
                f"{ROLE_READ_SESSION_USER} on project {billing_project} and {ROLE_DATA_VIEWER} on dataset {where}"
            )
        return ExportError(
            f"BigQuery refused access to {relation} ({said}): the account needs {ROLE_DATA_VIEWER} on dataset "
            f"{where}"
        )
    if isinstance(exc, api.GoogleAPICallError):
        return ExportError(
            f"BigQuery failed while reading {relation} ({exc.code}: {said}); re-run the export"
        )
    return ExportError(f"reading {relation} from BigQuery failed: {type(exc).__name__}: {said}")


def _google_message(exc: BaseException) -> str:
    """The first line of what Google said, without the request line (`GET https://...: `) the REST client adds."""
    errors = getattr(exc, "errors", None) or []
    for error in errors:
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"]).strip().splitlines()[0][:500]
    message = str(getattr(exc, "message", None) or exc).strip()
    message = re.sub(r"^[A-Z]+ https?://\S+: ", "", message)
    return (message.splitlines()[0] if message else type(exc).__name__)[:500]

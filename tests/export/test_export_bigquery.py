"""`impact export postgres` from BigQuery: the BigQuery reader through the real exporter into the real Postgres.

Boundary: the local BigQuery emulator (`bq_emulator`, tests/conftest.py) stands in for Google's BigQuery REST API
(table metadata, load jobs) and its Storage Read API (gRPC, Arrow): the real google-cloud-bigquery and
google-cloud-bigquery-storage clients talk to it. Postgres is the real server the other export tests use. Marts are
made in the emulator by load jobs with an explicit BigQuery schema, as dbt's tables would be typed.

The emulator stores BIGNUMERIC as DECIMAL(38,18) (BigQuery: 76 digits, 38 after the point), so the values here
stay within 20 integer digits and 18 decimals; the reader still hands BIGNUMERIC to the exporter as
decimal256(76,38), as the Storage Read API does. Every expected Postgres value is written out by hand from the
rows loaded.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.cloud import bigquery
from google.oauth2.credentials import Credentials
from psycopg import sql

from ingestion.errors import ExportError
from ingestion.export import ExportSummary, WarehouseRelation, export_postgres, tables_from_manifest
from ingestion.export.readers import BigQueryReader, bigquery_read_client

DATASET = "marts"
TABLE = "onchain_metrics_v1"

SCHEMA = [
    bigquery.SchemaField("project_id", "STRING", mode="REQUIRED"),
    bigquery.SchemaField("display_name", "STRING"),
    bigquery.SchemaField("gas_fees_sum", "BIGNUMERIC"),
    bigquery.SchemaField("fee_rate", "NUMERIC"),
    bigquery.SchemaField("transaction_count", "INT64"),
    bigquery.SchemaField("amount", "FLOAT64"),
    bigquery.SchemaField("first_day", "DATE"),
    bigquery.SchemaField("last_seen", "TIMESTAMP"),
    bigquery.SchemaField("data_complete", "BOOL"),
    bigquery.SchemaField("event_types", "STRING", mode="REPEATED"),
]

# The contract, in the order the mart declares it (not BigQuery's column order: the reader must reorder).
CONTRACT = [
    ("project_id", "string"),
    ("event_types", "array<string>"),
    ("gas_fees_sum", "bignumeric"),
    ("fee_rate", "numeric"),
    ("transaction_count", "int64"),
    ("amount", "float64"),
    ("first_day", "date"),
    ("last_seen", "timestamp"),
    ("data_complete", "bool"),
    ("display_name", "string"),
]

QUOTED = 'quote " comma , backslash \\ newline \n end'

ROWS: list[dict[str, Any]] = [
    {  # 1 ETH and 1 wei: 18 decimals; int64's maximum; a timestamp one microsecond before midnight
        "project_id": "p1",
        "display_name": "Ünïcødé 日本 😀",
        "gas_fees_sum": "1.000000000000000001",
        "fee_rate": "123.456789012",
        "transaction_count": 9223372036854775807,
        "amount": 0.1,
        "first_day": "2025-10-07",
        "last_seen": "2025-10-07T23:59:59.999999Z",
        "data_complete": True,
        "event_types": ["CONTRACT_INVOCATION", "CONTRACT_INVOCATION_SUCCESS"],
    },
    {  # the largest the emulator's DECIMAL(38,18) holds; int64's minimum; the epochs; an empty array
        "project_id": "p2",
        "display_name": "",
        "gas_fees_sum": "99999999999999999999.999999999999999999",
        "fee_rate": "-0.000000001",
        "transaction_count": -9223372036854775808,
        "amount": -1.5,
        "first_day": "1970-01-01",
        "last_seen": "2000-01-01T00:00:00Z",
        "data_complete": False,
        "event_types": [],
    },
    {  # NULL in every nullable column (BigQuery has no NULL array: a NULL REPEATED field is empty)
        "project_id": "p3",
        "display_name": None,
        "gas_fees_sum": None,
        "fee_rate": None,
        "transaction_count": None,
        "amount": None,
        "first_day": None,
        "last_seen": None,
        "data_complete": None,
        "event_types": None,
    },
    {  # a negative BIGNUMERIC with all 38 digits; CSV-hostile text in a value and in array elements
        "project_id": "p4",
        "display_name": QUOTED,
        "gas_fees_sum": "-12345678901234567890.123456789012345678",
        "fee_rate": "0",
        "transaction_count": 0,
        "amount": 0.0,
        "first_day": "1969-12-31",
        "last_seen": "2024-03-10T07:04:56.123456Z",
        "data_complete": True,
        "event_types": ["a,b", 'quote"', "back\\slash", "{braces}", "NULL", ""],
    },
]

# The Postgres rows, in CONTRACT order, worked out from ROWS above.
EXPECTED = [
    (
        "p1",
        ["CONTRACT_INVOCATION", "CONTRACT_INVOCATION_SUCCESS"],
        Decimal("1.000000000000000001"),
        Decimal("123.456789012"),
        9223372036854775807,
        0.1,
        date(2025, 10, 7),
        datetime(2025, 10, 7, 23, 59, 59, 999999, tzinfo=UTC),
        True,
        "Ünïcødé 日本 😀",
    ),
    (
        "p2",
        [],
        Decimal("99999999999999999999.999999999999999999"),
        Decimal("-0.000000001"),
        -9223372036854775808,
        -1.5,
        date(1970, 1, 1),
        datetime(2000, 1, 1, tzinfo=UTC),
        False,
        "",
    ),
    ("p3", [], None, None, None, None, None, None, None, None),
    (
        "p4",
        ["a,b", 'quote"', "back\\slash", "{braces}", "NULL", ""],
        Decimal("-12345678901234567890.123456789012345678"),
        Decimal("0"),
        0,
        0.0,
        date(1969, 12, 31),
        datetime(2024, 3, 10, 7, 4, 56, 123456, tzinfo=UTC),
        True,
        QUOTED,
    ),
]

POSTGRES_TYPES = [
    ("project_id", "text"),
    ("event_types", "text[]"),
    ("gas_fees_sum", "numeric(76,38)"),
    ("fee_rate", "numeric(38,9)"),
    ("transaction_count", "bigint"),
    ("amount", "double precision"),
    ("first_day", "date"),
    ("last_seen", "timestamp with time zone"),
    ("data_complete", "boolean"),
    ("display_name", "text"),
]


# --- helpers -------------------------------------------------------------------------------------------------


def _load(
    client: bigquery.Client, table: str, rows: list[dict[str, Any]], schema: list[Any] = SCHEMA
) -> None:
    """A load job with an explicit schema, replacing the table (as a dbt table build replaces it)."""
    client.create_dataset(DATASET, exists_ok=True)
    config = bigquery.LoadJobConfig(schema=schema, write_disposition="WRITE_TRUNCATE")
    client.load_table_from_json(rows, f"{client.project}.{DATASET}.{table}", job_config=config).result()


def _manifest(
    marts: Any, path: Path, project: str, *tables: str, extra: tuple[str, str] | None = None
) -> Path:
    """A dbt manifest as dbt-bigquery writes it: adapter_type bigquery, database = project, schema = dataset."""
    contract = CONTRACT + ([extra] if extra else [])
    nodes = [
        marts.model(
            name,
            [marts.column(c, t, not_null=(c == "project_id")) for c, t in contract],
            database=project,
            schema=DATASET,
            indexes=[{"columns": ["project_id"], "unique": True}],
        )
        for name in tables
    ]
    return marts.manifest(path, *nodes, adapter_type="bigquery")


@pytest.fixture
def bq(bq_emulator: Any, bq_project: str) -> Iterator[tuple[bigquery.Client, BigQueryReader]]:
    """The real BigQuery client and a BigQueryReader on the emulator, in this test's own project."""
    client = bq_emulator.client(bq_project)
    read_client = bigquery_read_client(bq_emulator.grpc_endpoint)
    with BigQueryReader(client, read_client) as reader:
        yield client, reader
    read_client.transport.close()
    client.close()


def _export(reader: BigQueryReader, pg: Any, manifest: Path, **options: Any) -> ExportSummary:
    return export_postgres(
        reader,
        pg.url,
        tables_from_manifest(manifest),
        schema=pg.schema,
        reader_role=pg.reader_role,
        progress=False,
        **options,
    )


# --- the export ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["binary", "csv"])
def test_bigquery_marts_arrive_in_postgres_exactly(
    bq: Any, pg: Any, marts: Any, tmp_path: Path, fmt: str
) -> None:
    """Every BigQuery type the marts use, edge values and NULLs included, lands as the hand-written rows, in
    the Postgres types of the BigQuery contract, through either COPY format."""
    client, reader = bq
    _load(client, TABLE, ROWS)
    summary = _export(
        reader, pg, _manifest(marts, tmp_path / "manifest.json", client.project, TABLE), fmt=fmt
    )

    assert summary.ok, summary.failures
    assert [(t.name, t.action, t.rows) for t in summary.tables] == [(TABLE, "created", 4)]
    assert pg.rows(TABLE) == EXPECTED
    types = pg.query(
        "select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a "
        "join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relname = %s and a.attnum > 0 and not a.attisdropped order by a.attnum",
        [pg.schema, TABLE],
    )
    assert types == POSTGRES_TYPES


def test_the_row_count_comes_from_table_metadata(bq: Any) -> None:
    """4 rows loaded -> 4; an empty table -> 0 (the count needs no query: it is the table's numRows)."""
    client, reader = bq
    _load(client, TABLE, ROWS)
    _load(client, "empty_v1", [])
    assert reader.count_rows(WarehouseRelation(client.project, DATASET, TABLE)) == 4
    assert reader.count_rows(WarehouseRelation(client.project, DATASET, "empty_v1")) == 0


def test_batches_hold_the_columns_asked_for_in_order_and_at_most_batch_rows(bq: Any) -> None:
    """7 rows read 3 at a time come as 3 + 3 + 1; the columns in the order asked (BigQuery returns the table's
    order), named as asked, BIGNUMERIC as decimal256(76,38) whatever the server stores."""
    client, reader = bq
    rows = [{**ROWS[0], "project_id": f"p{i}", "transaction_count": i} for i in range(7)]
    _load(client, TABLE, rows)
    batches = list(
        reader.record_batches(
            WarehouseRelation(client.project, DATASET, TABLE), ["gas_fees_sum", "PROJECT_ID"], 3
        )
    )
    assert [b.num_rows for b in batches] == [3, 3, 1]
    assert {tuple(b.schema.names) for b in batches} == {("gas_fees_sum", "PROJECT_ID")}
    assert str(batches[0].schema.field("gas_fees_sum").type) == "decimal256(76, 38)"
    ids = sorted(value for b in batches for value in b.column(1).to_pylist())
    assert ids == [f"p{i}" for i in range(7)]


def test_a_response_over_grpcs_default_4_mib_is_read(bq: Any) -> None:
    """Two rows of 3 MiB each come as one 6 MiB Storage Read API response: more than gRPC's default message limit
    (4 MiB), which the read client lifts as Google's own transport does."""
    client, reader = bq
    _load(client, "wide_v1", [{"project_id": "x" * 3 * 2**20}, {"project_id": "y" * 3 * 2**20}], SCHEMA[:1])
    batches = list(
        reader.record_batches(WarehouseRelation(client.project, DATASET, "wide_v1"), ["project_id"])
    )
    values = sorted(value for b in batches for value in b.column(0).to_pylist())
    assert values == ["x" * 3 * 2**20, "y" * 3 * 2**20]


def test_an_empty_mart_exports_an_empty_table(bq: Any, pg: Any, marts: Any, tmp_path: Path) -> None:
    """A table with no rows gives the Storage Read API a session without streams: an empty served table."""
    client, reader = bq
    _load(client, TABLE, [])
    summary = _export(reader, pg, _manifest(marts, tmp_path / "manifest.json", client.project, TABLE))
    assert summary.ok, summary.failures
    assert [(t.action, t.rows) for t in summary.tables] == [("created", 0)]
    assert pg.count(TABLE) == 0


def test_a_rerun_replaces_the_served_table_atomically(bq: Any, pg: Any, marts: Any, tmp_path: Path) -> None:
    """Export 4 rows; rebuild the mart with 2 (p1 and p4, fees doubled by hand); re-export while a reader counts
    the served table in a loop: it sees 4 rows, then 2, never an empty or partial table. Then a run whose
    manifest wants a column BigQuery does not have fails and leaves those 2 rows serving."""
    client, reader = bq
    manifest = _manifest(marts, tmp_path / "manifest.json", client.project, TABLE)
    _load(client, TABLE, ROWS)
    assert _export(reader, pg, manifest).ok

    rebuilt = [
        {**ROWS[0], "gas_fees_sum": "2.000000000000000002"},
        {**ROWS[3], "gas_fees_sum": "-24691357802469135780.246913578024691356"},
    ]
    _load(client, TABLE, rebuilt)
    seen: set[int] = set()
    counting, done = threading.Event(), threading.Event()
    count_sql = sql.SQL("select count(*) from {}").format(sql.Identifier(pg.schema, TABLE))

    def count() -> None:
        with pg.connect() as conn:
            while not done.is_set():
                seen.add(conn.execute(count_sql).fetchone()[0])
                counting.set()

    counter = threading.Thread(target=count)
    counter.start()
    assert counting.wait(10)
    try:
        summary = _export(reader, pg, manifest)
    finally:
        done.set()
        counter.join()

    assert [(t.action, t.rows, t.served_rows) for t in summary.tables] == [("replaced", 2, None)]
    assert seen <= {4, 2} and 4 in seen
    assert [(r[0], r[2]) for r in pg.rows(TABLE)] == [
        ("p1", Decimal("2.000000000000000002")),
        ("p4", Decimal("-24691357802469135780.246913578024691356")),
    ]
    assert pg.staging_tables() == []

    wider = _manifest(
        marts, tmp_path / "wider.json", client.project, TABLE, extra=("contract_count", "int64")
    )
    failed = _export(reader, pg, wider)
    assert failed.failed
    error = failed.tables[0].error or ""
    assert f"the mart {client.project}.{DATASET}.{TABLE} in BigQuery has no column(s) contract_count" in error
    assert "impact build --target bigquery" in error
    assert pg.count(TABLE) == 2
    assert pg.staging_tables() == []


def test_a_missing_mart_fails_naming_it_and_the_build_command(
    bq: Any, pg: Any, marts: Any, tmp_path: Path
) -> None:
    """Two marts in the manifest, one never built in BigQuery: that one fails with its name, what BigQuery said
    and the command that builds it; the other is served."""
    client, reader = bq
    _load(client, TABLE, ROWS)
    manifest = _manifest(marts, tmp_path / "manifest.json", client.project, TABLE, "never_built_v1")
    summary = _export(reader, pg, manifest)

    results = {t.name: t for t in summary.tables}
    assert results[TABLE].action == "created" and results[TABLE].rows == 4
    error = results["never_built_v1"].error
    assert error == (
        f"the mart {client.project}.{DATASET}.never_built_v1 is not in BigQuery (Not found: Table "
        f"{client.project}:{DATASET}.never_built_v1): run `impact build --target bigquery` to build it"
    )
    with pytest.raises(
        ExportError, match=r"never_built_v1 is not in BigQuery .*impact build --target bigquery"
    ):
        reader.count_rows(WarehouseRelation(client.project, DATASET, "never_built_v1"))


def test_a_dry_run_counts_from_bigquery_and_writes_nothing(
    bq: Any, pg: Any, marts: Any, tmp_path: Path
) -> None:
    client, reader = bq
    _load(client, TABLE, ROWS)
    summary = _export(
        reader, pg, _manifest(marts, tmp_path / "manifest.json", client.project, TABLE), dry_run=True
    )
    assert [(t.action, t.rows) for t in summary.tables] == [("create", 4)]
    assert pg.query("select 1 from pg_namespace where nspname = %s", [pg.schema]) == []


def test_a_view_is_exported_through_a_priced_query(
    bq: Any, bq_emulator: Any, pg: Any, marts: Any, tmp_path: Path
) -> None:
    """A mart that is a view (the timeseries marts are) is read by `select <columns> from <view>`, dry-run and
    capped by the reader's QueryRunner, then streamed: the view over the 4 hand-written rows arrives as they are,
    and its row count (4) comes from a `count(*)` query, the metadata of a view having none."""
    from ingestion.bigquery.jobs import QueryRunner

    client, _ = bq
    _load(client, TABLE, ROWS)
    view = bigquery.Table(f"{client.project}.{DATASET}.projects_view_v1")
    view.view_query = f"select * from `{client.project}.{DATASET}.{TABLE}`"  # noqa: S608 (test's names)
    client.create_table(view)
    read_client = bigquery_read_client(bq_emulator.grpc_endpoint)
    with BigQueryReader(client, read_client, runner=QueryRunner(client, 10**9)) as reader:
        relation = WarehouseRelation(client.project, DATASET, "projects_view_v1")
        assert reader.count_rows(relation) == 4
        summary = _export(
            reader, pg, _manifest(marts, tmp_path / "manifest.json", client.project, "projects_view_v1")
        )
    read_client.transport.close()
    assert summary.ok, summary.failures
    assert pg.rows("projects_view_v1") == EXPECTED


def test_a_view_without_a_runner_is_refused_with_what_to_do(bq: Any) -> None:
    """The Storage Read API reads tables, and a view has no row count in its metadata: without a QueryRunner to
    read it by a query, the reader says what to do."""
    client, reader = bq
    _load(client, TABLE, ROWS)
    view = bigquery.Table(f"{client.project}.{DATASET}.a_view")
    view.view_query = f"select project_id from `{client.project}.{DATASET}.{TABLE}`"  # noqa: S608 (test's names)
    client.create_table(view)
    with pytest.raises(ExportError, match=r"a_view is a VIEW in BigQuery.*materialized: table"):
        reader.count_rows(WarehouseRelation(client.project, DATASET, "a_view"))


# --- names and clients (no server needed) --------------------------------------------------------------------


@pytest.mark.parametrize(
    "relation",
    [
        WarehouseRelation("proj", "marts", "t$20240301"),  # a partition decorator would read one partition
        WarehouseRelation("proj", "marts", "t@1700000000"),  # a snapshot decorator would read the past
        WarehouseRelation("proj", "marts.other", "t"),
        WarehouseRelation("proj", "", "t"),
        WarehouseRelation("proj", "marts", "t`; drop"),
    ],
)
def test_a_name_that_is_not_one_table_is_refused(relation: WarehouseRelation) -> None:
    client = bigquery.Client(project="proj", credentials=_token_credentials(), client_options=_nowhere())
    with pytest.raises(ExportError, match="has no valid BigQuery"):
        BigQueryReader(client, read_client=None).table_reference(relation)


def test_a_relation_without_database_reads_the_clients_project() -> None:
    client = bigquery.Client(
        project="billing-proj", credentials=_token_credentials(), client_options=_nowhere()
    )
    reference = BigQueryReader(client).table_reference(WarehouseRelation(None, "marts", "projects_v1"))
    assert (reference.project, reference.dataset_id, reference.table_id) == (
        "billing-proj",
        "marts",
        "projects_v1",
    )


def test_a_client_not_on_google_needs_its_own_read_client() -> None:
    """The default read client talks to Google; a reader whose REST client points elsewhere refuses to make one,
    so nothing pointed at a local server ever reaches Google."""
    client = bigquery.Client(project="proj", credentials=_token_credentials(), client_options=_nowhere())
    with pytest.raises(
        ExportError, match=r"talks to http://127\.0\.0\.1:9, not Google.*bigquery_read_client"
    ):
        _ = BigQueryReader(client).read_client


def test_a_storage_endpoint_must_be_host_and_port() -> None:
    with pytest.raises(ExportError, match="is not host:port"):
        bigquery_read_client("localhost")


# --- permissions ---------------------------------------------------------------------------------------------

SECRET_TOKEN = "ya29.not-a-real-token-but-secret"


def _token_credentials() -> Credentials:
    """OAuth credentials holding a bearer token, as a logged-in user's would (never refreshed: no expiry)."""
    return Credentials(token=SECRET_TOKEN)


def _nowhere() -> dict[str, str]:
    return {"api_endpoint": "http://127.0.0.1:9"}


class _Forbidden(BaseHTTPRequestHandler):
    """Answers every request as BigQuery's REST API answers a caller without bigquery.tables.get (403)."""

    authorizations: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        type(self).authorizations.append(self.headers.get("Authorization", ""))
        message = (
            "Access Denied: Table proj:marts.projects_v1: Permission bigquery.tables.get denied on table "
            "proj:marts.projects_v1 (or it may not exist)."
        )
        body = json.dumps(
            {
                "error": {
                    "code": 403,
                    "message": message,
                    "errors": [{"message": message, "domain": "global", "reason": "accessDenied"}],
                    "status": "PERMISSION_DENIED",
                }
            }
        ).encode()
        self.send_response(403)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        return None


@pytest.fixture
def forbidden_endpoint() -> Iterator[str]:
    _Forbidden.authorizations = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Forbidden)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_no_access_to_the_dataset_names_the_role_and_never_the_token(forbidden_endpoint: str) -> None:
    """Boundary: a local HTTP server answering tables.get with BigQuery's 403 body (the emulator grants
    everything). The message names BigQuery Data Viewer on the dataset; the bearer token the client sent is
    nowhere in it."""
    client = bigquery.Client(
        project="billing-proj",
        credentials=_token_credentials(),
        client_options={"api_endpoint": forbidden_endpoint},
    )
    reader = BigQueryReader(client, read_client=bigquery_read_client("127.0.0.1:9"))
    with pytest.raises(ExportError) as err:
        reader.count_rows(WarehouseRelation("proj", "marts", "projects_v1"))
    message = str(err.value)
    assert message == (
        "BigQuery refused access to proj.marts.projects_v1 (Access Denied: Table proj:marts.projects_v1: Permission "
        "bigquery.tables.get denied on table proj:marts.projects_v1 (or it may not exist).): the account needs "
        "BigQuery Data Viewer (roles/bigquery.dataViewer) on dataset proj.marts"
    )
    assert (
        _Forbidden.authorizations and SECRET_TOKEN in _Forbidden.authorizations[0]
    )  # the secret was in play
    assert SECRET_TOKEN not in message and "ya29" not in message


class _NoReadSessions(grpc.GenericRpcHandler):
    """The Storage Read API's answer to a caller without bigquery.readsessions.create (PERMISSION_DENIED)."""

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        def deny(request: bytes, context: grpc.ServicerContext) -> bytes:
            context.abort(
                grpc.StatusCode.PERMISSION_DENIED,
                "request failed: the user does not have 'bigquery.readsessions.create' permission for "
                "'projects/billing-proj'",
            )
            raise AssertionError("abort raises")

        return grpc.unary_unary_rpc_method_handler(deny)


@pytest.fixture
def denying_storage_endpoint() -> Iterator[str]:
    from concurrent.futures import ThreadPoolExecutor

    server = grpc.server(ThreadPoolExecutor(max_workers=2), handlers=[_NoReadSessions()])
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{port}"
    server.stop(None)


def test_no_read_session_permission_names_the_role(bq_emulator: Any, denying_storage_endpoint: str) -> None:
    """Boundary: table metadata from the emulator (REST), read sessions from a local gRPC server that refuses
    them as the Storage Read API refuses an account without BigQuery Read Session User. The export of that mart
    fails naming the role and the project it is needed on."""
    client = bq_emulator.client("billing-proj")
    _load(client, TABLE, ROWS[:1])
    read_client = bigquery_read_client(denying_storage_endpoint)
    reader = BigQueryReader(client, read_client)
    with pytest.raises(ExportError) as err:
        list(reader.record_batches(WarehouseRelation("billing-proj", DATASET, TABLE), ["project_id"]))
    assert str(err.value) == (
        f"BigQuery refused to read billing-proj.{DATASET}.{TABLE} through the Storage Read API (request failed: the "
        "user does not have 'bigquery.readsessions.create' permission for 'projects/billing-proj'): the account "
        "needs BigQuery Read Session User (roles/bigquery.readSessionUser) on project billing-proj and BigQuery "
        f"Data Viewer (roles/bigquery.dataViewer) on dataset billing-proj.{DATASET}"
    )
    read_client.transport.close()
    client.close()

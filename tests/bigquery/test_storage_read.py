"""Reading tables through the BigQuery Storage Read API (Arrow over gRPC), as the exporter reads marts from BigQuery.

Boundary, for every test here: the local BigQuery emulator stands in for Google's BigQuery REST API and its
BigQuery Storage Read API (the emulator's gRPC port, plain gRPC without TLS); the clients are the real
google-cloud-bigquery and google-cloud-bigquery-storage."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import grpc
import pyarrow as pa
from google.cloud import bigquery
from google.cloud.bigquery_storage_v1 import types

if TYPE_CHECKING:
    from bqemulator import BigQueryEmulator

READ = "/google.cloud.bigquery.storage.v1.BigQueryRead/"
SCHEMA = [
    bigquery.SchemaField("project_id", "STRING"),
    bigquery.SchemaField("amount", "INTEGER"),
    bigquery.SchemaField("gas_fees", "NUMERIC"),
]
# Three hand-written rows; the reads below must give back exactly these, in any order.
ROWS = [
    {"project_id": "alpha", "amount": 3, "gas_fees": "0.000021"},
    {"project_id": "beta", "amount": 0, "gas_fees": "1.5"},
    {"project_id": "gamma", "amount": -7, "gas_fees": None},
]
EXPECTED = [
    ("alpha", 3, Decimal("0.000021")),
    ("beta", 0, Decimal("1.5")),
    ("gamma", -7, None),
]


class _CallLog(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    """Records the gRPC methods a client calls, to show a read really went through the Storage API."""

    def __init__(self) -> None:
        self.methods: list[str] = []

    def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        self.methods.append(client_call_details.method)
        return continuation(client_call_details, request)

    def intercept_unary_stream(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        self.methods.append(client_call_details.method)
        return continuation(client_call_details, request)


def _mart(client: bigquery.Client) -> bigquery.Table:
    client.create_dataset("marts")
    config = bigquery.LoadJobConfig(schema=SCHEMA)
    client.load_table_from_json(ROWS, "marts.code_metrics", job_config=config).result()
    return client.get_table("marts.code_metrics")


def _rows(table: pa.Table) -> list[tuple]:
    columns = [table.column(name).to_pylist() for name in ("project_id", "amount", "gas_fees")]
    return sorted(zip(*columns, strict=True))


def test_list_rows_to_arrow_reads_through_the_storage_api(
    bq_emulator: BigQueryEmulator, bq_client: bigquery.Client
) -> None:
    """Boundary: the emulator's REST API (table metadata) and Storage Read API (the rows, as Arrow)."""
    table = _mart(bq_client)
    calls = _CallLog()
    read_client = bq_emulator.read_client(interceptors=[calls])

    arrow = bq_client.list_rows(table).to_arrow(bqstorage_client=read_client)

    assert _rows(arrow) == EXPECTED
    assert f"{READ}CreateReadSession" in calls.methods
    assert f"{READ}ReadRows" in calls.methods


def test_read_session_streams_arrow_directly(
    bq_emulator: BigQueryEmulator, bq_client: bigquery.Client
) -> None:
    """Boundary: the emulator's Storage Read API alone: a read session on the table, its stream read as Arrow,
    with a column selection."""
    table = _mart(bq_client)
    read_client = bq_emulator.read_client()
    session = read_client.create_read_session(
        parent=f"projects/{table.project}",
        read_session=types.ReadSession(
            table=f"projects/{table.project}/datasets/{table.dataset_id}/tables/{table.table_id}",
            data_format=types.DataFormat.ARROW,
            read_options=types.ReadSession.TableReadOptions(selected_fields=["project_id", "amount"]),
        ),
        max_stream_count=1,
    )
    assert len(session.streams) == 1
    arrow = read_client.read_rows(session.streams[0].name).to_arrow(session)

    assert arrow.column_names == ["project_id", "amount"]
    assert sorted(zip(*(arrow.column(n).to_pylist() for n in arrow.column_names), strict=True)) == [
        ("alpha", 3),
        ("beta", 0),
        ("gamma", -7),
    ]


def test_to_arrow_without_a_storage_client_reads_from_the_emulator(bq_client: bigquery.Client) -> None:
    """Boundary: the emulator's Storage Read API. `to_arrow()` with no `bqstorage_client` makes one itself; the
    fixture's client makes it on the emulator's gRPC port (a plain client would try Google's)."""
    table = _mart(bq_client)
    assert _rows(bq_client.list_rows(table).to_arrow()) == EXPECTED

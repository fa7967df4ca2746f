"""BigQuery contract types -> Postgres types, and BigQuery's ARRAY<STRING> as Postgres `text[]` on both COPY formats.

The type table is checked name by name against BigQuery's meanings (no warehouse needed). The arrays go through the
real encoders into the real Postgres (127.0.0.1:5432): each expected value below is written by hand from the input,
not read back from either side. The input holds what makes an array literal hard: an empty array (what BigQuery
gives for a NULL array), a NULL list, a NULL element, the string 'NULL', an empty string, quotes, backslashes,
commas, braces, a newline and characters outside the BMP.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pyarrow as pa
import pytest
from psycopg import sql

from ingestion.export.manifest import ExportColumn
from ingestion.export.pgcopy import CopyDataError, encoder_for
from ingestion.export.types import Kind, PgType, UnknownTypeError, pg_type


@pytest.mark.parametrize(
    ("data_type", "ddl"),
    [
        # the names dbt-bigquery contracts use, in any case and spacing
        ("string", "text"),
        ("STRING", "text"),
        ("string(64)", "text"),  # a parameterised STRING is still text; Postgres need not enforce the length
        ("int64", "bigint"),
        ("INT64", "bigint"),
        ("bigint", "bigint"),  # BigQuery's alias of INT64, used by the marts' contracts
        ("integer", "bigint"),  # every BigQuery integer is 8 bytes
        ("float64", "double precision"),
        ("float", "double precision"),  # the REST API's name for FLOAT64 (DuckDB's float is 4 bytes)
        ("bool", "boolean"),
        ("boolean", "boolean"),
        ("date", "date"),
        ("timestamp", "timestamp with time zone"),  # an instant
        ("datetime", "timestamp without time zone"),  # a wall-clock time
        ("time", "time without time zone"),
        ("numeric", "numeric(38,9)"),  # BigQuery NUMERIC: 38 digits, 9 after the point
        ("bignumeric", "numeric(76,38)"),  # BigQuery BIGNUMERIC: 76 digits, 38 after the point
        ("BIGNUMERIC(40, 18)", "numeric(40,18)"),
        ("numeric(38)", "numeric(38,0)"),
        ("array<string>", "text[]"),
        ("ARRAY<STRING>", "text[]"),
        ("array< string >", "text[]"),
    ],
)
def test_bigquery_contract_types_map_to_postgres(data_type: str, ddl: str) -> None:
    assert pg_type(data_type, "bigquery").ddl == ddl


def test_array_of_string_is_its_own_kind() -> None:
    assert pg_type("array<string>", "bigquery") == PgType(Kind.TEXT_ARRAY)


@pytest.mark.parametrize(
    "data_type", ["array<int64>", "struct<a string>", "bytes", "json", "geography", "interval"]
)
def test_bigquery_types_without_an_exact_mapping_are_refused(data_type: str) -> None:
    with pytest.raises(UnknownTypeError) as err:
        pg_type(data_type, "bigquery")
    message = str(err.value)
    assert repr(data_type) in message and "array<string>" in message and "bignumeric" in message


def test_duckdb_lists_stay_refused() -> None:
    """Only BigQuery's ARRAY<STRING> was decided; a DuckDB list is still a type nobody mapped."""
    with pytest.raises(UnknownTypeError):
        pg_type("varchar[]", "duckdb")


ARRAYS: list[list[str | None] | None] = [
    ["COMMIT_CODE", "PULL_REQUEST_MERGED"],
    [],
    None,
    ["NULL", None, ""],
    ['quote " here', "back\\slash", "a,b", "{braces}", "new\nline", "é 日本 😀"],
]
EXPECTED: list[tuple[int, list[str | None] | None]] = [
    (0, ["COMMIT_CODE", "PULL_REQUEST_MERGED"]),
    (1, []),
    (2, None),
    (3, ["NULL", None, ""]),  # the string 'NULL' stays a string, the NULL element stays NULL
    (4, ['quote " here', "back\\slash", "a,b", "{braces}", "new\nline", "é 日本 😀"]),
]


def _copy(postgres_url: str, fmt: str, batch: pa.RecordBatch) -> list[tuple[Any, ...]]:
    columns = [
        ExportColumn("id", "int64", pg_type("int64", "bigquery")),
        ExportColumn("tags", "array<string>", pg_type("array<string>", "bigquery")),
    ]
    encoder = encoder_for(fmt, columns)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("create temporary table arrays (id bigint, tags text[])")
        with conn.cursor().copy(sql.SQL("copy arrays from stdin (format {})").format(sql.SQL(fmt))) as copy:
            copy.write(encoder.header())
            copy.write(bytes(encoder.encode(batch).data))
            copy.write(encoder.trailer())
        return conn.execute("select id, tags from arrays order by id").fetchall()


@pytest.mark.parametrize("fmt", ["binary", "csv"])
def test_string_arrays_arrive_exactly(postgres_url: str, fmt: str) -> None:
    batch = pa.record_batch(
        [pa.array(range(len(ARRAYS)), pa.int64()), pa.array(ARRAYS, pa.list_(pa.string()))],
        names=["id", "tags"],
    )
    assert _copy(postgres_url, fmt, batch) == EXPECTED


@pytest.mark.parametrize("fmt", ["binary", "csv"])
def test_a_sliced_batch_of_arrays_sends_only_its_rows(postgres_url: str, fmt: str) -> None:
    """Rows 1..3 of the input (a zero-copy slice: its offsets do not start at 0): the empty array, the NULL list
    and the list holding a NULL."""
    batch = pa.record_batch(
        [pa.array(range(len(ARRAYS)), pa.int64()), pa.array(ARRAYS, pa.list_(pa.string()))],
        names=["id", "tags"],
    ).slice(1, 3)
    assert _copy(postgres_url, fmt, batch) == EXPECTED[1:4]


def test_large_list_and_large_string_arrays_are_accepted(postgres_url: str) -> None:
    tags = pa.array([["x"], []], pa.large_list(pa.large_string()))
    batch = pa.record_batch([pa.array([7, 8], pa.int64()), tags], names=["id", "tags"])
    assert _copy(postgres_url, "binary", batch) == [(7, ["x"]), (8, [])]


def test_a_list_of_numbers_for_a_string_array_is_refused() -> None:
    column = ExportColumn("tags", "array<string>", pg_type("array<string>", "bigquery"))
    batch = pa.record_batch([pa.array([[1, 2]], pa.list_(pa.int64()))], names=["tags"])
    with pytest.raises(CopyDataError, match="column tags: the warehouse gives Arrow type list<item: int64>"):
        encoder_for("binary", [column]).encode(batch)

"""The contract type -> Postgres type table: every listed type, the normalisation of spellings, clear refusals."""

from __future__ import annotations

import pytest

from ingestion.export.types import Kind, PgType, UnknownTypeError, pg_type


@pytest.mark.parametrize(
    ("data_type", "ddl"),
    [
        ("varchar", "text"),
        ("VARCHAR", "text"),
        ("varchar(64)", "text"),  # DuckDB ignores the length; Postgres must not reject what DuckDB kept
        ("text", "text"),
        ("boolean", "boolean"),
        ("bool", "boolean"),
        ("tinyint", "smallint"),
        ("utinyint", "smallint"),  # 0..255 fits smallint
        ("smallint", "smallint"),
        ("usmallint", "integer"),  # 0..65535 needs integer
        ("integer", "integer"),
        ("int", "integer"),
        ("uinteger", "bigint"),  # 0..4294967295 needs bigint
        ("bigint", "bigint"),
        ("real", "real"),
        ("float", "real"),  # DuckDB's float is 4 bytes
        ("double", "double precision"),
        ("date", "date"),
        ("timestamp", "timestamp without time zone"),
        ("datetime", "timestamp without time zone"),
        ("timestamptz", "timestamp with time zone"),
        ("timestamp with time zone", "timestamp with time zone"),
        ("TIMESTAMP   WITH TIME  ZONE", "timestamp with time zone"),
        ("time", "time without time zone"),
        ("decimal(38,0)", "numeric(38,0)"),
        ("DECIMAL(38, 0)", "numeric(38,0)"),
        ("numeric(10, 2)", "numeric(10,2)"),
        ("decimal(5)", "numeric(5,0)"),
        ("decimal", "numeric(18,3)"),  # DuckDB's default width and scale
    ],
)
def test_duckdb_types_map_to_their_postgres_twin(data_type: str, ddl: str) -> None:
    assert pg_type(data_type, "duckdb").ddl == ddl


@pytest.mark.parametrize(
    ("data_type", "expected"),
    [
        ("string", PgType(Kind.TEXT)),
        ("int64", PgType(Kind.INT8)),
        ("float64", PgType(Kind.FLOAT8)),
        ("numeric", PgType(Kind.NUMERIC, 38, 9)),
        ("bignumeric", PgType(Kind.NUMERIC, 76, 38)),
        ("timestamp", PgType(Kind.TIMESTAMPTZ)),  # a BigQuery TIMESTAMP is an instant
        ("datetime", PgType(Kind.TIMESTAMP)),  # a BigQuery DATETIME is a wall-clock time
    ],
)
def test_bigquery_types_follow_bigquery_meanings(data_type: str, expected: PgType) -> None:
    assert pg_type(data_type, "bigquery") == expected


@pytest.mark.parametrize(
    "data_type",
    [
        "hugeint",
        "uuid",
        "json",
        "blob",
        "interval",
        "varchar[]",
        "struct(a int)",
        "timestamp_ns",
        "map(int,int)",
    ],
)
def test_unknown_types_are_refused_with_what_is_supported(data_type: str) -> None:
    with pytest.raises(UnknownTypeError) as err:
        pg_type(data_type, "duckdb")
    message = str(err.value)
    assert repr(data_type) in message
    assert "decimal(p,s)" in message and "varchar" in message
    assert "ingestion/export/types.py" in message


@pytest.mark.parametrize("data_type", ["decimal(39,0)", "decimal(10,11)", "decimal(0,0)"])
def test_impossible_decimals_are_refused(data_type: str) -> None:
    with pytest.raises(UnknownTypeError, match="precision must be 1..38"):
        pg_type(data_type, "duckdb")


def test_an_unknown_dialect_is_refused() -> None:
    with pytest.raises(UnknownTypeError, match="no type mapping for warehouse dialect 'snowflake'"):
        pg_type("varchar", "snowflake")

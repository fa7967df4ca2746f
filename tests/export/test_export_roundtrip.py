"""Every mapped type survives DuckDB -> COPY (binary and CSV) -> Postgres exactly.

The expected values are written out by hand below (not read back from either database): the extremes of each
integer width, 10^30 + 1 wei and 38 nines (more digits than a double or an int64 can hold), scales that do and
do not fall on Postgres' 4-digit groups, dates and times either side of both epochs (1970 for Arrow, 2000 for
Postgres), a tz-aware timestamp given at +05:30, unicode of every plane, CSV-hostile text and NULL in every column.
"""

from __future__ import annotations

import math
import struct
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path

import pytest
from psycopg import sql

from ingestion.export import DuckDBReader, export_postgres, tables_from_manifest

COLUMNS = [
    ("id", "integer"),
    ("label", "varchar"),
    ("flag", "boolean"),
    ("tiny", "tinyint"),
    ("small", "smallint"),
    ("num", "integer"),
    ("big", "bigint"),
    ("ratio", "real"),
    ("amount", "double"),
    ("wei", "decimal(38,0)"),
    ("price", "decimal(10,2)"),
    ("eth", "decimal(38,18)"),
    ("odd_scale", "decimal(9,5)"),
    ("day", "date"),
    ("at_naive", "timestamp"),
    ("at_tz", "timestamptz"),
    ("clock", "time"),
]

TEXT_ROW_2 = "é 日本語 😀 e\u0301 \u200b ∑"
TEXT_ROW_4 = 'quote " comma , newline \n tab \t backslash \\ \\N \\. end'

INSERTS = [
    # row 1: lower extremes, the Postgres epoch, 10^30 + 1 wei
    """(1, 'plain ascii', true, -128, -32768, -2147483648, -9223372036854775808, 1.5, 0.1,
        1000000000000000000000000000001, 12345678.90, 1.000000000000000001, 1234.56789,
        date '2000-01-01', timestamp '2000-01-01 00:00:00', timestamptz '2000-01-01 00:00:00+00',
        time '00:00:00')""",
    # row 2: upper extremes, 38 nines, negative decimals, a +05:30 instant, before both epochs
    f"""(2, '{TEXT_ROW_2}', false, 127, 32767, 2147483647, 9223372036854775807, 3.4028235e38,
        1.7976931348623157e308, 99999999999999999999999999999999999999, -99999999.99,
        -12345678901234567890.123456789012345678, -0.00001,
        date '1969-12-31', timestamp '1999-12-31 23:59:59.999999',
        timestamptz '2024-03-10 12:34:56.123456+05:30', time '23:59:59.999999')""",
    # row 3: zeros and the smallest magnitudes
    """(3, '', false, 0, 0, 0, 0, 0.0, 5e-324, -1000000000000000000000000000000, 0.01,
        0.000000000000000001, 0, date '0001-01-01', timestamp '1970-01-01 00:00:00.000001',
        timestamptz '1970-01-01 00:00:00+00', time '12:00:00')""",
    # row 4: text that CSV must quote, non-finite doubles
    f"""(4, '{TEXT_ROW_4.replace("'", "''")}', true, 1, 1, 1, 1, 'inf', 'nan', 1, 1, 1, 1,
        date '9999-12-31', timestamp '2262-04-11 23:47:16.854775', timestamptz '2025-10-07 00:00:00-07',
        time '00:00:00.000001')""",
    # row 5: NULL everywhere but the id
    "(5" + ", null" * (len(COLUMNS) - 1) + ")",
]


def _float32(value: float) -> float:
    return struct.unpack("f", struct.pack("f", value))[0]


EXPECTED = [
    (
        1, "plain ascii", True, -128, -32768, -(2**31), -(2**63), 1.5, 0.1,
        Decimal(10**30 + 1), Decimal("12345678.90"), Decimal("1.000000000000000001"), Decimal("1234.56789"),
        date(2000, 1, 1), datetime(2000, 1, 1), datetime(2000, 1, 1, tzinfo=UTC), time(0, 0),
    ),
    (
        2, TEXT_ROW_2, False, 127, 32767, 2**31 - 1, 2**63 - 1, 3.4028235e38,  # real: shortest text form
        1.7976931348623157e308, Decimal("9" * 38), Decimal("-99999999.99"),
        Decimal("-12345678901234567890.123456789012345678"), Decimal("-0.00001"),
        date(1969, 12, 31), datetime(1999, 12, 31, 23, 59, 59, 999999),
        datetime(2024, 3, 10, 7, 4, 56, 123456, tzinfo=UTC),  # 12:34:56.123456 at +05:30
        time(23, 59, 59, 999999),
    ),
    (
        3, "", False, 0, 0, 0, 0, 0.0, 5e-324, Decimal(-(10**30)), Decimal("0.01"),
        Decimal("0.000000000000000001"), Decimal("0.00000"), date(1, 1, 1), datetime(1970, 1, 1, 0, 0, 0, 1),
        datetime(1970, 1, 1, tzinfo=UTC), time(12, 0),
    ),
    (
        4, TEXT_ROW_4, True, 1, 1, 1, 1, math.inf, "nan", Decimal(1), Decimal("1.00"),
        Decimal("1.000000000000000000"), Decimal("1.00000"), date(9999, 12, 31),
        datetime(2262, 4, 11, 23, 47, 16, 854775), datetime(2025, 10, 7, 7, 0, tzinfo=UTC),  # -07:00
        time(0, 0, 0, 1),
    ),
    (5, *([None] * (len(COLUMNS) - 1))),
]  # fmt: skip


def _normalise(rows: list[tuple]) -> list[tuple]:
    """NaN is not equal to itself: compare it as the string "nan"."""
    return [tuple("nan" if isinstance(v, float) and math.isnan(v) else v for v in row) for row in rows]


@pytest.fixture
def zoo(tmp_path: Path, marts) -> tuple[Path, Path]:
    definition = ", ".join(f"{name} {data_type}" for name, data_type in COLUMNS)
    warehouse = marts.warehouse(
        tmp_path / "warehouse.duckdb",
        f"create table marts.type_zoo_v1 ({definition})",
        "insert into marts.type_zoo_v1 values " + ", ".join(INSERTS),  # noqa: S608 (constant rows above)
    )
    manifest = marts.manifest(
        tmp_path / "manifest.json",
        marts.model("type_zoo_v1", [marts.column(n, t, not_null=n == "id") for n, t in COLUMNS]),
    )
    return warehouse, manifest


@pytest.mark.parametrize("fmt", ["binary", "csv"])
def test_every_type_round_trips_exactly(zoo, pg, fmt: str) -> None:
    warehouse, manifest = zoo
    with DuckDBReader(warehouse) as reader:
        summary = export_postgres(
            reader,
            pg.url,
            tables_from_manifest(manifest),
            schema=pg.schema,
            reader_role=pg.reader_role,
            fmt=fmt,
        )
    assert summary.ok, summary.failures
    assert summary.rows == 5
    got = pg.rows("type_zoo_v1", order_by="id")
    assert _normalise(got) == EXPECTED
    # A real travels as text to psycopg; its exact 4-byte value is the float32 nearest 3.4028235e38.
    query = sql.SQL("select ratio::float8 from {} where id = 2").format(
        sql.Identifier(pg.schema, "type_zoo_v1")
    )
    (ratio,) = pg.query(query)[0]
    assert ratio == _float32(3.4028235e38) == 3.4028234663852886e38
    # The Postgres column types are the mapped ones, in contract order.
    types = pg.query(
        "select column_name, data_type, numeric_precision, numeric_scale, is_nullable "
        "from information_schema.columns where table_schema = %s and table_name = 'type_zoo_v1' "
        "order by ordinal_position",
        [pg.schema],
    )
    assert [(name, dtype) for name, dtype, *_ in types] == [
        ("id", "integer"),
        ("label", "text"),
        ("flag", "boolean"),
        ("tiny", "smallint"),
        ("small", "smallint"),
        ("num", "integer"),
        ("big", "bigint"),
        ("ratio", "real"),
        ("amount", "double precision"),
        ("wei", "numeric"),
        ("price", "numeric"),
        ("eth", "numeric"),
        ("odd_scale", "numeric"),
        ("day", "date"),
        ("at_naive", "timestamp without time zone"),
        ("at_tz", "timestamp with time zone"),
        ("clock", "time without time zone"),
    ]
    numeric = {name: (p, s) for name, dtype, p, s, _ in types if dtype == "numeric"}
    assert numeric == {"wei": (38, 0), "price": (10, 2), "eth": (38, 18), "odd_scale": (9, 5)}
    assert types[0][4] == "NO" and all(nullable == "YES" for *_, nullable in types[1:])


def test_infinite_dates_and_timestamps_stay_infinite_in_binary(tmp_path: Path, marts, pg) -> None:
    warehouse = marts.warehouse(
        tmp_path / "warehouse.duckdb",
        "create table marts.edges_v1 (id integer, day date, at_naive timestamp, at_tz timestamptz)",
        "insert into marts.edges_v1 values (1, 'infinity', 'infinity', 'infinity'),"
        " (2, '-infinity', '-infinity', '-infinity')",
    )
    columns = [marts.column("id", "integer"), marts.column("day", "date")]
    columns += [marts.column("at_naive", "timestamp"), marts.column("at_tz", "timestamptz")]
    manifest = marts.manifest(tmp_path / "manifest.json", marts.model("edges_v1", columns))
    with DuckDBReader(warehouse) as reader:
        summary = export_postgres(
            reader, pg.url, tables_from_manifest(manifest), schema=pg.schema, reader_role=pg.reader_role
        )
    assert summary.ok, summary.failures
    query = sql.SQL("select id, day::text, at_naive::text, at_tz::text from {} order by id")
    got = pg.query(query.format(sql.Identifier(pg.schema, "edges_v1")))
    assert got == [(1, "infinity", "infinity", "infinity"), (2, "-infinity", "-infinity", "-infinity")]


def test_a_warehouse_type_that_disagrees_with_the_contract_fails_clearly(tmp_path: Path, marts, pg) -> None:
    # The contract says bigint, the table holds text: the exporter names the column and both types.
    warehouse = marts.warehouse(
        tmp_path / "warehouse.duckdb", "create table marts.liar_v1 as select 'x' as n from range(3)"
    )
    manifest = marts.manifest(
        tmp_path / "manifest.json", marts.model("liar_v1", [marts.column("n", "bigint")])
    )
    with DuckDBReader(warehouse) as reader:
        summary = export_postgres(
            reader, pg.url, tables_from_manifest(manifest), schema=pg.schema, reader_role=pg.reader_role
        )
    assert summary.failed
    (failure,) = summary.failures
    assert failure.error == (
        "column n: the warehouse gives Arrow type string, but the contract says 'bigint' (Postgres bigint); "
        "make the model and its contract agree"
    )
    assert pg.staging_tables() == []


def test_names_that_need_quoting_are_quoted_everywhere(tmp_path: Path, marts, pg) -> None:
    # A reserved word, upper case and space, an embedded double quote, in the table, columns and index.
    table = 'odd "names"_v1'
    warehouse = marts.warehouse(
        tmp_path / "warehouse.duckdb",
        'create table marts."odd ""names""_v1" ("select" integer, "Mixed Case" varchar, "quo""te" boolean)',
        """insert into marts."odd ""names""_v1" values (1, 'a', true), (2, 'b', null)""",
    )
    columns = [marts.column("select", "integer"), marts.column("Mixed Case", "varchar")]
    columns.append(marts.column('quo"te', "boolean"))
    indexes = [{"columns": ["select"], "unique": True}, {"columns": ["Mixed Case", 'quo"te']}]
    manifest = marts.manifest(tmp_path / "manifest.json", marts.model(table, columns, indexes=indexes))
    with DuckDBReader(warehouse) as reader:
        summary = export_postgres(
            reader, pg.url, tables_from_manifest(manifest), schema=pg.schema, reader_role=pg.reader_role
        )
    assert summary.ok, summary.failures
    assert pg.rows(table, order_by="select") == [(1, "a", True), (2, "b", None)]
    indexes_found = pg.query("select indexname from pg_indexes where schemaname = %s order by 1", [pg.schema])
    assert indexes_found == [('odd "names"_v1__Mixed Case__quo"te__idx',), ('odd "names"_v1__select__key',)]

"""The exporter reads Arrow, whatever the warehouse: a reader over an in-memory Arrow table (as a BigQuery reader
will hand over Storage API batches) exercises what DuckDB never produces: BigQuery type names, BIGNUMERIC as
decimal256, NUMERIC(p,s) arriving at scale 9, sliced batches (non-zero offsets), and numerics at every scale
modulo Postgres' 4-digit groups."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from ingestion.export import WarehouseRelation, export_postgres, tables_from_manifest


class ArrowReader:
    """A WarehouseReader over one Arrow table, handed out two rows at a time (each batch a zero-copy slice)."""

    def __init__(self, table: pa.Table, dialect: str):
        self.table = table
        self.dialect = dialect

    def count_rows(self, relation: WarehouseRelation) -> int:
        return self.table.num_rows

    def record_batches(
        self, relation: WarehouseRelation, columns: Sequence[str], batch_rows: int = 2
    ) -> Iterator[pa.RecordBatch]:
        yield from self.table.select(list(columns)).to_batches(max_chunksize=2)


BIG = Decimal("12345678901234567890123456789012345678.12345678901234567890123456789012345678")  # 76 digits
assert len(BIG.as_tuple().digits) == 76

BIGQUERY_TABLE = pa.table(
    {
        "name": pa.array(["a", None, "ü", ""]),
        "n": pa.array([1, -(2**63), None, 2**63 - 1], pa.int64()),
        "x": pa.array([0.5, None, -1e-300, 2.0], pa.float64()),
        "price": pa.array(
            [Decimal("1.230000000"), Decimal("-0.010000000"), None, Decimal("99999999.990000000")],
            pa.decimal128(38, 9),  # how BigQuery hands over NUMERIC(10,2)
        ),
        "gas": pa.array([Decimal("0.000000001"), None, Decimal("-12345678901234567890.5"), Decimal(0)], pa.decimal128(38, 9)),
        "huge": pa.array([BIG, BIG.copy_negate(), None, Decimal("1E-38")], pa.decimal256(76, 38)),
        "at": pa.array(
            [datetime(2025, 10, 7, 12, 0, tzinfo=UTC), None, datetime(1969, 7, 20, 20, 17, 40, tzinfo=UTC)]
            + [datetime(2000, 1, 1, tzinfo=UTC)],
            pa.timestamp("us", tz="UTC"),
        ),
        "local_at": pa.array([datetime(2025, 10, 7, 12, 0), None, None, datetime(1999, 12, 31, 23, 59)], pa.timestamp("us")),
        "day": pa.array([date(2025, 10, 7), date(1900, 1, 1), None, date(2000, 1, 1)]),
        "clock": pa.array([time(1, 2, 3), None, time(23, 59, 59, 999999), time(0)], pa.time64("us")),
        "ok": pa.array([True, False, None, True]),
    }
)  # fmt: skip

BIGQUERY_TYPES = {
    "name": "STRING",
    "n": "INT64",
    "x": "FLOAT64",
    "price": "NUMERIC(10, 2)",
    "gas": "NUMERIC",
    "huge": "BIGNUMERIC",
    "at": "TIMESTAMP",
    "local_at": "DATETIME",
    "day": "DATE",
    "clock": "TIME",
    "ok": "BOOL",
}


@pytest.mark.parametrize("fmt", ["binary", "csv"])
def test_bigquery_shaped_arrow_round_trips(tmp_path: Path, marts, pg, fmt: str) -> None:
    columns = [marts.column(name, data_type) for name, data_type in BIGQUERY_TYPES.items()]
    manifest = marts.manifest(
        tmp_path / "manifest.json", marts.model("bq_v1", columns, database="proj"), adapter_type="bigquery"
    )
    summary = export_postgres(
        ArrowReader(BIGQUERY_TABLE, "bigquery"),
        pg.url,
        tables_from_manifest(manifest),
        schema=pg.schema,
        reader_role=pg.reader_role,
        progress=False,
        fmt=fmt,
    )
    assert summary.ok, summary.failures
    got = pg.query(f'select * from "{pg.schema}".bq_v1 order by n nulls first')  # noqa: S608 (test schema)
    assert got == [
        ("ü", None, -1e-300, None, Decimal("-12345678901234567890.500000000"), None,
         datetime(1969, 7, 20, 20, 17, 40, tzinfo=UTC), None, None, time(23, 59, 59, 999999), None),
        (None, -(2**63), None, Decimal("-0.01"), None, BIG.copy_negate(), None, None, date(1900, 1, 1), None, False),
        ("a", 1, 0.5, Decimal("1.23"), Decimal("0.000000001"), BIG, datetime(2025, 10, 7, 12, 0, tzinfo=UTC),
         datetime(2025, 10, 7, 12, 0), date(2025, 10, 7), time(1, 2, 3), True),
        ("", 2**63 - 1, 2.0, Decimal("99999999.99"), Decimal("0E-9"), Decimal("1E-38"),
         datetime(2000, 1, 1, tzinfo=UTC), datetime(1999, 12, 31, 23, 59), date(2000, 1, 1), time(0), True),
    ]  # fmt: skip
    types = pg.query(
        "select column_name, format_type(atttypid, atttypmod) from information_schema.columns c "
        "join pg_attribute a on a.attname = c.column_name and a.attrelid = (quote_ident(c.table_schema) || '.' "
        "|| quote_ident(c.table_name))::regclass where c.table_schema = %s order by ordinal_position",
        [pg.schema],
    )
    assert dict(types) == {
        "name": "text",
        "n": "bigint",
        "x": "double precision",
        "price": "numeric(10,2)",
        "gas": "numeric(38,9)",
        "huge": "numeric(76,38)",
        "at": "timestamp with time zone",
        "local_at": "timestamp without time zone",
        "day": "date",
        "clock": "time without time zone",
        "ok": "boolean",
    }


SCALES = [(38, 0), (38, 1), (38, 2), (38, 3), (38, 4), (38, 5), (38, 9), (38, 37), (38, 38), (4, 4), (1, 0)]


def _extremes(precision: int, scale: int) -> list[Decimal]:
    """The largest value, its negative, the smallest positive step, and zero, for decimal(p, s)."""
    largest = Decimal("9" * (precision - scale) + ("." + "9" * scale if scale else "") or "0")
    if precision == scale:
        largest = Decimal("0." + "9" * scale)
    step = Decimal(1).scaleb(-scale)
    return [
        largest,
        largest.copy_negate(),
        step,
        Decimal(0).quantize(step),
    ]  # unary minus would round to 28 digits


@pytest.mark.parametrize("fmt", ["binary", "csv"])
def test_numeric_extremes_at_every_scale(tmp_path: Path, marts, pg, fmt: str) -> None:
    names = [f"d_{p}_{s}" for p, s in SCALES]
    values = {name: _extremes(p, s) for name, (p, s) in zip(names, SCALES, strict=True)}
    table = pa.table(
        {"id": pa.array([1, 2, 3, 4], pa.int32())}
        | {
            name: pa.array(values[name], pa.decimal128(p, s))
            for name, (p, s) in zip(names, SCALES, strict=True)
        }
    )
    columns = [marts.column("id", "integer")]
    columns += [marts.column(name, f"decimal({p},{s})") for name, (p, s) in zip(names, SCALES, strict=True)]
    manifest = marts.manifest(tmp_path / "manifest.json", marts.model("scales_v1", columns))
    summary = export_postgres(
        ArrowReader(table, "duckdb"),
        pg.url,
        tables_from_manifest(manifest),
        schema=pg.schema,
        reader_role=pg.reader_role,
        progress=False,
        fmt=fmt,
    )
    assert summary.ok, summary.failures
    got = pg.query(f'select * from "{pg.schema}".scales_v1 order by id')  # noqa: S608 (test schema)
    expected = [(i + 1, *(values[name][i] for name in names)) for i in range(4)]
    assert got == expected
    # Same digits, same scale: Decimal equality ignores trailing zeros, the text form does not.
    assert [[str(v) for v in row] for row in got] == [[str(v) for v in row] for row in expected]
    # Hand-checked spots: decimal(38,3) max is 35 nines . 3 nines; decimal(4,4) step is 0.0001.
    assert str(got[0][names.index("d_38_3") + 1]) == "9" * 35 + ".999"
    assert str(got[2][names.index("d_4_4") + 1]) == "0.0001"


@pytest.mark.parametrize("fmt", ["binary", "csv"])
def test_a_value_wider_than_the_contract_fails_and_names_the_column(
    tmp_path: Path, marts, pg, fmt: str
) -> None:
    # NUMERIC(10,2) holds at most 8 digits before the point; 123456789.01 has 9.
    table = pa.table({"price": pa.array([Decimal("1.5"), Decimal("123456789.01")], pa.decimal128(38, 9))})
    manifest = marts.manifest(
        tmp_path / "manifest.json",
        marts.model("wide_v1", [marts.column("price", "NUMERIC(10, 2)")]),
        adapter_type="bigquery",
    )
    summary = export_postgres(
        ArrowReader(table, "bigquery"),
        pg.url,
        tables_from_manifest(manifest),
        schema=pg.schema,
        reader_role=pg.reader_role,
        progress=False,
        fmt=fmt,
    )
    (failure,) = summary.failures
    assert failure.error in {
        "column price: a value has more than 10 digits, the contract's numeric(10,2)",  # caught while encoding
        "numeric field overflow (COPY wide_v1, line 2, column price: "
        '"123456789.01"); A field with precision 10, scale 2 must round to an absolute value less than '
        "10^8.",  # Postgres' own check, on the CSV text
    }
    assert pg.staging_tables() == []

"""The binary COPY encoder byte for byte, against layouts worked out by hand from Postgres' `*_recv` formats."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from ingestion.export.manifest import ExportColumn
from ingestion.export.pgcopy import BINARY_SIGNATURE, BINARY_TRAILER, BinaryEncoder, CopyDataError, CsvEncoder
from ingestion.export.types import pg_type


def _columns(**types: str) -> list[ExportColumn]:
    return [ExportColumn(name, data_type, pg_type(data_type)) for name, data_type in types.items()]


def test_one_row_of_mixed_types() -> None:
    columns = _columns(s="varchar", n="bigint", d="date", t="timestamp", b="boolean")
    batch = pa.record_batch(
        [
            pa.array(["é"]),
            pa.array([None], pa.int64()),
            pa.array([date(2000, 1, 2)]),
            pa.array([datetime(2000, 1, 1, 0, 0, 1)], pa.timestamp("us")),
            pa.array([True]),
        ],
        names=["s", "n", "d", "t", "b"],
    )
    encoded = BinaryEncoder(columns).encode(batch)
    assert encoded.rows == 1
    assert bytes(encoded.data).hex(" ") == " ".join(
        [
            "00 05",  # 5 fields
            "00 00 00 02 c3 a9",  # "é" is 2 bytes of UTF-8
            "ff ff ff ff",  # NULL: length -1, no value
            "00 00 00 04 00 00 00 01",  # 2000-01-02 is day 1 after Postgres' epoch
            "00 00 00 08 00 00 00 00 00 0f 42 40",  # one second after the epoch = 1,000,000 us
            "00 00 00 01 01",  # true
        ]
    )


def test_wei_above_1e30_as_numeric() -> None:
    # 10^30 + 1 = 100 x 10000^7 + 1: ten base-10000 digits (room for 38 decimal digits), weight 9, scale 0.
    columns = _columns(wei="decimal(38,0)")
    batch = pa.record_batch([pa.array([Decimal(10**30 + 1)], pa.decimal128(38, 0))], names=["wei"])
    data = bytes(BinaryEncoder(columns).encode(batch).data)
    assert data.hex(" ") == " ".join(
        [
            "00 01",
            "00 00 00 1c",  # 8 header bytes + 10 digits x 2 = 28
            "00 0a 00 09 00 00 00 00",  # ndigits 10, weight 9, positive, dscale 0
            "00 00 00 00 00 64 00 00 00 00 00 00 00 00 00 00 00 00 00 01",  # 0, 0, 100, 0 x 6, 1
        ]
    )


def test_a_negative_scale_5_numeric_is_aligned_on_4_digit_groups() -> None:
    # -0.00001 in decimal(9,5): the unscaled -1 times 10^3 aligns the point on a group boundary: 1000 in the
    # last of ceil((9 + 3) / 4) = 3 groups, two of them after the point, so weight = 3 - 1 - 2 = 0.
    columns = _columns(x="decimal(9,5)")
    batch = pa.record_batch([pa.array([Decimal("-0.00001")], pa.decimal128(9, 5))], names=["x"])
    data = bytes(BinaryEncoder(columns).encode(batch).data)
    assert data.hex(" ") == "00 01 00 00 00 0e 00 03 00 00 40 00 00 05 00 00 00 00 03 e8"


def test_header_and_trailer() -> None:
    encoder = BinaryEncoder(_columns(n="integer"))
    assert encoder.header() == b"PGCOPY\n\xff\r\n\x00" + bytes(8) == BINARY_SIGNATURE
    assert encoder.trailer() == b"\xff\xff" == BINARY_TRAILER


def test_csv_tells_empty_text_from_null() -> None:
    columns = _columns(s="varchar", n="integer")
    batch = pa.record_batch(
        [pa.array(["", None, 'a"b']), pa.array([1, None, 3], pa.int32())], names=["s", "n"]
    )
    assert bytes(CsvEncoder(columns).encode(batch).data) == b'"",1\n,\n"a""b",3\n'


def test_columns_in_another_order_are_refused() -> None:
    columns = _columns(a="integer", b="integer")
    batch = pa.record_batch([pa.array([1], pa.int32()), pa.array([2], pa.int32())], names=["b", "a"])
    with pytest.raises(CopyDataError, match=r"returned columns \('b', 'a'\), expected \('a', 'b'\)"):
        BinaryEncoder(columns).encode(batch)

"""Optimism ingestion from day files, on real Parquet/CSV/JSON/gzip files and a real DuckDB file.

The day 2025-10-05 is the hand-made fixture in tests/fixtures/optimism (the README there gives the fate of every
line): 7 transactions read, 6 kept (lines 1, 2, 3, 5, 6, 7), none rejected, line 7 without a receipt. Each test
writes the rows it needs into tmp_path in the format it tests; the expected rows below are written out by hand
from the fixture.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingestion.errors import IngestError
from ingestion.sample.optimism import (
    BOT_CALLS_IN_ONE_HOUR,
    DEMO_END,
    DEMO_FORMATS,
    DEMO_START,
    SampleAddresses,
    write_demo_optimism_sample,
    write_sample,
)
from ingestion.sources.optimism import DayResult, ingest_optimism
from ingestion.warehouse import connect

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "optimism"
DAY = date(2025, 10, 5)
NEXT_DAY = date(2025, 10, 6)

OP_TOKEN = "0x4200000000000000000000000000000000000042"
ROUTER = "0xe592427a0aece92de3edee1f18e0157c05861564"
DEPLOYER = "0x6c9fc64a53c1b71fb3f9af64d1ae3a4931a5f4e9"
ALICE = "0xa11ce00000000000000000000000000000000001"
BOB = "0xb0b0000000000000000000000000000000000002"
CAROL = "0xca401000000000000000000000000000000000c3"
ERIN = "0xe1e1000000000000000000000000000000000005"
CREATED = "0xc0ffee00000000000000000000000000000000c6"

# The caller passes the registry's union (optimism + any_evm); here in the cases a registry could write them.
TRACKED = frozenset(
    {OP_TOKEN, "0xE592427A0AEce92De3Edee1F18E0157C05861564", DEPLOYER.upper().replace("0X", "0x")}
)

COLUMNS = (
    "transaction_hash, block_timestamp, block_number, transaction_index, from_address, to_address, value, gas, "
    "gas_price, input, receipt_gas_used, receipt_effective_gas_price, receipt_status, receipt_contract_address, "
    "receipt_l1_fee, block_day"
)


def _h(n: int) -> str:
    return "0x" + "1" + "0" * 61 + f"{n:02x}"


# Every row the fixture day keeps, in COLUMNS order, from the fixture README and the JSON lines.
KEPT = [
    (_h(1), datetime(2025, 10, 5, 1), 142043000, 0, ALICE, OP_TOKEN, Decimal(0), 90000, Decimal(1_000_000),
     "0xa9059cbb", 51000, Decimal(1_000_000), 1, None, Decimal(1_500_000_000), DAY),
    (_h(2), datetime(2025, 10, 5, 2, 30), 142045700, 3, BOB, ROUTER, Decimal(0), 250000, Decimal(2_000_000),
     "0x414bf389", 200000, Decimal(2_000_000), 0, None, Decimal(2_500_000_000), DAY),
    (_h(3), datetime(2025, 10, 5, 3), 142046600, 1, DEPLOYER, CAROL, Decimal(10**30 + 7), 21000,
     Decimal(3_000_000), "0x", 21000, Decimal(3_000_000), 1, None, Decimal(900_000_000), DAY),
    (_h(5), datetime(2025, 10, 5, 5), 142050200, 2, ALICE, OP_TOKEN, Decimal(5 * 10**17), 21000,
     Decimal(1_000_000), "0x", 21000, Decimal(1_000_000), 1, None, Decimal(900_000_000), DAY),
    (_h(6), datetime(2025, 10, 5, 6), 142052000, 0, DEPLOYER, None, Decimal(0), 1500000, Decimal(1_000_000),
     "0x60806040", 1200000, Decimal(1_000_000), 1, CREATED, Decimal(30_000_000_000), DAY),
    (_h(7), datetime(2025, 10, 5, 23, 59, 59), 142086999, 5, ERIN, OP_TOKEN, Decimal(0), 60000,
     Decimal(1_000_000), "0x095ea7b3", None, None, None, None, None, DAY),
]  # fmt: skip


# --- writing the fixture rows in each format ---------------------------------------------------------------


def fixture_rows(table: str) -> list[dict]:
    return [
        json.loads(line) for line in (FIXTURES / f"{table}.json").read_text().splitlines() if line.strip()
    ]


def _plain(value: object) -> object:
    """A BigQuery RECORD amount as its decimal string (CSV has no records)."""
    return value["string_value"] if isinstance(value, dict) else value


def _bq_csv_timestamp(text: str) -> str:
    """ISO '2025-10-05T01:00:00Z' -> BigQuery's CSV export form '2025-10-05 01:00:00 UTC'."""
    return text.replace("T", " ").replace("Z", " UTC")


_RECORD = pa.struct([("string_value", pa.string()), ("bignumeric_value", pa.decimal128(38, 0))])
_INTS = {"block_number", "transaction_index", "gas", "nonce", "gas_used", "status"}
_DECIMALS = {"effective_gas_price", "l1_fee"}


def _parquet_table(rows: list[dict]) -> pa.Table:
    arrays = {}
    for name in rows[0]:
        values = [row.get(name) for row in rows]
        if name in ("value", "gas_price"):
            arrays[name] = pa.array(
                [
                    None
                    if v is None
                    else {"string_value": v["string_value"], "bignumeric_value": Decimal(v["string_value"])}
                    for v in values
                ],
                _RECORD,
            )
        elif name == "block_timestamp":
            stamps = [None if v is None else datetime.fromisoformat(v.replace("Z", "+00:00")) for v in values]
            arrays[name] = pa.array(stamps, pa.timestamp("us", tz="UTC"))
        elif name in _INTS:
            arrays[name] = pa.array([None if v is None else int(v) for v in values], pa.int64())
        elif name in _DECIMALS:
            arrays[name] = pa.array([None if v is None else Decimal(v) for v in values], pa.decimal128(38, 0))
        else:
            arrays[name] = pa.array(values, pa.string())
    return pa.table(arrays)


def write_rows(folder: Path, table: str, day: date, ext: str, rows: list[dict]) -> Path:
    """Write rows (fixture dicts) as <folder>/<table>/<day><ext>, in the format of `ext`."""
    path = folder / table / f"{day.isoformat()}{ext}"
    path.parent.mkdir(parents=True, exist_ok=True)
    if ext == ".parquet":
        pq.write_table(_parquet_table(rows), path)
    elif ext == ".csv":
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(list(rows[0]))
            for row in rows:
                cells = []
                for name, value in row.items():
                    value = _plain(value)
                    if name == "block_timestamp" and value:
                        value = _bq_csv_timestamp(value)
                    cells.append("" if value is None else value)
                writer.writerow(cells)
    else:
        text = "".join(json.dumps(row) + "\n" for row in rows)
        if ext == ".json.gz":
            path.write_bytes(gzip.compress(text.encode()))
        else:
            path.write_text(text)
    return path


def write_lines(folder: Path, table: str, day: date, lines: list[str], ext: str = ".json") -> Path:
    """Write raw text lines (to plant malformed ones) as <folder>/<table>/<day><ext>."""
    path = folder / table / f"{day.isoformat()}{ext}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))
    return path


def write_fixture_day(folder: Path, ext: str, day: date = DAY) -> None:
    write_rows(folder, "transactions", day, ext, fixture_rows("transactions"))
    write_rows(folder, "receipts", day, ext, fixture_rows("receipts"))


def kept_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    query = f"select {COLUMNS} from raw.optimism_transactions order by transaction_hash"  # noqa: S608
    return con.execute(query).fetchall()


def rejects(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "select source_file, line_number, error from raw._rejects order by source_file, line_number"
    ).fetchall()


def ingest(
    con: duckdb.DuckDBPyConnection, folder: Path, start: date = DAY, end: date | None = None, **kwargs
) -> list[DayResult]:
    return ingest_optimism(con, folder, TRACKED, start, end or start, progress=False, **kwargs)


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    connection = connect(tmp_path / "warehouse.duckdb")
    yield connection
    connection.close()


# --- the filter -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", [".parquet", ".csv", ".json", ".json.gz"])
def test_each_format_loads_the_same_kept_rows(
    tmp_path: Path, con: duckdb.DuckDBPyConnection, ext: str
) -> None:
    write_fixture_day(tmp_path / "op", ext)

    [result] = ingest(con, tmp_path / "op")

    assert kept_rows(con) == KEPT
    assert (result.rows_read, result.rows_kept, result.rows_rejected) == (7, 6, 0)
    assert (result.receipts_read, result.without_receipt, result.duplicates, result.files_read) == (
        7,
        1,
        0,
        2,
    )
    sources = con.execute("select distinct _source_file from raw.optimism_transactions").fetchall()
    assert sources == [(f"transactions/2025-10-05{ext}",)]


def test_matching_is_by_sender_or_recipient_in_any_case(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    """Line 1 and 7 match by `to` (lower-case in file), line 2 by `to` written checksummed, line 3 by `from` written
    upper-case, line 6 by `from` with no `to`; line 4 (carol -> dave) matches neither. The tracked set itself
    comes in mixed case (TRACKED); an upper-cased copy of it keeps the same rows."""
    write_fixture_day(tmp_path / "op", ".json")
    ingest(con, tmp_path / "op")
    by_hash = {row[0]: (row[4], row[5]) for row in kept_rows(con)}
    assert sorted(by_hash) == [_h(1), _h(2), _h(3), _h(5), _h(6), _h(7)]
    assert by_hash[_h(2)] == (BOB, ROUTER)
    assert by_hash[_h(3)] == (DEPLOYER, CAROL)

    shouting = frozenset(address.upper() for address in TRACKED)
    ingest_optimism(con, tmp_path / "op", shouting, DAY, DAY, progress=False)
    assert sorted(row[0] for row in kept_rows(con)) == sorted(by_hash)

    ingest_optimism(con, tmp_path / "op", frozenset({CAROL}), DAY, DAY, progress=False)
    # carol receives line 3 and sends line 4.
    assert [row[0] for row in kept_rows(con)] == [_h(3), _h(4)]


def test_huge_value_empty_input_failed_and_creation(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    write_fixture_day(tmp_path / "op", ".json.gz")
    ingest(con, tmp_path / "op")
    rows = {row[0]: row for row in kept_rows(con)}
    # 10^30 + 7 wei, exact to the last wei (a double would have lost the 7).
    huge = con.execute(
        "select value::varchar from raw.optimism_transactions where transaction_hash = ?", [_h(3)]
    )
    assert huge.fetchone() == ("1000000000000000000000000000007",)
    assert rows[_h(3)][6] == Decimal(10**30 + 7)
    assert rows[_h(3)][9] == "0x" and rows[_h(5)][9] == "0x"  # empty input stays '0x'
    assert rows[_h(2)][12] == 0  # the failed call is kept, status 0
    assert (
        rows[_h(6)][5] is None and rows[_h(6)][13] == CREATED
    )  # creation: no `to`, created address lower-cased


def test_a_transaction_without_receipt_is_kept_and_counted(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    write_fixture_day(tmp_path / "op", ".parquet")
    [result] = ingest(con, tmp_path / "op")
    no_receipt = con.execute(
        "select transaction_hash from raw.optimism_transactions where receipt_status is null"
    ).fetchall()
    assert no_receipt == [(_h(7),)]
    assert result.without_receipt == 1


def test_duplicate_hash_keeps_the_first_row_and_counts_the_others(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    """Line 1 appears again as lines 8 and 9 with other values (9 in upper-case hex): the first copy is kept,
    2 duplicates counted; the receipt of line 1 is listed twice, the first is used."""
    txs = fixture_rows("transactions")
    copy = dict(txs[0], value={"string_value": "99", "bignumeric_value": "99"})
    shouted = dict(copy, transaction_hash=_h(1).upper().replace("0X", "0x"))
    receipts = fixture_rows("receipts")
    write_rows(tmp_path / "op", "transactions", DAY, ".json", [*txs, copy, shouted])
    write_rows(tmp_path / "op", "receipts", DAY, ".json", [*receipts, dict(receipts[0], gas_used="1")])

    [result] = ingest(con, tmp_path / "op")

    assert (result.rows_read, result.rows_kept, result.duplicates) == (9, 6, 2)
    assert kept_rows(con) == KEPT


def test_offsets_are_converted_to_utc_and_other_days_rejected(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    """Line 1 written as 03:00+02:00 is 01:00 UTC (kept as in KEPT); line 5 written as 2025-10-06T00:30:00+01:00
    is 2025-10-05 23:30 UTC (this day); line 7 moved to 2025-10-06T00:00:00Z belongs to the next day: rejected."""
    txs = fixture_rows("transactions")
    txs[0]["block_timestamp"] = "2025-10-05T03:00:00+02:00"
    txs[4]["block_timestamp"] = "2025-10-06T00:30:00+01:00"
    txs[6]["block_timestamp"] = "2025-10-06T00:00:00Z"
    write_rows(tmp_path / "op", "transactions", DAY, ".json", txs)
    write_rows(tmp_path / "op", "receipts", DAY, ".json", fixture_rows("receipts"))

    [result] = ingest(con, tmp_path / "op")

    times = dict(
        con.execute("select transaction_hash, block_timestamp from raw.optimism_transactions").fetchall()
    )
    assert times[_h(1)] == datetime(2025, 10, 5, 1, 0)
    assert times[_h(5)] == datetime(2025, 10, 5, 23, 30)
    assert _h(7) not in times
    assert (result.rows_kept, result.rows_rejected) == (5, 1)
    assert rejects(con) == [
        (
            "transactions/2025-10-05.json",
            7,
            "block_timestamp 2025-10-06 00:00:00 UTC is not on the file's day",
        )
    ]


# --- rejects ----------------------------------------------------------------------------------------------


def test_malformed_json_rows_are_quarantined_with_file_and_line(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    """The fixture's 7 lines, then a blank line (line 8, skipped: not a row), then 6 bad lines (9 to 14). Bad rows
    are rejected whether or not they are tracked (line 12 is carol -> dave)."""
    good = (FIXTURES / "transactions.json").read_text().splitlines()
    row = fixture_rows("transactions")[0]

    def variant(**changes: object) -> str:
        return json.dumps({**row, **changes})

    lines = [
        *good,
        "",
        variant(transaction_hash="0x12"),  # 9
        '{"transaction_hash": "0x10", oops',  # 10
        variant(transaction_hash=_h(0x21), value={"string_value": "12.5", "bignumeric_value": "12.5"}),  # 11
        variant(
            transaction_hash=_h(0x22), from_address=CAROL, to_address="0xda7e", block_timestamp="yesterday"
        ),  # 12
        variant(transaction_hash=_h(0x23), from_address=None),  # 13
        "[1, 2, 3]",  # 14
    ]
    write_lines(tmp_path / "op", "transactions", DAY, lines)
    write_rows(tmp_path / "op", "receipts", DAY, ".json", fixture_rows("receipts"))

    [result] = ingest(con, tmp_path / "op")

    assert (result.rows_read, result.rows_kept, result.rows_rejected) == (13, 6, 6)
    assert kept_rows(con) == KEPT
    got = rejects(con)
    assert [(name, line) for name, line, _ in got] == [
        ("transactions/2025-10-05.json", n) for n in range(9, 15)
    ]
    errors = {line: error for _, line, error in got}
    assert errors[9] == "transaction_hash is not 0x + 64 hex digits"
    assert errors[10].startswith("not valid JSON")
    assert errors[11] == "value is not a whole number of wei (at most 38 digits)"
    assert (
        errors[12] == "block_timestamp is not an ISO-8601 UTC timestamp; to_address is not 0x + 40 hex digits"
    )
    assert errors[13] == "missing from_address"
    assert errors[14] == "not a JSON object (a list)"
    raw_line = con.execute("select raw_line from raw._rejects where line_number = 10").fetchone()
    assert raw_line == ('{"transaction_hash": "0x10", oops',)


def test_malformed_csv_rows_are_quarantined_with_file_and_line(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    """Header on line 1, the fixture's 7 rows on lines 2-8, then: line 9 has one field too many, line 10 a value
    with a letter, line 11 a good tracked row (kept after the two bad ones)."""
    write_rows(tmp_path / "op", "transactions", DAY, ".csv", fixture_rows("transactions"))
    path = tmp_path / "op" / "transactions" / "2025-10-05.csv"
    lines = path.read_text().splitlines()
    extra = lines[1] + ",surplus"
    bad_value = lines[1].replace(_h(1), _h(0x31)).replace(",0,90000,", ",12a,90000,")
    late = lines[1].replace(_h(1), _h(0x32))
    path.write_text("\n".join([*lines, extra, bad_value, late]) + "\n")
    write_rows(tmp_path / "op", "receipts", DAY, ".json", fixture_rows("receipts"))

    [result] = ingest(con, tmp_path / "op")

    assert (result.rows_read, result.rows_kept, result.rows_rejected) == (10, 7, 2)
    got = rejects(con)
    assert [(name, line) for name, line, _ in got] == [
        ("transactions/2025-10-05.csv", 9),
        ("transactions/2025-10-05.csv", 10),
    ]
    assert got[0][2].startswith("malformed CSV line")
    assert got[1][2] == "value is not a whole number of wei (at most 38 digits)"
    assert con.execute("select raw_line from raw._rejects where line_number = 10").fetchone() == (bad_value,)
    assert _h(0x32) in {row[0] for row in kept_rows(con)}


def test_malformed_parquet_row_is_quarantined_with_its_row_number(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    txs = fixture_rows("transactions")
    txs[2]["transaction_hash"] = "not-a-hash"  # row 3, the huge transfer
    write_rows(tmp_path / "op", "transactions", DAY, ".parquet", txs)
    write_rows(tmp_path / "op", "receipts", DAY, ".parquet", fixture_rows("receipts"))

    [result] = ingest(con, tmp_path / "op")

    assert (result.rows_read, result.rows_kept, result.rows_rejected) == (7, 5, 1)
    assert rejects(con) == [
        ("transactions/2025-10-05.parquet", 3, "transaction_hash is not 0x + 64 hex digits")
    ]
    raw_line = con.execute("select raw_line from raw._rejects").fetchone()[0]
    assert json.loads(raw_line)["value"] == "1000000000000000000000000000007"


def test_a_malformed_receipt_is_quarantined_and_its_transaction_kept(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    receipts = fixture_rows("receipts")
    receipts[0]["status"] = "2"  # line 1, the receipt of the first transaction
    write_rows(tmp_path / "op", "transactions", DAY, ".json", fixture_rows("transactions"))
    write_rows(tmp_path / "op", "receipts", DAY, ".json", receipts)

    [result] = ingest(con, tmp_path / "op")

    assert rejects(con) == [("receipts/2025-10-05.json", 1, "status is not 0 or 1")]
    assert (result.rows_kept, result.rows_rejected, result.without_receipt) == (6, 1, 2)


# --- files ------------------------------------------------------------------------------------------------


def test_missing_receipts_file_is_an_error_naming_it(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    write_fixture_day(tmp_path / "op", ".json")
    ingest(con, tmp_path / "op")
    (tmp_path / "op" / "receipts" / "2025-10-05.json").unlink()

    with pytest.raises(IngestError, match=r"receipts file .*receipts/2025-10-05\.json is missing"):
        ingest(con, tmp_path / "op")

    assert kept_rows(con) == KEPT  # the day's previous data stays
    log = con.execute("select status, error from raw._loads order by finished_at").fetchall()
    assert [status for status, _ in log] == ["ok", "failed"]
    assert "receipts/2025-10-05.json" in log[1][1]


def test_missing_transactions_file_is_reported_and_the_day_kept(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    write_fixture_day(tmp_path / "op", ".csv")
    results = ingest(con, tmp_path / "op", DAY, NEXT_DAY)
    assert [r.files_read for r in results] == [2, 0]
    assert results[1].missing_files == ("transactions/2025-10-06{.parquet,.csv,.json,.json.gz}",)
    statuses = con.execute("select day, status from raw._loads order by day").fetchall()
    assert statuses == [(DAY, "ok"), (NEXT_DAY, "failed")]


def test_a_missing_column_or_two_files_for_a_day_are_errors(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    rows = [{k: v for k, v in row.items() if k != "gas_price"} for row in fixture_rows("transactions")]
    write_rows(tmp_path / "op", "transactions", DAY, ".csv", rows)
    write_rows(tmp_path / "op", "receipts", DAY, ".csv", fixture_rows("receipts"))
    with pytest.raises(IngestError, match=r"2025-10-05\.csv lacks column\(s\) gas_price"):
        ingest(con, tmp_path / "op")

    write_rows(tmp_path / "op", "transactions", DAY, ".json", fixture_rows("transactions"))
    with pytest.raises(IngestError, match=r"2 transactions files for one day"):
        ingest(con, tmp_path / "op")


def test_a_truncated_gzip_fails_the_day_naming_the_file(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    write_fixture_day(tmp_path / "op", ".json.gz")
    path = tmp_path / "op" / "transactions" / "2025-10-05.json.gz"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(IngestError, match=r"transactions/2025-10-05\.json\.gz cannot be read"):
        ingest(con, tmp_path / "op")
    assert kept_rows(con) == []


def test_a_rerun_of_a_day_changes_nothing(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    lines = [*(FIXTURES / "transactions.json").read_text().splitlines(), "{broken"]
    write_lines(tmp_path / "op", "transactions", DAY, lines)
    write_rows(tmp_path / "op", "receipts", DAY, ".json", fixture_rows("receipts"))
    everything = f"select {COLUMNS}, _source_file from raw.optimism_transactions order by transaction_hash"  # noqa: S608
    reject_rows = (
        "select source, day, source_file, line_number, error, raw_line from raw._rejects order by all"
    )

    first = ingest(con, tmp_path / "op")
    table, quarantine = con.execute(everything).fetchall(), con.execute(reject_rows).fetchall()
    second = ingest(con, tmp_path / "op")

    assert con.execute(everything).fetchall() == table
    assert con.execute(reject_rows).fetchall() == quarantine
    assert len(table) == 6 and len(quarantine) == 1
    assert [dataclasses.replace(r, seconds=0) for r in first] == [
        dataclasses.replace(r, seconds=0) for r in second
    ]
    loads = con.execute("select status, rows_read, rows_kept, rows_rejected from raw._loads").fetchall()
    assert loads == [("ok", 8, 6, 1), ("ok", 8, 6, 1)]


def test_contracts_created_by_a_deployer_are_followed(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    """Day 1: the deployer creates 0xc0ff...c6 (line 6). Day 2: carol calls it at 01:00 and, the same day, the
    deployer creates 0xd00d...; carol calls that at 03:00. With `deployers` both calls are kept: the first from
    day 1's rows in the warehouse, the second from day 2's own receipts (a second pass). Without, neither."""
    write_fixture_day(tmp_path / "op", ".json")
    new = "0xd00d0000000000000000000000000000000000d2"

    def tx(n: int, hour: int, sender: str, to: str | None) -> dict:
        row = fixture_rows("transactions")[0]
        stamp = f"2025-10-06T{hour:02d}:00:00Z"
        return dict(row, transaction_hash=_h(n), block_timestamp=stamp, from_address=sender, to_address=to)

    def receipt(n: int, created: str | None = None) -> dict:
        return dict(fixture_rows("receipts")[0], transaction_hash=_h(n), contract_address=created)

    day2 = [tx(0x41, 1, CAROL, CREATED), tx(0x42, 2, DEPLOYER, None), tx(0x43, 3, CAROL, new)]
    write_rows(tmp_path / "op", "transactions", NEXT_DAY, ".json", day2)
    write_rows(
        tmp_path / "op", "receipts", NEXT_DAY, ".json", [receipt(0x41), receipt(0x42, new), receipt(0x43)]
    )

    ingest(con, tmp_path / "op", DAY, NEXT_DAY)
    day2_hashes = "select transaction_hash from raw.optimism_transactions where block_day = ? order by 1"
    assert con.execute(day2_hashes, [NEXT_DAY]).fetchall() == [(_h(0x42),)]

    ingest(con, tmp_path / "op", NEXT_DAY, deployers=frozenset({DEPLOYER.upper().replace("0X", "0x")}))
    assert con.execute(day2_hashes, [NEXT_DAY]).fetchall() == [(_h(0x41),), (_h(0x42),), (_h(0x43),)]


# --- the sample -------------------------------------------------------------------------------------------


def test_demo_sample_is_deterministic_mixed_and_loadable(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    first = write_demo_optimism_sample(tmp_path / "a")
    second = write_demo_optimism_sample(tmp_path / "b")
    digest = [hashlib.sha256(path.read_bytes()).hexdigest() for path in first]
    assert digest == [hashlib.sha256(path.read_bytes()).hexdigest() for path in second]
    assert sorted({path.name.split(".", 1)[1] for path in first}) == ["csv", "json.gz", "parquet"]
    assert len(first) == 2 * len(DEMO_FORMATS)

    results = ingest_optimism(con, tmp_path / "a", TRACKED, DEMO_START, DEMO_END, progress=False)
    assert [r.rows_rejected for r in results] == [0, 0, 0, 0]
    assert all(r.rows_kept > 0 and r.rows_read > r.rows_kept for r in results)
    failed = con.execute("select count(*) from raw.optimism_transactions where receipt_status = 0").fetchone()
    assert failed[0] >= 1


def test_sample_has_a_deployment_a_bot_hour_and_noise(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    addresses = SampleAddresses(contracts=(OP_TOKEN,), deployers=(DEPLOYER,))
    days = [date(2025, 10, 6), date(2025, 10, 7)]
    write_sample(
        tmp_path / "s", addresses, days, [".json.gz", ".parquet"], noise_per_day=50, calls_per_contract=5
    )

    ingest_optimism(
        con,
        tmp_path / "s",
        frozenset({OP_TOKEN}),
        days[0],
        days[1],
        progress=False,
        deployers=frozenset({DEPLOYER}),
    )

    created = con.execute(
        "select count(*) from raw.optimism_transactions where from_address = ? and receipt_contract_address is not null",
        [DEPLOYER],
    ).fetchone()
    assert created == (2,)  # one deployment per day
    busiest = con.execute(
        "select count(*) from raw.optimism_transactions group by from_address, date_trunc('hour', block_timestamp) "
        "order by 1 desc limit 1"
    ).fetchone()
    assert busiest == (BOT_CALLS_IN_ONE_HOUR,)
    # Day 2 calls the contract created on day 1 (5 calls): followed.
    followed = con.execute(
        "select count(*) from raw.optimism_transactions t join raw.optimism_transactions c "
        "on t.to_address = c.receipt_contract_address where c.block_day = ? and t.block_day = ?",
        days,
    ).fetchone()
    assert followed == (5,)

"""Optimism ingestion on BigQuery (`ingestion.sources.optimism_bigquery`): the real google-cloud-bigquery client and
the ingestion's real queries against the local BigQuery emulator (`bq_emulator`, tests/bqemulator.py), which stands
in for Google's BigQuery API; no test calls Google. Where a test also looks at the HTTP requests the client sends,
it puts `bq_pricing_proxy` (a local proxy in front of the emulator that records every job) between the two.

The public tables are rebuilt in the emulator with the shape of `bigquery-public-data.goog_blockchain_optimism_
mainnet_us` (tests/fixtures/optimism_bigquery/schema: `value` and `gas_price` are RECORDs, `transactions` has no
`block_number`, which comes from `blocks`, and `receipts` has no `l1_fee`), partitioned by month on
`block_timestamp` as Google documents, and loaded with the contract fixture of that folder, whose README gives the
fate of every row: two days of October 2025 (days 1 and 2), and four days across the end of October (the month
boundary days). That fixture is not the local one (tests/fixtures/optimism): the emulator stores BIGNUMERIC as
DECIMAL(38, 18), so the local fixture's 10^30 + 7 wei cannot be stored there; its large amount is
12345678901234567891 wei instead (above INT64, beyond a float's precision). The expected rows below are written out
by hand from that README.

Days are loaded one batch per calendar month (the default) unless a test says `batch="day"`. The tests share one
raw dataset, created once by `BigQueryRaw.ensure` in a project of its own; each test starts with its
raw.optimism_transactions and raw._loads emptied (`raw_project`).
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from google.cloud import bigquery
from sqlglot import exp

from ingestion.bigquery.jobs import QueryRunner
from ingestion.bigquery.raw import BigQueryRaw
from ingestion.errors import IngestError
from ingestion.sources.optimism import DayResult, ingest_optimism
from ingestion.sources.optimism_bigquery import ingest_optimism_bigquery, plan_optimism
from ingestion.warehouse import connect

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "optimism_bigquery"
PUBLIC = "goog_blockchain_optimism_mainnet_us"
TABLES = ("transactions", "receipts", "blocks")
DAY1 = date(2025, 10, 5)
DAY2 = date(2025, 10, 6)
OCT29, OCT30, OCT31, NOV1 = date(2025, 10, 29), date(2025, 10, 30), date(2025, 10, 31), date(2025, 11, 1)
CAP = 10**15  # the emulator prices every query at 0 bytes; the cap is tested elsewhere

OP_TOKEN = "0x4200000000000000000000000000000000000042"
ROUTER = "0xe592427a0aece92de3edee1f18e0157c05861564"
DEPLOYER = "0x6c9fc64a53c1b71fb3f9af64d1ae3a4931a5f4e9"
ALICE = "0xa11ce00000000000000000000000000000000001"
BOB = "0xb0b0000000000000000000000000000000000002"
CAROL = "0xca401000000000000000000000000000000000c3"
ERIN = "0xe1e1000000000000000000000000000000000005"
CREATED = "0xc0ffee00000000000000000000000000000000c6"
NEW = "0xd00d0000000000000000000000000000000000d2"
FAILED = "0xbad0000000000000000000000000000000000bad"
LATER = "0xfeed0000000000000000000000000000000000f1"
EARLIER = "0xcafe00000000000000000000000000000000cafe"

# As a registry could write them: the router checksummed, the deployer upper-case.
TRACKED = frozenset({OP_TOKEN, "0xE592427A0AEce92De3Edee1F18E0157C05861564", "0x" + DEPLOYER[2:].upper()})
DEPLOYERS = frozenset({"0x" + DEPLOYER[2:].upper()})

COLUMNS = (
    "transaction_hash, block_timestamp, block_number, transaction_index, from_address, to_address, value, gas, "
    "gas_price, input, receipt_gas_used, receipt_effective_gas_price, receipt_status, receipt_contract_address, "
    "receipt_l1_fee, block_day"
)


def _h(n: int) -> str:
    return "0x1" + "0" * 61 + f"{n:02x}"


def _t(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second)


MILLION = Decimal(1_000_000)
# Every row the two days keep with the deployer followed, in COLUMNS order (fixture README).
KEPT_DAY1 = [
    (_h(1), _t(DAY1, 1), 142043000, 0, ALICE, OP_TOKEN, Decimal(0), 90000, MILLION, "0xa9059cbb",
     51000, MILLION, 1, None, None, DAY1),
    (_h(2), _t(DAY1, 2, 30), 142045700, 3, BOB, ROUTER, Decimal(0), 250000, 2 * MILLION, "0x414bf389",
     200000, 2 * MILLION, 0, None, None, DAY1),
    (_h(3), _t(DAY1, 3), 142046600, 1, DEPLOYER, CAROL, Decimal(12345678901234567891), 21000, 3 * MILLION, "0x",
     21000, 3 * MILLION, 1, None, None, DAY1),
    (_h(5), _t(DAY1, 5), 142050200, 2, ALICE, OP_TOKEN, Decimal(5 * 10**17), 21000, MILLION, "0x",
     21000, MILLION, 1, None, None, DAY1),
    (_h(6), _t(DAY1, 6), 142052000, 0, DEPLOYER, None, Decimal(0), 1500000, MILLION, "0x60806040",
     1200000, MILLION, 1, CREATED, None, DAY1),
    (_h(7), _t(DAY1, 23, 59, 58), 142084399, 5, ERIN, OP_TOKEN, Decimal(0), 60000, MILLION, "0x095ea7b3",
     None, None, None, None, None, DAY1),
]  # fmt: skip
KEPT_DAY2 = [
    (_h(0x40), _t(DAY2, 0), 142084400, 0, ALICE, OP_TOKEN, Decimal(0), 60000, MILLION, "0xa9059cbb",
     35000, MILLION, 1, None, None, DAY2),
    (_h(0x41), _t(DAY2, 1), 142086200, 1, CAROL, CREATED, Decimal(0), 45000, MILLION, "0xd09de08a",
     30000, MILLION, 1, None, None, DAY2),
    (_h(0x42), _t(DAY2, 2), 142088000, 0, DEPLOYER, None, Decimal(0), 1500000, MILLION, "0x60806040",
     1200000, MILLION, 1, NEW, None, DAY2),
    (_h(0x43), _t(DAY2, 3), 142089800, 2, CAROL, NEW, Decimal(0), 45000, MILLION, "0xd09de08a",
     30000, MILLION, 1, None, None, DAY2),
    (_h(0x44), _t(DAY2, 4), 142091600, 0, DEPLOYER, None, Decimal(0), 90000, MILLION, "0x60806040",
     90000, MILLION, 0, FAILED, None, DAY2),
]  # fmt: skip
# The month boundary days, the deployer followed (fixture README): what a month batch keeps, and what day-by-day
# loading keeps on a re-run. Oct 30 has no rows in the public tables; the row there is EARLIER_LOAD, which stays.
EARLIER_LOAD = (_h(0x8F), _t(OCT30, 12), 143142800, 0, DEPLOYER, None, Decimal(0), 1500000, MILLION, "0x60806040",
                1200000, MILLION, 1, EARLIER, None, OCT30)  # fmt: skip
KEPT_BOUNDARY = [
    (_h(0x80), _t(OCT29, 9), 143094200, 0, CAROL, LATER, Decimal(0), 45000, MILLION, "0xd09de08a",
     30000, MILLION, 1, None, None, OCT29),
    (_h(0x81), _t(OCT29, 10), 143096000, 1, ALICE, OP_TOKEN, Decimal(0), 60000, MILLION, "0xa9059cbb",
     35000, MILLION, 1, None, None, OCT29),
    (_h(0x82), _t(OCT29, 11), 143097800, 0, BOB, OP_TOKEN, Decimal(1000), 21000, MILLION, "0x",
     21000, MILLION, 1, None, None, OCT29),
    EARLIER_LOAD,
    (_h(0x82), _t(OCT31, 12), 143186000, 2, BOB, OP_TOKEN, Decimal(2000), 21000, 2 * MILLION, "0x",
     23000, 2 * MILLION, 1, None, None, OCT31),
    (_h(0x83), _t(OCT31, 14), 143189600, 0, DEPLOYER, None, Decimal(0), 1500000, MILLION, "0x60806040",
     1200000, MILLION, 1, LATER, None, OCT31),
    (_h(0x84), _t(OCT31, 15), 143191400, 1, CAROL, EARLIER, Decimal(0), 45000, MILLION, "0xd09de08a",
     30000, MILLION, 1, None, None, OCT31),
    (_h(0x85), _t(OCT31, 23, 59, 58), 143207599, 3, ALICE, OP_TOKEN, Decimal(0), 60000, MILLION, "0xa9059cbb",
     35000, MILLION, 1, None, None, OCT31),
    (_h(0x86), _t(NOV1, 0), 143207600, 0, ALICE, OP_TOKEN, Decimal(0), 60000, MILLION, "0xa9059cbb",
     35000, MILLION, 1, None, None, NOV1),
    (_h(0x87), _t(NOV1, 1), 143209400, 1, CAROL, LATER, Decimal(0), 45000, MILLION, "0xd09de08a",
     30000, MILLION, 1, None, None, NOV1),
]  # fmt: skip


# --- the public tables in the emulator ----------------------------------------------------------------------


def fixture_rows(table: str) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in (FIXTURES / f"{table}.json").read_text().splitlines() if line.strip()
    ]


def public_schema(table: str) -> list[bigquery.SchemaField]:
    return [
        bigquery.SchemaField.from_api_repr(f)
        for f in json.loads((FIXTURES / "schema" / f"{table}.json").read_text())
    ]


def create_public(
    client: bigquery.Client,
    dataset: str,
    schemas: dict[str, list[bigquery.SchemaField]],
    rows: dict[str, list[dict]],
) -> str:
    """The dataset's tables, partitioned by month on block_timestamp, loaded with `rows` (a JSON load job)."""
    client.create_dataset(dataset)
    for table, schema in schemas.items():
        spec = bigquery.Table(f"{dataset}.{table}", schema=schema)
        spec.time_partitioning = bigquery.TimePartitioning(
            type_=bigquery.TimePartitioningType.MONTH, field="block_timestamp"
        )
        client.create_table(spec)
        if rows.get(table):
            config = bigquery.LoadJobConfig(
                schema=schema, source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON
            )
            client.load_table_from_json(rows[table], f"{dataset}.{table}", job_config=config).result()
    return dataset


@pytest.fixture(scope="module")
def public(bq_emulator: Any) -> Iterator[str]:
    """The contract fixture as the public dataset, in a project of its own that every test of the module reads."""
    project = f"t-op-public-{uuid.uuid4().hex[:8]}"
    client = bq_emulator.client(project)
    try:
        yield create_public(
            client,
            f"{project}.{PUBLIC}",
            {table: public_schema(table) for table in TABLES},
            {table: fixture_rows(table) for table in TABLES},
        )
    finally:
        client.close()


def make_raw(client: bigquery.Client, project: str, create: bool = True) -> BigQueryRaw:
    raw = BigQueryRaw(client, QueryRunner(client, CAP), project)
    if create:
        raw.ensure()
    return raw


@pytest.fixture(scope="module")
def raw_home(bq_emulator: Any) -> Iterator[str]:
    """A project whose raw dataset `BigQueryRaw.ensure` creates once, for every test of the module (creating the
    raw tables takes longer than emptying two of them)."""
    project = f"t-op-raw-{uuid.uuid4().hex[:8]}"
    client = bq_emulator.client(project)
    try:
        make_raw(client, project)
        yield project
    finally:
        client.close()


@pytest.fixture
def raw_project(bq_emulator: Any, raw_home: str) -> str:
    """`raw_home` with raw.optimism_transactions and raw._loads emptied: the test starts from an empty raw layer."""
    client = bq_emulator.client(raw_home)
    try:
        client.query(
            f"delete from `{raw_home}.raw.optimism_transactions` where true; "  # noqa: S608
            f"delete from `{raw_home}.raw._loads` where true;"
        ).result()
    finally:
        client.close()
    return raw_home


@pytest.fixture
def raw(bq_emulator: Any, raw_project: str) -> Iterator[BigQueryRaw]:
    """The module's raw dataset, empty, through a client of its own."""
    client = bq_emulator.client(raw_project)
    try:
        yield make_raw(client, raw_project, create=False)
    finally:
        client.close()


def bq_rows(raw: BigQueryRaw, day: date | None = None, columns: str = COLUMNS) -> list[tuple]:
    where = "where block_day = @day" if day else ""
    params = [bigquery.ScalarQueryParameter("day", "DATE", day)] if day else []
    sql = f"select {columns} from {raw.table_sql('optimism_transactions')} {where} order by block_day, transaction_hash"  # noqa: S608
    rows = raw.client.query(sql, job_config=bigquery.QueryJobConfig(query_parameters=params)).result()
    return [tuple(_naive(v) for v in row.values()) for row in rows]


def _naive(value: object) -> object:
    """BigQuery's TIMESTAMP comes back aware (UTC); DuckDB's naive UTC. Compare them as naive UTC."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def loads(raw: BigQueryRaw) -> list[tuple]:
    sql = f"select day, status, rows_read, rows_kept from {raw.table_sql('_loads')} order by finished_at"  # noqa: S608
    return [tuple(row.values()) for row in raw.client.query(sql).result()]


def ingest(
    raw: BigQueryRaw, dataset: str, start: date, end: date | None = None, **kwargs: Any
) -> list[DayResult]:
    return ingest_optimism_bigquery(
        raw, dataset, kwargs.pop("tracked", TRACKED), start, end or start, progress=False, **kwargs
    )


def _without_seconds(results: list[DayResult]) -> list[DayResult]:
    return [dataclasses.replace(r, seconds=0) for r in results]


# --- the contract: both backends, one fixture ---------------------------------------------------------------


def write_day_files(folder: Path) -> None:
    """The fixture as the local backend's day files (JSON, one per table and day). The public `transactions` has no
    block_number (it is in `blocks`), so each transaction row gets its block's number, as an export joined to
    `blocks` would have it; every other field is the row as loaded into the emulator."""
    numbers = {block["block_hash"]: block["block_number"] for block in fixture_rows("blocks")}
    for table in ("transactions", "receipts"):
        for day in (DAY1, DAY2):
            rows = [row for row in fixture_rows(table) if row["block_timestamp"].startswith(day.isoformat())]
            if table == "transactions":
                rows = [{**row, "block_number": numbers[row["block_hash"]]} for row in rows]
            path = folder / table / f"{day.isoformat()}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def test_the_local_and_bigquery_backends_keep_the_same_rows(
    tmp_path: Path, public: str, raw: BigQueryRaw
) -> None:
    """The contract. Boundaries: the local backend reads the fixture as day files into a real DuckDB file; the
    BigQuery backend runs its queries through the real client on the emulator's copy of the public tables (the two
    days in one month batch). Both days, the deployer followed: the same 11 rows, every column equal (timestamps
    compared as naive UTC). The day results agree too, except that BigQuery counts no rejects: the malformed row 9
    of day 1 is kept by neither, the local backend quarantines it."""
    write_day_files(tmp_path / "op")
    con = connect(tmp_path / "warehouse.duckdb")
    try:
        local = ingest_optimism(
            con, tmp_path / "op", TRACKED, DAY1, DAY2, progress=False, deployers=DEPLOYERS
        )
        query = f"select {COLUMNS} from raw.optimism_transactions order by block_day, transaction_hash"  # noqa: S608
        local_rows = con.execute(query).fetchall()
        local_rejects = con.execute("select line_number, error from raw._rejects").fetchall()
    finally:
        con.close()

    remote = ingest(raw, public, DAY1, DAY2, deployers=DEPLOYERS)

    assert local_rows == KEPT_DAY1 + KEPT_DAY2
    assert bq_rows(raw) == KEPT_DAY1 + KEPT_DAY2
    assert local_rejects == [(9, "transaction_hash is not 0x + 64 hex digits")]
    # files_read: two day files, or two tables; read 9 / 7 rows; row 8 is a duplicate; row 7 has no receipt.
    expected = [
        DayResult(DAY1, 2, (), 9, 6, 1, 1, 7, 1, 0),
        DayResult(DAY2, 2, (), 7, 5, 0, 0, 7, 0, 0),
    ]
    assert _without_seconds(local) == expected
    assert _without_seconds(remote) == [dataclasses.replace(expected[0], rows_rejected=0), expected[1]]
    assert loads(raw) == [(DAY1, "ok", 9, 6), (DAY2, "ok", 7, 5)]


def test_rerunning_a_batch_leaves_the_same_rows(public: str, raw: BigQueryRaw) -> None:
    """Boundary: the emulator runs the MERGE that replaces the batch's days (the statement BigQuery runs
    atomically). Days 1 and 2, one month batch, twice: the same 11 rows, every column but _loaded_at (_source_file
    names the public transactions table), the same day results, and two ok attempts per day in raw._loads. (That a
    batch's MERGE leaves the days it does not replace alone is in the month boundary test.)"""
    everything = f"{COLUMNS}, _source_file"
    first = ingest(raw, public, DAY1, DAY2, deployers=DEPLOYERS)
    before = bq_rows(raw, columns=everything)

    second = ingest(raw, public, DAY1, DAY2, deployers=DEPLOYERS)

    assert bq_rows(raw, columns=everything) == before
    assert before == [(*row, f"{public}.transactions") for row in KEPT_DAY1 + KEPT_DAY2]
    assert _without_seconds(first) == _without_seconds(second)
    assert loads(raw) == [(DAY1, "ok", 9, 6), (DAY2, "ok", 7, 5)] * 2


def test_contracts_of_a_deployer_are_followed_from_other_days_and_the_same_day(
    public: str, raw: BigQueryRaw
) -> None:
    """Boundary: the emulator runs the batch query, which reads raw.optimism_transactions for contracts created on
    days it does not replace. Each day a batch of its own; day 2 first, alone: carol's call to 0xd00d (created on
    day 2, row 3) is kept from day 2's own receipts, her call to 0xc0ffee (created on day 1) is not, since day 1 is
    not loaded. After day 1, day 2 again: that call is kept too. Never her call to 0xbad0 (the creation reverted,
    status 0), nor dave -> erin."""
    day2 = "transaction_hash, to_address"

    ingest(raw, public, DAY2, deployers=DEPLOYERS)
    assert bq_rows(raw, DAY2, day2) == [
        (_h(0x40), OP_TOKEN),
        (_h(0x42), None),
        (_h(0x43), NEW),
        (_h(0x44), None),
    ]

    ingest(raw, public, DAY1, deployers=DEPLOYERS)
    ingest(raw, public, DAY2, deployers=DEPLOYERS)
    assert bq_rows(raw, DAY2) == KEPT_DAY2


BILLED = 1000
"""What the proxy says each real query over the public tables processed and billed (the emulator reports 0)."""


def bill_public_queries(proxy: Any) -> None:
    """Make every real query job over the public tables report BILLED bytes processed and billed in its statistics,
    as BigQuery reports them, on top of what the recording proxy does."""
    recorded = proxy.on_response

    def on_response(exchange: Any) -> None:
        recorded(exchange)
        body = exchange.response_json
        configuration = body.get("configuration") if isinstance(body, dict) else None
        if not isinstance(configuration, dict) or configuration.get("dryRun"):
            return
        if f"{PUBLIC}." not in str((configuration.get("query") or {}).get("query", "")):
            return
        statistics = body.setdefault("statistics", {}).setdefault("query", {})
        statistics["totalBytesProcessed"] = statistics["totalBytesBilled"] = str(BILLED)

    proxy.on_response = on_response


def write_earlier_load(raw: BigQueryRaw) -> None:
    """EARLIER_LOAD in raw.optimism_transactions, as an earlier load of Oct 30 would have left it."""
    values = ", ".join(_literal(value) for value in (*EARLIER_LOAD, "an earlier load"))
    table = raw.table_sql("optimism_transactions")
    raw.client.query(f"insert into {table} ({COLUMNS}, _source_file) values ({values})").result()  # noqa: S608


def _literal(value: object) -> str:
    """A fixture constant as a BigQuery literal (naive datetimes are UTC)."""
    if value is None:
        return "null"
    if isinstance(value, datetime):
        return f"timestamp '{value} UTC'"
    if isinstance(value, date):
        return f"date '{value}'"
    return f"'{value}'" if isinstance(value, str) else str(value)


def merges(jobs: list[dict[str, Any]]) -> list[tuple[str, str, list[str]]]:
    """The MERGEs over the public tables among the jobs: first day, last day and the days replaced of each."""
    found = []
    for job in jobs:
        config = job["configuration"]["query"]
        if config["query"].lstrip().startswith("merge ") and f"{PUBLIC}." in config["query"]:
            params = {p["name"]: p["parameterValue"] for p in config["queryParameters"]}
            days = [v["value"] for v in params["days"]["arrayValues"]]
            found.append((params["first_day"]["value"], params["last_day"]["value"], days))
    return found


def loads_with_bytes(raw: BigQueryRaw) -> list[tuple]:
    sql = (
        "select day, status, rows_read, rows_kept, bytes_processed, bytes_billed "  # noqa: S608
        f"from {raw.table_sql('_loads')} order by finished_at"
    )
    return [tuple(row.values()) for row in raw.client.query(sql).result()]


def test_a_month_batch_keeps_the_rows_of_day_by_day_loading_in_one_merge_per_month(
    bq_emulator: Any, raw_project: str, bq_pricing_proxy: Any, public: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Boundary: the client talks to the emulator through the recording proxy, which also makes each real query
    over the public tables report 1000 bytes processed and billed, as BigQuery's job statistics would (the emulator
    reports 0). The month boundary days of the fixture README, Oct 29 to Nov 1, the deployer followed; raw holds
    EARLIER_LOAD on Oct 30, a day the public tables have no rows for.

    Month batches: one MERGE for October, replacing Oct 29 and 31 only (Oct 30 is reported missing and left out of
    `@days`), one for November. They keep KEPT_BOUNDARY: Oct 30's earlier row stays; carol's call to 0xfeed on
    Oct 29 is kept, the contract being created later in the batch (Oct 31); her call to 0xcafe on Oct 31 is kept
    from raw's Oct 30 (a day the batch leaves alone), her call to 0xfeed on Nov 1 from raw's Oct 31 (the October
    batch); hash 0x..82 is a row on Oct 29 and another on Oct 31, each with its own day's receipt, and only Oct 29's
    exact copy of 0x..81 is a duplicate. Oct 31 23:59:58 is October's, Nov 1 00:00:00 November's.

    Then day by day (`batch="day"`), a re-run over those rows: three MERGEs (no MERGE for Oct 30), the same rows,
    the same day results. raw._loads has one row per day and run. Bytes: each query's 1000 bytes are divided over
    the days it served, so October's counts (1000) give 334, 333, 333 to Oct 29, 30, 31, its MERGE and summary
    (2000) 1000 each to Oct 29 and 31: 1334, 333, 1333; November's three queries 3000 to Nov 1. Day by day, each day
    with rows runs three queries (3000) and Oct 30 the counts alone (1000)."""
    client = bq_emulator.client(raw_project, endpoint=bq_pricing_proxy.endpoint)
    raw = make_raw(client, raw_project, create=False)
    bill_public_queries(bq_pricing_proxy)
    write_earlier_load(raw)

    by_month = ingest(raw, public, OCT29, NOV1, deployers=DEPLOYERS)
    month_jobs = bq_pricing_proxy.real_jobs()
    month_rows = bq_rows(raw)
    by_day = ingest(raw, public, OCT29, NOV1, deployers=DEPLOYERS, batch="day")
    day_jobs = bq_pricing_proxy.real_jobs()[len(month_jobs) :]

    assert month_rows == KEPT_BOUNDARY
    assert bq_rows(raw) == KEPT_BOUNDARY
    missing = (f"{public}.transactions 2025-10-30",)
    # read, kept, rejected, duplicates, receipts read, without receipt (fixture README)
    expected = [
        DayResult(OCT29, 2, (), 4, 3, 0, 1, 3, 0, 0),
        DayResult(OCT30, 0, missing, 0, 0, 0, 0, 0, 0, 0),
        DayResult(OCT31, 2, (), 4, 4, 0, 0, 4, 0, 0),
        DayResult(NOV1, 2, (), 3, 2, 0, 0, 3, 0, 0),
    ]
    assert _without_seconds(by_month) == expected
    assert _without_seconds(by_day) == expected
    assert merges(month_jobs) == [
        ("2025-10-29", "2025-10-31", ["2025-10-29", "2025-10-31"]),
        ("2025-11-01", "2025-11-01", ["2025-11-01"]),
    ]
    assert [days for _, _, days in merges(day_jobs)] == [["2025-10-29"], ["2025-10-31"], ["2025-11-01"]]
    warning = f"optimism 2025-10-30: {public}.transactions has no rows for this day"
    assert capsys.readouterr().err.count(warning) == 2  # once per run
    recorded = loads_with_bytes(raw)
    assert sorted(recorded[:4]) == [
        (OCT29, "ok", 4, 3, 1334, 1334),
        (OCT30, "failed", 0, 0, 333, 333),
        (OCT31, "ok", 4, 4, 1333, 1333),
        (NOV1, "ok", 3, 2, 3000, 3000),
    ]
    assert sorted(recorded[4:]) == [
        (OCT29, "ok", 4, 3, 3000, 3000),
        (OCT30, "failed", 0, 0, 1000, 1000),
        (OCT31, "ok", 4, 4, 3000, 3000),
        (NOV1, "ok", 3, 2, 3000, 3000),
    ]


def test_hostile_addresses_are_query_parameters(
    bq_emulator: Any, raw_project: str, bq_pricing_proxy: Any, public: str
) -> None:
    """Boundary: the client talks to the emulator through the recording proxy, so the test sees the requests. Address
    strings with quotes, a backtick, a comment and a statement are tracked next to the OP token: they match nothing,
    break nothing, and appear in no query text, only as parameter values. Day 1 keeps the OP token's rows 1, 5, 7."""
    hostile = [
        "0x'; drop table raw.optimism_transactions; --",
        "0x4200000000000000000000000000000000000042' or '1'='1",
        "`) or true or (`",
        '0x" or ""="',
    ]
    client = bq_emulator.client(raw_project, endpoint=bq_pricing_proxy.endpoint)
    raw = make_raw(client, raw_project, create=False)

    ingest(raw, public, DAY1, tracked=frozenset({OP_TOKEN, *hostile}), deployers=frozenset(hostile[:1]))

    assert [row[0] for row in bq_rows(raw)] == [_h(1), _h(5), _h(7)]
    queries = [job.get("configuration", {}).get("query", job).get("query") for job in bq_pricing_proxy.jobs]
    assert any("optimism_transactions" in (query or "") for query in queries)
    assert all(text.lower() not in (query or "").lower() for query in queries for text in hostile)
    sent = json.dumps(bq_pricing_proxy.jobs)
    assert all(json.dumps(text)[1:-1] in sent for text in hostile)  # they travel as parameter values


def test_a_dry_run_plan_executes_nothing(
    bq_emulator: Any, bq_project: str, raw_project: str, bq_pricing_proxy: Any, public: str
) -> None:
    """Boundary: the recording proxy answers every dry run with 123456789 bytes (the emulator estimates 0) and
    records the jobs. With the raw tables created (and empty), planning Oct 5 to Nov 1 plans the batches the load
    would run, one per calendar month: Oct 5-31 and Nov 1, each priced by the dry runs of its three queries (the
    counts, the MERGE, the summary: 3 x 123456789 bytes a batch). With `batch="day"`, days 1 and 2 are two batches
    of 3 dry runs each. Nothing else is sent and nothing changes: a MERGE that ran would have written day 1's 6
    rows, a load its raw._loads row. Before the raw tables exist, the plan prices the day's SELECT and the counts
    (2 x 123456789) and creates nothing."""
    client = bq_emulator.client(raw_project, endpoint=bq_pricing_proxy.endpoint)
    raw = make_raw(client, raw_project, create=False)
    bq_pricing_proxy.dry_run_bytes = 123_456_789

    by_month = plan_optimism(raw, public, TRACKED, DAY1, NOV1, deployers=DEPLOYERS)
    by_day = plan_optimism(raw, public, TRACKED, DAY1, DAY2, deployers=DEPLOYERS, batch="day")

    tables = tuple(f"{public}.{table}" for table in TABLES)
    assert [(p.what, p.tables, p.bytes_estimated, p.note) for p in by_month] == [
        (
            "optimism 2025-10-05..2025-10-31",
            tables,
            3 * 123_456_789,
            "27 days, 3 queries: counts, MERGE, summary",
        ),
        ("optimism 2025-11-01", tables, 3 * 123_456_789, "1 day, 3 queries: counts, MERGE, summary"),
    ]
    assert [(p.what, p.bytes_estimated) for p in by_day] == [
        ("optimism 2025-10-05", 3 * 123_456_789),
        ("optimism 2025-10-06", 3 * 123_456_789),
    ]
    assert len(bq_pricing_proxy.jobs) == 12 and all(_is_dry_run(job) for job in bq_pricing_proxy.jobs)
    assert bq_rows(raw) == []
    assert loads(raw) == []

    fresh_project = bq_project[:-4] + "new0"
    fresh = make_raw(
        bq_emulator.client(fresh_project, endpoint=bq_pricing_proxy.endpoint), fresh_project, create=False
    )
    [early] = plan_optimism(fresh, public, TRACKED, DAY1, DAY1)
    assert (early.bytes_estimated, early.note) == (
        2 * 123_456_789,
        "raw tables not created yet: priced without them",
    )
    assert list(fresh.client.list_datasets()) == []


def _is_dry_run(job: dict[str, Any]) -> bool:
    return bool(job.get("dryRun") or job.get("configuration", {}).get("dryRun"))


def test_the_sql_sent_reads_only_the_batch_days_and_the_needed_columns(
    bq_emulator: Any, raw_project: str, bq_pricing_proxy: Any, public: str
) -> None:
    """Boundary: the recording proxy; the queries are parsed with sqlglot's BigQuery dialect. Days 1 and 2 are one
    month batch: three queries read the public tables (the counts, the MERGE, the summary), not three a day. In each,
    every read of a public table (transactions, receipts, blocks) sits in a SELECT whose WHERE has
    `block_timestamp >= @window_start` and `block_timestamp < @window_end` on that table, before any join; the
    parameters are TIMESTAMPs from 00:00 UTC of day 1 to 00:00 UTC of the day after day 2, and the days replaced are
    days 1 and 2, bounded by `@first_day` and `@last_day`. The MERGE reads only the columns the raw table needs."""
    client = bq_emulator.client(raw_project, endpoint=bq_pricing_proxy.endpoint)
    raw = make_raw(client, raw_project, create=False)
    ingest(raw, public, DAY1, DAY2)

    jobs = [job for job in bq_pricing_proxy.real_jobs() if f"{PUBLIC}." in json.dumps(job)]
    assert len(jobs) == 3  # the counts, the MERGE, the summary
    read: dict[str, set[str]] = {}
    for job in jobs:
        config = job["configuration"]["query"]
        params = {p["name"]: p for p in config["queryParameters"]}
        assert params["window_start"]["parameterType"]["type"] == "TIMESTAMP"
        assert params["window_start"]["parameterValue"]["value"].startswith("2025-10-05 00:00:00")
        assert params["window_end"]["parameterValue"]["value"].startswith("2025-10-07 00:00:00")
        days = [v["value"] for v in params["days"]["parameterValue"]["arrayValues"]]
        assert days == ["2025-10-05", "2025-10-06"]
        first, last = (params[name]["parameterValue"]["value"] for name in ("first_day", "last_day"))
        assert (first, last) == ("2025-10-05", "2025-10-06")
        statement = sqlglot.parse_one(config["query"], read="bigquery")
        tables = [t for t in statement.find_all(exp.Table) if t.db == PUBLIC]
        assert {t.name for t in tables} >= {"transactions"}
        for table in tables:
            select = table.find_ancestor(exp.Select)
            assert select is not None and select.args.get("where") is not None, table.sql("bigquery")
            alias = table.alias
            column = f"{alias}.block_timestamp" if alias else "block_timestamp"
            conditions = {node.sql("bigquery") for node in select.args["where"].find_all(exp.GTE, exp.LT)}
            expected = {f"{column} >= @window_start", f"{column} < @window_end"}
            assert expected <= conditions, (table.name, conditions)
            if isinstance(statement, exp.Merge) and alias:
                read[table.name] = {
                    c.parts[1].name
                    for c in statement.find_all(exp.Column)
                    if len(c.parts) > 1 and c.parts[0].name == alias
                }
    assert read == {
        "transactions": {
            "block_timestamp", "block_hash", "transaction_hash", "transaction_index", "from_address",
            "to_address", "value", "gas", "gas_price", "input",
        },
        "receipts": {"block_timestamp", "transaction_hash", "gas_used", "effective_gas_price", "status", "contract_address"},
        "blocks": {"block_timestamp", "block_hash", "block_number"},
    }  # fmt: skip


# --- other shapes of the source tables ----------------------------------------------------------------------


def _field(name: str, kind: str) -> bigquery.SchemaField:
    return bigquery.SchemaField(name, kind)


def test_plain_amount_types_and_a_block_number_column_give_the_same_rows(
    bq_client: bigquery.Client, bq_project: str, raw: BigQueryRaw
) -> None:
    """Boundary: the emulator, with a copy of the public tables whose columns have other types: `block_number` in
    transactions (INT64, no blocks table), `value` BIGNUMERIC, `gas_price` INT64, `effective_gas_price` STRING,
    `status` STRING, and an `l1_fee` column (NUMERIC) in receipts. The schema is read first and each column read for
    its type: day 1 keeps the same rows as with the public shape, and `receipt_l1_fee` is the loaded value, here
    1000 x gas_used (hand rule of this test)."""
    numbers = {b["block_hash"]: b["block_number"] for b in fixture_rows("blocks")}
    plain: dict[str, list[bigquery.SchemaField]] = {
        "transactions": [
            *(f for f in public_schema("transactions") if f.name not in {"value", "gas_price"}),
            _field("block_number", "INT64"),
            _field("value", "BIGNUMERIC"),
            _field("gas_price", "INT64"),
        ],
        "receipts": [
            *(f for f in public_schema("receipts") if f.name not in {"effective_gas_price", "status"}),
            _field("effective_gas_price", "STRING"),
            _field("status", "STRING"),
            _field("l1_fee", "NUMERIC"),
        ],
    }
    rows = {
        "transactions": [
            {
                **row,
                "block_number": numbers[row["block_hash"]],
                "value": row["value"]["string_value"],
                "gas_price": row["gas_price"]["string_value"],
            }
            for row in fixture_rows("transactions")
        ],
        "receipts": [{**row, "l1_fee": str(1000 * int(row["gas_used"]))} for row in fixture_rows("receipts")],
    }
    dataset = create_public(bq_client, f"{bq_project}.plain_types", plain, rows)

    ingest(raw, dataset, DAY1)

    expected = [
        row[:14] + (None if row[10] is None else Decimal(1000 * row[10]),) + row[15:] for row in KEPT_DAY1
    ]
    assert bq_rows(raw) == expected


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("transactions", "gas_price", None),
            r"transactions column gas_price: expected a RECORD .* but it has no such column",
        ),
        (
            ("transactions", "value", "FLOAT64"),
            r"transactions column value: expected a RECORD .* but it is FLOAT",
        ),
        (("receipts", "status", "BOOL"), r"receipts column status: expected INT64, .* but it is BOOL"),
        (
            ("receipts", "block_timestamp", "DATE"),
            r"receipts column block_timestamp: expected TIMESTAMP, but it is DATE",
        ),
        (("blocks", None, None), r"transactions has no column block_number, .*\.blocks does not exist"),
        (("receipts", None, None), r"the table \S+\.receipts does not exist: IMPACT_BQ_OPTIMISM_DATASET="),
    ],
)
def test_a_missing_or_mistyped_column_is_an_error_naming_table_and_column(
    bq_client: bigquery.Client, bq_project: str, change: tuple, message: str
) -> None:
    """Boundary: the emulator's table metadata (`get_table`), read before any query. Each case changes one column
    (or drops one table) of an empty copy of the public tables; the error names the table and the column, and
    nothing has run: the raw dataset was not even created."""
    raw = make_raw(bq_client, bq_project, create=False)
    table, column, kind = change
    schemas = {name: public_schema(name) for name in TABLES}
    if column is None:
        del schemas[table]
    else:
        kept = [f for f in schemas[table] if f.name != column]
        schemas[table] = kept if kind is None else [*kept, _field(column, kind)]
    dataset = create_public(bq_client, f"{bq_project}.changed", schemas, {})

    with pytest.raises(IngestError, match=message):
        ingest(raw, dataset, DAY1)
    assert [d.dataset_id for d in bq_client.list_datasets()] == ["changed"]


def test_a_day_without_receipts_fails_and_a_day_without_rows_is_reported_keeping_its_data(
    bq_client: bigquery.Client,
    bq_project: str,
    raw: BigQueryRaw,
    public: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Boundary: the emulator. Days 1 and 2, one month batch each time. First from the public copy (6 + 5 rows). Then
    from a dataset whose receipts table has day 1's rows only (its transactions are the fixture's): day 1 is
    replaced (an ok attempt), day 2 is an IngestError naming the receipts table and its 7 transactions, recorded
    as a failed attempt, and its 5 rows stay, as loading day by day would leave them. Then from a dataset whose
    tables have no rows at all: both days are reported missing (no tables read, a warning, a failed attempt each)
    and all 11 rows still stay."""
    ingest(raw, public, DAY1, DAY2, deployers=DEPLOYERS)
    schemas = {table: public_schema(table) for table in TABLES}
    rows = {table: fixture_rows(table) for table in ("transactions", "blocks")}
    rows["receipts"] = [
        row for row in fixture_rows("receipts") if row["block_timestamp"].startswith("2025-10-05")
    ]
    without_receipts = create_public(bq_client, f"{bq_project}.without_receipts", schemas, rows)
    with pytest.raises(
        IngestError, match=r"2025-10-06: \S+receipts has no rows for this day while \S+transactions has 7"
    ):
        ingest(raw, without_receipts, DAY1, DAY2, deployers=DEPLOYERS)
    assert bq_rows(raw) == KEPT_DAY1 + KEPT_DAY2

    empty = create_public(bq_client, f"{bq_project}.empty", schemas, {})
    results = ingest(raw, empty, DAY1, DAY2, deployers=DEPLOYERS)

    assert [(r.day, r.files_read, r.rows_read, r.missing_files) for r in results] == [
        (DAY1, 0, 0, (f"{empty}.transactions 2025-10-05",)),
        (DAY2, 0, 0, (f"{empty}.transactions 2025-10-06",)),
    ]
    assert capsys.readouterr().err.count("has no rows for this day (Blockchain Analytics") == 2
    assert bq_rows(raw) == KEPT_DAY1 + KEPT_DAY2
    assert [row[:2] for row in loads(raw)] == [
        (DAY1, "ok"),
        (DAY2, "ok"),
        (DAY1, "ok"),
        (DAY2, "failed"),
        (DAY1, "failed"),
        (DAY2, "failed"),
    ]


def test_an_empty_day_range_or_an_unknown_batch_size_is_an_error(
    bq_client: bigquery.Client, bq_project: str
) -> None:
    """Boundary: the client is made but never used: the range and the batch size are checked before anything is
    read or planned."""
    raw = make_raw(bq_client, bq_project, create=False)
    with pytest.raises(IngestError, match="swap --start and --end"):
        ingest(raw, "any-project.any_dataset", DAY2, DAY1)
    with pytest.raises(IngestError, match="swap --start and --end"):
        plan_optimism(raw, "any-project.any_dataset", TRACKED, DAY2, DAY1)
    with pytest.raises(IngestError, match="unknown batch size 'week': use 'month' .* or 'day'"):
        ingest(raw, "any-project.any_dataset", DAY1, batch="week")

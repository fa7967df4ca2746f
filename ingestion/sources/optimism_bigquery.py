"""Optimism ingestion on BigQuery: the first-stage filter over ``goog_blockchain_optimism_mainnet_us``.

The same selection as the day-file filter (`ingestion.sources.optimism`, whose docstring defines it), run inside
BigQuery, one batch of days at a time. By default (``batch="month"``) a batch is the consecutive days of the range
that fall in one calendar month (UTC); ``batch="day"`` makes every day a batch of its own. For each batch one
parameterised query reads the batch's rows of the dataset's ``transactions`` and ``receipts`` tables (the dataset
is a setting, `IMPACT_BQ_OPTIMISM_DATASET`) and replaces the batch's days of raw.optimism_transactions with the
tracked transactions joined to their receipts, atomically (one MERGE over those day partitions,
`BigQueryRaw.replace_days_sql`); a row's ``block_day`` is ``date(block_timestamp)`` (UTC).

Why months. Google's tables are partitioned by month on ``block_timestamp`` (Blockchain Analytics "Dataset
schemas" page), so BigQuery bills a query for its month's partition of the columns it reads, however few of the
month's days it keeps: a query for one day costs about what a query for its whole month costs. Loading a month in
one query reads it once; a backfill of a year one day at a time would read every month about 30 times. A daily run
(one day, so one batch) reads the month so far, as before. The dry run says how much before anything runs.

What is kept. Every rule that speaks of "the day" keeps its meaning per day inside a batch, so that a batch keeps,
column for column, the rows that loading its days one at a time keeps on a re-run (the other days already loaded).
A transaction of day D is kept when

* its lower-cased ``from_address`` or ``to_address`` is a tracked address (deployers included), or
* its ``to_address`` is a contract a deployer created (receipt ``status`` 1, receipt ``contract_address``):
  on a day the batch does not replace, as raw.optimism_transactions holds it; on a day the batch replaces (D
  itself, or any other of its days, before or after D), as the batch's own transactions and receipts give it.
  With one day per batch this is "on another day, from raw; on day D, from day D's receipts". A contract
  created later in the batch than a call to it (an address computed in advance) is followed for that call too,
  as a day-by-day re-run follows it from raw; a first day-by-day run over an empty raw layer would miss that
  call until the day is run again;

and when it passes the day-file filter's checks (hash, addresses, whole amounts, required fields: the same
`TX_FIELDS` and `RECEIPT_FIELDS` rules); a row that fails them is not kept. Duplicates of a hash within a day become
one row (one hash on two days gives a row on each day), and a transaction is joined to the receipt of its hash on
its own day; one without a (valid) receipt is kept with NULL receipt fields. ``input`` is stored as its first 4
bytes (``0x`` when empty). Wei amounts are exact: read from their decimal text into BIGNUMERIC, never through a
float.

Reading only the batch's days. Both tables are filtered on ``block_timestamp >= @window_start and
block_timestamp < @window_end`` (TIMESTAMP parameters: 00:00 UTC of the batch's first day and of the day after its
last) before they are joined, so BigQuery reads only the partitions holding those days; only the columns the raw
table needs are read.

The public tables' schema (Google Blockchain Analytics; checked against published column lists of the dataset):
``transactions`` has ``block_hash``, ``block_timestamp``, ``transaction_hash``, ``transaction_index`` (INT64),
``from_address``, ``to_address``, ``value`` and ``gas_price`` (RECORD ``{string_value STRING, bignumeric_value
BIGNUMERIC}``), ``gas`` (INT64), ``input`` and no ``block_number``, which comes from ``blocks`` (joined on
``block_hash``, filtered on the same window); ``receipts`` has ``transaction_hash``, ``block_timestamp``,
``gas_used``, ``effective_gas_price``, ``status`` (INT64), ``contract_address`` and no ``l1_fee`` (then NULL). The
schemas are read first (`client.get_table`, free metadata) and each column is read for the type found: an amount
may also be INT64, NUMERIC, BIGNUMERIC or STRING, and a ``block_number`` in ``transactions`` is used directly. A
needed column that is missing or of another type is an IngestError naming the table and the column.

What a batch does and reports. First one query counts each day's transactions and receipts (it reads only
``block_timestamp``). Then, per day:

* a day without transactions is reported as missing (a warning, a failed attempt in raw._loads) and its previous
  data stays: it is left out of the MERGE's ``@days`` (the days it replaces: those with transactions, whether or
  not any is kept, so a day whose rows are all untracked is emptied as a one-day load would empty it), and the
  MERGE neither deletes nor writes that partition (the batch's rows are restricted to ``@days`` too, should the
  day's rows arrive meanwhile). Splitting the batch around such a day instead would read the month once more for
  every part;
* the first day with transactions but no receipts is an IngestError, recorded as a failed attempt: the batch's
  days before it are loaded (one MERGE over them), that day and the days after it are left as they were, as
  loading day by day would leave them.

After the MERGE one query counts, per day, the kept rows, the duplicates of the kept hashes (it reads the
``transaction_hash`` of the batch's days) and the kept rows without a receipt. ``rows_rejected`` is 0: a row that
fails the checks is not kept, but counting such rows would cost a second read of every column; the public tables
are typed, so such rows are not expected there.

Accounting. Each day has its DayResult and its row in raw._loads, as when loading day by day. A batch's queries
run once for all its days, so each query's time and bytes (processed and billed, as BigQuery reports them) are
divided evenly over the days it served: the counts over the batch's days up to the first that fails, the MERGE and
the summary over the days they replaced; the remainder of an integer division of bytes goes to the earliest days.
A day's ``seconds``, ``duration_seconds``, ``bytes_processed`` and ``bytes_billed`` are its shares, so the days of a
batch add up to what the batch took and what BigQuery billed for it (``started_at`` is the batch's start).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any, Literal

from ingestion.bigquery.client import explain
from ingestion.bigquery.jobs import QueryCost
from ingestion.bigquery.raw import BigQueryRaw, DayStats, quote_path
from ingestion.errors import IngestError
from ingestion.log import step, warn
from ingestion.progress import load_progress
from ingestion.settings import ENV_BQ_OPTIMISM_DATASET
from ingestion.sources.gharchive_bigquery import PlannedQuery
from ingestion.sources.optimism import (
    _ADDRESS,
    _HASH,
    _WHOLE,
    DAY_COLUMN,
    RECEIPT_FIELDS,
    SOURCE,
    TABLE,
    TX_FIELDS,
    DayResult,
    Field,
)
from ingestion.warehouse import utcnow

TRANSACTIONS = "transactions"
RECEIPTS = "receipts"
BLOCKS = "blocks"
TIMESTAMP_COLUMN = "block_timestamp"
"""The column both tables are partitioned on, and the one every read of them is filtered on."""

BatchSize = Literal["month", "day"]
BATCH_SIZES: tuple[BatchSize, ...] = ("month", "day")

_STRING = frozenset({"STRING"})
_INTEGER = frozenset({"INTEGER", "INT64"})
_DECIMAL = frozenset({"NUMERIC", "DECIMAL", "BIGNUMERIC", "BIGDECIMAL"})
_RECORD = frozenset({"RECORD", "STRUCT"})
_AMOUNT_PARTS = ("string_value", "bignumeric_value")
"""The sub-fields of an amount RECORD, in the order they are read (the decimal text first, as the day files)."""

_TX_ORDER = (
    "block_number",
    "transaction_index",
    "from_address",
    "to_address",
    "value",
    "gas",
    "gas_price",
    "input",
    "block_timestamp",
)
_RECEIPT_ORDER = ("gas_used", "effective_gas_price", "status", "contract_address", "l1_fee")
"""BigQuery rows have no order: of two rows with one hash on one day, the day keeps the one first by these columns
(the day files keep the first line). Identical copies, the duplicates a table can really hold, give the same row
either way."""


@dataclass(frozen=True)
class SourceTables:
    """The dataset's tables and how each column the filter needs is read from them, for the types found.

    ``transaction_columns`` and ``receipt_columns``: (field name, SQL giving its text) over the aliases ``tx`` and
    ``rc``; ``block_timestamp`` stays a TIMESTAMP. ``blocks``: the blocks table, when ``transactions`` has no
    ``block_number`` (then read from ``blk``, joined on ``block_hash``).
    """

    transactions: str
    receipts: str
    blocks: str | None
    transaction_columns: tuple[tuple[str, str], ...]
    receipt_columns: tuple[tuple[str, str], ...]

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(t for t in (self.transactions, self.receipts, self.blocks) if t is not None)


@dataclass(frozen=True)
class Batch:
    """Consecutive days loaded by one query (one day, or the days of one calendar month)."""

    days: tuple[date, ...]

    @property
    def first(self) -> date:
        return self.days[0]

    @property
    def last(self) -> date:
        return self.days[-1]

    @property
    def label(self) -> str:
        """``2025-10-05`` for one day, ``2025-10-05..2025-10-31`` for more."""
        return span(self.days)


def plan_batches(start: date, end: date, batch: str = "month") -> list[Batch]:
    """The days of [start, end] in batches: consecutive days of one calendar month, or one day each."""
    days = _days(start, end)
    if batch == "day":
        return [Batch((day,)) for day in days]
    if batch != "month":
        raise IngestError(
            f"optimism: unknown batch size {batch!r}: use 'month' (one query per calendar month of days, the "
            "default) or 'day' (one query per day)"
        )
    months: dict[tuple[int, int], list[date]] = {}
    for day in days:
        months.setdefault((day.year, day.month), []).append(day)
    return [Batch(tuple(month)) for month in months.values()]


def span(days: Sequence[date]) -> str:
    return f"{days[0]}" if len(days) == 1 else f"{days[0]}..{days[-1]}"


def read_source_tables(raw: BigQueryRaw, dataset: str) -> SourceTables:
    """Read the schemas of the dataset's tables (free metadata) and choose how to read each needed column.

    Raises IngestError naming the table and the column when a table or a needed column is missing, or a column has
    a type the filter cannot read exactly.
    """
    tx_path, rc_path = f"{dataset}.{TRANSACTIONS}", f"{dataset}.{RECEIPTS}"
    tx_schema = _schema(raw, dataset, tx_path, required=True)
    rc_schema = _schema(raw, dataset, rc_path, required=True)
    assert tx_schema is not None and rc_schema is not None
    _require_timestamp(tx_path, tx_schema)
    _require_timestamp(rc_path, rc_schema)

    blocks: str | None = None
    tx_columns: list[tuple[str, str]] = []
    for field in TX_FIELDS:
        if field.kind == "timestamp":
            continue
        if field.name == "block_number" and field.name not in tx_schema:
            blocks = _blocks_table(raw, dataset, tx_path, tx_schema)
            continue
        tx_columns.append((field.name, _text_sql(tx_path, "tx", field, tx_schema.get(field.name))))
    rc_columns = [
        (field.name, _text_sql(rc_path, "rc", field, rc_schema.get(field.name))) for field in RECEIPT_FIELDS
    ]
    return SourceTables(tx_path, rc_path, blocks, tuple(tx_columns), tuple(rc_columns))


def optimism_source_sql(source: SourceTables, raw: BigQueryRaw | None) -> str:
    """The kept rows of the days `@days` (read from the window `@window_start`..`@window_end`), in
    raw.optimism_transactions' columns. With `raw` None, contracts created on days outside the batch are left out
    (a plan priced before the raw tables exist)."""
    window = f"{{alias}}.{TIMESTAMP_COLUMN} >= @window_start and {{alias}}.{TIMESTAMP_COLUMN} < @window_end"
    tx_text = "".join(f",\n            {sql} as {name}" for name, sql in source.transaction_columns)
    rc_text = "".join(f",\n            {sql} as {name}" for name, sql in source.receipt_columns)
    # Quoted paths from settings and module constants; every value is a query parameter.
    if source.blocks is not None:
        blocks_sql = f"""
    blocks_of_window as (
        -- the block number of each of the window's blocks
        select blk.block_hash, min(blk.block_number) as block_number
        from {quote_path(source.blocks)} as blk
        where {window.format(alias="blk")}
        group by blk.block_hash
    ),"""  # noqa: S608
        tx_from = f"""
    transactions_of_window as (
        -- the window's transactions, each column as its text (amounts as their exact decimal text)
        select
            tx.block_timestamp,
            tx.block_hash{tx_text}
        from {quote_path(source.transactions)} as tx
        where {window.format(alias="tx")}
    ),
    transactions_text as (
        select
            t.block_timestamp,
            cast(b.block_number as string) as block_number,
            {", ".join(f"t.{name}" for name, _ in source.transaction_columns)}
        from transactions_of_window as t
        left join blocks_of_window as b on b.block_hash = t.block_hash
    ),"""  # noqa: S608
    else:
        blocks_sql = ""
        tx_from = f"""
    transactions_text as (
        -- the window's transactions, each column as its text (amounts as their exact decimal text)
        select
            tx.block_timestamp{tx_text}
        from {quote_path(source.transactions)} as tx
        where {window.format(alias="tx")}
    ),"""  # noqa: S608
    outside = (
        f"""
        union distinct
        select lower(stored.receipt_contract_address)
        from {raw.table_sql(TABLE)} as stored
        where stored.{DAY_COLUMN} not in unnest(@days)
            and stored.receipt_contract_address is not null
            and stored.receipt_status = 1
            and lower(stored.from_address) in unnest(@deployers)"""  # noqa: S608
        if raw is not None
        else ""
    )
    tx_typed = ",\n            ".join(f"{_typed_sql(f)} as {f.name}" for f in TX_FIELDS)
    rc_typed = ",\n            ".join(f"{_typed_sql(f)} as {f.name}" for f in RECEIPT_FIELDS)
    tx_order = ", ".join(_TX_ORDER)
    rc_order = ", ".join(_RECEIPT_ORDER)
    one_per_day = f"partition by {DAY_COLUMN}, transaction_hash"
    return f"""    with{blocks_sql}{tx_from}
    receipts_text as (
        -- the window's receipts, each column as its text
        select
            rc.block_timestamp{rc_text}
        from {quote_path(source.receipts)} as rc
        where {window.format(alias="rc")}
    ),
    valid_transactions as (
        -- the rows of the days replaced that the day-file filter accepts (the same checks), typed
        select
            date(block_timestamp) as {DAY_COLUMN},
            {tx_typed}
        from transactions_text
        where {_accepted_sql(TX_FIELDS)}
            and date(block_timestamp) in unnest(@days)
    ),
    valid_receipts as (
        select
            date(block_timestamp) as {DAY_COLUMN},
            {rc_typed}
        from receipts_text
        where {_accepted_sql(RECEIPT_FIELDS)}
            and date(block_timestamp) in unnest(@days)
    ),
    followed_outside_batch as (
        -- tracked addresses (deployers included), and contracts deployers created on days this batch leaves alone
        select address
        from unnest(@tracked) as address{outside}
    ),
    first_pass_transactions as (
        select *
        from valid_transactions
        where
            from_address in (select address from followed_outside_batch)
            or to_address in (select address from followed_outside_batch)
        qualify row_number() over ({one_per_day} order by {tx_order}) = 1
    ),
    first_pass_receipts as (
        select *
        from valid_receipts
        where transaction_hash in (select transaction_hash from first_pass_transactions)
        qualify row_number() over ({one_per_day} order by {rc_order}) = 1
    ),
    created_in_batch as (
        -- contracts deployers created (successfully) on the days this batch replaces
        select receipts.contract_address as address
        from first_pass_transactions as transactions
        inner join first_pass_receipts as receipts
            on
                receipts.{DAY_COLUMN} = transactions.{DAY_COLUMN}
                and receipts.transaction_hash = transactions.transaction_hash
        where
            transactions.from_address in unnest(@deployers)
            and receipts.status = 1
            and receipts.contract_address is not null
    ),
    followed as (
        select address from followed_outside_batch
        union distinct
        select address from created_in_batch
    ),
    kept_transactions as (
        select *
        from valid_transactions
        where
            from_address in (select address from followed)
            or to_address in (select address from followed)
        qualify row_number() over ({one_per_day} order by {tx_order}) = 1
    ),
    kept_receipts as (
        select *
        from valid_receipts
        where transaction_hash in (select transaction_hash from kept_transactions)
        qualify row_number() over ({one_per_day} order by {rc_order}) = 1
    ),
    final as (
        select
            t.block_timestamp,
            t.block_number,
            t.transaction_hash,
            t.transaction_index,
            t.from_address,
            t.to_address,
            t.value,
            t.gas,
            t.gas_price,
            t.input,
            r.gas_used as receipt_gas_used,
            r.effective_gas_price as receipt_effective_gas_price,
            r.status as receipt_status,
            r.contract_address as receipt_contract_address,
            r.l1_fee as receipt_l1_fee,
            t.{DAY_COLUMN},
            @source_file as _source_file,
            @loaded_at as _loaded_at
        from kept_transactions as t
        left join kept_receipts as r
            on r.{DAY_COLUMN} = t.{DAY_COLUMN} and r.transaction_hash = t.transaction_hash
    )
    select * from final"""  # noqa: S608


def optimism_params(
    days: Sequence[date], tracked: Sequence[str], deployers: Sequence[str], source_file: str
) -> list[Any]:
    """The query parameters of the batch's queries: the window from the first of `days` to the last, the days
    replaced (`@days`, bounded by `@first_day` and `@last_day`), the addresses, and the row metadata."""
    from google.cloud import bigquery

    start, end = batch_window(days[0], days[-1])
    return [
        bigquery.ScalarQueryParameter("window_start", "TIMESTAMP", start),
        bigquery.ScalarQueryParameter("window_end", "TIMESTAMP", end),
        bigquery.ScalarQueryParameter("first_day", "DATE", days[0]),
        bigquery.ScalarQueryParameter("last_day", "DATE", days[-1]),
        bigquery.ArrayQueryParameter("days", "DATE", list(days)),
        bigquery.ArrayQueryParameter("tracked", "STRING", list(tracked)),
        bigquery.ArrayQueryParameter("deployers", "STRING", list(deployers)),
        bigquery.ScalarQueryParameter("source_file", "STRING", source_file),
        bigquery.ScalarQueryParameter("loaded_at", "TIMESTAMP", utcnow()),
    ]


def batch_window(first: date, last: date) -> tuple[datetime, datetime]:
    """[00:00 UTC of `first`, 00:00 UTC of the day after `last`): the TIMESTAMP bounds every read is filtered on."""
    return datetime.combine(first, clock(0), tzinfo=UTC), datetime.combine(
        last, clock(0), tzinfo=UTC
    ) + timedelta(days=1)


def plan_optimism(
    raw: BigQueryRaw,
    dataset: str,
    tracked_addresses: frozenset[str],
    start: date,
    end: date,
    deployers: frozenset[str] = frozenset(),
    batch: BatchSize = "month",
) -> list[PlannedQuery]:
    """Dry-run each batch's queries (the counts, the MERGE, the summary), as `ingest_optimism_bigquery` would batch
    the days; nothing runs and nothing is written. One PlannedQuery per batch, priced as if every day of it had
    transactions.

    Before the raw tables exist, the batch's SELECT is priced alone (no contracts from other days, no summary).
    """
    batches = plan_batches(start, end, batch)
    tracked, deployer_list = _addresses(tracked_addresses, deployers)
    source = read_source_tables(raw, dataset)
    raw_ready = raw.exists()
    plan = []
    for planned in batches:
        params = optimism_params(planned.days, tracked, deployer_list, source.transactions)
        what = f"optimism {planned.label}"
        body = optimism_source_sql(source, raw if raw_ready else None)
        main = raw.replace_days_sql(TABLE, body) if raw_ready else f"select * from (\n{body}\n)"  # noqa: S608
        estimated = raw.runner.estimate(_counts_sql(source), params, f"{what} (counts)", quiet=True)
        estimated += raw.runner.estimate(main, params, what)
        if raw_ready:
            estimated += raw.runner.estimate(
                _summary_sql(raw, source), params, f"{what} (summary)", quiet=True
            )
        days = f"{len(planned.days)} day{'s' if len(planned.days) > 1 else ''}"
        note = (
            f"{days}, 3 queries: counts, MERGE, summary"
            if raw_ready
            else "raw tables not created yet: priced without them"
        )
        plan.append(PlannedQuery(what, source.tables, estimated, note))
    return plan


def ingest_optimism_bigquery(
    raw: BigQueryRaw,
    dataset: str,
    tracked_addresses: frozenset[str],
    start: date,
    end: date,
    progress: bool = True,
    deployers: frozenset[str] = frozenset(),
    batch: BatchSize = "month",
) -> list[DayResult]:
    """Replace each day in [start, end] of raw.optimism_transactions from the dataset's tables, one MERGE per batch
    of days (`batch`: "month", the days of one calendar month, or "day"). One DayResult per day, in day order.

    `tracked_addresses`: the addresses to keep on Optimism (compared lower-cased); `deployers`: tracked addresses
    tagged deployer, whose contracts are followed too. Raises IngestError when the dataset's tables cannot be read
    as expected (before anything runs) or a day has transactions but no receipts (that day and the days after it
    are left as they were; the days before it stay loaded).
    """
    batches = plan_batches(start, end, batch)
    tracked, deployer_list = _addresses(tracked_addresses, deployers)
    if not tracked:
        warn("optimism: no tracked address on this network: every transaction will be filtered out")
    source = read_source_tables(raw, dataset)
    results: list[DayResult] = []
    total = sum(len(b.days) for b in batches)
    with load_progress(progress, "optimism", "days", "transactions", total) as bar:
        for planned in batches:
            for result in _ingest_batch(raw, source, planned, tracked, deployer_list):
                results.append(result)
                bar.advance()
                bar.add_rows(result.rows_read, result.rows_kept)
    return results


@dataclass
class _Share:
    """A day's share of what its batch's queries took."""

    seconds: float = 0.0
    estimated: int = 0
    processed: int | None = None
    billed: int | None = None


@dataclass
class _Accounts:
    """The time and bytes of a batch's queries, divided evenly over the days each served."""

    shares: dict[date, _Share] = dataclasses.field(default_factory=dict)

    def charge(self, days: Sequence[date], seconds: float, costs: Sequence[QueryCost]) -> None:
        estimated = _split(sum(c.bytes_estimated for c in costs), len(days))
        processed = _split(_known_sum(c.bytes_processed for c in costs), len(days))
        billed = _split(_known_sum(c.bytes_billed for c in costs), len(days))
        for n, day in enumerate(days):
            share = self.shares.setdefault(day, _Share())
            share.seconds += seconds / len(days)
            share.estimated += estimated[n] or 0
            share.processed = _known_sum((share.processed, processed[n]))
            share.billed = _known_sum((share.billed, billed[n]))

    def record(
        self,
        raw: BigQueryRaw,
        day: date,
        status: str,
        started_at: datetime,
        stats: DayStats,
        error: str | None,
    ) -> float:
        """The day's row in raw._loads, with its shares; returns its seconds."""
        share = self.shares.get(day, _Share())
        stats.cost = QueryCost(f"optimism {day}", share.estimated, share.processed, share.billed)
        # record_load measures the duration from `started`: here, the day's share of its batch's time.
        raw.record_load(SOURCE, day, status, started_at, time.perf_counter() - share.seconds, stats, error)
        return share.seconds


def _ingest_batch(
    raw: BigQueryRaw, source: SourceTables, batch: Batch, tracked: list[str], deployers: list[str]
) -> list[DayResult]:
    """Count the batch's days, report the missing ones, replace the others in one MERGE, count what it kept."""
    started_at = utcnow()
    started = time.perf_counter()
    accounts = _Accounts()
    counted = raw.runner.run(
        _counts_sql(source),
        optimism_params(batch.days, tracked, deployers, source.transactions),
        f"optimism {batch.label} (counts)",
        quiet=True,
    )
    counts = {row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in counted.job.result()}
    served: list[date] = []
    failed: date | None = None
    for day in batch.days:
        served.append(day)
        transactions, receipts = counts.get(day, (0, 0))
        if transactions > 0 and receipts == 0:
            failed = day
            break
    accounts.charge(served, time.perf_counter() - started, [counted.cost])

    results: dict[date, DayResult] = {}
    missing = [day for day in served if day != failed and counts.get(day, (0, 0))[0] == 0]
    replaced = [day for day in served if day != failed and day not in missing]
    for day in missing:
        message = (
            f"optimism {day}: {source.transactions} has no rows for this day (Blockchain Analytics indexes a day "
            "after it happens); nothing loaded for this day, its previous data is kept. Run the day again later."
        )
        stats = DayStats(files_expected=2, missing_files=[f"{source.transactions} {day}"])
        seconds = accounts.record(raw, day, "failed", started_at, stats, message)
        warn(message)
        results[day] = DayResult(
            day, 0, (f"{source.transactions} {day}",), 0, 0, 0, 0, 0, 0, round(seconds, 6)
        )

    if replaced:
        loaded = _replace(raw, source, replaced, counts, tracked, deployers, accounts, started_at)
        results.update(loaded)
        shares = [accounts.shares[day] for day in served]
        step(
            f"optimism {batch.label}",
            time.perf_counter() - started,
            days=len(loaded),
            missing=len(missing),
            read=sum(r.rows_read for r in loaded.values()),
            kept=sum(r.rows_kept for r in loaded.values()),
            duplicates=sum(r.duplicates for r in loaded.values()),
            without_receipt=sum(r.without_receipt for r in loaded.values()),
            processed=_known_sum(share.processed for share in shares),
            billed=_known_sum(share.billed for share in shares),
        )

    if failed is not None:
        transactions = counts[failed][0]
        error = IngestError(
            f"optimism {failed}: {source.receipts} has no rows for this day while {source.transactions} has "
            f"{transactions}: the receipts are not indexed yet. Nothing changed for this day"
            + (f" (the days before it, {span(replaced)}, are loaded)" if replaced else "")
            + "; run it again later."
        )
        stats = DayStats(files_expected=2, rows_read=transactions, files_read=1)
        stats.missing_files = [f"{source.receipts} {failed}"]
        accounts.record(raw, failed, "failed", started_at, stats, str(error))
        raise error
    return [results[day] for day in sorted(results)]


def _replace(
    raw: BigQueryRaw,
    source: SourceTables,
    replaced: list[date],
    counts: dict[date, tuple[int, int]],
    tracked: list[str],
    deployers: list[str],
    accounts: _Accounts,
    started_at: datetime,
) -> dict[date, DayResult]:
    """One MERGE replacing the days `replaced` (all with transactions), then the summary; a raw._loads row each."""
    what = f"optimism {span(replaced)}"
    params = optimism_params(replaced, tracked, deployers, source.transactions)
    started = time.perf_counter()

    def day_stats(day: date) -> DayStats:
        return DayStats(files_expected=2, files_read=1, rows_read=counts[day][0])

    try:
        merged = raw.runner.run(raw.replace_days_sql(TABLE, optimism_source_sql(source, raw)), params, what)
    except BaseException as exc:
        accounts.charge(replaced, time.perf_counter() - started, [])
        for day in replaced:
            accounts.record(raw, day, "failed", started_at, day_stats(day), f"{type(exc).__name__}: {exc}")
        raise
    try:
        summarised = raw.runner.run(_summary_sql(raw, source), params, f"{what} (summary)", quiet=True)
        summary = {
            row[0]: (int(row[1] or 0), int(row[2] or 0), int(row[3] or 0)) for row in summarised.job.result()
        }
    except BaseException as exc:
        # The MERGE has replaced the days: they are recorded as loaded, with what is known.
        accounts.charge(replaced, time.perf_counter() - started, [merged.cost])
        inserted = getattr(getattr(merged.job, "dml_stats", None), "inserted_row_count", None)
        note = (
            f"replaced by the MERGE of {what} ({inserted if inserted is not None else 'an unknown number of'} rows "
            f"in all), but counting the rows per day failed: {type(exc).__name__}: {exc}"
        )
        for day in replaced:
            accounts.record(raw, day, "ok", started_at, day_stats(day), note)
        raise
    accounts.charge(replaced, time.perf_counter() - started, [merged.cost, summarised.cost])

    results: dict[date, DayResult] = {}
    for day in replaced:
        transactions, receipts = counts[day]
        kept, duplicates, without_receipt = summary.get(day, (0, 0, 0))
        stats = day_stats(day)
        stats.rows_kept = kept
        seconds = accounts.record(raw, day, "ok", started_at, stats, None)
        results[day] = DayResult(
            day=day,
            files_read=2,
            missing_files=(),
            rows_read=transactions,
            rows_kept=kept,
            rows_rejected=0,
            duplicates=duplicates,
            receipts_read=receipts,
            without_receipt=without_receipt,
            seconds=round(seconds, 6),
        )
    return results


# --- SQL pieces ---------------------------------------------------------------------------------------------


def _counts_sql(source: SourceTables) -> str:
    """The rows of each day of the window in transactions and receipts (reads only block_timestamp)."""
    window = f"{TIMESTAMP_COLUMN} >= @window_start and {TIMESTAMP_COLUMN} < @window_end"
    return f"""with rows_of_window as (
    select date({TIMESTAMP_COLUMN}) as {DAY_COLUMN}, 1 as transactions, 0 as receipts
    from {quote_path(source.transactions)}
    where {window}
    union all
    select date({TIMESTAMP_COLUMN}) as {DAY_COLUMN}, 0 as transactions, 1 as receipts
    from {quote_path(source.receipts)}
    where {window}
),
final as (
    select {DAY_COLUMN}, sum(transactions) as transactions, sum(receipts) as receipts
    from rows_of_window
    group by {DAY_COLUMN}
)
select * from final"""  # noqa: S608


def _summary_sql(raw: BigQueryRaw, source: SourceTables) -> str:
    """After the MERGE, per day replaced: the kept rows, the extra rows of their hashes that day, the kept rows
    without a receipt."""
    return f"""with kept as (
    select {DAY_COLUMN}, transaction_hash, receipt_status
    from {raw.table_sql(TABLE)}
    where {DAY_COLUMN} between @first_day and @last_day and {DAY_COLUMN} in unnest(@days)
),
hashes_of_window as (
    select date(tx.{TIMESTAMP_COLUMN}) as {DAY_COLUMN}, lower(tx.transaction_hash) as transaction_hash
    from {quote_path(source.transactions)} as tx
    where tx.{TIMESTAMP_COLUMN} >= @window_start and tx.{TIMESTAMP_COLUMN} < @window_end
),
copies as (
    -- the day's rows carrying a hash the day kept (one of them is the kept row)
    select kept.{DAY_COLUMN}, count(*) as rows_of_kept_hashes
    from hashes_of_window
    inner join kept
        on kept.{DAY_COLUMN} = hashes_of_window.{DAY_COLUMN}
        and kept.transaction_hash = hashes_of_window.transaction_hash
    group by kept.{DAY_COLUMN}
),
kept_per_day as (
    select {DAY_COLUMN}, count(*) as rows_kept, countif(receipt_status is null) as without_receipt
    from kept
    group by {DAY_COLUMN}
),
final as (
    select
        k.{DAY_COLUMN},
        k.rows_kept,
        coalesce(c.rows_of_kept_hashes, 0) - k.rows_kept as duplicates,
        k.without_receipt
    from kept_per_day as k
    left join copies as c on c.{DAY_COLUMN} = k.{DAY_COLUMN}
)
select * from final"""  # noqa: S608


def _accepted_sql(fields: Sequence[Field]) -> str:
    """True when a row passes the day-file filter's checks (`ingestion.sources.optimism._problems_sql`)."""
    checks = []
    for field in fields:
        column = field.name
        if field.kind == "timestamp":
            checks.append(f"{column} is not null")
            continue
        if field.kind == "hash":
            good = f"regexp_contains({column}, r'^{_HASH}$')"
        elif field.kind == "address":
            good = f"regexp_contains({column}, r'^{_ADDRESS}$')"
        elif field.kind == "wei":
            good = f"regexp_contains(trim({column}), r'^{_WHOLE}$')"
        elif field.kind == "int":
            good = (
                f"regexp_contains(trim({column}), r'^[0-9]{{1,19}}$') "
                f"and safe_cast(trim({column}) as int64) is not null"
            )
        elif field.kind == "status":
            good = f"trim({column}) in ('0', '1')"
        elif field.kind == "input":
            good = f"substr({column}, 1, 2) in ('0x', '0X')"
        else:
            raise ValueError(f"unknown field kind {field.kind!r}")
        empty = f"{column} is null or trim({column}) = ''"
        checks.append(f"not ({empty}) and {good}" if field.required else f"({empty} or {good})")
    return "\n            and ".join(f"({check})" for check in checks)


def _typed_sql(field: Field) -> str:
    """The typed value of a field that passed `_accepted_sql` (`ingestion.sources.optimism._typed`)."""
    column = field.name
    if field.kind in ("hash", "address"):
        return f"lower({column})"
    if field.kind == "wei":
        return f"safe_cast(trim({column}) as bignumeric)"
    if field.kind in ("int", "status"):
        return f"safe_cast(trim({column}) as int64)"
    if field.kind == "timestamp":
        return column
    if field.kind == "input":
        return f"lower(substr({column}, 1, 10))"
    raise ValueError(f"unknown field kind {field.kind!r}")


# --- the source tables' schemas -----------------------------------------------------------------------------


def _schema(raw: BigQueryRaw, dataset: str, path: str, required: bool) -> dict[str, Any] | None:
    """The table's top-level fields by name; None when it does not exist and is not `required`."""
    from google.api_core.exceptions import NotFound

    try:
        table = raw.client.get_table(path)
    except NotFound:
        if not required:
            return None
        raise IngestError(
            f"optimism: the table {path} does not exist: {ENV_BQ_OPTIMISM_DATASET}={dataset} must name a dataset "
            f"with the tables {TRANSACTIONS} and {RECEIPTS} of bigquery-public-data.goog_blockchain_optimism_"
            "mainnet_us (or a copy with the same columns)"
        ) from None
    except Exception as exc:
        raise explain(exc, f"reading the schema of {path}", raw.runner.settings) from exc
    return {field.name: field for field in table.schema}


def _require_timestamp(path: str, schema: dict[str, Any]) -> None:
    field = schema.get(TIMESTAMP_COLUMN)
    if field is None:
        raise _column_error(path, TIMESTAMP_COLUMN, None, "TIMESTAMP")
    if field.field_type.upper() != "TIMESTAMP" or field.mode == "REPEATED":
        raise _column_error(path, TIMESTAMP_COLUMN, field, "TIMESTAMP")


def _blocks_table(raw: BigQueryRaw, dataset: str, tx_path: str, tx_schema: dict[str, Any]) -> str:
    """The blocks table giving `block_number` by `block_hash`, when transactions has no block_number."""
    path = f"{dataset}.{BLOCKS}"
    schema = _schema(raw, dataset, path, required=False)
    if schema is None or "block_hash" not in tx_schema:
        raise IngestError(
            f"optimism: {tx_path} has no column block_number, and it cannot be found by block hash "
            f"({'no column block_hash in ' + tx_path if 'block_hash' not in tx_schema else path + ' does not exist'}"
            f"); {ENV_BQ_OPTIMISM_DATASET}={dataset} must name a dataset with the tables of "
            "goog_blockchain_optimism_mainnet_us"
        )
    _expect_types(tx_path, "block_hash", tx_schema.get("block_hash"), _STRING)
    _expect_types(path, "block_hash", schema.get("block_hash"), _STRING)
    _expect_types(path, "block_number", schema.get("block_number"), _INTEGER)
    _require_timestamp(path, schema)
    return path


def _text_sql(path: str, alias: str, field: Field, column: Any) -> str:
    """SQL giving the field's text, for the column's type (`column` None: absent)."""
    name = field.name
    if column is None:
        if field.in_file:
            raise _column_error(path, name, None, _expected(field))
        return "cast(null as string)"
    if column.mode == "REPEATED":
        raise _column_error(path, name, column, _expected(field))
    kind = column.field_type.upper()
    ref = f"{alias}.{name}"
    if field.kind in ("hash", "address", "input"):
        if kind in _STRING:
            return ref
    elif kind in _STRING:
        return ref
    elif kind in _INTEGER | _DECIMAL:
        return f"cast({ref} as string)"
    elif field.kind == "wei" and kind in _RECORD:
        parts = {sub.name: sub for sub in column.fields}
        texts = []
        for part in _AMOUNT_PARTS:
            sub = parts.get(part)
            if sub is None:
                continue
            sub_kind = sub.field_type.upper()
            if sub.mode == "REPEATED" or sub_kind not in _STRING | _INTEGER | _DECIMAL:
                raise _column_error(path, f"{name}.{part}", sub, "STRING, INT64, NUMERIC or BIGNUMERIC")
            texts.append(f"{ref}.{part}" if sub_kind in _STRING else f"cast({ref}.{part} as string)")
        if texts:
            return texts[0] if len(texts) == 1 else f"coalesce({', '.join(texts)})"
    raise _column_error(path, name, column, _expected(field))


def _expected(field: Field) -> str:
    if field.kind in ("hash", "address", "input"):
        return "STRING"
    if field.kind == "wei":
        return "a RECORD {string_value, bignumeric_value}, INT64, NUMERIC, BIGNUMERIC or STRING (a whole number of wei)"
    return "INT64, NUMERIC, BIGNUMERIC or STRING (a whole number)"


def _expect_types(path: str, name: str, column: Any, kinds: Iterable[str]) -> None:
    allowed = frozenset(kinds)
    if column is None or column.mode == "REPEATED" or column.field_type.upper() not in allowed:
        raise _column_error(path, name, column, " or ".join(sorted(allowed)))


def _column_error(path: str, name: str, column: Any, expected: str) -> IngestError:
    if column is None:
        found = "it has no such column"
    else:
        repeated = " REPEATED" if column.mode == "REPEATED" else ""
        found = f"it is{repeated} {column.field_type}"
    return IngestError(
        f"optimism: {path} column {name}: expected {expected}, but {found}. Point {ENV_BQ_OPTIMISM_DATASET} at "
        "goog_blockchain_optimism_mainnet_us or a copy with its columns and types; nothing was run"
    )


# --- small helpers ------------------------------------------------------------------------------------------


def _addresses(tracked: Iterable[str], deployers: Iterable[str]) -> tuple[list[str], list[str]]:
    """The tracked addresses (deployers included) and the deployers, stripped, lower-cased, sorted."""
    deployer_list = sorted({address.strip().lower() for address in deployers})
    return sorted({address.strip().lower() for address in tracked} | set(deployer_list)), deployer_list


def _days(start: date, end: date) -> list[date]:
    if end < start:
        raise IngestError(f"the day range is empty: start {start} is after end {end}; swap --start and --end")
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _known_sum(values: Iterable[int | None]) -> int | None:
    """The sum of the values BigQuery reported; None when it reported none."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _split(total: int | None, parts: int) -> list[int | None]:
    """`total` divided into `parts` whole shares that add up to it, the remainder on the first shares."""
    if total is None:
        return [None] * parts
    each, remainder = divmod(total, parts)
    return [each + (1 if n < remainder else 0) for n in range(parts)]


__all__ = [
    "BATCH_SIZES",
    "Batch",
    "SourceTables",
    "batch_window",
    "ingest_optimism_bigquery",
    "optimism_params",
    "optimism_source_sql",
    "plan_batches",
    "plan_optimism",
    "read_source_tables",
]

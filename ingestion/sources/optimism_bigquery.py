"""Optimism ingestion on BigQuery: the first-stage filter over ``goog_blockchain_optimism_mainnet_us``.

The same selection as the day-file filter (`ingestion.sources.optimism`, whose docstring defines it), run inside
BigQuery. For each UTC day one parameterised query reads that day's rows of the dataset's ``transactions`` and
``receipts`` tables (the dataset is a setting, `IMPACT_BQ_OPTIMISM_DATASET`) and replaces the day's partition of
raw.optimism_transactions with the tracked transactions joined to their receipts, atomically (one MERGE, see
`ingestion.bigquery.raw`). A transaction of day D is kept when

* its lower-cased ``from_address`` or ``to_address`` is a tracked address (deployers included), or
* its ``to_address`` is a contract a deployer created (receipt ``status`` 1, receipt ``contract_address``) on
  another day, as raw.optimism_transactions holds it, or on day D itself (found in day D's receipts);

and when it passes the day-file filter's checks (hash, addresses, whole amounts, required fields: the same
`TX_FIELDS` and `RECEIPT_FIELDS` rules); a row that fails them is not kept. Duplicates of a hash within the day
become one row, and a transaction without a (valid) receipt is kept with NULL receipt fields. ``input`` is stored as
its first 4 bytes (``0x`` when empty). Wei amounts are exact: read from their decimal text into BIGNUMERIC, never
through a float.

Reading only the day. Both tables are filtered on ``block_timestamp >= @day_start and block_timestamp < @day_end``
(TIMESTAMP parameters) before they are joined, so BigQuery reads only the partitions holding the day; only the
columns the raw table needs are read. Google's tables are partitioned by month on ``block_timestamp`` (Blockchain
Analytics "Dataset schemas" page), so a day's query is priced on its month's partition unless clustering prunes it:
the dry run says how much before anything runs.

The public tables' schema (Google Blockchain Analytics; checked against published column lists of the dataset):
``transactions`` has ``block_hash``, ``block_timestamp``, ``transaction_hash``, ``transaction_index`` (INT64),
``from_address``, ``to_address``, ``value`` and ``gas_price`` (RECORD ``{string_value STRING, bignumeric_value
BIGNUMERIC}``), ``gas`` (INT64), ``input`` and no ``block_number``, which comes from ``blocks`` (joined on
``block_hash``, filtered on the same day); ``receipts`` has ``transaction_hash``, ``block_timestamp``, ``gas_used``,
``effective_gas_price``, ``status`` (INT64), ``contract_address`` and no ``l1_fee`` (then NULL). The schemas are read
first (`client.get_table`, free metadata) and each column is read for the type found: an amount may also be INT64,
NUMERIC, BIGNUMERIC or STRING, and a ``block_number`` in ``transactions`` is used directly. A needed column that is
missing or of another type is an IngestError naming the table and the column.

What a day reports. Before the MERGE, one query counts the day's transactions and receipts (it reads only
``block_timestamp``): a day without transactions is reported as missing (recorded as a failed load; its previous
data stays), a day with transactions but no receipts is an IngestError (nothing changes). After it, one query counts
the duplicates of the kept hashes (it reads the day's ``transaction_hash``) and the kept transactions without a
receipt. ``rows_rejected`` is 0: a row that fails the checks is not kept, but counting such rows would cost a second
read of every column; the public tables are typed, so such rows are not expected there.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any

from ingestion.bigquery.client import explain
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
"""BigQuery rows have no order: of two rows with one hash, the day keeps the one first by these columns (the day
files keep the first line). Identical copies, the duplicates a table can really hold, give the same row either way."""


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
    """The day's kept rows, in raw.optimism_transactions' columns. With `raw` None, contracts created on other days
    are left out (a plan priced before the raw tables exist)."""
    window = f"{{alias}}.{TIMESTAMP_COLUMN} >= @day_start and {{alias}}.{TIMESTAMP_COLUMN} < @day_end"
    tx_text = "".join(f",\n            {sql} as {name}" for name, sql in source.transaction_columns)
    rc_text = ",\n            ".join(f"{sql} as {name}" for name, sql in source.receipt_columns)
    # Quoted paths from settings and module constants; every value is a query parameter.
    if source.blocks is not None:
        blocks_sql = f"""
    blocks_of_day as (
        -- the block number of each of the day's blocks
        select blk.block_hash, min(blk.block_number) as block_number
        from {quote_path(source.blocks)} as blk
        where {window.format(alias="blk")}
        group by blk.block_hash
    ),"""  # noqa: S608
        tx_from = f"""
    transactions_of_day as (
        -- the day's transactions, each column as its text (amounts as their exact decimal text)
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
        from transactions_of_day as t
        left join blocks_of_day as b on b.block_hash = t.block_hash
    ),"""  # noqa: S608
    else:
        blocks_sql = ""
        tx_from = f"""
    transactions_text as (
        -- the day's transactions, each column as its text (amounts as their exact decimal text)
        select
            tx.block_timestamp{tx_text}
        from {quote_path(source.transactions)} as tx
        where {window.format(alias="tx")}
    ),"""  # noqa: S608
    earlier = (
        f"""
        union distinct
        select lower(stored.receipt_contract_address)
        from {raw.table_sql(TABLE)} as stored
        where stored.{DAY_COLUMN} != @day
            and stored.receipt_contract_address is not null
            and stored.receipt_status = 1
            and lower(stored.from_address) in unnest(@deployers)"""  # noqa: S608
        if raw is not None
        else ""
    )
    tx_typed = ",\n            ".join(f"{_typed_sql(field)} as {field.name}" for field in TX_FIELDS)
    rc_typed = ",\n            ".join(f"{_typed_sql(field)} as {field.name}" for field in RECEIPT_FIELDS)
    tx_order = ", ".join(_TX_ORDER)
    rc_order = ", ".join(_RECEIPT_ORDER)
    return f"""    with{blocks_sql}{tx_from}
    receipts_text as (
        -- the day's receipts, each column as its text
        select
            {rc_text}
        from {quote_path(source.receipts)} as rc
        where {window.format(alias="rc")}
    ),
    valid_transactions as (
        -- the rows the day-file filter accepts (the same checks), typed
        select
            {tx_typed}
        from transactions_text
        where {_accepted_sql(TX_FIELDS)}
    ),
    valid_receipts as (
        select
            {rc_typed}
        from receipts_text
        where {_accepted_sql(RECEIPT_FIELDS)}
    ),
    followed_before_today as (
        -- tracked addresses (deployers included), and contracts deployers created on other days
        select address
        from unnest(@tracked) as address{earlier}
    ),
    first_pass_transactions as (
        select *
        from valid_transactions
        where
            from_address in (select address from followed_before_today)
            or to_address in (select address from followed_before_today)
        qualify row_number() over (partition by transaction_hash order by {tx_order}) = 1
    ),
    first_pass_receipts as (
        select *
        from valid_receipts
        where transaction_hash in (select transaction_hash from first_pass_transactions)
        qualify row_number() over (partition by transaction_hash order by {rc_order}) = 1
    ),
    created_today as (
        -- contracts deployers created (successfully) on the day itself
        select receipts.contract_address as address
        from first_pass_transactions as transactions
        inner join first_pass_receipts as receipts
            on receipts.transaction_hash = transactions.transaction_hash
        where
            transactions.from_address in unnest(@deployers)
            and receipts.status = 1
            and receipts.contract_address is not null
    ),
    followed as (
        select address from followed_before_today
        union distinct
        select address from created_today
    ),
    kept_transactions as (
        select *
        from valid_transactions
        where
            from_address in (select address from followed)
            or to_address in (select address from followed)
        qualify row_number() over (partition by transaction_hash order by {tx_order}) = 1
    ),
    kept_receipts as (
        select *
        from valid_receipts
        where transaction_hash in (select transaction_hash from kept_transactions)
        qualify row_number() over (partition by transaction_hash order by {rc_order}) = 1
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
            @day as {DAY_COLUMN},
            @source_file as _source_file,
            @loaded_at as _loaded_at
        from kept_transactions as t
        left join kept_receipts as r on r.transaction_hash = t.transaction_hash
    )
    select * from final"""  # noqa: S608


def optimism_params(
    day: date, tracked: Sequence[str], deployers: Sequence[str], source_file: str
) -> list[Any]:
    """The query parameters of a day (without @day, which the day load adds)."""
    from google.cloud import bigquery

    start, end = day_window(day)
    return [
        bigquery.ScalarQueryParameter("day_start", "TIMESTAMP", start),
        bigquery.ScalarQueryParameter("day_end", "TIMESTAMP", end),
        bigquery.ArrayQueryParameter("tracked", "STRING", list(tracked)),
        bigquery.ArrayQueryParameter("deployers", "STRING", list(deployers)),
        bigquery.ScalarQueryParameter("source_file", "STRING", source_file),
        bigquery.ScalarQueryParameter("loaded_at", "TIMESTAMP", utcnow()),
    ]


def day_window(day: date) -> tuple[datetime, datetime]:
    """[start, end) of the UTC day, as the TIMESTAMP parameters every read is filtered on."""
    start = datetime.combine(day, clock(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


def plan_optimism(
    raw: BigQueryRaw,
    dataset: str,
    tracked_addresses: frozenset[str],
    start: date,
    end: date,
    deployers: frozenset[str] = frozenset(),
) -> list[PlannedQuery]:
    """Dry-run each day's queries (the counts, the MERGE, the summary); nothing runs and nothing is written.

    Before the raw tables exist, the day's SELECT is priced alone (no contracts from other days, no summary).
    """
    from google.cloud import bigquery

    days = _days(start, end)
    tracked, deployer_list = _addresses(tracked_addresses, deployers)
    source = read_source_tables(raw, dataset)
    raw_ready = raw.exists()
    plan = []
    for day in days:
        params = [
            bigquery.ScalarQueryParameter("day", "DATE", day),
            *optimism_params(day, tracked, deployer_list, source.transactions),
        ]
        what = f"optimism {day}"
        body = optimism_source_sql(source, raw if raw_ready else None)
        main = raw.replace_day_sql(TABLE, body) if raw_ready else f"select * from (\n{body}\n)"  # noqa: S608
        estimated = raw.runner.estimate(_counts_sql(source), params, f"{what} (counts)", quiet=True)
        estimated += raw.runner.estimate(main, params, what)
        if raw_ready:
            estimated += raw.runner.estimate(
                _summary_sql(raw, source), params, f"{what} (summary)", quiet=True
            )
        note = (
            "3 queries: counts, MERGE, summary"
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
) -> list[DayResult]:
    """Replace each day in [start, end] of raw.optimism_transactions from the dataset's tables, one MERGE per day.

    `tracked_addresses`: the addresses to keep on Optimism (compared lower-cased); `deployers`: tracked addresses
    tagged deployer, whose contracts are followed too. Raises IngestError when the dataset's tables cannot be read
    as expected (before anything runs) or a day has transactions but no receipts (that day is left as it was; the
    days before it stay loaded).
    """
    days = _days(start, end)
    tracked, deployer_list = _addresses(tracked_addresses, deployers)
    if not tracked:
        warn("optimism: no tracked address on this network: every transaction will be filtered out")
    source = read_source_tables(raw, dataset)
    results: list[DayResult] = []
    with load_progress(progress, "optimism", "days", "transactions", len(days)) as bar:
        for day in days:
            result = _ingest_day(raw, source, day, tracked, deployer_list)
            results.append(result)
            bar.advance()
            bar.add_rows(result.rows_read, result.rows_kept)
    return results


def _ingest_day(
    raw: BigQueryRaw, source: SourceTables, day: date, tracked: list[str], deployers: list[str]
) -> DayResult:
    from google.cloud import bigquery

    started = time.perf_counter()
    started_at = utcnow()
    params = optimism_params(day, tracked, deployers, source.transactions)
    day_param = bigquery.ScalarQueryParameter("day", "DATE", day)
    stats = DayStats(files_expected=2)
    transactions, receipts = _first_row(
        raw.runner.run(_counts_sql(source), [day_param, *params], f"optimism {day} (counts)", quiet=True)
    )
    if transactions == 0:
        message = (
            f"optimism {day}: {source.transactions} has no rows for this day (Blockchain Analytics indexes a day "
            "after it happens); nothing loaded for this day, its previous data is kept. Run the day again later."
        )
        stats.missing_files = [f"{source.transactions} {day}"]
        raw.record_load(SOURCE, day, "failed", started_at, started, stats, message)
        warn(message)
        seconds = round(time.perf_counter() - started, 6)
        return DayResult(day, 0, (f"{source.transactions} {day}",), 0, 0, 0, 0, 0, 0, seconds)
    stats.rows_read = transactions
    stats.files_read = 1
    if receipts == 0:
        error = IngestError(
            f"optimism {day}: {source.receipts} has no rows for this day while {source.transactions} has "
            f"{transactions}: the receipts are not indexed yet. Nothing changed for this day; run it again later."
        )
        stats.missing_files = [f"{source.receipts} {day}"]
        raw.record_load(SOURCE, day, "failed", started_at, started, stats, str(error))
        raise error
    raw.replace_day(
        source=SOURCE,
        table=TABLE,
        day=day,
        source_sql=optimism_source_sql(source, raw),
        params=params,
        stats=stats,
    )
    duplicates, without_receipt = _first_row(
        raw.runner.run(
            _summary_sql(raw, source), [day_param, *params], f"optimism {day} (summary)", quiet=True
        )
    )
    seconds = time.perf_counter() - started
    cost = stats.cost
    step(
        f"optimism {day}",
        seconds,
        read=transactions,
        kept=stats.rows_kept,
        duplicates=duplicates,
        without_receipt=without_receipt,
        processed=cost.bytes_processed if cost else None,
        billed=cost.bytes_billed if cost else None,
    )
    return DayResult(
        day=day,
        files_read=2,
        missing_files=(),
        rows_read=transactions,
        rows_kept=stats.rows_kept,
        rows_rejected=0,
        duplicates=duplicates,
        receipts_read=receipts,
        without_receipt=without_receipt,
        seconds=round(seconds, 6),
    )


# --- SQL pieces ---------------------------------------------------------------------------------------------


def _counts_sql(source: SourceTables) -> str:
    """The day's rows in transactions and receipts (reads only block_timestamp)."""
    return f"""select
    (
        select count(*) from {quote_path(source.transactions)}
        where {TIMESTAMP_COLUMN} >= @day_start and {TIMESTAMP_COLUMN} < @day_end
    ) as transactions,
    (
        select count(*) from {quote_path(source.receipts)}
        where {TIMESTAMP_COLUMN} >= @day_start and {TIMESTAMP_COLUMN} < @day_end
    ) as receipts"""  # noqa: S608


def _summary_sql(raw: BigQueryRaw, source: SourceTables) -> str:
    """After the MERGE: the day's extra rows of the kept hashes, and the kept rows without a receipt."""
    return f"""with kept as (
    select transaction_hash, receipt_status
    from {raw.table_sql(TABLE)}
    where {DAY_COLUMN} = @day
),
copies as (
    select count(*) as rows_of_kept_hashes
    from {quote_path(source.transactions)} as tx
    where
        tx.{TIMESTAMP_COLUMN} >= @day_start and tx.{TIMESTAMP_COLUMN} < @day_end
        and lower(tx.transaction_hash) in (select transaction_hash from kept)
)
select
    (select rows_of_kept_hashes from copies) - (select count(*) from kept) as duplicates,
    (select countif(receipt_status is null) from kept) as without_receipt"""  # noqa: S608


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


def _first_row(outcome: Any) -> tuple[int, int]:
    row = next(iter(outcome.job.result()))
    return int(row[0] or 0), int(row[1] or 0)


__all__ = [
    "SourceTables",
    "day_window",
    "ingest_optimism_bigquery",
    "optimism_params",
    "optimism_source_sql",
    "plan_optimism",
    "read_source_tables",
]

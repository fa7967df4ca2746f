"""Optimism ingestion from day files: the first-stage filter for onchain data (docs/architecture.md §3).

Production reads ``bigquery-public-data.goog_blockchain_optimism_mainnet_us`` (``transactions`` joined to
``receipts`` on ``transaction_hash``). Locally the same two tables come as one file per UTC day::

    <optimism_dir>/transactions/YYYY-MM-DD.{parquet,csv,json,json.gz}
    <optimism_dir>/receipts/YYYY-MM-DD.{parquet,csv,json,json.gz}

JSON files are newline-delimited, one row per line, as BigQuery exports them. ``value`` and ``gas_price`` (and any
wei amount) may be the RECORD exactly as exported, ``{"string_value": "...", "bignumeric_value": "..."}``, or a
plain decimal string or number. Timestamps are ISO-8601 UTC (``2025-10-05T12:00:00Z``, ``2025-10-05 12:00:00 UTC``,
an explicit offset, or epoch seconds). CSV files have a header row; Parquet files carry their own types.

What is kept. A transaction is kept when its ``from_address`` or ``to_address``, lower-cased, is one of the tracked
addresses (lower-cased here too, whatever case the caller passes). It is joined to its receipt and written to
``raw.optimism_transactions`` through `ingestion.warehouse.day_load`: a day is replaced whole, or not at all, and
re-running a day writes the same rows. ``input`` is stored as its first 4 bytes (the method selector, ``0x`` when
the calldata is empty): enough to tell a contract invocation from a plain transfer, and ~1% of the bytes.

Contracts created by a deployer (``deployers``: tracked addresses tagged deployer) are followed like tracked
addresses from the day they are created, so the artifacts dbt derives from them (int_optimism__deployed_contracts)
have their transactions: those created on earlier days are looked up in raw.optimism_transactions, those created
on the day being loaded are found in its receipts, and the day's transactions file is then read a second time.

Wei amounts are exact end to end: parsed from their decimal text straight into ``decimal(38, 0)`` (10^38 wei is
10^20 ETH, far above any real amount), never through a float or a 64-bit integer.

Rejects. Every row of both files is validated, tracked or not, so whether a row is rejected never depends on the
registry. A row goes to raw._rejects, with its file (relative to the Optimism folder), its 1-based line (JSON, CSV)
or row (Parquet) number, the reason and the row as read, when it is not parseable (a line that is not a JSON object,
a CSV line with the wrong number of fields), when a required field is missing, or when a field is malformed: a hash
that is not 0x + 64 hex digits, an address that is not 0x + 40 hex digits, an amount that is not a whole number, a
timestamp that does not parse or falls on another day than the file's. Required: ``block_timestamp``,
``block_number``, ``transaction_hash``, ``from_address``, ``value``, ``gas``, ``gas_price`` (transactions);
``transaction_hash``, ``gas_used``, ``effective_gas_price``, ``status`` (receipts). ``to_address`` is NULL for a
contract creation. CSV line numbers assume one record per line (no line breaks inside quoted fields).

Duplicates. When a transaction hash appears more than once in a day's transactions file, the first valid row (lowest
line or row number) is kept and the others are counted in ``DayResult.duplicates``; the same rule picks one receipt
per hash. Only kept transactions are checked for duplicates (counting them over the whole file would cost a sort
of every row).

Missing data. A kept transaction without a receipt row is kept with NULL receipt fields and counted in
``DayResult.without_receipt``. A day with a transactions file but no receipts file fails with an IngestError naming
the missing file (nothing of that day is written, its previous data stays). A day with no transactions file is
reported (``missing_files``, a warning, a failed attempt in raw._loads) and its previous data stays.

Speed. DuckDB reads the files (read_parquet / read_csv / read_json with the columns declared as text, so nothing is
lost to a failed cast) and does everything in SQL: one pass over each file counts the rows, validates them with
TRY_CAST and regular expressions, and collects the kept and the rejected rows. Only when a file has rejects are its
lines read a second time, to give each reject its exact line and text.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from ingestion.errors import IngestError
from ingestion.log import step, warn
from ingestion.progress import load_progress
from ingestion.warehouse import DayLoad, day_load

SOURCE = "optimism"
TABLE = "optimism_transactions"
DAY_COLUMN = "block_day"
NETWORK = "optimism"

TRANSACTIONS = "transactions"
RECEIPTS = "receipts"
EXTENSIONS = (".parquet", ".csv", ".json", ".json.gz")
"""The file formats read, by extension; one file per table and day."""

MAX_LINE_BYTES = 64 * 1024 * 1024
"""Longest line accepted in a CSV or JSON file (a transaction's calldata can be large)."""
MAX_REJECT_CHARS = 65_536
"""A rejected row is stored in raw._rejects up to this many characters."""

_HASH = "0x[0-9a-fA-F]{64}"
_ADDRESS = "0x[0-9a-fA-F]{40}"
_WHOLE = "[0-9]{1,38}([.]0*)?"


@dataclass(frozen=True)
class Field:
    """One column read from a day file: its name, what it holds, and whether a row may leave it empty.

    ``kind`` is one of hash, address, wei, int, status, timestamp, input. ``in_file``: a CSV or Parquet file
    without this column is refused as a whole (JSON rows carry their own keys, so there it is checked per row).
    """

    name: str
    kind: str
    required: bool
    in_file: bool = True


TX_FIELDS = (
    Field("block_timestamp", "timestamp", required=True),
    Field("block_number", "int", required=True),
    Field("transaction_hash", "hash", required=True),
    Field("transaction_index", "int", required=False, in_file=False),
    Field("from_address", "address", required=True),
    Field("to_address", "address", required=False),
    Field("value", "wei", required=True),
    Field("gas", "int", required=True),
    Field("gas_price", "wei", required=True),
    Field("input", "input", required=False),
)
RECEIPT_FIELDS = (
    Field("transaction_hash", "hash", required=True),
    Field("gas_used", "int", required=True),
    Field("effective_gas_price", "wei", required=True),
    Field("status", "status", required=True),
    Field("contract_address", "address", required=False),
    Field("l1_fee", "wei", required=False, in_file=False),
)


@dataclass(frozen=True)
class DayResult:
    """What loading one day did. ``files_read == 0`` means no transactions file existed: nothing was loaded."""

    day: date
    files_read: int
    missing_files: tuple[str, ...]
    rows_read: int
    rows_kept: int
    rows_rejected: int
    duplicates: int
    receipts_read: int
    without_receipt: int
    seconds: float


class _NoTransactionsFile(IngestError):
    """Raised inside the day load so that it rolls back (keeping the day's data) and records the attempt."""


def day_file(optimism_dir: Path, table: str, day: date) -> Path | None:
    """The file of `table` (transactions or receipts) for `day`, or None; two formats for one day is an error."""
    found = [
        optimism_dir / table / f"{day.isoformat()}{ext}"
        for ext in EXTENSIONS
        if (optimism_dir / table / f"{day.isoformat()}{ext}").is_file()
    ]
    if len(found) > 1:
        names = ", ".join(str(path) for path in found)
        raise IngestError(f"optimism {day}: {len(found)} {table} files for one day ({names}): keep only one")
    return found[0] if found else None


def ingest_optimism(
    con: duckdb.DuckDBPyConnection,
    optimism_dir: Path,
    tracked_addresses: frozenset[str],
    start: date,
    end: date,
    progress: bool = True,
    deployers: frozenset[str] = frozenset(),
) -> list[DayResult]:
    """Load the tracked transactions of each UTC day in [start, end] into raw.optimism_transactions.

    `tracked_addresses`: the addresses to keep on Optimism (the registry's `tracked_addresses("optimism")`,
    which includes those listed on any_evm); compared lower-cased. `deployers`: tracked addresses tagged
    deployer: the contracts they create are followed too (see `_followed_contracts`). Returns one DayResult per
    day. Raises IngestError when a day's receipts file is missing or a file cannot be read (that day is rolled
    back; the days before it stay loaded).
    """
    if end < start:
        raise IngestError(f"the day range is empty: start {start} is after end {end}; swap --start and --end")
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    deployer_list = sorted({address.strip().lower() for address in deployers})
    tracked = sorted({address.strip().lower() for address in tracked_addresses} | set(deployer_list))
    if not tracked:
        warn("optimism: no tracked address on this network: every transaction will be filtered out")
    results: list[DayResult] = []
    with (
        _session(con, tracked, deployer_list),
        load_progress(progress, "optimism", "days", "transactions", len(days)) as bar,
    ):
        in_warehouse = _followed_contracts(con)
        learned: dict[str, date] = {}
        for day in days:
            followed = {address for address, first in in_warehouse.items() if first != day} | set(learned)
            result, created = _ingest_day(con, optimism_dir, day, followed)
            learned.update(dict.fromkeys(created - set(learned), day))
            results.append(result)
            bar.advance()
            bar.add_rows(result.rows_read, result.rows_kept)
    return results


def _followed_contracts(con: duckdb.DuckDBPyConnection) -> dict[str, date]:
    """Contracts created by a deployer, as raw.optimism_transactions already holds them: address -> day created.

    A transaction to such a contract is kept like one to a tracked address. The contracts created on the day
    being loaded are left out of this look-up and found again from the day's own files (a second pass over
    the transactions file when a deployer created something that day), so a re-run of a day depends only on
    its files, the registry and the other days, and writes the same rows.
    """
    rows = con.execute(
        """
        select lower(receipt_contract_address), min(block_day)
        from raw.optimism_transactions
        where receipt_contract_address is not null and receipt_status = 1
            and lower(from_address) in (select address from _impact_opt_deployers)
        group by 1
        """
    ).fetchall()
    return {str(address): first for address, first in rows}


@contextmanager
def _session(con: duckdb.DuckDBPyConnection, tracked: list[str], deployers: list[str]) -> Iterator[None]:
    """The tracked and deployer address tables for the run; DuckDB's own progress bar off (rich draws ours)."""
    old_bar = con.execute("select current_setting('enable_progress_bar')").fetchone()
    con.execute("set enable_progress_bar = false")
    for table, addresses in (("_impact_opt_tracked", tracked), ("_impact_opt_deployers", deployers)):
        con.register("_impact_opt_addresses", pa.table({"address": pa.array(addresses, pa.string())}))
        try:
            con.execute(
                f"create or replace temp table {table} as select distinct address from _impact_opt_addresses"  # noqa: S608
            )
        finally:
            con.unregister("_impact_opt_addresses")
    try:
        yield
    finally:
        con.execute("drop table if exists _impact_opt_tracked")
        con.execute("drop table if exists _impact_opt_deployers")
        con.execute("drop table if exists _impact_opt_keep")
        if old_bar is not None and bool(old_bar[0]):
            con.execute("set enable_progress_bar = true")


def _ingest_day(
    con: duckdb.DuckDBPyConnection, optimism_dir: Path, day: date, followed: set[str]
) -> tuple[DayResult, set[str]]:
    """Read and check the day's two files (outside any transaction), then replace the day in one transaction."""
    started = time.perf_counter()
    tx_path = day_file(optimism_dir, TRANSACTIONS, day)
    if tx_path is None:
        expected = f"{TRANSACTIONS}/{day.isoformat()}{{{','.join(EXTENSIONS)}}}"
        message = (
            f"optimism {day}: no transactions file in {optimism_dir} (expected {expected}); nothing loaded for "
            "this day, its previous data is kept. Export the day's transactions and receipts there and run the "
            "day again."
        )
        try:
            _record_failure(con, day, _NoTransactionsFile(message), missing=[expected])
        except _NoTransactionsFile:
            warn(message)
        return DayResult(
            day, 0, (expected,), 0, 0, 0, 0, 0, 0, round(time.perf_counter() - started, 6)
        ), set()

    try:
        try:
            receipts_path = day_file(optimism_dir, RECEIPTS, day)
            if receipts_path is None:
                missing = optimism_dir / RECEIPTS / f"{day.isoformat()}{_suffix(tx_path)}"
                raise IngestError(
                    f"optimism {day}: the receipts file {missing} is missing (any of receipts/{day.isoformat()}"
                    f"{{{','.join(EXTENSIONS)}}} will do): the transactions file {tx_path} needs the day's "
                    "receipts. Export the receipts table for that day next to it, then run the day again."
                )
            day_filter = _DayFilter(con, optimism_dir, day)
            _set_keep(con, followed)
            prepared = day_filter.prepare(tx_path, receipts_path)
            created = _created_by_deployers(con)
            if created - followed:
                # A deployer created a contract today: read the day again, following it from the start.
                _drop_temp_tables(con)
                _set_keep(con, followed | created)
                prepared = day_filter.prepare(tx_path, receipts_path)
        except IngestError as exc:
            _record_failure(con, day, exc)
            raise
        with day_load(con, SOURCE, TABLE, DAY_COLUMN, day) as load:
            prepared.write(load)
            stats = load.stats
    finally:
        _drop_temp_tables(con)
    seconds = time.perf_counter() - started
    step(
        f"optimism {day}",
        seconds,
        read=stats.rows_read,
        kept=stats.rows_kept,
        rejected=stats.rows_rejected,
        duplicates=prepared.duplicates,
        without_receipt=prepared.without_receipt,
        tx_per_s=int(stats.rows_read / seconds) if seconds > 0 else 0,
    )
    result = DayResult(
        day=day,
        files_read=stats.files_read,
        missing_files=(),
        rows_read=stats.rows_read,
        rows_kept=stats.rows_kept,
        rows_rejected=stats.rows_rejected,
        duplicates=prepared.duplicates,
        receipts_read=prepared.receipts.rows_read,
        without_receipt=prepared.without_receipt,
        seconds=round(seconds, 6),
    )
    return result, created


def _set_keep(con: duckdb.DuckDBPyConnection, followed: set[str]) -> None:
    """The day's keep set: the tracked addresses plus the followed contracts."""
    con.execute(
        "create or replace temp table _impact_opt_keep as "
        "select address from _impact_opt_tracked union select unnest($followed::varchar[])",
        {"followed": sorted(followed)},
    )


def _created_by_deployers(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Contracts created (successfully) by a deployer in the day just read."""
    rows = con.execute(
        """
        select distinct r.contract_address
        from _impact_opt_tx_first as t
        join _impact_opt_rc_first as r on r.transaction_hash = t.transaction_hash
        where r.contract_address is not null and r.status = 1
            and t.from_address in (select address from _impact_opt_deployers)
        """
    ).fetchall()
    return {str(address) for (address,) in rows}


def _record_failure(
    con: duckdb.DuckDBPyConnection, day: date, exc: IngestError, missing: list[str] | None = None
) -> None:
    """Record a failed attempt for the day in raw._loads (the day's data is untouched), then raise `exc`."""
    with day_load(con, SOURCE, TABLE, DAY_COLUMN, day) as load:
        load.stats.files_expected = 2
        load.stats.missing_files = list(missing or [])
        raise exc


_TEMP_TABLES = (
    "_impact_opt_scan",
    "_impact_opt_tx",
    "_impact_opt_tx_first",
    "_impact_opt_rc",
    "_impact_opt_rc_first",
    "_impact_opt_csv_errors",
    "_impact_opt_csv_scans",
)


def _drop_temp_tables(con: duckdb.DuckDBPyConnection) -> None:
    for name in _TEMP_TABLES:
        con.execute(f"drop table if exists {name}")


@dataclass(frozen=True)
class _Reject:
    source_file: str
    line_number: int
    error: str
    raw: str


@dataclass(frozen=True)
class _Scanned:
    """One file after its single pass: its name, the rows read and the rows rejected (with line and text)."""

    source_file: str
    size: int
    rows_read: int
    rejects: tuple[_Reject, ...]


@dataclass(frozen=True)
class _Prepared:
    """A day read and checked, its kept rows waiting in temp tables: what `write` puts in the day load."""

    con: duckdb.DuckDBPyConnection
    day: date
    transactions: _Scanned
    receipts: _Scanned
    duplicates: int
    without_receipt: int

    def write(self, load: DayLoad) -> None:
        load.stats.files_expected = 2
        for scanned in (self.transactions, self.receipts):
            load.stats.files_read += 1
            load.stats.bytes_scanned += scanned.size
            for reject in scanned.rejects:
                load.reject(reject.source_file, reject.line_number, reject.error, reject.raw)
        load.stats.rows_read = self.transactions.rows_read
        row = self.con.execute(
            f"""
            insert into raw.{TABLE} by name
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
                $day::date as {DAY_COLUMN},
                $source_file as _source_file,
                $loaded_at::timestamp as _loaded_at
            from _impact_opt_tx_first as t
            left join _impact_opt_rc_first as r on r.transaction_hash = t.transaction_hash
            order by t.block_number, t.transaction_index nulls last, t._row
            """,  # noqa: S608 - the table and column names are this module's constants
            {"day": self.day, "source_file": self.transactions.source_file, "loaded_at": load.loaded_at},
        ).fetchone()
        load.stats.rows_kept = int(row[0]) if row else 0


class _DayFilter:
    """Scan one day's transactions and receipts files into temp tables: kept rows typed, rejects located."""

    def __init__(self, con: duckdb.DuckDBPyConnection, optimism_dir: Path, day: date):
        self.con = con
        self.optimism_dir = optimism_dir
        self.day = day

    def rel(self, path: Path) -> str:
        """The file's name as stored in raw: relative to the Optimism folder, e.g. transactions/2025-10-05.csv."""
        try:
            return path.relative_to(self.optimism_dir).as_posix()
        except ValueError:
            return str(path)

    def prepare(self, tx_path: Path, receipts_path: Path) -> _Prepared:
        transactions = self._scan(tx_path, TX_FIELDS, "_impact_opt_tx", _TX_KEEP)
        self.con.execute(
            "create temp table _impact_opt_tx_first as select * from _impact_opt_tx "
            "qualify row_number() over (partition by transaction_hash order by _row) = 1"
        )
        duplicates = self._count("_impact_opt_tx") - self._count("_impact_opt_tx_first")
        receipts = self._scan(receipts_path, RECEIPT_FIELDS, "_impact_opt_rc", _RECEIPT_KEEP)
        self.con.execute(
            "create temp table _impact_opt_rc_first as select * from _impact_opt_rc "
            "qualify row_number() over (partition by transaction_hash order by _row) = 1"
        )
        row = self.con.execute(
            "select count(*) from _impact_opt_tx_first as t where not exists "
            "(select 1 from _impact_opt_rc_first as r where r.transaction_hash = t.transaction_hash)"
        ).fetchone()
        without_receipt = int(row[0]) if row else 0
        return _Prepared(self.con, self.day, transactions, receipts, duplicates, without_receipt)

    def _count(self, table: str) -> int:
        row = self.con.execute(f"select count(*) from {table}").fetchone()  # noqa: S608
        return int(row[0]) if row else 0

    def _scan(self, path: Path, fields: Sequence[Field], kept_table: str, keep_filter: str) -> _Scanned:
        """Count, validate and filter one file in one pass; kept rows land in `kept_table`, typed."""
        fmt = _format(path)
        source_sql, params = self._source(path, fmt, fields)
        parsed = "".join(
            f", {_timestamp(field.name)} as _ts_{field.name}" for field in fields if field.kind == "timestamp"
        )
        typed = ", ".join(f"{field.name} := {_typed(field)}" for field in fields)
        raw = ", ".join(f"{field.name} := {field.name}" for field in fields)
        # The structs are built inside CASE so that only kept or rejected rows pay for them.
        sql = f"""
            create or replace temp table _impact_opt_scan as
            with source as ({source_sql}),
            parsed as (
                select *{parsed} from source
            ),
            checked as (
                select *, {_problems_sql(fields)} as _error from parsed
            ),
            decided as (
                select *, _error is null and ({keep_filter}) as _keep from checked
            )
            select
                count(*) as rows_read,
                list(case when _keep then struct_pack(_row, {typed}) end) filter (where _keep) as kept,
                list(case when _error is not null then struct_pack(_row, _error, _fields := struct_pack({raw})) end)
                    filter (where _error is not null) as rejected
            from decided
        """  # noqa: S608 - every name and expression above is this module's own constant
        try:
            if "$day" in sql:
                params = {**params, "day": self.day}
            self.con.execute(sql, params)
        except duckdb.Error as exc:
            raise IngestError(
                f"optimism {self.day}: {path} cannot be read as {fmt.lstrip('.')} ({_first_line(exc)}); "
                "re-export or re-download the file, then run the day again"
            ) from exc
        self.con.execute(
            f"create temp table {kept_table} as select unnest(kept, recursive := true) from _impact_opt_scan"  # noqa: S608
        )
        row = self.con.execute("select rows_read, rejected from _impact_opt_scan").fetchone()
        rows_read, rejected = (int(row[0]), list(row[1] or [])) if row else (0, [])
        structural = self._csv_structural_errors() if fmt == ".csv" else []
        rejects = self._locate_rejects(path, fmt, rejected, structural)
        return _Scanned(self.rel(path), path.stat().st_size, rows_read + len(structural), rejects)

    def _source(self, path: Path, fmt: str, fields: Sequence[Field]) -> tuple[str, dict[str, object]]:
        """A query over the file: `_row` (record number) and each field as text, the same for every format."""
        if fmt == ".parquet":
            columns = self._parquet_columns(path)
            self._require_columns(path, fields, columns)
            exprs = ", ".join(
                f"{_parquet_text(field, columns.get(field.name))} as {field.name}" for field in fields
            )
            return (
                f"select file_row_number + 1 as _row, {exprs} from read_parquet($path, file_row_number = true)",  # noqa: S608
                {"path": str(path)},
            )
        if fmt == ".csv":
            header = _csv_header(path, self.day)
            self._require_columns(path, fields, dict.fromkeys(header, "VARCHAR"))
            exprs = ", ".join(
                f"{_text_value(field, _quote(field.name) if field.name in header else 'null')} as {field.name}"
                for field in fields
            )
            self.con.execute("drop table if exists _impact_opt_csv_errors")
            self.con.execute("drop table if exists _impact_opt_csv_scans")
            return (
                f"""select ordinality as _row, {exprs}
                from read_csv(
                    $path, columns = $columns, header = true, auto_detect = false,
                    delim = ',', quote = '"', escape = '"', max_line_size = {MAX_LINE_BYTES},
                    store_rejects = true, rejects_table = '_impact_opt_csv_errors',
                    rejects_scan = '_impact_opt_csv_scans'
                ) with ordinality""",  # noqa: S608 - field names are this module's constants
                {"path": str(path), "columns": dict.fromkeys(header, "VARCHAR")},
            )
        columns_struct = "{" + ", ".join(f"'{field.name}': 'VARCHAR'" for field in fields) + "}"
        exprs = ", ".join(f"{_text_value(field, _quote(field.name))} as {field.name}" for field in fields)
        return (
            f"""select ordinality as _row, {exprs}
            from read_json(
                $path, format = 'newline_delimited', columns = {columns_struct}, ignore_errors = true,
                maximum_object_size = {MAX_LINE_BYTES}
            ) with ordinality""",  # noqa: S608 - field names are this module's constants
            {"path": str(path)},
        )

    def _parquet_columns(self, path: Path) -> dict[str, str]:
        try:
            rows = self.con.execute("describe select * from read_parquet(?)", [str(path)]).fetchall()
        except duckdb.Error as exc:
            raise IngestError(
                f"optimism {self.day}: {path} is not a readable Parquet file ({_first_line(exc)}); "
                "re-export the file, then run the day again"
            ) from exc
        return {str(name): str(kind) for name, kind, *_ in rows}

    def _require_columns(self, path: Path, fields: Sequence[Field], columns: dict[str, str]) -> None:
        missing = [field.name for field in fields if field.in_file and field.name not in columns]
        if missing:
            raise IngestError(
                f"optimism {self.day}: {path} lacks column(s) {', '.join(missing)} (it has: "
                f"{', '.join(columns) or 'none'}); export the BigQuery table's columns under their own names"
            )

    def _csv_structural_errors(self) -> list[tuple[int, str, str]]:
        """CSV lines DuckDB could not split into the header's fields: (line number, error, line text)."""
        rows = self.con.execute(
            """
            select line, string_agg(error_message, '; ' order by column_idx), any_value(csv_line)
            from _impact_opt_csv_errors
            group by line
            order by line
            """
        ).fetchall()
        return [
            (int(line), f"malformed CSV line: {message}", str(text or "").strip("\r\n"))
            for line, message, text in rows
        ]

    def _locate_rejects(
        self, path: Path, fmt: str, rejected: list[dict], structural: list[tuple[int, str, str]]
    ) -> tuple[_Reject, ...]:
        """Each rejected record with its line number and text (Parquet: row number and the row as JSON)."""
        name = self.rel(path)
        rejects = [_Reject(name, line, error, text[:MAX_REJECT_CHARS]) for line, error, text in structural]
        located = {}
        if rejected and fmt != ".parquet":
            located = self._lines_of(
                path, fmt, [int(item["_row"]) for item in rejected], [s[0] for s in structural]
            )
        for item in rejected:
            record, error, fields = int(item["_row"]), str(item["_error"]), dict(item["_fields"])
            line, text = located.get(record, (record, None))
            if text is None:
                text = _fields_json(fields)
            elif fmt == ".json" and all(value is None for value in fields.values()):
                error = _json_line_problem(text) or error
            rejects.append(_Reject(name, line, error, text[:MAX_REJECT_CHARS]))
        return tuple(sorted(rejects, key=lambda reject: reject.line_number))

    def _lines_of(
        self, path: Path, fmt: str, records: list[int], skipped: list[int]
    ) -> dict[int, tuple[int, str]]:
        """Record number -> (line number, line text), by reading the file's lines once more.

        The JSON reader skips blank lines; the CSV reader skips the header, blank lines and the lines it could
        not split. Numbering the remaining lines in order gives each record its line. When the lines cannot be
        read that way (a line over MAX_LINE_BYTES), rejects keep their record number and the row as parsed.
        """
        header_lines = 1 if fmt == ".csv" else 0
        try:
            rows = self.con.execute(
                f"""
                with lines as (
                    select ordinality as line_number, line
                    from read_csv(
                        $path, columns = {{'line': 'VARCHAR'}}, header = false, auto_detect = false,
                        delim = chr(1), quote = '', escape = '', strict_mode = false,
                        max_line_size = {MAX_LINE_BYTES}
                    ) with ordinality
                ),
                records as (
                    select line_number, line, row_number() over (order by line_number) as record
                    from lines
                    where line_number > {header_lines}
                        and line is not null and not regexp_full_match(line, '\\s*')
                        and line_number not in (select unnest($skipped::bigint[]))
                )
                select record, line_number, line from records where record in (select unnest($records::bigint[]))
                """,  # noqa: S608 - only integers of this module are formatted in
                {"path": str(path), "skipped": skipped, "records": records},
            ).fetchall()
        except duckdb.Error:
            return {}
        return {int(record): (int(line_number), str(line)) for record, line_number, line in rows}


# --- SQL pieces ---------------------------------------------------------------------------------------------

_TX_KEEP = (
    "lower(from_address) in (select address from _impact_opt_keep) "
    "or lower(to_address) in (select address from _impact_opt_keep)"
)
"""A valid transaction is kept when either end, lower-cased, is tracked (or a followed contract)."""
_RECEIPT_KEEP = "lower(transaction_hash) in (select transaction_hash from _impact_opt_tx_first)"
"""A valid receipt is kept when its transaction is."""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _suffix(path: Path) -> str:
    """The file's extension among EXTENSIONS, e.g. '.json.gz'."""
    for ext in sorted(EXTENSIONS, key=len, reverse=True):
        if path.name.endswith(ext):
            return ext
    raise IngestError(f"{path}: unknown format; use one of {', '.join(EXTENSIONS)}")


def _format(path: Path) -> str:
    """How to read the file: .parquet, .csv or .json (gzip is detected by DuckDB from the name)."""
    suffix = _suffix(path)
    return ".json" if suffix == ".json.gz" else suffix


def _text_value(field: Field, column: str) -> str:
    """The field's text from a text column (CSV, JSON): a wei RECORD is unwrapped to its decimal string."""
    if field.kind != "wei":
        return column
    return (
        f"case when starts_with(ltrim({column}), '{{') then "
        f"case when json_valid({column}) then coalesce(json_extract_string({column}, '$.string_value'), "
        f"json_extract_string({column}, '$.bignumeric_value')) end "
        f"else {column} end"
    )


def _parquet_text(field: Field, duck_type: str | None) -> str:
    """The field's text from a typed Parquet column (an absent optional column: NULL)."""
    if duck_type is None:
        return "null"
    column = _quote(field.name)
    kind = duck_type.upper()
    if kind.startswith("STRUCT"):
        parts = [
            f"cast({column}.{sub} as varchar)"
            for sub in ("string_value", "bignumeric_value")
            if sub.upper() in kind
        ]
        return f"coalesce({', '.join(parts)})" if parts else f"cast(to_json({column}) as varchar)"
    if kind.startswith("TIMESTAMP WITH TIME ZONE") or kind == "TIMESTAMPTZ":
        return f"cast(timezone('UTC', {column}) as varchar)"
    if kind.endswith("]") or kind.startswith(("MAP", "UNION")):
        return f"cast(to_json({column}) as varchar)"
    return f"cast({column} as varchar)"


_ZONE = "[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?( *[+-][0-9]{2}(:?[0-9]{2})?| +[A-Za-z][A-Za-z_/]*)$"
"""A time followed by an explicit offset or zone name: parsed as timestamptz, then converted to UTC."""


def _timestamp(column: str) -> str:
    """ISO-8601 text (Z, an explicit offset or zone, or none: UTC) or epoch seconds -> naive UTC timestamp.

    A plain TIMESTAMP cast would drop an offset silently ('12:00+02:00' -> 12:00), hence the first branch.
    """
    return (
        f"case when regexp_matches({column}, '{_ZONE}') "
        f"then timezone('UTC', try_cast({column} as timestamptz)) "
        f"when regexp_full_match({column}, '[0-9]{{1,11}}') "
        f"then timezone('UTC', to_timestamp(cast({column} as bigint))) "
        f"else try_cast({column} as timestamp) end"
    )


def _typed(field: Field) -> str:
    """The typed value of a field that passed `_problems_sql` (NULL stays NULL)."""
    column = field.name
    if field.kind in ("hash", "address"):
        return f"lower({column})"
    if field.kind == "wei":
        return f"try_cast(trim({column}) as decimal(38, 0))"
    if field.kind in ("int", "status"):
        return f"try_cast({column} as bigint)"
    if field.kind == "timestamp":
        return f"_ts_{column}"
    if field.kind == "input":
        return f"lower(left({column}, 10))"
    raise ValueError(f"unknown field kind {field.kind!r}")


def _problems_sql(fields: Sequence[Field]) -> str:
    """One text naming every problem of a row, NULL when it has none. `$day` is the file's day."""
    checks = []
    for field in fields:
        column = field.name
        if field.kind == "hash":
            bad, expected = f"not regexp_full_match({column}, '{_HASH}')", "0x + 64 hex digits"
        elif field.kind == "address":
            bad, expected = f"not regexp_full_match({column}, '{_ADDRESS}')", "0x + 40 hex digits"
        elif field.kind == "wei":
            bad = f"not regexp_full_match(trim({column}), '{_WHOLE}')"
            expected = "a whole number of wei (at most 38 digits)"
        elif field.kind == "int":
            bad = f"not regexp_full_match(trim({column}), '[0-9]{{1,19}}') or try_cast({column} as bigint) is null"
            expected = "a whole number"
        elif field.kind == "status":
            bad, expected = f"trim({column}) not in ('0', '1')", "0 or 1"
        elif field.kind == "timestamp":
            bad, expected = f"_ts_{column} is null", "an ISO-8601 UTC timestamp"
        else:
            bad, expected = f"left({column}, 2) not in ('0x', '0X')", "0x-prefixed hex"
        empty = f"{column} is null or trim({column}) = ''"
        when_empty = f"'missing {column}'" if field.required else "null"
        checks.append(f"case when {empty} then {when_empty} when {bad} then '{column} is not {expected}' end")
        if field.kind == "timestamp":
            checks.append(
                f"case when cast(_ts_{column} as date) <> $day then "
                f"'{column} ' || strftime(_ts_{column}, '%Y-%m-%d %H:%M:%S') || ' UTC is not on the file''s day' end"
            )
    return f"nullif(concat_ws('; ', {', '.join(checks)}), '')"


# --- small helpers ------------------------------------------------------------------------------------------


def _csv_header(path: Path, day: date) -> list[str]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise IngestError(f"optimism {day}: {path}: cannot read the CSV header ({exc})") from exc
    if not header:
        raise IngestError(f"optimism {day}: {path} is empty: a CSV file needs a header row of column names")
    names = [name.strip() for name in header]
    doubled = sorted({name for name in names if names.count(name) > 1})
    if doubled:
        raise IngestError(
            f"optimism {day}: {path}: column(s) {', '.join(doubled)} appear twice in the header"
        )
    return names


def _fields_json(fields: dict[str, str | None]) -> str:
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False)[:MAX_REJECT_CHARS]


def _json_line_problem(line: str) -> str | None:
    """Why a JSON line the reader could not use was unusable, or None when it is an object after all."""
    try:
        value = json.loads(line)
    except ValueError as exc:
        return f"not valid JSON: {exc}"
    if not isinstance(value, dict):
        return f"not a JSON object (a {type(value).__name__})"
    return None


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


__all__ = [
    "EXTENSIONS",
    "NETWORK",
    "RECEIPT_FIELDS",
    "TX_FIELDS",
    "DayResult",
    "day_file",
    "ingest_optimism",
]

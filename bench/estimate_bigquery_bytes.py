"""What the BigQuery ingestion queries would process, computed from local copies of the same data.

BigQuery prices a query by the logical bytes of the columns it reads, over every row of the partitions it reads,
whatever the WHERE clause keeps: a STRING is 2 bytes plus its UTF-8 length, INT64/FLOAT64/TIMESTAMP 8, BOOL 1,
BIGNUMERIC 32, NULL 0, a RECORD the sum of its fields. This script applies those rules to local files, so the cost
of a query can be known before a Google project exists (once it does, `impact ... --dry-run` asks BigQuery itself):

* `github FILE...`: GH Archive hour files (`.json.gz` as published, or plain NDJSON). The day query reads all nine
  columns of `githubarchive.day.YYYYMMDD` (id, type, public, created_at, repo, actor, org, payload, other), so the
  bytes of the 24 hour files of a day are the bytes its query processes.
* `optimism FILE...`: NDJSON rows of transactions in the public table's columns, with the receipt fields beside
  them (`receipt_*`, as Ethereum ETL exports them). Prints the bytes per transaction of the columns the Optimism
  day query reads from `transactions`, `receipts` and `blocks`.

Example::

    python bench/estimate_bigquery_bytes.py github ~/gharchive/2024-05-01-*.json.gz --events-per-day 4500000
    python bench/estimate_bigquery_bytes.py optimism transactions.json --transactions-per-day 700000
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TIB = 2**40
USD_PER_TIB = 6.25
USER_FIELDS = ("id", "login", "gravatar_id", "avatar_url", "url")


def value_bytes(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool):
        return 1
    if isinstance(value, int | float):
        return 8
    return 2 + len(str(value).encode())


def record_bytes(record: dict[str, Any] | None, fields: tuple[str, ...]) -> int:
    return 0 if record is None else sum(value_bytes(record.get(name)) for name in fields)


def lines(paths: list[Path]) -> Iterator[bytes]:
    for path in paths:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as handle:
            for line in handle:
                if line.strip():
                    yield line


def github_event_bytes(event: dict[str, Any]) -> dict[str, int]:
    """The logical bytes of one event in each column of a GH Archive day table."""
    extra = {
        k: v
        for k, v in event.items()
        if k not in {"id", "type", "public", "created_at", "repo", "actor", "org", "payload"}
    }
    return {
        "id": value_bytes(event.get("id")),
        "type": value_bytes(event.get("type")),
        "public": value_bytes(event.get("public")),
        "created_at": 8,
        "repo": record_bytes(event.get("repo"), ("id", "name", "url")),
        "actor": record_bytes(event.get("actor"), USER_FIELDS),
        "org": record_bytes(event.get("org"), USER_FIELDS),
        "payload": value_bytes(json.dumps(event.get("payload"), separators=(",", ":"), ensure_ascii=False)),
        "other": value_bytes(json.dumps(extra, separators=(",", ":")) if extra else None),
    }


def optimism_transaction_bytes(row: dict[str, Any]) -> int:
    """The logical bytes one transaction adds to what the Optimism day query reads."""
    amount = 32  # the BIGNUMERIC half of a {string_value, bignumeric_value} RECORD
    transactions = (
        value_bytes(row.get("block_hash"))
        + 8  # block_timestamp
        + value_bytes(row.get("hash") or row.get("transaction_hash"))
        + 8  # transaction_index
        + value_bytes(row.get("from_address"))
        + value_bytes(row.get("to_address"))
        + value_bytes(str(row.get("value")))
        + amount
        + 8  # gas
        + value_bytes(str(row.get("gas_price")))
        + amount
        + value_bytes(row.get("input"))
    )
    receipts = (
        value_bytes(row.get("hash") or row.get("transaction_hash"))
        + 8 * 4  # block_timestamp, gas_used, effective_gas_price, status
        + value_bytes(row.get("receipt_contract_address"))
    )
    return transactions + receipts


def _usd(n: float) -> str:
    return f"${n / TIB * USD_PER_TIB:,.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="source", required=True)
    github = commands.add_parser("github", help="GH Archive hour files")
    github.add_argument("files", nargs="+", type=Path)
    github.add_argument("--events-per-day", type=float, help="extrapolate to a day of this many events")
    optimism = commands.add_parser("optimism", help="NDJSON transactions with receipt_* fields")
    optimism.add_argument("files", nargs="+", type=Path)
    optimism.add_argument(
        "--transactions-per-day", type=float, help="extrapolate to a day of this many transactions"
    )
    args = parser.parse_args(argv)

    if args.source == "github":
        columns: dict[str, int] = {}
        events = json_bytes = 0
        for line in lines(args.files):
            events += 1
            json_bytes += len(line)
            for name, size in github_event_bytes(json.loads(line)).items():
                columns[name] = columns.get(name, 0) + size
        total = sum(columns.values())
        if not events:
            print("no events in the files given", file=sys.stderr)
            return 1
        print(
            f"{events} events, {json_bytes} bytes of JSON, {total} bytes read by the day query ({total / json_bytes:.3f} of the JSON)"
        )
        print(
            f"per event: {total / events:.0f} bytes; "
            + ", ".join(f"{k} {v / events:.0f}" for k, v in columns.items())
        )
        print(f"these files: {total / 1e9:.3f} GB, {_usd(total)} on demand")
        if args.events_per_day:
            day = total / events * args.events_per_day
            print(
                f"a day of {args.events_per_day:,.0f} events: {day / 1e9:.1f} GB, {_usd(day)}; a year: {day * 365 / 1e12:.2f} TB, {_usd(day * 365)}"
            )
    else:
        count = total = 0
        for line in lines(args.files):
            count += 1
            total += optimism_transaction_bytes(json.loads(line))
        if not count:
            print("no transactions in the files given", file=sys.stderr)
            return 1
        print(
            f"{count} transactions, {total / count:.0f} bytes per transaction read by the Optimism day query"
        )
        if args.transactions_per_day:
            day = total / count * args.transactions_per_day
            print(f"a day of {args.transactions_per_day:,.0f} transactions: {day / 1e9:.2f} GB of rows")
            print(
                f"  one query per month (a backfill): a year reads {day * 365 / 1e9:.0f} GB, {_usd(day * 365)}"
            )
            print(
                f"  one query per day (each reads its whole month partition): a year reads {day * 30.4 * 365 / 1e12:.1f} TB, {_usd(day * 30.4 * 365)}"
            )
            print(
                f"  daily runs (each reads its month so far, 15.7 days on average): {day * 15.7 / 1e9:.1f} GB a day, {_usd(day * 15.7 * 365)} a year"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark the Optimism first-stage filter against DuckDB merely reading the same day files.

Example:
    .venv/bin/python bench/bench_optimism_filter.py                        # 4 days x 250,000 transactions
    .venv/bin/python bench/bench_optimism_filter.py --days 2 --rows-per-day 20000 --runs 1   # a quick look

It generates (or reuses, when bench/out/optimism/manifest.json says the same parameters and generator made it)
N days of transactions and receipts files with `ingestion.sample.optimism.write_sample`, alternating Parquet and
gzip JSON (the BigQuery RECORD shape), then measures, best of --runs:

  count     DuckDB `select count(*)` over every transactions and receipts file (read_parquet / read_json with
            one declared column), the floor asked for. Parquet answers count(*) from its footer without reading any
            data, JSON has to be parsed whole;
  read      DuckDB reading every column the filter reads, as text, from the same files (count(col) of each):
            the honest floor of "reading the files";
  filter    ingestion.sources.optimism.ingest_optimism(con, dir, tracked, start, end, progress=False) into a
            fresh DuckDB file (bench/out/optimism_bench.duckdb): validation of every row, the filter, the join to
            receipts, the atomic day writes

and prints a markdown table (seconds, transactions/s, and the filter's throughput as a share of each floor). It
checks that the filter read every row, kept exactly the transactions to tracked contracts and rejected none.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from ingestion.sample import optimism as sample
from ingestion.sample.optimism import SampleAddresses, sample_addresses, write_sample
from ingestion.settings import PROJECT_DIR
from ingestion.sources.optimism import RECEIPT_FIELDS, TX_FIELDS, ingest_optimism
from ingestion.warehouse import connect

OUT = Path(__file__).resolve().parent / "out"
DATA = OUT / "optimism"
FIRST_DAY = date(2025, 10, 5)
FORMATS = (".parquet", ".json.gz")


@dataclass(frozen=True)
class Measure:
    name: str
    what: str
    seconds: float
    runs: tuple[float, ...]


def best_of(runs: int, once: Callable[[], object]) -> tuple[float, tuple[float, ...]]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        once()
        times.append(time.perf_counter() - started)
    return min(times), tuple(times)


def generator_hash() -> str:
    return hashlib.sha256(Path(sample.__file__).read_bytes()).hexdigest()[:16]


def load_or_generate(days: int, rows_per_day: int, tracked_fraction: float, regenerate: bool) -> dict:
    addresses = sample_addresses(PROJECT_DIR / "registry")
    contracts = addresses.contracts
    calls = max(1, round(rows_per_day * tracked_fraction / len(contracts)))
    params = {
        "days": days,
        "rows_per_day": rows_per_day,
        "tracked_fraction": tracked_fraction,
        "contracts": list(contracts),
        "calls_per_contract": calls,
        "generator": generator_hash(),
    }
    manifest = DATA / "manifest.json"
    if not regenerate and manifest.is_file():
        saved = json.loads(manifest.read_text())
        if saved.get("params") == params and all((DATA / name).is_file() for name in saved.get("files", [])):
            print(f"reusing {len(saved['files'])} files in {DATA}", file=sys.stderr)
            return saved
    day_list = [FIRST_DAY + timedelta(days=n) for n in range(days)]
    formats = [FORMATS[n % len(FORMATS)] for n in range(days)]
    for old in DATA.glob("*/*"):
        old.unlink()
    started = time.perf_counter()
    # Noise makes up the rest of each day; the sample adds 2-3 extra tracked rows per day (a plain transfer, a
    # failed call) and, on 2025-10-07, 25 bot calls.
    files = write_sample(
        DATA,
        SampleAddresses(contracts=contracts, deployers=()),
        day_list,
        formats,
        noise_per_day=rows_per_day - calls * len(contracts),
        calls_per_contract=calls,
    )
    seconds = time.perf_counter() - started
    saved = {
        "params": params,
        "files": [path.relative_to(DATA).as_posix() for path in files],
        "generated_seconds": round(seconds, 2),
    }
    manifest.write_text(json.dumps(saved, indent=2))
    print(f"generated {len(files)} files in {seconds:.1f} s", file=sys.stderr)
    return saved


def reader(path: Path) -> str:
    """The plain DuckDB read of a file (JSON with one declared column: schema detection would cost more)."""
    if path.suffix == ".parquet":
        return "read_parquet(?)"
    return "read_json(?, format = 'newline_delimited', columns = {'transaction_hash': 'VARCHAR', 'to_address': 'VARCHAR'})"


def count_rows(files: list[Path]) -> int:
    con = duckdb.connect()
    total = 0
    for path in files:
        total += con.execute(f"select count(*) from {reader(path)}", [str(path)]).fetchall()[0][0]  # noqa: S608
    con.close()
    return total


def read_columns(files: list[Path]) -> None:
    """Decode every column the filter reads, as text (RECORD amounts included), and count the non-NULL values."""
    con = duckdb.connect()
    for path in files:
        fields = TX_FIELDS if path.parent.name == "transactions" else RECEIPT_FIELDS
        if path.suffix == ".parquet":
            present = {
                row[0]
                for row in con.execute("describe select * from read_parquet(?)", [str(path)]).fetchall()
            }
            names = [f.name for f in fields if f.name in present]
            counts = ", ".join(f"count(cast({name} as varchar))" for name in names)
            sql = f"select {counts} from read_parquet(?)"  # noqa: S608
        else:
            names = [f.name for f in fields]
            counts = ", ".join(f"count({name})" for name in names)
            struct = "{" + ", ".join(f"'{name}': 'VARCHAR'" for name in names) + "}"
            sql = f"select {counts} from read_json(?, format = 'newline_delimited', columns = {struct})"  # noqa: S608
        con.execute(sql, [str(path)]).fetchall()
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=4, help="day files to generate (default 4)")
    parser.add_argument(
        "--rows-per-day", type=int, default=250_000, help="transactions per day (default 250,000)"
    )
    parser.add_argument("--tracked-fraction", type=float, default=0.01, help="share of tracked calls (0.01)")
    parser.add_argument("--runs", type=int, default=3, help="best of this many runs (default 3)")
    parser.add_argument("--regenerate", action="store_true", help="write the files again even if reusable")
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    saved = load_or_generate(args.days, args.rows_per_day, args.tracked_fraction, args.regenerate)
    files = [DATA / name for name in saved["files"]]
    tx_files = [path for path in files if path.parent.name == "transactions"]
    contracts = frozenset(saved["params"]["contracts"])
    start = FIRST_DAY
    end = FIRST_DAY + timedelta(days=args.days - 1)
    size = sum(path.stat().st_size for path in files)

    transactions = count_rows(tx_files)
    measures = []
    seconds, runs = best_of(args.runs, lambda: count_rows(files))
    measures.append(Measure("count", "DuckDB count(*) over every file", seconds, runs))
    seconds, runs = best_of(args.runs, lambda: read_columns(files))
    measures.append(Measure("read", "DuckDB reading the filter's columns as text", seconds, runs))

    results: list = []
    database = OUT / "optimism_bench.duckdb"

    def filter_once() -> None:
        for suffix in ("", ".wal"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        con = connect(database)
        try:
            results[:] = ingest_optimism(con, DATA, contracts, start, end, progress=False)
        finally:
            con.close()

    seconds, runs = best_of(args.runs, filter_once)
    measures.append(Measure("filter", "`ingest_optimism` into a fresh DuckDB file", seconds, runs))

    read = sum(r.rows_read for r in results)
    kept = sum(r.rows_kept for r in results)
    rejected = sum(r.rows_rejected for r in results)
    con = duckdb.connect()
    expected = 0
    for path in tx_files:
        expected += con.execute(
            f"select count(*) from {reader(path)} where lower(to_address) in (select unnest(?::varchar[]))",  # noqa: S608
            [str(path), sorted(contracts)],
        ).fetchall()[0][0]
    con.close()
    problems = []
    if read != transactions:
        problems.append(f"read {read} transactions, the files hold {transactions}")
    if kept != expected:
        problems.append(f"kept {kept}, expected {expected}")
    if rejected:
        problems.append(f"rejected {rejected}")

    filter_seconds = measures[-1].seconds
    lines = [
        "| step | what | best s | transactions/s | filter vs this |",
        "|---|---|---:|---:|---:|",
    ]
    for m in measures:
        rate = transactions / m.seconds if m.seconds else 0
        share = m.seconds / filter_seconds if filter_seconds else 0
        lines.append(f"| {m.name} | {m.what} | {m.seconds:.2f} | {rate:,.0f} | {share:.2f} |")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    header = (
        f"{datetime.now():%Y-%m-%d}, {os.cpu_count()} cores, load average {load:.1f}, Python "
        f"{platform.python_version()}, duckdb {duckdb.__version__}. {args.days} days x {args.rows_per_day:,} "
        f"transactions ({transactions:,} in all, the same number of receipts), {len(files)} files, "
        f"{size / 1e6:.1f} MB ({', '.join(FORMATS)} alternating). Best of {args.runs}; all runs (s): "
        + "; ".join(f"{m.name} " + ", ".join(f"{t:.2f}" for t in m.runs) for m in measures)
        + "."
    )
    verdict = f"The filter read {read:,} transactions, kept {kept:,} and rejected {rejected:,}" + (
        ": exactly the generated tracked calls." if not problems else f". PROBLEMS: {'; '.join(problems)}"
    )
    text = "\n".join([header, "", *lines, "", verdict, ""])
    print(text)
    (OUT / "optimism_latest.md").write_text(text)
    if problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

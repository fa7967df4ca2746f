"""Benchmark the Postgres export against `psql \\copy` of the same rows.

Example:
    .venv/bin/python bench/bench_export_postgres.py                        # 1M rows, best of 3
    .venv/bin/python bench/bench_export_postgres.py --sizes 1m,10m --runs 1
    .venv/bin/python bench/bench_export_postgres.py --readme bench/README.md   # also update the README section

For each size it builds a mart in DuckDB (bench/out/export/warehouse_<n>.duckdb, reused when present) shaped
like the exported metric marts: metric varchar, project_id varchar (64 hex chars), sample_date date, amount
double, amount_wei decimal(38,0) (values up to ~1e25), updated_at timestamp, is_active boolean. DuckDB writes the
same rows to a CSV file. Then, best of --runs, each in a fresh process or table:

  psql \\copy   `psql -c "\\copy t from 'mart.csv' with (format csv)"` into a fresh table: the reference
  binary       ingestion.export.export_postgres(..., fmt="binary") in a child process
  csv          ingestion.export.export_postgres(..., fmt="csv") in a child process

The exports are timed two ways: the COPY phase (DuckDB scan + encoding + sending, like for like with psql, which
only sends a file it did not have to produce) and end to end (count, COPY, ANALYZE, swap). Their peak RSS shows
the memory stays bounded. The table is printed as markdown; --readme replaces the "Export to Postgres" section
of that file (between its markers) or appends it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import psycopg
from psycopg import sql

OUT = Path(__file__).resolve().parent / "out" / "export"
SCHEMA = "bench_export"
READER_ROLE = "bench_export_reader"
TABLE = "metrics_bench_v1"
COLUMNS = (
    ("metric", "varchar", "text"),
    ("project_id", "varchar", "text"),
    ("sample_date", "date", "date"),
    ("amount", "double", "double precision"),
    ("amount_wei", "decimal(38,0)", "numeric(38,0)"),
    ("updated_at", "timestamp", "timestamp without time zone"),
    ("is_active", "boolean", "boolean"),
)
SECTION = "## Export to Postgres"
START, END = "<!-- export-postgres:start -->", "<!-- export-postgres:end -->"


@dataclass(frozen=True)
class Measure:
    size: int
    name: str
    copy_seconds: float
    total_seconds: float
    runs: tuple[float, ...]
    peak_rss_mb: float | None = None

    @property
    def rows_per_second(self) -> float:
        return self.size / self.copy_seconds


def parse_size(text: str) -> int:
    text = text.strip().lower().replace("_", "")
    for suffix, factor in (("k", 1_000), ("m", 1_000_000)):
        if text.endswith(suffix):
            return int(float(text[: -len(suffix)]) * factor)
    return int(text)


def build_mart(size: int) -> tuple[Path, Path, Path]:
    """The DuckDB warehouse, its CSV twin and a manifest; reused when already built for this size."""
    OUT.mkdir(parents=True, exist_ok=True)
    warehouse, csv_path, manifest = (
        OUT / f"warehouse_{size}.duckdb",
        OUT / f"mart_{size}.csv",
        OUT / "manifest.json",
    )
    if not (warehouse.exists() and csv_path.exists()):
        started = time.perf_counter()
        warehouse.unlink(missing_ok=True)
        with duckdb.connect(str(warehouse)) as con:
            con.execute("create schema marts")
            con.execute(
                """
                create table marts.metrics_bench_v1 as
                select 'metric_' || (i % 23)::varchar as metric,
                       sha256(('project-' || (i % 50000))::varchar) as project_id,
                       date '2015-01-01' + (i % 4000)::integer as sample_date,
                       ((i % 100000) * 0.37)::double as amount,
                       (i::decimal(38, 0) * 123456789::decimal(38, 0) * 1000000000::decimal(38, 0)) as amount_wei,
                       timestamp '2024-01-01' + to_microseconds(i * 997) as updated_at,
                       i % 3 = 0 as is_active
                from range(?) as t(i)
                """,
                [size],
            )
            con.execute("copy marts.metrics_bench_v1 to ? (format csv, header false)", [str(csv_path)])
        print(
            f"built the {size:,}-row mart and its CSV in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
    node = {
        "resource_type": "model",
        "unique_id": f"model.impact.{TABLE}",
        "name": TABLE,
        "alias": TABLE,
        "database": None,
        "schema": "marts",
        "original_file_path": f"bench/{TABLE}",
        "config": {"contract": {"enforced": True}, "meta": {"export": True}},
        "columns": {name: {"name": name, "data_type": dtype} for name, dtype, _ in COLUMNS},
    }
    manifest.write_text(
        json.dumps({"metadata": {"adapter_type": "duckdb"}, "nodes": {node["unique_id"]: node}})
    )
    return warehouse, csv_path, manifest


def time_psql(url: str, csv_path: Path) -> float:
    target = sql.Identifier(SCHEMA, "psql_copy")
    definition = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t)) for n, _, t in COLUMNS
    )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(SCHEMA)))
        conn.execute(sql.SQL("drop table if exists {}").format(target))
        conn.execute(sql.SQL("create table {} ({})").format(target, definition))
        conn.execute("checkpoint")
    command = f"\\copy {SCHEMA}.psql_copy from '{csv_path}' with (format csv)"
    started = time.perf_counter()
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-q", "-c", command], check=True)
    return time.perf_counter() - started


def time_export(url: str, warehouse: Path, manifest: Path, fmt: str) -> tuple[float, float, float]:
    """(COPY seconds, end-to-end seconds, peak RSS MB) of one export, run in a fresh child process."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("checkpoint")
    child = subprocess.run(
        [sys.executable, __file__, "--child", str(warehouse), str(manifest), url, fmt],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(child.stdout.strip().splitlines()[-1])
    return result["copy_seconds"], result["total_seconds"], result["peak_rss_mb"]


def child(warehouse: str, manifest: str, url: str, fmt: str) -> None:
    from ingestion.export import DuckDBReader, export_postgres, tables_from_manifest

    with DuckDBReader(Path(warehouse)) as reader:
        summary = export_postgres(
            reader,
            url,
            tables_from_manifest(Path(manifest)),
            schema=SCHEMA,
            reader_role=READER_ROLE,
            progress=False,
            fmt=fmt,
        )
    if summary.failed:
        raise SystemExit(f"export failed: {summary.failures}")
    (table,) = summary.tables
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "copy_seconds": table.copy_seconds,
                "total_seconds": table.seconds,
                "peak_rss_mb": peak_kb / 1024,
            }
        )
    )


def measure(size: int, url: str, runs: int, formats: list[str]) -> list[Measure]:
    warehouse, csv_path, manifest = build_mart(size)
    timings: dict[str, list[tuple[float, float, float | None]]] = {
        "psql \\copy": [],
        **{f: [] for f in formats},
    }
    for run in range(runs):
        order = ["psql \\copy", *formats] if run % 2 == 0 else [*formats, "psql \\copy"]
        for name in order:
            if name == "psql \\copy":
                seconds = time_psql(url, csv_path)
                timings[name].append((seconds, seconds, None))
            else:
                timings[name].append(time_export(url, warehouse, manifest, name))
            print(f"{size:,} rows, run {run + 1}: {name}: {timings[name][-1][0]:.2f} s", file=sys.stderr)
    out = []
    for name, values in timings.items():
        best = min(values, key=lambda v: v[0])
        rss = max((v[2] for v in values if v[2] is not None), default=None)
        out.append(Measure(size, name, best[0], best[1], tuple(round(v[0], 3) for v in values), rss))
    return out


def table(measures: list[Measure]) -> str:
    lines = [
        "| rows | method | COPY s | rows/s | vs psql \\copy | end-to-end s | peak RSS MB | runs (s) |",
        "|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for m in measures:
        reference = next(x for x in measures if x.size == m.size and x.name == "psql \\copy")
        ratio = m.rows_per_second / reference.rows_per_second
        rss = "-" if m.peak_rss_mb is None else f"{m.peak_rss_mb:,.0f}"
        runs = ", ".join(f"{r:.2f}" for r in m.runs)
        lines.append(
            f"| {m.size:,} | {m.name} | {m.copy_seconds:.2f} | {m.rows_per_second:,.0f} | {ratio:.2f}x | "
            f"{m.total_seconds:.2f} | {rss} | {runs} |"
        )
    return "\n".join(lines)


def machine(url: str) -> str:
    with psycopg.connect(url) as conn:
        server = conn.execute("show server_version").fetchone()
    return (
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end, Python "
        f"{platform.python_version()}, duckdb {duckdb.__version__}, psycopg {psycopg.__version__}, "
        f"PostgreSQL {server[0] if server else '?'}"
    )


def write_readme(path: Path, body: str) -> None:
    block = f"{START}\n{body.strip()}\n{END}"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if START in text and END in text:
        before, rest = text.split(START, 1)
        _, after = rest.split(END, 1)
        text = before + block + after
    else:
        text = text.rstrip() + ("\n\n" if text.strip() else "") + f"{SECTION}\n\n{block}\n"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1m", help="comma-separated row counts, e.g. 1m,10m (default 1m)")
    parser.add_argument("--runs", type=int, default=3, help="best of this many runs (default 3)")
    parser.add_argument(
        "--formats", default="binary,csv", help="exporter formats to time (default binary,csv)"
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("IMPACT_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
        help="where to copy (default IMPACT_POSTGRES_URL or the local test database); schema bench_export",
    )
    parser.add_argument("--readme", type=Path, help="write the figures into this README's export section")
    parser.add_argument(
        "--child", nargs=4, metavar=("WAREHOUSE", "MANIFEST", "URL", "FORMAT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    measures: list[Measure] = []
    try:
        for size in sizes:
            measures += measure(size, args.postgres_url, args.runs, formats)
    finally:
        with psycopg.connect(args.postgres_url, autocommit=True) as conn:
            conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(SCHEMA)))
            conn.execute(
                sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(SCHEMA + "_staging"))
            )
            if conn.execute("select 1 from pg_roles where rolname = %s", [READER_ROLE]).fetchone():
                conn.execute(sql.SQL("drop owned by {}").format(sql.Identifier(READER_ROLE)))
                conn.execute(sql.SQL("drop role {}").format(sql.Identifier(READER_ROLE)))
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    report = f"{when}, {machine(args.postgres_url)}; best of {args.runs}.\n\n{table(measures)}"
    print(report)
    (OUT / "latest.md").write_text(report + "\n", encoding="utf-8")
    (OUT / "latest.json").write_text(json.dumps([asdict(m) for m in measures], indent=1), encoding="utf-8")
    if args.readme:
        write_readme(args.readme, report)


if __name__ == "__main__":
    main()

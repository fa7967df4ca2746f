"""Benchmark the GitHub first-stage filter against the floor: plain gzip decompression of the same files.

Example:
    .venv/bin/python bench/bench_github_filter.py                  # ~480,000 events, best of 3
    .venv/bin/python bench/bench_github_filter.py --events-per-hour 2000 --days 1 --runs 1   # a quick look

It generates (or reuses, when bench/out/gharchive/manifest.json says the same parameters made it) a set of
GH Archive hour files, then measures, best of --runs:

  zcat      `zcat FILES > /dev/null`: one decompressing process
  gzip x2   two `gzip -dc` processes at once, each over half of the files (by size): the floor of both cores,
            which the filter (an inflating thread beside the parsing one) is compared with
  zlib      Python's zlib inflating every file in 1 MiB blocks, output discarded
  filter    ingestion.sources.gharchive.ingest_github(con, dir, tracked, start, end, progress=False) into a fresh
            DuckDB file (bench/out/bench.duckdb), tracking the sample registry's repos

and prints a markdown table: seconds, events/s, MB/s of gzip read and of JSON inflated, and each row's throughput
as a share of zcat's, of the two processes' and of zlib's (GNU zcat inflates more slowly than zlib). It also checks the filter kept exactly the generated tracked events and rejected none.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from generate_gharchive import DEFAULT_OUT, GeneratedSet, add_arguments, load_or_generate, params_from

from ingestion.sample.gharchive import SAMPLE_REPOS

OUT = Path(__file__).resolve().parent / "out"


@dataclass(frozen=True)
class Tracked:
    """What ingest_github needs from the registry: lower-cased 'owner/repo' names and owners."""

    repos: frozenset[str]
    orgs: frozenset[str]


@dataclass(frozen=True)
class Measure:
    name: str
    what: str
    seconds: float  # best of the runs
    runs: tuple[float, ...]
    note: str = ""


def best_of(runs: int, once: Callable[[], object]) -> tuple[float, tuple[float, ...]]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        once()
        times.append(time.perf_counter() - started)
    return min(times), tuple(times)


def zcat(files: tuple[Path, ...]) -> None:
    command = shutil.which("zcat") or shutil.which("gzip")
    if command is None:
        raise SystemExit("neither zcat nor gzip is on PATH: install gzip to measure the floor")
    args = [command] if command.endswith("zcat") else [command, "-dc"]
    subprocess.run([*args, *map(str, files)], stdout=subprocess.DEVNULL, check=True)


def gzip_two_processes(files: tuple[Path, ...]) -> None:
    """Two `gzip -dc` processes at once, the files dealt to them largest first so their halves weigh alike."""
    command = shutil.which("gzip")
    if command is None:
        raise SystemExit("gzip is not on PATH: install gzip to measure the two-process floor")
    halves: tuple[list[str], list[str]] = ([], [])
    weights = [0, 0]
    for path in sorted(files, key=lambda f: f.stat().st_size, reverse=True):
        lighter = 0 if weights[0] <= weights[1] else 1
        halves[lighter].append(str(path))
        weights[lighter] += path.stat().st_size
    procs = [subprocess.Popen([command, "-dc", *half], stdout=subprocess.DEVNULL) for half in halves if half]
    for proc in procs:
        if proc.wait() != 0:
            raise SystemExit(f"gzip -dc exited with {proc.returncode}")


def python_zlib(files: tuple[Path, ...]) -> int:
    inflated = 0
    for path in files:
        with path.open("rb") as raw:
            inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
            while block := raw.read(1 << 20):
                inflated += len(inflater.decompress(block))
                while inflater.unused_data:  # a multi-member gzip file: start the next member
                    rest = inflater.unused_data
                    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
                    inflated += len(inflater.decompress(rest))
            inflated += len(inflater.flush())
    return inflated


def run_filter(generated: GeneratedSet, directory: Path, tracked: Tracked, db: Path) -> tuple[int, int, int]:
    from ingestion.sources.gharchive import ingest_github
    from ingestion.warehouse import connect

    for path in (db, db.with_name(db.name + ".wal")):
        path.unlink(missing_ok=True)
    con = connect(db)
    try:
        params = generated.params
        results = ingest_github(con, directory, tracked, params.first_day, params.last_day, progress=False)
    finally:
        con.close()
    return (
        sum(r.rows_read for r in results),
        sum(r.rows_kept for r in results),
        sum(r.rows_rejected for r in results),
    )


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, duckdb {duckdb.__version__}, "
        f"zlib {zlib.ZLIB_RUNTIME_VERSION}"
    )


def table(generated: GeneratedSet, measures: list[Measure]) -> str:
    events = generated.events
    gz_mb = generated.compressed_bytes / 1e6
    json_mb = generated.uncompressed_bytes / 1e6
    floor = next((m.seconds for m in measures if m.name == "zcat"), None)
    inflate = next((m.seconds for m in measures if m.name == "zlib"), None)
    both = next((m.seconds for m in measures if m.name == "gzip x2"), None)
    lines = [
        "| step | what | best s | events/s | gzip MB/s | JSON MB/s | vs zcat | vs gzip x2 | vs zlib | runs (s) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for m in measures:
        share = f"{floor / m.seconds:.2f}" if floor else "n/a"
        share_both = f"{both / m.seconds:.2f}" if both else "n/a"
        share_zlib = f"{inflate / m.seconds:.2f}" if inflate else "n/a"
        runs = ", ".join(f"{t:.2f}" for t in m.runs)
        lines.append(
            f"| {m.name} | {m.what} | {m.seconds:.2f} | {events / m.seconds:,.0f} | {gz_mb / m.seconds:,.1f} | "
            f"{json_mb / m.seconds:,.1f} | {share} | {share_both} | {share_zlib} | {runs} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser, DEFAULT_OUT)
    parser.add_argument(
        "--runs", type=int, default=3, help="runs of each step; the best is reported (default %(default)s)"
    )
    parser.add_argument("--regenerate", action="store_true", help="generate the files again even if reusable")
    parser.add_argument(
        "--track-orgs",
        action="store_true",
        help="also track the sample repos' owners as orgs (keeps their untracked repos' events too)",
    )
    parser.add_argument("--no-filter", action="store_true", help="measure only the decompression floor")
    args = parser.parse_args(argv)
    if args.runs < 1:
        raise SystemExit("--runs must be at least 1")
    params = params_from(args)

    generated = load_or_generate(args.out, params, regenerate=args.regenerate)
    how = f"generated in {generated.seconds:.1f} s" if generated.seconds else "reused"
    print(
        f"{len(generated.files)} hour files in {args.out} ({how}): {generated.events:,} events, "
        f"{generated.tracked_events:,} tracked, {generated.compressed_bytes / 1e6:,.1f} MB gzip, "
        f"{generated.uncompressed_bytes / 1e6:,.1f} MB JSON",
        file=sys.stderr,
    )

    measures = []
    seconds, runs = best_of(args.runs, lambda: zcat(generated.files))
    measures.append(Measure("zcat", "`zcat files > /dev/null`", seconds, runs))
    seconds, runs = best_of(args.runs, lambda: gzip_two_processes(generated.files))
    measures.append(Measure("gzip x2", "two `gzip -dc` processes, half the files each", seconds, runs))
    inflated: list[int] = []
    seconds, runs = best_of(args.runs, lambda: inflated.append(python_zlib(generated.files)))
    if inflated[-1] != generated.uncompressed_bytes:
        raise SystemExit(
            f"zlib inflated {inflated[-1]:,} bytes, the manifest says {generated.uncompressed_bytes:,}"
        )
    measures.append(Measure("zlib", "Python zlib, 1 MiB blocks", seconds, runs))

    check = ""
    if not args.no_filter:
        try:
            import ingestion.sources.gharchive  # noqa: F401
        except ImportError as exc:
            print(f"ingest_github is not available yet ({exc}); measured the floor only", file=sys.stderr)
        else:
            owners = frozenset(name.split("/", 1)[0].lower() for name in SAMPLE_REPOS)
            tracked = Tracked(
                repos=frozenset(name.lower() for name in SAMPLE_REPOS),
                orgs=owners if args.track_orgs else frozenset(),
            )
            counts: list[tuple[int, int, int]] = []
            db = OUT / "bench.duckdb"
            seconds, runs = best_of(
                args.runs, lambda: counts.append(run_filter(generated, args.out, tracked, db))
            )
            read, kept, rejected = counts[-1]
            what = "`ingest_github` into a fresh DuckDB file" + (" (repos + orgs)" if args.track_orgs else "")
            measures.append(Measure("filter", what, seconds, runs))
            check = f"filter read {read:,} lines, kept {kept:,}, rejected {rejected:,}"
            if not args.track_orgs:
                ok = read == generated.events and kept == generated.tracked_events and rejected == 0
                check += (
                    f" (expected {generated.events:,} / {generated.tracked_events:,} / 0: "
                    f"{'ok' if ok else 'MISMATCH'})"
                )

    p = generated.params
    header = (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}\n\n"
        f"Data: {len(generated.files)} hour files from {p.start}, {p.days} day(s), {p.events_per_hour:,} events/hour, "
        f"tracked fraction {p.tracked_fraction}, seed {p.seed}: {generated.events:,} events, "
        f"{generated.compressed_bytes / 1e6:,.1f} MB gzip, {generated.uncompressed_bytes / 1e6:,.1f} MB JSON. "
        f"Best of {args.runs}."
    )
    report = f"{header}\n\n{table(generated, measures)}\n" + (f"\n{check}\n" if check else "")
    print(report)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "latest.md").write_text(report)
    summary = {"params": asdict(p), "events": generated.events, "measures": [asdict(m) for m in measures]}
    (OUT / "latest.json").write_text(json.dumps(summary, indent=2) + "\n")
    return 0 if "MISMATCH" not in check else 1


if __name__ == "__main__":
    sys.exit(main())

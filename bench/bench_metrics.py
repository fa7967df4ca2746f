"""Benchmark the metric layer: `dbt build` of models/marts/metrics over generated warehouses of growing size.

Example:
    .venv/bin/python bench/bench_metrics.py                                  # 1M, 5M and 25M events
    .venv/bin/python bench/bench_metrics.py --sizes 1m --projects 50 --days 90   # a quick look (~1 min)
    .venv/bin/python bench/bench_metrics.py --readme bench/README.md          # also rewrite the figures there

For each size it makes a fresh DuckDB file in bench/out/metrics/, builds the layers below the metric models with
dbt (empty: the raw layer has no rows), then fills the tables the metric models read with generated rows, written
straight with DuckDB SQL (generating 25M events through GH Archive files and staging would take far longer than
the thing measured):

  int_events                     N events over --days days on the repos of --projects projects; a project's share
                                 and a person's share follow power laws (a few big projects, a few prolific
                                 people); 2% of the people are bots; no COMMIT_CODE on the last two days (GH
                                 Archive's 2025-10-07 change) but pushes go on
  int_artifacts_by_project       1 to 6 repositories per project
  int_projects_by_collection     --collections collections of 40 projects each (they overlap)
  stg_github__pull_requests      one merged pull request per PULL_REQUEST_MERGED event, open for 0 to 30 days
  int_github__payload_coverage   one row per day, commits and merges unknown on the last two
  projects_v1                    the projects

Then it times, as subprocesses of the project's own dbt:

  full         dbt build --full-refresh --select path:models/marts/metrics   (models, unit tests, data tests)
  incremental  one more day of events (N / days) appended, then dbt build --select path:models/marts/metrics

The projects, days and people stay the same for every size, so the output (rows per metric: entities x days x
windows) is the same and only the number of events grows. A size is skipped when the previous one's full build
passed --budget-seconds. Results go to bench/out/metrics_latest.md and .json.
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
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from ingestion.warehouse import connect

REPO_ROOT = Path(__file__).resolve().parents[1]
OUT = REPO_ROOT / "bench" / "out"
METRICS_SELECTION = "path:models/marts/metrics"
LAST_DAY = date(2025, 10, 8)  # GH Archive's payload change was on 2025-10-07: the last two days lack commits
README_START = "<!-- metrics:start -->"
README_END = "<!-- metrics:end -->"

# Event types and their share (per mille) of the generated events: roughly GH Archive's mix on tracked repos.
EVENT_MIX: tuple[tuple[str, int], ...] = (
    ("PUSH", 220),
    ("COMMIT_CODE", 300),
    ("PULL_REQUEST_OPENED", 60),
    ("PULL_REQUEST_CLOSED", 50),
    ("PULL_REQUEST_MERGED", 35),
    ("PULL_REQUEST_REVIEW_COMMENT", 80),
    ("ISSUE_OPENED", 40),
    ("ISSUE_CLOSED", 30),
    ("ISSUE_COMMENT", 130),
    ("STARRED", 40),
    ("FORKED", 10),
    ("RELEASE_PUBLISHED", 5),
)


@dataclass(frozen=True)
class Shape:
    projects: int
    collections: int
    days: int
    people: int

    @property
    def first_day(self) -> date:
        return LAST_DAY - timedelta(days=self.days - 1)


@dataclass(frozen=True)
class Result:
    events: int
    generate_seconds: float
    full_seconds: float
    incremental_seconds: float
    added_events: int
    output_rows: int
    metric_models: int


def parse_size(text: str) -> int:
    text = text.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    number = text[:-1] if text[-1] in "km" else text
    return int(float(number) * factor)


def run_dbt(run_dir: Path, *args: str) -> float:
    """Run the project's dbt on the run's warehouse; returns the wall time. Exits with dbt's output on failure."""
    env = {
        **os.environ,
        "IMPACT_DUCKDB_PATH": str(run_dir / "warehouse.duckdb"),
        "IMPACT_DBT_TARGET": "local",
        "DBT_PROFILES_DIR": str(run_dir / "profiles"),
    }
    command = [
        str(Path(sys.executable).parent / "dbt"),
        *args,
        "--warn-error",
        "--project-dir",
        str(REPO_ROOT),
        "--target-path",
        str(run_dir / "target"),
        "--log-path",
        str(run_dir / "logs"),
    ]
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}")
    return seconds


def relations(run_dir: Path, names: tuple[str, ...]) -> dict[str, str]:
    manifest = json.loads((run_dir / "target" / "manifest.json").read_text())
    found = {
        node["name"]: node["relation_name"]
        for node in manifest["nodes"].values()
        if node.get("name") in names
    }
    missing = set(names) - set(found)
    if missing:
        raise SystemExit(f"not in the dbt manifest: {', '.join(sorted(missing))}")
    return found


def event_type_case(draw: str) -> str:
    """A SQL CASE turning a number in 0..999 into an event type, by EVENT_MIX."""
    whens, upper = [], 0
    for event_type, share in EVENT_MIX:
        upper += share
        whens.append(f"when {draw} < {upper} then '{event_type}'")
    return "case " + " ".join(whens) + " else 'PUSH' end"


def fill(con: duckdb.DuckDBPyConnection, rel: dict[str, str], shape: Shape, events: int) -> None:
    """Replace the contents of the tables the metric models read with generated rows."""
    first = shape.first_day.isoformat()
    # Projects and their repos: project p has 1 + p % 6 repositories, repo ids p * 10 + r.
    con.execute(f"delete from {rel['projects_v1']}")  # noqa: S608
    con.execute(
        f"insert into {rel['projects_v1']} by name "  # noqa: S608
        "select 'p' || p as project_id, 'project-' || p as project_name, 'Project ' || p as display_name "
        "from range(?) as t(p)",
        [shape.projects],
    )
    con.execute(f"delete from {rel['int_artifacts_by_project']}")  # noqa: S608
    con.execute(
        f"insert into {rel['int_artifacts_by_project']} by name "  # noqa: S608
        "select 'r' || (p * 10 + r) as artifact_id, 'GITHUB' as artifact_source, 'org' || p as artifact_namespace, "
        "'repo' || r as artifact_name, 'REPOSITORY' as artifact_type, p * 10 + r as repo_id, "
        "'p' || p as project_id, 'project-' || p as project_name "
        "from range(?) as t(p), range(6) as u(r) where r <= p % 6",
        [shape.projects],
    )
    con.execute(f"delete from {rel['int_projects_by_collection']}")  # noqa: S608
    con.execute(
        f"insert into {rel['int_projects_by_collection']} by name "  # noqa: S608
        "select 'c' || c as collection_id, 'collection-' || c as collection_name, "
        "'p' || ((c * 37 + k) % ?) as project_id, 'project-' || ((c * 37 + k) % ?) as project_name "
        "from range(?) as t(c), range(40) as u(k)",
        [shape.projects, shape.projects, shape.collections],
    )
    con.execute(f"delete from {rel['int_events']}")  # noqa: S608
    append_events(con, rel, shape, 0, events, shape.first_day, shape.days)
    con.execute(f"delete from {rel['int_github__payload_coverage']}")  # noqa: S608
    add_coverage(con, rel, shape.first_day, LAST_DAY)
    con.execute(f"delete from {rel['stg_github__pull_requests']}")  # noqa: S608
    add_pull_requests(con, rel, date.fromisoformat(first))


def append_events(
    con: duckdb.DuckDBPyConnection,
    rel: dict[str, str],
    shape: Shape,
    offset: int,
    count: int,
    first_day: date,
    days: int,
) -> None:
    """`count` events numbered from `offset`, spread over `days` days from `first_day`. Every draw is a hash of
    the event number, so a size always gets the same events. No COMMIT_CODE from 2025-10-07 on (GH Archive's
    change): those draws become pushes, as they would be."""
    event_type = event_type_case("(hash(i, 'type') % 1000)")
    con.execute(
        f"""
        insert into {rel["int_events"]} by name
        with draws as (
            select
                i,
                cast(? as timestamp) + to_days(cast(hash(i, 'day') % ? as integer))
                    + to_seconds(cast(hash(i, 'second') % 86400 as bigint)) as time,
                {event_type} as drawn_type,
                -- a project's share follows a power law: a few big projects, a long tail
                cast(floor(? * pow((hash(i, 'project') % 1000000) / 1000000.0, 3)) as bigint) as p,
                cast(hash(i, 'repo') % 6 as bigint) as r,
                -- a person's share too: a few people do most of the work
                cast(floor(? * pow((hash(i, 'person') % 1000000) / 1000000.0, 2)) as bigint) as person
            from range(?, ?) as t(i)
        )
        select
            time,
            case
                when drawn_type = 'COMMIT_CODE' and time >= timestamp '2025-10-07' then 'PUSH'
                else drawn_type
            end as event_type,
            'GITHUB' as event_source,
            'e' || i as event_source_id,
            'r' || (p * 10 + r % (1 + p % 6)) as to_artifact_id,
            'org' || p as to_artifact_namespace,
            'repo' || (r % (1 + p % 6)) as to_artifact_name,
            'REPOSITORY' as to_artifact_type,
            'u' || person as from_artifact_id,
            'user' || person as from_artifact_namespace,
            null as from_artifact_name,
            case when person % 50 = 7 then 'BOT' else 'GITHUB_USER' end as from_artifact_type,
            1.0 as amount
        from draws
        """,  # noqa: S608 (relation names from the dbt manifest; values are parameters)
        [first_day, days, shape.projects, shape.people, offset, offset + count],
    )


def add_coverage(
    con: duckdb.DuckDBPyConnection, rel: dict[str, str], first_day: date, last_day: date
) -> None:
    con.execute(
        f"""
        insert into {rel["int_github__payload_coverage"]} by name
        select
            cast(day as date) as archive_day,
            cast(day as date) < date '2025-10-07' as commits_known,
            cast(day as date) < date '2025-10-07' as merges_known
        from range(cast(? as timestamp), cast(? as timestamp) + interval 1 day, interval 1 day) as t(day)
        """,  # noqa: S608 (relation names from the dbt manifest; values are parameters)
        [first_day, last_day],
    )


def add_pull_requests(con: duckdb.DuckDBPyConnection, rel: dict[str, str], since: date) -> None:
    """One merged pull request per PULL_REQUEST_MERGED event on or after `since`, opened 0 to 30 days before."""
    con.execute(
        f"""
        insert into {rel["stg_github__pull_requests"]} by name
        select
            events.event_source_id as event_id,
            events.time as created_at,
            artifacts.repo_id,
            'closed' as action,
            row_number() over () as pr_number,
            false as is_bot_actor,
            true as is_merged,
            events.time - to_seconds(cast(hash(events.event_source_id) % (30 * 86400) as bigint)) as pr_created_at,
            events.time as pr_merged_at
        from {rel["int_events"]} as events
        inner join {rel["int_artifacts_by_project"]} as artifacts on events.to_artifact_id = artifacts.artifact_id
        where events.event_type = 'PULL_REQUEST_MERGED' and events.time >= ?
        """,  # noqa: S608 (relation names from the dbt manifest; values are parameters)
        [since],
    )


def output_rows(con: duckdb.DuckDBPyConnection, run_dir: Path) -> tuple[int, int]:
    manifest = json.loads((run_dir / "target" / "manifest.json").read_text())
    metric_models = [
        node["relation_name"]
        for node in manifest["nodes"].values()
        if node.get("resource_type") == "model"
        and node.get("original_file_path", "").startswith("models/marts/metrics/")
        and node.get("config", {}).get("materialized") == "incremental"
    ]
    rows = sum(con.execute(f"select count(*) from {name}").fetchall()[0][0] for name in metric_models)  # noqa: S608
    return rows, len(metric_models)


def run_size(events: int, shape: Shape, keep: bool) -> Result:
    run_dir = OUT / "metrics" / f"events_{events}"
    shutil.rmtree(run_dir, ignore_errors=True)
    (run_dir / "profiles").mkdir(parents=True)
    shutil.copyfile(REPO_ROOT / "profiles.example.yml", run_dir / "profiles" / "profiles.yml")
    connect(run_dir / "warehouse.duckdb").close()  # the raw layer's (empty) tables

    print(f"[{events:,} events] building the layers below the metric models (empty)", flush=True)
    run_dbt(
        run_dir,
        "build",
        "--select",
        f"+{METRICS_SELECTION}",
        "--exclude",
        METRICS_SELECTION,
        "--resource-type",
        "model",
        "--resource-type",
        "seed",
    )
    names = (
        "int_events",
        "int_artifacts_by_project",
        "int_projects_by_collection",
        "stg_github__pull_requests",
        "int_github__payload_coverage",
        "projects_v1",
    )
    rel = relations(run_dir, names)
    started = time.perf_counter()
    con = duckdb.connect(str(run_dir / "warehouse.duckdb"))
    try:
        fill(con, rel, shape, events)
        con.execute("checkpoint")
    finally:
        con.close()
    generate_seconds = time.perf_counter() - started
    print(
        f"[{events:,} events] generated in {generate_seconds:.1f} s; dbt build of the metric layer",
        flush=True,
    )

    full_seconds = run_dbt(run_dir, "build", "--full-refresh", "--select", METRICS_SELECTION)
    print(f"[{events:,} events] full build {full_seconds:.1f} s; adding a day", flush=True)

    added = max(1, events // shape.days)
    next_day = LAST_DAY + timedelta(days=1)
    con = duckdb.connect(str(run_dir / "warehouse.duckdb"))
    try:
        append_events(con, rel, shape, events, added, next_day, 1)
        add_coverage(con, rel, next_day, next_day)
        add_pull_requests(con, rel, next_day)
        con.execute("checkpoint")
    finally:
        con.close()
    incremental_seconds = run_dbt(run_dir, "build", "--select", METRICS_SELECTION)
    con = duckdb.connect(str(run_dir / "warehouse.duckdb"), read_only=True)
    try:
        rows, models = output_rows(con, run_dir)
    finally:
        con.close()
    print(
        f"[{events:,} events] incremental build {incremental_seconds:.1f} s, {rows:,} metric rows", flush=True
    )
    if not keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    return Result(events, generate_seconds, full_seconds, incremental_seconds, added, rows, models)


def table(results: list[Result], shape: Shape, skipped: list[int]) -> str:
    lines = [
        "| events | generate s | full build s | events/s (full) | x events | x time | incremental build s "
        "| metric rows |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    base = results[0] if results else None
    for r in results:
        ratio_events = r.events / base.events if base else 1
        ratio_time = r.full_seconds / base.full_seconds if base else 1
        lines.append(
            f"| {r.events:,} | {r.generate_seconds:.1f} | {r.full_seconds:.1f} | {r.events / r.full_seconds:,.0f} "
            f"| {ratio_events:.0f}x | {ratio_time:.2f}x | {r.incremental_seconds:.1f} (+{r.added_events:,} events) "
            f"| {r.output_rows:,} |"
        )
    for events in skipped:
        lines.append(
            f"| {events:,} | skipped: the previous size's full build passed the budget | | | | | | |"
        )
    header = (
        f"{datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"duckdb {duckdb.__version__}. {shape.projects} projects (1-6 repos each), {shape.collections} "
        f"collections of 40, {shape.days} days ({shape.first_day} to {LAST_DAY}), {shape.people:,} people; "
        f"{results[0].metric_models if results else 14} metric models."
    )
    return header + "\n\n" + "\n".join(lines) + "\n"


def rewrite_readme(path: Path, text: str) -> None:
    readme = path.read_text()
    if README_START not in readme or README_END not in readme:
        raise SystemExit(f"{path}: no {README_START} ... {README_END} markers to put the figures between")
    head, rest = readme.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    path.write_text(f"{head}{README_START}\n{text}{README_END}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", nargs="+", default=["1m", "5m", "25m"], help="event counts, e.g. 1m 5m 25m"
    )
    parser.add_argument("--projects", type=int, default=300)
    parser.add_argument("--collections", type=int, default=12)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--people", type=int, default=30_000)
    parser.add_argument(
        "--budget-seconds",
        type=float,
        default=600,
        help="skip the larger sizes once a full build took this long",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep each size's warehouse in bench/out/metrics/"
    )
    parser.add_argument(
        "--readme", type=Path, help="rewrite the figures between the metrics markers of this file"
    )
    args = parser.parse_args()

    shape = Shape(args.projects, args.collections, args.days, args.people)
    results: list[Result] = []
    skipped: list[int] = []
    for size in sorted(parse_size(s) for s in args.sizes):
        if results and results[-1].full_seconds > args.budget_seconds:
            skipped.append(size)
            continue
        results.append(run_size(size, shape, args.keep))
    text = table(results, shape, skipped)
    print(text)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "metrics_latest.md").write_text(text)
    (OUT / "metrics_latest.json").write_text(
        json.dumps({"shape": asdict(shape), "results": [asdict(r) for r in results]}, indent=2)
    )
    if args.readme:
        rewrite_readme(args.readme, text)


if __name__ == "__main__":
    main()

"""What the CLI prints from the warehouse: per-project activity, load status."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from rich.console import Console
from rich.table import Table

from ingestion.bigquery.jobs import human_bytes
from ingestion.errors import ConfigError

if TYPE_CHECKING:
    from ingestion.bigquery.raw import BigQueryRaw

ACTIVITY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("PUSH", "pushes"),
    ("COMMIT_CODE", "commits"),
    ("PULL_REQUEST_OPENED", "PR opened"),
    ("PULL_REQUEST_MERGED", "PR merged"),
    ("ISSUE_OPENED", "issue opened"),
    ("ISSUE_CLOSED", "issue closed"),
    ("ISSUE_COMMENT", "comments"),
    ("STARRED", "stars"),
    ("FORKED", "forks"),
    ("RELEASE_PUBLISHED", "releases"),
    ("CONTRACT_INVOCATION", "OP calls"),
    ("GAS_FEE", "OP gas ETH"),
)
"""(event type, column label) of the activity table; GAS_FEE sums an amount in ETH, the others count events."""


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    if not path.exists():
        raise ConfigError(
            f"no warehouse at {path}: run `impact run --start D --end D` (or `impact demo`) first"
        )
    return duckdb.connect(str(path), read_only=True)


def has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(found and found[0])


def activity_table(con: duckdb.DuckDBPyConnection) -> Table:
    """One row per project, one column per event type: event counts summed over every loaded day."""
    if not has_table(con, "marts", "events_daily_to_project"):
        raise ConfigError(
            "marts.events_daily_to_project is missing: run `impact run` (it ends with dbt build)"
        )
    rows = con.execute(
        """
        select p.project_name, e.event_type, coalesce(sum(e.amount), 0)
        from marts.projects_v1 as p
        left join marts.events_daily_to_project as e on e.project_id = p.project_id
        group by all
        """
    ).fetchall()
    days = con.execute(
        "select min(bucket_day), max(bucket_day) from marts.events_daily_to_project"
    ).fetchone()
    counts: dict[str, dict[str, float]] = {}
    for project, event_type, amount in rows:
        counts.setdefault(project, {})
        if event_type is not None:
            counts[project][event_type] = float(amount)
    title = "Activity per project"
    if days and days[0] is not None:
        title += f", {days[0]} to {days[1]} (events by type)"
    table = Table(title=title)
    table.add_column("project", style="bold", no_wrap=True)
    for _, label in ACTIVITY_COLUMNS:
        table.add_column(label, justify="right")
    for project in sorted(counts, key=lambda p: (-sum(counts[p].values()), p)):
        table.add_row(project, *(_amount(t, counts[project].get(t, 0.0)) for t, _ in ACTIVITY_COLUMNS))
    return table


def _amount(event_type: str, value: float) -> str:
    return f"{value:,.4f}" if event_type == "GAS_FEE" else f"{value:,.0f}"


def coverage_notes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Days where GH Archive payloads no longer say commits or merges (the 2025-10-07 change)."""
    if not has_table(con, "marts", "github_data_coverage_v1"):
        return []
    notes = []
    rows = con.execute(
        "select archive_day, commits_known, merges_known from marts.github_data_coverage_v1 order by archive_day"
    ).fetchall()
    no_commits = [str(d) for d, commits, _ in rows if commits is False]
    no_merges = [str(d) for d, _, merges in rows if merges is False]
    if no_commits:
        notes.append(
            f"commits unknown on {', '.join(no_commits)}: GH Archive push payloads stopped listing commits on "
            "2025-10-07, so commit counts for those days are not zero but unknown"
        )
    if no_merges:
        notes.append(
            f"merges unknown on {', '.join(no_merges)}: pull request payloads stopped saying `merged` on 2025-10-07"
        )
    return notes


def print_activity(path: Path, console: Console) -> None:
    con = open_read_only(path)
    try:
        console.print(activity_table(con))
        for note in coverage_notes(con):
            console.print(f"[yellow]note:[/] {note}")
    finally:
        con.close()


_LOADS_SQL = """
    select source, day, status, rows_read, rows_kept, rows_rejected,
           coalesce(array_length(missing_files), 0), finished_at, duration_seconds, error, bytes_billed
    from raw._loads
    qualify row_number() over (partition by source, day order by finished_at desc) = 1
    order by source, day
"""
_LAST_BUILD_SQL = (
    "select command, status, finished_at, duration_seconds, results from raw._builds "
    "order by finished_at desc limit 1"
)


def status_tables(path: Path) -> list[Table]:
    """What has been loaded per source and day (latest attempt per day) and the last dbt build (DuckDB)."""
    con = open_read_only(path)
    try:
        columns = {
            row[0]
            for row in con.execute(
                "select column_name from information_schema.columns where table_schema = 'raw' and table_name = '_loads'"
            ).fetchall()
        }
        sql = _LOADS_SQL if "bytes_billed" in columns else _LOADS_SQL.replace("bytes_billed", "null")
        loads = con.execute(sql).fetchall()
        last_build = con.execute(_LAST_BUILD_SQL).fetchone() if has_table(con, "raw", "_builds") else None
    finally:
        con.close()
    return _status(str(path), loads, last_build)


def status_tables_bigquery(raw: BigQueryRaw) -> list[Table]:
    """The same from the project's raw dataset on BigQuery (two small queries, priced like every other)."""
    loads_sql = _LOADS_SQL.replace("raw._loads", raw.table_sql("_loads"))
    loads = [
        tuple(row.values())
        for row in raw.runner.run(loads_sql, [], "status: raw._loads", quiet=True).job.result()
    ]
    build_sql = _LAST_BUILD_SQL.replace("raw._builds", raw.table_sql("_builds"))
    builds = [
        tuple(row.values())
        for row in raw.runner.run(build_sql, [], "status: raw._builds", quiet=True).job.result()
    ]
    return _status(raw.dataset, loads, builds[0] if builds else None)


def _status(where: str, loads: list[tuple], last_build: tuple | None) -> list[Table]:
    loaded = Table(title=f"Loaded ({where})")
    headers = (
        "source",
        "day",
        "status",
        "read",
        "kept",
        "rejected",
        "missing",
        "loaded (UTC)",
        "s",
        "billed",
    )
    for name in headers:
        left = name in {"source", "day", "status"}
        loaded.add_column(name, justify="left" if left else "right", no_wrap=name != "status")
    for source, day, status, read, kept, rejected, missing, finished, seconds, error, billed in loads:
        shown = status if status == "ok" else f"[red]{status}[/]: {error}"
        loaded.add_row(
            source,
            str(day or "-"),
            shown,
            f"{read or 0:,}",
            f"{kept or 0:,}",
            f"{rejected or 0:,}",
            str(missing),
            f"{finished:%m-%d %H:%M}",
            f"{seconds:.2f}",
            "-" if billed is None else human_bytes(billed),
        )
    tables = [loaded]
    build = Table(title="Last dbt build")
    for name in ("finished", "command", "status", "seconds", "results"):
        build.add_column(name, justify="right" if name == "seconds" else "left")
    if last_build:
        command, status, finished, seconds, results = last_build
        counts = json.loads(results or "{}")
        build.add_row(
            f"{finished:%Y-%m-%d %H:%M:%S}",
            command,
            status if status == "ok" else f"[red]{status}[/]",
            f"{seconds:.1f}",
            ", ".join(f"{k}={v}" for k, v in sorted(counts.items())),
        )
    else:
        build.add_row("never", "-", "-", "-", "run `impact run` or `impact build`")
    tables.append(build)
    return tables

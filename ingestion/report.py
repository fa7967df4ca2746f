"""What the CLI prints from the warehouse: per-project activity, and `impact status` (tables, markdown)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from rich.console import Console
from rich.table import Table

from ingestion.bigquery.jobs import human_bytes
from ingestion.errors import ConfigError
from ingestion.fingerprint import short

if TYPE_CHECKING:
    from ingestion.run_state import RunRecord
    from ingestion.status import Status

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


# --- impact status ------------------------------------------------------------------------------------------


def _when(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return "-" if value is None else f"{value:{fmt}}"


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 120:
        return f"{value / 60:.1f} min"
    return f"{value:.1f} s"


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    hours = seconds / 3600
    return f"{hours / 24:.1f} d" if hours >= 48 else f"{hours:.1f} h"


def _billed(value: object) -> str:
    return "-" if value is None else human_bytes(int(str(value)))


def _stage_rows(record: RunRecord) -> list[tuple[str, ...]]:
    """stage, status, rows, rejected, missing, bytes billed, duration, note: one row per stage of a run."""
    rows: list[tuple[str, ...]] = []
    for stage in record.stages:
        detail = dict(stage.detail)
        note = stage.error or detail.get("reason") or ""
        if detail.get("skipped_days"):
            note = f"{detail['skipped_days']} days already loaded, skipped" + (f"; {note}" if note else "")
        if detail.get("done_by_run"):
            note = f"done by run {str(detail['done_by_run'])[:8]}" + (f"; {note}" if note else "")
        rows.append(
            (
                stage.name,
                stage.status,
                f"{detail['rows']:,}" if "rows" in detail else "-",
                f"{detail['rejected']:,}" if "rejected" in detail else "-",
                str(detail["missing"]) if "missing" in detail else "-",
                _billed(detail.get("bytes_billed")),
                _seconds(stage.seconds),
                str(note).splitlines()[0] if note else "",
            )
        )
    return rows


_STAGE_HEADERS = ("stage", "status", "rows", "rejected", "missing", "billed", "duration", "note")


def _colour(status: str) -> str:
    if status in ("ok", "pass"):
        return f"[green]{status}[/]"
    if status in ("running", "warn", "skipped"):
        return f"[yellow]{status}[/]"
    return f"[red]{status}[/]"


def status_tables(status: Status) -> list[Table]:
    """`impact status` for people: the run, the loads per source and day, freshness, the last build."""
    tables: list[Table] = []
    for title, record, shown in (
        ("Last command", status.latest, status.latest_status),
        ("Last `impact run`", status.last_run, None),
    ):
        if record is None:
            continue
        table = Table(
            title=f"{title}: {record.command} - {_colour(shown or record.status)} "
            f"(pid {record.pid} on {record.host}, started {_when(record.started_at)} UTC)",
            title_justify="left",
        )
        for name in _STAGE_HEADERS:
            table.add_column(name, justify="left" if name in ("stage", "status", "note") else "right")
        for row in _stage_rows(record):
            table.add_row(row[0], _colour(row[1]), *row[2:])
        tables.append(table)
    if not status.readable:
        return tables

    loaded = Table(
        title=f"Loaded ({status.where}): the latest attempt per source and day", title_justify="left"
    )
    for name in (
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
    ):
        left = name in {"source", "day", "status"}
        loaded.add_column(name, justify="left" if left else "right", no_wrap=name != "status")
    loaded.add_column("registry", justify="left")
    for load in status.loads:
        shown = load.status if load.status == "ok" else f"[red]{load.status}[/]: {load.error}"
        loaded.add_row(
            load.source,
            str(load.day or "-"),
            shown,
            f"{load.rows_read:,}",
            f"{load.rows_kept:,}",
            f"{load.rows_rejected:,}",
            str(len(load.missing_files)),
            _when(load.finished_at, "%m-%d %H:%M"),
            "-" if load.seconds is None else f"{load.seconds:.2f}",
            _billed(load.bytes_billed),
            short(load.registry_fingerprint),
        )
    tables.append(loaded)

    fresh = Table(
        title=f"Source freshness (dbt source freshness, checked {_when(status.freshness_checked_at)} UTC)",
        title_justify="left",
    )
    for name in ("source", "status", "newest loaded_at", "age then", "warn after", "error after"):
        fresh.add_column(name)
    for entry in status.freshness:
        fresh.add_row(
            entry.source,
            _colour(entry.status),
            entry.max_loaded_at or "-",
            _age(entry.age_seconds),
            entry.warn_after or "-",
            entry.error_after or "-",
        )
    if not status.freshness:
        fresh.add_row("never checked", "-", "-", "-", "-", "run `impact freshness`")
    tables.append(fresh)

    build = Table(title="Last dbt build", title_justify="left")
    for name in ("finished (UTC)", "command", "status", "duration", "results", "failed", "warned", "skipped"):
        build.add_column(name, justify="right" if name == "duration" else "left")
    if status.build:
        b = status.build
        build.add_row(
            _when(b.finished_at),
            b.command,
            _colour(b.status),
            _seconds(b.seconds),
            ", ".join(f"{k}={v}" for k, v in sorted(b.counts.items())),
            "\n".join(b.failed_nodes) or "-",
            "\n".join(b.warned_nodes) or "-",
            "\n".join(b.skipped_nodes) or "-",
        )
    else:
        build.add_row("never", "-", "-", "-", "run `impact run` or `impact build`", "-", "-", "-")
    tables.append(build)
    return tables


def print_status(status: Status, console: Console) -> None:
    for table in status_tables(status):
        console.print(table)
    for problem in status.problems:
        console.print(f"[red]problem:[/] {problem}", soft_wrap=True)
    for note in status.notes:
        console.print(f"[yellow]note:[/] {note}", soft_wrap=True)
    if status.problems:
        console.print(f"[red]{len(status.problems)} problem(s)[/]: exit code 1")
    elif status.running:
        console.print("[yellow]a run is in progress[/]")
    else:
        console.print("[green]healthy[/]")


def _md(text: object) -> str:
    """A table cell: pipes escaped, one line."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]


def status_markdown(status: Status) -> str:
    """The status as GitHub-flavoured markdown, for $GITHUB_STEP_SUMMARY: the verdict, the problems and notes, the
    last run's stages (rows, bytes billed, duration), loads per source, freshness, the last build's failed, warned
    and skipped nodes by name, and the days of GH Archive's 2025-10-07 change."""
    if status.problems:
        verdict = f"{len(status.problems)} problem(s)"
    elif status.running:
        verdict = "a run is in progress"
    else:
        verdict = "healthy"
    lines = [
        f"## impact status: {verdict}",
        "",
        f"Target `{status.target}`, `{status.where}`, checked {_when(status.checked_at)} UTC.",
        "",
    ]
    lines += [f"- **problem**: {_md(p)}" for p in status.problems]
    lines += [f"- note: {_md(n)}" for n in status.notes]
    if status.problems or status.notes:
        lines.append("")
    for title, record, shown in (
        ("Last command", status.latest, status.latest_status),
        ("Last `impact run`", status.last_run, None),
    ):
        if record is None:
            continue
        lines += [
            f"### {title}: `{record.command}`, {shown or record.status}",
            "",
            f"Started {_when(record.started_at)} UTC, ended {_when(record.finished_at)} UTC.",
            "",
        ]
        lines += _md_table(_STAGE_HEADERS, _stage_rows(record))
    if not status.readable:
        return "\n".join(lines)
    lines += ["### Loads per source", ""]
    per_source = []
    for source in sorted({load.source for load in status.loads}):
        loads = [load for load in status.loads if load.source == source]
        days = sorted(load.day for load in loads if load.day is not None)
        billed = [load.bytes_billed for load in loads if load.bytes_billed is not None]
        per_source.append(
            (
                source,
                len(loads),
                sum(load.status != "ok" for load in loads),
                f"{sum(load.rows_kept for load in loads):,}",
                f"{sum(load.rows_rejected for load in loads):,}",
                sum(len(load.missing_files) for load in loads),
                human_bytes(sum(billed)) if billed else "-",
                f"{days[0]} .. {days[-1]}" if days else "-",
            )
        )
    lines += _md_table(
        ("source", "days", "failed", "rows kept", "rejected", "missing files", "bytes billed", "days loaded"),
        per_source,
    )
    lines += [f"### Source freshness (checked {_when(status.freshness_checked_at)} UTC)", ""]
    lines += _md_table(
        ("source", "status", "newest loaded_at", "age then", "warn after", "error after"),
        [
            (f.source, f.status, f.max_loaded_at or "-", _age(f.age_seconds), f.warn_after, f.error_after)
            for f in status.freshness
        ]
        or [("never checked", "-", "-", "-", "-", "-")],
    )
    lines += ["### Last dbt build", ""]
    if status.build is None:
        lines += ["No build recorded.", ""]
    else:
        b = status.build
        lines += [
            f"`{b.command}`: **{b.status}** in {_seconds(b.seconds)}, finished {_when(b.finished_at)} UTC "
            f"({', '.join(f'{k}={v}' for k, v in sorted(b.counts.items()))}).",
            "",
        ]
        for label, names in (
            ("Failed", b.failed_nodes),
            ("Warned", b.warned_nodes),
            ("Skipped", b.skipped_nodes),
        ):
            if names:
                lines.append(f"- {label}: " + ", ".join(f"`{n}`" for n in names))
        lines.append("")
    if status.drift_days:
        lines += ["### Days affected by GH Archive's 2025-10-07 change", ""]
        lines += _md_table(
            ("archive day", "commits known", "merges known"),
            [(d.day, d.commits_known, d.merges_known) for d in status.drift_days],
        )
    return "\n".join(lines)

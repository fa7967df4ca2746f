"""What the CLI prints from the metric marts: every project's latest metrics, and one project's metrics over time.

`print_code_metrics` reads `marts.code_metrics_by_project_v1` (the wide table, one row per project);
`print_onchain_metrics` reads `marts.onchain_metrics_by_project_v1` (its onchain twin, one row per project with an
address on an ingested network); `print_project_metrics` reads `marts.timeseries_metrics_by_project_v1` for one
project, with a text sparkline of each metric's 7-day value over the last 90 days. Metric names, units and order come from `marts.metrics_v1` (the
catalog), so a new catalog metric shows up without a change here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import cast

import duckdb
from rich.console import Console
from rich.table import Table

from ingestion.errors import ConfigError
from ingestion.report import has_table, open_read_only

WINDOWS: tuple[str, ...] = ("7d", "30d", "90d", "180d", "all")
SPARK_WINDOW = "7d"
SPARK_DAYS = 90
SPARK_WIDTH = 30
BARS = "▁▂▃▄▅▆▇█"
PEOPLE_UNITS = frozenset({"developers", "contributors", "people"})
USER_UNITS = frozenset({"addresses"})
"""Units of the onchain metrics about users (senders, bots left out), shown apart from onchain activity."""
ETH_UNIT = "ETH"
PARTIAL_MARK = "*"


@dataclass(frozen=True)
class MetricDefinition:
    """One row of marts.metrics_v1."""

    metric: str
    description: str
    unit: str
    requires: str | None
    windows: tuple[str, ...]

    @property
    def label(self) -> str:
        """A column header: the name without its `_count` suffix, words spaced (`pr opened`, `time to merge ...`)."""
        name = self.metric.removesuffix("_count")
        return name.replace("_", " ")


@dataclass(frozen=True)
class MetricValue:
    amount: float | None
    complete: bool


@dataclass(frozen=True)
class Report:
    """Rich tables to print, and the note to print under them when a value shown is partial (PARTIAL_MARK)."""

    tables: tuple[Table, ...]
    note: str | None


def sparkline(values: Sequence[float | None], width: int = SPARK_WIDTH) -> str:
    """One character per bucket of consecutive values (at most `width` buckets, each the mean of its values),
    scaled from min(0, lowest) to the highest: `▁` is the bottom, `█` the top, a space a bucket with no value."""
    if not values:
        return ""
    size = max(1, math.ceil(len(values) / width))
    buckets: list[float | None] = []
    for start in range(0, len(values), size):
        known = [v for v in values[start : start + size] if v is not None]
        buckets.append(sum(known) / len(known) if known else None)
    known_buckets = [b for b in buckets if b is not None]
    if not known_buckets:
        return " " * len(buckets)
    low = min(0.0, min(known_buckets))
    high = max(known_buckets)
    span = high - low
    chars = []
    for bucket in buckets:
        if bucket is None:
            chars.append(" ")
        elif span == 0:
            chars.append(BARS[0])
        else:
            chars.append(BARS[round((bucket - low) / span * (len(BARS) - 1))])
    return "".join(chars)


def format_amount(amount: float | None, unit: str) -> str:
    if amount is None:
        return "-"
    if unit == "days":
        return f"{amount:,.1f}"
    if unit == ETH_UNIT:
        return format_eth(amount)
    if amount != round(amount):  # an average (a monthly average of daily counts)
        return f"{amount:,.1f}"
    return f"{amount:,.0f}"


def format_eth(amount: float) -> str:
    """An amount of ETH: 6 decimals (a micro-ETH, 10^12 wei); below that, 3 significant digits; 0 as `0`."""
    if amount == 0:
        return "0"
    if abs(amount) < 0.000001:
        return f"{amount:.2e}"
    return f"{amount:,.6f}"


def _require(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    missing = [name for name in names if not has_table(con, "marts", name)]
    if missing:
        raise ConfigError(
            f"marts.{', marts.'.join(missing)} missing from the warehouse: build the metric layer with "
            "`impact run --start D --end D` (or `impact demo`, or `impact build`) first"
        )


def metric_definitions(con: duckdb.DuckDBPyConnection) -> list[MetricDefinition]:
    """The catalog, in its own order (metrics_v1.catalog_position)."""
    rows = con.execute(
        "select metric, description, unit, requires, windows from marts.metrics_v1 order by catalog_position"
    ).fetchall()
    return [
        MetricDefinition(metric, description, unit, requires, tuple(w for w in windows.split(",") if w))
        for metric, description, unit, requires, windows in rows
    ]


def _wide_rows(
    con: duckdb.DuckDBPyConnection, table: str, facts: Sequence[str], window: str
) -> tuple[list[MetricDefinition], list[dict[str, object]]]:
    """The catalog metrics a wide mart has a `<metric>_<window>` column for, and its rows as dicts holding `facts`,
    those columns and (code table) the `<commits|merges>_complete_<window>` flags, ordered by project name."""
    _require(con, table, "metrics_v1")
    if window not in WINDOWS:
        raise ConfigError(f"window {window!r} is not one of {', '.join(WINDOWS)}")
    columns = [
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = ? order by ordinal_position",
            [table],
        ).fetchall()
    ]
    definitions = [d for d in metric_definitions(con) if f"{d.metric}_{window}" in columns]
    flags = [c for c in columns if c.endswith(f"_complete_{window}")]
    selected = [*facts, *(f"{d.metric}_{window}" for d in definitions), *flags]
    query = "select {} from marts.{} order by project_name".format(  # noqa: S608
        ", ".join(f'"{c}"' for c in selected),  # names from the warehouse's own catalog, quoted
        table,  # one of this module's constants
    )
    return definitions, [dict(zip(selected, row, strict=True)) for row in con.execute(query).fetchall()]


def code_metrics_report(con: duckdb.DuckDBPyConnection, window: str = "30d") -> Report:
    """The wide table as two rich tables (people, then activity): a row per project, a column per metric over
    `window`, values marked `*` where GH Archive lacked the data the metric needs for part of the window."""
    definitions, rows = _wide_rows(
        con, "code_metrics_by_project_v1", ("project_name", "sample_date", "repository_count"), window
    )
    as_of = next((r["sample_date"] for r in rows if r["sample_date"] is not None), None)
    people = [d for d in definitions if d.unit in PEOPLE_UNITS]
    activity = [d for d in definitions if d.unit not in PEOPLE_UNITS]
    title = f"over the {window} window" + (f" ending {as_of}" if as_of else "")
    tables = []
    partial = False
    for heading, group in (("People", people), ("Activity", activity)):
        if not group:
            continue
        table = Table(title=f"{heading} per project, {title}")
        table.add_column("project", style="bold", no_wrap=True)
        if heading == "People":
            table.add_column("repos", justify="right")
        for definition in group:
            table.add_column(definition.label, justify="right")
        for row in sorted(rows, key=lambda r: (-_sort_key(r, group, window), r["project_name"])):
            cells = [str(row["project_name"])]
            if heading == "People":
                cells.append(str(row["repository_count"]))
            for definition in group:
                value = format_amount(_amount(row, f"{definition.metric}_{window}"), definition.unit)
                flag = f"{definition.requires}_complete_{window}" if definition.requires else None
                if flag and row.get(flag) is False:
                    value += PARTIAL_MARK
                    partial = True
                cells.append(value)
            table.add_row(*cells)
        tables.append(table)
    return Report(tuple(tables), _partial_note(definitions) if partial else None)


def _amount(row: dict[str, object], column: str) -> float | None:
    """A metric's value in a wide-mart row: the marts compute every metric as a bigint or a double (null: none)."""
    return cast("float | None", row[column])


def _sort_key(row: dict[str, object], group: Sequence[MetricDefinition], window: str) -> float:
    """Projects in decreasing order of the group's first metric."""
    value = row.get(f"{group[0].metric}_{window}")
    return float(value) if isinstance(value, int | float) else 0.0


def _partial_note(definitions: Sequence[MetricDefinition]) -> str:
    needs = sorted({d.requires for d in definitions if d.requires})
    what = {"commits": "the commits of pushes", "merges": "whether pull requests were merged"}
    listed = " and ".join(what.get(n, n) for n in needs) or "some payload data"
    return (
        f"{PARTIAL_MARK} partial: GH Archive stopped giving {listed} on 2025-10-07, so for windows holding later days "
        "these values are lower bounds, not zeros"
    )


LIFECYCLE_TABLE = "developer_lifecycle_v1"


def lifecycle_line(con: duckdb.DuckDBPyConnection, project_id: str) -> str | None:
    """One line on a project's developer lifecycle in its latest month (marts.developer_lifecycle_v1): active
    developers by state, the inactive ones, and the active ones by tenure. None when the mart or the project's rows
    are missing."""
    if not has_table(con, "marts", LIFECYCLE_TABLE):
        return None
    row = con.execute(
        """
        select activity_month, month_complete, active_developers, first_month_developers, full_time_developers,
            part_time_developers, returning_developers, dormant_developers, churned_developers,
            tenure_under_1_year, tenure_1_to_2_years, tenure_2_years_or_more
        from marts.developer_lifecycle_v1
        where entity_type = 'project' and entity_id = ?
        order by activity_month desc
        limit 1
        """,
        [project_id],
    ).fetchone()
    if row is None:
        return None
    month, complete, active, first, full, part, returning, dormant, churned, young, middle, old = row
    partial = "" if complete else " (month not over)"
    return (
        f"developers in {month:%Y-%m}{partial}: {active} active ({first} first month, {full} full-time, "
        f"{part} part-time, {returning} returning), {dormant} dormant, {churned} churned; "
        f"tenure <1y {young}, 1-2y {middle}, 2y+ {old}"
    )


def lifecycle_report(con: duckdb.DuckDBPyConnection) -> Table | None:
    """A line per project on its developer lifecycle in the latest month (what `impact demo` ends with)."""
    if not has_table(con, "marts", LIFECYCLE_TABLE):
        return None
    projects = con.execute(
        "select project_id, project_name from marts.projects_v1 order by project_name"
    ).fetchall()
    table = Table(title="Developer lifecycle per project, latest month")
    table.add_column("project", style="bold", no_wrap=True)
    table.add_column("developers")
    for project_id, project_name in projects:
        line = lifecycle_line(con, project_id)
        if line is not None:
            table.add_row(str(project_name), line)
    return table if table.row_count else None


def print_code_metrics(duckdb_path: Path, console: Console, window: str = "30d") -> None:
    """Print every project's latest metrics over `window` (what `impact demo` ends with)."""
    con = open_read_only(duckdb_path)
    try:
        report = code_metrics_report(con, window)
        lifecycle = lifecycle_report(con)
    finally:
        con.close()
    for table in report.tables:
        console.print(table)
    if report.note:
        console.print(f"[yellow]note:[/] {report.note}")
    if lifecycle is not None:
        console.print(lifecycle)


ONCHAIN_FACTS = (
    "project_name",
    "sample_date",
    "contract_count",
    "first_transaction_date",
    "last_transaction_date",
)


def onchain_metrics_report(con: duckdb.DuckDBPyConnection, window: str = "30d") -> Report:
    """The onchain wide table as two rich tables (users, then activity): a row per project with an address on an
    ingested network, a column per onchain metric over `window`, the project's contracts and the days of its first
    and last transaction. Onchain data has no GH Archive gap, so nothing is marked partial."""
    definitions, rows = _wide_rows(con, "onchain_metrics_by_project_v1", ONCHAIN_FACTS, window)
    if not rows:
        return Report(
            (),
            "no project lists an address on an ingested network (registry `blockchain` entries on optimism or "
            "any_evm): no onchain metrics",
        )
    as_of = next((r["sample_date"] for r in rows if r["sample_date"] is not None), None)
    title = f"over the {window} window" + (f" ending {as_of}" if as_of else "")
    users = [d for d in definitions if d.unit in USER_UNITS]
    activity = [d for d in definitions if d.unit not in USER_UNITS]
    tables = []
    for heading, group in (("Onchain users", users), ("Onchain activity", activity)):
        if not group:
            continue
        is_activity = heading == "Onchain activity"
        caption = (
            "gas fees in ETH; transactions are contract calls"
            if is_activity
            else "addresses calling its contracts, flagged bots left out"
        )
        table = Table(title=f"{heading} per project, {title}", caption=caption)
        table.add_column("project", style="bold", no_wrap=True)
        if is_activity:
            table.add_column("contracts", justify="right")
        for definition in group:
            table.add_column(definition.label, justify="right")
        if is_activity:
            table.add_column("transactions from", no_wrap=True)
            table.add_column("to", no_wrap=True)
        for row in sorted(rows, key=lambda r: (-_sort_key(r, group, window), r["project_name"])):
            cells = [str(row["project_name"])]
            if is_activity:
                cells.append(str(row["contract_count"]))
            cells += [format_amount(_amount(row, f"{d.metric}_{window}"), d.unit) for d in group]
            if is_activity:
                cells += [str(row["first_transaction_date"] or "-"), str(row["last_transaction_date"] or "-")]
            table.add_row(*cells)
        tables.append(table)
    return Report(tuple(tables), None)


def print_onchain_metrics(duckdb_path: Path, console: Console, window: str = "30d") -> None:
    """Print the latest onchain metrics over `window` of every project with onchain artifacts (for `impact demo`)."""
    con = open_read_only(duckdb_path)
    try:
        report = onchain_metrics_report(con, window)
    finally:
        con.close()
    for table in report.tables:
        console.print(table)
    if report.note:
        console.print(f"[yellow]note:[/] {report.note}")


def known_projects(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [row[0] for row in con.execute("select project_name from marts.projects_v1 order by 1").fetchall()]


def project_metrics_report(con: duckdb.DuckDBPyConnection, project_name: str) -> Report:
    """One project's metrics: a row per metric, its latest value per window and a sparkline of its 7-day value
    over the last 90 days. Raises ConfigError naming the known projects when `project_name` is not one."""
    _require(
        con, "projects_v1", "metrics_v1", "timeseries_metrics_by_project_v1", "code_metrics_by_project_v1"
    )
    project = con.execute(
        "select project_id, coalesce(display_name, project_name) from marts.projects_v1 where project_name = ?",
        [project_name],
    ).fetchone()
    if project is None:
        names = known_projects(con)
        listed = ", ".join(names) if names else "none (load the registry: `impact registry load`)"
        raise ConfigError(f"unknown project {project_name!r}: the registry's projects are {listed}")
    project_id, display_name = project
    facts = con.execute(
        "select sample_date, repository_count, first_commit_date, last_commit_date "
        "from marts.code_metrics_by_project_v1 where project_id = ?",
        [project_id],
    ).fetchone()
    as_of, repositories, first_commit, last_commit = facts if facts else (None, 0, None, None)
    definitions = metric_definitions(con)
    latest: dict[tuple[str, str], MetricValue] = {}
    series: dict[str, dict[date, float | None]] = {}
    spark_windows = {d.metric: _spark_window(d) for d in definitions}
    if as_of is not None:
        rows = con.execute(
            """
            select metric, sample_date, "window", amount, data_complete
            from marts.timeseries_metrics_by_project_v1
            where project_id = ? and sample_date > ?
            """,
            [project_id, as_of - timedelta(days=SPARK_DAYS)],
        ).fetchall()
        for metric, sample_date, window, amount, complete in rows:
            if sample_date == as_of:
                latest[(metric, window)] = MetricValue(amount, bool(complete))
            if window == spark_windows.get(metric):
                series.setdefault(metric, {})[sample_date] = amount
    # The trend starts on the project's first sample day when that is less than SPARK_DAYS days ago.
    first_day = min((day for points in series.values() for day in points), default=as_of)
    days = [first_day + timedelta(days=n) for n in range((as_of - first_day).days + 1)] if as_of else []
    subtitle = f"{repositories} repositories, commits pushed {first_commit or '-'} to {last_commit or '-'}"
    lifecycle = lifecycle_line(con, project_id)
    table = Table(
        title=f"{display_name} ({project_name}): metrics on {as_of or 'no data yet'}",
        caption=f"{subtitle}; trend: the 7-day value (else the metric's own window) over the last {SPARK_DAYS} days"
        + (f"\n{lifecycle}" if lifecycle else ""),
    )
    table.add_column("metric", style="bold")
    table.add_column("unit")
    windows = report_windows(definitions)
    for window in windows:
        table.add_column(window, justify="right")
    table.add_column(f"last {SPARK_DAYS} days", no_wrap=True, min_width=min(len(days), SPARK_WIDTH))
    partial = False
    for definition in definitions:
        cells = [definition.metric, definition.unit]
        for window in windows:
            value = latest.get((definition.metric, window))
            if window not in definition.windows:
                cells.append("")
            elif value is None:
                cells.append("-")
            else:
                cells.append(
                    format_amount(value.amount, definition.unit) + ("" if value.complete else PARTIAL_MARK)
                )
                partial = partial or not value.complete
        points = series.get(definition.metric, {})
        cells.append(sparkline([points.get(day) for day in days]))
        table.add_row(*cells)
    return Report((table,), _partial_note(definitions) if partial else None)


def report_windows(definitions: Sequence[MetricDefinition]) -> list[str]:
    """The windows of the report's columns: the standard ones, plus any a metric has of its own (Electric Capital's
    28 days), in order of length, `all` last."""
    found = set(WINDOWS) | {w for d in definitions for w in d.windows}
    return sorted(found, key=lambda w: (w == "all", int(w[:-1]) if w != "all" else 0))


def _spark_window(definition: MetricDefinition) -> str:
    """The window a metric's trend shows: 7 days when it has that window, else its first one."""
    if SPARK_WINDOW in definition.windows or not definition.windows:
        return SPARK_WINDOW
    return definition.windows[0]


def print_project_metrics(duckdb_path: Path, project_name: str, console: Console) -> None:
    """Print one project's metrics (what `impact metrics PROJECT` shows)."""
    con = open_read_only(duckdb_path)
    try:
        report = project_metrics_report(con, project_name)
    finally:
        con.close()
    for table in report.tables:
        console.print(table)
    if report.note:
        console.print(f"[yellow]note:[/] {report.note}")

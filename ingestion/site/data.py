"""What `impact report` reads from the DuckDB warehouse: the entities, the metric catalog, each entity's latest
values and its chart series, the index tables, and the data-quality notes.

Everything comes from the marts (`marts.*_v1`) plus two raw bookkeeping tables (`raw._loads` for missing hours and
failed days, `raw._builds` for the last `dbt source freshness`). Values are never formatted here: `render` does it,
with the CLI's own formatting (`ingestion.metrics_report.format_amount`, `PARTIAL_MARK`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb

from ingestion.errors import ConfigError
from ingestion.metrics_report import WINDOWS, MetricDefinition, metric_definitions
from ingestion.report import has_table

KINDS = ("project", "collection")
REQUIRED_MARTS = (
    "projects_v1",
    "collections_v1",
    "projects_by_collection_v1",
    "artifacts_v1",
    "artifacts_by_project_v1",
    "metrics_v1",
    "timeseries_metrics_by_project_v1",
    "timeseries_metrics_by_collection_v1",
    "code_metrics_by_project_v1",
    "onchain_metrics_by_project_v1",
)
MAX_POINTS = 120
"""At most this many points per chart: the days are every `step` days back from the latest day."""
SPARK_WINDOW = "7d"
SPARK_STEP = 7
SPARK_POINTS = 26
"""Index sparklines: the 7-day value every 7 days over the last 26 weeks (non-overlapping weeks)."""
SPARK_METRICS = ("active_developer_count", "transaction_count")
INDEX_METRICS = (
    "active_developer_count",
    "contributor_count",
    "commit_count",
    "pr_opened_count",
    "pr_merged_count",
    "issue_opened_count",
    "star_count",
    "fork_count",
    "transaction_count",
    "address_count",
    "gas_fees_sum",
)
"""The metrics of the index tables (those the catalog has over the chosen window), in this order."""
SAFE_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,120}")
"""A registry name usable as a file name as it is (oss-directory names are of this form); others use the id."""


@dataclass(frozen=True)
class Entity:
    kind: str
    entity_id: str
    name: str
    display_name: str
    description: str | None
    path: str
    """The page, relative to the site root: projects/<name>.html, or projects/_<id prefix>.html for a name that is
    not a plain file name (the id prefix cannot clash with a name: names never start with `_`)."""


def page_path(kind: str, name: str, entity_id: str) -> str:
    stem = name if SAFE_NAME.fullmatch(name) and not name.endswith(".") else f"_{entity_id[:24]}"
    return f"{kind}s/{stem}.html"


@dataclass(frozen=True)
class Artifact:
    source: str
    namespace: str
    name: str
    artifact_type: str
    url: str | None


@dataclass(frozen=True)
class Series:
    """One metric's chart values, as read (in no particular order): the point at `positions[i]` of Plan.chart_days
    has the value `amounts[i]`, complete when `completes[i]`. Days without a row are absent."""

    positions: list[int]
    amounts: list[float | None]
    completes: list[bool]


@dataclass
class EntityMetrics:
    """One entity's numbers: the latest value of each (metric, window), and the chosen window's series."""

    latest: dict[tuple[str, str], tuple[float | None, bool]] = field(default_factory=dict)
    series: dict[str, Series] = field(default_factory=dict)
    """metric -> its chart values."""


@dataclass(frozen=True)
class Note:
    """A data-quality note: `kind` is coverage, missing, failed, stale or loaded."""

    kind: str
    text: str


@dataclass(frozen=True)
class Plan:
    """What every page of a site shares; picklable (the page workers get it)."""

    window: str
    as_of: date | None
    chart_days: tuple[date, ...]
    step: int
    spark_days: tuple[date, ...]
    metrics: tuple[MetricDefinition, ...]
    onchain_metrics: frozenset[str]
    notes: tuple[Note, ...]
    projects: tuple[Entity, ...]
    collections: tuple[Entity, ...]
    collections_of: dict[str, tuple[str, ...]]
    """project id -> ids of the collections it is in."""
    members_of: dict[str, tuple[str, ...]]
    """collection id -> ids of its projects."""


def require_marts(con: duckdb.DuckDBPyConnection) -> None:
    missing = [name for name in REQUIRED_MARTS if not has_table(con, "marts", name)]
    if missing:
        raise ConfigError(
            f"marts.{', marts.'.join(missing)} missing from the warehouse: build it with "
            "`impact run --start D --end D` (or `impact demo`) first"
        )


def columns_of(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    return [
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
    ]


def sampled_days(
    as_of: date | None, first: date | None, days: int, max_points: int
) -> tuple[tuple[date, ...], int]:
    """The chart days, oldest first: every `step` days back from `as_of`, no earlier than `first` nor than `days`
    days before `as_of`, at most `max_points` of them; and the step."""
    if as_of is None:
        return (), 1
    start = as_of - timedelta(days=days - 1)
    if first is not None and first > start:
        start = first
    span = (as_of - start).days + 1
    step = max(1, math.ceil(span / max_points))
    count = (span - 1) // step + 1
    return tuple(as_of - timedelta(days=step * n) for n in reversed(range(count))), step


def _entities(con: duckdb.DuckDBPyConnection, kind: str) -> tuple[Entity, ...]:
    table = "projects_v1" if kind == "project" else "collections_v1"
    # kind and table are this module's constants
    query = f"select {kind}_id, {kind}_name, coalesce(display_name, {kind}_name), description from marts.{table} order by {kind}_id"  # noqa: S608
    return tuple(
        Entity(kind, entity_id, name, display, description, page_path(kind, name, entity_id))
        for entity_id, name, display, description in con.execute(query).fetchall()
    )


def build_plan(con: duckdb.DuckDBPyConnection, window: str, days: int) -> Plan:
    require_marts(con)
    if window not in WINDOWS:
        raise ConfigError(f"--window {window!r} is not one of {', '.join(WINDOWS)}")
    if days < 1:
        raise ConfigError(f"--days {days} must be at least 1")
    as_of, first = con.execute(
        "select max(sample_date), min(sample_date) from marts.timeseries_metrics_by_project_v1"
    ).fetchone() or (None, None)
    chart_days, step = sampled_days(as_of, first, days, MAX_POINTS)
    spark_days: tuple[date, ...] = ()
    if as_of is not None:
        spark_days = tuple(
            as_of - timedelta(days=SPARK_STEP * n)
            for n in reversed(range(SPARK_POINTS))
            if first is None or as_of - timedelta(days=SPARK_STEP * n) >= first
        )
    onchain = frozenset(
        column.rsplit("_", 1)[0]
        for column in columns_of(con, "marts", "onchain_metrics_by_project_v1")
        if column.rsplit("_", 1)[-1] in WINDOWS
    )
    collections_of: dict[str, list[str]] = {}
    members_of: dict[str, list[str]] = {}
    for collection_id, project_id in con.execute(
        "select collection_id, project_id from marts.projects_by_collection_v1 order by 1, 2"
    ).fetchall():
        collections_of.setdefault(project_id, []).append(collection_id)
        members_of.setdefault(collection_id, []).append(project_id)
    return Plan(
        window=window,
        as_of=as_of,
        chart_days=chart_days,
        step=step,
        spark_days=spark_days,
        metrics=tuple(metric_definitions(con)),
        onchain_metrics=onchain,
        notes=tuple(data_quality_notes(con)),
        projects=_entities(con, "project"),
        collections=_entities(con, "collection"),
        collections_of={key: tuple(value) for key, value in collections_of.items()},
        members_of={key: tuple(value) for key, value in members_of.items()},
    )


def artifacts_by_project(con: duckdb.DuckDBPyConnection, low: str, high: str) -> dict[str, list[Artifact]]:
    """The artifacts of the projects whose id is in [low, high], each project's sorted by source and name."""
    rows = con.execute(
        """
        select b.project_id, a.artifact_source, a.artifact_namespace, a.artifact_name, a.artifact_type,
               a.artifact_url
        from marts.artifacts_by_project_v1 as b
        inner join marts.artifacts_v1 as a on a.artifact_id = b.artifact_id
        where b.project_id between ? and ?
        order by b.project_id, a.artifact_type desc, a.artifact_namespace, a.artifact_name
        """,
        [low, high],
    ).fetchall()
    found: dict[str, list[Artifact]] = {}
    for project_id, source, namespace, name, artifact_type, url in rows:
        found.setdefault(project_id, []).append(Artifact(source, namespace, name, artifact_type, url))
    return found


LIFECYCLE_MONTHS = 12
"""How many of the latest months a page's developer lifecycle table shows."""


@dataclass(frozen=True)
class LifecycleMonth:
    """One month of `developer_lifecycle_v1` for one project or collection."""

    month: date
    complete: bool
    active: int
    first_month: int
    full_time: int
    part_time: int
    returning: int
    dormant: int
    churned: int


def lifecycle_by_entity(
    con: duckdb.DuckDBPyConnection, kind: str, low: str, high: str
) -> dict[str, list[LifecycleMonth]]:
    """The latest LIFECYCLE_MONTHS months of the developer lifecycle of each entity of `kind` whose id is in
    [low, high], oldest first; empty when the warehouse has no lifecycle mart (built before it existed)."""
    if not columns_of(con, "marts", "developer_lifecycle_v1"):
        return {}
    rows = con.execute(
        """
        select entity_id, activity_month, coalesce(month_complete, false), active_developers,
               first_month_developers, full_time_developers, part_time_developers, returning_developers,
               dormant_developers, churned_developers
        from marts.developer_lifecycle_v1
        where entity_type = ? and entity_id between ? and ?
        qualify row_number() over (partition by entity_id order by activity_month desc) <= ?
        order by entity_id, activity_month
        """,
        [kind, low, high, LIFECYCLE_MONTHS],
    ).fetchall()
    found: dict[str, list[LifecycleMonth]] = {}
    for entity_id, month, complete, *counts in rows:
        found.setdefault(entity_id, []).append(
            LifecycleMonth(month, bool(complete), *(int(c or 0) for c in counts))
        )
    return found


def metrics_query(kind: str, ranged: bool, single: bool = False) -> str:
    """One row per (entity, metric) with a value on a chart day or on the latest day, in entity id order: the chart
    series and the latest values as lists (in no particular order), so that Python handles lists, not rows.
    `ranged`: only the entities with an id in [$low, $high]; `single`: only the entity with the id $low.

    The chart days are a semi-join on their list, which DuckDB evaluates without per-row arithmetic; the lists are
    unordered, as sorting each one costs more than the whole scan. No index exists on the marts, but on DuckDB the
    metric tables store their rows sorted by entity (storage_order), so a plain `<id> = $low` is pushed into
    the scan and skips every row group whose min/max statistics leave the id out: one page reads its entity's rows
    only. The whole site runs the query once, unfiltered (`export_metrics`)."""
    table = "timeseries_metrics_by_project_v1" if kind == "project" else "timeseries_metrics_by_collection_v1"
    if single:
        where = f"{kind}_id = $low and "
    elif ranged:
        where = f"{kind}_id between $low and $high and "
    else:
        where = ""
    return f"""
        with series as (
            select {kind}_id as entity_id, metric,
                   list($last - date_diff('day', sample_date, $as_of) // $step) as positions,
                   list(amount) as amounts,
                   list(data_complete) as completes
            from marts.{table}
            where {where}"window" = $window and sample_date in (select unnest($days))
            group by {kind}_id, metric
        ),
        latest as (
            select {kind}_id as entity_id, metric, list("window") as windows, list(amount) as latest_amounts,
                   list(data_complete) as latest_completes
            from marts.{table}
            where {where}sample_date = $as_of
            group by {kind}_id, metric
        )
        select coalesce(s.entity_id, l.entity_id) as entity_id, coalesce(s.metric, l.metric) as metric,
               s.positions, s.amounts, s.completes, l.windows, l.latest_amounts, l.latest_completes
        from series as s
        full outer join latest as l on l.entity_id = s.entity_id and l.metric = s.metric
        order by 1
    """  # noqa: S608 - kind and table are this module's constants; every value is a parameter


def _metrics_params(plan: Plan) -> dict[str, object]:
    assert plan.as_of is not None
    return {
        "as_of": plan.as_of,
        "window": plan.window,
        "step": plan.step,
        "last": len(plan.chart_days) - 1,
        "days": list(plan.chart_days),
    }


def export_metrics(con: duckdb.DuckDBPyConnection, kind: str, plan: Plan, path: Path) -> bool:
    """Write what `metrics_query` gives for every entity of `kind` to the Parquet file `path`, sorted by entity id
    in small row groups, so that `read_metrics_file` reads a range of ids without reading the rest. False (and no
    file) when there is nothing to chart."""
    if plan.as_of is None or not plan.chart_days:
        return False
    target = str(path).replace("'", "''")  # COPY takes no parameter for its file: a quoted literal
    con.execute(
        f"copy ({metrics_query(kind, ranged=False)}) to '{target}' (format parquet, row_group_size 2048)",
        _metrics_params(plan),
    )
    return True


def read_metrics_file(
    con: duckdb.DuckDBPyConnection, path: Path, low: str, high: str, batch_rows: int = 20_000
) -> Iterator[tuple[str, EntityMetrics]]:
    """The entities with an id in [low, high] of a file written by `export_metrics`, in id order."""
    relation = con.sql(
        "select * from read_parquet($path) where entity_id between $low and $high order by entity_id",
        params={"path": str(path), "low": low, "high": high},
    )
    return _entity_metrics(relation, batch_rows)


def stream_metrics(
    con: duckdb.DuckDBPyConnection, kind: str, low: str, high: str, plan: Plan, batch_rows: int = 20_000
) -> Iterator[tuple[str, EntityMetrics]]:
    """Every entity of `kind` with an id in [low, high] that has metric rows, in id order, with its latest values
    (every window, on the latest day) and its series over the plan's window on the plan's chart days. One query
    on the marts, streamed in Arrow batches: memory holds one batch at a time."""
    if plan.as_of is None or not plan.chart_days:
        return iter(())
    if low == high:
        relation = con.sql(
            metrics_query(kind, ranged=True, single=True), params={**_metrics_params(plan), "low": low}
        )
    else:
        relation = con.sql(
            metrics_query(kind, ranged=True), params={**_metrics_params(plan), "low": low, "high": high}
        )
    return _entity_metrics(relation, batch_rows)


def _entity_metrics(
    relation: duckdb.DuckDBPyRelation, batch_rows: int
) -> Iterator[tuple[str, EntityMetrics]]:
    # DuckDB 1.4 named it to_arrow_reader; older releases call it fetch_record_batch.
    to_reader = getattr(relation, "to_arrow_reader", None) or relation.fetch_record_batch
    current: str | None = None
    found = EntityMetrics()
    for batch in to_reader(batch_rows):
        columns = [batch.column(i).to_pylist() for i in range(8)]
        for entity_id, metric, days, amounts, completes, windows, latest, latest_complete in zip(
            *columns, strict=True
        ):
            if entity_id != current:
                if current is not None:
                    yield current, found
                current, found = entity_id, EntityMetrics()
            if days:
                found.series[metric] = Series(days, amounts, completes)
            if windows:
                for window, amount, complete in zip(windows, latest, latest_complete, strict=True):
                    found.latest[(metric, window)] = (amount, complete)
    if current is not None:
        yield current, found


@dataclass(frozen=True)
class IndexRow:
    entity: Entity
    facts: dict[str, object]
    values: dict[str, tuple[float | None, bool]]
    """metric -> (value over the plan's window on the latest day, complete)."""
    sparks: dict[str, list[float | None]]


def _wide(
    con: duckdb.DuckDBPyConnection, table: str, facts: Sequence[str], window: str
) -> dict[str, dict[str, object]]:
    columns = set(columns_of(con, "marts", table))
    wanted = [*facts, *(c for c in columns if c.endswith(f"_{window}"))]
    query = "select project_id, {} from marts.{}".format(  # noqa: S608
        ", ".join(f'"{c}"' for c in wanted),  # column names from the warehouse's own catalog, quoted
        table,  # one of this module's constants
    )
    return {row[0]: dict(zip(wanted, row[1:], strict=True)) for row in con.execute(query).fetchall()}


def project_index(con: duckdb.DuckDBPyConnection, plan: Plan) -> list[IndexRow]:
    """One row per project: repositories and contracts, the index metrics over the plan's window on the latest day
    from the wide marts (code_metrics_by_project_v1, onchain_metrics_by_project_v1) with the code table's
    completeness flags, and the sparklines."""
    window = plan.window
    code = _wide(con, "code_metrics_by_project_v1", ("repository_count",), window)
    onchain = _wide(con, "onchain_metrics_by_project_v1", ("contract_count",), window)
    requires = {d.metric: d.requires for d in plan.metrics}
    sparks = _sparks(con, "project", plan)
    rows = []
    for entity in plan.projects:
        wide = {**code.get(entity.entity_id, {}), **onchain.get(entity.entity_id, {})}
        values: dict[str, tuple[float | None, bool]] = {}
        for metric in index_metrics(plan):
            column = f"{metric}_{window}"
            if column not in wide:
                continue
            flag = f"{requires[metric]}_complete_{window}" if requires.get(metric) else None
            amount = wide[column]
            values[metric] = (
                None if amount is None else float(str(amount)),
                not (flag and wide.get(flag) is False),
            )
        facts = {
            "repository_count": wide.get("repository_count"),
            "contract_count": wide.get("contract_count"),
        }
        rows.append(IndexRow(entity, facts, values, sparks.get(entity.entity_id, {})))
    return rows


def collection_index(con: duckdb.DuckDBPyConnection, plan: Plan) -> list[IndexRow]:
    """One row per collection: its member count, the index metrics over the plan's window on the latest day (from
    timeseries_metrics_by_collection_v1, with data_complete), and the sparklines."""
    latest: dict[str, dict[str, tuple[float | None, bool]]] = {}
    if plan.as_of is not None:
        for collection_id, metric, amount, complete in con.execute(
            "select collection_id, metric, amount, data_complete from marts.timeseries_metrics_by_collection_v1 "
            'where sample_date = ? and "window" = ?',
            [plan.as_of, plan.window],
        ).fetchall():
            latest.setdefault(collection_id, {})[metric] = (
                None if amount is None else float(amount),
                bool(complete),
            )
    sparks = _sparks(con, "collection", plan)
    wanted = set(index_metrics(plan))
    return [
        IndexRow(
            entity,
            {"project_count": len(plan.members_of.get(entity.entity_id, ()))},
            {m: v for m, v in latest.get(entity.entity_id, {}).items() if m in wanted},
            sparks.get(entity.entity_id, {}),
        )
        for entity in plan.collections
    ]


def index_metrics(plan: Plan) -> list[str]:
    have = {d.metric for d in plan.metrics if plan.window in d.windows}
    return [m for m in INDEX_METRICS if m in have]


def _sparks(
    con: duckdb.DuckDBPyConnection, kind: str, plan: Plan
) -> dict[str, dict[str, list[float | None]]]:
    """entity id -> metric -> the 7-day value on each spark day (None where the entity has no row that day)."""
    if not plan.spark_days:
        return {}
    table = "timeseries_metrics_by_project_v1" if kind == "project" else "timeseries_metrics_by_collection_v1"
    metrics = [m for m in SPARK_METRICS if any(d.metric == m for d in plan.metrics)]
    query = f"""
        select {kind}_id, metric, sample_date, amount
        from marts.{table}
        where "window" = ? and metric in (select unnest(?)) and sample_date between ? and ?
          and date_diff('day', sample_date, ?) % ? = 0
    """  # noqa: S608 - kind and table are this module's constants; every value is a parameter
    position = {day: n for n, day in enumerate(plan.spark_days)}
    found: dict[str, dict[str, list[float | None]]] = {}
    for entity_id, metric, day, amount in con.execute(
        query, [SPARK_WINDOW, metrics, plan.spark_days[0], plan.as_of, plan.as_of, SPARK_STEP]
    ).fetchall():
        series = found.setdefault(entity_id, {}).setdefault(metric, [None] * len(plan.spark_days))
        series[position[day]] = None if amount is None else float(amount)
    return found


# --- data quality ------------------------------------------------------------------------------------------------


def _ranges(days: Sequence[date]) -> list[tuple[date, date]]:
    """Consecutive days folded into (first, last) ranges."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(days):
        if ranges and day == ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def describe_days(days: Sequence[date]) -> str:
    parts = [str(a) if a == b else f"{a} to {b}" for a, b in _ranges(days)]
    total = len(days)
    return f"{', '.join(parts)} ({total} day{'s' if total != 1 else ''})"


def data_quality_notes(con: duckdb.DuckDBPyConnection) -> list[Note]:
    """GH Archive's 2025-10-07 change (github_data_coverage_v1), missing hours and failed days (the latest load of
    each source and day in raw._loads), the last day loaded per source, and stale sources (the last
    `dbt source freshness`, recorded in raw._builds)."""
    notes: list[Note] = []
    if has_table(con, "marts", "github_data_coverage_v1"):
        rows = con.execute(
            "select archive_day, commits_known, merges_known from marts.github_data_coverage_v1"
        ).fetchall()
        for label, position, what in (
            ("commits", 1, "push payloads stopped listing commits"),
            ("merges", 2, "pull request payloads stopped saying whether they were merged"),
        ):
            unknown = [row[0] for row in rows if row[position] is False]
            if unknown:
                notes.append(
                    Note(
                        "coverage",
                        f"{label} unknown on {describe_days(unknown)}: GH Archive's {what} on 2025-10-07, so "
                        f"{label[:-1]}-based values of windows holding these days are lower bounds (marked *), "
                        "not zeros",
                    )
                )
    if has_table(con, "raw", "_loads"):
        latest = con.execute(
            """
            select source, day, status, missing_files, error
            from raw._loads
            where day is not null
            qualify row_number() over (partition by source, day order by finished_at desc nulls last) = 1
            order by source, day
            """
        ).fetchall()
        for source in sorted({row[0] for row in latest}):
            loads = [row for row in latest if row[0] == source]
            missing = [(day, files) for _, day, _, files, _ in loads if files]
            if missing:
                hours = sum(len(files) for _, files in missing)
                shown = "; ".join(f"{day}: {', '.join(files)}" for day, files in missing[:10])
                more = f"; and {len(missing) - 10} more days" if len(missing) > 10 else ""
                notes.append(
                    Note(
                        "missing",
                        f"{source}: {hours} file{'s' if hours != 1 else ''} missing on "
                        f"{len(missing)} day{'s' if len(missing) != 1 else ''} ({shown}{more}); those days' "
                        "counts lack their events",
                    )
                )
            failed = [day for _, day, status, _, _ in loads if status != "ok"]
            if failed:
                notes.append(
                    Note(
                        "failed",
                        f"{source}: the latest load failed on {describe_days(failed)}: not in the data",
                    )
                )
            ok = [day for _, day, status, _, _ in loads if status == "ok"]
            if ok:
                notes.append(Note("loaded", f"{source}: loaded from {min(ok)} to {max(ok)}"))
    if has_table(con, "raw", "_builds") and "freshness" in columns_of(con, "raw", "_builds"):
        found = con.execute(
            "select finished_at, freshness from raw._builds where command like 'dbt source freshness%' "
            "order by finished_at desc nulls last limit 1"
        ).fetchone()
        if found is None:
            notes.append(Note("stale", "source freshness never checked (`impact freshness`)"))
        else:
            checked, text = found
            try:
                entries = json.loads(text or "{}")
            except ValueError:
                entries = {}
            for source, entry in sorted(entries.items()):
                status = str(entry.get("status"))
                if status != "pass":
                    notes.append(
                        Note(
                            "stale",
                            f"source {source}: freshness {status} when checked on {checked:%Y-%m-%d %H:%M} UTC "
                            f"(newest row loaded {entry.get('max_loaded_at') or 'never'})",
                        )
                    )
    return notes

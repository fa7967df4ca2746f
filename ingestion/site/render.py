"""Writing the report site: index.html, projects/*.html, collections/*.html and assets/ (plotly.js, css, js).

Pages come from the Jinja2 templates in `templates/`, autoescaped: a name from the registry is always text. The
charts are drawn in the browser by plotly.js (copied from the `plotly` package into assets/, so nothing is fetched
when a page is viewed) from each chart's data table, which is the chart's accessible twin: the numbers a reader can
see are the numbers plotted. Project pages are written by worker processes when there are many of them: the
numbers of every project are read from the marts once, into a Parquet file sorted by project id, and each worker
reads its slice of projects (contiguous ids) from that file by range.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from multiprocessing import get_context
from pathlib import Path

import duckdb
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from ingestion.errors import ConfigError
from ingestion.metrics_report import ETH_UNIT, PARTIAL_MARK, WINDOWS, MetricDefinition, format_amount
from ingestion.report import open_read_only
from ingestion.site.data import (
    SPARK_METRICS,
    SPARK_WINDOW,
    Artifact,
    Entity,
    EntityMetrics,
    IndexRow,
    LifecycleMonth,
    Plan,
    Series,
    artifacts_by_project,
    build_plan,
    collection_index,
    export_metrics,
    index_metrics,
    lifecycle_by_entity,
    project_index,
    read_metrics_file,
    stream_metrics,
)

MARKER = ".impact-report"
"""The file that says a folder holds a report: `--out` refuses a non-empty folder without it."""
STATIC = Path(__file__).with_name("static")
PARALLEL_FROM = 400
"""Project pages are written by worker processes from this many projects on (below it, starting them costs more)."""
EXPLORERS = {
    "optimism": "https://optimistic.etherscan.io/address/",
    "ethereum": "https://etherscan.io/address/",
    "mainnet": "https://etherscan.io/address/",
    "base": "https://basescan.org/address/",
    "arbitrum_one": "https://arbiscan.io/address/",
}
"""Block explorers for the address links of an artifact without a URL of its own, by network."""


@dataclass(frozen=True)
class SiteResult:
    out: Path
    index: Path
    project_pages: int
    collection_pages: int
    seconds: float
    as_of: date | None


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("ingestion.site", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["amount"] = format_amount
    env.globals["PARTIAL_MARK"] = PARTIAL_MARK
    return env


def plotly_js() -> Path:
    """plotly.min.js as the plotly package ships it (found, not imported: the Python side is not needed)."""
    spec = importlib.util.find_spec("plotly")
    folders = list(spec.submodule_search_locations or []) if spec else []
    path = Path(folders[0] if folders else "plotly") / "package_data" / "plotly.min.js"
    if not path.exists():
        raise ConfigError(f"{path} is missing: reinstall the plotly package (`pip install -e .`)")
    return path


# --- formatting helpers (numbers and ISO days only: safe markup by construction, escaped all the same) ----------


def shown(point: tuple[float | None, bool] | None, unit: str) -> str:
    """A value as the CLI prints it, `*` when partial; `-` when there is none (`-*` when none is known)."""
    if point is None:
        return "-"
    return format_amount(point[0], unit) + ("" if point[1] else PARTIAL_MARK)


def _cell(point: tuple[float | None, bool] | None, unit: str) -> str:
    """A <td> with the raw value in data-value (charts and sorting read it) and data-partial when incomplete. Its
    text is a number (format_amount: digits, `,`, `.`, `-`, `e`, `+`) and the partial mark: markup-safe as it is,
    which matters here, as a busy site writes millions of cells."""
    if point is None:
        return '<td data-value="">-</td>'
    amount, complete = point
    if amount is None:
        return '<td data-value="">-</td>' if complete else '<td data-value="" data-partial="1">-*</td>'
    raw = repr(amount)
    if raw.endswith(".0"):
        raw = raw[:-2]
    text = format_amount(amount, unit) if unit in (ETH_UNIT, "days") else f"{amount:,.0f}"
    if complete:
        return f'<td data-value="{raw}">{text}</td>'
    return f'<td data-value="{raw}" data-partial="1">{text}{PARTIAL_MARK}</td>'


def value_cell(point: tuple[float | None, bool] | None, unit: str) -> Markup:
    return Markup(_cell(point, unit))


NO_ROW = '<td data-value="">-</td></tr>'
MEMO_SIZE = 100_000
_memo: dict[tuple[str, bool], dict[float | None, str]] = {}


def _cell_memo(unit: str, complete: bool) -> dict[float | None, str]:
    """Cells already made for this unit and completeness, by amount (`_cell` followed by `</tr>`): most values
    repeat from page to page, and a site writes millions of cells. Emptied when it grows past MEMO_SIZE."""
    memo = _memo.setdefault((unit, complete), {})
    if len(memo) > MEMO_SIZE:
        memo.clear()
    return memo


def data_rows(heads: Sequence[str], series: Series | None, unit: str) -> Markup:
    """The rows of a chart's data table: `heads` is `<tr><th>day</th>` for each chart day, `series` the values by
    position in them."""
    cells = [NO_ROW] * len(heads)
    if series is not None:
        memos = (_cell_memo(unit, False), _cell_memo(unit, True))
        for position, amount, complete in zip(
            series.positions, series.amounts, series.completes, strict=True
        ):
            memo = memos[1 if complete else 0]
            cell = memo.get(amount)
            # 0.0 and -0.0 are one key but not one text: a negative zero is never taken from (nor put in) the memo
            negative_zero = amount is not None and not amount and math.copysign(1.0, amount) < 0
            if cell is None or negative_zero:
                cell = _cell((amount, bool(complete)), unit) + "</tr>"
                if not negative_zero:
                    memo[amount] = cell
            cells[position] = cell
    return Markup("".join([head + cell for head, cell in zip(heads, cells, strict=True)]))


def artifact_url(artifact: Artifact) -> str | None:
    """An http(s) link for an artifact: its registry URL, else GitHub's or the network's explorer page."""
    if artifact.url and artifact.url.lower().startswith(("https://", "http://")):
        return artifact.url
    if artifact.artifact_type == "REPOSITORY" and artifact.source.upper() == "GITHUB":
        return f"https://github.com/{artifact.namespace}/{artifact.name}"
    base = EXPLORERS.get(artifact.namespace.lower())
    return f"{base}{artifact.name}" if base and artifact.artifact_type == "ADDRESS" else None


# --- page models -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    metric: MetricDefinition
    rows: Markup
    alt: str
    partial_points: int


@dataclass(frozen=True)
class Group:
    title: str
    charts: list[Chart]
    zero: list[MetricDefinition]
    empty: list[MetricDefinition]


def chart_alt(metric: MetricDefinition, plan: Plan, series: Series) -> str:
    values: list[float] = []
    partial = 0
    last = -1
    latest: tuple[float | None, bool] | None = None
    for position, amount, complete in zip(series.positions, series.amounts, series.completes, strict=True):
        if amount is None:
            continue
        values.append(amount)
        partial += not complete
        if position > last:
            last, latest = position, (amount, complete)
    every = "each day" if plan.step == 1 else f"every {plan.step} days"
    text = (
        f"Line chart of {metric.metric.replace('_', ' ')} ({metric.unit}), the value over the trailing {plan.window} window {every} "
        f"from {plan.chart_days[0]} to {plan.chart_days[-1]}"
    )
    if values:
        text += (
            f": lowest {format_amount(min(values), metric.unit)}, highest {format_amount(max(values), metric.unit)},"
            f" latest {shown(latest, metric.unit)}"
        )
    if partial:
        text += f"; {partial} value{'s' if partial != 1 else ''} partial (*)"
    return text + ". The data table has every value."


def groups(plan: Plan, found: EntityMetrics, kind: str) -> list[Group]:
    """The charts of an entity, code metrics then onchain ones; a metric whose charted values are all a complete
    0 is listed instead of charted, and so is one with no value on any charted day (no rows: an entity without
    events of its kinds; or only NULLs: a median of nothing)."""
    result = []
    heads = [f"<tr><th>{day.isoformat()}</th>" for day in plan.chart_days]
    sections = [("Code", [m for m in plan.metrics if m.metric not in plan.onchain_metrics])]
    onchain = [m for m in plan.metrics if m.metric in plan.onchain_metrics]
    if onchain:
        sections.append(("Onchain", onchain))
    for title, metrics in sections:
        group = Group(title, [], [], [])
        for metric in metrics:
            if plan.window not in metric.windows:
                continue
            series = found.series.get(metric.metric)
            if series is None or all(a is None for a in series.amounts):
                group.empty.append(metric)
            elif all(a == 0 and c for a, c in zip(series.amounts, series.completes, strict=True)):
                group.zero.append(metric)
            else:
                group.charts.append(
                    Chart(
                        metric,
                        data_rows(heads, series, metric.unit),
                        chart_alt(metric, plan, series),
                        sum(1 for c in series.completes if not c),
                    )
                )
        result.append(group)
    return result


def latest_rows(plan: Plan, found: EntityMetrics) -> list[tuple[MetricDefinition, list[Markup | None]]]:
    """The summary table: a row per metric, a cell per window (None where the metric has no such window)."""
    return [
        (
            metric,
            [
                value_cell(found.latest.get((metric.metric, window)), metric.unit)
                if window in metric.windows
                else None
                for window in WINDOWS
            ],
        )
        for metric in plan.metrics
    ]


def common(plan: Plan, depth: int) -> dict[str, object]:
    root = "../" * depth
    return {
        "plan": plan,
        "root": root,
        "windows": WINDOWS,
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "any_partial_note": (
            f"{PARTIAL_MARK} partial: GH Archive stopped giving the commits of pushes and whether pull requests "
            "were merged on 2025-10-07, so commit- and merge-based values of windows holding later days are lower "
            "bounds, not zeros"
        ),
    }


def render_entity(
    plan: Plan,
    entity: Entity,
    found: EntityMetrics,
    artifacts: Sequence[Artifact],
    related: Sequence[Entity],
    lifecycle: Sequence[LifecycleMonth] = (),
) -> str:
    """One project or collection page. `related`: a project's collections, or a collection's projects;
    `lifecycle`: its latest months of developer_lifecycle_v1, oldest first."""
    env = environment()
    orgs = sorted(
        {a.namespace for a in artifacts if a.artifact_type == "REPOSITORY" and a.source.upper() == "GITHUB"}
    )
    return env.get_template("entity.html.j2").render(
        **common(plan, 1),
        entity=entity,
        groups=groups(plan, found, entity.kind),
        latest=latest_rows(plan, found),
        repositories=[(a, artifact_url(a)) for a in artifacts if a.artifact_type == "REPOSITORY"],
        addresses=[(a, artifact_url(a)) for a in artifacts if a.artifact_type == "ADDRESS"],
        orgs=orgs,
        related=related,
        lifecycle=lifecycle,
        has_partial=any(not p[1] for p in found.latest.values())
        or any(not c for s in found.series.values() for c in s.completes),
    )


def spark_label(label: str, values: Sequence[float | None], unit: str) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return f"{label}: no data in the last {len(values)} weeks"
    listed = ", ".join("-" if v is None else format_amount(v, unit) for v in values)
    return f"{label}, {SPARK_WINDOW} value each week over the last {len(values)} weeks: {listed}"


def render_index(plan: Plan, projects: list[IndexRow], collections: list[IndexRow]) -> str:
    env = environment()
    metrics = {d.metric: d for d in plan.metrics}
    shown_metrics = [metrics[m] for m in index_metrics(plan)]
    sparks = [metrics[m] for m in SPARK_METRICS if m in metrics]

    def rows(items: list[IndexRow]) -> list[dict[str, object]]:
        return [
            {
                "row": item,
                "cells": [value_cell(item.values.get(m.metric), m.unit) for m in shown_metrics],
                "sparks": [
                    (
                        " ".join("" if v is None else repr(v) for v in item.sparks.get(s.metric, [])),
                        spark_label(s.label, item.sparks.get(s.metric, []), s.unit),
                    )
                    for s in sparks
                ],
            }
            for item in items
        ]

    return env.get_template("index.html.j2").render(
        **common(plan, 0),
        metrics=shown_metrics,
        sparks=sparks,
        projects=rows(projects),
        collections=rows(collections),
        has_partial=any(not v[1] for item in projects + collections for v in item.values.values()),
    )


# --- writing -----------------------------------------------------------------------------------------------------


def prepare_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file: give a folder")
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise ConfigError(
            f"--out {out} is not empty and holds no report ({MARKER} is missing): give a new or empty folder"
        )
    for folder in (out, out / "assets", out / "projects", out / "collections"):
        folder.mkdir(parents=True, exist_ok=True)
    source = plotly_js()
    target = out / "assets" / "plotly.min.js"
    if not target.exists() or target.stat().st_size != source.stat().st_size:
        shutil.copyfile(source, target)
    for name in ("report.css", "report.js"):
        shutil.copyfile(STATIC / name, out / "assets" / name)


def write_entities(
    duckdb_path: Path, out: Path, plan: Plan, kind: str, low: str, high: str, metrics: Path | None = None
) -> list[str]:
    """Write the pages of the entities of `kind` whose id is in [low, high]; returns the paths written. Their
    numbers come from `metrics`, a file of `export_metrics`, when given; else from one query on the marts."""
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        con.execute("set enable_progress_bar = false")
        entities = [
            e
            for e in (plan.projects if kind == "project" else plan.collections)
            if low <= e.entity_id <= high
        ]
        by_id = {e.entity_id: e for e in (*plan.projects, *plan.collections)}
        artifacts = artifacts_by_project(con, low, high) if kind == "project" else {}
        lifecycle = lifecycle_by_entity(con, kind, low, high)
        streamed = (
            read_metrics_file(con, metrics, low, high)
            if metrics is not None
            else stream_metrics(con, kind, low, high, plan)
        )
        pending = next(streamed, None)
        written = []
        for entity in entities:
            found = EntityMetrics()
            while pending is not None and pending[0] < entity.entity_id:
                pending = next(streamed, None)
            if pending is not None and pending[0] == entity.entity_id:
                found = pending[1]
                pending = next(streamed, None)
            related_ids = (
                plan.collections_of.get(entity.entity_id, ())
                if kind == "project"
                else plan.members_of.get(entity.entity_id, ())
            )
            related = sorted((by_id[i] for i in related_ids if i in by_id), key=lambda e: e.name)
            html = render_entity(
                plan,
                entity,
                found,
                artifacts.get(entity.entity_id, []),
                related,
                lifecycle.get(entity.entity_id, []),
            )
            (out / entity.path).write_text(html, encoding="utf-8")
            written.append(entity.path)
        return written
    finally:
        con.close()


def _slices(entities: Sequence[Entity], parts: int) -> list[tuple[str, str]]:
    """Contiguous id ranges of about equal size (entities are sorted by id)."""
    if not entities:
        return []
    size = -(-len(entities) // parts)
    return [
        (entities[n].entity_id, entities[min(n + size, len(entities)) - 1].entity_id)
        for n in range(0, len(entities), size)
    ]


def _write_parallel(
    duckdb_path: Path, out: Path, plan: Plan, kind: str, entities: Sequence[Entity], workers: int
) -> list[str]:
    if workers <= 1 or len(entities) < PARALLEL_FROM:
        return write_entities(duckdb_path, out, plan, kind, entities[0].entity_id, entities[-1].entity_id)
    # One query for every entity, run once here into a file sorted by id, which each slice then reads by range: the
    # marts have no index, and only a DuckDB build stores them by entity (a slice's own query would skip the other
    # entities' row groups there, but scan every row on a warehouse copied or built otherwise).
    with tempfile.TemporaryDirectory(prefix="impact-report-") as folder:
        metrics = Path(folder) / f"{kind}_metrics.parquet"
        con = open_read_only(duckdb_path)
        try:
            exported = export_metrics(con, kind, plan, metrics)
        finally:
            con.close()
        # Several slices per worker, so a slice of busy projects does not leave the other worker idle.
        slices = _slices(entities, workers * 4)
        written: list[str] = []
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            futures = [
                pool.submit(
                    write_entities, duckdb_path, out, plan, kind, low, high, metrics if exported else None
                )
                for low, high in slices
            ]
            for future in futures:
                written += future.result()
    return written


def remove_stale(out: Path, keep: Iterable[str]) -> None:
    """Pages of entities no longer in the warehouse go (only .html files, only in projects/ and collections/)."""
    kept = set(keep)
    for folder in ("projects", "collections"):
        for page in (out / folder).glob("*.html"):
            if f"{folder}/{page.name}" not in kept:
                page.unlink()


def write_site(
    duckdb_path: Path,
    out: Path,
    window: str = "30d",
    days: int = 730,
    workers: int | None = None,
    log: Callable[[str], None] | None = None,
) -> SiteResult:
    """Write the report for the warehouse at `duckdb_path` into `out`: charts of each metric's value over the
    trailing `window`, over the last `days` days (at most data.MAX_POINTS points). `workers`: processes writing
    project pages (default: the CPU count)."""
    started = time.perf_counter()
    con = open_read_only(duckdb_path)
    try:
        plan = build_plan(con, window, days)
        projects = project_index(con, plan)
        collections = collection_index(con, plan)
    finally:
        con.close()
    prepare_out(out)
    index = out / "index.html"
    index.write_text(render_index(plan, projects, collections), encoding="utf-8")
    written: list[str] = []
    if plan.collections:
        written += write_entities(
            duckdb_path,
            out,
            plan,
            "collection",
            plan.collections[0].entity_id,
            plan.collections[-1].entity_id,
        )
    collection_pages = len(written)
    if plan.projects:
        written += _write_parallel(
            duckdb_path, out, plan, "project", plan.projects, workers or os.cpu_count() or 1
        )
    remove_stale(out, written)
    (out / MARKER).write_text(
        json.dumps({"as_of": str(plan.as_of), "window": window, "days": days, "pages": len(written)}) + "\n"
    )
    result = SiteResult(
        out,
        index,
        len(written) - collection_pages,
        collection_pages,
        time.perf_counter() - started,
        plan.as_of,
    )
    if log:
        log(
            f"report: {result.project_pages} project and {result.collection_pages} collection pages in "
            f"{result.seconds:.1f} s, data to {plan.as_of or 'none yet'}"
        )
    return result

"""The whole run: registry -> GitHub (and Optimism) ingestion -> dbt build (-> export when Postgres is configured).

Every step runs against the settings' target: `local` (the DuckDB file, local source files) or `bigquery` (the
project's datasets, the public BigQuery sources). `plan` prints what a run would do, with the bytes each BigQuery
query would process, and changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingestion.errors import ConfigError, ExportError
from ingestion.fingerprint import registry_fingerprint, source_fingerprint
from ingestion.log import step, warn
from ingestion.raw_layer import DayLoadRecord, PlanItem, RawLayer, days_between, open_raw_layer
from ingestion.run_state import (
    FAILED,
    OK,
    RUN_STAGES,
    RunRecord,
    RunTracker,
    StageRecord,
    holding_warehouse,
    tracked_run,
    tracking,
)
from ingestion.settings import Settings

if TYPE_CHECKING:
    from ingestion.export.readers import BigQueryReader, DuckDBReader
    from ingestion.registry import Registry
    from ingestion.sources import gharchive, optimism

OPTIMISM = "optimism"


@dataclass(frozen=True)
class RunResult:
    days: int
    events_kept: int
    events_rejected: int
    missing_hours: int
    export_failed: bool = False
    resumed_at: str | None = None
    """`--resume`: the stage the run picked up at (None: a fresh run, or nothing to resume)."""


@dataclass(frozen=True)
class Reload:
    """Which days an ingestion loads again. Without `force`, a day whose latest load is ok, with the same registry
    fingerprint and no missing file, is skipped. With `force`, every day loads, except, when `since` is set (a
    resumed forced run), the days already loaded that way since `since` (by the run being resumed)."""

    force: bool = False
    since: datetime | None = None

    def skips(self, record: DayLoadRecord | None, fingerprint: str) -> bool:
        if record is None or record.status != OK or record.registry_fingerprint != fingerprint:
            return False
        if record.missing_files:
            return False  # a missing hour may have been published since: load the day again
        if not self.force:
            return True
        return self.since is not None and record.finished_at is not None and record.finished_at >= self.since


def read_registry(settings: Settings) -> Registry:
    """Validate the registry files; RegistryError names every problem's file and field."""
    from ingestion.registry import load_registry

    registry = load_registry(settings.registry_dir, settings.seeds_dir)
    if registry.warnings:
        warn(
            f"the registry loads with {len(registry.warnings)} warning(s) (values normalised or left out): "
            "`impact registry validate` lists them"
        )
    return registry


def load_registry_step(settings: Settings, raw: RawLayer | None = None, wait: float = 0.0) -> Registry:
    """Validate the registry and replace raw.registry_* on the target; returns the Registry.

    Holds the warehouse while it writes (inside a run, as the run's stage `registry`)."""
    with tracked_run(settings, "registry load", wait=wait) as tracker, tracker.stage("registry") as note:
        started = time.perf_counter()
        registry = read_registry(settings)
        layer = raw or open_raw_layer(settings)
        try:
            counts = layer.write_registry(registry)
        finally:
            if raw is None:
                layer.close()
        note.add(rows=counts.get("registry_artifacts"), fingerprint=registry_fingerprint(registry), **counts)
        step(f"registry loaded ({layer.target})", time.perf_counter() - started, **counts)
    return registry


def _days_to_load(
    layer: RawLayer, source: str, fingerprint: str, start: date, end: date, reload: Reload
) -> tuple[list[date], list[date]]:
    """(days to load, days skipped) of [start, end], from the latest load of each day in raw._loads."""
    days = days_between(start, end)
    if reload.force and reload.since is None:
        return days, []
    loaded = layer.loaded_days(source, start, end)
    skipped = [day for day in days if reload.skips(loaded.get(day), fingerprint)]
    return [day for day in days if day not in skipped], skipped


def day_spans(days: Sequence[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) spans: [10-01, 10-02, 10-05] -> [(10-01, 10-02), (10-05, 10-05)]."""
    spans: list[tuple[date, date]] = []
    for day in sorted(days):
        if spans and day == spans[-1][1] + timedelta(days=1):
            spans[-1] = (spans[-1][0], day)
        else:
            spans.append((day, day))
    return spans


def spans_text(days: Sequence[date]) -> str:
    return ", ".join(str(a) if a == b else f"{a}..{b}" for a, b in day_spans(days))


def _say_skipped(source: str, skipped: list[date], total: int, fingerprint: str) -> None:
    if skipped:
        step(
            f"{source}: {len(skipped)} of {total} days already loaded ok with this registry "
            f"({fingerprint[:12]}), skipped: {spans_text(skipped)} (--force loads them again)"
        )


def ingest_github_step(
    settings: Settings,
    registry: Registry,
    start: date,
    end: date,
    progress: bool,
    raw: RawLayer | None = None,
    reload: Reload | None = None,
    wait: float = 0.0,
) -> list[gharchive.DayResult]:
    """Ingest GitHub for [start, end], skipping the days already loaded with this registry (see `Reload`)."""
    tracked = registry.tracked_github()
    return _ingest_step(
        settings,
        "github",
        registry,
        start,
        end,
        lambda layer, first, last, fingerprint: layer.ingest_github(
            tracked, first, last, progress, fingerprint
        ),
        lambda results: {"missing": sum(len(r.missing_files) for r in results)},
        raw,
        reload,
        wait,
    )


def _ingest_step(
    settings: Settings,
    source: str,
    registry: Registry,
    start: date,
    end: date,
    load: Callable[[RawLayer, date, date, str], list[Any]],
    logged: Callable[[list[Any]], dict[str, int]],
    raw: RawLayer | None,
    reload: Reload | None,
    wait: float,
) -> list[Any]:
    """One source's stage `ingest <source>`: the days of [start, end] not already loaded with this registry's
    fingerprint, `load`ed span by span on the target's raw layer, recorded and logged (`logged` adds the
    source's own figures to the log line)."""
    reload = reload or Reload()
    params = {"start": start.isoformat(), "end": end.isoformat(), "force": reload.force}
    with (
        tracked_run(settings, f"ingest {source}", params, wait=wait) as tracker,
        tracker.stage(f"ingest {source}") as note,
    ):
        started = time.perf_counter()
        fingerprint = source_fingerprint(source, registry)
        layer = raw or open_raw_layer(settings)
        results: list[Any] = []
        try:
            todo, skipped = _days_to_load(layer, source, fingerprint, start, end, reload)
            _say_skipped(source, skipped, len(todo) + len(skipped), fingerprint)
            for first, last in day_spans(todo):
                results += load(layer, first, last, fingerprint)
        finally:
            if raw is None:
                layer.close()
        totals = _totals(results)
        note.add(**totals, skipped_days=len(skipped), fingerprint=fingerprint)
        step(
            f"{source} ingested ({layer.target})",
            time.perf_counter() - started,
            days=len(results),
            skipped=len(skipped),
            read=totals["read"],
            kept=totals["rows"],
            rejected=totals["rejected"],
            **logged(results),
            **_billed(results),
        )
    return results


def _totals(results: Sequence[Any]) -> dict[str, int]:
    """What a stage records of its day results: days, rows read, kept, rejected, missing files, bytes billed."""
    totals = {
        "days": len(results),
        "read": sum(r.rows_read for r in results),
        "rows": sum(r.rows_kept for r in results),
        "rejected": sum(r.rows_rejected for r in results),
        "missing": sum(len(getattr(r, "missing_files", ())) for r in results),
    }
    return totals | _billed(results)


def tracked_deployers(registry: Registry, network: str = OPTIMISM) -> frozenset[str]:
    """Registry addresses on `network` (or any_evm) tagged deployer/creator: their contracts are followed too."""
    return frozenset(
        artifact.address
        for project in registry.projects
        for artifact in project.blockchain
        if {"deployer", "creator"} & set(artifact.tags) and {network, "any_evm"} & set(artifact.networks)
    )


def ingest_optimism_step(
    settings: Settings,
    registry: Registry,
    start: date,
    end: date,
    progress: bool,
    raw: RawLayer | None = None,
    reload: Reload | None = None,
    wait: float = 0.0,
) -> list[optimism.DayResult]:
    """Ingest Optimism for [start, end], skipping the days already loaded with this registry (see `Reload`)."""
    addresses, deployers = registry.tracked_addresses(OPTIMISM), tracked_deployers(registry)
    return _ingest_step(
        settings,
        OPTIMISM,
        registry,
        start,
        end,
        lambda layer, first, last, fingerprint: layer.ingest_optimism(
            addresses, deployers, first, last, progress, fingerprint
        ),
        lambda results: {"without_receipt": sum(r.without_receipt for r in results)},
        raw,
        reload,
        wait,
    )


def ingest(
    settings: Settings,
    source: str,
    start: date,
    end: date,
    progress: bool = True,
    force: bool = False,
    wait: float = 0.0,
) -> list[Any]:
    """`impact ingest <source>`: load the registry, then ingest the source's days, holding the warehouse throughout."""
    params = {"start": start.isoformat(), "end": end.isoformat(), "force": force}
    with tracked_run(settings, f"ingest {source}", params, wait=wait):
        registry = load_registry_step(settings)
        if source == "github":
            return ingest_github_step(settings, registry, start, end, progress, reload=Reload(force))
        return ingest_optimism_step(settings, registry, start, end, progress, reload=Reload(force))


def build(settings: Settings, dbt_args: Sequence[str], wait: float = 0.0) -> None:
    """`impact build`: `dbt build <args>`, holding the warehouse, recorded as the stage `dbt build`."""
    from ingestion.dbt import run_dbt

    params = {"dbt_args_given": list(dbt_args)}
    with tracked_run(settings, "build", params, wait=wait) as tracker, tracker.stage("dbt build") as note:
        outcome = run_dbt(settings, ["build", *dbt_args], quiet=False)
        note.add(**outcome.counts)


def freshness(settings: Settings, wait: float = 0.0) -> bool:
    """`impact freshness`: `dbt source freshness`, recorded in raw._builds. True when every source passed or only
    warned; False when one is past its error_after (or could not be checked)."""
    from ingestion.dbt import run_dbt
    from ingestion.status import never_loaded

    with (
        tracked_run(settings, "freshness", wait=wait) as tracker,
        tracker.stage("dbt source freshness") as note,
    ):
        outcome = run_dbt(settings, ["source", "freshness"], quiet=False, raise_on_failure=False)
        note.add(**outcome.counts)
        if outcome.ok:
            return True
        layer = open_raw_layer(settings)
        try:
            loaded = layer.loaded_sources()
        finally:
            layer.close()
    failing = {
        name: entry
        for name, entry in (outcome.freshness or {}).items()
        if entry.get("status") not in ("pass", "warn")
    }
    unloaded = {
        name
        for name, entry in failing.items()
        if never_loaded(name, str(entry.get("status")), entry.get("max_loaded_at"), loaded)
    }
    for name in sorted(unloaded):
        warn(f"source {name} is empty and its source was never loaded here: not counted as stale")
    # No failing source table means dbt itself failed (nothing was checked): that stays a failure.
    return bool(failing) and set(failing) == unloaded


def _billed(results: Sequence[object]) -> dict[str, int]:
    billed = [getattr(r, "bytes_billed", None) for r in results]
    known = [b for b in billed if b is not None]
    return {"bytes_billed": sum(known)} if known else {}


def ingests_optimism(settings: Settings) -> bool:
    """Whether a run ingests Optimism: always on BigQuery, locally when the Optimism folder exists."""
    return settings.on_bigquery or settings.optimism_dir.is_dir()


def plan(
    settings: Settings, start: date, end: date, sources: Sequence[str], force: bool = False
) -> list[PlanItem]:
    """What ingesting [start, end] would read, priced by dry runs on BigQuery; nothing is written.

    Without `force`, the days an ingestion would skip (loaded ok with the same registry) are left out of the
    plan and its total, in one line per source saying so."""
    registry = read_registry(settings)
    layer = open_raw_layer(settings)
    try:
        items: list[PlanItem] = []
        for source in sources:
            fingerprint = source_fingerprint(source, registry)
            todo, skipped = (
                (days_between(start, end), [])
                if force
                else _days_to_load(layer, source, fingerprint, start, end, Reload())
            )
            if skipped:
                items.append(
                    PlanItem(
                        f"{source}: {len(skipped)} days skipped",
                        (spans_text(skipped),),
                        0,
                        "loaded ok with this registry (--force loads them again)",
                    )
                )
            for first, last in day_spans(todo):
                items += layer.plan(
                    registry.tracked_github(),
                    registry.tracked_addresses(OPTIMISM),
                    tracked_deployers(registry),
                    first,
                    last,
                    [source],
                )
        return items
    finally:
        layer.close()


def export_step(
    settings: Settings,
    progress: bool,
    only: Sequence[str] | None = None,
    dry_run: bool = False,
    schema: str = "impact",
    reader_role: str = "impact_reader",
    fmt: str = "binary",
) -> bool:
    """Export the marts flagged `meta.export` to Postgres from the target's warehouse; True when a table failed."""
    from ingestion.export.postgres import export_postgres, tables_from_manifest

    if not settings.postgres_url:
        raise ConfigError(
            "IMPACT_POSTGRES_URL is not set: export it, e.g. "
            "IMPACT_POSTGRES_URL=postgresql://user@127.0.0.1:5432/dbname (the password stays out of logs)"
        )
    manifest = dbt_target_path(settings) / "manifest.json"
    if not manifest.is_file():
        raise ConfigError(f"{manifest} is missing: run `impact build` (or `impact run`) before exporting")
    tables = tables_from_manifest(manifest, only=only or None)
    with _reader(settings, manifest) as reader:
        summary = export_postgres(
            reader,
            settings.postgres_url,
            tables,
            schema=schema,
            reader_role=reader_role,
            dry_run=dry_run,
            progress=progress,
            fmt=fmt,
        )
    return summary.failed


def dbt_target_path(settings: Settings) -> Path:
    """Where dbt writes its artifacts: DBT_TARGET_PATH when set (as dbt itself reads it), else <project>/target."""
    import os

    given = os.environ.get("DBT_TARGET_PATH")
    return Path(given) if given else settings.project_dir / "target"


def _reader(settings: Settings, manifest: Path) -> DuckDBReader | BigQueryReader:
    """The warehouse reader of the target; the manifest must come from a build on the same target."""
    import json

    from ingestion.export.readers import DuckDBReader

    adapter = json.loads(manifest.read_text()).get("metadata", {}).get("adapter_type")
    expected = "bigquery" if settings.on_bigquery else "duckdb"
    if adapter and adapter != expected:
        raise ConfigError(
            f"{manifest} comes from a {adapter} build but the target is {settings.target}: run "
            f"`impact build --target {settings.target}` first, so the export reads the marts it describes"
        )
    if not settings.on_bigquery:
        return DuckDBReader(settings.duckdb_path)
    from ingestion.bigquery.client import load_credentials, make_client
    from ingestion.export.readers import BigQueryReader, bigquery_read_client

    bq = settings.bigquery.validated()
    from ingestion.bigquery.jobs import QueryRunner

    client = make_client(bq)
    return BigQueryReader(
        client,
        bigquery_read_client(bq.storage_endpoint, load_credentials(bq)),
        runner=QueryRunner(client, bq.max_bytes, bq),
    )


def rebuild_from(last_loaded: date | None, lookback_days: int) -> date | None:
    """The first day an incremental build rewrites, given the last day loaded before this run: the first of the
    month holding (last - lookback), as the incremental models compute it from what they hold. None: no data yet."""
    if last_loaded is None:
        return None
    return (last_loaded - timedelta(days=lookback_days)).replace(day=1)


def staging_lookback_days(settings: Settings) -> int:
    """dbt's var `staging_lookback_days` (dbt_project.yml), which the incremental models use."""
    import yaml

    project = yaml.safe_load((settings.project_dir / "dbt_project.yml").read_text())
    return int((project.get("vars") or {}).get("staging_lookback_days", 3))


@dataclass(frozen=True)
class _RunPlan:
    """What a run does: its parameters (recorded, so `--resume` repeats them), the stages already done (resume)."""

    params: dict[str, Any]
    first_stage: str = RUN_STAGES[0]
    done: tuple[StageRecord, ...] = field(default_factory=tuple)
    resumed_from: RunRecord | None = None

    @property
    def start(self) -> date:
        return date.fromisoformat(self.params["start"])

    @property
    def end(self) -> date:
        return date.fromisoformat(self.params["end"])

    def runs(self, stage: str) -> bool:
        return RUN_STAGES.index(stage) >= RUN_STAGES.index(self.first_stage)


def run(
    settings: Settings,
    start: date | None = None,
    end: date | None = None,
    progress: bool = True,
    export: bool | None = None,
    *,
    force: bool = False,
    resume: bool = False,
    wait: float = 0.0,
) -> RunResult:
    """registry -> ingest github -> ingest optimism -> dbt build -> export, each a recorded stage.

    `resume`: pick up the last `impact run` at the first stage it did not end (its days, export choice and dbt
    arguments as it recorded them); when it ended ok, nothing runs. `force`: load the days again even when they
    were loaded ok with the same registry. `wait`: seconds to wait for another process holding the warehouse.
    """
    with holding_warehouse(settings, wait) as holding:
        if resume:
            planned = _resume_plan(settings, holding.store.last_run())
            if planned is None:
                return RunResult(0, 0, 0, 0)
        else:
            if start is None or end is None:
                raise ConfigError("impact run needs --start (and --end), or --resume to pick up the last run")
            planned = _fresh_plan(settings, start, end, export, force)
        previous = planned.resumed_from
        with tracking(holding, "run", planned.params, previous.run_id if previous else None) as tracker:
            return _run_stages(settings, planned, tracker, progress)


def _fresh_plan(settings: Settings, start: date, end: date, export: bool | None, force: bool) -> _RunPlan:
    layer = open_raw_layer(settings)
    try:
        rewritten_from = rebuild_from(layer.last_loaded_day(), staging_lookback_days(settings))
    finally:
        layer.close()
    dbt_args = ["build"]
    if rewritten_from is not None and start < rewritten_from:
        # An incremental build rewrites only the months from `rewritten_from` on: older days would miss the marts.
        warn(
            f"the run loads {start}, before {rewritten_from}, the first day an incremental build rewrites: "
            "building with --full-refresh so those days reach the marts (on BigQuery this reads all of raw)"
        )
        dbt_args.append("--full-refresh")
    if export is None:
        export = settings.postgres_url is not None
    return _RunPlan(
        {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "force": force,
            "export": export,
            "dbt_args": dbt_args,
        }
    )


def _resume_plan(settings: Settings, previous: RunRecord | None) -> _RunPlan | None:
    """Where the last run stopped, or None (said) when it ended ok. We hold the warehouse: a record still
    `running` is a run that was killed."""
    if previous is None:
        where = settings.bigquery.project if settings.on_bigquery else settings.duckdb_path
        raise ConfigError(
            f"nothing to resume: no `impact run` is recorded for {where}; run `impact run --start D --end D`"
        )
    if previous.status == OK:
        step(
            f"nothing to resume: the last run `{previous.command}` ended ok at "
            f"{previous.finished_at or previous.updated_at:%Y-%m-%d %H:%M:%S} UTC"
        )
        return None
    done = []
    first = None
    for name in RUN_STAGES:
        stage = previous.stage_named(name)
        if stage is None or not stage.done:
            first = name
            break
        done.append(stage)
    if first is None:  # every stage ended, the run did not: e.g. killed while recording its end
        first = RUN_STAGES[-1]
        done = done[:-1]
    params = dict(previous.params)
    params["resumed_from"] = previous.run_id
    # A resumed forced run skips the days its first attempt loaded already.
    params.setdefault("loads_since", previous.started_at.isoformat())
    if first != "registry":
        registry_stage = previous.stage_named("registry")
        loaded = (registry_stage.detail or {}).get("fingerprint") if registry_stage else None
        if loaded != registry_fingerprint(read_registry(settings)):
            warn(
                "the registry changed since the run being resumed loaded it: resuming from the registry stage, "
                f"not {first}"
            )
            first, done = "registry", []
    state = "was interrupted" if previous.status not in (FAILED,) else "failed"
    error = f": {previous.error.splitlines()[0]}" if previous.error else ""
    step(
        f"resuming `{previous.command}` (run {previous.run_id[:8]}, which {state} at stage "
        f"{previous.stage or first}{error}) at stage {first}"
    )
    return _RunPlan(params, first, tuple(done), previous)


def _run_stages(settings: Settings, planned: _RunPlan, tracker: RunTracker, progress: bool) -> RunResult:
    from ingestion.dbt import run_dbt

    previous = planned.resumed_from
    for stage in planned.done:
        assert previous is not None
        tracker.carry(stage, previous.run_id)
    start, end = planned.start, planned.end
    since = planned.params.get("loads_since")
    reload = Reload(bool(planned.params.get("force")), datetime.fromisoformat(since) if since else None)
    # Resumed after the registry stage: the registry it loaded (the same files, checked in _resume_plan).
    registry = load_registry_step(settings) if planned.runs("registry") else read_registry(settings)
    results: list[gharchive.DayResult] = []
    if planned.runs("ingest github"):
        results = ingest_github_step(settings, registry, start, end, progress, reload=reload)
    if planned.runs("ingest optimism"):
        if ingests_optimism(settings):
            ingest_optimism_step(settings, registry, start, end, progress, reload=reload)
        else:
            reason = f"no Optimism folder at {settings.optimism_dir} (set IMPACT_OPTIMISM_DIR)"
            warn(f"{reason}: onchain ingestion skipped")
            tracker.skip("ingest optimism", reason)
    if planned.runs("dbt build"):
        with tracker.stage("dbt build") as note:
            outcome = run_dbt(
                settings, list(planned.params.get("dbt_args") or ["build"]), target=settings.target
            )
            note.add(**outcome.counts)
    if planned.params.get("export"):
        with tracker.stage("export"):
            if export_step(settings, progress):
                raise ExportError(
                    "the Postgres export failed for at least one table (see above); the last good tables still "
                    "serve. `impact run --resume` retries the export"
                )
    else:
        tracker.skip("export", "no export (IMPACT_POSTGRES_URL unset or --no-export)")
    return RunResult(
        days=len(results),
        events_kept=sum(r.rows_kept for r in results),
        events_rejected=sum(r.rows_rejected for r in results),
        missing_hours=sum(len(r.missing_files) for r in results),
        resumed_at=planned.first_stage if previous else None,
    )


def sample_dir(settings: Settings) -> Path:
    """Where `impact demo` writes its generated sample (gitignored): gharchive/ and optimism/ below it."""
    return settings.project_dir / "data" / "sample"

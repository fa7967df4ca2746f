"""The whole run: registry -> GitHub (and Optimism) ingestion -> dbt build (-> export when Postgres is configured).

Every step runs against the settings' target: `local` (the DuckDB file, local source files) or `bigquery` (the
project's datasets, the public BigQuery sources). `plan` prints what a run would do, with the bytes each BigQuery
query would process, and changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from ingestion.errors import ConfigError
from ingestion.log import step, warn
from ingestion.raw_layer import PlanItem, RawLayer, open_raw_layer
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


def read_registry(settings: Settings) -> Registry:
    """Validate the registry files; RegistryError names every problem's file and field."""
    from ingestion.registry import load_registry

    return load_registry(settings.registry_dir, settings.seeds_dir)


def load_registry_step(settings: Settings, raw: RawLayer | None = None) -> Registry:
    """Validate the registry and replace raw.registry_* on the target; returns the Registry."""
    started = time.perf_counter()
    registry = read_registry(settings)
    layer = raw or open_raw_layer(settings)
    try:
        counts = layer.write_registry(registry)
    finally:
        if raw is None:
            layer.close()
    step(f"registry loaded ({layer.target})", time.perf_counter() - started, **counts)
    return registry


def ingest_github_step(
    settings: Settings,
    registry: Registry,
    start: date,
    end: date,
    progress: bool,
    raw: RawLayer | None = None,
) -> list[gharchive.DayResult]:
    started = time.perf_counter()
    layer = raw or open_raw_layer(settings)
    try:
        results = layer.ingest_github(registry.tracked_github(), start, end, progress)
    finally:
        if raw is None:
            layer.close()
    step(
        f"github ingested ({layer.target})",
        time.perf_counter() - started,
        days=len(results),
        read=sum(r.rows_read for r in results),
        kept=sum(r.rows_kept for r in results),
        rejected=sum(r.rows_rejected for r in results),
        missing=sum(len(r.missing_files) for r in results),
        **_billed(results),
    )
    return results


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
) -> list[optimism.DayResult]:
    started = time.perf_counter()
    layer = raw or open_raw_layer(settings)
    try:
        results = layer.ingest_optimism(
            registry.tracked_addresses(OPTIMISM), tracked_deployers(registry), start, end, progress
        )
    finally:
        if raw is None:
            layer.close()
    step(
        f"optimism ingested ({layer.target})",
        time.perf_counter() - started,
        days=len(results),
        read=sum(r.rows_read for r in results),
        kept=sum(r.rows_kept for r in results),
        rejected=sum(r.rows_rejected for r in results),
        without_receipt=sum(r.without_receipt for r in results),
        **_billed(results),
    )
    return results


def _billed(results: Sequence[object]) -> dict[str, int]:
    billed = [getattr(r, "bytes_billed", None) for r in results]
    known = [b for b in billed if b is not None]
    return {"bytes_billed": sum(known)} if known else {}


def ingests_optimism(settings: Settings) -> bool:
    """Whether a run ingests Optimism: always on BigQuery, locally when the Optimism folder exists."""
    return settings.on_bigquery or settings.optimism_dir.is_dir()


def plan(settings: Settings, start: date, end: date, sources: Sequence[str]) -> list[PlanItem]:
    """What ingesting [start, end] would read, priced by dry runs on BigQuery; nothing is written."""
    registry = read_registry(settings)
    layer = open_raw_layer(settings)
    try:
        return layer.plan(
            registry.tracked_github(),
            registry.tracked_addresses(OPTIMISM),
            tracked_deployers(registry),
            start,
            end,
            sources,
        )
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


def run(
    settings: Settings, start: date, end: date, progress: bool = True, export: bool | None = None
) -> RunResult:
    from ingestion.dbt import run_dbt

    layer = open_raw_layer(settings)
    try:
        rewritten_from = rebuild_from(layer.last_loaded_day(), staging_lookback_days(settings))
        registry = load_registry_step(settings, layer)
        results = ingest_github_step(settings, registry, start, end, progress, layer)
        if ingests_optimism(settings):
            ingest_optimism_step(settings, registry, start, end, progress, layer)
        else:
            warn(
                f"no Optimism folder at {settings.optimism_dir}: onchain ingestion skipped "
                "(set IMPACT_OPTIMISM_DIR)"
            )
    finally:
        layer.close()
    build = ["build"]
    if rewritten_from is not None and start < rewritten_from:
        # An incremental build rewrites only the months from `rewritten_from` on: older days would miss the marts.
        warn(
            f"the run loads {start}, before {rewritten_from}, the first day an incremental build rewrites: "
            "building with --full-refresh so those days reach the marts (on BigQuery this reads all of raw)"
        )
        build.append("--full-refresh")
    run_dbt(settings, build, target=settings.target)
    export_failed = False
    if export is None:
        export = settings.postgres_url is not None
    if export:
        export_failed = export_step(settings, progress)
    return RunResult(
        days=len(results),
        events_kept=sum(r.rows_kept for r in results),
        events_rejected=sum(r.rows_rejected for r in results),
        missing_hours=sum(len(r.missing_files) for r in results),
        export_failed=export_failed,
    )


def sample_dir(settings: Settings) -> Path:
    """Where `impact demo` writes its generated sample (gitignored): gharchive/ and optimism/ below it."""
    return settings.project_dir / "data" / "sample"

"""The whole run: registry -> GitHub ingestion -> dbt build (-> export when Postgres is configured)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ingestion.errors import ConfigError
from ingestion.log import step, warn
from ingestion.settings import Settings
from ingestion.warehouse import connect


@dataclass(frozen=True)
class RunResult:
    days: int
    events_kept: int
    events_rejected: int
    missing_hours: int
    export_failed: bool = False


def load_registry_step(settings: Settings) -> object:
    """Validate the registry and replace raw.registry_*; returns the Registry."""
    from ingestion.registry import load_registry, write_registry

    started = time.perf_counter()
    registry = load_registry(settings.registry_dir, settings.seeds_dir)
    con = connect(settings.duckdb_path)
    try:
        counts = write_registry(con, registry)
    finally:
        con.close()
    step("registry loaded", time.perf_counter() - started, **counts)
    return registry


def ingest_github_step(settings: Settings, registry: object, start: date, end: date, progress: bool) -> list:
    from ingestion.sources.gharchive import ingest_github

    if not settings.gharchive_dir.is_dir():
        raise ConfigError(
            f"GH Archive folder {settings.gharchive_dir} does not exist: set IMPACT_GHARCHIVE_DIR or pass "
            "--gharchive-dir (a folder of YYYY-MM-DD-H.json.gz hour files)"
        )
    started = time.perf_counter()
    con = connect(settings.duckdb_path)
    try:
        results = ingest_github(
            con, settings.gharchive_dir, registry.tracked_github(), start, end, progress=progress
        )
    finally:
        con.close()
    missing = sum(len(r.missing_files) for r in results)
    step(
        "github ingested",
        time.perf_counter() - started,
        days=len(results),
        read=sum(r.rows_read for r in results),
        kept=sum(r.rows_kept for r in results),
        rejected=sum(r.rows_rejected for r in results),
        missing_hours=missing,
    )
    return results


def tracked_deployers(registry: object, network: str = "optimism") -> frozenset[str]:
    """Registry addresses on `network` (or any_evm) tagged deployer/creator: their contracts are followed too."""
    return frozenset(
        artifact.address
        for project in registry.projects
        for artifact in project.blockchain
        if {"deployer", "creator"} & set(artifact.tags) and {network, "any_evm"} & set(artifact.networks)
    )


def ingest_optimism_step(
    settings: Settings, registry: object, start: date, end: date, progress: bool
) -> list:
    from ingestion.sources.optimism import ingest_optimism

    if not settings.optimism_dir.is_dir():
        raise ConfigError(
            f"Optimism folder {settings.optimism_dir} does not exist: set IMPACT_OPTIMISM_DIR or pass "
            "--optimism-dir (a folder with transactions/YYYY-MM-DD.* and receipts/YYYY-MM-DD.* files)"
        )
    started = time.perf_counter()
    con = connect(settings.duckdb_path)
    try:
        results = ingest_optimism(
            con,
            settings.optimism_dir,
            registry.tracked_addresses("optimism"),
            start,
            end,
            progress=progress,
            deployers=tracked_deployers(registry),
        )
    finally:
        con.close()
    step(
        "optimism ingested",
        time.perf_counter() - started,
        days=len(results),
        read=sum(r.rows_read for r in results),
        kept=sum(r.rows_kept for r in results),
        rejected=sum(r.rows_rejected for r in results),
        without_receipt=sum(r.without_receipt for r in results),
    )
    return results


def export_step(
    settings: Settings,
    progress: bool,
    only: Sequence[str] | None = None,
    dry_run: bool = False,
    schema: str = "impact",
    reader_role: str = "impact_reader",
    fmt: str = "binary",
) -> bool:
    """Export the marts flagged `meta.export` to Postgres; returns True when a table failed."""
    from ingestion.export.postgres import DuckDBReader, export_postgres, tables_from_manifest

    if not settings.postgres_url:
        raise ConfigError(
            "IMPACT_POSTGRES_URL is not set: export it, e.g. "
            "IMPACT_POSTGRES_URL=postgresql://user@127.0.0.1:5432/dbname (the password stays out of logs)"
        )
    manifest = settings.project_dir / "target" / "manifest.json"
    if not manifest.is_file():
        raise ConfigError(f"{manifest} is missing: run `impact build` (or `impact run`) before exporting")
    tables = tables_from_manifest(manifest, only=only or None)
    with DuckDBReader(settings.duckdb_path) as reader:
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


def run(
    settings: Settings, start: date, end: date, progress: bool = True, export: bool | None = None
) -> RunResult:
    from ingestion.dbt import run_dbt

    registry = load_registry_step(settings)
    results = ingest_github_step(settings, registry, start, end, progress)
    if settings.optimism_dir.is_dir():
        ingest_optimism_step(settings, registry, start, end, progress)
    else:
        warn(
            f"no Optimism folder at {settings.optimism_dir}: onchain ingestion skipped (set IMPACT_OPTIMISM_DIR)"
        )
    run_dbt(settings, ["build"])
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

"""An incremental run of the metric models equals a full refresh.

A real pipeline on a temporary DuckDB file: the sample registry, 24 days of generated GH Archive hours
(2025-09-15 .. 2025-10-08, across the 2025-10-07 payload change) ingested by the real GitHub source, and dbt run
in-process with windows of 2 and 7 days and all time (var metric_windows: short windows so that 24 days reach
past them). Days up to 10-07 are built with a full refresh and snapshotted; 10-08 is ingested and the metric
models run incrementally with a lookback of 2 days: they recompute the month of 10-06, 10-01 .. 10-08, sums from
the whole history (the deltas of 09-15 .. 09-30 add up onto 10-01), distinct people, classes and medians from the
days after 10-01 - 7 days only. A fresh full refresh of the metric models on the same data must then give the
very same rows, and the incremental run must have left 09-15 .. 09-30 as the snapshot had them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ingestion.registry import load_registry, write_registry
from ingestion.sample.gharchive import SAMPLE_REPOS, generate_hour_files
from ingestion.sources.gharchive import ingest_github
from ingestion.warehouse import connect

REPO_ROOT = Path(__file__).resolve().parents[2]
METRICS_DIR = REPO_ROOT / "models" / "marts" / "metrics"
FIRST_DAY = date(2025, 9, 15)
LAST_DAY = date(2025, 10, 8)
LOOKBACK_DAYS = 2
# The lookback reaches 10-06 (the last day built, 10-07, and the day before); runs recompute whole months.
FIRST_RECOMPUTED_DAY = date(2025, 10, 1)


def metric_models() -> list[str]:
    return sorted(p.stem for p in METRICS_DIR.glob("*.sql") if "metric_timeseries(" in p.read_text())


class Warehouse:
    """A DuckDB file, its dbt profile and artifacts folders, and the steps the test runs on it."""

    def __init__(self, folder: Path, profiles: Path):
        self.path = folder / "warehouse.duckdb"
        self.gharchive = folder / "gharchive"
        self.profiles = profiles
        self.target = folder / "target"
        self.logs = folder / "logs"
        self.registry = load_registry(REPO_ROOT / "registry", REPO_ROOT / "seeds")
        con = connect(self.path)
        try:
            write_registry(con, self.registry)
        finally:
            con.close()
        generate_hour_files(
            self.gharchive,
            FIRST_DAY,
            LAST_DAY,
            tracked_repos=SAMPLE_REPOS,
            seed=11,
            tracked_events_per_hour=2,
            noise_events_per_hour=0,
        )

    def ingest(self, start: date, end: date) -> None:
        con = connect(self.path)
        try:
            ingest_github(con, self.gharchive, self.registry.tracked_github(), start, end, progress=False)
        finally:
            con.close()

    def dbt(self, *args: str) -> None:
        from dbt.cli.main import dbtRunner

        result = dbtRunner().invoke(
            [
                "--quiet",
                *args,
                "--warn-error",
                "--project-dir",
                str(REPO_ROOT),
                "--profiles-dir",
                str(self.profiles),
                "--target-path",
                str(self.target),
                "--log-path",
                str(self.logs),
                "--vars",
                f"{{metric_lookback_days: {LOOKBACK_DAYS}, metric_windows: ['2d', '7d', 'all']}}",
            ]
        )
        failures = [
            f"{r.node.unique_id}: {r.message}"
            for r in (getattr(result.result, "results", None) or [])
            if str(r.status) not in {"success", "pass"}
        ]
        assert result.success, f"dbt {' '.join(args)} failed ({result.exception}):\n" + "\n".join(failures)

    def rows(self, models: Sequence[str]) -> dict[str, list[tuple]]:
        # Not read-only: dbt, in this process, may still hold the file open with the default configuration.
        con = duckdb.connect(str(self.path))
        try:
            return {
                model: con.execute(
                    f'select * from marts."{model}" order by entity_type, entity_id, sample_date, "window"'  # noqa: S608
                ).fetchall()
                for model in models
            }
        finally:
            con.close()


@pytest.fixture
def warehouse(
    tmp_path: Path, duckdb_profiles_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Warehouse]:
    built = Warehouse(tmp_path, duckdb_profiles_dir)
    monkeypatch.setenv("IMPACT_DUCKDB_PATH", str(built.path))
    monkeypatch.setenv("IMPACT_DBT_TARGET", "local")
    monkeypatch.delenv("DBT_PROFILES_DIR", raising=False)
    yield built


@pytest.mark.slow
def test_incremental_run_equals_full_refresh(warehouse: Warehouse) -> None:
    models = metric_models()
    assert len(models) >= 14
    selection = "+path:models/marts/metrics"

    # The wide table's contract names the production windows: it is not built with the short ones (nor incremental).
    wide = ("--exclude", "code_metrics_by_project_v1", "onchain_metrics_by_project_v1")

    warehouse.ingest(FIRST_DAY, date(2025, 10, 7))
    warehouse.dbt(
        "build",
        "--full-refresh",
        "--select",
        selection,
        *wide,
        "--resource-type",
        "seed",
        "--resource-type",
        "model",
    )
    snapshot = warehouse.rows(models)
    assert max(row[3] for row in snapshot["commit_count"]) == date(2025, 10, 7)

    warehouse.ingest(LAST_DAY, LAST_DAY)
    warehouse.dbt("run", "--select", selection, *wide)  # upstream tables rebuilt, metric models incremental
    incremental = warehouse.rows(models)

    warehouse.dbt("run", "--full-refresh", "--select", "path:models/marts/metrics", *wide)
    full = warehouse.rows(models)

    for model in models:
        assert incremental[model] == full[model], f"{model}: the incremental run differs from a full refresh"
        kept = [row for row in incremental[model] if row[3] < FIRST_RECOMPUTED_DAY]
        assert kept == [row for row in snapshot[model] if row[3] < FIRST_RECOMPUTED_DAY], model
        assert any(row[3] == LAST_DAY for row in full[model]), f"{model}: no row for the added day"

    # The added day's events moved the all-time sums (about 40 generated events a day on the sample repos).
    def all_time_total(day: date) -> float:
        return sum(r[5] for model in models for r in full[model] if r[3] == day and r[4] == "all")

    assert all_time_total(LAST_DAY) > all_time_total(date(2025, 10, 7))

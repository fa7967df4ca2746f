"""Loading an older day after newer ones still reaches the marts: the run builds with --full-refresh when the
day lies before the months an incremental build rewrites.

Real components: the GH Archive hour fixtures (tests/fixtures/gharchive) as published files, the sample registry
(its project `optimism` tracks the org ethereum-optimism), a DuckDB warehouse, dbt in-process.
"""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import pytest

from ingestion.pipeline import rebuild_from, run
from ingestion.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "gharchive"
NEW_DAY = date(2025, 12, 15)
OLD_DAY = date(2024, 5, 21)


def test_rebuild_from_is_the_first_of_the_month_holding_the_lookback() -> None:
    """Last day 2025-12-15, lookback 3: 12-12 is in December, so from 2025-12-01; last day 2025-12-02: 11-29 is
    in November, so from 2025-11-01; nothing loaded: no bound."""
    assert rebuild_from(date(2025, 12, 15), 3) == date(2025, 12, 1)
    assert rebuild_from(date(2025, 12, 2), 3) == date(2025, 11, 1)
    assert rebuild_from(None, 3) is None


@pytest.mark.slow
def test_an_older_day_loaded_later_reaches_the_marts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """2025-12-15 first: project optimism has events that day (the fixture README: line 1, the renamed repo under
    the tracked org, and line 5). Then 2024-05-21, 19 months earlier, which also has optimism events (hour 0 lines
    1, 5 and 7, hour 1 line 9): an incremental build would rewrite only December 2025 and the old day would never
    reach the marts. The run sees it, builds with --full-refresh, and the marts have both days."""
    # Not the project's target/: the suite runs test files in parallel.
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    folder = tmp_path / "gharchive"
    folder.mkdir()
    for name, day, hour in (
        ("2024-05-21-0.ndjson", OLD_DAY, 0),
        ("2024-05-21-1.ndjson", OLD_DAY, 1),
        ("2025-12-15-0.ndjson", NEW_DAY, 0),
    ):
        (folder / f"{day.isoformat()}-{hour}.json.gz").write_bytes(
            gzip.compress((FIXTURES / name).read_bytes())
        )
    settings = Settings.from_env().with_overrides(
        registry_dir=REPO_ROOT / "registry",
        gharchive_dir=folder,
        optimism_dir=tmp_path / "no-optimism",
        duckdb_path=tmp_path / "warehouse.duckdb",
        target="local",
    )
    run(settings, NEW_DAY, NEW_DAY, progress=False, export=False)
    assert "--full-refresh" not in capsys.readouterr().err
    run(settings, OLD_DAY, OLD_DAY, progress=False, export=False)
    assert "building with --full-refresh" in " ".join(capsys.readouterr().err.split())

    import duckdb

    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    try:
        days = con.execute(
            "select bucket_day, sum(event_count) from marts.events_daily_to_project "
            "where project_name = 'optimism' and event_source = 'GITHUB' group by 1 order by 1"
        ).fetchall()
    finally:
        con.close()
    assert [day for day, _ in days] == [OLD_DAY, NEW_DAY]

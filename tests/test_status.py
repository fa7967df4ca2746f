"""`impact status`, `impact freshness`, one writer at a time, resumable ingestion and `impact run --resume`.

Real components: GH Archive hour files made from the fixtures in tests/fixtures/gharchive (gzip, as published), the
sample registry (its project `optimism` tracks the org ethereum-optimism), DuckDB warehouse files, dbt in-process,
and separate `impact` processes where two processes meet (the lock is the operating system's).
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from ingestion.cli import cli
from ingestion.errors import ImpactError

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "gharchive"
IMPACT = Path(sys.executable).with_name("impact")

OLD_DAY = "2024-05-21"  # hours 0 and 1 only: 22 hours missing (2..23)
NEW_DAY = (
    "2025-12-15"  # all 24 hours (hour 0 from the fixture, 1..23 empty): after GH Archive's 2025-10-07 change
)


def _hours(folder: Path) -> None:
    """OLD_DAY with hours 0 and 1 (both pre-change payloads, tracked events in each: fixture README); NEW_DAY
    complete, its only events in hour 0 (post-change payloads: pushes without commits)."""
    folder.mkdir(parents=True, exist_ok=True)
    for hour in (0, 1):
        (folder / f"{OLD_DAY}-{hour}.json.gz").write_bytes(
            gzip.compress((FIXTURES / f"{OLD_DAY}-{hour}.ndjson").read_bytes())
        )
    (folder / f"{NEW_DAY}-0.json.gz").write_bytes(
        gzip.compress((FIXTURES / f"{NEW_DAY}-0.ndjson").read_bytes())
    )
    for hour in range(1, 24):
        (folder / f"{NEW_DAY}-{hour}.json.gz").write_bytes(gzip.compress(b""))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A fresh warehouse in tmp_path; dbt's target and logs there too (the suite runs files in parallel)."""
    _hours(tmp_path / "gharchive")
    return {
        "IMPACT_TARGET": "local",
        "IMPACT_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"),
        "IMPACT_GHARCHIVE_DIR": str(tmp_path / "gharchive"),
        "IMPACT_OPTIMISM_DIR": str(tmp_path / "no-optimism"),
        "IMPACT_REGISTRY_DIR": str(REPO_ROOT / "registry"),
        "IMPACT_POSTGRES_URL": "",
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }


@dataclass(frozen=True)
class Ran:
    exit_code: int
    stdout: str
    stderr: str


def impact(env: dict[str, str], *args: str) -> Ran:
    """`impact ARGS` in this process, with the exit code `ingestion.cli.main` gives an ImpactError."""
    result = CliRunner().invoke(cli, list(args), env=env)
    code = result.exit_code
    if isinstance(result.exception, ImpactError):
        code = result.exception.exit_code
    elif result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(code, result.stdout, result.stderr)


def status_json(env: dict[str, str]) -> tuple[int, dict]:
    result = impact(env, "status", "--json")
    return result.exit_code, json.loads(result.stdout)


def loads(env: dict[str, str], source: str = "github") -> list[tuple[str, str]]:
    con = duckdb.connect(env["IMPACT_DUCKDB_PATH"], read_only=True)
    try:
        rows = con.execute(
            "select cast(day as varchar), status from raw._loads where source = ? order by finished_at",
            [source],
        ).fetchall()
    finally:
        con.close()
    return [(str(day), str(status)) for day, status in rows]


# --- status ----------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_status_names_a_stale_source_a_failed_model_a_missing_hour_and_a_drift_day(
    env: dict[str, str],
) -> None:
    """Healthy first (exit 0) with two notes: OLD_DAY lacks 22 hours, NEW_DAY is after the payload change (its
    pushes list no commits). Then the GitHub events are made 4 days old (error_after is 72 hours) and their raw
    table is dropped, so `impact freshness` and a build of stg_github__events fail: exit 1, each named."""
    assert impact(env, "ingest", "github", "--start", OLD_DAY, "--no-progress").exit_code == 0
    assert impact(env, "ingest", "github", "--start", NEW_DAY, "--no-progress").exit_code == 0
    built = impact(env, "build", "--select", "+github_data_coverage_v1", "--indirect-selection", "cautious")
    assert built.exit_code == 0
    # Optimism was never ingested on this warehouse: its empty source is a note, not a stale source.
    assert impact(env, "freshness").exit_code == 0

    code, found = status_json(env)
    assert (code, found["healthy"], found["problems"]) == (0, True, [])
    notes = "\n".join(found["notes"])
    assert f"github {OLD_DAY}: 22 missing" in notes
    assert f"commits unknown on {NEW_DAY}" in notes
    assert "optimism.optimism_transactions has no rows" in notes
    assert [d["day"] for d in found["drift_days"]] == [NEW_DAY]

    con = duckdb.connect(env["IMPACT_DUCKDB_PATH"])
    con.execute("update raw.github_events set _loaded_at = _loaded_at - interval 4 day")
    con.close()
    assert impact(env, "freshness").exit_code == 1
    con = duckdb.connect(env["IMPACT_DUCKDB_PATH"])
    con.execute("drop table raw.github_events")
    con.close()
    assert (
        impact(env, "build", "--select", "stg_github__events", "--indirect-selection", "cautious").exit_code
        == 1
    )

    code, found = status_json(env)
    assert (code, found["healthy"]) == (1, False)
    problems = "\n".join(found["problems"])
    assert "stale source github.github_events" in problems
    assert "older than error_after 72 hour" in problems
    assert "the last dbt build failed: model stg_github__events" in problems
    notes = "\n".join(found["notes"])
    assert f"github {OLD_DAY}: 22 missing" in notes
    assert f"commits unknown on {NEW_DAY}" in notes

    text = impact(env, "status")
    assert text.exit_code == 1
    assert "stale source github.github_events" in text.stdout
    markdown = impact(env, "status", "--markdown")
    assert markdown.exit_code == 1
    assert "stg_github__events" in markdown.stdout


# --- one writer at a time ------------------------------------------------------------------------------------

HOLDER = """
import sys, time
from pathlib import Path
from ingestion.run_state import tracked_run
from ingestion.settings import Settings

ready, release = Path(sys.argv[1]), Path(sys.argv[2])
with tracked_run(Settings.from_env(), "ingest github", {"start": "2025-12-15", "end": "2025-12-15"}) as tracker:
    with tracker.stage("ingest github"):
        ready.write_text("holding")
        while not release.exists():
            time.sleep(0.05)
"""


@pytest.fixture
def holder(env: dict[str, str], tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """Another process holding the warehouse, in the stage `ingest github`, until `release` exists."""
    ready, release = tmp_path / "ready", tmp_path / "release"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(ready), str(release)], env={**os.environ, **env}, cwd=REPO_ROOT
    )
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert proc.poll() is None, "the holder process ended early"
        assert time.monotonic() < deadline, "the holder never took the warehouse"
        time.sleep(0.05)
    try:
        yield proc, release
    finally:
        release.write_text("go")
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


def run_impact(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(IMPACT), *args],
        env={**os.environ, **env},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_while_a_run_holds_the_warehouse_status_reports_it_and_a_second_writer_gets_one_line(
    env: dict[str, str], holder: tuple[subprocess.Popen[bytes], Path]
) -> None:
    proc, release = holder
    shown = run_impact(env, "status", "--json")
    assert shown.returncode == 0, shown.stderr
    found = json.loads(shown.stdout)
    assert found["running"] is True
    assert found["run"]["pid"] == proc.pid
    assert found["run"]["stage"] == "ingest github"
    assert "ingest github" in found["run"]["command"]

    second = run_impact(env, "ingest", "github", "--start", NEW_DAY, "--no-progress")
    assert second.returncode == 75
    lines = [line for line in second.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, second.stderr
    assert f"pid {proc.pid}" in lines[0]
    assert "since" in lines[0]
    assert "Traceback" not in second.stderr

    # With --wait, the second writer waits for the first and then does its work.
    waiting = subprocess.Popen(
        [str(IMPACT), "ingest", "github", "--start", NEW_DAY, "--no-progress", "--wait", "60"],
        env={**os.environ, **env},
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.0)
    assert waiting.poll() is None, "the waiting writer did not wait"
    release.write_text("go")
    proc.wait(timeout=30)
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert loads(env) == [(NEW_DAY, "ok")]


def test_a_killed_run_is_reported_as_interrupted_at_its_stage(
    env: dict[str, str], holder: tuple[subprocess.Popen[bytes], Path]
) -> None:
    proc, _ = holder
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    code, found = status_json(env)
    assert code == 1
    assert found["running"] is False
    assert any("was interrupted at stage ingest github" in p for p in found["problems"]), found["problems"]
    # The lock went with the process: the next writer does not wait.
    assert impact(env, "ingest", "github", "--start", NEW_DAY, "--no-progress").exit_code == 0


# --- resumable ingestion -------------------------------------------------------------------------------------


def test_a_day_loaded_with_the_same_registry_is_skipped_unless_forced_or_the_registry_changed(
    env: dict[str, str], tmp_path: Path
) -> None:
    """NEW_DAY has all its hours: loaded once, then skipped; --force loads it again; a registry that tracks
    another repo loads it again. OLD_DAY lacks hours, so it loads every time (its hours may have been published
    since)."""
    assert impact(env, "ingest", "github", "--start", NEW_DAY, "--no-progress").exit_code == 0
    again = impact(env, "ingest", "github", "--start", NEW_DAY, "--no-progress")
    assert again.exit_code == 0
    assert f"skipped: {NEW_DAY}" in again.stderr
    assert loads(env) == [(NEW_DAY, "ok")]

    assert impact(env, "ingest", "github", "--start", NEW_DAY, "--no-progress", "--force").exit_code == 0
    assert loads(env) == [(NEW_DAY, "ok")] * 2

    assert impact(env, "ingest", "github", "--start", OLD_DAY, "--no-progress").exit_code == 0
    assert impact(env, "ingest", "github", "--start", OLD_DAY, "--no-progress").exit_code == 0
    assert loads(env).count((OLD_DAY, "ok")) == 2

    # The registry changed (one more tracked repo): the day's filter kept by another rule, so it loads again.
    registry = tmp_path / "registry"
    subprocess.run(["cp", "-r", str(REPO_ROOT / "registry"), str(registry)], check=True)
    extra = registry / "projects" / "z" / "zz-status-test.yaml"
    extra.parent.mkdir(parents=True, exist_ok=True)
    extra.write_text(
        "version: 7\nname: zz-status-test\ndisplay_name: Status test\n"
        "github:\n  - url: https://github.com/status-test-owner/status-test-repo\n"
    )
    changed = {**env, "IMPACT_REGISTRY_DIR": str(registry)}
    assert impact(changed, "ingest", "github", "--start", NEW_DAY, "--no-progress").exit_code == 0
    assert loads(env).count((NEW_DAY, "ok")) == 3


@pytest.mark.slow
def test_run_resume_picks_up_at_the_failed_stage(env: dict[str, str], tmp_path: Path) -> None:
    """A run over NEW_DAY fails in `ingest github`: its hour 5 is a truncated gzip, so the day fails and writes
    nothing. With the hour fixed, `impact run --resume` starts at that stage: the registry is not loaded again,
    the day loads, and the build runs and reaches the event table. A second --resume has nothing to resume."""
    folder = Path(env["IMPACT_GHARCHIVE_DIR"])
    broken = folder / f"{NEW_DAY}-5.json.gz"
    broken.write_bytes(gzip.compress(b'{"id": "1"}\n' * 50)[:20])
    first = impact(env, "run", "--start", NEW_DAY, "--end", NEW_DAY, "--no-progress")
    assert first.exit_code != 0
    code, found = status_json(env)
    assert code == 1
    assert any("failed at stage ingest github" in p and "--resume" in p for p in found["problems"])
    assert loads(env) == [(NEW_DAY, "failed")]
    registry_loads = len(loads(env, "registry"))

    broken.write_bytes(gzip.compress(b""))
    resumed = impact(env, "run", "--resume", "--no-progress")
    assert resumed.exit_code == 0, resumed.stderr
    assert "at stage ingest github" in resumed.stderr
    assert len(loads(env, "registry")) == registry_loads  # the registry stage was carried over, not redone
    assert loads(env) == [(NEW_DAY, "failed"), (NEW_DAY, "ok")]
    code, found = status_json(env)
    assert found["run"]["status"] == "ok"
    stages = {s["name"]: s for s in found["run"]["stages"]}
    assert stages["registry"]["detail"]["done_by_run"]
    assert stages["dbt build"]["status"] == "ok"
    con = duckdb.connect(env["IMPACT_DUCKDB_PATH"], read_only=True)
    try:
        # NEW_DAY hour 0, line 5 (fixture README): a WatchEvent on ethereum-optimism/optimism, tracked by the
        # sample registry's org ethereum-optimism: one STARRED event of that day.
        stars = con.execute(
            "select count(*) from intermediate.int_events where cast(time as date) = ? and event_type = 'STARRED'",
            [NEW_DAY],
        ).fetchone()
    finally:
        con.close()
    assert stars == (1,)

    # The last run ended ok: nothing to do, said so, and not an error.
    nothing = impact(env, "run", "--resume", "--no-progress")
    assert nothing.exit_code == 0
    assert "nothing to resume: the last run" in nothing.stderr
    assert "ended ok" in nothing.stderr

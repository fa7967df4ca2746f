"""The README's promise, end to end: `impact demo` on a fresh warehouse, then `impact status`, then a re-run.

Real components throughout: the generated GH Archive hour files and Optimism day files on disk, a real DuckDB
file, dbt-duckdb building every model in-process. The sample's event counts come from a generator, so this test
asserts what the demo must show rather than generated numbers: every registry project in the table, the hour left
out on purpose reported, the GH Archive 2025-10-07 change flagged, and a second run changing nothing.
"""

from __future__ import annotations

import json

import duckdb
import pytest
from click.testing import CliRunner

from ingestion.cli import cli
from ingestion.registry import load_registry
from ingestion.settings import PROJECT_DIR


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, str]:
    warehouse = tmp_path_factory.mktemp("demo") / "warehouse.duckdb"
    runner = CliRunner()
    env = {"IMPACT_DUCKDB_PATH": str(warehouse)}
    result = runner.invoke(cli, ["demo", "--no-progress"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return warehouse, result.output


def _marts(warehouse) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("select * from marts.events_daily_to_project order by all").fetchall()
    finally:
        con.close()


def test_the_demo_prints_activity_for_every_project(demo_run) -> None:
    _, output = demo_run
    registry = load_registry(PROJECT_DIR / "registry", PROJECT_DIR / "seeds")
    assert "Activity per project, 2025-10-05 to 2025-10-08" in output
    for project in registry.projects:
        assert f"│ {project.name} " in output


def test_the_demo_ends_with_a_developer_lifecycle_line_per_project(demo_run) -> None:
    """The sample spans 2025-10-05 .. 10-08: every project with a developer (an account that pushed) gets the
    lifecycle line of October, a month not over."""
    warehouse, output = demo_run
    assert "Developer lifecycle per project, latest month" in output
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        with_developers = con.execute(
            "select count(distinct entity_id) from marts.developer_lifecycle_v1 where entity_type = 'project'"
        ).fetchone()
    finally:
        con.close()
    assert with_developers is not None and with_developers[0] > 0
    assert output.count("developers in 2025-10") == with_developers[0]


def test_the_demo_flags_the_days_after_the_gh_archive_change(demo_run) -> None:
    _, output = demo_run
    assert "commits unknown on 2025-10-07, 2025-10-08" in output
    assert "merges unknown on 2025-10-07, 2025-10-08" in output


def test_the_missing_hour_is_recorded_and_nothing_is_rejected(demo_run) -> None:
    warehouse, _ = demo_run
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        loads = con.execute(
            "select source, day, status, missing_files, rows_rejected from raw._loads "
            "where source in ('github', 'optimism') order by source, day"
        ).fetchall()
        commits_after_change = con.execute(
            "select count(*) from marts.events_daily_to_project "
            "where event_type = 'COMMIT_CODE' and bucket_day >= date '2025-10-07'"
        ).fetchone()[0]
    finally:
        con.close()
    assert [(s, str(d)) for s, d, *_ in loads] == [
        (source, f"2025-10-0{day}") for source in ("github", "optimism") for day in (5, 6, 7, 8)
    ]
    assert all(status == "ok" and rejected == 0 for _, _, status, _, rejected in loads)
    missing = {str(day): files for source, day, _, files, _ in loads if source == "github"}
    assert missing["2025-10-06"] == ["2025-10-06-13.json.gz"]
    assert all(files == [] for day, files in missing.items() if day != "2025-10-06")
    # Push payloads after the change list no commits: no COMMIT_CODE event may be invented for those days.
    assert commits_after_change == 0


def test_status_shows_the_loaded_days_and_the_build(demo_run) -> None:
    warehouse, _ = demo_run
    """The demo loads 2025-10-05..08 from both sources and builds: healthy (exit 0), each day's latest load ok, the
    build ok, and the hour the sample leaves out named as a note."""
    result = CliRunner().invoke(cli, ["status", "--json"], env={"IMPACT_DUCKDB_PATH": str(warehouse)})
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    days = ["2025-10-05", "2025-10-06", "2025-10-07", "2025-10-08"]
    for source in ("github", "optimism"):
        loaded = sorted((load["day"], load["status"]) for load in found["loads"] if load["source"] == source)
        assert loaded == [(day, "ok") for day in days], source
    assert found["last_build"]["status"] == "ok"
    assert any(note.startswith("github 2025-10-") and "missing" in note for note in found["notes"])
    text = CliRunner().invoke(cli, ["status"], env={"IMPACT_DUCKDB_PATH": str(warehouse)})
    assert text.exit_code == 0 and "healthy" in text.output


def test_running_the_demo_again_changes_nothing(demo_run) -> None:
    warehouse, _ = demo_run
    before = _marts(warehouse)
    result = CliRunner().invoke(cli, ["demo", "--no-progress"], env={"IMPACT_DUCKDB_PATH": str(warehouse)})
    assert result.exit_code == 0, result.output
    assert _marts(warehouse) == before
    assert len(before) > 0


def test_the_cli_exports_the_demo_marts_to_postgres(demo_run) -> None:
    """`impact export postgres` after the demo: every exported mart lands in a real Postgres schema with the
    warehouse's row count, a dry run first changes nothing, and the password of the URL never shows."""
    import uuid

    import psycopg
    from psycopg import sql

    from ingestion.export.manifest import tables_from_manifest

    warehouse, _ = demo_run
    schema = f"demo_{uuid.uuid4().hex[:8]}"
    role = f"{schema}_reader"
    url = "postgresql://postgres:not-a-real-secret@127.0.0.1:5432/test"
    env = {"IMPACT_DUCKDB_PATH": str(warehouse), "IMPACT_POSTGRES_URL": url}
    args = ["export", "postgres", "--no-progress", "--schema", schema, "--reader-role", role]
    exported = tables_from_manifest(PROJECT_DIR / "target" / "manifest.json")
    try:
        dry = CliRunner().invoke(cli, [*args, "--dry-run"], env=env)
        assert dry.exit_code == 0, dry.output
        with psycopg.connect(url, autocommit=True) as conn:
            found = conn.execute("select count(*) from pg_namespace where nspname = %s", [schema]).fetchone()
            assert found[0] == 0
        result = CliRunner().invoke(cli, args, env=env)
        assert result.exit_code == 0, result.output
        assert "not-a-real-secret" not in result.output + dry.output
        con = duckdb.connect(str(warehouse), read_only=True)
        with psycopg.connect(url, autocommit=True) as conn:
            for table in exported:
                served = conn.execute(
                    sql.SQL("select count(*) from {}").format(sql.Identifier(schema, table.name))
                ).fetchone()[0]
                expected = con.execute(f"select count(*) from marts.{table.name}").fetchone()[0]  # noqa: S608
                assert served == expected, table.name
        con.close()
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema)))
            conn.execute(
                sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(f"{schema}_staging"))
            )
            if conn.execute("select 1 from pg_roles where rolname = %s", [role]).fetchone():
                conn.execute(sql.SQL("drop owned by {}").format(sql.Identifier(role)))
                conn.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))

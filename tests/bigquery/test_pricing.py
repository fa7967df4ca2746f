"""Every BigQuery query priced before it runs, as a user sees it from the command line.

Boundary: Google's BigQuery cannot be reached from the tests, and the local emulator that stands in for it estimates
0 bytes for every dry run. So the tests put `PricingProxy` (tests/bqemulator.py) between the real
google-cloud-bigquery client and the emulator: it answers the dry runs of the GH Archive day query with a large
`totalBytesProcessed`, as BigQuery would for a real day table, and records the job bodies the client sends. The
emulator still checks the SQL of every dry run and runs the real jobs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner
from google.cloud import bigquery

from ingestion.raw_schema import GITHUB_EVENTS

if TYPE_CHECKING:
    from bqemulator import BigQueryEmulator, PricingProxy

REPO_ROOT = Path(__file__).resolve().parents[2]
DAY = date(2024, 5, 21)
DAY_BYTES = 23_456_789_012
"""What the proxy says a day table query would process: about a 2024 GH Archive day (bench/README.md)."""
OPTIMISM_SCHEMAS = REPO_ROOT / "tests" / "fixtures" / "optimism_bigquery" / "schema"
EVENT = {
    "id": "1",
    "type": "WatchEvent",
    "public": True,
    "created_at": "2024-05-21T10:00:00Z",
    "repo": {"id": 1, "name": "ethereum-optimism/optimism", "url": "u"},
    "actor": {"id": 2, "login": "alice", "gravatar_id": "", "avatar_url": "a", "url": "u"},
    "org": None,
    "payload": "{}",
    "other": None,
}


@pytest.fixture
def sources(bq_emulator: BigQueryEmulator, bq_project: str) -> Iterator[dict[str, str]]:
    """A GH Archive day table for DAY and empty Optimism public tables, in the test's project; the environment a
    user would set for BigQuery, minus the endpoint (the test picks the proxy or the emulator)."""
    client = bq_emulator.client(bq_project)
    client.create_dataset(f"{bq_project}.gharchive_day")
    schema = [
        f
        for f in GITHUB_EVENTS.bigquery_schema()
        if f.name not in {"archive_day", "_source_file", "_loaded_at"}
    ]  # type: ignore[attr-defined]
    config = bigquery.LoadJobConfig(schema=schema, source_format="NEWLINE_DELIMITED_JSON")
    client.load_table_from_json(
        [EVENT], f"{bq_project}.gharchive_day.{DAY:%Y%m%d}", job_config=config
    ).result()
    client.create_dataset(f"{bq_project}.optimism")
    for table in ("transactions", "receipts", "blocks"):
        fields = [
            bigquery.SchemaField.from_api_repr(f)
            for f in json.loads((OPTIMISM_SCHEMAS / f"{table}.json").read_text())
        ]
        spec = bigquery.Table(f"{bq_project}.optimism.{table}", schema=fields)
        spec.time_partitioning = bigquery.TimePartitioning(
            type_=bigquery.TimePartitioningType.MONTH, field="block_timestamp"
        )
        client.create_table(spec)
    client.close()
    yield {
        "IMPACT_TARGET": "bigquery",
        "IMPACT_BQ_PROJECT": bq_project,
        "IMPACT_BQ_GITHUB_TABLES": f"{bq_project}.gharchive_day.",
        "IMPACT_BQ_OPTIMISM_DATASET": f"{bq_project}.optimism",
        "IMPACT_REGISTRY_DIR": str(REPO_ROOT / "registry"),
        "IMPACT_POSTGRES_URL": "",
    }


def _run(args: list[str], env: dict[str, str]) -> Any:
    """The CLI as `impact` runs it (its own error handling and exit codes), in-process."""
    from ingestion.cli import main

    runner = CliRunner()
    with runner.isolated_filesystem():
        return runner.invoke(_main_command(main), args, env=env)


def _main_command(main: Any) -> Any:
    import click

    @click.command(context_settings={"ignore_unknown_options": True})
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def entry(args: tuple[str, ...]) -> None:
        import sys

        sys.argv = ["impact", *args]
        main()

    return entry


def _select(emulator: BigQueryEmulator, project: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows of `sql`, run in `project` (whose datasets it names unqualified)."""
    client = emulator.client(project)
    try:
        config = bigquery.QueryJobConfig(default_dataset=f"{project}.raw")
        return [tuple(row.values()) for row in client.query(sql, job_config=config).result()]
    finally:
        client.close()


def _raw_tables(emulator: BigQueryEmulator, project: str) -> list[str]:
    client = emulator.client(project)
    try:
        return sorted(t.table_id for t in client.list_tables(f"{project}.raw"))
    except Exception:  # the dataset does not exist
        return []
    finally:
        client.close()


def test_run_dry_run_prints_the_plan_and_the_bytes(
    bq_emulator: BigQueryEmulator, bq_pricing_proxy: PricingProxy, sources: dict[str, str]
) -> None:
    """`impact run --target bigquery --dry-run` prices each day's query by its dry run and prints the plan: the
    GitHub day query at the proxy's 23,456,789,012 bytes (23.46 GB, $0.1333 at $6.25 per TiB), the Optimism
    queries at what the emulator says (0), and the total. Nothing runs: the client sent only dry runs, and no raw
    table was created."""
    bq_pricing_proxy.dry_run_bytes = DAY_BYTES
    bq_pricing_proxy.only_if_query_has = "gharchive_day"
    env = {**sources, "IMPACT_BQ_ENDPOINT": bq_pricing_proxy.endpoint}
    result = _run(["run", "--dry-run", "--start", DAY.isoformat()], env)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "plan (bigquery): nothing runs" in out
    assert f"github {DAY}" in out and "gharchive_day" in out
    assert "23.46 GB" in out and "$0.1333" in out
    assert f"optimism {DAY}" in out
    assert f"total: 23.46 GB ({DAY_BYTES} bytes)" in out
    assert "each query is capped at 100.00 GB (IMPACT_BQ_MAX_BYTES)" in out
    assert "then: registry load, dbt build --target bigquery" in out
    assert bq_pricing_proxy.dry_runs() and not bq_pricing_proxy.real_jobs()
    assert _raw_tables(bq_emulator, sources["IMPACT_BQ_PROJECT"]) == []


def test_a_query_over_the_cap_is_refused_before_it_runs(
    bq_emulator: BigQueryEmulator, bq_pricing_proxy: PricingProxy, sources: dict[str, str]
) -> None:
    """With IMPACT_BQ_MAX_BYTES=10000000000 (10 GB) and a day whose dry run says 23.46 GB, `impact ingest github`
    stops with exit code 3 and a message giving the bytes, the cap and how to raise it; the day's MERGE is never
    sent as a real job, so raw.github_events stays empty."""
    bq_pricing_proxy.dry_run_bytes = DAY_BYTES
    bq_pricing_proxy.only_if_query_has = "gharchive_day"
    env = {**sources, "IMPACT_BQ_ENDPOINT": bq_pricing_proxy.endpoint, "IMPACT_BQ_MAX_BYTES": "10000000000"}
    result = _run(["ingest", "github", "--start", DAY.isoformat(), "--no-progress"], env)
    assert result.exit_code == 3, result.output
    message = " ".join(result.output.split())
    assert f"github {DAY}: the dry run says this query would process 23.46 GB ({DAY_BYTES} bytes" in message
    assert "over the cap of 10.00 GB (10000000000 bytes) set by IMPACT_BQ_MAX_BYTES; nothing ran" in message
    # The suggestion: 1.2 x the estimate, rounded up to two significant digits, as a plain number dbt reads too.
    assert "IMPACT_BQ_MAX_BYTES=29000000000" in message
    sent = [
        job["configuration"]["query"]["query"]
        for job in bq_pricing_proxy.real_jobs()
        if "query" in job.get("configuration", {})
    ]
    assert not any("gharchive_day" in sql for sql in sent)
    assert _select(bq_emulator, sources["IMPACT_BQ_PROJECT"], "select count(*) from raw.github_events") == [
        (0,)
    ]


def test_every_real_job_carries_the_cap_as_maximum_bytes_billed(
    bq_emulator: BigQueryEmulator, bq_pricing_proxy: PricingProxy, sources: dict[str, str]
) -> None:
    """Under the cap the day runs, and every query job the client sends carries `maximumBytesBilled` = the cap
    (so BigQuery itself refuses a job that would bill more than the dry run said), each after a dry run of the
    same SQL. The day keeps its one tracked event (ethereum-optimism/optimism is in the registry)."""
    bq_pricing_proxy.dry_run_bytes = DAY_BYTES
    bq_pricing_proxy.only_if_query_has = "gharchive_day"
    env = {**sources, "IMPACT_BQ_ENDPOINT": bq_pricing_proxy.endpoint, "IMPACT_BQ_MAX_BYTES": "50000000000"}
    result = _run(["ingest", "github", "--start", DAY.isoformat(), "--no-progress"], env)
    assert result.exit_code == 0, result.output
    queries = [job for job in bq_pricing_proxy.real_jobs() if "query" in job.get("configuration", {})]
    assert queries, "no query job was sent"
    assert {job["configuration"]["query"].get("maximumBytesBilled") for job in queries} == {"50000000000"}
    dry_sql = {job["configuration"]["query"]["query"] for job in bq_pricing_proxy.dry_runs()}
    assert all(job["configuration"]["query"]["query"] in dry_sql for job in queries)
    merge = [job for job in queries if "gharchive_day" in job["configuration"]["query"]["query"]]
    assert len(merge) == 1 and merge[0]["configuration"]["query"]["query"].lstrip().startswith("merge ")
    project = sources["IMPACT_BQ_PROJECT"]
    assert _select(bq_emulator, project, "select id from raw.github_events") == [("1",)]
    # What the job reported is recorded (the emulator reports 0 bytes for real jobs too).
    loads = "select status, rows_kept, bytes_processed, bytes_billed from raw._loads where source = 'github'"
    assert _select(bq_emulator, project, loads) == [("ok", 1, 0, 0)]

"""GitHub ingestion on BigQuery: the same events kept as by the hour-file filter, through the real client.

Boundary: Google's BigQuery cannot be reached from the tests, so the local BigQuery emulator (`bq_emulator`)
stands in for it, behind the real google-cloud-bigquery client; GH Archive's `githubarchive.day.YYYYMMDD` tables are
played by tables of the same shape in the test's own project (the table prefix is a setting). The emulator
estimates 0 bytes for every dry run, so prices are tested in tests/bigquery/test_pricing.py with a proxy.

The fixture is tests/fixtures/gharchive (its README lists the fate of every line): the hour files go through the
local backend into DuckDB, and the same events, as rows of day tables, through the BigQuery backend. Lines the
local filter rejects (not JSON, wrong field types) cannot exist in a typed BigQuery table and are left out of the
day tables.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ingestion.bigquery.jobs import QueryRunner
from ingestion.bigquery.raw import BigQueryRaw
from ingestion.raw_schema import GITHUB_EVENTS
from ingestion.registry import TrackedGithub
from ingestion.settings import BigQuerySettings
from ingestion.sources.gharchive import ingest_github
from ingestion.sources.gharchive_bigquery import ingest_github_bigquery, plan_github
from ingestion.warehouse import connect

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "gharchive"
DAY1 = date(2024, 5, 21)
DAY2 = date(2025, 12, 15)
HOUR_FILES = {DAY1: ["2024-05-21-0.ndjson", "2024-05-21-1.ndjson"], DAY2: ["2025-12-15-0.ndjson"]}
WEIRD_NAME = "Évil'Org/repo\"; drop table raw.github_events; --ñ"
TRACKED = TrackedGithub(
    repos=frozenset({"ethereum-optimism/optimism", "paradigmxyz/reth", WEIRD_NAME.lower()}),
    orgs=frozenset({"ethereum"}),
)
CONTRACT = ("id", "type", "public", "created_at", "repo", "actor", "org", "payload", "other")
USER_FIELDS = ("id", "login", "gravatar_id", "avatar_url", "url")


def _valid_events(day: date) -> list[dict[str, Any]]:
    """The day's fixture events that the raw contract accepts (the lines a BigQuery day table could hold)."""
    events = []
    for name in HOUR_FILES[day]:
        for line in (FIXTURES / name).read_text(encoding="utf-8").split("\n"):
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if (
                isinstance(event, dict)
                and isinstance(event.get("id"), str)
                and isinstance(event.get("actor"), dict)
                and isinstance((event.get("repo") or {}).get("id"), int)
                and event.get("created_at") != "yesterday"
            ):
                events.append(event)
    return events


def _day_table_row(event: dict[str, Any]) -> dict[str, Any]:
    """An event as a row of a GH Archive day table: payload and other as JSON text, structs with their fields."""
    extra = {k: v for k, v in event.items() if k not in CONTRACT}
    org = event.get("org")
    return {
        "id": event["id"],
        "type": event["type"],
        "public": event.get("public"),
        "created_at": event["created_at"],
        "repo": {k: event["repo"].get(k) for k in ("id", "name", "url")},
        "actor": {k: event["actor"].get(k) for k in USER_FIELDS},
        "org": None if org is None else {k: org.get(k) for k in USER_FIELDS},
        "payload": _utf8(json.dumps(event["payload"], ensure_ascii=False)),
        "other": _utf8(json.dumps(extra, ensure_ascii=False)) if extra else None,
    }


def _utf8(text: str) -> str:
    """Text a BigQuery STRING can hold: a lone UTF-16 surrogate (GitHub text has a few) becomes U+FFFD."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


class GithubOnBigQuery:
    """A test project on the emulator with GH Archive-shaped day tables and a raw dataset."""

    def __init__(self, emulator: Any, project: str):
        from google.cloud import bigquery

        self.settings = BigQuerySettings(
            project=project, endpoint=emulator.endpoint, github_tables=f"{project}.gharchive_day."
        )
        self.client = emulator.client(project)
        self.raw = BigQueryRaw(self.client, QueryRunner(self.client, 10**12, self.settings), project)
        self.raw.ensure()
        self.client.create_dataset(f"{project}.gharchive_day", exists_ok=True)
        schema = [f for f in GITHUB_EVENTS.bigquery_schema() if f.name in CONTRACT]  # type: ignore[attr-defined]
        for day in HOUR_FILES:
            rows = [_day_table_row(event) for event in _valid_events(day)]
            config = bigquery.LoadJobConfig(schema=schema, source_format="NEWLINE_DELIMITED_JSON")
            table = f"{self.settings.github_tables}{day:%Y%m%d}"
            self.client.load_table_from_json(rows, table, job_config=config).result()

    def ingest(self, start: date, end: date | None = None, **kwargs: Any) -> list[Any]:
        return ingest_github_bigquery(
            self.raw, self.settings.github_tables, TRACKED, start, end or start, progress=False, **kwargs
        )

    def query(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        """Run `sql` (`raw.<table>` names the test project's raw tables) with DATE parameters."""
        from google.cloud import bigquery

        sql = re.sub(r"\braw\.(\w+)", lambda m: f"`{self.raw.table_id(m.group(1))}`", sql)
        config = bigquery.QueryJobConfig(
            query_parameters=[bigquery.ScalarQueryParameter(k, "DATE", v) for k, v in params.items()]
        )
        return [tuple(row.values()) for row in self.client.query(sql, job_config=config).result()]

    def rows(self, day: date) -> list[tuple[Any, ...]]:
        found = self.query(
            f"select {', '.join(CONTRACT)} from raw.github_events where archive_day = @day",  # noqa: S608
            day=day,
        )
        return sorted(_normalised(dict(zip(CONTRACT, row, strict=True))) for row in found)


def _normalised(row: dict[str, Any]) -> tuple[Any, ...]:
    """A kept row in a comparable form: JSON text parsed, timestamps naive UTC, an org of nulls as no org."""
    created = row["created_at"]
    if getattr(created, "tzinfo", None) is not None:
        created = created.replace(tzinfo=None)
    org = row["org"]
    if isinstance(org, dict) and all(v is None for v in org.values()):
        org = None
    return (
        row["id"],
        row["type"],
        row["public"],
        created,
        json.dumps(row["repo"], sort_keys=True),
        json.dumps(row["actor"], sort_keys=True),
        json.dumps(org, sort_keys=True),
        json.dumps(json.loads(row["payload"]), sort_keys=True),
        None if row["other"] is None else json.dumps(json.loads(row["other"]), sort_keys=True),
    )


@pytest.fixture
def github_bq(bq_emulator: Any, bq_project: str) -> Iterator[GithubOnBigQuery]:
    setup = GithubOnBigQuery(bq_emulator, bq_project)
    try:
        yield setup
    finally:
        setup.client.close()


def _local_rows(tmp_path: Path, order: list[date]) -> dict[date, list[tuple[Any, ...]]]:
    folder = tmp_path / "gha"
    folder.mkdir()
    for day, names in HOUR_FILES.items():
        for hour, name in enumerate(names):
            (folder / f"{day.isoformat()}-{hour}.json.gz").write_bytes(
                gzip.compress((FIXTURES / name).read_bytes())
            )
    con = connect(tmp_path / "local.duckdb")
    try:
        for day in order:
            ingest_github(con, folder, TRACKED, day, day, progress=False)
        found = {}
        for day in HOUR_FILES:
            rows = con.execute(
                f"select {', '.join(CONTRACT)} from raw.github_events where archive_day = ?",  # noqa: S608
                [day],
            ).fetchall()
            found[day] = sorted(
                _normalised(dict(zip(CONTRACT, (*row[:4], *row[4:7], row[7], row[8]), strict=True)))
                for row in rows
            )
        return found
    finally:
        con.close()


@pytest.mark.parametrize("order", [[DAY1, DAY2], [DAY2, DAY1]], ids=["day1-first", "day2-first"])
def test_both_backends_keep_the_same_events(
    github_bq: GithubOnBigQuery, tmp_path: Path, order: list[date]
) -> None:
    """The contract: the same fixture through both backends keeps the same events, column for column, whichever day
    is loaded first. By the fixture README: 2024-05-21 keeps 10 rows (7 from hour 0, 3 from hour 1, among them a
    duplicate id, the renamed repo by id, the hostile name, two org matches); 2025-12-15 keeps 4 (the renamed repo by
    the id its own line 5 teaches, reth, the org's go-ethereum, optimism)."""
    local = _local_rows(tmp_path, order)
    for day in order:
        github_bq.ingest(day)
    assert [len(local[DAY1]), len(local[DAY2])] == [10, 4]
    assert github_bq.rows(DAY1) == local[DAY1]
    assert github_bq.rows(DAY2) == local[DAY2]
    ids = {row[0] for row in github_bq.rows(DAY2)}
    assert ids == {"6725093205", "50000000002", "50000000004", "50000000005"}


def test_a_hostile_registry_name_is_a_parameter(github_bq: GithubOnBigQuery) -> None:
    """The tracked name `Évil'Org/repo"; drop table raw.github_events; --ñ` reaches BigQuery only as an array
    parameter: its event (line 8 of hour 0) is kept, and the raw table is still there with every other row."""
    [result] = github_bq.ingest(DAY1)
    names = {row[0] for row in github_bq.query("select repo.name from raw.github_events")}
    assert WEIRD_NAME in names
    assert result.rows_kept == 10


def test_re_running_a_day_leaves_the_same_rows(github_bq: GithubOnBigQuery) -> None:
    """Idempotent: a second run of both days replaces each day whole (10 + 4 rows, not twice as many), and
    raw._loads records two ok loads per day, each with the rows its day table held: 14 on 2024-05-21 (hour 0's 10
    lines, hour 1's lines 1, 8, 9 and 11) and 5 on 2025-12-15."""
    github_bq.ingest(DAY1)
    github_bq.ingest(DAY2)
    first = (github_bq.rows(DAY1), github_bq.rows(DAY2))
    results = [*github_bq.ingest(DAY1), *github_bq.ingest(DAY2)]
    assert (github_bq.rows(DAY1), github_bq.rows(DAY2)) == first
    assert [r.rows_kept for r in results] == [10, 4]
    count = github_bq.query("select count(*) from raw.github_events")
    assert count == [(14,)]
    loads = github_bq.query(
        "select day, status, rows_read, rows_kept from raw._loads order by day, started_at"
    )
    assert [(day, status, kept) for day, status, _, kept in loads] == [
        (DAY1, "ok", 10),
        (DAY1, "ok", 10),
        (DAY2, "ok", 4),
        (DAY2, "ok", 4),
    ]
    assert {(day, read) for day, _, read, _ in loads} == {(DAY1, 14), (DAY2, 5)}


def test_known_repo_ids_are_followed(github_bq: GithubOnBigQuery) -> None:
    """A given id (e.g. resolved through GitHub's API) is followed under any name: with 58000002 given and reth
    no longer tracked by name, 2024-05-21 still keeps reth's events (hour 0 line 2, hour 1 lines 8 and 11)."""
    tracked = TrackedGithub(repos=frozenset({"ethereum-optimism/optimism"}), orgs=frozenset())
    kept = ingest_github_bigquery(
        github_bq.raw,
        github_bq.settings.github_tables,
        tracked,
        DAY1,
        DAY1,
        progress=False,
        known_repo_ids={58000002: "paradigmxyz/reth"},
    )
    names = sorted(r[4] for r in github_bq.rows(DAY1))
    assert sum('"paradigmxyz/reth"' in n.lower() for n in names) == 3
    # optimism lines 1, 5 (duplicate), 7 (renamed, by id), and hour 1 line 9: 4 rows; plus reth's 3.
    assert kept[0].rows_kept == 7


def test_a_missing_day_table_is_reported_and_keeps_the_day(github_bq: GithubOnBigQuery) -> None:
    """No table for 2025-12-16: a failed load in raw._loads naming the table; the other day loads."""
    results = github_bq.ingest(DAY2, date(2025, 12, 16))
    assert [(r.day, r.rows_kept, r.files_read) for r in results] == [(DAY2, 4, 1), (date(2025, 12, 16), 0, 0)]
    [(status, error)] = github_bq.query(
        "select status, error from raw._loads where day = @day",
        day=date(2025, 12, 16),
    )
    assert status == "failed" and "gharchive_day.20251216 does not exist" in error


def test_a_plan_runs_nothing(github_bq: GithubOnBigQuery) -> None:
    """`plan_github` dry-runs each day: the raw table and raw._loads stay empty, and a day without a table is
    planned with no bytes and a note."""
    planned = plan_github(github_bq.raw, github_bq.settings.github_tables, TRACKED, DAY2, date(2025, 12, 16))
    assert [(p.what, p.bytes_estimated is None) for p in planned] == [
        ("github 2025-12-15", False),
        ("github 2025-12-16", True),
    ]
    for table in ("github_events", "_loads"):
        assert github_bq.query(f"select count(*) from raw.{table}") == [(0,)]  # noqa: S608

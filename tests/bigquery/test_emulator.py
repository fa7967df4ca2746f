"""The BigQuery emulator the suite runs against: what the ingestion relies on works there through the real
google-cloud-bigquery client (datasets, NDJSON load jobs with RECORD columns, array query parameters,
multi-statement transactions), and each test's project is its own.

Boundary, for every test here: the local BigQuery emulator (`local-bigquery`, tests/bqemulator.py) stands in for
Google's BigQuery REST API; the client and its requests are the real ones."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

import pytest
from google.api_core.exceptions import BadRequest, Conflict, NotFound
from google.cloud import bigquery

if TYPE_CHECKING:
    from bqemulator import BigQueryEmulator

EVENT_SCHEMA = [
    bigquery.SchemaField("id", "STRING", mode="REQUIRED"),
    bigquery.SchemaField("type", "STRING"),
    bigquery.SchemaField(
        "repo",
        "RECORD",
        fields=[bigquery.SchemaField("id", "INTEGER"), bigquery.SchemaField("name", "STRING")],
    ),
    bigquery.SchemaField("created_at", "TIMESTAMP"),
]


def _ndjson(rows: list[dict]) -> io.BytesIO:
    return io.BytesIO(b"".join(json.dumps(row).encode() + b"\n" for row in rows))


def _load(client: bigquery.Client, table: str, rows: list[dict]) -> bigquery.LoadJob:
    config = bigquery.LoadJobConfig(
        schema=EVENT_SCHEMA, source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON
    )
    job = client.load_table_from_file(_ndjson(rows), table, job_config=config)
    job.result()
    return job


def _event(event_id: str, repo_id: int, repo_name: str) -> dict:
    return {
        "id": event_id,
        "type": "PushEvent",
        "repo": {"id": repo_id, "name": repo_name},
        "created_at": "2024-03-01T10:00:00Z",
    }


def test_dataset_is_created_listed_and_a_second_create_conflicts(
    bq_client: bigquery.Client, bq_project: str
) -> None:
    """Boundary: the emulator stands in for BigQuery's datasets API."""
    created = bq_client.create_dataset("raw")
    assert (created.project, created.dataset_id) == (bq_project, "raw")
    assert bq_client.get_dataset("raw").dataset_id == "raw"
    assert [d.dataset_id for d in bq_client.list_datasets()] == ["raw"]
    with pytest.raises(Conflict):
        bq_client.create_dataset("raw")
    with pytest.raises(NotFound):
        bq_client.get_dataset("staging")


def test_ndjson_load_job_keeps_record_columns(bq_client: bigquery.Client) -> None:
    """Boundary: the emulator stands in for BigQuery's load jobs (an NDJSON upload, explicit schema with a RECORD)."""
    bq_client.create_dataset("raw")
    rows = [_event("e1", 10, "octo/alpha"), _event("e2", 11, "octo/beta"), _event("e3", 10, "octo/alpha")]
    job = _load(bq_client, "raw.github_events", rows)

    assert job.output_rows == 3  # the three lines sent
    table = bq_client.get_table("raw.github_events")
    assert [f.name for f in table.schema] == ["id", "type", "repo", "created_at"]
    assert [f.name for f in table.schema[2].fields] == ["id", "name"]
    result = bq_client.query(
        "select repo.name as name, count(*) as n, min(repo.id) as repo_id from raw.github_events "
        "group by repo.name order by name"
    ).result()
    # octo/alpha is in e1 and e3 (id 10), octo/beta in e2 (id 11).
    assert [tuple(row.values()) for row in result] == [("octo/alpha", 2, 10), ("octo/beta", 1, 11)]


def test_load_job_with_a_value_of_the_wrong_type_fails_and_writes_nothing(bq_client: bigquery.Client) -> None:
    """Boundary: the emulator stands in for BigQuery's load jobs, which fail whole on a bad row by default.
    (A field outside the schema is not checked: the emulator drops it where BigQuery would fail the load.)"""
    bq_client.create_dataset("raw")
    _load(bq_client, "raw.github_events", [_event("e1", 10, "octo/alpha")])
    wrong_type = {**_event("e3", 12, "octo/gamma"), "repo": {"id": "twelve", "name": "octo/gamma"}}
    with pytest.raises(BadRequest, match="twelve"):
        _load(bq_client, "raw.github_events", [_event("e2", 11, "octo/beta"), wrong_type])
    assert [row.id for row in bq_client.query("select id from raw.github_events").result()] == ["e1"]


def test_array_parameters_carry_hostile_names_as_data(bq_client: bigquery.Client) -> None:
    """Boundary: the emulator stands in for BigQuery's query API with array query parameters."""
    bq_client.create_dataset("raw")
    names = ["Quote'Org/It's", "back`tick/repo`", "plain/repo"]
    _load(bq_client, "raw.github_events", [_event(f"e{i}", i, name) for i, name in enumerate(names)])
    sql = "select repo.name as name from raw.github_events where lower(repo.name) in unnest(@names) order by name"

    def names_matching(values: list[str]) -> list[str]:
        config = bigquery.QueryJobConfig(
            query_parameters=[bigquery.ArrayQueryParameter("names", "STRING", values)]
        )
        return [row.name for row in bq_client.query(sql, job_config=config).result()]

    # The lower-cased quote and backtick names match themselves, and only themselves.
    assert names_matching(["quote'org/it's", "back`tick/repo`"]) == ["Quote'Org/It's", "back`tick/repo`"]
    # Text that would widen the filter if it were pasted into the SQL is one more name that matches nothing.
    assert names_matching(["x') or true or ('"]) == []
    assert names_matching(["x` or true or `"]) == []


def _day_rows(client: bigquery.Client, day: date) -> list[str]:
    config = bigquery.QueryJobConfig(query_parameters=[bigquery.ScalarQueryParameter("day", "DATE", day)])
    sql = "select id from raw.events where archive_day = @day order by id"
    return [row.id for row in client.query(sql, job_config=config).result()]


def test_multi_statement_transaction_replaces_a_day_atomically(bq_client: bigquery.Client) -> None:
    """Boundary: the emulator stands in for BigQuery's scripting (BEGIN TRANSACTION ... COMMIT TRANSACTION)."""
    bq_client.create_dataset("raw")
    bq_client.query(
        "create table raw.events (id string, archive_day date);"
        "insert into raw.events values ('old-1', date '2024-03-01'), ('old-2', date '2024-03-01'),"
        " ('other-day', date '2024-03-02');"
        "create table raw.incoming (id string);"
        "insert into raw.incoming values ('new-1'), ('new-2'), ('new-3');"
    ).result()
    replace_day = (
        "begin transaction;"
        " delete from raw.events where archive_day = @day;"
        " insert into raw.events (id, archive_day) select id, @day from raw.incoming;"
        " commit transaction;"
    )
    config = bigquery.QueryJobConfig(
        query_parameters=[bigquery.ScalarQueryParameter("day", "DATE", date(2024, 3, 1))]
    )
    for _ in range(2):  # re-running the day gives the same rows, not twice as many
        bq_client.query(replace_day, job_config=config).result()
        assert _day_rows(bq_client, date(2024, 3, 1)) == ["new-1", "new-2", "new-3"]
        assert _day_rows(bq_client, date(2024, 3, 2)) == ["other-day"]

    failing = replace_day.replace(" commit transaction;", " select error('stop here'); commit transaction;")
    with pytest.raises(BadRequest, match="stop here"):
        bq_client.query(failing, job_config=config).result()
    # The delete before the failure was rolled back with it.
    assert _day_rows(bq_client, date(2024, 3, 1)) == ["new-1", "new-2", "new-3"]


def test_two_projects_are_isolated(
    bq_emulator: BigQueryEmulator, bq_project_factory: Callable[[], str]
) -> None:
    """Boundary: the emulator stands in for BigQuery; each project is its own catalog there, as in BigQuery."""
    first, second = bq_project_factory(), bq_project_factory()
    assert first != second
    clients = [bq_emulator.client(first), bq_emulator.client(second)]
    for client in clients:
        client.create_dataset("raw")  # the same dataset name in both projects: no conflict
    clients[0].query("create table raw.marker as select 'first' as owner").result()
    clients[1].query("create table raw.marker as select 'second' as owner").result()
    clients[0].query("create table raw.only_in_first as select 1 as x").result()

    assert [row.owner for row in clients[0].query("select owner from raw.marker").result()] == ["first"]
    assert [row.owner for row in clients[1].query("select owner from raw.marker").result()] == ["second"]
    assert sorted(t.table_id for t in clients[1].list_tables("raw")) == ["marker"]
    with pytest.raises(NotFound):
        clients[1].get_table("raw.only_in_first")
    # Across projects a table is reached by its full name, as in BigQuery.
    across = clients[1].query(f"select x from `{first}.raw.only_in_first`").result()  # noqa: S608 - a test's own id
    assert [row.x for row in across] == [1]
    for client in clients:
        client.close()

"""The two proxies the suite puts in front of the BigQuery emulator, for what it answers differently from BigQuery:
the CTAS fix (dbt-bigquery reads a CTAS job's table from `configuration.query.destinationTable`) and the pricing
proxy (dry-run estimates, which the emulator always gives as 0 bytes). Both must pass everything else through.

Boundary, for every test here: the local BigQuery emulator stands in for Google's BigQuery REST API, reached by the
real google-cloud-bigquery client through a local HTTP proxy (tests/bqemulator.py) that edits only what its test
says."""

from __future__ import annotations

import http.client
import io
import json
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from google.api_core.exceptions import BadRequest
from google.cloud import bigquery

if TYPE_CHECKING:
    from bqemulator import BigQueryEmulator, CtasFixProxy, PricingProxy

CTAS = "create table raw.repos as select * from unnest(['octo/alpha', 'octo/beta']) as name"


def test_ctas_job_reports_its_table_as_destination_through_the_proxy(
    bq_emulator: BigQueryEmulator, bq_dbt_endpoint: str, bq_project: str
) -> None:
    """Boundary: the emulator behind the CTAS-fix proxy stands in for BigQuery's jobs API, as dbt-bigquery uses it
    (`client.get_table(query_job.destination)` after a CTAS)."""
    direct = bq_emulator.client(bq_project)
    direct.create_dataset("raw")
    job = direct.query(CTAS)
    job.result()
    # Why the proxy exists: the emulator names the table only in the DDL statistics.
    assert job.destination is None
    assert job.ddl_target_table == bigquery.TableReference.from_string(f"{bq_project}.raw.repos")

    client = bq_emulator.client(bq_project, endpoint=bq_dbt_endpoint)
    job = client.query(CTAS.replace("raw.repos", "raw.repos_again"))
    job.result()
    assert job.statement_type == "CREATE_TABLE_AS_SELECT"
    assert job.destination == bigquery.TableReference.from_string(f"{bq_project}.raw.repos_again")
    assert client.get_table(job.destination).num_rows == 2  # the two names in the array
    # Reloaded by id (jobs.get), the job says the same.
    reloaded = client.get_job(job.job_id)
    assert isinstance(reloaded, bigquery.QueryJob)
    assert reloaded.destination == job.destination
    # A query that is not a CTAS is passed back as the emulator wrote it.
    select = client.query("select name from raw.repos_again order by name")
    assert [row.name for row in select.result()] == ["octo/alpha", "octo/beta"]
    assert select.statement_type == "SELECT"
    direct.close()
    client.close()


def test_proxy_passes_uploads_through(
    bq_emulator: BigQueryEmulator, bq_dbt_proxy: CtasFixProxy, bq_dbt_endpoint: str, bq_project: str
) -> None:
    """Boundary: the emulator behind the CTAS-fix proxy stands in for BigQuery's upload endpoint: a multipart load
    (size known), a resumable load (size unknown: start, then PUT of the data) and a chunked request body."""
    client = bq_emulator.client(bq_project, endpoint=bq_dbt_endpoint)
    client.create_dataset("raw")
    config = bigquery.LoadJobConfig(
        schema=[bigquery.SchemaField("n", "INTEGER")],
        source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
    )
    multipart = b"".join(b'{"n": %d}\n' % n for n in range(1, 4))  # 1 + 2 + 3 = 6
    client.load_table_from_file(
        io.BytesIO(multipart), "raw.numbers", job_config=config, size=len(multipart)
    ).result()
    # 20,000 lines (~200 kB), n = 1..20000: sum n(n+1)/2 = 200,010,000.
    resumable = b"".join(b'{"n": %d}\n' % n for n in range(1, 20_001))
    client.load_table_from_file(io.BytesIO(resumable), "raw.numbers", job_config=config).result()

    rows = client.query("select count(*) as rows, sum(n) as total from raw.numbers").result()
    assert [tuple(row.values()) for row in rows] == [(3 + 20_000, 6 + 200_010_000)]
    # The resumable upload's data went to the proxy too: the emulator's Location header was rewritten to it.
    passed = [(method, path.split("?")[0]) for method, path in bq_dbt_proxy.requests]
    assert ("PUT", f"/upload/bigquery/v2/projects/{bq_project}/jobs") in passed

    # A request body sent chunked (no Content-Length) arrives whole: a dataset created that way exists.
    parts = urlsplit(bq_dbt_endpoint)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port)
    body = json.dumps({"datasetReference": {"projectId": bq_project, "datasetId": "chunked"}}).encode()
    connection.request(
        "POST",
        f"/bigquery/v2/projects/{bq_project}/datasets",
        body=iter([body[:10], body[10:]]),
        headers={"Content-Type": "application/json"},
        encode_chunked=True,
    )
    response = connection.getresponse()
    assert response.status == 200, response.read()
    connection.close()
    assert bq_emulator.client(bq_project).get_dataset("chunked").dataset_id == "chunked"
    client.close()


def test_pricing_proxy_answers_dry_runs_and_records_the_cap_of_real_jobs(
    bq_emulator: BigQueryEmulator, bq_pricing_proxy: PricingProxy, bq_project: str
) -> None:
    """Boundary: the emulator behind the pricing proxy stands in for BigQuery's jobs API; the proxy stands in for
    BigQuery's dry-run estimate (the emulator's is always 0)."""
    direct = bq_emulator.client(bq_project)
    direct.create_dataset("raw")
    direct.query("create table raw.events as select * from unnest([1, 2, 3]) as n").result()
    dry = bigquery.QueryJobConfig(dry_run=True, use_query_cache=False)
    assert direct.query("select n from raw.events", job_config=dry).total_bytes_processed == 0

    five_tib = 5 * 2**40
    bq_pricing_proxy.dry_run_bytes = five_tib
    client = bq_emulator.client(bq_project, endpoint=bq_pricing_proxy.endpoint)
    estimate = client.query("select n from raw.events", job_config=dry)
    assert estimate.total_bytes_processed == five_tib
    assert estimate.state == "DONE"
    # A dry run still goes to the emulator: bad SQL is rejected, and a dry-run DELETE deletes nothing.
    with pytest.raises(BadRequest, match="no_such_column"):
        client.query("select no_such_column from raw.events", job_config=dry)
    client.query("delete from raw.events where true", job_config=dry)
    assert [row.n for row in direct.query("select n from raw.events order by n").result()] == [1, 2, 3]

    capped = bigquery.QueryJobConfig(maximum_bytes_billed=10**9)
    assert [
        row.total for row in client.query("select sum(n) as total from raw.events", job_config=capped)
    ] == [6]

    real = bq_pricing_proxy.real_jobs()
    assert len(real) == 1
    assert real[0]["configuration"]["query"]["maximumBytesBilled"] == "1000000000"
    assert [job["configuration"]["query"]["query"] for job in bq_pricing_proxy.dry_runs()] == [
        "select n from raw.events",
        "select no_such_column from raw.events",
        "delete from raw.events where true",
    ]
    direct.close()
    client.close()

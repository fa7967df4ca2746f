"""The first `dbt build` on BigQuery, and the cross-engine parity check: the same models, the same raw rows, the
same marts on BigQuery as on DuckDB.

Boundary: the local BigQuery emulator (tests/bqemulator.py; a server of its own, `bq_dbt_emulator` in
tests/dbt/conftest.py) stands in for Google's BigQuery. dbt-bigquery reaches it through `CtasFixProxy`, a proxy that
makes CTAS jobs report their destination table as BigQuery does, with profiles.example.yml's `bigquery` output (method oauth-secrets, a placeholder token, IMPACT_BQ_ENDPOINT). The
fixture (`bigquery_fixture_build`, tests/dbt/conftest.py) is tests/fixtures/dbt: registry.json, the GH Archive hours
and optimism.json, loaded by load jobs into the raw tables the ingestion creates (`BigQueryRaw.ensure()`), then
`dbt build --warn-error --target bigquery`: seeds, models, contracts, unit tests and data tests. It is a first build
(no table exists), so the incremental metric models run their first-build shape; their incremental shape, dbt-bigquery's
dynamic insert_overwrite script, which no emulator runs, is checked offline by compiling it and parsing it with sqlglot
(tests/dbt/test_bigquery_compile.py).

The DuckDB side is `parity_duckdb_warehouse`: the same rows through the local day loads and `dbt build`.

Parity compares every exported mart (`meta.export`) and every metric model, read whole from both engines: the same
column names in the same order, of corresponding types (BIGNUMERIC is the exact decimal DuckDB has as
`decimal(38,18)`, FLOAT64 is `double`, INT64 is `bigint`, ...), and the same rows as multisets. Only the
representation of a value is normalised, and today only the first rule has anything to do:
- decimals compare by value: `Decimal('1.000000000000000000')` (DuckDB) and `Decimal('1')` (BigQuery) are one
  amount written with two scales (Python compares them equal; they are also written the same in failure messages);
- timestamps (none in these marts yet): BigQuery's client returns timezone-aware UTC datetimes, DuckDB naive ones
  holding UTC, so aware ones are made naive UTC;
- arrays (none yet) become tuples, in order, to be hashable.
The marts have no RECORD column, so "NULL struct vs struct of NULLs" does not arise. Nothing else is normalised:
floats must be equal exactly, strings (the ids included) byte for byte, NULL must be NULL.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ingestion.ids import artifact_id, collection_id, project_id

if TYPE_CHECKING:
    from conftest import BigQueryBuild, BuiltWarehouse

pytestmark = pytest.mark.slow

OP_TOKEN = "0x4200000000000000000000000000000000000042"
BOT = "0x" + "9" * 40

# (dataset, table) -> (partition type, partition field, clustering columns), as the models' configs declare them:
# months (a build of every day since 2011 stays under BigQuery's 4,000 partitions per job), clustered by the same
# column first (a range of days prunes within a month).
EVENT_TABLES = {
    ("staging", "stg_github__events"): ("MONTH", "archive_day", ["archive_day", "event_type", "repo_id"]),
    ("staging", "stg_github__commits"): ("MONTH", "pushed_day", ["pushed_day", "repo_id"]),
    ("staging", "stg_github__pull_requests"): ("MONTH", "event_day", ["event_day", "repo_id"]),
    ("staging", "stg_github__issues"): ("MONTH", "event_day", ["event_day", "repo_id"]),
    ("staging", "stg_github__issue_comments"): ("MONTH", "event_day", ["event_day", "repo_id"]),
    ("staging", "stg_github__review_comments"): ("MONTH", "event_day", ["event_day", "repo_id"]),
    ("staging", "stg_github__stars"): ("MONTH", "event_day", ["event_day", "repo_id"]),
    ("staging", "stg_github__forks"): ("MONTH", "event_day", ["event_day", "repo_id"]),
    ("staging", "stg_github__releases"): ("MONTH", "event_day", ["event_day", "repo_id"]),
    ("staging", "stg_optimism__transactions"): (
        "MONTH",
        "block_day",
        ["block_day", "to_address", "from_address"],
    ),
    ("intermediate", "int_events__github"): ("MONTH", "time", ["time", "event_type", "to_artifact_id"]),
    ("intermediate", "int_events__optimism"): ("MONTH", "time", ["time", "event_type", "to_artifact_id"]),
    ("intermediate", "int_events"): (
        "MONTH",
        "time",
        ["time", "event_source", "event_type", "to_artifact_id"],
    ),
    ("marts", "events_daily_to_artifact"): (
        "MONTH",
        "bucket_day",
        ["bucket_day", "event_source", "event_type", "artifact_id"],
    ),
    ("marts", "events_daily_to_project"): (
        "MONTH",
        "bucket_day",
        ["bucket_day", "event_source", "event_type", "project_id"],
    ),
}
# The incremental models: the staging models over the raw layer, and one per metric.
INCREMENTAL_STAGING = {"stg_github__events", "stg_optimism__transactions"}


def _manifest(build: BigQueryBuild) -> dict[str, Any]:
    return json.loads((build.target_path / "manifest.json").read_text())


def _compared_models(manifest: dict[str, Any]) -> list[str]:
    """Every exported mart and every metric model (the incremental marts), by name."""
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["fqn"][1] == "marts"
        and (node["config"].get("meta", {}).get("export") or node["config"]["materialized"] == "incremental")
    )


def _normal(value: object) -> object:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, Decimal):
        return value.normalize()  # compares and hashes by value already; one spelling for messages
    if isinstance(value, list | tuple):
        return tuple(_normal(item) for item in value)
    return value


# A BigQuery column type (as the API names it) -> the DuckDB type the same model has on the local target.
CORRESPONDING_TYPES = {
    "STRING": "VARCHAR",
    "INTEGER": "BIGINT",
    "FLOAT": "DOUBLE",
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP",
    "BIGNUMERIC": "DECIMAL(38,18)",
}


def _duckdb_table(warehouse: BuiltWarehouse, name: str) -> tuple[list[tuple[str, str]], Counter]:
    import duckdb

    con = duckdb.connect(str(warehouse.path))
    try:
        columns = con.execute(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = 'marts' and table_name = ? order by ordinal_position",
            [name],
        ).fetchall()
        rows = con.execute(f"select * from marts.{name}").fetchall()  # noqa: S608 - a name from the manifest
        return columns, Counter(tuple(_normal(v) for v in row) for row in rows)
    finally:
        con.close()


def _bigquery_table(build: BigQueryBuild, name: str) -> tuple[list[tuple[str, str]], Counter]:
    """A table is read whole with tabledata.list (no query job), a view with a query."""
    table = build.client.get_table(f"{build.project}.marts.{name}")
    columns = [
        (field.name, CORRESPONDING_TYPES.get(field.field_type, field.field_type)) for field in table.schema
    ]
    if table.table_type == "VIEW":
        rows = build.client.query(f"select * from marts.{name}").result()  # noqa: S608 - a manifest name
    else:
        rows = build.client.list_rows(table)
    return columns, Counter(tuple(_normal(v) for v in row.values()) for row in rows)


def test_first_build_runs_every_node(bigquery_fixture_build: BigQueryBuild) -> None:
    """Every seed, model, unit test and data test of the project ran on the emulator and passed (the fixture raises
    on any failure; this checks that nothing was left out), the models with an enforced contract among them: dbt
    checks their column names and types on BigQuery before it builds them."""
    manifest = _manifest(bigquery_fixture_build)
    expected = {
        unique_id
        for unique_id, node in {**manifest["nodes"], **manifest.get("unit_tests", {})}.items()
        if node["resource_type"] in {"seed", "model", "test", "unit_test"}
    }
    statuses = bigquery_fixture_build.statuses
    assert expected <= set(statuses), f"not run on BigQuery: {sorted(expected - set(statuses))}"
    not_passed = {
        uid: status
        for uid, status in statuses.items()
        if uid in expected and status not in {"success", "pass"}
    }
    assert not not_passed
    kinds = Counter(uid.split(".")[0] for uid in expected)
    assert (
        kinds["seed"] >= 4 and kinds["model"] >= 50 and kinds["unit_test"] >= 30 and kinds["test"] >= 100
    ), kinds
    enforced = [
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["contract"]["enforced"]
    ]
    assert len(enforced) >= 10


def test_event_tables_are_partitioned_by_month_and_clustered(bigquery_fixture_build: BigQueryBuild) -> None:
    """The event tables (staging events, int_events and its parts, the daily marts) are month-partitioned on their
    day or time column and clustered by it first; the metric models are month-partitioned on sample_date,
    clustered by entity. Months: a first build or full refresh of years of days stays under BigQuery's 4,000
    partitions per job. The incremental ones (the staging models over the raw layer, the metric models) use
    insert_overwrite."""
    client, project = bigquery_fixture_build.client, bigquery_fixture_build.project
    found = {}
    for (dataset, table), _ in EVENT_TABLES.items():
        spec = client.get_table(f"{project}.{dataset}.{table}")
        partitioning = spec.time_partitioning
        found[(dataset, table)] = (
            partitioning.type_ if partitioning else None,
            partitioning.field if partitioning else None,
            spec.clustering_fields,
        )
    assert found == EVENT_TABLES

    manifest = _manifest(bigquery_fixture_build)
    incremental = [
        node for node in manifest["nodes"].values() if node["config"].get("materialized") == "incremental"
    ]
    for node in incremental:
        assert node["config"]["incremental_strategy"] == "insert_overwrite", node["name"]
    assert {node["name"] for node in incremental} >= INCREMENTAL_STAGING
    metric_models = [node for node in incremental if node["name"] not in INCREMENTAL_STAGING]
    # Every metric model (a one-line call of metric_timeseries) is incremental and partitioned by month.
    metrics_dir = Path(__file__).resolve().parents[2] / "models" / "marts" / "metrics"
    one_liners = {
        f.stem
        for f in metrics_dir.glob("*.sql")
        if f.read_text().lstrip().startswith("{{ metric_timeseries(")
    }
    assert one_liners and {node["name"] for node in metric_models} == one_liners
    for node in metric_models:
        spec = client.get_table(f"{project}.marts.{node['name']}")
        assert (spec.time_partitioning.type_, spec.time_partitioning.field) == ("MONTH", "sample_date"), node[
            "name"
        ]
        assert spec.clustering_fields == ["entity_type", "entity_id"], node["name"]


def test_marts_equal_the_duckdb_build_row_for_row(
    bigquery_fixture_build: BigQueryBuild, parity_duckdb_warehouse: BuiltWarehouse
) -> None:
    """Every exported mart and every metric model: the same columns, in the same order, of corresponding types, and
    the same rows (as multisets, normalised as the module docstring says) on both engines. Each compared table has
    rows, so an empty build cannot pass."""
    models = _compared_models(_manifest(bigquery_fixture_build))
    assert len(models) >= 21 + 11, models
    problems = []
    for name in models:
        duck_columns, duck_rows = _duckdb_table(parity_duckdb_warehouse, name)
        bq_columns, bq_rows = _bigquery_table(bigquery_fixture_build, name)
        if duck_columns != bq_columns:
            problems.append(f"{name}: columns differ\n  duckdb   {duck_columns}\n  bigquery {bq_columns}")
            continue
        if not duck_rows:
            problems.append(f"{name}: no rows on DuckDB, nothing compared")
        only_duck, only_bq = duck_rows - bq_rows, bq_rows - duck_rows
        if only_duck or only_bq:
            problems.append(
                f"{name}: {sum(only_duck.values())} rows only on DuckDB, {sum(only_bq.values())} only on BigQuery "
                f"(of {sum(duck_rows.values())}); columns {duck_columns}\n"
                + "".join(f"  duckdb   {row}\n" for row in sorted(only_duck, key=repr)[:5])
                + "".join(f"  bigquery {row}\n" for row in sorted(only_bq, key=repr)[:5])
            )
    assert not problems, "BigQuery and DuckDB builds differ:\n" + "\n".join(problems)


def test_ids_are_byte_identical_to_the_python_twin(bigquery_fixture_build: BigQueryBuild) -> None:
    """Ids computed by BigQuery's `impact_id` (to_hex(sha256(...))) equal ingestion.ids, which DuckDB's agree with
    (tests/dbt/test_ids.py): sha256 of the UTF-8 parts joined by \\x1f, lower-case hex."""
    projects = bigquery_fixture_build.query("select project_id, project_name from marts.projects_v1")
    assert sorted(projects) == sorted(
        (project_id(name), name) for name in ("optimism", "opensource-observer", "lonely-project")
    )
    collections = bigquery_fixture_build.query(
        "select collection_id, collection_name from marts.collections_v1"
    )
    assert sorted(collections) == sorted(
        (collection_id(name), name) for name in ("op-retrofunding", "empty-collection")
    )
    artifacts = bigquery_fixture_build.query(
        "select artifact_id, artifact_source, artifact_namespace, artifact_name from marts.artifacts_v1"
    )
    assert len(artifacts) == 4
    assert [row[0] for row in artifacts] == [artifact_id(*row[1:]) for row in artifacts]
    assert (artifact_id("OPTIMISM", "optimism", OP_TOKEN), "OPTIMISM", "optimism", OP_TOKEN) in artifacts


def test_optimism_rows_reach_the_daily_mart(bigquery_fixture_build: BigQueryBuild) -> None:
    """optimism.json, worked by hand (fee = gas used x effective gas price + the receipt's L1 fee, 1,000 wei on
    every row; 10^18 wei = 1 ETH), all to the OP token of project optimism:
    - 2024-05-21: U1's call (50,000 x 1 gwei = 5 x 10^13 wei) and U2's reverted one (40,000 x 2 gwei = 8 x 10^13):
      2 invocations, 1 success, 2 fees = 1.3 x 10^14 + 2,000 wei = 0.000130000000002 ETH, of which L1 2,000 wei.
    - 2025-12-14: BOT's 20 calls in the hour 10:00 (30,000 x 1 gwei each): 20, 20, 20 fees = 6 x 10^14 + 20,000
      wei = 0.00060000000002 ETH, of which L1 20,000 wei. The same file holds a stray copy of U2's call of 12-15
      11:00, loaded again with 12-15: it counts once, on 12-15.
    - 2025-12-15: U1's plain transfer of 12 ETH (no input: not a call, so nothing) and U2's call (60,000 x
      1,234,567,891 wei = 74,074,073,460,000 wei, + 1,000 L1): 1 invocation, 1 success, 1 fee =
      74,074,073,461,000 wei = 0.000074074073461 ETH, exact, of which L1 1,000 wei.
    BOT's 20 calls in one hour pass the bot heuristic's first test only: no address is a bot."""
    rows = bigquery_fixture_build.query(
        "select bucket_day, event_type, event_count, amount "
        "from marts.events_daily_to_project where event_source = 'OPTIMISM'"
    )
    assert sorted(rows) == [
        (date(2024, 5, 21), "CONTRACT_INVOCATION", 2, Decimal(2)),
        (date(2024, 5, 21), "CONTRACT_INVOCATION_SUCCESS", 1, Decimal(1)),
        (date(2024, 5, 21), "GAS_FEE", 2, Decimal("0.000130000000002")),
        (date(2024, 5, 21), "L1_DATA_FEE", 2, Decimal("0.000000000000002")),
        (date(2025, 12, 14), "CONTRACT_INVOCATION", 20, Decimal(20)),
        (date(2025, 12, 14), "CONTRACT_INVOCATION_SUCCESS", 20, Decimal(20)),
        (date(2025, 12, 14), "GAS_FEE", 20, Decimal("0.00060000000002")),
        (date(2025, 12, 14), "L1_DATA_FEE", 20, Decimal("0.00000000000002")),
        (date(2025, 12, 15), "CONTRACT_INVOCATION", 1, Decimal(1)),
        (date(2025, 12, 15), "CONTRACT_INVOCATION_SUCCESS", 1, Decimal(1)),
        (date(2025, 12, 15), "GAS_FEE", 1, Decimal("0.000074074073461")),
        (date(2025, 12, 15), "L1_DATA_FEE", 1, Decimal("0.000000000000001")),
    ]
    bots = bigquery_fixture_build.query(
        "select address, reason, first_flagged_day from intermediate.int_optimism__address_bots"
    )
    assert bots == []

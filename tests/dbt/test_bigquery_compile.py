"""The BigQuery side, checked offline: every model compiles for the `bigquery` target of profiles.example.yml in both
of its shapes, a first build (no table yet) and an incremental run (its table exists, `is_incremental()` is true),
and the compiled SQL parses as BigQuery SQL with sqlglot; an incremental run of the metric models sends
dbt-bigquery's dynamic insert_overwrite script, which parses too.

Why offline: the BigQuery emulator runs the first build (tests/dbt/test_bigquery_build.py), but no emulator runs
the insert_overwrite script (its `set (...) = (select as struct ...)`), so the incremental path is checked here, by
compiling it and parsing it. The boundary: `bigquery_offline_sql` (tests/dbt/conftest.py) answers dbt-bigquery's API
calls in a child process (whether a table exists, its columns) and records the statements instead of sending them;
nothing reaches Google."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlglot

if TYPE_CHECKING:
    from conftest import OfflineBigQuerySql

METRIC_COLUMNS = (
    "`metric`, `entity_type`, `entity_id`, `sample_date`, `window`, `amount`, `unit`, `data_complete`"
)
# dbt-bigquery's dynamic insert_overwrite, whitespace collapsed; TARGET and TEMPORARY stand for the two tables.
COLLECT_MONTHS = (
    "set (dbt_partitions_for_replacement) = ( select as struct -- IGNORE NULLS: this needs to be aligned to "
    "_dbt_max_partition, which ignores null array_agg(distinct date_trunc(sample_date, month) IGNORE NULLS) "
    "from TEMPORARY );"
)
MERGE_MONTHS = (
    "merge into TARGET as DBT_INTERNAL_DEST using ( select * from TEMPORARY ) as DBT_INTERNAL_SOURCE on FALSE "
    "when not matched by source and date_trunc(DBT_INTERNAL_DEST.sample_date, month) in "
    "unnest(dbt_partitions_for_replacement) then delete when not matched then insert (COLUMNS) values (COLUMNS)"
).replace("COLUMNS", METRIC_COLUMNS)


def _flat(sql: str) -> str:
    return " ".join(sql.split())


def _parse_problems(named_sql: dict[str, str]) -> list[str]:
    problems = []
    for name, sql in named_sql.items():
        try:
            sqlglot.parse(sql, read="bigquery", error_level=sqlglot.ErrorLevel.RAISE)
        except sqlglot.errors.ParseError as error:
            problems.append(f"{name}: {error}")
    return problems


def test_every_model_compiles_to_bigquery_sql_in_both_shapes(
    bigquery_offline_sql: OfflineBigQuerySql,
) -> None:
    models = {
        node["name"]: node
        for node in bigquery_offline_sql.manifest["nodes"].values()
        if node["resource_type"] == "model"
    }
    incremental = {name for name, node in models.items() if node["config"]["materialized"] == "incremental"}
    assert len(incremental) == 21  # one per metric of the catalog
    shapes = {shape: bigquery_offline_sql.compiled(shape) for shape in ("first_build", "incremental")}
    for shape, compiled in shapes.items():
        assert set(compiled) == set(models), f"{shape}: not compiled: {set(models) - set(compiled)}"
        problems = _parse_problems({name: path.read_text() for name, path in compiled.items()})
        assert not problems, f"{shape}: compiled models that are not valid BigQuery SQL:\n" + "\n\n".join(
            problems
        )

    # Only the incremental models change shape: they recompute from a start read off their own table.
    for name in models:
        first, later = shapes["first_build"][name].read_text(), shapes["incremental"][name].read_text()
        if name in incremental:
            assert "incremental_start as (" not in first, name
            assert "incremental_start as (" in later and f"`marts`.`{name}`" in later, name
        else:
            assert first == later, f"{name} is not incremental but compiles differently when its table exists"

    # The dialect macros took their BigQuery branch.
    first_build = shapes["first_build"]
    commits = first_build["stg_github__commits"].read_text()
    assert "json_query_array(" in commits and "json_value(" in commits and "regexp_extract(" in commits
    projects = first_build["stg_registry__projects"].read_text()
    assert "to_hex(sha256(concat(" in projects and "code_points_to_string([31])" in projects


def test_incremental_run_overwrites_the_recomputed_months(bigquery_offline_sql: OfflineBigQuerySql) -> None:
    """What an incremental run of a metric model sends, in order: the model's incremental shape into a temporary
    table partitioned and clustered as the model, then dbt-bigquery's dynamic insert_overwrite script: the months
    present in the temporary table are collected into `dbt_partitions_for_replacement`, and one MERGE deletes the
    model's rows of those months and inserts the new ones (atomic on BigQuery), then the temporary table is dropped.
    The lookback (var metric_lookback_days, default 3): the run starts from the month holding the day after the
    last one built minus 3 days, i.e. max(sample_date) - 2 days. Every statement parses as BigQuery SQL."""
    run = bigquery_offline_sql.incremental_run
    assert len(run) == 21, sorted(run)
    problems = _parse_problems(
        {
            f"{node} #{index}": sql
            for node, statements in run.items()
            for index, sql in enumerate(statements, 1)
        }
    )
    assert not problems, "statements of the incremental run that are not valid BigQuery SQL:\n" + "\n".join(
        problems
    )
    for node, statements in run.items():
        name = node.rsplit(".", 1)[-1]
        target = f"`impact-offline-check`.`marts`.`{name}`"
        assert len(statements) == 2, (node, len(statements))
        create, script = (_flat(sql) for sql in statements)
        assert create.startswith(
            f"create or replace table `impact-offline-check`.`marts`.`{name}__dbt_tmp"
        ), node
        temporary = create.split()[4]
        assert "partition by date_trunc(sample_date, month) cluster by entity_type, entity_id" in create, node
        assert "incremental_start as (" in create and "interval -2 day" in create, node
        assert f"from {target} )" in create, node  # the lookback reads the model's own table
        assert "declare dbt_partitions_for_replacement array<date>;" in script, node
        collect = COLLECT_MONTHS.replace("TEMPORARY", temporary)
        merge = MERGE_MONTHS.replace("TARGET", target).replace("TEMPORARY", temporary)
        assert collect in script and merge in script, node
        assert script.rstrip().endswith(f"drop table if exists {temporary}"), node

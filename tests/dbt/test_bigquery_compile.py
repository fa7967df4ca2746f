"""The BigQuery side, checked offline: every model compiles for the `bigquery` target of profiles.example.yml in both
of its shapes, a first build (no table yet) and an incremental run (its table exists, `is_incremental()` is true),
and the compiled SQL parses as BigQuery SQL with sqlglot; an incremental run of the incremental models (the staging
models over the raw layer and the metric models) sends dbt-bigquery's dynamic insert_overwrite script, which parses
too. Every query over a partitioned raw table filters on its partition column so that BigQuery prunes it.

Why offline: the BigQuery emulator runs the first build (tests/dbt/test_bigquery_build.py), but no emulator runs
the insert_overwrite script (its `set (...) = (select as struct ...)`), so the incremental path is checked here, by
compiling it and parsing it. The boundary: `bigquery_offline_sql` (tests/dbt/conftest.py) answers dbt-bigquery's API
calls in a child process (whether a table exists, its columns) and records the statements instead of sending them;
nothing reaches Google."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp

from ingestion.metric_catalog import metric_names
from ingestion.raw_schema import RAW_SCHEMA, RAW_TABLES

if TYPE_CHECKING:
    from conftest import OfflineBigQuerySql

# The staging models over the raw layer -> their day column, the raw table's partition column (and their own).
STAGING_INCREMENTAL = {"stg_github__events": "archive_day", "stg_optimism__transactions": "block_day"}
# The raw tables partitioned by day (raw.github_events, raw.optimism_transactions) -> their partition column.
PARTITIONED_RAW = {name: table.partition_by for name, table in RAW_TABLES.items() if table.partition_by}

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


def _catalog_names() -> list[str]:
    return metric_names(Path(__file__).resolve().parents[2])


def _flat(sql: str) -> str:
    return " ".join(sql.split())


def _metric_models(offline: OfflineBigQuerySql) -> set[str]:
    return {
        node["name"]
        for node in offline.manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["original_file_path"].startswith("models/marts/metrics/")
        and node["config"]["materialized"] == "incremental"
    }


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
    metrics = _metric_models(bigquery_offline_sql)
    assert len(metrics) == len(_catalog_names())  # one per metric of the catalog
    assert incremental == metrics | set(STAGING_INCREMENTAL)
    shapes = {shape: bigquery_offline_sql.compiled(shape) for shape in ("first_build", "incremental")}
    for shape, compiled in shapes.items():
        assert set(compiled) == set(models), f"{shape}: not compiled: {set(models) - set(compiled)}"
        problems = _parse_problems({name: path.read_text() for name, path in compiled.items()})
        assert not problems, f"{shape}: compiled models that are not valid BigQuery SQL:\n" + "\n\n".join(
            problems
        )

    # Only the incremental models change shape: they recompute from a start read off their own table (the staging
    # models through `_dbt_max_partition`, which dbt-bigquery declares as the max of the table's partition column).
    for name in models:
        first, later = shapes["first_build"][name].read_text(), shapes["incremental"][name].read_text()
        if name in metrics:
            assert "incremental_start as (" not in first, name
            assert "incremental_start as (" in later and f"`marts`.`{name}`" in later, name
        elif name in STAGING_INCREMENTAL:
            assert "_dbt_max_partition" not in first and f"`staging`.`{name}`" not in first, name
            assert "_dbt_max_partition" in later and f"`staging`.`{name}`" in later, name
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
    metrics = _metric_models(bigquery_offline_sql)
    run = {
        node: statements
        for node, statements in bigquery_offline_sql.incremental_run.items()
        if node.rsplit(".", 1)[-1] in metrics
    }
    assert len(run) == len(_catalog_names()), sorted(run)
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


def test_staging_incremental_run_overwrites_whole_months(bigquery_offline_sql: OfflineBigQuerySql) -> None:
    """What an incremental run of a staging model over the raw layer sends, in order: a script that declares
    `_dbt_max_partition`, the max of the model's day column in its table (dbt-bigquery adds it because the model's
    SQL names it), then builds the model's incremental shape into a temporary table partitioned by month of that
    column and clustered by it first; then dbt-bigquery's dynamic insert_overwrite script, whose MERGE replaces the
    model's whole months that the temporary table holds. Every statement parses as BigQuery SQL."""
    for name, day in STAGING_INCREMENTAL.items():
        statements = bigquery_offline_sql.incremental_run[f"model.impact.{name}"]
        problems = _parse_problems({f"{name} #{index}": sql for index, sql in enumerate(statements, 1)})
        assert not problems, problems
        assert len(statements) == 2, (name, len(statements))
        create, script = (_flat(sql) for sql in statements)
        target = f"`impact-offline-check`.`staging`.`{name}`"
        assert create.startswith(
            f"declare _dbt_max_partition date default ( select max({day}) from {target} where {day} is not null );"  # noqa: S608
            f" create or replace table `impact-offline-check`.`staging`.`{name}__dbt_tmp"
        ), name
        temporary = create.split()[19]
        assert f"partition by date_trunc({day}, month) cluster by {day}, " in create, name
        assert "date_trunc(date_sub(_dbt_max_partition, interval 3 day), month)" in create, name
        assert "declare dbt_partitions_for_replacement array<date>;" in script, name
        assert f"array_agg(distinct date_trunc({day}, month) IGNORE NULLS) from {temporary} );" in script, (
            name
        )
        assert (
            f"merge into {target} as DBT_INTERNAL_DEST using ( select * from {temporary} ) as DBT_INTERNAL_SOURCE"  # noqa: S608
            f" on FALSE when not matched by source and date_trunc(DBT_INTERNAL_DEST.{day}, month) in"
            " unnest(dbt_partitions_for_replacement) then delete when not matched then insert"
        ) in script, name
        assert script.rstrip().endswith(f"drop table if exists {temporary}"), name


# --------------------------------------------------------------------------------------------------------------
# Partition pruning of the raw layer


def _conjuncts(condition: exp.Expr | None) -> list[exp.Expr]:
    if condition is None:
        return []
    if isinstance(condition, exp.Paren):
        return _conjuncts(condition.this)
    if isinstance(condition, exp.And):
        return _conjuncts(condition.this) + _conjuncts(condition.expression)
    return [condition]


def _is_partition_column(node: exp.Expr, alias: str, column: str) -> bool:
    return isinstance(node, exp.Column) and node.name == column and node.table in {alias, ""}


def _is_constant(node: exp.Expr, variables: set[str]) -> bool:
    """An expression BigQuery evaluates before it reads the table: literals, functions of them and of the script's
    variables; no subquery (BigQuery does not prune on a bound that a subquery reads from a table) and no column."""
    if node.find(exp.Select, exp.Subquery) is not None:
        return False
    return all(not column.table and column.name in variables for column in node.find_all(exp.Column))


def _prunes(condition: exp.Expr, alias: str, column: str, variables: set[str]) -> bool:
    """Whether `condition` restricts the partition column, used bare, by constant bounds."""
    if isinstance(condition, exp.GT | exp.GTE | exp.LT | exp.LTE | exp.EQ):
        sides = (condition.this, condition.expression)
        return any(
            _is_partition_column(side, alias, column) and _is_constant(other, variables)
            for side, other in (sides, sides[::-1])
        )
    if isinstance(condition, exp.Between):
        return _is_partition_column(condition.this, alias, column) and all(
            _is_constant(condition.args[bound], variables) for bound in ("low", "high")
        )
    if isinstance(condition, exp.In):
        return (
            _is_partition_column(condition.this, alias, column)
            and not condition.args.get("query")
            and all(_is_constant(value, variables) for value in condition.expressions)
        )
    return False


def _raw_reads_in(statement: exp.Expr) -> list[tuple[str, exp.Select | None, str]]:
    reads = []
    for table in statement.find_all(exp.Table):
        if table.db != RAW_SCHEMA or table.name not in PARTITIONED_RAW:
            continue
        clause = table.parent
        select = clause.parent if isinstance(clause, exp.From | exp.Join) else None
        reads.append((table.name, select if isinstance(select, exp.Select) else None, table.alias_or_name))
    return reads


def raw_reads(sql: str) -> list[tuple[str, exp.Select | None, str]]:
    """Each read of a partitioned raw table in `sql` (one or more statements): (table, the SELECT whose FROM or
    JOIN names it, or None when something else reads it, and the name it has there)."""
    return [
        read
        for statement in sqlglot.parse(sql, read="bigquery")
        if statement is not None
        for read in _raw_reads_in(statement)
    ]


def partition_filter_problems(sql: str, variables: set[str]) -> list[str]:
    """Every read of a partitioned raw table in `sql` that BigQuery would not prune: its SELECT's WHERE must have,
    among the conditions it ANDs, one that bounds the partition column (bare, not inside a function) by constants
    or the script `variables`. Returns what is wrong, one line per read."""
    problems = []
    for table, select, alias in raw_reads(sql):
        column = PARTITIONED_RAW[table]
        if select is None:
            problems.append(f"raw.{table} is read outside the FROM or JOIN of a SELECT")
            continue
        conditions = _conjuncts(select.args["where"].this if select.args.get("where") else None)
        if not any(_prunes(condition, alias, column, variables) for condition in conditions):
            problems.append(
                f"raw.{table} ({alias}) is read without a prunable filter on {column}: "
                + (" and ".join(c.sql("bigquery") for c in conditions) or "no WHERE")
            )
    return problems


def _declared_variables(statements: list[str]) -> set[str]:
    """The script variables the statements of an incremental run declare."""
    return {
        identifier.name
        for sql in statements
        for statement in sqlglot.parse(sql, read="bigquery")
        if isinstance(statement, exp.Declare)
        for item in statement.expressions
        for identifier in item.this
    }


def test_every_read_of_a_partitioned_raw_table_is_pruned(bigquery_offline_sql: OfflineBigQuerySql) -> None:
    """The issue's check, on the SQL dbt-bigquery sends: in every model's incremental shape, every SELECT that reads
    raw.github_events or raw.optimism_transactions (the raw tables partitioned by day: `PARTITIONED_RAW`) bounds
    the partition column (archive_day, block_day) by a constant expression of the script variables dbt-bigquery
    declares for that model on an incremental run, so BigQuery reads only the partitions from the start day on;
    the same holds in the statements the incremental run sends. The first-build shape reads all history: no filter
    on the partition column, and no `_dbt_max_partition` (its table does not exist yet)."""
    first_build = bigquery_offline_sql.compiled("first_build")
    incremental = bigquery_offline_sql.compiled("incremental")
    readers = {name for name, path in incremental.items() if raw_reads(path.read_text())}
    assert readers == set(STAGING_INCREMENTAL), "the models that read the partitioned raw tables"
    problems = []
    for name, path in incremental.items():
        statements = bigquery_offline_sql.incremental_run.get(f"model.impact.{name}", [])
        variables = _declared_variables(statements)
        problems += [
            f"{name} (incremental shape): {p}" for p in partition_filter_problems(path.read_text(), variables)
        ]
        for index, sql in enumerate(statements, 1):
            problems += [
                f"{name} (incremental run #{index}): {p}" for p in partition_filter_problems(sql, variables)
            ]
    assert not problems, "reads of the raw layer BigQuery would not prune:\n" + "\n".join(problems)

    for name in readers:
        sql = first_build[name].read_text()
        assert "_dbt_max_partition" not in sql, name
        for table, select, alias in raw_reads(sql):
            assert select is not None, name
            where = select.args.get("where")
            column = PARTITIONED_RAW[table]
            assert where is None or not any(
                _is_partition_column(c, alias, column) for c in where.find_all(exp.Column)
            ), f"{name}: the first build filters raw.{table} on {column}"
        run = bigquery_offline_sql.incremental_run[f"model.impact.{name}"]
        assert _declared_variables(run) >= {"_dbt_max_partition"}, name


def _broken(sql: str, how: str) -> str:
    """`sql` with the filter on the partition column of its one raw read changed as `how` says."""
    statement = sqlglot.parse_one(sql, read="bigquery")
    (select,) = [read for _, read, _ in _raw_reads_in(statement)]
    assert select is not None
    where = select.args["where"]
    condition = where.this
    if how == "dropped":
        select.set("where", None)
    elif how == "subquery bound":
        condition.set(
            "expression",
            sqlglot.parse_one(
                "(select date_trunc(max(archive_day), month) from `staging`.`stg_github__events`)",
                read="bigquery",
            ),
        )
    elif how == "wrapped column":
        condition.set("this", exp.func("date", condition.this.copy(), dialect="bigquery"))
    elif how == "ORed":
        where.set("this", exp.or_(condition.copy(), "raw_events.type = 'PushEvent'", dialect="bigquery"))
    return statement.sql(dialect="bigquery")


def test_the_pruning_check_fails_on_a_read_it_cannot_prune(bigquery_offline_sql: OfflineBigQuerySql) -> None:
    """The check above is not vacuous: stg_github__events' incremental shape passes it, and the same SQL fails it
    when its filter on archive_day is dropped, when the bound is a subquery on the model's table (BigQuery reads
    every partition to evaluate it), when the column is wrapped in a function, when the filter is ORed with
    another condition, or when `_dbt_max_partition` is not a declared script variable."""
    sql = bigquery_offline_sql.compiled("incremental")["stg_github__events"].read_text()
    declared = {"_dbt_max_partition"}
    assert partition_filter_problems(sql, declared) == []
    assert partition_filter_problems(_broken(sql, "unchanged"), declared) == [], (
        "the rewrite alone breaks nothing"
    )
    for how in ("dropped", "subquery bound", "wrapped column", "ORed"):
        problems = partition_filter_problems(_broken(sql, how), declared)
        assert len(problems) == 1 and "raw.github_events (raw_events)" in problems[0], (how, problems)
    assert len(partition_filter_problems(sql, set())) == 1, (
        "an undeclared variable is a column, not a constant"
    )

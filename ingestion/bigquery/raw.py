"""The raw layer on BigQuery: the `raw` dataset's tables, atomic day replacement, the registry, raw._loads.

The tables are those of `ingestion.raw_schema` (the DuckDB raw layer renders the same declarations): the event
tables partitioned by their day column and clustered. A day is replaced by one MERGE statement::

    merge raw.<table> as target
    using (<the day's kept rows>) as source
    on false
    when not matched by source and target.<day column> = @day then delete
    when not matched then insert (...) values (...)

which BigQuery runs atomically (readers see the old day or the new day, never a mixture) and which prunes the
target to that one day's partition. Re-running a day replaces it with the same rows. The registry tables are
replaced by load jobs with an explicit schema and WRITE_TRUNCATE. Every load attempt, good or failed, is a row in
raw._loads with the bytes BigQuery processed and billed.

Table names are built from the validated project id and the module's own table names, and quoted with backticks;
every value (days, names, ids, addresses) is a query parameter.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ingestion.bigquery.client import explain
from ingestion.bigquery.jobs import QueryCost, QueryRunner
from ingestion.raw_schema import LOADS, RAW_SCHEMA, RAW_TABLES, RawTable
from ingestion.warehouse import utcnow

if TYPE_CHECKING:
    from google.cloud import bigquery

    from ingestion.registry import Registry


def quote_path(path: str) -> str:
    """`project.dataset.table` in backticks. Paths come from validated settings and module constants only;
    a backtick or a newline inside is refused rather than escaped."""
    if "`" in path or "\n" in path or "\\" in path:
        raise ValueError(f"{path!r} cannot be a BigQuery table path")
    return f"`{path}`"


@dataclass
class DayStats:
    """What one day load saw; filled in by the source."""

    rows_read: int = 0
    rows_kept: int = 0
    rows_rejected: int = 0
    files_expected: int = 1
    files_read: int = 0
    missing_files: list[str] = field(default_factory=list)
    cost: QueryCost | None = None


class BigQueryRaw:
    """The raw dataset of one project."""

    def __init__(self, client: bigquery.Client, runner: QueryRunner, project: str, location: str = "US"):
        self.client = client
        self.runner = runner
        self.project = project
        self.location = location
        self.dataset = f"{project}.{RAW_SCHEMA}"
        self.registry_fingerprint: str | None = None
        """What `record_load` records in raw._loads.registry_fingerprint (`ingestion.fingerprint`); the raw layer
        sets it around each source's ingestion."""

    def table_id(self, name: str) -> str:
        if name not in RAW_TABLES:
            raise ValueError(f"{name} is not a raw table")
        return f"{self.dataset}.{name}"

    def table_sql(self, name: str) -> str:
        return quote_path(self.table_id(name))

    # --- tables ----------------------------------------------------------------------------------------------

    def exists(self) -> bool:
        """Whether the raw tables exist (a dry-run plan prices queries without them when they do not)."""
        from google.api_core.exceptions import NotFound

        try:
            self.client.get_table(self.table_id("github_events"))
        except NotFound:
            return False
        except Exception as exc:
            raise explain(
                exc, f"reading the table {self.table_id('github_events')}", self.runner.settings
            ) from exc
        return True

    def ensure(self) -> None:
        """Create the raw dataset and tables when missing; add the columns an older table lacks."""
        from google.api_core.exceptions import NotFound
        from google.cloud import bigquery

        try:
            dataset = bigquery.Dataset(self.dataset)
            dataset.location = self.location
            dataset.description = "impact warehouse: the raw layer (ingestion output). Not shared."
            self.client.create_dataset(dataset, exists_ok=True)
            for name, spec in RAW_TABLES.items():
                try:
                    table = self.client.get_table(self.table_id(name))
                except NotFound:
                    self.client.create_table(_new_table(self.table_id(name), spec), exists_ok=True)
                    continue
                have = {f.name for f in table.schema}
                missing = [f for f in spec.bigquery_schema() if f.name not in have]
                if missing:
                    table.schema = [*table.schema, *missing]
                    self.client.update_table(table, ["schema"])
        except Exception as exc:
            raise explain(exc, f"creating the raw dataset {self.dataset}", self.runner.settings) from exc

    # --- day loads -------------------------------------------------------------------------------------------

    def replace_day_sql(self, table: str, source_sql: str) -> str:
        """The MERGE that replaces the partition `@day` of `table` with the rows of `source_sql`."""
        return self._merge_sql(table, source_sql, "target.{day} = @day")

    def replace_days_sql(self, table: str, source_sql: str) -> str:
        """The MERGE that replaces the partitions `@days` (DATE array) of `table` with the rows of `source_sql`,
        whose rows must all fall on those days. `@first_day` and `@last_day` bound them with constants, so that
        BigQuery prunes the target to that range; days of the range not in `@days` are left as they are."""
        return self._merge_sql(
            table,
            source_sql,
            "target.{day} between @first_day and @last_day and target.{day} in unnest(@days)",
        )

    def _merge_sql(self, table: str, source_sql: str, replaced: str) -> str:
        spec = RAW_TABLES[table]
        if spec.partition_by is None:
            raise ValueError(f"{table} has no day partition")
        columns = ", ".join(spec.column_names)
        values = ", ".join(f"source.{c}" for c in spec.column_names)
        # Quoted module paths and column names; every value is a query parameter.
        return (
            f"merge {self.table_sql(table)} as target\n"  # noqa: S608
            f"using (\n{source_sql}\n) as source\n"
            "on false\n"
            f"when not matched by source and {replaced.format(day=spec.partition_by)} then delete\n"
            f"when not matched then insert ({columns}) values ({values})"
        )

    def replace_day(
        self, *, source: str, table: str, day: date, source_sql: str, params: Sequence[Any], stats: DayStats
    ) -> DayStats:
        """Replace one day of `table` atomically; record the attempt in raw._loads (ok or failed)."""
        from google.cloud import bigquery

        started_at = utcnow()
        started = time.perf_counter()
        sql = self.replace_day_sql(table, source_sql)
        all_params = [bigquery.ScalarQueryParameter("day", "DATE", day), *params]
        try:
            outcome = self.runner.run(sql, all_params, f"{source} {day}")
        except BaseException as exc:
            self.record_load(
                source, day, "failed", started_at, started, stats, f"{type(exc).__name__}: {exc}"
            )
            raise
        dml = getattr(outcome.job, "dml_stats", None)
        inserted = getattr(dml, "inserted_row_count", None) if dml is not None else None
        stats.rows_kept = int(inserted) if inserted is not None else self._count_day(table, day)
        stats.files_read = 1
        stats.cost = outcome.cost
        self.record_load(source, day, "ok", started_at, started, stats, None)
        return stats

    def _count_day(self, table: str, day: date) -> int:
        from google.cloud import bigquery

        spec = RAW_TABLES[table]
        sql = f"select count(*) as n from {self.table_sql(table)} where {spec.partition_by} = @day"  # noqa: S608
        outcome = self.runner.run(
            sql, [bigquery.ScalarQueryParameter("day", "DATE", day)], f"counting {table} {day}"
        )
        return int(next(iter(outcome.job.result()))[0])

    def record_load(
        self,
        source: str,
        day: date | None,
        status: str,
        started_at: datetime,
        started: float,
        stats: DayStats,
        error: str | None,
    ) -> None:
        """One row in raw._loads, by a DML insert (not streaming, so later DML on the table is never blocked)."""
        from google.cloud import bigquery

        cost = stats.cost
        values: dict[str, tuple[str, str | int | float | date | None]] = {
            "load_id": ("STRING", uuid.uuid4().hex),
            "source": ("STRING", source),
            "day": ("DATE", day),
            "status": ("STRING", status),
            "started_at": ("TIMESTAMP", started_at),
            "finished_at": ("TIMESTAMP", utcnow()),
            "duration_seconds": ("FLOAT64", round(time.perf_counter() - started, 6)),
            "files_expected": ("INT64", stats.files_expected),
            "files_read": ("INT64", stats.files_read),
            "rows_read": ("INT64", stats.rows_read),
            "rows_kept": ("INT64", stats.rows_kept if status == "ok" else 0),
            "rows_rejected": ("INT64", stats.rows_rejected),
            "bytes_scanned": ("INT64", None),
            "error": ("STRING", error[:4000] if error else None),
            "bytes_processed": ("INT64", cost.bytes_processed if cost else None),
            "bytes_billed": ("INT64", cost.bytes_billed if cost else None),
            "registry_fingerprint": ("STRING", self.registry_fingerprint),
        }
        params: list[Any] = [bigquery.ScalarQueryParameter(k, kind, v) for k, (kind, v) in values.items()]
        params.append(bigquery.ArrayQueryParameter("missing_files", "STRING", list(stats.missing_files)))
        columns = [*values, "missing_files"]
        sql = (
            f"insert into {self.table_sql(LOADS.name)} ({', '.join(columns)}) "  # noqa: S608
            f"values ({', '.join('@' + c for c in columns)})"
        )
        self.runner.run(sql, params, f"recording the {source} load of {day or 'the registry'}", quiet=True)

    def record_build(
        self,
        invocation_id: str | None,
        command: str,
        status: str,
        started_at: datetime,
        finished_at: datetime,
        seconds: float,
        results: str,
        failures: Sequence[str],
        failed_nodes: Sequence[str] = (),
        warned_nodes: Sequence[str] = (),
        skipped_nodes: Sequence[str] = (),
        freshness: str | None = None,
    ) -> None:
        """One row in raw._builds: what a dbt invocation on this project did (`impact status` shows the last)."""
        from google.cloud import bigquery

        params: list[Any] = [
            bigquery.ScalarQueryParameter("invocation_id", "STRING", invocation_id),
            bigquery.ScalarQueryParameter("command", "STRING", command),
            bigquery.ScalarQueryParameter("status", "STRING", status),
            bigquery.ScalarQueryParameter("started_at", "TIMESTAMP", started_at),
            bigquery.ScalarQueryParameter("finished_at", "TIMESTAMP", finished_at),
            bigquery.ScalarQueryParameter("duration_seconds", "FLOAT64", round(seconds, 3)),
            bigquery.ScalarQueryParameter("results", "STRING", results),
            bigquery.ArrayQueryParameter("failures", "STRING", [f[:4000] for f in failures]),
            bigquery.ArrayQueryParameter("failed_nodes", "STRING", list(failed_nodes)),
            bigquery.ArrayQueryParameter("warned_nodes", "STRING", list(warned_nodes)),
            bigquery.ArrayQueryParameter("skipped_nodes", "STRING", list(skipped_nodes)),
            bigquery.ScalarQueryParameter("freshness", "STRING", freshness),
        ]
        columns = [p.name for p in params]
        sql = (
            f"insert into {self.table_sql('_builds')} ({', '.join(columns)}) "  # noqa: S608
            f"values ({', '.join('@' + c for c in columns)})"
        )
        self.runner.run(sql, params, "recording the dbt build", quiet=True)

    # --- registry --------------------------------------------------------------------------------------------

    def write_registry(self, registry: Registry, loaded_at: datetime | None = None) -> dict[str, int]:
        """Replace raw.registry_* by load jobs (explicit schema, WRITE_TRUNCATE); record the load."""
        from google.cloud import bigquery

        from ingestion.registry import registry_tables

        loaded_at = loaded_at or utcnow()
        started = time.perf_counter()
        tables = registry_tables(registry, loaded_at)
        counts = {name: table.num_rows for name, table in tables.items()}
        stats = DayStats(files_expected=len(registry.projects) + len(registry.collections))
        stats.files_read = stats.files_expected
        try:
            for name, arrow in tables.items():
                spec = RAW_TABLES[name]
                config = bigquery.LoadJobConfig(
                    schema=spec.bigquery_schema(),
                    write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
                    source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
                )
                rows = [_json_row(row) for row in arrow.to_pylist()]
                job = self.client.load_table_from_json(rows, self.table_id(name), job_config=config)
                job.result()
        except Exception as exc:
            self.record_load(
                "registry", None, "failed", loaded_at, started, stats, f"{type(exc).__name__}: {exc}"
            )
            raise explain(exc, "loading the registry into BigQuery", self.runner.settings) from exc
        stats.rows_read = stats.rows_kept = counts["registry_artifacts"]
        self.record_load("registry", None, "ok", loaded_at, started, stats, None)
        return counts

    def tracked_rows(self, table: str) -> int:
        """Row count from table metadata (free)."""
        return int(self.client.get_table(self.table_id(table)).num_rows or 0)


def _new_table(table_id: str, spec: RawTable) -> bigquery.Table:
    from google.cloud import bigquery

    table = bigquery.Table(table_id, schema=spec.bigquery_schema())
    if spec.partition_by:
        table.time_partitioning = bigquery.TimePartitioning(
            type_=bigquery.TimePartitioningType.DAY, field=spec.partition_by
        )
    if spec.cluster_by:
        table.clustering_fields = list(spec.cluster_by)
    return table


def _json_row(row: dict[str, object]) -> dict[str, object]:
    """A row for a JSON load job: datetimes as ISO text, everything else as JSON has it."""
    out: dict[str, object] = {}
    for key, value in row.items():
        if isinstance(value, datetime | date):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return json.loads(json.dumps(out, default=str))

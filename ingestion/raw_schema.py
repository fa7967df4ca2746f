"""The raw layer's tables, declared once: DuckDB DDL and BigQuery schemas are both rendered from here.

A column has a neutral type: ``string``, ``int64``, ``bool``, ``float64``, ``timestamp`` (UTC), ``date``, ``wei``
(an exact whole number of wei: DuckDB ``decimal(38, 0)``, BigQuery ``BIGNUMERIC``) or ``record`` (its ``fields``);
``repeated`` makes it a list. Each table says which column partitions it by day and which columns cluster it on
BigQuery (DuckDB has neither).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from google.cloud.bigquery import SchemaField

RAW_SCHEMA = "raw"
"""The DuckDB schema and the BigQuery dataset of the raw layer (dbt's var `raw_schema`)."""

_DUCKDB_TYPES = {
    "string": "varchar",
    "int64": "bigint",
    "bool": "boolean",
    "float64": "double",
    "timestamp": "timestamp",
    "date": "date",
    "wei": "decimal(38, 0)",
}
_BIGQUERY_TYPES = {
    "string": "STRING",
    "int64": "INT64",
    "bool": "BOOL",
    "float64": "FLOAT64",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "wei": "BIGNUMERIC",
    "record": "RECORD",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    repeated: bool = False
    fields: tuple[Column, ...] = ()

    def duckdb_type(self) -> str:
        if self.type == "record":
            inner = ", ".join(f"{field.name} {field.duckdb_type()}" for field in self.fields)
            base = f"struct({inner})"
        else:
            base = _DUCKDB_TYPES[self.type]
        return f"{base}[]" if self.repeated else base

    def bigquery_field(self) -> SchemaField:
        """A `google.cloud.bigquery.SchemaField` (imported here so DuckDB-only use never loads the client)."""
        from google.cloud.bigquery import SchemaField

        mode = "REPEATED" if self.repeated else "REQUIRED" if self.required else "NULLABLE"
        return SchemaField(
            self.name,
            _BIGQUERY_TYPES[self.type],
            mode=mode,
            fields=[field.bigquery_field() for field in self.fields],
        )


@dataclass(frozen=True)
class RawTable:
    name: str
    columns: tuple[Column, ...]
    partition_by: str | None = None
    """A date column: one partition per day on BigQuery (and the unit a day load replaces)."""
    cluster_by: tuple[str, ...] = ()
    bigquery_only: bool = False
    """A table only the BigQuery raw layer has (the DuckDB warehouse keeps the same facts in a file beside it)."""

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def duckdb_ddl(self) -> str:
        columns = ",\n    ".join(
            f"{c.name} {c.duckdb_type()}{' not null' if c.required else ''}" for c in self.columns
        )
        return f"create table if not exists {RAW_SCHEMA}.{self.name} (\n    {columns}\n)"

    def bigquery_schema(self) -> list[SchemaField]:
        return [column.bigquery_field() for column in self.columns]


def _user(name: str) -> Column:
    return Column(
        name,
        "record",
        fields=(
            Column("id", "int64"),
            Column("login", "string"),
            Column("gravatar_id", "string"),
            Column("avatar_url", "string"),
            Column("url", "string"),
        ),
    )


GITHUB_EVENTS = RawTable(
    "github_events",
    (
        Column("id", "string", required=True),
        Column("type", "string"),
        Column("public", "bool"),
        Column("created_at", "timestamp"),
        Column(
            "repo",
            "record",
            fields=(Column("id", "int64"), Column("name", "string"), Column("url", "string")),
        ),
        _user("actor"),
        _user("org"),
        Column("payload", "string"),
        Column("other", "string"),
        Column("archive_day", "date", required=True),
        Column("_source_file", "string"),
        Column("_loaded_at", "timestamp"),
    ),
    partition_by="archive_day",
    cluster_by=("type",),
)

OPTIMISM_TRANSACTIONS = RawTable(
    "optimism_transactions",
    (
        Column("block_timestamp", "timestamp", required=True),
        Column("block_number", "int64"),
        Column("transaction_hash", "string", required=True),
        Column("transaction_index", "int64"),
        Column("from_address", "string"),
        Column("to_address", "string"),
        Column("value", "wei"),
        Column("gas", "int64"),
        Column("gas_price", "wei"),
        Column("input", "string"),
        Column("receipt_gas_used", "int64"),
        Column("receipt_effective_gas_price", "wei"),
        Column("receipt_status", "int64"),
        Column("receipt_contract_address", "string"),
        Column("receipt_l1_fee", "wei"),
        Column("block_day", "date", required=True),
        Column("_source_file", "string"),
        Column("_loaded_at", "timestamp"),
    ),
    partition_by="block_day",
    cluster_by=("to_address", "from_address"),
)

REGISTRY_PROJECTS = RawTable(
    "registry_projects",
    (
        Column("project_name", "string", required=True),
        Column("display_name", "string"),
        Column("description", "string"),
        Column("websites", "string", repeated=True),
        Column("social", "string"),
        Column("token_coingecko_api_id", "string"),
        Column("comments", "string", repeated=True),
        Column("_source_file", "string"),
        Column("_loaded_at", "timestamp"),
    ),
)

REGISTRY_COLLECTIONS = RawTable(
    "registry_collections",
    (
        Column("collection_name", "string", required=True),
        Column("display_name", "string"),
        Column("description", "string"),
        Column("project_name", "string"),
        Column("comments", "string", repeated=True),
        Column("_source_file", "string"),
        Column("_loaded_at", "timestamp"),
    ),
)

REGISTRY_ARTIFACTS = RawTable(
    "registry_artifacts",
    (
        Column("project_name", "string", required=True),
        Column("artifact_source", "string", required=True),
        Column("artifact_kind", "string", required=True),
        Column("artifact_namespace", "string"),
        Column("artifact_name", "string"),
        Column("artifact_url", "string"),
        Column("network", "string"),
        Column("tags", "string", repeated=True),
        Column("address_label", "string"),
        Column("_source_file", "string"),
        Column("_loaded_at", "timestamp"),
    ),
)

REJECTS = RawTable(
    "_rejects",
    (
        Column("source", "string", required=True),
        Column("day", "date"),
        Column("source_file", "string"),
        Column("line_number", "int64"),
        Column("error", "string"),
        Column("raw_line", "string"),
        Column("_loaded_at", "timestamp"),
    ),
)

BUILDS = RawTable(
    "_builds",
    (
        Column("invocation_id", "string"),
        Column("command", "string", required=True),
        Column("status", "string", required=True),
        Column("started_at", "timestamp"),
        Column("finished_at", "timestamp"),
        Column("duration_seconds", "float64"),
        Column("results", "string"),
        Column("failures", "string", repeated=True),
        Column("failed_nodes", "string", repeated=True),
        Column("warned_nodes", "string", repeated=True),
        Column("skipped_nodes", "string", repeated=True),
        Column("freshness", "string"),
    ),
)
"""One row per dbt invocation through `impact`. ``results``: JSON of the node count per status; ``failures``: each
failed node with dbt's message; ``failed_nodes`` / ``warned_nodes`` / ``skipped_nodes``: the nodes (``model name``,
``test name``, ``source name.table``) dbt's run results gave that status; ``freshness``: for `dbt source freshness`,
JSON of each source table's verdict, newest loaded_at value, age and thresholds (NULL for other commands)."""

LOADS = RawTable(
    "_loads",
    (
        Column("load_id", "string", required=True),
        Column("source", "string", required=True),
        Column("day", "date"),
        Column("status", "string", required=True),
        Column("started_at", "timestamp"),
        Column("finished_at", "timestamp"),
        Column("duration_seconds", "float64"),
        Column("files_expected", "int64"),
        Column("files_read", "int64"),
        Column("missing_files", "string", repeated=True),
        Column("rows_read", "int64"),
        Column("rows_kept", "int64"),
        Column("rows_rejected", "int64"),
        Column("bytes_scanned", "int64"),
        Column("error", "string"),
        Column("bytes_processed", "int64"),
        Column("bytes_billed", "int64"),
        Column("registry_fingerprint", "string"),
    ),
)
"""One row per load attempt. ``bytes_scanned``: bytes read from local files (compressed); ``bytes_processed`` and
``bytes_billed``: what BigQuery reported for the load's query (NULL for local loads); ``registry_fingerprint``: a
hash of the registry entries the source's filter kept (`ingestion.fingerprint`), so that a day loaded ok with the
same registry can be skipped (NULL for registry loads and for loads made before the column existed)."""

RUNS = RawTable(
    "_runs",
    (
        Column("run_id", "string", required=True),
        Column("kind", "string", required=True),
        Column("command", "string"),
        Column("status", "string", required=True),
        Column("stage", "string"),
        Column("pid", "int64"),
        Column("host", "string"),
        Column("started_at", "timestamp"),
        Column("updated_at", "timestamp"),
        Column("finished_at", "timestamp"),
        Column("error", "string"),
        Column("params", "string"),
        Column("stages", "string"),
        Column("resumed_from", "string"),
    ),
    bigquery_only=True,
)
"""The run state on BigQuery (`ingestion.run_state`): one row each time a command that writes the warehouse
starts, enters or leaves a stage, or ends; the newest row of a run is its state. ``params`` and ``stages`` are
JSON. On DuckDB the same record lives in a JSON file beside the warehouse, readable while a run holds the file."""

RAW_TABLES: dict[str, RawTable] = {
    table.name: table
    for table in (
        GITHUB_EVENTS,
        OPTIMISM_TRANSACTIONS,
        REGISTRY_PROJECTS,
        REGISTRY_COLLECTIONS,
        REGISTRY_ARTIFACTS,
        REJECTS,
        BUILDS,
        LOADS,
        RUNS,
    )
}

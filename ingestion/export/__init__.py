"""Export flagged marts from the warehouse to Postgres (docs/architecture.md §7).

Usage: `tables_from_manifest(path, only=...)` lists the marts; `export_postgres(DuckDBReader(duckdb_path),
postgres_url, tables, dry_run=..., fmt=...)` serves them and returns an `ExportSummary` whose `failed` tells the
CLI which exit code to use.
"""

from __future__ import annotations

from ingestion.export.manifest import (
    ExportColumn,
    ExportTable,
    IndexSpec,
    WarehouseRelation,
    tables_from_manifest,
)
from ingestion.export.postgres import (
    DEFAULT_FORMAT,
    DEFAULT_READER_ROLE,
    DEFAULT_SCHEMA,
    ColumnChange,
    ExportSummary,
    TableResult,
    export_postgres,
    staging_schema_for,
)
from ingestion.export.readers import DuckDBReader, WarehouseReader
from ingestion.export.redaction import Redactor, redact
from ingestion.export.types import Kind, PgType, pg_type

__all__ = [
    "DEFAULT_FORMAT",
    "DEFAULT_READER_ROLE",
    "DEFAULT_SCHEMA",
    "ColumnChange",
    "DuckDBReader",
    "ExportColumn",
    "ExportSummary",
    "ExportTable",
    "IndexSpec",
    "Kind",
    "PgType",
    "Redactor",
    "TableResult",
    "WarehouseReader",
    "WarehouseRelation",
    "export_postgres",
    "pg_type",
    "redact",
    "staging_schema_for",
    "tables_from_manifest",
]

"""Which marts leave the warehouse, read from dbt's `target/manifest.json`.

A model is exported when its config `meta` says `export: true`. It must have an enforced contract (so every
column has a `data_type`), and its `meta.indexes` lists the Postgres indexes to build::

    config:
      contract: {enforced: true}
      meta:
        export: true
        indexes:
          - {columns: [project_id], unique: true}
          - {columns: [metric, sample_date]}

Every problem found is reported at once, each naming the model's file and the field to fix.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingestion.errors import ExportError
from ingestion.export.types import PgType, UnknownTypeError, pg_type

INDEX_KEYS = frozenset({"columns", "unique", "name"})
MAX_IDENTIFIER_BYTES = 63


@dataclass(frozen=True)
class WarehouseRelation:
    """Where a mart lives in the warehouse (dbt's database, schema and alias)."""

    database: str | None
    schema: str
    identifier: str

    def __str__(self) -> str:
        parts = [p for p in (self.database, self.schema, self.identifier) if p]
        return ".".join(parts)


@dataclass(frozen=True)
class ExportColumn:
    name: str
    data_type: str
    """The contract's type, in the warehouse dialect (e.g. `decimal(38,0)`)."""
    pg_type: PgType
    not_null: bool = False
    description: str = ""


@dataclass(frozen=True)
class IndexSpec:
    columns: tuple[str, ...]
    unique: bool = False
    name: str | None = None
    """Optional explicit index name; by default `<table>__<columns>__{key,idx}` (see `index_name`)."""


@dataclass(frozen=True)
class ExportTable:
    """One mart to serve from Postgres under `name`."""

    name: str
    relation: WarehouseRelation
    columns: tuple[ExportColumn, ...]
    indexes: tuple[IndexSpec, ...] = ()
    description: str = ""
    source: str = ""
    """Where it was declared (the model's file), for messages."""

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def index_name(table: str, index: IndexSpec) -> str:
    """A deterministic index name that fits Postgres' 63-byte limit (a short hash keeps it unique)."""
    if index.name:
        return index.name
    suffix = "key" if index.unique else "idx"
    name = f"{table}__{'__'.join(index.columns)}__{suffix}"
    if len(name.encode()) <= MAX_IDENTIFIER_BYTES:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    head = name.encode()[: MAX_IDENTIFIER_BYTES - len(suffix) - 10].decode(errors="ignore")
    return f"{head}_{digest}_{suffix}"


def tables_from_manifest(manifest_path: Path, only: Sequence[str] | None = None) -> list[ExportTable]:
    """The exported marts declared in a dbt manifest, in name order; `only` restricts to those names.

    Raises ExportError listing every problem (missing manifest, contract not enforced, unknown type, index on a
    column that does not exist, a name in `only` that is not an exported mart).
    """
    manifest = _load(manifest_path)
    dialect = str((manifest.get("metadata") or {}).get("adapter_type") or "duckdb")
    nodes = manifest.get("nodes")
    if not isinstance(nodes, dict):
        raise ExportError(f"{manifest_path}: no `nodes` object: is this a dbt manifest? Run `dbt parse`.")
    problems: list[str] = []
    tables: dict[str, ExportTable] = {}
    for unique_id, node in sorted(nodes.items()):
        if not isinstance(node, dict) or node.get("resource_type") != "model":
            continue
        meta = _meta(node)
        if meta.get("export") is not True:
            continue
        table = _table(
            node, meta, dialect, f"{manifest_path}: {node.get('original_file_path', unique_id)}", problems
        )
        if table is None:
            continue
        if table.name in tables:
            problems.append(
                f"{table.source}: exported name {table.name!r} is already used by {tables[table.name].source}"
            )
            continue
        tables[table.name] = table
    if only:
        unknown = sorted(set(only) - set(tables))
        if unknown:
            problems.append(
                f"{manifest_path}: not an exported mart: {', '.join(unknown)} "
                f"(exported: {', '.join(sorted(tables)) or 'none'}; a model is exported with meta: {{export: true}})"
            )
    if problems:
        lines = "\n".join(f"  {p}" for p in problems)
        raise ExportError(f"the dbt manifest has {len(problems)} export problem(s):\n{lines}")
    wanted = set(only) if only else set(tables)
    return [tables[name] for name in sorted(wanted)]


def _load(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExportError(
            f"no dbt manifest at {path}: run `dbt parse` (or `impact build`) first, so the exporter knows "
            "which marts to export"
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExportError(
            f"{path}: line {exc.lineno}: not valid JSON ({exc.msg}); re-create it with `dbt parse`"
        ) from None
    if not isinstance(data, dict):
        raise ExportError(
            f"{path}: not a dbt manifest (top level is not an object); re-create it with `dbt parse`"
        )
    return data


def _meta(node: dict[str, Any]) -> dict[str, Any]:
    """dbt >= 1.10 keeps `meta` under `config` (and mirrors it at the top level); config wins."""
    merged: dict[str, Any] = {}
    for meta in (node.get("meta"), (node.get("config") or {}).get("meta")):
        if isinstance(meta, dict):
            merged.update(meta)
    return merged


def _table(
    node: dict[str, Any], meta: dict[str, Any], dialect: str, where: str, problems: list[str]
) -> ExportTable | None:
    name = str(node.get("alias") or node.get("name") or "")
    config = node.get("config") or {}
    contract = config.get("contract") or node.get("contract") or {}
    found: list[str] = []
    if not name:
        found.append(f"{where}: model has no name or alias")
    if len(name.encode()) > MAX_IDENTIFIER_BYTES:
        found.append(
            f"{where}: {name!r} is longer than Postgres' 63-byte limit for a table name; set a shorter alias"
        )
    if contract.get("enforced") is not True:
        found.append(
            f"{where}: {name}: exported marts need an enforced contract (config: contract: {{enforced: true}}) "
            "so every column has a data_type"
        )
    columns: list[ExportColumn] = []
    raw_columns = node.get("columns") or {}
    if not raw_columns:
        found.append(f"{where}: {name}: columns: none declared; list every column with its data_type")
    for key, column in raw_columns.items():
        column_name = str(column.get("name") or key)
        data_type = column.get("data_type")
        if not data_type:
            found.append(f"{where}: {name}.{column_name}: data_type is missing")
            continue
        try:
            mapped = pg_type(str(data_type), dialect)
        except UnknownTypeError as exc:
            found.append(f"{where}: {name}.{column_name}: {exc}")
            continue
        not_null = any(
            isinstance(c, dict) and c.get("type") in ("not_null", "primary_key")
            for c in column.get("constraints") or []
        )
        columns.append(
            ExportColumn(column_name, str(data_type), mapped, not_null, str(column.get("description") or ""))
        )
    indexes = _indexes(meta.get("indexes"), name, {c.name for c in columns} | set(raw_columns), where, found)
    if found:
        problems.extend(found)
        return None
    relation = WarehouseRelation(
        database=node.get("database") or None,
        schema=str(node.get("schema") or ""),
        identifier=str(node.get("alias") or node.get("name")),
    )
    return ExportTable(
        name=name,
        relation=relation,
        columns=tuple(columns),
        indexes=tuple(indexes),
        description=str(node.get("description") or ""),
        source=where,
    )


def _indexes(raw: Any, table: str, columns: set[str], where: str, found: list[str]) -> list[IndexSpec]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        found.append(f"{where}: {table}: meta.indexes must be a list of {{columns: [...], unique: bool}}")
        return []
    indexes: list[IndexSpec] = []
    for i, item in enumerate(raw):
        field = f"{where}: {table}: meta.indexes[{i}]"
        if not isinstance(item, dict):
            found.append(f"{field}: must be a mapping like {{columns: [project_id], unique: true}}")
            continue
        extra = sorted(set(item) - INDEX_KEYS)
        if extra:
            found.append(
                f"{field}: unknown key(s) {', '.join(extra)} (allowed: {', '.join(sorted(INDEX_KEYS))})"
            )
            continue
        cols = item.get("columns")
        if isinstance(cols, str):
            cols = [cols]
        if not isinstance(cols, list) or not cols or not all(isinstance(c, str) for c in cols):
            found.append(f"{field}: columns must be a non-empty list of column names")
            continue
        missing = [c for c in cols if c not in columns]
        if missing:
            found.append(f"{field}: column(s) {', '.join(missing)} are not in the model's columns")
            continue
        unique = item.get("unique", False)
        if not isinstance(unique, bool):
            found.append(f"{field}: unique must be true or false")
            continue
        name = item.get("name")
        if name is not None and (
            not isinstance(name, str) or not name or len(name.encode()) > MAX_IDENTIFIER_BYTES
        ):
            found.append(f"{field}: name must be a non-empty string of at most 63 bytes")
            continue
        indexes.append(IndexSpec(tuple(cols), unique, name))
    return indexes

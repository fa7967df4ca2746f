"""Real Postgres (127.0.0.1:5432, database `test`, trust auth) and real DuckDB files for the export tests.

Every test gets its own served schema, staging schema and reader role (roles are cluster-wide), all dropped
afterwards. Set IMPACT_TEST_POSTGRES_URL to use another server.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest
from psycopg import sql

from ingestion.export.postgres import staging_schema_for

FIXTURES = Path(__file__).parent / "fixtures"
POSTGRES_URL = os.environ.get("IMPACT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass(frozen=True)
class PgTarget:
    """Where one test exports to."""

    url: str
    schema: str
    reader_role: str

    @property
    def staging(self) -> str:
        return staging_schema_for(self.schema)

    def connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url, autocommit=True)

    def query(self, query: str | sql.Composable, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with self.connect() as conn:
            return conn.execute(query, params).fetchall()

    def rows(self, table: str, order_by: str | None = None) -> list[tuple[Any, ...]]:
        """Every row of a served table, ordered by the `order_by` column (default: the first)."""
        order = sql.Identifier(order_by) if order_by else sql.SQL("1")
        query = sql.SQL("select * from {} order by {}").format(sql.Identifier(self.schema, table), order)
        return self.query(query)

    def count(self, table: str) -> int:
        return self.query(sql.SQL("select count(*) from {}").format(sql.Identifier(self.schema, table)))[0][0]

    def staging_tables(self) -> list[str]:
        return [
            r[0]
            for r in self.query(
                "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                "where n.nspname = %s order by 1",
                [self.staging],
            )
        ]


class Marts:
    """Builders of DuckDB marts and dbt-shaped manifests (the `marts` fixture)."""

    @staticmethod
    def warehouse(path: Path, *statements: str) -> Path:
        """A DuckDB file (catalog named after the file, as dbt-duckdb does) with a `marts` schema."""
        with duckdb.connect(str(path)) as con:
            con.execute("create schema if not exists marts")
            for statement in statements:
                con.execute(statement)
        return path

    @staticmethod
    def column(name: str, data_type: str, not_null: bool = False, description: str = "") -> dict[str, Any]:
        """A manifest column in the shape dbt 1.11 writes."""
        constraints = [{"type": "not_null", "name": None, "expression": None}] if not_null else []
        return {
            "name": name,
            "description": description,
            "meta": {},
            "data_type": data_type,
            "constraints": constraints,
            "quote": None,
            "config": {"meta": {}, "tags": []},
            "tags": [],
        }

    @staticmethod
    def model(
        name: str,
        columns: list[dict[str, Any]],
        *,
        export: bool = True,
        indexes: list[dict[str, Any]] | None = None,
        enforced: bool = True,
        database: str = "warehouse",
        schema: str = "marts",
        description: str = "",
    ) -> dict[str, Any]:
        """A manifest model node in the shape dbt 1.11 writes (meta both under config and at the top level)."""
        meta: dict[str, Any] = {"export": export}
        if indexes is not None:
            meta["indexes"] = indexes
        return {
            "resource_type": "model",
            "unique_id": f"model.impact.{name}",
            "name": name,
            "alias": name,
            "database": database,
            "schema": schema,
            "relation_name": f'"{database}"."{schema}"."{name}"',
            "original_file_path": f"models/marts/{name}.sql",
            "description": description,
            "meta": meta,
            "config": {
                "enabled": True,
                "materialized": "table",
                "meta": meta,
                "contract": {"enforced": enforced, "alias_types": True},
            },
            "contract": {"enforced": enforced, "alias_types": True, "checksum": None},
            "columns": {c["name"]: c for c in columns},
        }

    @staticmethod
    def manifest(path: Path, *models: dict[str, Any], adapter_type: str = "duckdb") -> Path:
        manifest = {
            "metadata": {
                "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
                "dbt_version": "1.11.16",
                "adapter_type": adapter_type,
            },
            "nodes": {m["unique_id"]: m for m in models},
            "sources": {},
        }
        path.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        return path


@pytest.fixture(scope="session")
def postgres_url() -> str:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=5) as conn:
            conn.execute("select 1")
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"the export tests need Postgres at {POSTGRES_URL} ({exc}); start it with "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`",
            pytrace=False,
        )
    return POSTGRES_URL


@pytest.fixture
def pg(postgres_url: str) -> Iterator[PgTarget]:
    suffix = uuid.uuid4().hex[:10]
    target = PgTarget(postgres_url, f"test_export_{suffix}", f"test_reader_{suffix}")
    yield target
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for schema in (target.schema, target.staging, f"{target.schema}_other"):
            conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema)))
        if conn.execute("select 1 from pg_roles where rolname = %s", [target.reader_role]).fetchone():
            conn.execute(sql.SQL("drop owned by {}").format(sql.Identifier(target.reader_role)))
            conn.execute(sql.SQL("drop role {}").format(sql.Identifier(target.reader_role)))


@pytest.fixture
def marts() -> Marts:
    return Marts()

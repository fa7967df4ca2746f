"""The registry in BigQuery: load jobs with an explicit schema and WRITE_TRUNCATE, the same rows as in DuckDB.

Boundary: the local BigQuery emulator stands in for Google's BigQuery API (load jobs, queries), reached by the real
google-cloud-bigquery client.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from ingestion.bigquery.jobs import QueryRunner
from ingestion.bigquery.raw import BigQueryRaw
from ingestion.registry import load_registry, write_registry
from ingestion.warehouse import connect

ROOT = Path(__file__).resolve().parents[2]
LOADED_AT = datetime(2026, 1, 2, 3, 4, 5)
COLUMNS = {
    "registry_projects": "project_name, display_name, description, websites, social, token_coingecko_api_id, "
    "comments, _source_file",
    "registry_collections": "collection_name, display_name, description, project_name, comments, _source_file",
    "registry_artifacts": "project_name, artifact_source, artifact_kind, artifact_namespace, artifact_name, "
    "artifact_url, network, tags, address_label, _source_file",
}


REPEATED = {"registry_projects": {3, 6}, "registry_collections": {4}, "registry_artifacts": {7}}
"""Positions of the list columns: BigQuery has no NULL list (a REPEATED column reads back as [])."""


def _comparable(table: str, rows: list[tuple[Any, ...]]) -> list[str]:
    """Rows as sorted JSON text, a NULL list read as an empty one."""
    return sorted(
        json.dumps([list(v or []) if i in REPEATED[table] else v for i, v in enumerate(row)]) for row in rows
    )


def test_the_registry_loads_the_same_rows_and_replaces_on_reload(
    bq_client: Any, bq_project: str, tmp_path: Path
) -> None:
    """The sample registry (11 projects, 14 collection rows, 33 artifact rows, hand-counted in test_registry.py)
    lands in BigQuery with the rows DuckDB gets, column for column; loading it again leaves the same counts (the
    tables are replaced, not appended to), and raw._loads has one ok 'registry' row per load."""
    registry = load_registry(ROOT / "registry", ROOT / "seeds")
    raw = BigQueryRaw(bq_client, QueryRunner(bq_client, 10**12), bq_project)
    raw.ensure()
    assert raw.write_registry(registry, LOADED_AT) == {
        "registry_projects": 11,
        "registry_collections": 14,
        "registry_artifacts": 33,
    }
    assert raw.write_registry(registry, LOADED_AT)["registry_artifacts"] == 33

    con = connect(tmp_path / "w.duckdb")
    write_registry(con, registry, loaded_at=LOADED_AT)
    for table, columns in COLUMNS.items():
        local = con.execute(f"select {columns} from raw.{table}").fetchall()  # noqa: S608 - constant names
        remote = [
            tuple(row.values())
            for row in bq_client.query(f"select {columns} from `{raw.table_id(table)}`").result()  # noqa: S608
        ]
        assert len(remote) == len(local), table
        assert _comparable(table, remote) == _comparable(table, local), table
    loads = list(bq_client.query(f"select status, rows_kept from `{raw.table_id('_loads')}`").result())  # noqa: S608
    assert [tuple(r.values()) for r in loads] == [("ok", 33), ("ok", 33)]
    con.close()


def test_the_real_oss_directory_sample_lands_with_every_column(
    bq_client: Any, bq_project: str, tmp_path: Path
) -> None:
    """The real sample (tests/fixtures/oss-directory): packages, funding and protocol artifacts, coingecko ids and
    comments reach BigQuery as they reach DuckDB, column for column."""
    registry = load_registry(ROOT / "tests" / "fixtures" / "oss-directory" / "data", ROOT / "seeds")
    raw = BigQueryRaw(bq_client, QueryRunner(bq_client, 10**12), bq_project)
    raw.ensure()
    counts = raw.write_registry(registry, LOADED_AT)
    con = connect(tmp_path / "w.duckdb")
    assert write_registry(con, registry, loaded_at=LOADED_AT) == counts
    for table, columns in COLUMNS.items():
        local = con.execute(f"select {columns} from raw.{table}").fetchall()  # noqa: S608 - constant names
        remote = [
            tuple(row.values())
            for row in bq_client.query(f"select {columns} from `{raw.table_id(table)}`").result()  # noqa: S608
        ]
        assert _comparable(table, remote) == _comparable(table, local), table
    sources = {
        row[0]
        for row in bq_client.query(
            f"select distinct artifact_source from `{raw.table_id('registry_artifacts')}`"  # noqa: S608
        ).result()
    }
    assert sources == {"GITHUB", "BLOCKCHAIN", "NPM", "CRATES", "PYPI", "GO", "OPEN_COLLECTIVE", "DEFILLAMA"}
    coingecko = con.execute(
        "select token_coingecko_api_id from raw.registry_projects where project_name = '0xpolygon'"
    ).fetchone()
    assert coingecko == ("polygon-ecosystem-token",)
    con.close()

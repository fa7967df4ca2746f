"""The shape the Postgres exporter reads from the manifest: every mart flagged `meta.export` has an enforced
contract, a data_type on every column and its indexes in `meta`, and the `postgres_api` exposure lists exactly
those marts (this project's and the metric marts)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import BuiltWarehouse

EXPORTED_BY_THIS_PROJECT = {
    "projects_v1",
    "collections_v1",
    "artifacts_v1",
    "artifacts_by_project_v1",
    "projects_by_collection_v1",
    "events_daily_to_project",
    "github_data_coverage_v1",
}


def test_exported_marts_declare_contract_types_and_indexes(built_warehouse: BuiltWarehouse) -> None:
    manifest = json.loads((built_warehouse.target_path / "manifest.json").read_text())
    exported = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("meta", {}).get("export")
    }
    assert set(exported) >= EXPORTED_BY_THIS_PROJECT
    for name, node in exported.items():
        assert node["config"]["contract"]["enforced"], name
        assert node["columns"], name
        for column in node["columns"].values():
            assert column["data_type"], (name, column["name"])
        indexes = node["config"]["meta"]["indexes"]
        assert indexes, name
        for index in indexes:
            assert set(index) <= {"columns", "unique"} and index["columns"], (name, index)
            assert isinstance(index.get("unique", False), bool), (name, index)
            assert set(index["columns"]) <= set(node["columns"]), (name, index)

    exposure = manifest["exposures"]["exposure.impact.postgres_api"]
    listed = {unique_id.split(".")[-1] for unique_id in exposure["depends_on"]["nodes"]}
    missing = set(exported) - listed
    assert not missing, (
        f"exported marts missing from the postgres_api exposure (models/marts/_marts__models.yml): {missing}"
    )
    assert listed <= set(exported), (
        f"listed in postgres_api but not flagged meta.export: {listed - set(exported)}"
    )

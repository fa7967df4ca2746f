"""Every id in the built marts equals the Python twin (ingestion/ids.py) computed from the same row: the
`impact_id` macro and the Python function agree byte for byte on real data."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import BuiltWarehouse

from ingestion.ids import artifact_id, collection_id, impact_id, project_id


def test_project_ids(built_warehouse: BuiltWarehouse) -> None:
    rows = built_warehouse.query("select project_id, project_name from marts.projects_v1")
    assert len(rows) == 3
    for got, name in rows:
        assert got == project_id(name), name
    rows = built_warehouse.query(
        "select project_id, project_name from marts.artifacts_by_project_v1"
        " union all select project_id, project_name from marts.events_daily_to_project"
        " union all select project_id, project_name from marts.projects_by_collection_v1"
    )
    assert rows
    for got, name in rows:
        assert got == project_id(name), name


def test_collection_ids(built_warehouse: BuiltWarehouse) -> None:
    rows = built_warehouse.query(
        "select collection_id, collection_name from marts.collections_v1"
        " union all select collection_id, collection_name from marts.projects_by_collection_v1"
    )
    assert len(rows) == 4
    for got, name in rows:
        assert got == collection_id(name), name


def test_artifact_ids(built_warehouse: BuiltWarehouse) -> None:
    rows = built_warehouse.query(
        "select artifact_id, artifact_source, artifact_namespace, artifact_name from marts.artifacts_v1"
        " union all select artifact_id, artifact_source, artifact_namespace, artifact_name"
        " from marts.artifacts_by_project_v1"
    )
    assert len(rows) == 8
    for got, source, namespace, name in rows:
        assert got == artifact_id(source, namespace, name), (source, namespace, name)


def test_event_sender_and_target_ids(built_warehouse: BuiltWarehouse) -> None:
    rows = built_warehouse.query(
        "select to_artifact_id, to_artifact_namespace, to_artifact_name, from_artifact_id, from_artifact_namespace"
        " from intermediate.int_events where event_source = 'GITHUB'"
    )
    # optimism 14 + 2, opensource-observer 4 + 3 (the monthly totals of test_marts.py).
    assert len(rows) == 23
    for to_id, to_namespace, to_name, from_id, from_namespace in rows:
        assert to_id == artifact_id("GITHUB", to_namespace, to_name)
        # An account is ('GITHUB', login, NULL); a commit author known by e-mail only is ('GIT', email, NULL).
        source = "GIT" if "@" in from_namespace else "GITHUB"
        assert from_id == impact_id(source, from_namespace, None), from_namespace

"""Which marts are exported, read from a hand-written manifest in the shape dbt 1.11 writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.errors import ExportError
from ingestion.export.manifest import IndexSpec, WarehouseRelation, index_name, tables_from_manifest
from ingestion.export.types import Kind, PgType

MANIFEST = Path(__file__).parent / "fixtures" / "manifest.json"


def test_exported_marts_are_the_models_flagged_export_true() -> None:
    # The fixture has 5 models and 1 seed: projects_v1, timeseries_metrics_by_project_v1 and
    # onchain_metrics_by_project_v1 say export: true; artifacts_v1 says false; int_events says nothing;
    # the seed says true but is not a model.
    tables = tables_from_manifest(MANIFEST)
    assert [t.name for t in tables] == [
        "onchain_metrics_by_project_v1",
        "projects_v1",
        "timeseries_metrics_by_project_v1",
    ]


def test_columns_types_indexes_and_relation_come_from_the_node() -> None:
    (projects,) = tables_from_manifest(MANIFEST, only=["projects_v1"])
    assert projects.relation == WarehouseRelation("warehouse", "marts", "projects_v1")
    assert [(c.name, c.pg_type.ddl, c.not_null) for c in projects.columns] == [
        ("project_id", "text", True),  # constraints: [{type: not_null}]
        ("project_name", "text", False),
        ("display_name", "text", False),
    ]
    assert projects.indexes == (IndexSpec(("project_id",), unique=True),)
    assert projects.description == "One row per project of the registry."
    assert projects.columns[0].description == "sha256 of ('PROJECT', name)"


def test_meta_under_config_counts_even_when_the_top_level_meta_is_empty() -> None:
    (series,) = tables_from_manifest(MANIFEST, only=["timeseries_metrics_by_project_v1"])
    assert series.indexes == (
        IndexSpec(("metric", "project_id", "sample_date"), unique=True),
        IndexSpec(("project_id",), unique=False),
    )


def test_spelling_of_types_in_the_contract_does_not_matter() -> None:
    (onchain,) = tables_from_manifest(MANIFEST, only=["onchain_metrics_by_project_v1"])
    assert {c.name: c.pg_type for c in onchain.columns} == {
        "project_id": PgType(Kind.TEXT),  # "VARCHAR"
        "gas_fees_wei": PgType(Kind.NUMERIC, 38, 0),  # "DECIMAL(38, 0)"
        "gas_fees_eth": PgType(Kind.NUMERIC, 38, 18),
        "transaction_count": PgType(Kind.INT8),
        "last_transaction_at": PgType(Kind.TIMESTAMPTZ),
        "is_active": PgType(Kind.BOOL),
    }


def test_only_names_that_are_not_exported_marts_are_an_error() -> None:
    with pytest.raises(ExportError) as err:
        tables_from_manifest(MANIFEST, only=["projects_v1", "artifacts_v1", "nope"])
    message = str(err.value)
    assert "not an exported mart: artifacts_v1, nope" in message
    assert "exported: onchain_metrics_by_project_v1, projects_v1, timeseries_metrics_by_project_v1" in message


def test_a_missing_manifest_says_to_run_dbt_parse(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="no dbt manifest at .*run `dbt parse`"):
        tables_from_manifest(tmp_path / "target" / "manifest.json")


def test_a_broken_manifest_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_text('{\n  "nodes": {\n    oops\n}', encoding="utf-8")
    with pytest.raises(ExportError, match=r"manifest.json: line 3: not valid JSON"):
        tables_from_manifest(path)


def test_every_problem_is_reported_at_once_with_file_and_field(tmp_path: Path, marts) -> None:
    column, model = marts.column, marts.model
    path = marts.manifest(
        tmp_path / "manifest.json",
        model("no_contract_v1", [column("a", "varchar")], enforced=False),
        model("odd_types_v1", [column("a", "uuid"), column("b", "varchar[]"), column("c", "")]),
        model(
            "bad_indexes_v1",
            [column("a", "varchar")],
            indexes=[{"columns": ["a", "zzz"]}, {"columns": ["a"], "uniq": True}, {"columns": []}, "a"],
        ),
    )
    with pytest.raises(ExportError) as err:
        tables_from_manifest(path)
    message = str(err.value)
    where = f"{path}: models/marts"
    expected = [
        f"{where}/no_contract_v1.sql: no_contract_v1: exported marts need an enforced contract",
        f"{where}/odd_types_v1.sql: odd_types_v1.a: data_type 'uuid' has no Postgres mapping",
        f"{where}/odd_types_v1.sql: odd_types_v1.b: data_type 'varchar[]' has no Postgres mapping",
        f"{where}/odd_types_v1.sql: odd_types_v1.c: data_type is missing",
        f"{where}/bad_indexes_v1.sql: bad_indexes_v1: meta.indexes[0]: column(s) zzz are not in the model's columns",
        f"{where}/bad_indexes_v1.sql: bad_indexes_v1: meta.indexes[1]: unknown key(s) uniq",
        f"{where}/bad_indexes_v1.sql: bad_indexes_v1: meta.indexes[2]: columns must be a non-empty list",
        f"{where}/bad_indexes_v1.sql: bad_indexes_v1: meta.indexes[3]: must be a mapping",
    ]
    for line in expected:
        assert line in message
    assert "8 export problem(s)" in message


def test_index_names_are_deterministic_and_fit_63_bytes() -> None:
    assert (
        index_name("projects_v1", IndexSpec(("project_id",), unique=True)) == "projects_v1__project_id__key"
    )
    assert index_name("t", IndexSpec(("a", "b"))) == "t__a__b__idx"
    assert index_name("t", IndexSpec(("a",), name="my_index")) == "my_index"
    long = index_name(
        "timeseries_metrics_by_project_v1", IndexSpec(("metric", "project_id", "sample_date"), True)
    )
    assert len(long.encode()) <= 63 and long.endswith("_key")
    other = index_name(
        "timeseries_metrics_by_project_v1", IndexSpec(("metric", "project_id", "sample_day"), True)
    )
    assert long != other  # the hash keeps truncated names apart

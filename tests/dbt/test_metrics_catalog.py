"""The metric catalog and the files generated from it agree: one model file per entry (the one-line call), one
unit test per metric, the first set of docs/architecture.md §6, and a wide-table contract that names only catalog metrics.
Reads the files only (no dbt run), so a forgotten file is reported with what to add."""

from __future__ import annotations

from pathlib import Path

import yaml

from ingestion.metric_catalog import read_catalog

REPO_ROOT = Path(__file__).resolve().parents[2]
CATALOG = REPO_ROOT / "macros" / "metrics" / "metric_catalog.sql"
METRICS_DIR = REPO_ROOT / "models" / "marts" / "metrics"
MODELS_YML = METRICS_DIR / "_metrics__models.yml"

FIRST_SET = (
    "commit_count",
    "active_developer_count",
    "contributor_count",
    "new_contributor_count",
    "fulltime_developer_count",
    "parttime_developer_count",
    "pr_opened_count",
    "pr_merged_count",
    "issue_opened_count",
    "issue_closed_count",
    "star_count",
    "fork_count",
    "release_count",
    "time_to_merge_median_days",
)
WINDOWS = ("7d", "30d", "90d", "180d", "all")
NO_ALL_TIME = frozenset({"classify_from", "count_new_from", "median_duration"})


def catalog() -> list[dict]:
    return read_catalog(REPO_ROOT)


def models_yml() -> dict:
    return yaml.safe_load(MODELS_YML.read_text())


def test_the_first_set_is_in_the_catalog_in_order() -> None:
    names = [entry["name"] for entry in catalog()]
    assert names[: len(FIRST_SET)] == list(FIRST_SET)
    assert len(names) == len(set(names)), "a metric name is used twice"


def test_every_metric_has_its_model_file_and_nothing_else_calls_the_macro() -> None:
    names = {entry["name"] for entry in catalog()}
    for name in names:
        path = METRICS_DIR / f"{name}.sql"
        assert path.is_file(), (
            f"add {path.relative_to(REPO_ROOT)} holding: {{{{ metric_timeseries('{name}') }}}}"
        )
        assert path.read_text().strip() == f"{{{{ metric_timeseries('{name}') }}}}", path
    callers = {p.stem for p in METRICS_DIR.glob("*.sql") if "metric_timeseries(" in p.read_text()}
    assert callers == names, (
        f"model files calling metric_timeseries without a catalog entry: {callers - names}"
    )


def test_every_metric_has_a_unit_test_with_its_reasoning() -> None:
    tests = models_yml()["unit_tests"]
    tested = {test["model"] for test in tests}
    missing = [entry["name"] for entry in catalog() if entry["name"] not in tested]
    assert missing == [], f"add a unit test to {MODELS_YML.name} for: {', '.join(missing)}"
    for test in tests:
        assert len(test.get("description", "")) > 80, (
            f"{test['name']}: say how the expected rows were worked out"
        )


def test_wide_table_contract_names_catalog_metrics_and_windows() -> None:
    """Every `<metric>_<window>` column of code_metrics_by_project_v1 is a catalog metric with that window, and
    each metric of the first set is there with all of its windows."""
    entries = {entry["name"]: entry for entry in catalog()}
    model = next(m for m in models_yml()["models"] if m["name"] == "code_metrics_by_project_v1")
    columns = [column["name"] for column in model["columns"]]
    assert len(columns) == len(set(columns))
    fixed = {
        "project_id",
        "project_name",
        "display_name",
        "sample_date",
        "first_commit_date",
        "last_commit_date",
        "repository_count",
    }
    flags = {f"{kind}_complete_{window}" for kind in ("commits", "merges") for window in WINDOWS}
    metric_columns = [c for c in columns if c not in fixed | flags]
    expected = [
        f"{name}_{window}"
        for name in FIRST_SET
        for window in WINDOWS
        if window != "all" or entries[name]["aggregation"] not in NO_ALL_TIME
    ]
    assert metric_columns[: len(expected)] == expected
    for column in metric_columns:
        name, _, window = column.rpartition("_")
        own = [
            f"{entries[name][key]}d"
            for key in ("window_days", "average_days")
            if key in entries.get(name, {})
        ]
        assert name in entries and window in (own[-1:] or WINDOWS), f"{column}: not <catalog metric>_<window>"
    assert set(columns) >= fixed | flags

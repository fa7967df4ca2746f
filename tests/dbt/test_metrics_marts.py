"""The metric marts built by `dbt build` from the hand-made fixture warehouse (tests/fixtures/dbt, see its README).

What the fixture holds, as the metrics see it:
- optimism = repo 100 ethereum-optimism/optimism plus repo 101 ethereum-optimism/docs (found under its org).
  Archive day 2024-05-21 (payloads list commits and `merged`): alice pushes ...01, listing commits 1111 (alice, by her
  no-reply address) and 2222 (bob@example.com, named Bob), and ...02, listing 1111 again and 3333 (dependabot[bot]). Bob opens PR 7 at
  10:45 and alice merges it at 11:00; alice closes PR 8 unmerged. dave stars repo 100, erin stars repo 101, frank
  forks 100, github-actions[bot] publishes a release, bob leaves a review comment.
  Archive day 2025-12-15 (neither commits nor `merged` in payloads): alice pushes, alice closes PR 9.
- opensource-observer = repo 300: on 2024-05-21 carol pushes commit 4444 (carol@example.com, named Carol: linked to
  her account by int_github__commit_author_links) and opens an issue;
  on 2025-12-15 carol opens a PR, renovate-bot (a listed bot) stars, carol closes an issue.
- Collection op-retrofunding holds both projects; lonely-project has no artifact, so no events.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ingestion.ids import collection_id, project_id
from ingestion.metric_catalog import read_catalog

REPO_ROOT = Path(__file__).resolve().parents[2]

FIRST_DAY = date(2024, 5, 21)
LAST_DAY = date(2025, 12, 15)
OPTIMISM = project_id("optimism")
OSO = project_id("opensource-observer")


def catalog_entries() -> list[dict]:
    return read_catalog(REPO_ROOT)


def metric_value(
    built_warehouse, metric: str, entity: str, day: date, window: str
) -> tuple[float | None, bool]:
    rows = built_warehouse.query(
        "select amount, data_complete from marts.timeseries_metrics_by_project_v1 "
        'where metric = ? and project_id = ? and sample_date = ? and "window" = ?',
        [metric, entity, day, window],
    )
    assert len(rows) == 1, f"{metric} {window} on {day}: expected one row, got {rows}"
    return rows[0]


@pytest.mark.slow
def test_optimism_on_its_first_day(built_warehouse) -> None:
    """7-day window on 2024-05-21. Commits: 1111, 2222 and 3333, each once although 1111 was pushed twice: 3.
    Developers (accounts that pushed): alice only: 1, part-time (1 push day of the 3 per 7 full-time needs).
    Commit authors without bots: alice and bob@example.com: 2 (dependabot excluded). Contributors: alice (pushed)
    and `bob`, the GitHub account that opened PR 7: 2, both new. One PR
    opened, one merged 15 minutes after its creation: 15 / 1440 days. Stars: dave (repo 100) and erin (repo 101,
    found under the org): 2. One fork, one release (a bot's: releases keep bots), no issue."""
    expected = {
        "commit_count": 3,
        "active_developer_count": 1,
        "commit_author_count": 2,
        "contributor_count": 2,
        "new_contributor_count": 2,
        "pr_opened_count": 1,
        "pr_merged_count": 1,
        "issue_opened_count": 0,
        "star_count": 2,
        "fork_count": 1,
        "release_count": 1,
        "fulltime_developer_count": 0,
        "parttime_developer_count": 1,
    }
    for metric, amount in expected.items():
        assert metric_value(built_warehouse, metric, OPTIMISM, FIRST_DAY, "7d") == (amount, True), metric
    # Electric Capital's 28-day window: alice's one push day makes her part-time.
    assert metric_value(built_warehouse, "ec_fulltime_developer_count", OPTIMISM, FIRST_DAY, "28d") == (
        0,
        True,
    )
    assert metric_value(built_warehouse, "ec_parttime_developer_count", OPTIMISM, FIRST_DAY, "28d") == (
        1,
        True,
    )
    median, complete = metric_value(built_warehouse, "time_to_merge_median_days", OPTIMISM, FIRST_DAY, "7d")
    assert median == pytest.approx(15 / 1440)
    assert complete is True


@pytest.mark.slow
def test_window_boundary_day(built_warehouse) -> None:
    """The 7-day window on D holds D-6..D: the commits of 2024-05-21 count on 05-27 and not on 05-28, an explicit
    zero; the all-time window keeps them."""
    assert metric_value(built_warehouse, "commit_count", OPTIMISM, date(2024, 5, 27), "7d") == (3, True)
    assert metric_value(built_warehouse, "commit_count", OPTIMISM, date(2024, 5, 28), "7d") == (0, True)
    assert metric_value(built_warehouse, "commit_count", OPTIMISM, date(2024, 5, 28), "all") == (3, True)


@pytest.mark.slow
def test_days_after_the_payload_change_are_flagged(built_warehouse) -> None:
    """On 2025-12-15 pushes list no commits and the closed PR 9 does not say whether it was merged: the commit and
    merge metrics of every window holding that day are flagged incomplete (0 commits there means unknown), while
    stars are unaffected. The all-time commit count still holds the 3 commits of 2024 but is not complete."""
    assert metric_value(built_warehouse, "commit_count", OPTIMISM, LAST_DAY, "7d") == (0, False)
    assert metric_value(built_warehouse, "commit_count", OPTIMISM, LAST_DAY, "all") == (3, False)
    assert metric_value(built_warehouse, "pr_merged_count", OPTIMISM, LAST_DAY, "7d") == (0, False)
    assert metric_value(built_warehouse, "star_count", OPTIMISM, LAST_DAY, "all") == (2, True)
    assert metric_value(built_warehouse, "commit_count", OPTIMISM, date(2025, 12, 14), "7d") == (0, True)


@pytest.mark.slow
def test_every_day_of_the_active_range_has_a_row(built_warehouse) -> None:
    """2024-05-21 .. 2025-12-15 is 365 + 208 + 1 = 574 days: every metric and each of its windows (as the catalog
    lists them in metrics_v1) has a row on each of them for optimism (quiet days are zeros, not missing rows).
    lonely-project has no event, so no row."""
    rows = built_warehouse.query(
        'select metric, "window", count(*), min(sample_date), max(sample_date) '
        "from marts.timeseries_metrics_by_project_v1 where project_id = ? group by all",
        [OPTIMISM],
    )
    catalog = built_warehouse.query("select metric, windows from marts.metrics_v1")
    assert len(catalog) == len(catalog_entries())
    assert {(metric, window) for metric, window, *_ in rows} == {
        (metric, window) for metric, windows in catalog for window in windows.split(",")
    }
    assert {(count, first, last) for _, _, count, first, last in rows} == {(574, FIRST_DAY, LAST_DAY)}
    lonely = built_warehouse.query(
        "select count(*) from marts.timeseries_metrics_by_project_v1 where project_id = ?",
        [project_id("lonely-project")],
    )
    assert lonely == [(0,)]


@pytest.mark.slow
def test_collection_adds_up_people_of_its_projects(built_warehouse) -> None:
    """op-retrofunding on 2024-05-21: developers (accounts that pushed) alice (optimism) and carol
    (opensource-observer): 2; commit authors alice, bob@example.com and carol (her e-mail linked to her account): 3;
    commits 3 + 1 = 4."""
    rows = built_warehouse.query(
        "select metric, amount from marts.timeseries_metrics_by_collection_v1 "
        "where collection_id = ? and sample_date = ? and \"window\" = '7d' "
        "and metric in ('active_developer_count', 'commit_author_count', 'commit_count') order by metric",
        [collection_id("op-retrofunding"), FIRST_DAY],
    )
    assert rows == [("active_developer_count", 2), ("commit_author_count", 3), ("commit_count", 4)]


@pytest.mark.slow
def test_fulltime_and_parttime_developers_add_up_to_active_developers(
    built_warehouse,
) -> None:
    """Full-time and part-time partition the developers (accounts that pushed) of each window (both exclude bots)."""
    rows = built_warehouse.query(
        """
        select a.project_id, a.sample_date, a."window", a.amount, f.amount + p.amount
        from marts.timeseries_metrics_by_project_v1 as a
        inner join marts.timeseries_metrics_by_project_v1 as f
            on f.project_id = a.project_id and f.sample_date = a.sample_date and f."window" = a."window"
            and f.metric = 'fulltime_developer_count'
        inner join marts.timeseries_metrics_by_project_v1 as p
            on p.project_id = a.project_id and p.sample_date = a.sample_date and p."window" = a."window"
            and p.metric = 'parttime_developer_count'
        where a.metric = 'active_developer_count'
        """,
    )
    assert len(rows) == 2 * 574 * 4  # both projects start on 2024-05-21; 4 windows (no all-time classes)
    assert [r for r in rows if r[3] != r[4]] == []


@pytest.mark.slow
def test_wide_table_has_latest_values_for_every_project(built_warehouse) -> None:
    """On the last day, 2025-12-15: optimism's all-time commit count 3 (flagged: commits unknown that day), 2 stars,
    repositories 100 and 101, commits pushed from 2024-05-21 to 2025-12-15 (the push of that day carries commits
    GH Archive no longer lists). lonely-project is there with zeros and no median."""
    rows = built_warehouse.query(
        "select project_name, sample_date, commit_count_all, commits_complete_all, star_count_all, "
        "repository_count, first_commit_date, last_commit_date, time_to_merge_median_days_90d "
        "from marts.code_metrics_by_project_v1 order by project_name",
    )
    by_name = {row[0]: row[1:] for row in rows}
    assert by_name["optimism"] == (LAST_DAY, 3, False, 2, 2, FIRST_DAY, LAST_DAY, None)
    assert by_name["lonely-project"] == (LAST_DAY, 0, False, 0, 0, None, None, None)
    assert built_warehouse.query("select count(*) from marts.metrics_v1") == [(len(catalog_entries()),)]


@pytest.mark.slow
def test_metric_models_store_rows_by_entity_on_duckdb(built_warehouse) -> None:
    """storage_order: on DuckDB each metric model stores its rows sorted by entity, then day and window, so that
    a filter on one project id (the report's page) skips the row groups of the others. Read in storage order
    (rowid), the rows of every metric model are sorted; a build without the `order by` gives them in the order
    of its hash joins and window partitions."""
    for entry in catalog_entries():
        rows = built_warehouse.query(
            f'select entity_type, entity_id, sample_date, "window" from marts.{entry["name"]} order by rowid'  # noqa: S608 - catalog names
        )
        assert rows, entry["name"]
        assert rows == sorted(rows), (
            f"{entry['name']}: rows not stored in (entity_type, entity_id, day, window) order"
        )

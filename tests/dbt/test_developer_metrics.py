"""Developer metrics on both sides of GH Archive's 2025-10-07 payload change: a warehouse built by dbt from the hour
files of tests/fixtures/dbt_cross_era (see its README for who does what). Every expected number below was worked
out by hand from that table."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import duckdb
import pytest
from rich.console import Console

from ingestion.ids import project_id
from ingestion.metrics_report import lifecycle_report, project_metrics_report

if TYPE_CHECKING:
    from conftest import BuiltWarehouse

OPTIMISM = project_id("optimism")
DAYS = [date(2025, 10, 1) + timedelta(days=n) for n in range(12)]
CHANGE = date(2025, 10, 7)


def series(warehouse: BuiltWarehouse, metric: str, window: str) -> dict[date, tuple[float, bool]]:
    rows = warehouse.query(
        "select sample_date, amount, data_complete from marts.timeseries_metrics_by_project_v1 where metric = ? "
        'and project_id = ? and "window" = ? order by sample_date',
        [metric, OPTIMISM, window],
    )
    return {day: (amount, complete) for day, amount, complete in rows}


@pytest.mark.slow
def test_headline_developer_series_is_continuous_and_complete_across_the_change(
    cross_era_warehouse: BuiltWarehouse,
) -> None:
    """Developers (accounts that pushed, any branch), 7-day window: alice every day; bob on 10-02, 10-05, 10-08 and
    10-11 on a feature branch, so from 10-02 on every 7-day window holds one of his pushes; dependabot[bot] is a bot.
    10-01: 1, then 2 on every day to 10-12, before and after 10-07 alike, all complete."""
    assert series(cross_era_warehouse, "active_developer_count", "7d") == {
        day: (1 if day == DAYS[0] else 2, True) for day in DAYS
    }


@pytest.mark.slow
def test_contributors_count_pushes_issues_and_pull_requests_on_both_sides(
    cross_era_warehouse: BuiltWarehouse,
) -> None:
    """Contributors, 7-day window: alice; bob from 10-02; carol from her issue on 10-04 (in the window up to 10-10)
    and her pull request on 10-10 (after the change). 10-01: 1, 10-02 and 10-03: 2, 10-04 to 10-12: 3, complete.
    New contributors, 7-day window: alice (10-01), bob (10-02) and carol (10-04) are new for 7 days each: 10-01: 1,
    10-02 .. 10-03: 2, 10-04 .. 10-07: 3, 10-08: 2 (alice's 10-01 left), 10-09: 1, 10-10: 1, 10-11: 0, 10-12: 0."""
    contributors = {day: (1 if day.day == 1 else 2 if day.day < 4 else 3, True) for day in DAYS}
    assert series(cross_era_warehouse, "contributor_count", "7d") == contributors
    new = [1, 2, 2, 3, 3, 3, 3, 2, 1, 1, 0, 0]
    assert series(cross_era_warehouse, "new_contributor_count", "7d") == {
        day: (amount, True) for day, amount in zip(DAYS, new, strict=True)
    }


@pytest.mark.slow
def test_electric_capital_definitions_span_the_change(cross_era_warehouse: BuiltWarehouse) -> None:
    """28 days ending each day: alice's 10th push day is 10-10 (after the change), so she is full-time on 10-10,
    10-11 and 10-12 and part-time before; bob (4 push days) is part-time from 10-02. Full-time: 0 x 9, then 1 x 3;
    part-time: 1 on 10-01, 2 on 10-02 .. 10-09, 1 on 10-10 .. 10-12; all complete (pushes exist in both eras)."""
    fulltime = series(cross_era_warehouse, "ec_fulltime_developer_count", "28d")
    parttime = series(cross_era_warehouse, "ec_parttime_developer_count", "28d")
    assert fulltime == {day: (1 if day.day >= 10 else 0, True) for day in DAYS}
    assert parttime == {day: (1 if day.day == 1 or day.day >= 10 else 2, True) for day in DAYS}
    # The monthly average on 10-12: full-time on 3 of the 30 days ending 10-12 (10-10 .. 10-12): 3 / 30 = 0.1.
    average = series(cross_era_warehouse, "ec_fulltime_developer_monthly_average", "30d")
    assert average[DAYS[-1]] == (pytest.approx(0.1), True)


@pytest.mark.slow
def test_commit_authors_leave_bots_out_link_on_evidence_and_flag_the_change(
    cross_era_warehouse: BuiltWarehouse,
) -> None:
    """Commit authors, 7-day window on 10-06 (09-30 .. 10-06): alice's hashed e-mail, linked to her account (every
    commit under it is pushed by alice and named alice), bob's (pushed by bob, named bob: linked) and Dana Smith's
    (pushed by bob but named Dana Smith: not linked, an e-mail of its own): 3. The commits named dependabot[bot]
    (hashed e-mail, on 10-03 and 10-04) are a bot's, left out. On 10-07 the window holds a day without commit lists:
    not complete, and on 10-12 (10-06 .. 10-12) only alice's commits of 10-06 are known: 1, not complete."""
    authors = series(cross_era_warehouse, "commit_author_count", "7d")
    assert authors[date(2025, 10, 6)] == (3, True)
    assert authors[CHANGE] == (3, False)
    assert authors[DAYS[-1]] == (1, False)
    links = cross_era_warehouse.query(
        "select linked_login, commits from intermediate.int_github__commit_author_links order by 1"
    )
    # alice: one commit a day on 10-01 .. 10-05 and 20 listed on 10-06 = 25; bob: 1.
    assert links == [("alice", 25), ("bob", 1)]


@pytest.mark.slow
def test_a_truncated_push_counts_what_it_says(cross_era_warehouse: BuiltWarehouse) -> None:
    """The push of 10-06 says 30 distinct commits and lists 20: 30 commits that day. All-time commits on 10-06:
    10-01: 1, 10-02: 2 (alice, bob), 10-03: 2 (alice, dependabot's push), 10-04: 2 (alice's push lists two),
    10-05: 2 (alice, Dana via bob), 10-06: 30; 1 + 2 + 2 + 2 + 2 + 30 = 39 (commit_count keeps bots)."""
    day_commits = cross_era_warehouse.query(
        "select sum(amount) from intermediate.int_events where event_type in ('COMMIT_CODE', 'COMMIT_CODE_UNLISTED') "
        "and cast(time as date) = date '2025-10-06'"
    )
    assert day_commits == [(30,)]
    assert series(cross_era_warehouse, "commit_count", "all")[date(2025, 10, 6)] == (39, True)


@pytest.mark.slow
def test_reports_show_developers_complete_and_a_lifecycle_line(cross_era_warehouse: BuiltWarehouse) -> None:
    """`impact metrics optimism` on 10-12. Full-time developers (10 push days per 30, scaled): 7d needs 3 days of
    10-06..10-12, alice has 7: 1; 30d needs 10, alice has 12: 1; 90d needs 30 and 180d 60: 0. bob (4 days in all)
    is part-time. No value is marked `*` (pushes are complete after the change), while the commit authors are. The lifecycle line for October (the data ends on 10-12, so the month is not over): alice and bob
    both pushed first in October: 2 active, both in their first month, tenure under a year. The demo's table has the
    same line."""
    con = duckdb.connect(str(cross_era_warehouse.path))
    try:
        report = project_metrics_report(con, "optimism")
        lifecycle = lifecycle_report(con)
    finally:
        con.close()
    console = Console(record=True, width=300)
    for table in report.tables:
        console.print(table)
    assert lifecycle is not None
    console.print(lifecycle)
    text = console.export_text()
    rows = {line.split("│")[1].strip(): line for line in text.splitlines() if line.startswith("│")}
    fulltime = [cell.strip() for cell in rows["fulltime_developer_count"].split("│")[3:8]]
    assert fulltime == ["1", "", "1", "0", "0"]  # 7d, 28d (none), 30d, 90d, 180d
    assert "*" not in rows["parttime_developer_count"]
    assert "*" not in rows["active_developer_count"]
    assert "*" in rows["commit_author_count"]
    line = (
        "developers in 2025-10 (month not over): 2 active (2 first month, 0 full-time, 0 part-time, 0 returning), "
        "0 dormant, 0 churned; tenure <1y 2, 1-2y 0, 2y+ 0"
    )
    assert line in " ".join(text.split())

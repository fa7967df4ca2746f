"""The marts built from the hand-made fixture warehouse (tests/fixtures/dbt), checked against numbers worked out
by hand from the fixture files. The fixture story (see tests/fixtures/dbt/README.md):

Archive day 2024-05-21 (old payloads: pushes list commits, pull requests say `merged`), 16 lines, 15 distinct ids:
  repo 100 ethereum-optimism/optimism (project optimism, listed by name):
    pushes ...01 (commits 1111, 2222) and ...02 (commits 1111 again, 3333); ...01 also appears in hour 11
    -> PUSH 2, COMMIT_CODE 3 (1111 counts once, at 10:00 by push ...01)
    PR #7 opened (...04), closed merged=true (...05); PR #8 closed merged=false (...06); ...07 is `labeled`
    -> PULL_REQUEST_OPENED 1, PULL_REQUEST_CLOSED 2, PULL_REQUEST_MERGED 1
    star ...08, fork ...12, release ...13 (github-actions[bot]), review comment ...14
  repo 101 ethereum-optimism/docs (not in the registry; its organization is listed by optimism): star ...09
    -> optimism STARRED 2 that day
  repo 300 opensource-observer/oso-old (renamed later to the registry name opensource-observer/oso):
    push ...03 (commit 4444 by carol@example.com), issue opened ...10, comment ...11 (codecov-commenter)
  repo 999 someone/else (no project): star ...15 -> not in any mart
Archive day 2025-12-15 (new payloads: no commits, no merged):
  repo 100: push ...01 without commits, PR #9 closed without `merged` -> PUSH 1, PULL_REQUEST_CLOSED 1, no merge
  repo 300 (now opensource-observer/oso): PR opened, star by renovate-bot (seed-listed bot), issue closed
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import BuiltWarehouse

DAY_OLD = date(2024, 5, 21)
DAY_NEW = date(2025, 12, 15)


def test_events_daily_to_project_per_type_per_day(built_warehouse: BuiltWarehouse) -> None:
    rows = built_warehouse.query(
        "select project_name, bucket_day, event_source, event_type, event_count, amount"
        " from marts.events_daily_to_project"
    )
    got = {(p, d, t): (n, a) for p, d, s, t, n, a in rows if s == "GITHUB"}
    expected_counts = {
        ("optimism", DAY_OLD, "PUSH"): 2,
        ("optimism", DAY_OLD, "COMMIT_CODE"): 3,
        ("optimism", DAY_OLD, "PULL_REQUEST_OPENED"): 1,
        ("optimism", DAY_OLD, "PULL_REQUEST_CLOSED"): 2,
        ("optimism", DAY_OLD, "PULL_REQUEST_MERGED"): 1,
        ("optimism", DAY_OLD, "PULL_REQUEST_REVIEW_COMMENT"): 1,
        ("optimism", DAY_OLD, "STARRED"): 2,
        ("optimism", DAY_OLD, "FORKED"): 1,
        ("optimism", DAY_OLD, "RELEASE_PUBLISHED"): 1,
        ("optimism", DAY_NEW, "PUSH"): 1,
        ("optimism", DAY_NEW, "PULL_REQUEST_CLOSED"): 1,
        ("opensource-observer", DAY_OLD, "PUSH"): 1,
        ("opensource-observer", DAY_OLD, "COMMIT_CODE"): 1,
        ("opensource-observer", DAY_OLD, "ISSUE_OPENED"): 1,
        ("opensource-observer", DAY_OLD, "ISSUE_COMMENT"): 1,
        ("opensource-observer", DAY_NEW, "PULL_REQUEST_OPENED"): 1,
        ("opensource-observer", DAY_NEW, "STARRED"): 1,
        ("opensource-observer", DAY_NEW, "ISSUE_CLOSED"): 1,
    }
    # Every GitHub event has amount 1, so the amount equals the count.
    assert got == {key: (count, float(count)) for key, count in expected_counts.items()}


def test_no_merge_and_no_commit_is_invented_after_the_drift(built_warehouse: BuiltWarehouse) -> None:
    rows = built_warehouse.query(
        "select event_type, count(*) from intermediate.int_events"
        " where cast(time as date) = ? and event_type in ('PULL_REQUEST_MERGED', 'COMMIT_CODE') group by 1",
        [DAY_NEW],
    )
    assert rows == []


def test_events_monthly_to_project_adds_up_the_days(built_warehouse: BuiltWarehouse) -> None:
    rows = built_warehouse.query(
        "select project_name, bucket_month, sum(event_count) from marts.events_monthly_to_project"
        " where event_source = 'GITHUB' group by 1, 2"
    )
    # optimism May 2024: 2+3+1+2+1+1+2+1+1 = 14; December 2025: 1+1 = 2.
    # opensource-observer May 2024: 1+1+1+1 = 4; December 2025: 1+1+1 = 3.
    assert {(p, m): n for p, m, n in rows} == {
        ("optimism", date(2024, 5, 1)): 14,
        ("optimism", date(2025, 12, 1)): 2,
        ("opensource-observer", date(2024, 5, 1)): 4,
        ("opensource-observer", date(2025, 12, 1)): 3,
    }


def test_artifacts_per_project(built_warehouse: BuiltWarehouse) -> None:
    rows = built_warehouse.query(
        "select project_name, artifact_source, artifact_namespace, artifact_name, artifact_type"
        " from marts.artifacts_by_project_v1"
    )
    # optimism: its listed repository, the repository discovered under its organization, its address;
    # opensource-observer: its (renamed) repository; lonely-project: nothing; the organization itself is no artifact.
    assert sorted(rows) == [
        ("opensource-observer", "GITHUB", "opensource-observer", "oso", "REPOSITORY"),
        ("optimism", "GITHUB", "ethereum-optimism", "docs", "REPOSITORY"),
        ("optimism", "GITHUB", "ethereum-optimism", "optimism", "REPOSITORY"),
        ("optimism", "OPTIMISM", "optimism", "0x4200000000000000000000000000000000000042", "ADDRESS"),
    ]
    assert built_warehouse.query("select count(*) from marts.artifacts_v1") == [(4,)]


def test_renamed_repository_keeps_its_registry_artifact(built_warehouse: BuiltWarehouse) -> None:
    rows = built_warehouse.query(
        "select repo_id, discovered_via from intermediate.int_artifacts where artifact_name = 'oso'"
    )
    assert rows == [(300, "REGISTRY")]
    # 4 events under the old name (push, commit, issue, comment) + 3 under the new one.
    assert built_warehouse.query(
        "select count(*) from intermediate.int_events where to_artifact_namespace = 'opensource-observer'"
    ) == [(7,)]


def test_directory_marts(built_warehouse: BuiltWarehouse) -> None:
    assert sorted(built_warehouse.query("select project_name, display_name from marts.projects_v1")) == [
        ("lonely-project", "Lonely Project"),
        ("opensource-observer", "Open Source Observer"),
        ("optimism", "Optimism"),
    ]
    assert sorted(built_warehouse.query("select collection_name from marts.collections_v1")) == [
        ("empty-collection",),
        ("op-retrofunding",),
    ]
    assert sorted(
        built_warehouse.query("select collection_name, project_name from marts.projects_by_collection_v1")
    ) == [
        ("op-retrofunding", "opensource-observer"),
        ("op-retrofunding", "optimism"),
    ]


def test_bots_are_flagged_not_dropped(built_warehouse: BuiltWarehouse) -> None:
    rows = built_warehouse.query(
        "select event_type, from_artifact_namespace from intermediate.int_events where from_artifact_type = 'BOT'"
    )
    # dependabot[bot] authored commit 3333; github-actions[bot] published the release (both end in [bot]);
    # codecov-commenter commented and renovate-bot starred (both listed in seeds/github_bot_accounts.csv).
    assert sorted(rows) == [
        ("COMMIT_CODE", "dependabot[bot]"),
        ("ISSUE_COMMENT", "codecov-commenter"),
        ("RELEASE_PUBLISHED", "github-actions[bot]"),
        ("STARRED", "renovate-bot"),
    ]
    # The commit authors known only by e-mail: bob@example.com on 2222 (named Bob but pushed by alice: no evidence it
    # is the account bob). carol@example.com on 4444 is pushed by carol and named Carol: linked to her account.
    assert sorted(
        built_warehouse.query(
            "select from_artifact_namespace from intermediate.int_events where from_artifact_type = 'GIT_EMAIL'"
        )
    ) == [("bob@example.com",)]
    assert built_warehouse.query(
        "select from_artifact_namespace, from_artifact_type from intermediate.int_events "
        "where event_source_id = '300/4444444444444444444444444444444444444444'"
    ) == [("carol", "GITHUB_USER")]


def test_commits_are_deduplicated_on_repo_and_sha(built_warehouse: BuiltWarehouse) -> None:
    rows = built_warehouse.query(
        "select repo_id, commit_sha, push_event_id, pushed_at, author_login from staging.stg_github__commits"
    )
    assert sorted(rows) == [
        (100, "1" * 40, "40000000001", datetime(2024, 5, 21, 10, 0), "alice"),
        (100, "2" * 40, "40000000001", datetime(2024, 5, 21, 10, 0), None),
        (100, "3" * 40, "40000000002", datetime(2024, 5, 21, 10, 30), "dependabot[bot]"),
        (300, "4" * 40, "40000000003", datetime(2024, 5, 21, 10, 40), None),
    ]
    # The event repeated in two hour files is one event.
    assert built_warehouse.query(
        "select count(*) from staging.stg_github__events where event_id = '40000000001'"
    ) == [(1,)]


def test_coverage_flags_the_post_drift_day(built_warehouse: BuiltWarehouse) -> None:
    rows = built_warehouse.query(
        "select archive_day, push_events, push_events_with_commits, closed_pr_events, closed_pr_events_with_merged,"
        " commits_known, merges_known from marts.github_data_coverage_v1 order by archive_day"
    )
    assert rows == [
        # pushes ...01 (once), ...02, ...03 all list commits; PRs ...05 and ...06 closed, both say `merged`.
        (DAY_OLD, 3, 3, 2, 2, True, True),
        # push 50...01 lists no commits; PR 50...02 closed without `merged`.
        (DAY_NEW, 1, 0, 1, 0, False, False),
    ]

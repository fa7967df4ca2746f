"""The generated GH Archive sample: reproducible bytes, GH Archive's file layout and line format, both payload
eras (the 2025-10-07 change), and the demo's missing hour.

The generator is random (seeded), so these tests check the format and the rules exactly, and the story pieces
(pull requests merged later, commits pushed twice, people in two projects ...) by presence, not by counts.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest

from ingestion.errors import ConfigError
from ingestion.sample import (
    DEMO_MISSING_HOUR,
    SAMPLE_REPOS,
    generate_hour_files,
    generate_hours,
    hour_file_name,
    write_demo_sample,
)

# Key orders of GH Archive lines, as in real GH Archive PushEvents (tests/fixtures/gharchive/README.md).
EVENT_KEYS = ["id", "type", "actor", "repo", "payload", "public", "created_at"]
ACTOR_KEYS = ["id", "login", "display_login", "gravatar_id", "url", "avatar_url"]
REPO_KEYS = ["id", "name", "url"]
ORG_KEYS = ["id", "login", "gravatar_id", "url", "avatar_url"]
PUSH_PRE = ["repository_id", "push_id", "size", "distinct_size", "ref", "head", "before", "commits"]
PUSH_POST = ["repository_id", "push_id", "ref", "head", "before"]
COMMIT_KEYS = ["sha", "author", "message", "distinct", "url"]
# octocrab's trimmed fixture (pull_request_event__post_2025-10-07_trimmed): all that is left of a pull request.
PR_POST = ["url", "id", "number", "head", "base"]
PR_POST_SIDE = ["ref", "sha", "repo"]

FILE_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-(0|[1-9]|1\d|2[0-3])\.json\.gz$")
CREATED_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

START, END = date(2025, 10, 6), date(2025, 10, 7)  # one day on each side of the change
SMALL = {"tracked_repos": SAMPLE_REPOS, "tracked_events_per_hour": 25, "noise_events_per_hour": 40}


def read_events(paths: list[Path]) -> list[dict]:
    events = []
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            events.extend(json.loads(line) for line in lines)
    return events


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return generate_hours(tmp_path_factory.mktemp("small"), START, END, **SMALL)


@pytest.fixture(scope="module")
def small_events(small: list[Path]) -> list[dict]:
    return read_events(small)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("demo")
    # A stale copy of the hour the demo leaves out, as an earlier full run could have left: it must go.
    (out / "2025-10-06-13.json.gz").write_bytes(gzip.compress(b"{}\n"))
    return write_demo_sample(out)


def test_same_arguments_give_byte_identical_files(small: list[Path], tmp_path: Path) -> None:
    again = generate_hours(tmp_path / "again", START, END, **SMALL)
    assert [p.name for p in again] == [p.name for p in small]
    for first, second in zip(small, again, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name
    other_seed = generate_hours(tmp_path / "seed8", START, START, seed=8, **SMALL)
    assert other_seed[0].read_bytes() != small[0].read_bytes()


def test_files_are_named_and_compressed_like_gh_archive(small: list[Path]) -> None:
    # 2 days x 24 hours = 48 files, hours 0..23 without zero padding, in day then hour order.
    assert len(small) == 48
    assert small[0].name == "2025-10-06-0.json.gz"
    assert small[9].name == "2025-10-06-9.json.gz"
    assert small[10].name == "2025-10-06-10.json.gz"
    assert small[-1].name == "2025-10-07-23.json.gz"
    assert hour_file_name(date(2025, 1, 2), 3) == "2025-01-02-3.json.gz"
    for path in small:
        assert FILE_NAME.match(path.name), path.name
        header = path.read_bytes()[:10]
        assert header[:3] == b"\x1f\x8b\x08"  # gzip, deflate
        assert header[3] & 0x08 == 0  # no FNAME: no file name in the header
        assert header[4:8] == b"\x00\x00\x00\x00"  # mtime 0
    assert not list(small[0].parent.glob(".*.tmp"))  # no temp file left behind


def test_every_line_parses_with_gh_archive_keys_in_order(small_events: list[dict]) -> None:
    assert len(small_events) > 1000
    seen_org = seen_no_org = 0
    for event in small_events:
        keys = list(event)
        if "org" in event:
            assert keys == [*EVENT_KEYS, "org"]
            assert list(event["org"]) == ORG_KEYS
            seen_org += 1
        else:
            assert keys == EVENT_KEYS
            seen_no_org += 1
        assert isinstance(event["id"], str) and event["id"].isdigit()
        assert list(event["actor"]) == ACTOR_KEYS
        assert list(event["repo"]) == REPO_KEYS
        assert event["public"] is True
        assert CREATED_AT.match(event["created_at"])
        assert event["repo"]["url"] == f"https://api.github.com/repos/{event['repo']['name']}"
    assert seen_org and seen_no_org  # organisations' repos carry `org`, users' repos do not
    assert len({e["id"] for e in small_events}) == len(small_events)  # event ids are unique


def test_push_and_pull_request_payloads_follow_the_2025_10_07_change(small_events: list[dict]) -> None:
    counts: dict[tuple[str, bool], int] = defaultdict(int)
    for event in small_events:
        post = event["created_at"] >= "2025-10-07"
        payload = event["payload"]
        if event["type"] == "PushEvent":
            counts["push", post] += 1
            if post:
                assert list(payload) == PUSH_POST
            else:
                assert list(payload) == PUSH_PRE
                assert 1 <= len(payload["commits"]) <= 20  # GH Archive lists at most 20 commits
                assert payload["size"] >= len(payload["commits"])
                assert payload["distinct_size"] <= payload["size"]
                assert payload["head"] == payload["commits"][-1]["sha"]
                for commit in payload["commits"]:
                    assert list(commit) == COMMIT_KEYS
                    assert list(commit["author"]) == ["email", "name"]
        elif event["type"] == "PullRequestEvent":
            counts["pr", post] += 1
            pr = payload["pull_request"]
            assert list(payload) == ["action", "number", "pull_request"]
            assert payload["action"] in {"opened", "closed", "reopened"}
            if post:
                assert list(pr) == PR_POST
                assert list(pr["head"]) == PR_POST_SIDE and list(pr["base"]) == PR_POST_SIDE
                assert "merged" not in json.dumps(payload)
            else:
                for key in ("merged", "merged_at", "created_at", "user", "merged_by"):
                    assert key in pr
                assert pr["merged"] == (pr["merged_at"] is not None)
                assert pr["merged"] is False or payload["action"] == "closed"
        elif event["type"] == "PullRequestReviewCommentEvent":
            pr = payload["pull_request"]
            assert (list(pr) == PR_POST) == post
            assert "merged" not in pr  # the review-comment shape never had the merge fields
    for key in [("push", False), ("push", True), ("pr", False), ("pr", True)]:
        assert counts[key] > 0, key


def test_other_payload_shapes_match_the_real_samples(small_events: list[dict]) -> None:
    first: dict[str, dict] = {}
    for event in small_events:
        first.setdefault(event["type"], event["payload"])
    assert first["WatchEvent"] == {"action": "started"}
    assert list(first["CreateEvent"]) == ["ref", "ref_type", "master_branch", "description", "pusher_type"]
    assert list(first["DeleteEvent"]) == ["ref", "ref_type", "pusher_type"]
    assert list(first["IssuesEvent"]) == ["action", "issue"]
    assert list(first["IssueCommentEvent"]) == ["action", "issue", "comment"]
    assert list(first["ForkEvent"]) == ["forkee"]
    assert first["ForkEvent"]["forkee"]["fork"] is True
    assert list(first["ReleaseEvent"]) == ["action", "release"]
    assert first["ReleaseEvent"]["action"] == "published"
    assert list(first["PullRequestReviewCommentEvent"]) == ["action", "comment", "pull_request"]


def test_tracked_repos_have_stable_ids_and_a_few_other_spellings(
    small_events: list[dict], tmp_path: Path
) -> None:
    tracked = {name.lower(): name for name in SAMPLE_REPOS}
    ids: dict[str, set[int]] = defaultdict(set)
    variants = []
    for event in small_events:
        name = event["repo"]["name"]
        if name.lower() in tracked:
            ids[name.lower()].add(event["repo"]["id"])
            if name != tracked[name.lower()]:
                variants.append(name)
    assert set(ids) == set(tracked)  # every tracked repo has events
    assert all(len(found) == 1 for found in ids.values())  # one id per repo, whatever the spelling
    assert len({next(iter(found)) for found in ids.values()}) == len(tracked)
    assert variants  # e.g. 'ethereum-optimism/Optimism'
    # The ids do not depend on the seed: the registry and tests can rely on them.
    other = read_events(generate_hours(tmp_path, START, START, seed=99, **SMALL))
    for event in other:
        if event["repo"]["name"].lower() in tracked:
            assert ids[event["repo"]["name"].lower()] == {event["repo"]["id"]}
    # Most lines belong to repos nobody tracks.
    assert sum(e["repo"]["name"].lower() not in tracked for e in small_events) > len(small_events) / 2


def test_the_story_pieces_are_there(demo: list[Path]) -> None:
    events = read_events(demo)
    tracked = {name.lower() for name in SAMPLE_REPOS}
    opened: dict[tuple[str, int], str] = {}
    merged_later = 0
    pushes_of_sha: dict[tuple[str, str], set[str]] = defaultdict(set)
    owners_of_actor: dict[str, set[str]] = defaultdict(set)
    emails = set()
    for event in events:
        name = event["repo"]["name"].lower()
        if name not in tracked:
            continue
        login = event["actor"]["login"]
        if not login.endswith("[bot]"):
            owners_of_actor[login].add(name.split("/")[0])
        payload = event["payload"]
        if event["type"] == "PullRequestEvent":
            key = (name, payload["number"])
            if payload["action"] == "opened":
                opened[key] = event["created_at"]
            elif (
                payload["action"] == "closed"
                and key in opened
                and opened[key][:13] < event["created_at"][:13]
            ):
                merged_later += 1  # closed (or merged) in a later hour than it was opened
        for commit in payload.get("commits", []):
            pushes_of_sha[name, commit["sha"]].add(event["id"])
            emails.add(commit["author"]["email"])
    assert merged_later > 0
    assert any(len(ids) > 1 for ids in pushes_of_sha.values())  # a sha in two PushEvents of one repo
    assert any(len(owners) > 1 for owners in owners_of_actor.values())  # a developer in two projects
    bots = {e["actor"]["login"] for e in events if e["actor"]["login"].endswith("[bot]")}
    assert {"dependabot[bot]", "github-actions[bot]"} <= bots
    assert any(re.fullmatch(r"\d+\+[\w.\-\[\]]+@users\.noreply\.github\.com", email) for email in emails)
    assert any("noreply" not in email for email in emails)
    untracked_same_owner = {e["repo"]["name"] for e in events if e["repo"]["name"].lower().endswith("/docs")}
    assert "ethereum-optimism/docs" in untracked_same_owner


def test_demo_sample_straddles_the_change_and_leaves_out_one_hour(demo: list[Path]) -> None:
    # 2025-10-05 .. 2025-10-08 is 4 days x 24 hours = 96 hours, less the one left out = 95 files.
    assert len(demo) == 95
    out = demo[0].parent
    assert datetime(2025, 10, 6, 13) == DEMO_MISSING_HOUR
    assert not (out / "2025-10-06-13.json.gz").exists()
    assert (out / "2025-10-06-12.json.gz").exists() and (out / "2025-10-06-14.json.gz").exists()
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in demo)
    days = {FILE_NAME.match(p.name).group(1) for p in demo}  # type: ignore[union-attr]
    assert days == {"2025-10-05", "2025-10-06", "2025-10-07", "2025-10-08"}
    assert sum(p.stat().st_size for p in demo) < 8_000_000  # a few MB


def test_skipped_hours_do_not_change_the_other_hours(tmp_path: Path) -> None:
    args = {"tracked_repos": SAMPLE_REPOS[:3], "tracked_events_per_hour": 5, "noise_events_per_hour": 5}
    full = generate_hour_files(tmp_path / "full", START, START, **args)
    holed = generate_hour_files(
        tmp_path / "holed", START, START, skip_hours=[datetime(2025, 10, 6, 5)], **args
    )
    assert [f.path.name for f in holed] == [f.path.name for f in full if f.hour != 5]
    for f in holed:
        assert f.path.read_bytes() == (tmp_path / "full" / f.path.name).read_bytes()


def test_bad_arguments_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'optimism' is not 'owner/repo'"):
        generate_hours(tmp_path, START, START, tracked_repos=["optimism"])
    with pytest.raises(ConfigError, match="listed twice"):
        generate_hours(tmp_path, START, START, tracked_repos=["a/b", "A/B"])
    with pytest.raises(ConfigError, match="is after end"):
        generate_hours(tmp_path, END, START, tracked_repos=SAMPLE_REPOS)
    with pytest.raises(ConfigError, match="list of 'owner/repo'"):
        generate_hours(tmp_path, START, START, tracked_repos="ethereum-optimism/optimism")
    assert not list(tmp_path.iterdir())  # nothing written


BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_bench_generator_cli_documents_itself_and_writes_a_set(tmp_path: Path) -> None:
    for script in ("generate_gharchive.py", "bench_github_filter.py"):
        shown = subprocess.run(
            [sys.executable, str(BENCH / script), "--help"], capture_output=True, text=True, check=True
        )
        assert "Example:" in shown.stdout and "--events-per-hour" in shown.stdout
    args = ["--out", str(tmp_path), "--start", "2025-10-06", "--days", "1", "--events-per-hour", "20"]
    subprocess.run(
        [sys.executable, str(BENCH / "generate_gharchive.py"), *args], check=True, capture_output=True
    )
    # One day is 24 hour files, plus the manifest that lets the benchmark reuse them.
    assert sorted(p.name for p in tmp_path.glob("*.json.gz")) == sorted(
        hour_file_name(date(2025, 10, 6), hour) for hour in range(24)
    )
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["events"] == len(read_events(sorted(tmp_path.glob("*.json.gz"))))
    bad = subprocess.run(
        [sys.executable, str(BENCH / "generate_gharchive.py"), "--start", "6 Oct"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0 and "give YYYY-MM-DD" in bad.stderr

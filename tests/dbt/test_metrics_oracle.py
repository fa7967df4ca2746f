"""An oracle for the whole metric layer: for several seeds, a random `int_events` (a few hundred events on several
projects and collections, bots, people who push almost every day, a gap of quiet days, artifacts of no project),
random merged pull requests and a random GH Archive coverage are written straight into a DuckDB file as the
upstream tables the metric models read; dbt builds every metric model of the catalog on them; and every row (each
entity, day and window) is compared with a brute-force computation in plain Python that follows the catalog's
definitions literally (no deltas, no runs, no framed windows: for each day and window, look at every day in it).

The brute force reads the catalog entries themselves (aggregation, event types, bots, thresholds, fixed windows,
averages, requires), so a metric added to the catalog is checked here without a change, and a catalog field this
oracle does not know fails the test instead of being skipped."""

from __future__ import annotations

import math
import random
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingestion.metric_catalog import read_catalog

REPO_ROOT = Path(__file__).resolve().parents[2]
SEEDS = (3, 11, 2024)
START = date(2025, 1, 1)
SPAN_DAYS = 200  # longer than the longest window (180 days), so every window slides
GAP = (60, 81)  # days START+60 .. START+80 have no event at all
WINDOWS = {"7d": 7, "30d": 30, "90d": 90, "180d": 180, "all": None}
KNOWN_FIELDS = {
    "name",
    "description",
    "unit",
    "event_types",
    "aggregation",
    "exclude_bots",
    "all_time",
    "requires",
    "min_days_per_30",
    "below_days_per_30",
    "duration",
    "window_days",
    "min_days",
    "below_days",
    "average_days",
}
GITHUB_TYPES = (
    "PUSH",
    "COMMIT_CODE",
    "COMMIT_CODE_UNLISTED",
    "PULL_REQUEST_OPENED",
    "PULL_REQUEST_MERGED",
    "ISSUE_OPENED",
    "ISSUE_CLOSED",
    "ISSUE_COMMENT",
    "STARRED",
    "FORKED",
    "RELEASE_PUBLISHED",
)
CHAIN_TYPES = ("CONTRACT_INVOCATION", "CONTRACT_INVOCATION_SUCCESS", "GAS_FEE")


def catalog() -> list[dict]:
    return read_catalog(REPO_ROOT)


@dataclass
class Dataset:
    artifacts: dict[str, tuple[str | None, int | None]]  # artifact -> (project or None, repo id)
    collections: list[tuple[str, str]]  # (collection, project)
    events: list[tuple[datetime, str, str, str, str, Decimal]]  # time, type, to, from, from type, amount
    merges: list[dict[str, Any]]  # stg_github__pull_requests rows
    coverage: dict[date, tuple[bool, bool]]  # day -> (commits known, merges known)
    project_ids: list[str] = field(default_factory=list)


def generate(seed: int) -> Dataset:
    rng = random.Random(seed)
    artifacts: dict[str, tuple[str | None, int | None]] = {}
    repo_id = 1000
    projects = ["p1", "p2", "p3", "p4"]
    for project in projects:
        for n in range(rng.randint(1, 2)):
            repo_id += 1
            artifacts[f"{project}_repo{n}"] = (project, repo_id)
        artifacts[f"{project}_addr"] = (project, None)
    artifacts["orphan_repo"] = (None, 999)  # an artifact of no project: its events count nowhere
    collections = [("c1", "p1"), ("c1", "p2"), ("c2", "p2"), ("c2", "p3")]  # p4 is in no collection
    repos = [a for a, (p, r) in artifacts.items() if r is not None]
    addresses = [a for a, (p, r) in artifacts.items() if r is None]
    people = [(f"u{n}", "GITHUB_USER") for n in range(8)] + [("e1", "GIT_EMAIL"), ("e2", "GIT_EMAIL")]
    bots = [("b1", "BOT"), ("b2", "BOT")]
    senders = [(f"s{n}", "ADDRESS") for n in range(6)] + [("sbot", "BOT")]
    active_days = [d for d in range(SPAN_DAYS) if not GAP[0] <= d < GAP[1]]

    def moment(day: int) -> datetime:
        return datetime.combine(START + timedelta(days=day), datetime.min.time()) + timedelta(
            seconds=rng.randrange(86400)
        )

    events = []
    # Heavy pushers: full-time by every rule on some windows, part-time on others.
    for who, share in (("u0", 0.75), ("u1", 0.4), ("b1", 0.6)):
        home = rng.choice(repos[:-1])
        for day in active_days:
            if rng.random() < share:
                kind = "BOT" if who.startswith("b") else "GITHUB_USER"
                events.append((moment(day), "PUSH", home, who, kind, Decimal(1)))
    for _ in range(300):
        day = rng.choice(active_days)
        if rng.random() < 0.75:
            event_type = rng.choice(GITHUB_TYPES)
            to = rng.choice(repos)
            who, kind = rng.choice(people + bots)
            amount = Decimal(rng.randint(1, 15)) if event_type == "COMMIT_CODE_UNLISTED" else Decimal(1)
        else:
            event_type = rng.choice(CHAIN_TYPES)
            to = rng.choice(addresses)
            who, kind = rng.choice(senders)
            amount = (
                Decimal(rng.randrange(1, 10**12)) / Decimal(10**15) if event_type == "GAS_FEE" else Decimal(1)
            )
        events.append((moment(day), event_type, to, who, kind, amount))
    # Merged pull requests (the median's input), some merged twice (a re-run event: the first one counts).
    merges = []
    for n in range(40):
        day = rng.choice(active_days)
        merged_at = moment(day)
        repo = rng.choice(repos)
        merges.append(
            {
                "repo_id": artifacts[repo][1],
                "pr_number": rng.randint(1, 30),
                "created_at": merged_at,
                "event_id": f"m{n}",
                "action": "closed",
                "is_merged": True,
                "pr_created_at": merged_at - timedelta(seconds=rng.randrange(1, 40 * 86400)),
                "pr_merged_at": merged_at,
                "is_bot_actor": rng.random() < 0.2,
            }
        )
    # Coverage: commits unknown from a random day on, merges from another; one isolated unknown day.
    commits_end = rng.randint(100, 190)
    merges_end = rng.randint(100, 190)
    odd_day = rng.randint(20, 50)
    coverage = {
        START + timedelta(days=d): (d < commits_end and d != odd_day, d < merges_end)
        for d in range(SPAN_DAYS)
        if not GAP[0] <= d < GAP[1]
    }
    return Dataset(artifacts, collections, events, merges, coverage, projects)


def write_upstream(path: Path, data: Dataset) -> None:
    """The tables the metric models read, in the schemas dbt gives them."""
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema intermediate")
        con.execute("create schema staging")
        con.execute(
            "create table intermediate.int_events (time timestamp, event_type varchar, event_source varchar, "
            "event_source_id varchar, to_artifact_id varchar, from_artifact_id varchar, from_artifact_type varchar, "
            "amount decimal(38, 18))"
        )
        con.executemany(
            "insert into intermediate.int_events values (?, ?, 'TEST', ?, ?, ?, ?, ?)",
            [
                (t, e, f"ev{n}", to, who, kind, amount)
                for n, (t, e, to, who, kind, amount) in enumerate(data.events)
            ],
        )
        con.execute(
            "create table intermediate.int_artifacts_by_project (artifact_id varchar, repo_id bigint, "
            "project_id varchar)"
        )
        con.executemany(
            "insert into intermediate.int_artifacts_by_project values (?, ?, ?)",
            [(a, r, p) for a, (p, r) in data.artifacts.items() if p is not None],
        )
        con.execute(
            "create table intermediate.int_projects_by_collection (collection_id varchar, project_id varchar)"
        )
        con.executemany("insert into intermediate.int_projects_by_collection values (?, ?)", data.collections)
        con.execute(
            "create table intermediate.int_github__payload_coverage (archive_day date, commits_known boolean, "
            "merges_known boolean)"
        )
        con.executemany(
            "insert into intermediate.int_github__payload_coverage values (?, ?, ?)",
            [(day, c, m) for day, (c, m) in data.coverage.items()],
        )
        columns = list(data.merges[0])
        con.execute(
            "create table staging.stg_github__pull_requests (repo_id bigint, pr_number bigint, created_at timestamp, "
            "event_id varchar, action varchar, is_merged boolean, pr_created_at timestamp, pr_merged_at timestamp, "
            "is_bot_actor boolean)"
        )
        con.executemany(
            f"insert into staging.stg_github__pull_requests ({', '.join(columns)}) "  # noqa: S608
            f"values ({', '.join('?' for _ in columns)})",
            [[row[c] for c in columns] for row in data.merges],
        )
    finally:
        con.close()


# --------------------------------------------------------------------------------------------------------------
# The brute force


class Oracle:
    """Every metric value by its definition, one day and window at a time."""

    def __init__(self, data: Dataset) -> None:
        self.data = data
        project_of = {a: p for a, (p, _) in data.artifacts.items() if p is not None}
        members: dict[str, list[str]] = defaultdict(list)
        for collection, project in data.collections:
            members[collection].append(project)
        self.entities: dict[tuple[str, str], set[str]] = {("project", p): {p} for p in data.project_ids} | {
            ("collection", c): set(ps) for c, ps in members.items()
        }
        self.project_of = project_of
        self.end_day = max(t.date() for t, *_ in data.events)
        self.first_day: dict[tuple[str, str], date] = {}
        for entity, projects in self.entities.items():
            days = [t.date() for t, _, to, *_ in data.events if project_of.get(to) in projects]
            if days:
                self.first_day[entity] = min(days)

    def events(self, entity: tuple[str, str], metric: dict) -> list[tuple[date, str, str, Decimal]]:
        """(day, from, to, amount) of the metric's events on the entity."""
        projects = self.entities[entity]
        return [
            (t.date(), who, to, amount)
            for t, event_type, to, who, kind, amount in self.data.events
            if event_type in metric["event_types"]
            and self.project_of.get(to) in projects
            and not (metric.get("exclude_bots", False) and kind == "BOT")
        ]

    def merges(self, entity: tuple[str, str], metric: dict) -> list[tuple[date, float]]:
        projects = self.entities[entity]
        repo_project = {r: p for a, (p, r) in self.data.artifacts.items() if r is not None and p is not None}
        first: dict[tuple[int, int], dict] = {}
        for row in sorted(self.data.merges, key=lambda r: (r["created_at"], r["event_id"])):
            if metric.get("exclude_bots", False) and row["is_bot_actor"]:
                continue
            first.setdefault((row["repo_id"], row["pr_number"]), row)
        return [
            (row["created_at"].date(), (row["pr_merged_at"] - row["pr_created_at"]).total_seconds() / 86400)
            for row in first.values()
            if repo_project.get(row["repo_id"]) in projects
        ]

    def windows(self, metric: dict) -> dict[str, int | None]:
        if "window_days" in metric:
            return {f"{metric['window_days']}d": metric["window_days"]}
        all_time = metric.get(
            "all_time", metric["aggregation"] in ("sum", "count_distinct_from", "count_distinct_to")
        )
        return {name: days for name, days in WINDOWS.items() if days is not None or all_time}

    def value(self, metric: dict, events: list, merges: list, day: date, days: int | None) -> float | None:
        start = date.min if days is None else day - timedelta(days=days - 1)
        inside = [e for e in events if start <= e[0] <= day]
        aggregation = metric["aggregation"]
        if aggregation == "sum":
            return float(sum((e[3] for e in inside), Decimal(0)))
        if aggregation == "count_distinct_from":
            return len({e[1] for e in inside})
        if aggregation == "count_distinct_to":
            return len({e[2] for e in inside})
        if aggregation in ("count_new_from", "count_returning_from"):
            first: dict[str, date] = {}
            for e in events:
                first[e[1]] = min(first.get(e[1], e[0]), e[0])
            active = {e[1] for e in inside}
            new = {m for m in active if first[m] >= start}
            return len(new) if aggregation == "count_new_from" else len(active - new)
        if aggregation == "classify_from":
            assert days is not None
            if "window_days" in metric:
                k_min = metric.get("min_days", 1)
                k_below = metric.get("below_days")
            else:
                k_min = (
                    max(1, math.ceil(metric["min_days_per_30"] * days / 30))
                    if "min_days_per_30" in metric
                    else 1
                )
                k_below = (
                    math.ceil(metric["below_days_per_30"] * days / 30)
                    if "below_days_per_30" in metric
                    else None
                )
            active_days: dict[str, set[date]] = defaultdict(set)
            for e in inside:
                active_days[e[1]].add(e[0])
            return len(
                [
                    m
                    for m, ds in active_days.items()
                    if len(ds) >= k_min and (k_below is None or len(ds) < k_below)
                ]
            )
        if aggregation == "median_duration":
            durations = [d for merge_day, d in merges if start <= merge_day <= day]
            return statistics.median(durations) if durations else None
        raise AssertionError(f"the oracle does not know aggregation {aggregation}")

    def complete(self, metric: dict, day: date, days: int | None) -> bool:
        if "requires" not in metric:
            return True
        known = 0 if metric["requires"] == "commits" else 1
        start = date.min if days is None else day - timedelta(days=days - 1)
        return all(flags[known] for d, flags in self.data.coverage.items() if start <= d <= day)

    def rows(self, metric: dict) -> dict[tuple[str, str, date, str], tuple[float | None, bool]]:
        assert set(metric) <= KNOWN_FIELDS, (
            f"{metric['name']}: the oracle does not know {set(metric) - KNOWN_FIELDS}"
        )
        expected = {}
        for entity, first in self.first_day.items():
            events = self.events(entity, metric)
            merges = self.merges(entity, metric) if metric["aggregation"] == "median_duration" else []
            days = [first + timedelta(days=n) for n in range((self.end_day - first).days + 1)]
            for name, length in self.windows(metric).items():
                daily = {day: self.value(metric, events, merges, day, length) for day in days}
                if "average_days" in metric:
                    n = metric["average_days"]
                    for day in days:
                        total = sum(
                            daily.get(day - timedelta(days=k)) or 0 for k in range(n)
                        )  # days before the entity's first are zeros
                        expected[(*entity, day, f"{n}d")] = (total / n, True)
                else:
                    for day in days:
                        expected[(*entity, day, name)] = (daily[day], self.complete(metric, day, length))
        return expected


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_every_metric_equals_the_brute_force(seed: int, tmp_path: Path, dbt_in_warehouse) -> None:
    data = generate(seed)
    warehouse = tmp_path / "warehouse.duckdb"
    write_upstream(warehouse, data)
    entries = catalog()
    dbt_in_warehouse(tmp_path, warehouse, ["run", "--select", *(entry["name"] for entry in entries)])
    oracle = Oracle(data)
    con = duckdb.connect(str(warehouse))  # not read-only: dbt, in this process, may still hold the file
    try:
        for entry in entries:
            expected = oracle.rows(entry)
            actual = {
                (entity_type, entity_id, day, window): (amount, complete)
                for entity_type, entity_id, day, window, amount, complete in con.execute(
                    f'select entity_type, entity_id, sample_date, "window", amount, data_complete '  # noqa: S608
                    f"from marts.{entry['name']}"
                ).fetchall()
            }
            assert set(actual) == set(expected), (
                f"seed {seed}, {entry['name']}: rows only in the model {sorted(set(actual) - set(expected))[:5]}, "
                f"only in the oracle {sorted(set(expected) - set(actual))[:5]}"
            )
            wrong = [
                (key, actual[key], expected[key])
                for key in sorted(expected)
                if not close(actual[key][0], expected[key][0]) or actual[key][1] != expected[key][1]
            ]
            assert wrong == [], f"seed {seed}, {entry['name']}: {len(wrong)} rows differ, first {wrong[:5]}"
    finally:
        con.close()

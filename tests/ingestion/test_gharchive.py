"""GitHub ingestion from GH Archive hour files, on real gzip files and a real DuckDB file.

The hour files are the hand-made fixtures in tests/fixtures/gharchive (real event shapes; the README there gives
the fate of every line). They are gzipped into tmp_path under GH Archive's names. The expected numbers below are
counted by hand from those tables:

* 2024-05-21-0: 10 lines, 7 kept (lines 1, 2, 3, 5, 7, 8, 9), 0 rejected.
* 2024-05-21-1: 11 lines, 3 kept (lines 8, 9, 11), 7 rejected (lines 2, 3, 4, 5, 6, 7, 10).
* 2025-12-15-0: 5 lines, 3 kept on a fresh warehouse (lines 2, 4, 5), 4 once repo id 58000001 is known.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
import shutil
import sys
import threading
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from ingestion.errors import IngestError
from ingestion.registry import TrackedGithub
from ingestion.sources import gharchive
from ingestion.sources.gharchive import DayResult, ingest_github, validate_event
from ingestion.warehouse import connect

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "gharchive"
DAY1 = date(2024, 5, 21)
DAY2 = date(2025, 12, 15)
WEIRD_NAME = "Évil'Org/repo\"; drop table raw.github_events; --ñ"
TRACKED = TrackedGithub(
    repos=frozenset({"ethereum-optimism/optimism", "paradigmxyz/reth", WEIRD_NAME.lower()}),
    orgs=frozenset({"ethereum"}),
)
COLUMNS = "id, type, public, created_at, repo, actor, org, payload, other, archive_day, _source_file"

# (id, repo.name, _source_file) of every row DAY1 keeps, from the fixture README.
DAY1_KEPT = sorted(
    [
        ("38549213316", "ethereum-optimism/optimism", "2024-05-21-0.json.gz"),  # line 1: tracked name
        ("14289834535", "ParadigmXYZ/Reth", "2024-05-21-0.json.gz"),  # line 2: name, other case
        ("31123637655", "ethereum/go-ethereum", "2024-05-21-0.json.gz"),  # line 3: tracked org
        ("38549213316", "ethereum-optimism/optimism", "2024-05-21-0.json.gz"),  # line 5: duplicate of line 1
        ("14830571677", "ethereum-optimism/optimism-renamed", "2024-05-21-0.json.gz"),  # line 7: by id
        ("14316142282", WEIRD_NAME, "2024-05-21-0.json.gz"),  # line 8
        ("40000000009", "ETHEREUM/Solidity", "2024-05-21-0.json.gz"),  # line 9: org, other case
        ("14881217608", "paradigmxyz/reth", "2024-05-21-1.json.gz"),  # line 8
        ("36029458403", "ethereum-optimism/optimism", "2024-05-21-1.json.gz"),  # line 9
        ("14949276083", "paradigmxyz/reth", "2024-05-21-1.json.gz"),  # line 11
    ]
)


def _gzip_fixture(folder: Path, fixture: str, day: date, hour: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{day.isoformat()}-{hour}.json.gz"
    path.write_bytes(gzip.compress((FIXTURES / fixture).read_bytes()))
    return path


def _write_day1(folder: Path, missing: frozenset[int] = frozenset({7})) -> None:
    """Hours 0 and 1 from the fixtures, every other hour an empty (valid) gzip file, except the missing ones."""
    _gzip_fixture(folder, "2024-05-21-0.ndjson", DAY1, 0)
    _gzip_fixture(folder, "2024-05-21-1.ndjson", DAY1, 1)
    for hour in range(2, 24):
        if hour not in missing:
            (folder / f"2024-05-21-{hour}.json.gz").write_bytes(gzip.compress(b""))


def _write_day2(folder: Path, day: date = DAY2) -> None:
    _gzip_fixture(folder, "2025-12-15-0.ndjson", day, 0)


def _ingest(con, folder: Path, start: date, end: date | None = None, **kwargs) -> list[DayResult]:
    return ingest_github(con, folder, TRACKED, start, end or start, progress=False, **kwargs)


def _without_seconds(result: DayResult) -> DayResult:
    return dataclasses.replace(result, seconds=0.0)


def _contents(con: duckdb.DuckDBPyConnection, day: date | None = None) -> list[tuple]:
    where = "" if day is None else "where archive_day = ?"
    return con.execute(
        f"select {COLUMNS} from raw.github_events {where} order by all",  # noqa: S608 - constant columns
        [] if day is None else [day],
    ).fetchall()


def _kept(con: duckdb.DuckDBPyConnection, day: date) -> list[tuple[str, str, str]]:
    return con.execute(
        "select id, repo.name, _source_file from raw.github_events where archive_day = ? order by all", [day]
    ).fetchall()


def _fixture_events(fixture: str) -> dict[str, dict]:
    """The fixture's parseable events by id (stdlib json: it also reads the lone-surrogate line)."""
    events = {}
    for line in (FIXTURES / fixture).read_text(encoding="utf-8").split("\n"):
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and "id" in event:
            events[event["id"]] = event
    return events


@pytest.fixture
def con(tmp_path: Path):
    connection = connect(tmp_path / "warehouse.duckdb")
    yield connection
    connection.close()


@pytest.mark.parametrize("flush_rows", [2, gharchive.FLUSH_ROWS])
def test_keeps_tracked_repos_orgs_and_renamed_ids_and_drops_the_rest(
    con, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flush_rows: int
) -> None:
    """Filtering by repo name (any case), by org (any case), by id learned from a name; untracked dropped.

    flush_rows=2 makes the 10 kept rows go in as 5 Arrow batches: the result must not depend on batching.
    """
    monkeypatch.setattr(gharchive, "FLUSH_ROWS", flush_rows)
    _write_day1(tmp_path / "gha")
    [result] = _ingest(con, tmp_path / "gha", DAY1)
    # 24 hours expected, hour 7 absent: 23 files; 10 + 11 lines; 7 + 3 kept; 0 + 7 rejected.
    assert _without_seconds(result) == DayResult(DAY1, 23, ("2024-05-21-7.json.gz",), 21, 10, 7, 0.0)
    assert _kept(con, DAY1) == DAY1_KEPT
    # Untracked: hypothesis/checkmate, ethereum-optimism-fan/optimism, RustPython, wayofthepie/test-events.
    dropped = con.execute(
        "select count(*) from raw.github_events where id in ('14304136554', '40000000006', '15013992943', "
        "'15015571812')"
    ).fetchone()
    assert dropped == (0,)


def test_tiny_read_and_inflate_blocks_give_the_same_rows_and_line_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines cut across blocks, and blocks without any newline, change nothing (rows, rejects, counts)."""
    folder = tmp_path / "gha"
    _write_day1(folder)
    outcomes = []
    for name, read_bytes, inflate_bytes in [
        ("default", gharchive.READ_BYTES, gharchive.INFLATE_BYTES),
        ("tiny", 7, 50),
    ]:
        monkeypatch.setattr(gharchive, "READ_BYTES", read_bytes)
        monkeypatch.setattr(gharchive, "INFLATE_BYTES", inflate_bytes)
        con = connect(tmp_path / f"{name}.duckdb")
        [result] = _ingest(con, folder, DAY1)
        rejects = con.execute(
            "select source_file, line_number, error, raw_line from raw._rejects order by all"
        ).fetchall()
        outcomes.append((_without_seconds(result), _contents(con), rejects))
        con.close()
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0].rows_kept == 10 and len(outcomes[0][2]) == 7


def test_duplicate_event_ids_are_kept_as_they_come(con, tmp_path: Path) -> None:
    """Line 5 of hour 0 is an exact copy of line 1: raw keeps both (staging deduplicates)."""
    _write_day1(tmp_path / "gha")
    _ingest(con, tmp_path / "gha", DAY1)
    rows = con.execute(f"select {COLUMNS} from raw.github_events where id = '38549213316'").fetchall()  # noqa: S608
    assert len(rows) == 2
    assert rows[0] == rows[1]
    assert con.execute("select count(*) - count(distinct id) from raw.github_events").fetchone() == (1,)


def test_contract_columns_and_both_payload_eras_pass_through(con, tmp_path: Path) -> None:
    """Payload text parses back to the input payload (pre- and post-2025-10-07 shapes); structs and `other`."""
    folder = tmp_path / "gha"
    _write_day1(folder)
    _write_day2(folder)
    _ingest(con, folder, DAY1)
    _ingest(con, folder, DAY2)
    expected = {
        DAY1: {**_fixture_events("2024-05-21-0.ndjson"), **_fixture_events("2024-05-21-1.ndjson")},
        DAY2: _fixture_events("2025-12-15-0.ndjson"),
    }
    rows = con.execute(
        "select archive_day, id, payload, actor, org, other, public, created_at, repo from raw.github_events"
    ).fetchall()
    assert len(rows) == 10 + 4  # DAY2 after DAY1: id 58000001 is known, so all 4 of its tracked lines stay
    for archive_day, event_id, payload, actor, org, other, public, created_at, repo in rows:
        source = expected[archive_day][event_id]
        want = source["payload"]
        if event_id == "14949276083":  # the lone surrogate \ud83d is stored as U+FFFD
            want["comment"]["body"] = "\ufffd truncated emoji"
        assert json.loads(payload) == want, event_id
        assert list(json.loads(payload)) == list(want), event_id  # same keys in the same order
        assert actor == {key: source["actor"].get(key) for key in gharchive.USER_FIELDS}  # no display_login
        assert org == (
            None if "org" not in source else {k: source["org"].get(k) for k in gharchive.USER_FIELDS}
        )
        assert repo == source["repo"]
        assert public is True
        assert created_at == datetime.fromisoformat(source["created_at"]).replace(tzinfo=None)
        assert other == (
            None if event_id != "36029458403" else '{"_extra":{"note":"not in the contract","n":1}}'
        )

    def payload_of(event_id: str) -> dict:
        found = con.execute(
            "select payload from raw.github_events where id = ? limit 1", [event_id]
        ).fetchone()
        assert found is not None
        return json.loads(found[0])

    # Pre-drift: the push lists its commits and the pull request says whether it was merged.
    assert payload_of("38549213316")["commits"][0]["sha"] == "3965ad57f7b83072f68bb8daa546cdf1b7260fa9"
    assert payload_of("38549213316")["size"] == 1
    assert payload_of("14881217608")["pull_request"]["merged"] is False
    # Post-drift: neither exists any more, and nothing is invented.
    assert list(payload_of("6725093205")) == ["repository_id", "push_id", "ref", "head", "before"]
    assert list(payload_of("50000000002")["pull_request"]) == ["url", "id", "number", "head", "base"]
    # A stray created_at (the day before) stays in its archive day.
    stray = con.execute(
        "select created_at, archive_day from raw.github_events where id = '40000000009'"
    ).fetchone()
    assert stray == (datetime(2024, 5, 20, 23, 59, 59), DAY1)


def test_malformed_lines_are_rejected_with_file_line_and_error(con, tmp_path: Path) -> None:
    _write_day1(tmp_path / "gha")
    _ingest(con, tmp_path / "gha", DAY1)
    rejects = con.execute(
        "select source, day, source_file, line_number, error, raw_line from raw._rejects order by line_number"
    ).fetchall()
    hour1 = (FIXTURES / "2024-05-21-1.ndjson").read_text(encoding="utf-8").split("\n")
    expected = [
        (2, "invalid JSON: "),
        (3, "not a JSON object but an array"),
        (4, "field id: missing or null"),
        (5, 'field repo.id: expected a 64-bit integer, got a string "58000002"'),
        (6, "field created_at: not an ISO-8601 timestamp: 'yesterday'"),
        (7, "invalid JSON: "),
        (10, 'field actor: expected an object, got a string "ghost"'),
    ]
    assert [
        (r[3], r[4][: len(e)]) for r, e in zip(rejects, [e for _, e in expected], strict=True)
    ] == expected
    for source, day, source_file, line_number, _error, raw_line in rejects:
        assert (source, day, source_file) == ("github", DAY1, "2024-05-21-1.json.gz")
        assert raw_line == hour1[line_number - 1]
    load = con.execute(
        "select status, files_expected, files_read, missing_files, rows_read, rows_kept, rows_rejected, "
        "bytes_scanned from raw._loads where source = 'github' and day = ?",
        [DAY1],
    ).fetchone()
    compressed = sum(path.stat().st_size for path in (tmp_path / "gha").glob("2024-05-21-*.json.gz"))
    assert load == ("ok", 24, 23, ["2024-05-21-7.json.gz"], 21, 10, 7, compressed)


@pytest.mark.parametrize("damage", ["truncated", "not gzip", "bad checksum"])
def test_a_corrupt_gzip_fails_the_day_and_keeps_its_previous_data(con, tmp_path: Path, damage: str) -> None:
    folder = tmp_path / "gha"
    _write_day1(folder)
    _ingest(con, folder, DAY1)
    rows_before = con.execute("select * from raw.github_events order by all").fetchall()
    rejects_before = con.execute("select * from raw._rejects order by all").fetchall()
    hour1 = folder / "2024-05-21-1.json.gz"
    data = hour1.read_bytes()
    if damage == "truncated":
        hour1.write_bytes(data[: len(data) // 2])
    elif damage == "not gzip":
        hour1.write_bytes(b"<html>404 Not Found</html>\n")
    else:  # the gzip trailer is CRC32 then size: flip one bit of the CRC
        hour1.write_bytes(data[:-8] + bytes([data[-8] ^ 1]) + data[-7:])

    with pytest.raises(IngestError, match=r"2024-05-21-1\.json\.gz") as raised:
        _ingest(con, folder, DAY1)
    assert "Re-download" in str(raised.value)
    assert con.execute("select * from raw.github_events order by all").fetchall() == rows_before
    assert con.execute("select * from raw._rejects order by all").fetchall() == rejects_before
    last = con.execute("select status, error from raw._loads order by finished_at desc limit 1").fetchone()
    assert last is not None and last[0] == "failed" and "2024-05-21-1.json.gz" in last[1]


def test_a_missing_hour_is_reported_and_the_rest_loaded(con, tmp_path: Path, capsys) -> None:
    folder = tmp_path / "gha"
    _write_day1(folder, missing=frozenset({7, 8, 9, 23}))
    (folder / "2024-05-21-07.json.gz").write_bytes(
        gzip.compress(b"")
    )  # a zero-padded name is not GH Archive's
    [result] = _ingest(con, folder, DAY1)
    names = tuple(f"2024-05-21-{hour}.json.gz" for hour in (7, 8, 9, 23))
    assert _without_seconds(result) == DayResult(DAY1, 20, names, 21, 10, 7, 0.0)
    warning = " ".join(capsys.readouterr().err.split())
    assert "4 of 24 hour files missing" in warning
    assert "hours 7-9, 23" in warning
    assert "2024-05-21-07.json.gz" in warning  # the hint to rename it
    assert con.execute("select missing_files from raw._loads").fetchone() == (list(names),)


def test_a_day_without_any_file_is_reported_and_keeps_its_data(con, tmp_path: Path, capsys) -> None:
    folder = tmp_path / "gha"
    _write_day1(folder)
    _ingest(con, folder, DAY1)
    before = _contents(con)
    shutil.rmtree(folder)
    folder.mkdir()
    [result] = _ingest(con, folder, DAY1)
    assert _without_seconds(result) == DayResult(
        DAY1, 0, tuple(f"2024-05-21-{hour}.json.gz" for hour in range(24)), 0, 0, 0, 0.0
    )
    assert _contents(con) == before
    assert "no hour file" in " ".join(capsys.readouterr().err.split())
    last = con.execute(
        "select status, files_read, error from raw._loads order by finished_at desc limit 1"
    ).fetchone()
    assert last is not None and last[:2] == ("failed", 0) and "no hour file" in last[2]


def test_rerunning_a_day_changes_nothing(con, tmp_path: Path) -> None:
    folder = tmp_path / "gha"
    _write_day1(folder)
    _ingest(con, folder, DAY1)
    rows_first = _contents(con)
    rejects_first = con.execute("select * exclude (_loaded_at) from raw._rejects order by all").fetchall()
    _ingest(con, folder, DAY1)
    assert _contents(con) == rows_first
    assert (
        con.execute("select * exclude (_loaded_at) from raw._rejects order by all").fetchall()
        == rejects_first
    )
    loads = con.execute("select status, rows_kept, started_at from raw._loads order by started_at").fetchall()
    assert [(status, kept) for status, kept, _ in loads] == [("ok", 10), ("ok", 10)]
    # Every row now carries the second load's time: the day was replaced whole.
    assert con.execute("select distinct _loaded_at from raw.github_events").fetchall() == [(loads[1][2],)]


def test_a_renamed_repo_is_followed_by_id(con, tmp_path: Path) -> None:
    """2025-12-15 line 1 is repo 58000001 under another name, before line 5 names it: the day's own
    name-matching event teaches the id, whatever the order, so line 1 is kept (by the second pass)."""
    folder = tmp_path / "gha"
    _write_day1(folder)
    _write_day2(folder)
    # Fresh warehouse: lines 1 (by the id line 5 teaches), 2, 4 (org) and 5 are kept; line 3 is dropped.
    assert [r.rows_kept for r in _ingest(con, folder, DAY2)] == [4]
    assert ("6725093205", "ethereum-optimism/optimism-renamed", "2025-12-15-0.json.gz") in _kept(con, DAY2)
    # A re-run writes the same rows, and so does a run once another day holds the id too.
    assert [r.rows_kept for r in _ingest(con, folder, DAY2)] == [4]
    _ingest(con, folder, DAY1)
    assert [r.rows_kept for r in _ingest(con, folder, DAY2)] == [4]
    counts = "select count(*), count(distinct id) from raw.github_events where archive_day = ?"
    assert con.execute(counts, [DAY2]).fetchone() == (4, 4)


def test_the_second_pass_keeps_only_what_the_first_dropped(tmp_path: Path) -> None:
    """A renamed repo's events before its first name-matching line are kept once each; an untracked repo's
    events are not, and events already kept by name or org are not duplicated. Hand-made day, one hour file:
    line 1 id 7 'Old/Name', line 2 id 8 'someone/else', line 3 id 7 'acme/tool' (tracked: learns 7),
    line 4 id 7 'Old/Name', line 5 id 9 'ethereum/x' (tracked org). Kept: 1, 3, 4, 5 (4 rows, no duplicate)."""
    folder = tmp_path / "gha"
    folder.mkdir()
    base = json.loads((FIXTURES / "2025-12-15-0.ndjson").read_text().splitlines()[4])
    lines = []
    for number, (repo_id, name) in enumerate(
        [(7, "Old/Name"), (8, "someone/else"), (7, "acme/tool"), (7, "Old/Name"), (9, "ethereum/x")], start=1
    ):
        event = dict(base, id=str(900 + number), repo={"id": repo_id, "name": name, "url": "u"})
        lines.append(json.dumps(event))
    with gzip.open(folder / "2024-01-02-0.json.gz", "wt") as handle:
        handle.write("\n".join(lines) + "\n")
    con = connect(tmp_path / "w.duckdb")
    tracked = TrackedGithub(repos=frozenset({"acme/tool"}), orgs=frozenset({"ethereum"}))
    [result] = ingest_github(con, folder, tracked, date(2024, 1, 2), date(2024, 1, 2), progress=False)
    assert result.rows_kept == 4
    assert sorted(r[0] for r in con.execute("select id from raw.github_events").fetchall()) == [
        "901",
        "903",
        "904",
        "905",
    ]
    con.close()


def test_ids_learned_earlier_in_a_run_and_given_ids_are_used(tmp_path: Path) -> None:
    folder = tmp_path / "gha"
    _write_day1(folder)
    next_day = date(2024, 5, 22)
    _write_day2(folder, next_day)  # the 2025-12-15 lines as the hour files of the next day
    con = connect(tmp_path / "run.duckdb")
    results = _ingest(con, folder, DAY1, next_day)
    assert [(r.day, r.rows_kept) for r in results] == [(DAY1, 10), (next_day, 4)]
    con.close()

    _write_day2(folder)
    given = connect(tmp_path / "given.duckdb")
    [result] = _ingest(given, folder, DAY2, known_repo_ids={58000001: "ethereum-optimism/optimism"})
    assert result.rows_kept == 4
    given.close()


def test_repo_names_with_quotes_semicolons_and_unicode_are_data(con, tmp_path: Path) -> None:
    folder = tmp_path / "gha"
    _write_day1(folder)
    _ingest(con, folder, DAY1)
    _ingest(con, folder, DAY1)  # the second run looks the tracked names up in the table: as a parameter
    stored = con.execute(
        "select repo.name, repo.id from raw.github_events where id = '14316142282'"
    ).fetchall()
    assert stored == [(WEIRD_NAME, 58000008)]
    assert con.execute("select count(*) from raw.github_events").fetchone() == (10,)


def test_multi_member_gzip_and_a_last_line_without_newline(con, tmp_path: Path) -> None:
    """GH Archive files are one gzip member, but gzip allows several; the last line may lack its newline."""
    lines = (FIXTURES / "2025-12-15-0.ndjson").read_bytes().rstrip(b"\n").split(b"\n")
    folder = tmp_path / "gha"
    folder.mkdir()
    (folder / "2025-12-15-0.json.gz").write_bytes(
        gzip.compress(b"\n".join(lines[:2]) + b"\n") + gzip.compress(b"\n".join(lines[2:]))
    )
    [result] = _ingest(con, folder, DAY2, known_repo_ids={58000001: "ethereum-optimism/optimism"})
    assert (result.rows_read, result.rows_kept, result.rows_rejected) == (5, 4, 0)


def test_the_progress_bar_counts_hour_files_and_events(con, tmp_path: Path, monkeypatch) -> None:
    """The bar, drawn on a terminal-like console, ends at every hour file of the day and the events read and kept
    (the same counts the day's result gives)."""
    import io

    from rich.console import Console

    import ingestion.progress

    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, no_color=True, width=160)
    monkeypatch.setattr(ingestion.progress, "console", terminal)
    _write_day2(tmp_path / "gha")
    [result] = ingest_github(con, tmp_path / "gha", TRACKED, DAY2, DAY2, progress=True)
    drawn = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue())  # the terminal's control sequences out
    assert "24/24 hour files" in drawn
    assert f"events read {result.rows_read:,} · kept {result.rows_kept:,}" in drawn
    assert result.rows_kept == 4


def test_an_empty_day_range_is_an_error(con, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="swap"):
        _ingest(con, tmp_path, DAY2, DAY1)


def _mutations(event: dict) -> list[dict]:
    """The event with each contract field removed or replaced by a value of every other JSON kind."""
    paths = [
        ("id",),
        ("type",),
        ("created_at",),
        ("public",),
        ("payload",),
        ("repo",),
        ("repo", "id"),
        ("repo", "name"),
        ("repo", "url"),
        ("actor",),
        ("org",),
    ]
    paths += [(user, key) for user in ("actor", "org") for key in gharchive.USER_FIELDS]
    values = [None, True, 7, 2**63, "", "x", "owner/", "/name", "2024-05-21 00:00:00", [], {}, 1.5]
    out = []
    for path in paths:
        for value in [*values, "REMOVE"]:
            mutated = json.loads(json.dumps(event))
            target = mutated
            for key in path[:-1]:
                target = target.get(key)
            if not isinstance(target, dict):
                continue
            if value == "REMOVE":
                target.pop(path[-1], None)
            else:
                target[path[-1]] = value
            out.append(mutated)
    return out


def test_the_fast_validation_path_agrees_with_validate_event() -> None:
    """`_validate_common_shape` (the fast path) must never accept what `validate_event` rejects, nor differ in created_at."""
    events = [
        *_fixture_events("2024-05-21-0.ndjson").values(),
        *_fixture_events("2025-12-15-0.ndjson").values(),
    ]
    checked = 0
    for event in events:
        for candidate in [event, *_mutations(event), [event], "x", 1]:
            cache: dict[str, datetime] = {}
            slow = validate_event(candidate, cache)  # fills the created_at cache as the hot loop does
            fast = gharchive._validate_common_shape(candidate, cache)
            if candidate is event:  # a real GH Archive line takes the fast path
                assert isinstance(slow, datetime) and fast == slow, (slow, fast)
            if isinstance(slow, str):
                assert fast is None, (slow, candidate)
            else:
                assert fast in (None, slow)
            checked += 1
    assert checked > 1000


def test_the_inflating_thread_stops_when_the_reader_stops() -> None:
    """A consumer that stops early (an exception while parsing, say) leaves no thread and no open generator."""
    closed = []

    def blocks():
        try:
            yield from range(1000)
        finally:
            closed.append(True)

    before = threading.active_count()
    for item in gharchive._prefetched(blocks(), depth=2):
        if item == 3:
            break
    assert closed == [True]
    assert threading.active_count() == before

    def failing():
        yield 1
        raise IngestError("boom")

    with pytest.raises(IngestError, match="boom"):
        list(gharchive._prefetched(failing(), depth=2))
    assert threading.active_count() == before


def test_the_switch_interval_is_restored_even_after_a_failure(con, tmp_path: Path) -> None:
    folder = tmp_path / "gha"
    folder.mkdir()
    (folder / "2025-12-15-0.json.gz").write_bytes(b"not gzip at all")
    before = sys.getswitchinterval()
    with pytest.raises(IngestError):
        _ingest(con, folder, DAY2)
    assert sys.getswitchinterval() == before


@pytest.mark.parametrize(
    ("created_at", "expected"),
    [
        ("2025-12-15T00:00:04Z", datetime(2025, 12, 15, 0, 0, 4)),  # GH Archive's form
        ("2025-12-15T02:00:04+02:00", datetime(2025, 12, 15, 0, 0, 4)),  # an offset is converted to UTC
        ("2025-12-15T00:00:04", datetime(2025, 12, 15, 0, 0, 4)),  # no offset: taken as UTC
        ("2025-12-15T00+01:00Z", "field created_at: not an ISO-8601 timestamp: '2025-12-15T00+01:00Z'"),
        ("2025-12-15T00:00:61Z", "field created_at: not an ISO-8601 timestamp: '2025-12-15T00:00:61Z'"),
        (1765756804, "field created_at: expected an ISO-8601 timestamp string, got an integer 1765756804"),
    ],
)
def test_created_at_is_stored_as_naive_utc(created_at: object, expected: object) -> None:
    event = _fixture_events("2025-12-15-0.ndjson")["50000000005"]
    event["created_at"] = created_at
    assert validate_event(event, {}) == expected

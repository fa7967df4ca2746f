"""GitHub ingestion from GH Archive hour files: the first-stage filter (docs/architecture.md §3).

For each UTC day, the 24 hour files ``YYYY-MM-DD-H.json.gz`` (the names GH Archive publishes: the hour is not
zero-padded) are read, every line is validated, and the events of tracked repos and orgs are written to
``raw.github_events`` through `ingestion.warehouse.day_load`: a day is replaced whole, or not at all.

Which events are kept. An event is kept when

* its repo id is known to be a tracked repo's id, or
* its lower-cased ``repo.name`` is a tracked ``owner/repo`` (its repo id is then learned), or
* its lower-cased owner (``repo.name`` before the ``/``) is a tracked org.

Repo ids are known from ``known_repo_ids``, from the rows raw.github_events already holds for other days whose
name is a tracked repo, from name-matching events of earlier days of the run, and from the name-matching events of
the day itself, so a repo renamed away from its tracked name is still followed by id. The rows of the day being
loaded are left out of the warehouse look-up: a re-run of a day then depends only on its files and on the other
days, and writes the same rows. Within a day the order of the events does not matter: when a repo's id is first
learned from a name-matching event and events under another name with that id were dropped earlier in the day, the
day's files are read a second time for those events only (rare: a repo renamed and active under both names on its
first day in the warehouse). The BigQuery filter (`ingestion.sources.gharchive_bigquery`) keeps the same events.

What is written: the GH Archive day-table columns. ``payload`` is the payload object as compact JSON text (the
same keys in the same order with the same values; whitespace is not preserved) and ``other`` the JSON text of the
top-level keys outside the contract (NULL when there are none). Sub-keys outside the repo/actor/org structs, such
as ``actor.display_login``, are dropped: the BigQuery day tables do not have them. Duplicate event ids within a day
(GH Archive has a few) are written as they come: raw keeps the archive's shape and staging deduplicates on the id.

Rejects. A line that is not JSON, not an object, or lacks a valid contract field (id, type, created_at, repo,
actor, org, public, payload: see `validate_event`) goes to raw._rejects with its file, 1-based line number and
error, and is counted, whether or not its repo is tracked: whether a line is rejected never depends on the
registry. Valid JSON that carries lone UTF-16 surrogate escapes (orjson refuses them; GitHub text has a few) is
kept with each lone surrogate replaced by U+FFFD.

Failures. A missing hour file is reported (DayResult, raw._loads.missing_files, a warning) and the rest of the day
is loaded. A day without any hour file is reported and recorded in raw._loads as a failed load, and the day's
previous data stays. A truncated or corrupt gzip file fails its day with an IngestError naming the file: the day's
transaction rolls back, so the day's previous data stays.

Speed. Each file is read in compressed blocks and inflated by zlib in a helper thread into blocks of at most
INFLATE_BYTES, so that inflating overlaps with parsing on a second core (zlib releases the GIL while it
inflates). zlib takes the GIL back each time its output buffer grows, several times per block, and with the
interpreter's default 5 ms switch interval the helper then waits for the parsing thread to yield: the overlap was
lost. ingest_github therefore lowers the switch interval to SWITCH_INTERVAL while it runs (restoring it after).
In the parsing thread, lines are found in a block with ``bytes.find`` and parsed by orjson straight from
zero-copy memoryview slices, once each; a common-shape fast path validates a parsed line in one expression
(`validate_event` explains the rest). Only kept events are converted further; they are inserted as Arrow batches
of at most FLUSH_ROWS rows (or FLUSH_BYTES of payload), so memory stays bounded whatever the size of a day.
"""

from __future__ import annotations

import json
import queue
import sys
import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

import duckdb
import orjson
import pyarrow as pa

from ingestion.errors import IngestError
from ingestion.log import step, warn
from ingestion.progress import LoadProgress, load_progress
from ingestion.warehouse import DayLoad, day_load

SOURCE = "github"
TABLE = "github_events"
DAY_COLUMN = "archive_day"
HOURS_PER_DAY = 24

FLUSH_ROWS = 10_000
"""Kept rows buffered before an Arrow batch is inserted."""
FLUSH_BYTES = 64 * 1024 * 1024
"""Payload bytes buffered before an Arrow batch is inserted, whatever the row count."""
READ_BYTES = 1 << 20
"""Compressed bytes read from a file at a time."""
INFLATE_BYTES = 1 << 23
"""At most this many decompressed bytes per zlib call: one block of lines."""
PREFETCH_BLOCKS = 2
"""Inflated blocks the helper thread may hold ready ahead of the parser."""
SWITCH_INTERVAL = 0.0005
"""The interpreter's thread switch interval while ingesting (see the module docstring, Speed)."""
MAX_REJECT_CHARS = 65_536
"""A rejected line is stored in raw._rejects up to this many characters."""

CONTRACT_KEYS = frozenset({"id", "type", "public", "created_at", "repo", "actor", "org", "payload"})
USER_FIELDS = ("id", "login", "gravatar_id", "avatar_url", "url")
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1

_USER_TYPE = pa.struct(
    [
        ("id", pa.int64()),
        ("login", pa.string()),
        ("gravatar_id", pa.string()),
        ("avatar_url", pa.string()),
        ("url", pa.string()),
    ]
)
_REPO_TYPE = pa.struct([("id", pa.int64()), ("name", pa.string()), ("url", pa.string())])
ARROW_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("type", pa.string()),
        ("public", pa.bool_()),
        ("created_at", pa.timestamp("us")),
        ("repo", _REPO_TYPE),
        ("actor", _USER_TYPE),
        ("org", _USER_TYPE),
        ("payload", pa.string()),
        ("other", pa.string()),
        ("archive_day", pa.date32()),
        ("_source_file", pa.string()),
        ("_loaded_at", pa.timestamp("us")),
    ]
)
"""The Arrow shape of a batch of raw.github_events rows (RAW_DDL in ingestion/warehouse.py)."""


@dataclass(frozen=True)
class DayResult:
    """What loading one archive day did. ``files_read == 0`` means no hour file existed: nothing was loaded."""

    day: date
    files_read: int
    missing_files: tuple[str, ...]
    rows_read: int
    rows_kept: int
    rows_rejected: int
    seconds: float
    bytes_processed: int | None = None
    """BigQuery only: the bytes the day's query processed and billed."""
    bytes_billed: int | None = None


class _NoHourFiles(IngestError):
    """Raised inside the day load so that it rolls back (keeping the day's data) and records the attempt."""


def hour_file_name(day: date, hour: int) -> str:
    """The name GH Archive gives an hour file, e.g. ``2025-10-05-7.json.gz`` (hour not zero-padded)."""
    return f"{day.isoformat()}-{hour}.json.gz"


class TrackedRepos(Protocol):
    """What the filter reads of `ingestion.registry.TrackedGithub`: the 'owner/repo' names and owners to keep."""

    @property
    def repos(self) -> Iterable[str]: ...

    @property
    def orgs(self) -> Iterable[str]: ...


def ingest_github(
    con: duckdb.DuckDBPyConnection,
    gharchive_dir: Path,
    tracked: TrackedRepos,
    start: date,
    end: date,
    progress: bool = True,
    known_repo_ids: Mapping[int, str] | None = None,
) -> list[DayResult]:
    """Load the tracked events of each UTC day in [start, end] into raw.github_events, one atomic load per day.

    ``tracked`` needs only ``.repos`` (lower-cased 'owner/repo') and ``.orgs`` (lower-cased owners);
    ``known_repo_ids`` maps repo ids already resolved to tracked repos (e.g. by the GitHub API) to their names.

    Returns one DayResult per day. Raises IngestError when a file is truncated or corrupt (that day is rolled
    back; the days before it stay loaded).
    """
    if end < start:
        raise IngestError(f"the day range is empty: start {start} is after end {end}; swap --start and --end")
    repos = frozenset(name.lower() for name in tracked.repos)
    orgs = frozenset(owner.lower() for owner in tracked.orgs)
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    in_warehouse = _tracked_ids_in_warehouse(con, repos)
    given = {int(repo_id): str(name).lower() for repo_id, name in (known_repo_ids or {}).items()}
    learned_in_run: dict[int, str] = {}
    results: list[DayResult] = []
    with (
        load_progress(progress, "github", "hour files", "events", len(days) * HOURS_PER_DAY) as bar,
        _switch_interval(SWITCH_INTERVAL),
    ):
        for day in days:
            known = {
                repo_id: name
                for repo_id, (name, n_days, first_day) in in_warehouse.items()
                if n_days > 1 or first_day != day
            }
            known.update(learned_in_run)
            known.update(given)
            result, learned = _ingest_day(con, gharchive_dir, day, repos, orgs, known, bar)
            learned_in_run.update(learned)
            results.append(result)
    return results


def _tracked_ids_in_warehouse(
    con: duckdb.DuckDBPyConnection, repos: frozenset[str]
) -> dict[int, tuple[str, int, date]]:
    """Repo id -> (lower-cased name, days it appears on, its first day) of the stored rows named as a tracked repo."""
    if not repos:
        return {}
    rows = con.execute(
        """
        select repo.id, any_value(lower(repo.name)), count(distinct archive_day), min(archive_day)
        from raw.github_events
        where repo.id is not null and lower(repo.name) in (select unnest(?::varchar[]))
        group by repo.id
        """,
        [sorted(repos)],
    ).fetchall()
    return {int(repo_id): (name, int(n_days), first_day) for repo_id, name, n_days, first_day in rows}


def _ingest_day(
    con: duckdb.DuckDBPyConnection,
    gharchive_dir: Path,
    day: date,
    repos: frozenset[str],
    orgs: frozenset[str],
    known: dict[int, str],
    bar: LoadProgress,
) -> tuple[DayResult, dict[int, str]]:
    started = time.perf_counter()
    paths = [gharchive_dir / hour_file_name(day, hour) for hour in range(HOURS_PER_DAY)]
    present = {path for path in paths if path.is_file()}
    missing = [path.name for path in paths if path not in present]
    if not present:
        message = (
            f"github {day}: no hour file in {gharchive_dir} (expected {hour_file_name(day, 0)} .. "
            f"{hour_file_name(day, 23)}); nothing loaded for this day, its previous data is kept. "
            "Download the hours from https://data.gharchive.org/ into that folder and run the day again."
        )
        try:
            with day_load(con, SOURCE, TABLE, DAY_COLUMN, day) as load:
                load.stats.files_expected = HOURS_PER_DAY
                load.stats.missing_files = missing
                raise _NoHourFiles(message)
        except _NoHourFiles:
            warn(message)
        bar.advance(HOURS_PER_DAY)
        return DayResult(day, 0, tuple(missing), 0, 0, 0, round(time.perf_counter() - started, 6)), {}
    if missing:
        warn(
            f"github {day}: {len(missing)} of {HOURS_PER_DAY} hour files missing in {gharchive_dir}: "
            f"{_missing_summary(missing, gharchive_dir)}; the day is loaded without them"
        )

    with day_load(con, SOURCE, TABLE, DAY_COLUMN, day) as load:
        load.stats.files_expected = HOURS_PER_DAY
        load.stats.missing_files = missing
        day_filter = _DayFilter(load, day, repos, orgs, known, bar)
        for path in paths:
            if path in present:
                day_filter.read_file(path)
                load.stats.files_read += 1
            bar.advance(1)
        if day_filter.rescan:
            day_filter.read_again([path for path in paths if path in present])
        day_filter.flush()
        stats = load.stats
    seconds = time.perf_counter() - started
    step(
        f"github {day}",
        seconds,
        files=stats.files_read,
        missing=len(missing),
        read=stats.rows_read,
        kept=stats.rows_kept,
        rejected=stats.rows_rejected,
        events_per_s=int(stats.rows_read / seconds) if seconds > 0 else 0,
    )
    result = DayResult(
        day=day,
        files_read=stats.files_read,
        missing_files=tuple(missing),
        rows_read=stats.rows_read,
        rows_kept=stats.rows_kept,
        rows_rejected=stats.rows_rejected,
        seconds=round(seconds, 6),
    )
    return result, day_filter.learned


def _missing_summary(missing: list[str], folder: Path) -> str:
    """'hours 2-5, 7 (2024-05-21-2.json.gz ...)', with a hint when zero-padded names sit in the folder."""
    hours = sorted(int(name.removesuffix(".json.gz").rsplit("-", 1)[1]) for name in missing)
    spans: list[str] = []
    first = previous = hours[0]
    for hour in [*hours[1:], None]:
        if hour is not None and hour == previous + 1:
            previous = hour
            continue
        spans.append(str(first) if first == previous else f"{first}-{previous}")
        if hour is not None:
            first = previous = hour
    text = f"hour{'s' if len(hours) > 1 else ''} {', '.join(spans)} ({missing[0]}{' ...' if len(missing) > 1 else ''})"
    padded = [name for name in missing if (folder / _zero_padded(name)).is_file()]
    if padded:
        text += (
            f"; found zero-padded names such as {_zero_padded(padded[0])}: rename them to GH Archive's names "
            f"({padded[0]})"
        )
    return text


def _zero_padded(name: str) -> str:
    day_text, hour = name.removesuffix(".json.gz").rsplit("-", 1)
    return f"{day_text}-{int(hour):02d}.json.gz"


class _DayFilter:
    """The filter state of one day: the ids known so far, and the kept rows waiting to be inserted."""

    def __init__(
        self,
        load: DayLoad,
        day: date,
        repos: frozenset[str],
        orgs: frozenset[str],
        known: dict[int, str],
        bar: LoadProgress,
    ):
        self.load = load
        self.day = day
        self.repos = repos
        self.orgs = orgs
        self.known = dict(known)
        self.learned: dict[int, str] = {}
        self.bar = bar
        self.rows: list[tuple[object, ...]] = []
        self.buffered_bytes = 0
        self.created_at_cache: dict[str, datetime] = {}
        self.dropped: set[int] = set()
        """Repo ids of the events dropped so far today."""
        self.rescan: dict[int, tuple[int, int]] = {}
        """Repo ids learned today after events with that id were dropped -> (file index, line) where learned."""
        self.file_index = 0

    def read_file(self, path: Path) -> None:
        """Filter one hour file into the day's load."""
        stats = self.load.stats
        line_number = 0
        self.created_at_cache.clear()
        for data, begin, end, compressed_bytes in _line_blocks(path, self.day):
            stats.bytes_scanned += compressed_bytes
            read_before, kept_before = stats.rows_read, stats.rows_kept
            line_number = self._filter_lines(data, begin, end, path.name, line_number)
            self.bar.add_rows(stats.rows_read - read_before, stats.rows_kept - kept_before)
        self.file_index += 1

    def read_again(self, paths: list[Path]) -> None:
        """The second pass (see the module docstring): keep the events dropped before their repo's id was learned.

        Only valid lines can qualify (rejects were counted in the first pass); nothing is counted as read again.
        """
        for file_index, path in enumerate(paths):
            line_number = 0
            for data, begin, end, _ in _line_blocks(path, self.day):
                position = begin
                while position < end:
                    newline = data.find(b"\n", position, end)
                    if newline < 0:
                        newline = end
                    line = data[position:newline]
                    position = newline + 1
                    line_number += 1
                    self._keep_if_dropped_before_learned(line, file_index, line_number, path.name)
        self.rescan.clear()

    def _keep_if_dropped_before_learned(
        self, line: bytes, file_index: int, line_number: int, file_name: str
    ) -> None:
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError:
            event = _parse_lenient(memoryview(line))
        if type(event) is not dict or type(event.get("repo")) is not dict:
            return
        learned_at = self.rescan.get(event["repo"].get("id"))
        if learned_at is None or (file_index, line_number) >= learned_at:
            return
        created_at = validate_event(event, self.created_at_cache)
        if type(created_at) is str:
            return
        name = event["repo"]["name"].lower()
        if name in self.repos or name[: name.find("/")] in self.orgs:
            return  # kept by the first pass
        self.rows.append(_row(event, cast(datetime, created_at), file_name))
        self.load.stats.rows_kept += 1
        self.bar.add_rows(0, 1)

    def _filter_lines(self, data: bytes, begin: int, end: int, file_name: str, line_number: int) -> int:
        """The hot loop: validate every line of ``data[begin:end]``, keep the tracked events.

        ``line_number`` is the number of the line before; returns the number of the last line. Lines are parsed
        from zero-copy memoryview slices of the block.
        """
        loads = orjson.loads
        find = data.find
        view = memoryview(data)
        known = self.known
        repos = self.repos
        orgs = self.orgs
        cache = self.created_at_cache
        rows = self.rows
        dropped = self.dropped
        dropped_add = dropped.add
        first_line = line_number
        kept_before = len(rows)
        position = begin
        while position < end:
            newline = find(b"\n", position, end)
            if newline < 0:  # the file's last line, without its newline
                newline = end
            line = view[position:newline]
            position = newline + 1
            line_number += 1
            try:
                event = loads(line)
            except orjson.JSONDecodeError as exc:
                event = _parse_lenient(line)
                if event is None:
                    self._reject(file_name, line_number, f"invalid JSON: {exc}", line)
                    continue
            created_at = _validate_common_shape(event, cache) or validate_event(event, cache)
            if type(created_at) is str:
                self._reject(file_name, line_number, created_at, line)
                continue
            repo = event["repo"]
            repo_id = repo["id"]
            if repo_id not in known:
                name = repo["name"].lower()
                if name in repos:
                    known[repo_id] = name
                    self.learned[repo_id] = name
                    if repo_id in dropped:
                        self.rescan[repo_id] = (self.file_index, line_number)
                elif name[: name.find("/")] not in orgs:
                    dropped_add(repo_id)
                    continue
            rows.append(_row(event, cast(datetime, created_at), file_name))  # a str was a rejection, above
        stats = self.load.stats
        stats.rows_read += line_number - first_line
        kept = len(rows) - kept_before
        if kept:
            stats.rows_kept += kept
            self.buffered_bytes += sum(len(cast(str, row[18])) for row in rows[kept_before:])
            if len(rows) >= FLUSH_ROWS or self.buffered_bytes >= FLUSH_BYTES:
                self.flush()
        return line_number

    def _reject(self, file_name: str, line_number: int, error: str, line: memoryview) -> None:
        text = bytes(line[:MAX_REJECT_CHARS]).decode("utf-8", errors="replace")
        if len(line) > MAX_REJECT_CHARS:
            error = f"{error} (raw line cut to its first {MAX_REJECT_CHARS} of {len(line)} bytes)"
        self.load.reject(file_name, line_number, error, text)

    def flush(self) -> None:
        """Insert the buffered kept rows as one Arrow batch (struct columns built from their field columns)."""
        if not self.rows:
            return
        n = len(self.rows)
        columns = list(zip(*self.rows, strict=True))

        def column(index: int, kind: pa.DataType) -> pa.Array:
            return pa.array(columns[index], type=kind)

        def user(first: int, mask: pa.Array | None = None) -> pa.StructArray:
            fields = [column(first + i, field.type) for i, field in enumerate(_USER_TYPE)]
            return pa.StructArray.from_arrays(fields, fields=list(_USER_TYPE), mask=mask)

        repo = pa.StructArray.from_arrays(
            [column(4, pa.int64()), column(5, pa.string()), column(6, pa.string())], fields=list(_REPO_TYPE)
        )
        no_org = pa.array([not present for present in columns[12]], type=pa.bool_())
        arrays = [
            column(0, pa.string()),
            column(1, pa.string()),
            column(2, pa.bool_()),
            column(3, pa.timestamp("us")),
            repo,
            user(7),
            user(13, mask=no_org),
            column(18, pa.string()),
            column(19, pa.string()),
            pa.array([self.day] * n, type=pa.date32()),
            column(20, pa.string()),
            pa.array([self.load.loaded_at] * n, type=pa.timestamp("us")),
        ]
        self.load.insert(pa.Table.from_arrays(arrays, schema=ARROW_SCHEMA))
        self.rows.clear()
        self.buffered_bytes = 0


_NO_USER = (None, None, None, None, None)


def _row(event: dict, created_at: datetime, file_name: str) -> tuple[object, ...]:
    """A kept event as a flat tuple: id, type, public, created_at, repo id/name/url (4-6), actor's USER_FIELDS
    (7-11), whether there is an org (12), org's USER_FIELDS (13-17), payload (18), other (19), _source_file (20).
    """
    repo = event["repo"]
    actor = event["actor"]
    org = event.get("org")
    extra = {key: value for key, value in event.items() if key not in CONTRACT_KEYS}
    return (
        event["id"],
        event["type"],
        event.get("public"),
        created_at,
        repo["id"],
        repo["name"],
        repo.get("url"),
        *(actor.get(key) for key in USER_FIELDS),
        org is not None,
        *(_NO_USER if org is None else (org.get(key) for key in USER_FIELDS)),
        orjson.dumps(event["payload"]).decode(),
        orjson.dumps(extra).decode() if extra else None,
        file_name,
    )


def _validate_common_shape(event: Any, created_at_cache: dict[str, datetime]) -> datetime | None:
    """The fast path of `validate_event` for the common shape of a GH Archive line: every field present.

    Returns the event's created_at when the line is valid *and* has that common shape, else None, and then
    `validate_event` decides. It accepts nothing that `validate_event` rejects (a test checks the two agree).
    """
    try:
        repo = event["repo"]
        actor = event["actor"]
        org = event.get("org")
        identifier = event["id"]
        kind = event["type"]
        name = repo["name"]
        valid = (
            type(event) is dict
            and type(identifier) is str
            and identifier != ""
            and type(kind) is str
            and kind != ""
            and type(repo) is dict
            and type(repo["id"]) is int
            and _INT64_MIN <= repo["id"] <= _INT64_MAX
            and type(name) is str
            and 0 < name.find("/") < len(name) - 1
            and type(repo["url"]) is str
            and type(actor) is dict
            and type(actor["id"]) is int
            and _INT64_MIN <= actor["id"] <= _INT64_MAX
            and type(actor["login"]) is str
            and type(actor["gravatar_id"]) is str
            and type(actor["avatar_url"]) is str
            and type(actor["url"]) is str
            and (
                org is None
                or (
                    type(org) is dict
                    and type(org["id"]) is int
                    and _INT64_MIN <= org["id"] <= _INT64_MAX
                    and type(org["login"]) is str
                    and type(org["gravatar_id"]) is str
                    and type(org["avatar_url"]) is str
                    and type(org["url"]) is str
                )
            )
            and type(event["public"]) is bool
            and type(event["payload"]) is dict
        )
        value = event["created_at"]
    except (KeyError, TypeError, AttributeError):
        return None
    return _created_at(value, created_at_cache) if valid and type(value) is str else None


def validate_event(event: object, created_at_cache: dict[str, datetime]) -> datetime | str:
    """Validate one parsed line against the raw contract.

    Returns the event's ``created_at`` as a naive UTC datetime when the line is a valid event, else a message
    naming the first invalid field. Valid means: an object with a non-empty string ``id`` and ``type``; an
    ISO-8601 ``created_at``; ``repo`` an object with an integer ``id`` and an ``owner/name`` string ``name``;
    ``actor`` (required) and ``org`` (optional) objects with an integer ``id`` and a string ``login``; the other
    struct fields strings or null; ``public`` a boolean or absent; ``payload`` an object.
    """
    if type(event) is not dict:
        return f"not a JSON object but {_kind(event)}"
    value = event.get("id")
    if type(value) is not str or not value:
        return _field_problem("id", value, "a non-empty string")
    value = event.get("type")
    if type(value) is not str or not value:
        return _field_problem("type", value, "a non-empty string")
    repo = event.get("repo")
    if type(repo) is not dict:
        return _field_problem("repo", repo, "an object")
    value = repo.get("id")
    if type(value) is not int or not _INT64_MIN <= value <= _INT64_MAX:
        return _field_problem("repo.id", value, "a 64-bit integer")
    value = repo.get("name")
    if type(value) is not str or not 0 < value.find("/") < len(value) - 1:
        return _field_problem("repo.name", value, "an 'owner/name' string")
    value = repo.get("url")
    if value is not None and type(value) is not str:
        return _field_problem("repo.url", value, "a string or null")
    actor = event.get("actor")
    if type(actor) is not dict:
        return _field_problem("actor", actor, "an object")
    problem = _user_problem("actor", actor)
    if problem is not None:
        return problem
    org = event.get("org")
    if org is not None:
        if type(org) is not dict:
            return _field_problem("org", org, "an object or null")
        problem = _user_problem("org", org)
        if problem is not None:
            return problem
    value = event.get("public")
    if value is not None and type(value) is not bool:
        return _field_problem("public", value, "a boolean")
    value = event.get("payload")
    if type(value) is not dict:
        return _field_problem("payload", value, "an object")
    value = event.get("created_at")
    if type(value) is not str:
        return _field_problem("created_at", value, "an ISO-8601 timestamp string")
    created_at = _created_at(value, created_at_cache)
    if created_at is None:
        return f"field created_at: not an ISO-8601 timestamp: {value[:80]!r}"
    return created_at


def _created_at(value: str, cache: dict[str, datetime]) -> datetime | None:
    """An ISO-8601 time as naive UTC (a time without offset is taken as UTC), or None; remembered in ``cache``.

    GH Archive has a few dozen events per second, so most lines hit the cache.
    """
    moment = cache.get(value)
    if moment is not None:
        return moment
    try:
        if len(value) == 20 and value[19] == "Z":  # GH Archive's own form, 2024-05-21T00:00:00Z
            moment = datetime.fromisoformat(value[:19])
            if moment.tzinfo is not None:  # an offset and a Z: not a timestamp
                return None
        else:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is not None:
                moment = moment.astimezone(UTC).replace(tzinfo=None)
    except ValueError:
        return None
    if len(cache) >= 100_000:
        cache.clear()
    cache[value] = moment
    return moment


def _user_problem(field: str, user: dict) -> str | None:
    value = user.get("id")
    if type(value) is not int or not _INT64_MIN <= value <= _INT64_MAX:
        return _field_problem(f"{field}.id", value, "a 64-bit integer")
    value = user.get("login")
    if type(value) is not str:
        return _field_problem(f"{field}.login", value, "a string")
    for key in ("gravatar_id", "avatar_url", "url"):
        value = user.get(key)
        if value is not None and type(value) is not str:
            return _field_problem(f"{field}.{key}", value, "a string or null")
    return None


def _field_problem(field: str, value: object, expected: str) -> str:
    if value is None:
        return f"field {field}: missing or null (expected {expected})"
    return f"field {field}: expected {expected}, got {_kind(value)} {_short(value)}"


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    names = {dict: "an object", list: "an array", str: "a string", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _short(value: object) -> str:
    text = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    return text if len(text) <= 60 else text[:57] + "..."


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _parse_lenient(line: memoryview) -> object | None:
    """Parse a line orjson refused, when it is still valid JSON (lone UTF-16 surrogate escapes); else None.

    Each lone surrogate becomes U+FFFD so that the text can be stored as UTF-8.
    """
    try:
        value = json.loads(bytes(line), parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None
    text = json.dumps(value, ensure_ascii=False)
    repaired = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    try:
        return orjson.loads(repaired)
    except orjson.JSONDecodeError:
        return None


def _corrupt(path: Path, day: date, detail: str) -> IngestError:
    return IngestError(
        f"{path}: {detail}: the gzip file is truncated or corrupt, so nothing of {day} was loaded (the day's "
        f"previous data is kept). Re-download it from https://data.gharchive.org/{path.name} and run the day again."
    )


def _inflated_blocks(path: Path, day: date) -> Iterator[tuple[bytes, int]]:
    """The decompressed content of a gzip file (every member) in blocks, each with the compressed bytes read."""
    try:
        handle = path.open("rb", buffering=0)
    except OSError as exc:
        raise IngestError(
            f"{path}: cannot be opened ({exc.strerror}); check the file and run the day again"
        ) from exc
    with handle:
        inflater = zlib.decompressobj(wbits=31)
        started = False
        while True:
            try:
                compressed = handle.read(READ_BYTES)
            except OSError as exc:
                raise IngestError(
                    f"{path}: read failed ({exc.strerror}); check the disk and run again"
                ) from exc
            if not compressed:
                break
            read = len(compressed)
            data = compressed
            while data:
                if inflater.eof:
                    data = data.lstrip(b"\0")  # gzip tolerates zero padding after a member
                    if not data:
                        break
                    inflater = zlib.decompressobj(wbits=31)
                started = True
                try:
                    block = inflater.decompress(data, INFLATE_BYTES)
                except zlib.error as exc:
                    raise _corrupt(path, day, f"zlib: {exc}") from exc
                data = inflater.unused_data if inflater.eof else inflater.unconsumed_tail
                if block or read:
                    yield block, read
                    read = 0
        if not started:
            raise _corrupt(path, day, "the file is empty")
        if not inflater.eof:
            raise _corrupt(path, day, "the file ends in the middle of the compressed stream")


def _line_blocks(path: Path, day: date) -> Iterator[tuple[bytes, int, int, int]]:
    """The lines of an hour file in blocks ``(data, begin, end, compressed_bytes)``.

    ``data[begin:end]`` holds whole lines, each ending in a newline except perhaps the file's very last line.
    A line cut by a block boundary comes as a small block of its own. ``compressed_bytes`` is what was read from
    the file for the block.
    """
    rest = b""
    for block, compressed_bytes in _prefetched(_inflated_blocks(path, day), PREFETCH_BLOCKS):
        last = block.rfind(b"\n")
        if last < 0:
            rest += block
            yield b"", 0, 0, compressed_bytes
            continue
        begin = 0
        if rest:
            first = block.find(b"\n")
            joined = rest + block[: first + 1]
            yield joined, 0, len(joined), 0
            begin = first + 1
        yield block, begin, last + 1, compressed_bytes
        rest = block[last + 1 :]
    if rest:
        yield rest, 0, len(rest), 0


T = TypeVar("T")


def _prefetched(items: Iterator[T], depth: int) -> Iterator[T]:
    """Run the generator ``items`` in a helper thread, up to ``depth`` items ahead; its exceptions raise here."""
    ready: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(kind: str, value: object) -> bool:
        while not stop.is_set():
            try:
                ready.put((kind, value), timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put("item", item):
                    return
        except BaseException as exc:  # handed to the consuming thread, which raises it
            put("error", exc)
            return
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()
        put("done", None)

    thread = threading.Thread(target=produce, name="gharchive-inflate", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = ready.get()
            if kind == "item":
                yield cast(T, value)
            elif kind == "error":
                raise cast(BaseException, value)
            else:
                return
    finally:
        stop.set()
        thread.join()


@contextmanager
def _switch_interval(seconds: float) -> Iterator[None]:
    """Lower the interpreter's thread switch interval for the block (never raise it), then restore it."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(min(previous, seconds))
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


__all__ = [
    "ARROW_SCHEMA",
    "DayResult",
    "validate_event",
    "hour_file_name",
    "ingest_github",
]

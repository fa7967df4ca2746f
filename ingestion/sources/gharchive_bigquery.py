"""GitHub ingestion on BigQuery: the first-stage filter over GH Archive's day tables, `githubarchive.day.YYYYMMDD`.

The same selection as the hour-file filter (`ingestion.sources.gharchive`), run inside BigQuery: for each UTC day,
one parameterised query reads exactly that day's table (the prefix is a setting, `IMPACT_BQ_GITHUB_TABLES`) and
replaces the day's partition of raw.github_events with the events of tracked repositories, atomically (see
`ingestion.bigquery.raw`). An event of day D is kept when

* its lower-cased ``repo.name`` is a tracked ``owner/repo``, or
* its lower-cased owner (``repo.name`` before the ``/``) is a tracked org, or
* its ``repo.id`` is known to belong to a tracked repo: given (``known_repo_ids``), or named as a tracked repo by a
  row raw.github_events holds for another day, or by an event of day D itself (so a repo renamed away from its
  tracked name is followed by id, on every day, whatever the order of the events).

Tracked names, orgs and ids reach BigQuery only as array query parameters: a registry name with quotes or
backticks is data. The rows a day table holds that the raw contract would reject (no id, type, created_at or
actor; a repo name that is not ``owner/name``) are never kept. Only the contract's columns are read; the day table
is the whole cost of the query (its ``payload`` column is most of it), and the dry run says how much before it runs.

A day whose table does not exist (GH Archive publishes a day after it ends; a few days are missing from the
archive) is reported and recorded as a failed load; the day's previous data stays.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from ingestion.bigquery.client import explain
from ingestion.bigquery.raw import BigQueryRaw, DayStats, quote_path
from ingestion.errors import IngestError
from ingestion.log import step, warn
from ingestion.progress import load_progress
from ingestion.sources.gharchive import DAY_COLUMN, SOURCE, TABLE, DayResult
from ingestion.warehouse import utcnow

if TYPE_CHECKING:
    from ingestion.registry import TrackedGithub

_CONTRACT_COLUMNS = ("id", "type", "public", "created_at", "repo", "actor", "org", "payload", "other")


def day_table(prefix: str, day: date) -> str:
    """The GH Archive day table of `day`: `githubarchive.day.20240521`."""
    return f"{prefix}{day:%Y%m%d}"


def github_source_sql(raw: BigQueryRaw | None, day_table_path: str) -> str:
    """The day's kept rows, in raw.github_events' columns. With `raw` None, ids known from other days are left
    out (a plan priced before the raw tables exist)."""
    day_sql = quote_path(day_table_path)
    columns = ",\n        ".join(f"events.{c}" for c in _CONTRACT_COLUMNS)
    # Quoted paths from settings and module constants; every value is a query parameter.
    known_from_raw = (
        f"""
        union distinct
        select stored.repo.id
        from {raw.table_sql(TABLE)} as stored
        where stored.{DAY_COLUMN} != @day and lower(stored.repo.name) in unnest(@repo_names)"""  # noqa: S608
        if raw is not None
        else ""
    )
    return f"""    with known_repo_ids as (
        select repo_id from unnest(@repo_ids) as repo_id
        union distinct
        select named.repo.id
        from {day_sql} as named
        where lower(named.repo.name) in unnest(@repo_names){known_from_raw}
    )
    select
        {columns},
        @day as {DAY_COLUMN},
        @source_table as _source_file,
        @loaded_at as _loaded_at
    from {day_sql} as events
    where
        events.id is not null and events.id != ''
        and events.type is not null and events.type != ''
        and events.created_at is not null
        and events.actor.id is not null and events.actor.login is not null
        and events.repo.id is not null
        and strpos(events.repo.name, '/') > 1 and strpos(events.repo.name, '/') < length(events.repo.name)
        and (
            lower(events.repo.name) in unnest(@repo_names)
            or lower(substr(events.repo.name, 1, strpos(events.repo.name, '/') - 1)) in unnest(@orgs)
            or events.repo.id in (select repo_id from known_repo_ids)
        )"""  # noqa: S608


def github_params(
    tracked: TrackedGithub, known_repo_ids: Mapping[int, str] | None, source_table: str
) -> list[Any]:
    """The query parameters of a day (without @day, which the day load adds)."""
    from google.cloud import bigquery

    return [
        bigquery.ArrayQueryParameter("repo_names", "STRING", sorted({n.lower() for n in tracked.repos})),
        bigquery.ArrayQueryParameter("orgs", "STRING", sorted({o.lower() for o in tracked.orgs})),
        bigquery.ArrayQueryParameter("repo_ids", "INT64", sorted({int(i) for i in (known_repo_ids or {})})),
        bigquery.ScalarQueryParameter("source_table", "STRING", source_table),
        bigquery.ScalarQueryParameter("loaded_at", "TIMESTAMP", utcnow()),
    ]


@dataclass(frozen=True)
class PlannedQuery:
    """One query of a plan: what it does, the tables it reads, and the bytes its dry run estimated."""

    what: str
    tables: tuple[str, ...]
    bytes_estimated: int | None
    note: str = ""


def plan_github(
    raw: BigQueryRaw, prefix: str, tracked: TrackedGithub, start: date, end: date
) -> list[PlannedQuery]:
    """Dry-run each day's query; nothing runs. A day whose table does not exist is planned with no bytes."""
    from google.cloud import bigquery

    raw_ready = raw.exists()
    plan = []
    for day in _days(start, end):
        table = day_table(prefix, day)
        if not _table_exists(raw, table):
            plan.append(PlannedQuery(f"github {day}", (table,), None, "the day table does not exist (yet)"))
            continue
        source = github_source_sql(raw if raw_ready else None, table)
        sql = raw.replace_day_sql(TABLE, source) if raw_ready else f"select * from (\n{source}\n)"  # noqa: S608
        params = [bigquery.ScalarQueryParameter("day", "DATE", day), *github_params(tracked, None, table)]
        estimated = raw.runner.estimate(sql, params, f"github {day}")
        note = "" if raw_ready else "raw tables not created yet: priced without them"
        plan.append(PlannedQuery(f"github {day}", (table,), estimated, note))
    return plan


def ingest_github_bigquery(
    raw: BigQueryRaw,
    prefix: str,
    tracked: TrackedGithub,
    start: date,
    end: date,
    progress: bool = True,
    known_repo_ids: Mapping[int, str] | None = None,
) -> list[DayResult]:
    """Replace each day in [start, end] of raw.github_events from its GH Archive day table, one query per day."""
    if end < start:
        raise IngestError(f"the day range is empty: start {start} is after end {end}; swap --start and --end")
    days = _days(start, end)
    results: list[DayResult] = []
    with load_progress(progress, "github", "day tables", "events", len(days)) as bar:
        for day in days:
            started = time.perf_counter()
            table = day_table(prefix, day)
            stats = DayStats(files_expected=1)
            if not _table_exists(raw, table):
                message = (
                    f"github {day}: the GH Archive day table {table} does not exist: GH Archive publishes a day "
                    "after it ends (and a few days are missing from the archive); nothing loaded for this day, "
                    "its previous data is kept. Run the day again later."
                )
                stats.missing_files = [table]
                raw.record_load(SOURCE, day, "failed", utcnow(), started, stats, message)
                warn(message)
                results.append(DayResult(day, 0, (table,), 0, 0, 0, round(time.perf_counter() - started, 6)))
                bar.advance()
                continue
            stats.rows_read = _row_count(raw, table)
            raw.replace_day(
                source=SOURCE,
                table=TABLE,
                day=day,
                source_sql=github_source_sql(raw, table),
                params=github_params(tracked, known_repo_ids, table),
                stats=stats,
            )
            seconds = time.perf_counter() - started
            cost = stats.cost
            step(
                f"github {day}",
                seconds,
                table=table,
                read=stats.rows_read,
                kept=stats.rows_kept,
                processed=cost.bytes_processed if cost else None,
                billed=cost.bytes_billed if cost else None,
            )
            results.append(
                DayResult(
                    day=day,
                    files_read=1,
                    missing_files=(),
                    rows_read=stats.rows_read,
                    rows_kept=stats.rows_kept,
                    rows_rejected=0,
                    seconds=round(seconds, 6),
                    bytes_processed=cost.bytes_processed if cost else None,
                    bytes_billed=cost.bytes_billed if cost else None,
                )
            )
            bar.advance()
            bar.add_rows(stats.rows_read, stats.rows_kept)
    return results


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _table_exists(raw: BigQueryRaw, table: str) -> bool:
    from google.api_core.exceptions import NotFound

    try:
        raw.client.get_table(table)
    except NotFound:
        return False
    except Exception as exc:
        raise explain(exc, f"looking up {table}", raw.runner.settings) from exc
    return True


def _row_count(raw: BigQueryRaw, table: str) -> int:
    """The rows in a day table, from its metadata (free)."""
    return int(raw.client.get_table(table).num_rows or 0)

"""One raw-layer interface, two backends: the target (`--target` / IMPACT_TARGET) picks where ingestion writes.

* ``local``: the DuckDB file (`ingestion.warehouse`), fed by GH Archive hour files and Optimism day files;
* ``bigquery``: the ``raw`` dataset of IMPACT_BQ_PROJECT (`ingestion.bigquery.raw`), fed by the public
  ``githubarchive.day`` tables and ``goog_blockchain_optimism_mainnet_us``, filtered inside BigQuery.

Each source keeps one definition of what it keeps (`ingestion.registry.TrackedGithub` for GitHub, the tracked and
deployer addresses for Optimism); the two backends are two ways of running it, and the contract tests run the same
fixture through both and compare the rows kept. Both write the same tables (`ingestion.raw_schema`), replace a day
whole, and record every attempt in raw._loads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ingestion.errors import ConfigError
from ingestion.settings import Settings

if TYPE_CHECKING:
    from ingestion.registry import Registry, TrackedGithub
    from ingestion.sources import gharchive, optimism


@dataclass(frozen=True)
class PlanItem:
    """One unit of work a run would do: what, what it reads, and its price where one is known."""

    what: str
    reads: tuple[str, ...]
    bytes: int | None
    note: str = ""


@dataclass(frozen=True)
class DayLoadRecord:
    """The latest load attempt of one source's day, as raw._loads has it (what a re-run decides to skip by)."""

    day: date
    status: str
    registry_fingerprint: str | None
    missing_files: int
    finished_at: datetime | None


_LOADED_DAYS_SQL = """
    select day, status, registry_fingerprint, coalesce(array_length(missing_files), 0) as missing, finished_at
    from raw._loads
    where source = {source} and day between {start} and {end}
    qualify row_number() over (partition by day order by finished_at desc) = 1
"""


def _loaded_days(rows: Sequence[Sequence[object]]) -> dict[date, DayLoadRecord]:
    found = {}
    for day, status, fingerprint, missing, finished in rows:
        assert isinstance(day, date)
        if isinstance(finished, datetime) and finished.tzinfo is not None:
            from datetime import UTC

            finished = finished.astimezone(UTC).replace(tzinfo=None)
        found[day] = DayLoadRecord(
            day,
            str(status),
            None if fingerprint is None else str(fingerprint),
            int(str(missing or 0)),
            finished if isinstance(finished, datetime) else None,
        )
    return found


class RawLayer(Protocol):
    """What the pipeline asks of a raw layer."""

    target: str

    def write_registry(self, registry: Registry) -> dict[str, int]: ...

    def ingest_github(
        self, tracked: TrackedGithub, start: date, end: date, progress: bool, fingerprint: str | None = None
    ) -> list[gharchive.DayResult]:
        """Load [start, end]; each day's raw._loads row records `fingerprint` (`ingestion.fingerprint`)."""
        ...

    def ingest_optimism(
        self,
        addresses: frozenset[str],
        deployers: frozenset[str],
        start: date,
        end: date,
        progress: bool,
        fingerprint: str | None = None,
    ) -> list[optimism.DayResult]: ...

    def loaded_days(self, source: str, start: date, end: date) -> dict[date, DayLoadRecord]:
        """The latest load attempt of each day of [start, end] that has one."""
        ...

    def plan(
        self,
        tracked: TrackedGithub,
        addresses: frozenset[str],
        deployers: frozenset[str],
        start: date,
        end: date,
        sources: Sequence[str],
    ) -> list[PlanItem]: ...

    def last_loaded_day(self) -> date | None:
        """The latest day of an ok GitHub or Optimism load (None when nothing was loaded yet)."""
        ...

    def loaded_sources(self) -> set[str]:
        """The sources with at least one load attempt recorded in raw._loads (registry included)."""
        ...

    def close(self) -> None: ...


_LOADED_SOURCES_SQL = "select distinct source from raw._loads"
_LAST_LOADED_SQL = "select max(day) from raw._loads where status = 'ok' and source in ('github', 'optimism')"


class DuckDBRawLayer:
    """The raw schema of the DuckDB warehouse file; sources are local folders."""

    target = "local"

    def __init__(self, settings: Settings):
        self.settings = settings

    def write_registry(self, registry: Registry) -> dict[str, int]:
        from ingestion.registry import write_registry
        from ingestion.warehouse import connect

        con = connect(self.settings.duckdb_path)
        try:
            return write_registry(con, registry)
        finally:
            con.close()

    def ingest_github(
        self, tracked: TrackedGithub, start: date, end: date, progress: bool, fingerprint: str | None = None
    ) -> list[gharchive.DayResult]:
        from ingestion.sources.gharchive import ingest_github
        from ingestion.warehouse import connect, set_registry_fingerprint

        self._require_folder(
            self.settings.gharchive_dir,
            "GH Archive",
            "IMPACT_GHARCHIVE_DIR",
            "--gharchive-dir",
            "a folder of YYYY-MM-DD-H.json.gz hour files",
        )
        con = connect(self.settings.duckdb_path)
        try:
            set_registry_fingerprint(con, fingerprint)
            return ingest_github(con, self.settings.gharchive_dir, tracked, start, end, progress=progress)
        finally:
            con.close()

    def ingest_optimism(
        self,
        addresses: frozenset[str],
        deployers: frozenset[str],
        start: date,
        end: date,
        progress: bool,
        fingerprint: str | None = None,
    ) -> list[optimism.DayResult]:
        from ingestion.sources.optimism import ingest_optimism
        from ingestion.warehouse import connect, set_registry_fingerprint

        self._require_folder(
            self.settings.optimism_dir,
            "Optimism",
            "IMPACT_OPTIMISM_DIR",
            "--optimism-dir",
            "a folder with transactions/YYYY-MM-DD.* and receipts/YYYY-MM-DD.* files",
        )
        con = connect(self.settings.duckdb_path)
        try:
            set_registry_fingerprint(con, fingerprint)
            return ingest_optimism(
                con,
                self.settings.optimism_dir,
                addresses,
                start,
                end,
                progress=progress,
                deployers=deployers,
            )
        finally:
            con.close()

    def plan(
        self,
        tracked: TrackedGithub,
        addresses: frozenset[str],
        deployers: frozenset[str],
        start: date,
        end: date,
        sources: Sequence[str],
    ) -> list[PlanItem]:
        """The files each day would read, with their sizes; nothing is read or written."""
        from ingestion.sources.gharchive import HOURS_PER_DAY, hour_file_name
        from ingestion.sources.optimism import RECEIPTS, TRANSACTIONS, day_file

        items: list[PlanItem] = []
        for day in days_between(start, end):
            if "github" in sources:
                paths = [self.settings.gharchive_dir / hour_file_name(day, h) for h in range(HOURS_PER_DAY)]
                present = [p for p in paths if p.is_file()]
                note = (
                    ""
                    if len(present) == HOURS_PER_DAY
                    else f"{HOURS_PER_DAY - len(present)} hour files missing"
                )
                items.append(
                    PlanItem(
                        f"github {day}",
                        (f"{self.settings.gharchive_dir}/{day}-*.json.gz ({len(present)} files)",),
                        sum(p.stat().st_size for p in present),
                        note,
                    )
                )
            if "optimism" in sources:
                found = [
                    day_file(self.settings.optimism_dir, table, day) for table in (TRANSACTIONS, RECEIPTS)
                ]
                present = [p for p in found if p is not None]
                items.append(
                    PlanItem(
                        f"optimism {day}",
                        tuple(str(p) for p in present),
                        sum(p.stat().st_size for p in present),
                        "" if len(present) == 2 else "a day file is missing",
                    )
                )
        return items

    def last_loaded_day(self) -> date | None:
        from ingestion.warehouse import connect

        if not self.settings.duckdb_path.exists():
            return None
        con = connect(self.settings.duckdb_path)
        try:
            row = con.execute(_LAST_LOADED_SQL).fetchone()
        finally:
            con.close()
        return row[0] if row else None

    def loaded_sources(self) -> set[str]:
        from ingestion.warehouse import connect

        if not self.settings.duckdb_path.exists():
            return set()
        con = connect(self.settings.duckdb_path)
        try:
            have = con.execute(
                "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = '_loads'"
            ).fetchone()
            return (
                {row[0] for row in con.execute(_LOADED_SOURCES_SQL).fetchall()} if have and have[0] else set()
            )
        finally:
            con.close()

    def loaded_days(self, source: str, start: date, end: date) -> dict[date, DayLoadRecord]:
        from ingestion.warehouse import connect

        if not self.settings.duckdb_path.exists():
            return {}
        con = connect(self.settings.duckdb_path)
        try:
            sql = _LOADED_DAYS_SQL.format(source="?", start="?", end="?")
            return _loaded_days(con.execute(sql, [source, start, end]).fetchall())
        finally:
            con.close()

    def close(self) -> None:
        return None

    @staticmethod
    def _require_folder(folder: Path, what: str, env: str, flag: str, shape: str) -> None:
        if not folder.is_dir():
            raise ConfigError(f"{what} folder {folder} does not exist: set {env} or pass {flag} ({shape})")


class BigQueryRawLayer:
    """The ``raw`` dataset of the settings' project; sources are BigQuery tables, filtered where they live."""

    target = "bigquery"

    def __init__(self, settings: Settings):
        from ingestion.bigquery.client import make_client
        from ingestion.bigquery.jobs import QueryRunner
        from ingestion.bigquery.raw import BigQueryRaw

        self.settings = settings
        self.bq = settings.bigquery.validated()
        client = make_client(self.bq)
        assert self.bq.project is not None  # validated
        self.raw = BigQueryRaw(
            client, QueryRunner(client, self.bq.max_bytes, self.bq), self.bq.project, self.bq.location
        )
        self._ensured = False

    def _ensure(self) -> None:
        if not self._ensured:
            self.raw.ensure()
            self._ensured = True

    def write_registry(self, registry: Registry) -> dict[str, int]:
        self._ensure()
        return self.raw.write_registry(registry)

    def ingest_github(
        self, tracked: TrackedGithub, start: date, end: date, progress: bool, fingerprint: str | None = None
    ) -> list[gharchive.DayResult]:
        from ingestion.sources.gharchive_bigquery import ingest_github_bigquery

        self._ensure()
        self.raw.registry_fingerprint = fingerprint
        try:
            return ingest_github_bigquery(
                self.raw, self.bq.github_tables, tracked, start, end, progress=progress
            )
        finally:
            self.raw.registry_fingerprint = None

    def ingest_optimism(
        self,
        addresses: frozenset[str],
        deployers: frozenset[str],
        start: date,
        end: date,
        progress: bool,
        fingerprint: str | None = None,
    ) -> list[optimism.DayResult]:
        from ingestion.sources.optimism_bigquery import ingest_optimism_bigquery

        self._ensure()
        self.raw.registry_fingerprint = fingerprint
        try:
            return ingest_optimism_bigquery(
                self.raw,
                self.bq.optimism_dataset,
                addresses,
                start,
                end,
                progress=progress,
                deployers=deployers,
            )
        finally:
            self.raw.registry_fingerprint = None

    def loaded_days(self, source: str, start: date, end: date) -> dict[date, DayLoadRecord]:
        from google.cloud import bigquery

        if not self.raw.exists():
            return {}
        self._ensure()  # an older raw._loads gains the registry_fingerprint column
        sql = _LOADED_DAYS_SQL.format(source="@source", start="@start", end="@end").replace(
            "raw._loads", self.raw.table_sql("_loads")
        )
        params = [
            bigquery.ScalarQueryParameter("source", "STRING", source),
            bigquery.ScalarQueryParameter("start", "DATE", start),
            bigquery.ScalarQueryParameter("end", "DATE", end),
        ]
        outcome = self.raw.runner.run(sql, params, f"{source}: the days already loaded", quiet=True)
        return _loaded_days([tuple(row.values()) for row in outcome.job.result()])

    def plan(
        self,
        tracked: TrackedGithub,
        addresses: frozenset[str],
        deployers: frozenset[str],
        start: date,
        end: date,
        sources: Sequence[str],
    ) -> list[PlanItem]:
        """Each day's query dry-run (free); nothing runs and nothing is created."""
        from ingestion.sources.gharchive_bigquery import plan_github

        planned = []
        if "github" in sources:
            planned += plan_github(self.raw, self.bq.github_tables, tracked, start, end)
        if "optimism" in sources:
            from ingestion.sources.optimism_bigquery import plan_optimism

            planned += plan_optimism(
                self.raw, self.bq.optimism_dataset, addresses, start, end, deployers=deployers
            )
        return [PlanItem(p.what, p.tables, p.bytes_estimated, p.note) for p in planned]

    def last_loaded_day(self) -> date | None:
        if not self.raw.exists():
            return None
        sql = _LAST_LOADED_SQL.replace("raw._loads", self.raw.table_sql("_loads"))
        rows = list(self.raw.runner.run(sql, [], "last loaded day", quiet=True).job.result())
        return rows[0][0] if rows else None

    def loaded_sources(self) -> set[str]:
        if not self.raw.exists():
            return set()
        sql = _LOADED_SOURCES_SQL.replace("raw._loads", self.raw.table_sql("_loads"))
        return {row[0] for row in self.raw.runner.run(sql, [], "sources loaded", quiet=True).job.result()}

    def close(self) -> None:
        self.raw.client.close()


def open_raw_layer(settings: Settings) -> RawLayer:
    """The raw layer of the settings' target (validated before anything is touched)."""
    if settings.target == "bigquery":
        return BigQueryRawLayer(settings)
    return DuckDBRawLayer(settings)


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]

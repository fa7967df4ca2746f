"""What is running on the warehouse, since when and at which stage, and what the last run did, stage by stage.

Every command that writes the warehouse (`impact run`, `ingest`, `build`, `freshness`, `registry load`) runs inside
`tracked_run`, which records a `RunRecord`: the command, its process, its parameters and each stage as it starts
and ends (rows, bytes billed, seconds). `impact status` shows it, `impact run --resume` reads the last run's stages.

Where it lives:

* **DuckDB** (`local`): a DuckDB file has one writer and, while it is written, no reader, so the record is a small
  JSON file beside the warehouse (``<warehouse>.run.json``), readable at any time. One writer at a time is enforced
  by an advisory lock on ``<warehouse>.lock`` (`fcntl.flock`): the operating system releases it when its process
  ends, however it ends, so a killed run never leaves the warehouse locked. A second writer gets one line naming
  the holder (`WarehouseBusyError`), or waits for it (``--wait SECONDS``). `impact status` takes the lock shared
  for the moment it reads the file, and reads nothing from it while a writer holds it.
* **BigQuery** (`bigquery`): each change of state is a row in ``raw._runs``; the newest row of a run is its state.
  BigQuery needs no lock (the workflows' `concurrency` keeps one run at a time).

A record whose status is still ``running`` while no process holds the warehouse belongs to a run that was killed:
it is reported as ``interrupted``, and `impact run --resume` treats it as failed at the stage it was in.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from ingestion.errors import WarehouseBusyError
from ingestion.log import step, warn
from ingestion.settings import Settings
from ingestion.warehouse import utcnow

if TYPE_CHECKING:
    from ingestion.raw_layer import BigQueryRawLayer

RUN_STAGES = ("registry", "ingest github", "ingest optimism", "dbt build", "export")
"""The stages of `impact run`, in order; `impact run --resume` starts at the first one the last run did not end."""

RUNNING, OK, FAILED, SKIPPED, INTERRUPTED = "running", "ok", "failed", "skipped", "interrupted"

READER_GRACE_SECONDS = 10.0
"""How long a writer waits, whatever --wait says, for a lock held by no recorded run: `impact status` reading the
file (a moment), or a writer that has taken the lock and not yet written its record."""
POLL_SECONDS = 0.2


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_time(value: object) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else _naive_utc(value)
    return datetime.fromisoformat(str(value)).replace(tzinfo=None)


def _naive_utc(value: datetime) -> datetime:
    from datetime import UTC

    return value.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class StageRecord:
    """One stage of a run. ``detail``: what the stage did (days, rows kept, bytes billed, days skipped, ...)."""

    name: str
    status: str
    started_at: datetime | None
    finished_at: datetime | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def done(self) -> bool:
        """Nothing left to do for this stage: it ended ok, or had nothing to do."""
        return self.status in (OK, SKIPPED)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "started_at": _time(self.started_at),
            "finished_at": _time(self.finished_at),
            "seconds": None if self.seconds is None else round(self.seconds, 3),
            "detail": dict(self.detail),
            "error": self.error,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StageRecord:
        return cls(
            name=str(data["name"]),
            status=str(data["status"]),
            started_at=_parse_time(data.get("started_at")),
            finished_at=_parse_time(data.get("finished_at")),
            detail=dict(data.get("detail") or {}),
            error=data.get("error"),
        )


@dataclass(frozen=True)
class RunRecord:
    """One command that wrote (or writes) the warehouse. ``stage``: the stage it is in, or the one it failed in."""

    run_id: str
    kind: str
    command: str
    status: str
    started_at: datetime
    updated_at: datetime
    pid: int
    host: str
    stage: str | None = None
    finished_at: datetime | None = None
    error: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    stages: tuple[StageRecord, ...] = ()
    resumed_from: str | None = None

    def stage_named(self, name: str) -> StageRecord | None:
        found = [s for s in self.stages if s.name == name]
        return found[-1] if found else None

    def process_alive(self) -> bool:
        """Whether the process that wrote the record still exists (True when it ran on another host: unknown)."""
        if self.host != socket.gethostname():
            return True
        if self.pid == os.getpid():
            return _ACTIVE_PIDS.get(self.run_id) == os.getpid()
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "kind": self.kind,
            "command": self.command,
            "status": self.status,
            "stage": self.stage,
            "pid": self.pid,
            "host": self.host,
            "started_at": _time(self.started_at),
            "updated_at": _time(self.updated_at),
            "finished_at": _time(self.finished_at),
            "error": self.error,
            "params": dict(self.params),
            "stages": [s.to_json() for s in self.stages],
            "resumed_from": self.resumed_from,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunRecord:
        started = _parse_time(data["started_at"])
        assert started is not None
        return cls(
            run_id=str(data["run_id"]),
            kind=str(data["kind"]),
            command=str(data.get("command") or ""),
            status=str(data["status"]),
            started_at=started,
            updated_at=_parse_time(data.get("updated_at")) or started,
            pid=int(data.get("pid") or 0),
            host=str(data.get("host") or ""),
            stage=data.get("stage"),
            finished_at=_parse_time(data.get("finished_at")),
            error=data.get("error"),
            params=dict(data.get("params") or {}),
            stages=tuple(StageRecord.from_json(s) for s in data.get("stages") or ()),
            resumed_from=data.get("resumed_from"),
        )

    def describe(self) -> str:
        """`impact ingest github --start ... ` (pid 123 on host), since 2025-10-09 12:00:01 UTC, stage X."""
        text = (
            f"`{self.command}` (pid {self.pid} on {self.host}), since {self.started_at:%Y-%m-%d %H:%M:%S} UTC"
        )
        if self.stage:
            current = self.stage_named(self.stage)
            since = f" since {current.started_at:%H:%M:%S}" if current and current.started_at else ""
            text += f", stage {self.stage}{since}"
        return text


_ACTIVE_PIDS: dict[str, int] = {}
"""Run ids this process is running now (a record naming this process's pid is alive only if listed here)."""


class RunStore(Protocol):
    """Where run records are kept."""

    def save(self, record: RunRecord) -> None: ...

    def latest(self) -> RunRecord | None:
        """The newest record of any command."""
        ...

    def last_run(self) -> RunRecord | None:
        """The newest record of `impact run` (what `--resume` resumes)."""
        ...

    def close(self) -> None: ...


class FileRunStore:
    """``<warehouse>.run.json``: the latest record, and the latest `impact run` record, replaced atomically."""

    def __init__(self, warehouse: Path):
        self.path = warehouse.with_name(warehouse.name + ".run.json")

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            warn(f"{self.path} is unreadable ({exc}): the run state starts afresh")
            return {}
        return data if isinstance(data, dict) else {}

    def _record(self, key: str) -> RunRecord | None:
        data = self._read().get(key)
        if not data:
            return None
        try:
            return RunRecord.from_json(data)
        except (KeyError, TypeError, ValueError) as exc:
            warn(f"{self.path}: the {key} record is unreadable ({exc}): ignored")
            return None

    def latest(self) -> RunRecord | None:
        return self._record("latest")

    def last_run(self) -> RunRecord | None:
        return self._record("last_run")

    def save(self, record: RunRecord) -> None:
        data = self._read()
        data["version"] = 1
        data["latest"] = record.to_json()
        if record.kind == "run":
            data["last_run"] = record.to_json()
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(data, indent=1) + "\n")
        os.replace(tmp, self.path)

    def close(self) -> None:
        return None


class BigQueryRunStore:
    """raw._runs of the settings' project: one row per change of state; the newest row of a run is its state."""

    _COLUMNS = (
        "run_id",
        "kind",
        "command",
        "status",
        "stage",
        "pid",
        "host",
        "started_at",
        "updated_at",
        "finished_at",
        "error",
        "params",
        "stages",
        "resumed_from",
    )

    def __init__(self, layer: BigQueryRawLayer):
        self.layer = layer
        self.raw = layer.raw
        self._ensured = False

    def save(self, record: RunRecord) -> None:
        from google.cloud import bigquery

        if not self._ensured:
            self.raw.ensure()
            self._ensured = True
        data = record.to_json()
        kinds = {
            "pid": "INT64",
            "started_at": "TIMESTAMP",
            "updated_at": "TIMESTAMP",
            "finished_at": "TIMESTAMP",
        }
        values: dict[str, Any] = {
            **data,
            "started_at": record.started_at,
            "updated_at": record.updated_at,
            "finished_at": record.finished_at,
            "params": json.dumps(data["params"], sort_keys=True),
            "stages": json.dumps(data["stages"]),
            "error": (record.error or "")[:4000] or None,
        }
        params = [
            bigquery.ScalarQueryParameter(name, kinds.get(name, "STRING"), values[name])
            for name in self._COLUMNS
        ]
        sql = (
            f"insert into {self.raw.table_sql('_runs')} ({', '.join(self._COLUMNS)}) "  # noqa: S608
            f"values ({', '.join('@' + c for c in self._COLUMNS)})"
        )
        self.raw.runner.run(sql, params, f"recording the run state ({record.status})", quiet=True)

    def _newest(self, kind: str | None) -> RunRecord | None:
        from google.api_core.exceptions import NotFound
        from google.cloud import bigquery

        try:
            self.raw.client.get_table(self.raw.table_id("_runs"))
        except NotFound:
            return None
        where = "where kind = @kind" if kind else ""
        params = [bigquery.ScalarQueryParameter("kind", "STRING", kind)] if kind else []
        sql = (
            f"select {', '.join(self._COLUMNS)} from {self.raw.table_sql('_runs')} {where} "  # noqa: S608
            "order by updated_at desc limit 1"
        )
        rows = list(self.raw.runner.run(sql, params, "reading the run state", quiet=True).job.result())
        if not rows:
            return None
        row = dict(zip(self._COLUMNS, rows[0].values(), strict=True))
        row["params"] = json.loads(row["params"] or "{}")
        row["stages"] = json.loads(row["stages"] or "[]")
        return RunRecord.from_json(row)

    def latest(self) -> RunRecord | None:
        return self._newest(None)

    def last_run(self) -> RunRecord | None:
        return self._newest("run")

    def close(self) -> None:
        self.layer.close()


def open_store(settings: Settings) -> RunStore:
    if settings.on_bigquery:
        from ingestion.raw_layer import BigQueryRawLayer

        return BigQueryRunStore(BigQueryRawLayer(settings))
    return FileRunStore(settings.duckdb_path)


# --- the lock ------------------------------------------------------------------------------------------------


class WarehouseLock:
    """The advisory lock on ``<warehouse>.lock``: exclusive for a writer, shared for a reader."""

    def __init__(self, warehouse: Path):
        self.path = warehouse.with_name(warehouse.name + ".lock")
        self._file: IO[str] | None = None

    def _try(self, mode: int) -> bool:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a+")  # noqa: SIM115 - held open while the lock is held
        try:
            fcntl.flock(self._file.fileno(), mode | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def try_exclusive(self) -> bool:
        return self._try(fcntl.LOCK_EX)

    def try_shared(self) -> bool:
        return self._try(fcntl.LOCK_SH)

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def running_holder(store: RunStore) -> RunRecord | None:
    """The recorded run that holds the warehouse now: status running and its process alive."""
    latest = store.latest()
    if latest is not None and latest.status == RUNNING and latest.process_alive():
        return latest
    return None


def busy_message(warehouse: Path, holder: RunRecord | None, waited: float) -> str:
    after = f" after waiting {waited:.0f} s" if waited >= 1 else ""
    if holder is None:
        return (
            f"the warehouse {warehouse} is still locked{after} by another impact process that recorded no run "
            f"(see {warehouse.name}.lock): run the command again in a moment, or pass --wait SECONDS"
        )
    return (
        f"the warehouse {warehouse} is held{after} by {holder.describe()}: run this again when it ends, "
        "or pass --wait SECONDS to wait for it"
    )


def acquire(warehouse: Path, store: RunStore, wait: float) -> WarehouseLock:
    """The exclusive lock, waiting up to `wait` seconds for a recorded run that holds it; WarehouseBusyError after.

    A lock held by no recorded run (a reader, or a writer about to record itself) is waited for at least
    READER_GRACE_SECONDS, since both let go within moments.
    """
    lock = WarehouseLock(warehouse)
    started = time.monotonic()
    announced = False
    while True:
        if lock.try_exclusive():
            return lock
        holder = running_holder(store)
        waited = time.monotonic() - started
        limit = wait if holder is not None else max(wait, READER_GRACE_SECONDS)
        if waited >= limit:
            lock.release()
            raise WarehouseBusyError(busy_message(warehouse, holder, waited))
        if holder is not None and not announced:
            step(f"waiting up to {wait:.0f} s for {holder.describe()}")
            announced = True
        time.sleep(POLL_SECONDS)


@contextmanager
def reading(warehouse: Path) -> Iterator[bool]:
    """Hold the lock shared while reading the warehouse file. Yields False when a writer holds it (then the file
    must not be opened: DuckDB would refuse a reader, or the reader would block the writer's next step)."""
    if not warehouse.parent.is_dir():
        yield True
        return
    lock = WarehouseLock(warehouse)
    try:
        free = lock.try_shared()
    except OSError:  # a read-only folder: no lock file can be made, so no writer can hold one either
        yield True
        return
    try:
        yield free
    finally:
        lock.release()


# --- tracking a run --------------------------------------------------------------------------------------------


class StageNote:
    """What a running stage did so far; `tracker.stage()` records it when the stage ends."""

    def __init__(self) -> None:
        self.detail: dict[str, Any] = {}

    def add(self, **values: Any) -> None:
        self.detail.update({k: v for k, v in values.items() if v is not None})


class RunTracker:
    """Records one run's state in its store as it goes."""

    def __init__(self, store: RunStore, record: RunRecord):
        self.store = store
        self.record = record

    def _save(self, record: RunRecord, must: bool = False) -> None:
        self.record = record
        try:
            self.store.save(record)
        except Exception as exc:
            if must:
                raise
            warn(f"the run state could not be recorded ({type(exc).__name__}: {exc}); the run goes on")

    def _with_stage(self, stage: StageRecord) -> tuple[StageRecord, ...]:
        kept = [s for s in self.record.stages if s.name != stage.name]
        return (*kept, stage)

    @contextmanager
    def stage(self, name: str) -> Iterator[StageNote]:
        """Record the stage as running, then ok (or failed, with the error, re-raised) with what it noted."""
        note = StageNote()
        started = StageRecord(name, RUNNING, utcnow())
        self._save(replace(self.record, stage=name, updated_at=utcnow(), stages=self._with_stage(started)))
        try:
            yield note
        except BaseException as exc:
            ended = replace(
                started, status=FAILED, finished_at=utcnow(), detail=dict(note.detail), error=_error(exc)
            )
            self._save(replace(self.record, updated_at=utcnow(), stages=self._with_stage(ended)))
            raise
        ended = replace(started, status=OK, finished_at=utcnow(), detail=dict(note.detail))
        self._save(replace(self.record, updated_at=utcnow(), stages=self._with_stage(ended)))

    def skip(self, name: str, reason: str) -> None:
        now = utcnow()
        skipped = StageRecord(name, SKIPPED, now, now, {"reason": reason})
        self._save(replace(self.record, updated_at=now, stages=self._with_stage(skipped)))

    def carry(self, stage: StageRecord, from_run: str) -> None:
        """A stage the resumed run had already done: kept, marked with the run that did it."""
        carried = replace(stage, detail={**stage.detail, "done_by_run": from_run})
        self._save(replace(self.record, updated_at=utcnow(), stages=self._with_stage(carried)))

    def finish(self, status: str, error: str | None = None) -> None:
        now = utcnow()
        stage = self.record.stage if status == FAILED else None
        self._save(
            replace(self.record, status=status, stage=stage, updated_at=now, finished_at=now, error=error)
        )


def _error(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, KeyboardInterrupt):
        text = "interrupted (Ctrl-C)"
    return text[:4000]


def command_line(kind: str, params: Mapping[str, Any]) -> str:
    """The command a record names, e.g. `impact ingest github --start 2025-10-05 --end 2025-10-08 --force`."""
    parts = ["impact", kind]
    for key in ("start", "end"):
        if params.get(key):
            parts += [f"--{key}", str(params[key])]
    if params.get("target"):
        parts += ["--target", str(params["target"])]
    if params.get("force"):
        parts.append("--force")
    for arg in params.get("dbt_args_given") or ():
        parts.append(str(arg))
    return " ".join(parts)


@dataclass
class _Holding:
    settings: Settings
    store: RunStore
    tracker: RunTracker | None = None


_ACTIVE: dict[str, _Holding] = {}
"""The warehouses this process holds now, by `_key`: nested commands (a run's registry load) share the holding."""


def _key(settings: Settings) -> str:
    if settings.on_bigquery:
        return f"bigquery:{settings.bigquery.project}"
    return f"local:{settings.duckdb_path.resolve()}"


@contextmanager
def holding_warehouse(settings: Settings, wait: float = 0.0) -> Iterator[_Holding]:
    """Hold the warehouse (DuckDB: the exclusive lock) for the block; re-entrant within a process."""
    key = _key(settings)
    if key in _ACTIVE:
        yield _ACTIVE[key]
        return
    store = open_store(settings)
    lock: WarehouseLock | None = None
    try:
        if not settings.on_bigquery:
            lock = acquire(settings.duckdb_path, store, wait)
        holding = _Holding(settings, store)
        _ACTIVE[key] = holding
        try:
            yield holding
        finally:
            del _ACTIVE[key]
    finally:
        if lock is not None:
            lock.release()
        store.close()


@contextmanager
def tracking(
    holding: _Holding, kind: str, params: Mapping[str, Any], resumed_from: str | None = None
) -> Iterator[RunTracker]:
    """Record a run of `kind` in the holding's store for the block (the holding's tracker when one runs already)."""
    if holding.tracker is not None:
        yield holding.tracker
        return
    now = utcnow()
    settings = holding.settings
    all_params = {"target": settings.target, **params}
    record = RunRecord(
        run_id=uuid.uuid4().hex,
        kind=kind,
        command=command_line(kind, all_params),
        status=RUNNING,
        started_at=now,
        updated_at=now,
        pid=os.getpid(),
        host=socket.gethostname(),
        params=all_params,
        resumed_from=resumed_from,
    )
    tracker = RunTracker(holding.store, record)
    _ACTIVE_PIDS[record.run_id] = os.getpid()
    tracker._save(record, must=True)
    holding.tracker = tracker
    try:
        yield tracker
    except BaseException as exc:
        tracker.finish(FAILED, _error(exc))
        raise
    else:
        tracker.finish(OK)
    finally:
        holding.tracker = None
        _ACTIVE_PIDS.pop(record.run_id, None)


@contextmanager
def tracked_run(
    settings: Settings, kind: str, params: Mapping[str, Any] | None = None, wait: float = 0.0
) -> Iterator[RunTracker]:
    """Hold the warehouse and record a run of `kind` for the block; inside another tracked run, that run."""
    with holding_warehouse(settings, wait) as holding, tracking(holding, kind, params or {}) as tracker:
        yield tracker


def effective_status(record: RunRecord, writer_holds: bool | None) -> str:
    """The record's status as it stands: a `running` record nobody holds the warehouse for was interrupted.

    `writer_holds`: whether a writer holds the DuckDB lock now (None on BigQuery: unknown, the record is trusted).
    """
    if record.status != RUNNING:
        return record.status
    if writer_holds is False or (writer_holds is None and not record.process_alive()):
        return INTERRUPTED
    return RUNNING

"""Run dbt in-process against the project, with the example profile unless the user brings their own."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ingestion.errors import BuildError, ConfigError
from ingestion.log import step
from ingestion.settings import (
    ENV_BQ_ENDPOINT,
    ENV_BQ_KEYFILE,
    ENV_BQ_LOCATION,
    ENV_BQ_MAX_BYTES,
    ENV_BQ_PROJECT,
    ENV_DUCKDB_PATH,
    Settings,
)
from ingestion.warehouse import connect, utcnow

if TYPE_CHECKING:
    from dbt.cli.main import dbtRunnerResult

ENV_BQ_METHOD = "IMPACT_BQ_METHOD"
ENV_BQ_TOKEN = "IMPACT_BQ_TOKEN"


FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})
"""dbt node statuses that mean the node failed (models error, tests fail or error, sources `runtime error`)."""


@dataclass(frozen=True)
class BuildResult:
    ok: bool
    counts: dict[str, int]
    failures: tuple[str, ...]
    seconds: float
    failed_nodes: tuple[str, ...] = ()
    """Nodes by name (`model events_daily_to_project`, `test not_null_...`, `source github.github_events`)."""
    warned_nodes: tuple[str, ...] = ()
    skipped_nodes: tuple[str, ...] = ()
    freshness: dict[str, dict[str, object]] | None = None
    """`dbt source freshness` only: per source table, its verdict, newest loaded_at value, age and thresholds."""


def node_name(node: object) -> str:
    """How status names a node: `<resource type> <name>`; a source as `source <source name>.<table>`."""
    kind = str(getattr(node, "resource_type", "node"))
    kind = str(getattr(kind, "value", kind)).split(".")[-1].lower()
    if kind == "source":
        return f"source {getattr(node, 'source_name', '?')}.{getattr(node, 'name', '?')}"
    return f"{kind} {getattr(node, 'name', '?')}"


def _threshold(value: object) -> str | None:
    """`36 hour` from dbt's Time(count=36, period=hour); None when the threshold is not set."""
    count = getattr(value, "count", None)
    period = getattr(value, "period", None)
    if count is None or period is None:
        return None
    return f"{count} {getattr(period, 'value', period)}"


def _freshness_entry(node_result: object, status: str) -> dict[str, object]:
    node = getattr(node_result, "node", None)
    criteria = getattr(node, "freshness", None)
    max_loaded_at = getattr(node_result, "max_loaded_at", None)
    snapshotted_at = getattr(node_result, "snapshotted_at", None)
    return {
        "status": status,
        "loaded_at_field": getattr(node, "loaded_at_field", None),
        "max_loaded_at": max_loaded_at.isoformat() if isinstance(max_loaded_at, datetime) else None,
        "snapshotted_at": snapshotted_at.isoformat() if isinstance(snapshotted_at, datetime) else None,
        "age_seconds": getattr(node_result, "age", None),
        "warn_after": _threshold(getattr(criteria, "warn_after", None)),
        "error_after": _threshold(getattr(criteria, "error_after", None)),
        "message": getattr(node_result, "message", None),
    }


@contextmanager
def profiles_dir(settings: Settings) -> Iterator[Path]:
    """The folder dbt reads profiles.yml from.

    DBT_PROFILES_DIR wins when the user set it; otherwise a temporary folder holding profiles.example.yml as
    profiles.yml, so the CLI works without anyone copying a file.
    """
    user_dir = os.environ.get("DBT_PROFILES_DIR")
    if user_dir:
        yield Path(user_dir)
        return
    example = settings.project_dir / "profiles.example.yml"
    if not example.is_file():
        raise ConfigError(
            f"{example} is missing: the dbt project folder is incomplete (set IMPACT_DBT_PROJECT_DIR)"
        )
    with tempfile.TemporaryDirectory(prefix="impact-profiles-") as tmp:
        shutil.copyfile(example, Path(tmp) / "profiles.yml")
        yield Path(tmp)


def run_dbt(
    settings: Settings,
    args: Sequence[str],
    target: str | None = None,
    quiet: bool = True,
    raise_on_failure: bool = True,
) -> BuildResult:
    """Run `dbt <args>` (e.g. ["build"]) and return what happened; raises BuildError when dbt fails (unless
    `raise_on_failure` is False: then the result says so). Each invocation is recorded in raw._builds.

    `target` defaults to the settings' target. For `bigquery`, the profile's variables are set from the validated
    settings (and the credentials checked) before dbt starts, so a missing setting is reported here, by name.
    """
    from dbt.cli.main import dbtRunner

    explicit = target is not None or settings.target != "local"
    target = target or settings.target
    profile_env = {ENV_DUCKDB_PATH: str(settings.duckdb_path)}
    if target == "bigquery":
        profile_env |= bigquery_profile_env(settings)
    started_at = utcnow()
    started = time.perf_counter()
    with profiles_dir(settings) as pdir, _environment(profile_env):
        cli_args = [
            *args,
            "--project-dir",
            str(settings.project_dir),
            "--profiles-dir",
            str(pdir),
        ]
        if explicit:  # else the profile's default target (a user's own profile may name it otherwise)
            cli_args += ["--target", target]
        flags = ["--quiet"] if quiet else []
        try:
            result = dbtRunner().invoke([*flags, *cli_args])
        finally:
            _release_duckdb()
    seconds = time.perf_counter() - started
    finished_at = utcnow()
    outcome = _outcome(result, args, seconds)
    step(f"dbt {' '.join(args)}", seconds, **outcome.counts)
    if target == "local":
        _record_build(settings, args, result, outcome, started_at, finished_at)
    elif target == "bigquery":
        _record_build_bigquery(settings, args, result, outcome, started_at, finished_at)
    failures = outcome.failures
    if not result.success and raise_on_failure:
        detail = "\n  ".join(failures) or str(result.exception or "see the dbt output above")
        raise BuildError(
            f"dbt {' '.join(args)} failed:\n  {detail}\nFix the model or test named above, then re-run."
        )
    return outcome


def _outcome(result: dbtRunnerResult, args: Sequence[str], seconds: float) -> BuildResult:
    """What dbt's run results say: counts per status, and the failed, warned and skipped nodes by name."""
    counts: dict[str, int] = {}
    failures: list[str] = []
    named: dict[str, list[str]] = {"failed": [], "warn": [], "skipped": []}
    freshness: dict[str, dict[str, object]] = {}
    is_freshness = list(args[:2]) == ["source", "freshness"]
    for node_result in getattr(result.result, "results", None) or []:
        status = str(getattr(node_result.status, "value", node_result.status))
        counts[status] = counts.get(status, 0) + 1
        node = getattr(node_result, "node", None)
        name = node_name(node)
        if status in FAILED_STATUSES:
            named["failed"].append(name)
            failures.append(f"{name}: {node_result.message or status}")
        elif status in named:
            named[status].append(name)
        if is_freshness and node is not None:
            freshness[name.removeprefix("source ")] = _freshness_entry(node_result, status)
    if not result.success and not failures and result.exception is not None:
        failures.append(f"dbt {' '.join(args)}: {str(result.exception).strip().splitlines()[0]}")
    return BuildResult(
        ok=bool(result.success),
        counts=counts,
        failures=tuple(failures),
        seconds=seconds,
        failed_nodes=tuple(sorted(named["failed"])),
        warned_nodes=tuple(sorted(named["warn"])),
        skipped_nodes=tuple(sorted(named["skipped"])),
        freshness=freshness if is_freshness else None,
    )


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """The profile's variables for the invocation only; the process environment is as it was afterwards."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def bigquery_profile_env(settings: Settings) -> dict[str, str]:
    """The variables profiles.example.yml's `bigquery` output reads, from the validated settings.

    The method follows the credentials: a local endpoint uses `oauth-secrets` with a placeholder token (nothing is
    sent to Google), a key file `service-account`, otherwise `oauth` (Application Default Credentials).
    """
    from ingestion.bigquery.client import load_credentials

    bq = settings.bigquery.validated()
    load_credentials(bq)  # a missing credential is reported here, naming the variable to set
    env = {
        ENV_BQ_PROJECT: str(bq.project),
        ENV_BQ_LOCATION: bq.location,
        ENV_BQ_MAX_BYTES: str(bq.max_bytes),
    }
    if bq.endpoint:
        env |= {ENV_BQ_METHOD: "oauth-secrets", ENV_BQ_TOKEN: "local-endpoint", ENV_BQ_ENDPOINT: bq.endpoint}
    elif bq.keyfile is not None:
        env |= {ENV_BQ_METHOD: "service-account", ENV_BQ_KEYFILE: str(bq.keyfile)}
    else:
        env |= {ENV_BQ_METHOD: "oauth"}
    return env


def _record_build(
    settings: Settings,
    args: Sequence[str],
    result: dbtRunnerResult,
    outcome: BuildResult,
    started_at: datetime,
    finished_at: datetime,
) -> None:
    """Keep what each build did in raw._builds, so `impact status` reports this warehouse's last build."""
    invocation_id = _invocation_id(result)
    con = connect(settings.duckdb_path)
    try:
        con.execute(
            "insert into raw._builds (invocation_id, command, status, started_at, finished_at, duration_seconds, "
            "results, failures, failed_nodes, warned_nodes, skipped_nodes, freshness) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                invocation_id,
                "dbt " + " ".join(args),
                "ok" if outcome.ok else "failed",
                started_at,
                finished_at,
                round(outcome.seconds, 3),
                json.dumps(outcome.counts, sort_keys=True),
                list(outcome.failures),
                list(outcome.failed_nodes),
                list(outcome.warned_nodes),
                list(outcome.skipped_nodes),
                _freshness_json(outcome),
            ],
        )
    finally:
        con.close()


def _invocation_id(result: dbtRunnerResult) -> str | None:
    found = getattr(getattr(getattr(result, "result", None), "args", None), "invocation_id", None)
    if found is None:  # source freshness results carry no args: the invocation's id is in its metadata
        found = getattr(getattr(getattr(result, "result", None), "metadata", None), "invocation_id", None)
    return None if found is None else str(found)


def _freshness_json(outcome: BuildResult) -> str | None:
    return None if outcome.freshness is None else json.dumps(outcome.freshness, sort_keys=True, default=str)


def _record_build_bigquery(
    settings: Settings,
    args: Sequence[str],
    result: dbtRunnerResult,
    outcome: BuildResult,
    started_at: datetime,
    finished_at: datetime,
) -> None:
    """The same record in the project's raw._builds on BigQuery."""
    from ingestion.raw_layer import BigQueryRawLayer

    layer = BigQueryRawLayer(settings)
    try:
        layer.raw.ensure()
        layer.raw.record_build(
            _invocation_id(result),
            "dbt " + " ".join(args),
            "ok" if outcome.ok else "failed",
            started_at,
            finished_at,
            outcome.seconds,
            json.dumps(outcome.counts, sort_keys=True),
            outcome.failures,
            failed_nodes=outcome.failed_nodes,
            warned_nodes=outcome.warned_nodes,
            skipped_nodes=outcome.skipped_nodes,
            freshness=_freshness_json(outcome),
        )
    finally:
        layer.close()


def _release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in this process after an in-process invocation.

    dbt-duckdb caches one environment per process (a class attribute); while it is open, this process cannot
    open the same file with another configuration (e.g. read-only for a report) and other processes cannot
    open it at all.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # the duckdb adapter is not installed: nothing to release
        return
    with DuckDBConnectionManager._LOCK:
        env = DuckDBConnectionManager._ENV
        if env is not None:
            env.close()
            DuckDBConnectionManager._ENV = None

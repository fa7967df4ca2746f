"""Every BigQuery query priced before it runs.

`QueryRunner.run` first dry-runs the query (free: BigQuery plans it and says how many bytes it would process),
logs the estimate, refuses it when the estimate is above the cap (`IMPACT_BQ_MAX_BYTES`), and only then runs it with
the same cap as the job's `maximum_bytes_billed`, so BigQuery itself also refuses a job that would bill more than
the cap. The bytes processed and billed are logged after the job and returned to the caller, who records them
(raw._loads). Queries take values only as query parameters.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ingestion.bigquery.client import explain
from ingestion.errors import ImpactError
from ingestion.log import step
from ingestion.settings import ENV_BQ_MAX_BYTES, BigQuerySettings

if TYPE_CHECKING:
    from google.cloud import bigquery

ON_DEMAND_USD_PER_TIB = 6.25
"""BigQuery's on-demand price per TiB processed (US multi-region, 2024-2026 list price), for estimates only."""


class CostCapError(ImpactError):
    """A query's dry run estimated more bytes than the cap allows: nothing ran."""

    exit_code = 3


def human_bytes(n: int | None) -> str:
    """1234567890 -> '1.23 GB' (decimal units, as BigQuery prices them; TiB shown by `usd`)."""
    if n is None:
        return "?"
    value = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.2f} {unit}"
        value /= 1000
    return f"{n} B"


def usd(n: int) -> float:
    """The on-demand price of processing `n` bytes, in US dollars."""
    return n / 2**40 * ON_DEMAND_USD_PER_TIB


@dataclass(frozen=True)
class QueryCost:
    """What one query cost: the dry run's estimate, and what the job reported (None for a dry run only)."""

    what: str
    bytes_estimated: int
    bytes_processed: int | None = None
    bytes_billed: int | None = None


@dataclass(frozen=True)
class QueryOutcome:
    job: Any
    cost: QueryCost


class QueryRunner:
    """Runs queries for one client under one cap. `labels` are attached to every job (visible in billing)."""

    def __init__(
        self,
        client: bigquery.Client,
        max_bytes: int,
        settings: BigQuerySettings | None = None,
        labels: Mapping[str, str] | None = None,
    ):
        self.client = client
        self.max_bytes = max_bytes
        self.settings = settings
        self.labels = dict(labels or {"app": "impact"})

    def _config(self, params: Sequence[Any], dry_run: bool) -> bigquery.QueryJobConfig:
        from google.cloud import bigquery

        config = bigquery.QueryJobConfig(query_parameters=list(params), labels=self.labels)
        if dry_run:
            config.dry_run = True
            config.use_query_cache = False
        else:
            config.maximum_bytes_billed = self.max_bytes
        return config

    def estimate(self, sql: str, params: Sequence[Any], what: str, quiet: bool = False) -> int:
        """Dry-run the query: the bytes it would process. Invalid SQL fails here, before anything runs."""
        try:
            job = self.client.query(sql, job_config=self._config(params, dry_run=True))
        except Exception as exc:
            raise explain(exc, f"{what} (dry run)", self.settings) from exc
        estimated = int(job.total_bytes_processed or 0)
        if not quiet:
            step(f"bigquery dry run: {what}", bytes=estimated, size=human_bytes(estimated).replace(" ", ""))
        return estimated

    def check(self, estimated: int, what: str) -> None:
        if estimated > self.max_bytes:
            suggestion = _round_up(int(estimated * 1.2))
            raise CostCapError(
                f"{what}: the dry run says this query would process {human_bytes(estimated)} ({estimated} bytes, "
                f"~${usd(estimated):.2f} on demand), over the cap of {human_bytes(self.max_bytes)} "
                f"({self.max_bytes} bytes) set by {ENV_BQ_MAX_BYTES}; nothing ran. Raise the cap, e.g. "
                f"{ENV_BQ_MAX_BYTES}={suggestion}, or run fewer days at once."
            )

    def run(self, sql: str, params: Sequence[Any], what: str, quiet: bool = False) -> QueryOutcome:
        """Dry-run, check the cap, run with `maximum_bytes_billed`, wait; log and return the bytes.

        `quiet`: no log lines (bookkeeping queries such as the raw._loads insert); the cap applies all the same.
        """
        estimated = self.estimate(sql, params, what, quiet=quiet)
        self.check(estimated, what)
        started = time.perf_counter()
        try:
            job = self.client.query(sql, job_config=self._config(params, dry_run=False))
            job.result()
        except Exception as exc:
            if "bytesBilledLimitExceeded" in str(exc) or "billed limit" in str(exc).lower():
                raise CostCapError(
                    f"{what}: BigQuery stopped the job at the cap of {human_bytes(self.max_bytes)} "
                    f"({ENV_BQ_MAX_BYTES}); the dry run had estimated {human_bytes(estimated)}. Raise "
                    f"{ENV_BQ_MAX_BYTES} if the data grew."
                ) from exc
            raise explain(exc, what, self.settings) from exc
        processed = _int_or_none(job.total_bytes_processed)
        billed = _int_or_none(job.total_bytes_billed)
        if not quiet:
            step(f"bigquery: {what}", time.perf_counter() - started, processed=processed, billed=billed)
        return QueryOutcome(job, QueryCost(what, estimated, processed, billed))


def _round_up(n: int) -> int:
    """`n` rounded up to two significant digits: 28148146814 -> 29000000000."""
    unit = 10 ** max(len(str(n)) - 2, 0)
    return -(-n // unit) * unit


def _int_or_none(value: object) -> int | None:
    return None if value is None else int(str(value))

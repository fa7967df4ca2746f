"""Settings: one typed object, read from flags or the environment, validated before anything changes."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from ingestion.errors import ConfigError

PROJECT_DIR = Path(__file__).resolve().parent.parent
"""The repository root: where dbt_project.yml, registry/ and seeds/ live (editable install)."""

ENV_TARGET = "IMPACT_TARGET"
ENV_REGISTRY_DIR = "IMPACT_REGISTRY_DIR"
ENV_GHARCHIVE_DIR = "IMPACT_GHARCHIVE_DIR"
ENV_OPTIMISM_DIR = "IMPACT_OPTIMISM_DIR"
ENV_DUCKDB_PATH = "IMPACT_DUCKDB_PATH"
ENV_POSTGRES_URL = "IMPACT_POSTGRES_URL"
ENV_DBT_PROJECT_DIR = "IMPACT_DBT_PROJECT_DIR"

ENV_BQ_PROJECT = "IMPACT_BQ_PROJECT"
ENV_BQ_LOCATION = "IMPACT_BQ_LOCATION"
ENV_BQ_KEYFILE = "IMPACT_BQ_KEYFILE"
ENV_BQ_MAX_BYTES = "IMPACT_BQ_MAX_BYTES"
ENV_BQ_ENDPOINT = "IMPACT_BQ_ENDPOINT"
ENV_BQ_STORAGE_ENDPOINT = "IMPACT_BQ_STORAGE_ENDPOINT"
ENV_BQ_GITHUB_TABLES = "IMPACT_BQ_GITHUB_TABLES"
ENV_BQ_OPTIMISM_DATASET = "IMPACT_BQ_OPTIMISM_DATASET"

TARGETS = ("local", "bigquery")
"""The same names as the dbt targets in profiles.example.yml."""

DEFAULT_MAX_BYTES = 100 * 10**9
"""100 GB per query: about four days of 2024 GH Archive day tables (bench/README.md, BigQuery cost), ~$0.62 at
on-demand prices. A query whose dry run estimates more is refused before it runs."""
DEFAULT_GITHUB_TABLES = "githubarchive.day."
DEFAULT_OPTIMISM_DATASET = "bigquery-public-data.goog_blockchain_optimism_mainnet_us"

_PROJECT_ID = re.compile(r"^[a-z][a-z0-9_.:-]*[a-z0-9]$")
_TABLE_PATH = re.compile(r"^[A-Za-z0-9_.:-]+$")


def parse_bytes(text: str, variable: str = ENV_BQ_MAX_BYTES) -> int:
    """A whole, positive number of bytes ('100000000000'); ConfigError naming `variable` otherwise. Units are not
    accepted: dbt reads the same variable as a number, and a unit there would silently mean "no cap"."""
    value = text.strip().replace("_", "")
    if not value.isdigit() or int(value) <= 0:
        raise ConfigError(
            f"{variable}={text!r} is not a whole number of bytes: use e.g. {variable}=100000000000 (100 GB)"
        )
    return int(value)


def _path(env: str, default: Path) -> Path:
    value = os.environ.get(env)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class BigQuerySettings:
    """Where production runs. Credentials are not settings: they come from IMPACT_BQ_KEYFILE (a service-account key
    file) or Application Default Credentials, and are read by `ingestion.bigquery.client`."""

    project: str | None = None
    location: str = "US"
    keyfile: Path | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    endpoint: str | None = None
    """Another BigQuery API endpoint (a local emulator); then no Google credentials are used."""
    storage_endpoint: str | None = None
    """host:port of another BigQuery Storage Read API (a local emulator's gRPC port)."""
    github_tables: str = DEFAULT_GITHUB_TABLES
    """The prefix of the GH Archive day tables: `<prefix>YYYYMMDD`."""
    optimism_dataset: str = DEFAULT_OPTIMISM_DATASET

    @classmethod
    def from_env(cls) -> BigQuerySettings:
        max_bytes = os.environ.get(ENV_BQ_MAX_BYTES)
        keyfile = os.environ.get(ENV_BQ_KEYFILE)
        return cls(
            project=os.environ.get(ENV_BQ_PROJECT) or None,
            location=os.environ.get(ENV_BQ_LOCATION) or "US",
            keyfile=Path(keyfile).expanduser() if keyfile else None,
            max_bytes=parse_bytes(max_bytes) if max_bytes else DEFAULT_MAX_BYTES,
            endpoint=os.environ.get(ENV_BQ_ENDPOINT) or None,
            storage_endpoint=os.environ.get(ENV_BQ_STORAGE_ENDPOINT) or None,
            github_tables=os.environ.get(ENV_BQ_GITHUB_TABLES) or DEFAULT_GITHUB_TABLES,
            optimism_dataset=os.environ.get(ENV_BQ_OPTIMISM_DATASET) or DEFAULT_OPTIMISM_DATASET,
        )

    def validated(self) -> BigQuerySettings:
        """Check everything a BigQuery run needs before it changes anything; ConfigError names the variable."""
        if not self.project:
            raise ConfigError(
                f"{ENV_BQ_PROJECT} is not set: export {ENV_BQ_PROJECT}=<your Google Cloud project id> "
                "(the project that runs the queries and holds the raw, staging, intermediate and marts datasets)"
            )
        if not _PROJECT_ID.match(self.project):
            raise ConfigError(f"{ENV_BQ_PROJECT}={self.project!r} is not a Google Cloud project id")
        if self.keyfile is not None and not self.keyfile.is_file():
            raise ConfigError(
                f"{ENV_BQ_KEYFILE}={self.keyfile} does not exist: point it at a service-account key file (JSON), "
                "or unset it to use Application Default Credentials (`gcloud auth application-default login`)"
            )
        if not self.github_tables.endswith(".") or not _TABLE_PATH.match(self.github_tables):
            raise ConfigError(
                f"{ENV_BQ_GITHUB_TABLES}={self.github_tables!r} must be a dataset path ending in '.', "
                f"e.g. {DEFAULT_GITHUB_TABLES} (tables <prefix>YYYYMMDD)"
            )
        if not _TABLE_PATH.match(self.optimism_dataset) or self.optimism_dataset.count(".") != 1:
            raise ConfigError(
                f"{ENV_BQ_OPTIMISM_DATASET}={self.optimism_dataset!r} must be project.dataset, "
                f"e.g. {DEFAULT_OPTIMISM_DATASET}"
            )
        return self


@dataclass(frozen=True)
class Settings:
    """Where everything is. `postgres_url` is a secret: it is never printed (see `__repr__`)."""

    project_dir: Path
    registry_dir: Path
    gharchive_dir: Path
    optimism_dir: Path
    duckdb_path: Path
    postgres_url: str | None = field(default=None, repr=False)
    target: str = "local"
    bigquery: BigQuerySettings = field(default_factory=BigQuerySettings)

    @classmethod
    def from_env(cls) -> Settings:
        project_dir = _path(ENV_DBT_PROJECT_DIR, PROJECT_DIR)
        return cls(
            project_dir=project_dir,
            registry_dir=_path(ENV_REGISTRY_DIR, project_dir / "registry"),
            gharchive_dir=_path(ENV_GHARCHIVE_DIR, project_dir / "data" / "gharchive"),
            optimism_dir=_path(ENV_OPTIMISM_DIR, project_dir / "data" / "optimism"),
            duckdb_path=_path(ENV_DUCKDB_PATH, project_dir / "warehouse.duckdb"),
            postgres_url=os.environ.get(ENV_POSTGRES_URL) or None,
            target=check_target(os.environ.get(ENV_TARGET) or "local", ENV_TARGET),
            bigquery=BigQuerySettings.from_env(),
        )

    def with_overrides(self, **overrides: object) -> Settings:
        """A copy with the given fields replaced; None values are ignored (flag not given)."""
        given = {k: v for k, v in overrides.items() if v is not None}
        for key, value in list(given.items()):
            if key.endswith(("_dir", "_path")):
                given[key] = Path(str(value)).expanduser().resolve()
        if "target" in given:
            given["target"] = check_target(str(given["target"]), "--target")
        return replace(self, **given)  # type: ignore[arg-type]

    @property
    def seeds_dir(self) -> Path:
        return self.project_dir / "seeds"

    @property
    def on_bigquery(self) -> bool:
        return self.target == "bigquery"


def check_target(value: str, where: str) -> str:
    if value not in TARGETS:
        raise ConfigError(f"{where}={value!r} is not a target: use one of {', '.join(TARGETS)}")
    return value

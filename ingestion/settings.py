"""Settings: one typed object, read from flags or the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
"""The repository root: where dbt_project.yml, registry/ and seeds/ live (editable install)."""

ENV_REGISTRY_DIR = "IMPACT_REGISTRY_DIR"
ENV_GHARCHIVE_DIR = "IMPACT_GHARCHIVE_DIR"
ENV_OPTIMISM_DIR = "IMPACT_OPTIMISM_DIR"
ENV_DUCKDB_PATH = "IMPACT_DUCKDB_PATH"
ENV_POSTGRES_URL = "IMPACT_POSTGRES_URL"
ENV_DBT_PROJECT_DIR = "IMPACT_DBT_PROJECT_DIR"


def _path(env: str, default: Path) -> Path:
    value = os.environ.get(env)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Settings:
    """Where everything is. `postgres_url` is a secret: it is never printed (see `__repr__`)."""

    project_dir: Path
    registry_dir: Path
    gharchive_dir: Path
    optimism_dir: Path
    duckdb_path: Path
    postgres_url: str | None = field(default=None, repr=False)

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
        )

    def with_overrides(self, **overrides: object) -> Settings:
        """A copy with the given fields replaced; None values are ignored (flag not given)."""
        given = {k: v for k, v in overrides.items() if v is not None}
        for key, value in list(given.items()):
            if key.endswith(("_dir", "_path")):
                given[key] = Path(str(value)).expanduser().resolve()
        return replace(self, **given)

    @property
    def seeds_dir(self) -> Path:
        return self.project_dir / "seeds"

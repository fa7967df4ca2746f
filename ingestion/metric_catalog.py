"""The metric catalog as dbt reads it: the YAML block inside macros/metrics/metric_catalog.sql.

dbt is the catalog's one reader that matters (the macros turn each entry into a model); this module reads the same
block for the tests and benchmarks that derive names and counts from the catalog instead of hard-coding them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ingestion.settings import PROJECT_DIR

CATALOG_FILE = Path("macros") / "metrics" / "metric_catalog.sql"
_BLOCK = re.compile(r"\{%-? set catalog_yaml -?%\}(.*?)\{%-? endset -?%\}", re.DOTALL)


def read_catalog(project_dir: Path = PROJECT_DIR) -> list[dict[str, Any]]:
    """Every catalog entry, in catalog order (a dict per metric: name, description, unit, event_types, ...)."""
    path = project_dir / CATALOG_FILE
    match = _BLOCK.search(path.read_text())
    if match is None:
        raise ValueError(f"{path}: no `set catalog_yaml` block")
    entries = yaml.safe_load(match.group(1))
    if not isinstance(entries, list) or not all(isinstance(e, dict) and "name" in e for e in entries):
        raise ValueError(f"{path}: the catalog block is not a list of entries with a name")
    return entries


def metric_names(project_dir: Path = PROJECT_DIR) -> list[str]:
    """The catalog's metric names, in catalog order."""
    return [str(entry["name"]) for entry in read_catalog(project_dir)]

"""Registry fingerprints: which registry a day was loaded with, so a re-run can skip a day that would not change.

A day's rows depend on the source's files (or day table) and on what the source's filter keeps, which the registry
decides: for GitHub the tracked repositories and organisations, for Optimism the tracked addresses and deployers.
`source_fingerprint` hashes exactly those registry entries, as the raw registry rows spell them (lower-cased
names and addresses), so an edit that changes nothing a source keeps (a description, a project moving to another
collection, a repository moving between projects, which dbt maps) does not make a year of days look stale, while
adding a repository does, for GitHub only. Each load records it in raw._loads.registry_fingerprint.

`registry_fingerprint` hashes every raw registry row (all three tables, without the load time): `impact run
--resume` uses it to tell whether the registry the failed run loaded is still the one on disk.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ingestion.registry import Registry

VERSION = "impact-registry-fingerprint/1"
"""Part of every hash: a change to what is hashed changes the version, so old fingerprints never match."""

SOURCES = ("github", "optimism")


def _digest(kind: str, lines: Iterable[str]) -> str:
    text = "\n".join([f"{VERSION} {kind}", *sorted(set(lines))])
    return hashlib.sha256(text.encode()).hexdigest()


def source_fingerprint(source: str, registry: Registry) -> str:
    """The hash of the registry entries `source`'s filter keeps (`github` or `optimism`)."""
    if source == "github":
        tracked = registry.tracked_github()
        return _digest(source, [*(f"repo {r}" for r in tracked.repos), *(f"org {o}" for o in tracked.orgs)])
    if source == "optimism":
        from ingestion.pipeline import OPTIMISM, tracked_deployers

        return _digest(
            source,
            [
                *(f"address {a}" for a in registry.tracked_addresses(OPTIMISM)),
                *(f"deployer {a}" for a in tracked_deployers(registry, OPTIMISM)),
            ],
        )
    raise ValueError(f"{source!r} is not a source with a fingerprint: use one of {', '.join(SOURCES)}")


def registry_fingerprint(registry: Registry) -> str:
    """The hash of every raw registry row (raw.registry_projects, _collections, _artifacts), load time left out."""
    from ingestion.registry import registry_tables

    tables = registry_tables(registry, datetime(1970, 1, 1))
    lines = []
    for name, table in sorted(tables.items()):
        for row in table.to_pylist():
            row.pop("_loaded_at", None)
            lines.append(f"{name} {json.dumps(row, sort_keys=True, default=str)}")
    return _digest("registry", lines)


def short(fingerprint: str | None) -> str:
    """The first 12 hex digits, for people (the full hash is stored)."""
    return fingerprint[:12] if fingerprint else "-"

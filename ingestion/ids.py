"""Deterministic ids (docs/architecture.md §4), the Python twin of the `impact_id` dbt macro.

id = lower(hex(sha256(part1 || '\\x1f' || part2 || ...))). A NULL part is hashed as the empty string,
exactly as the macro does, so both engines and this function agree byte for byte.
"""

from __future__ import annotations

import hashlib

UNIT_SEPARATOR = "\x1f"


def impact_id(*parts: str | None) -> str:
    """Return the id of the given parts, e.g. ``impact_id("PROJECT", "optimism")``."""
    text = UNIT_SEPARATOR.join("" if part is None else str(part) for part in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def project_id(name: str) -> str:
    return impact_id("PROJECT", name)


def collection_id(name: str) -> str:
    return impact_id("COLLECTION", name)


def artifact_id(source: str, namespace: str | None, name: str | None) -> str:
    return impact_id(source, namespace, name)

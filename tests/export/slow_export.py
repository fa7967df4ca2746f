"""An export whose warehouse reader is throttled, run as a subprocess so a test can SIGKILL it mid-COPY.

Usage: python slow_export.py WAREHOUSE MANIFEST POSTGRES_URL SCHEMA READER_ROLE
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow as pa

from ingestion.export import DuckDBReader, WarehouseRelation, export_postgres, tables_from_manifest

BATCH_ROWS = 1_000
PAUSE_SECONDS = 0.05


class SlowReader(DuckDBReader):
    """The real DuckDB reader, pausing after each small batch: 100,000 rows take about 5 s."""

    def record_batches(
        self, relation: WarehouseRelation, columns: Sequence[str], batch_rows: int = BATCH_ROWS
    ) -> Iterator[pa.RecordBatch]:
        for batch in super().record_batches(relation, columns, BATCH_ROWS):
            yield batch
            time.sleep(PAUSE_SECONDS)


def main(warehouse: str, manifest: str, url: str, schema: str, role: str) -> int:
    with SlowReader(Path(warehouse)) as reader:
        summary = export_postgres(
            reader, url, tables_from_manifest(Path(manifest)), schema=schema, reader_role=role, progress=False
        )
    return 1 if summary.failed else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))

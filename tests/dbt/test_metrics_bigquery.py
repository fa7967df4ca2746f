"""The metric models compile for BigQuery, and the SQL parses as BigQuery SQL (sqlglot), for both of their shapes:
a first build (no table yet) and an incremental run (the table exists, `is_incremental()` is true).

Offline, from `bigquery_offline_sql` (tests/dbt/conftest.py), which tests/dbt/test_bigquery_compile.py shares: dbt
asks BigQuery whether an incremental model's table exists; there, in a child process, that adapter call is answered
locally (no table, or a table), so nothing ever reaches Google."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import sqlglot

from ingestion.metric_catalog import metric_names

if TYPE_CHECKING:
    from conftest import OfflineBigQuerySql


@pytest.mark.slow
def test_metric_models_compile_to_bigquery_sql(bigquery_offline_sql: OfflineBigQuerySql) -> None:
    for shape in ("first_build", "incremental"):
        folder = bigquery_offline_sql.compiled(shape)["metrics_v1"].parent
        compiled = sorted(folder.glob("*.sql"))
        metric_models = [p for p in compiled if "entity_ranges" in p.read_text()]
        assert {p.stem for p in metric_models} >= set(metric_names()), shape  # every catalog metric compiled
        for path in compiled:
            sql = path.read_text()
            sqlglot.parse(sql, read="bigquery")  # raises on anything BigQuery would not parse
            assert '"window"' not in sql, f"{path.name}: `window` must be quoted with backticks on BigQuery"
        for path in metric_models:
            sql = path.read_text()
            assert "generate_date_array(" in sql
            assert ("incremental_start as (" in sql) == (shape == "incremental"), f"{shape}: {path.name}"

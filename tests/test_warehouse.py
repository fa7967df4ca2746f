"""The raw layer's day loads: atomic replacement, idempotence, and the load log, on a real DuckDB file."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from ingestion.warehouse import connect, day_load

DAY = date(2025, 10, 5)


def _events(ids: list[str], day: date = DAY) -> pa.Table:
    return pa.table({"id": ids, "type": ["PushEvent"] * len(ids), "archive_day": [day] * len(ids)})


def _ids(con) -> list[tuple]:
    return con.execute("select archive_day, id from raw.github_events order by all").fetchall()


def test_a_day_is_replaced_whole_and_other_days_are_untouched(tmp_path) -> None:
    con = connect(tmp_path / "w.duckdb")
    other = date(2025, 10, 6)
    with day_load(con, "github", "github_events", "archive_day", other) as load:
        load.insert(_events(["x"], other))
    with day_load(con, "github", "github_events", "archive_day", DAY) as load:
        load.insert(_events(["a", "b"]))
    with day_load(con, "github", "github_events", "archive_day", DAY) as load:
        load.insert(_events(["c"]))
    assert _ids(con) == [(DAY, "c"), (other, "x")]


def test_a_failure_rolls_the_day_back_and_is_logged(tmp_path) -> None:
    con = connect(tmp_path / "w.duckdb")
    with day_load(con, "github", "github_events", "archive_day", DAY) as load:
        load.insert(_events(["a", "b"]))
        load.reject("2025-10-05-0.json.gz", 3, "invalid JSON", "{oops")
    with pytest.raises(RuntimeError), day_load(con, "github", "github_events", "archive_day", DAY) as load:
        load.insert(_events(["c"]))
        load.reject("2025-10-05-1.json.gz", 9, "invalid JSON", "{")
        raise RuntimeError("disk on fire")
    assert _ids(con) == [(DAY, "a"), (DAY, "b")]
    rejects = con.execute("select source_file, line_number, raw_line from raw._rejects").fetchall()
    assert rejects == [("2025-10-05-0.json.gz", 3, "{oops")]
    log = con.execute("select status, rows_rejected, error from raw._loads order by finished_at").fetchall()
    assert [row[0] for row in log] == ["ok", "failed"]
    assert log[0][1] == 1
    assert "disk on fire" in log[1][2]

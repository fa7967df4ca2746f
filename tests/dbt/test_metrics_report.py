"""ingestion.metrics_report on a small hand-made warehouse: the marts it reads, written directly (no dbt), with the
column names and types the metric layer builds."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from ingestion.errors import ConfigError
from ingestion.metrics_report import (
    print_code_metrics,
    print_project_metrics,
    sparkline,
)

LATEST = date(2025, 10, 8)


def test_sparkline_scales_from_zero_to_the_highest_value() -> None:
    """Eight values 0..7 over eight levels: one bar each. A missing value is a space; the scale starts at 0, so flat
    positive values are at the top and flat zeros at the bottom; 6 values in 3 buckets of 2 are averaged: (0+2)/2 = 1, (4+4)/2 = 4, (None, 8) -> 8, scaled 0..8 ->
    round(1/8*7) = 1, round(4/8*7) = round(3.5) = 4 (banker's rounding), 7."""
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert sparkline([None, 2, 2]) == " ██"
    assert sparkline([3, 3, 3]) == "███"
    assert sparkline([0, 0, 0]) == "▁▁▁"
    assert sparkline([0, 2, 4, 4, None, 8], width=3) == "▂▅█"
    assert sparkline([]) == ""
    assert len(sparkline([1.0] * 90)) == 30


def make_warehouse(path: Path) -> Path:
    """Projects alpha (with metrics) and beta (none yet). Two catalog metrics: commit_count (needs commits) and
    star_count. alpha's 7-day commit count over 2025-10-05..08 is 1, 2, 4, 4 (the window of 10-08 holds a day
    without commit data, so it is partial); stars 7d 0, 0, 1, 3 and all-time 3 on 10-08."""
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        "create table marts.projects_v1 (project_id varchar, project_name varchar, display_name varchar)"
    )
    con.execute(
        "insert into marts.projects_v1 values ('p_alpha', 'alpha', 'Alpha'), ('p_beta', 'beta', null)"
    )
    con.execute(
        "create table marts.metrics_v1 (catalog_position bigint, metric varchar, description varchar, "
        "unit varchar, event_types varchar, aggregation varchar, excludes_bots boolean, requires varchar, "
        "windows varchar)"
    )
    con.execute(
        "insert into marts.metrics_v1 values "
        "(2, 'star_count', 'Stars', 'stars', 'STARRED', 'sum', false, null, '7d,30d,90d,180d,all'), "
        "(1, 'commit_count', 'Commits', 'commits', 'COMMIT_CODE', 'sum', false, 'commits', '7d,30d,90d,180d,all')"
    )
    con.execute(
        "create table marts.timeseries_metrics_by_project_v1 (metric varchar, project_id varchar, "
        'sample_date date, "window" varchar, amount double, unit varchar, data_complete boolean)'
    )
    days = [LATEST - timedelta(days=n) for n in (3, 2, 1, 0)]
    rows = []
    for day, commits, stars in zip(days, (1, 2, 4, 4), (0, 0, 1, 3), strict=True):
        rows.append(("commit_count", "p_alpha", day, "7d", commits, "commits", day < LATEST))
        rows.append(("star_count", "p_alpha", day, "7d", stars, "stars", True))
    rows.append(("commit_count", "p_alpha", LATEST, "all", 9, "commits", False))
    rows.append(("star_count", "p_alpha", LATEST, "all", 3, "stars", True))
    con.executemany("insert into marts.timeseries_metrics_by_project_v1 values (?, ?, ?, ?, ?, ?, ?)", rows)
    con.execute(
        "create table marts.code_metrics_by_project_v1 (project_id varchar, project_name varchar, "
        "display_name varchar, sample_date date, first_commit_date date, last_commit_date date, "
        "repository_count bigint, commit_count_7d double, commit_count_all double, star_count_7d double, "
        "star_count_all double, commits_complete_7d boolean, commits_complete_all boolean)"
    )
    con.execute(
        "insert into marts.code_metrics_by_project_v1 values "
        "('p_alpha', 'alpha', 'Alpha', ?, '2025-10-05', '2025-10-08', 3, 4, 9, 3, 3, false, false), "
        "('p_beta', 'beta', null, ?, null, null, 0, 0, 0, 0, 0, false, false)",
        [LATEST, LATEST],
    )
    con.close()
    return path


def render(printer, **arguments) -> str:
    console = Console(record=True, width=160, color_system=None)
    printer(console=console, **arguments)
    return console.export_text()


def test_project_metrics_show_windows_trend_and_partial_values(tmp_path: Path) -> None:
    """alpha on 2025-10-08: commit_count 4 over 7 days, partial (*), 9 all-time, partial; its trend over the 4 days
    1, 2, 4, 4 scaled 0..4 is round(7/4), round(14/4), 7, 7 = 2, 4 (3.5 rounds to even), 7, 7: ▃▅██. Star trend
    0, 0, 1, 3: 0, 0, round(7/3) = 2, 7: ▁▁▃█. Windows without a row show '-'. Catalog order: commits first."""
    path = make_warehouse(tmp_path / "w.duckdb")
    text = render(print_project_metrics, duckdb_path=path, project_name="alpha")
    assert "Alpha (alpha): metrics on 2025-10-08" in text
    commit_line = next(line for line in text.splitlines() if "commit_count" in line)
    star_line = next(line for line in text.splitlines() if "star_count" in line)
    assert text.index("commit_count") < text.index("star_count")
    assert commit_line.split() == [
        "│",
        "commit_count",
        "│",
        "commits",
        "│",
        "4*",
        "│",
        "-",
        "│",
        "-",
        "│",
        "-",
        "│",
        "9*",
        "│",
        "▃▅██",
        "│",
    ]
    assert star_line.split() == [
        "│",
        "star_count",
        "│",
        "stars",
        "│",
        "3",
        "│",
        "-",
        "│",
        "-",
        "│",
        "-",
        "│",
        "3",
        "│",
        "▁▁▃█",
        "│",
    ]
    assert "3 repositories, commits pushed 2025-10-05 to 2025-10-08" in text
    assert "partial: GH Archive stopped giving the commits of pushes" in text


def test_unknown_project_lists_the_known_ones(tmp_path: Path) -> None:
    path = make_warehouse(tmp_path / "w.duckdb")
    with pytest.raises(
        ConfigError, match=r"unknown project 'gamma': the registry's projects are alpha, beta"
    ):
        render(print_project_metrics, duckdb_path=path, project_name="gamma")


def test_code_metrics_print_every_project(tmp_path: Path) -> None:
    """The wide table over 7 days: alpha 4 commits (partial) and 3 stars; beta zeros (partial commits too: the
    coverage flag is the same for every project)."""
    path = make_warehouse(tmp_path / "w.duckdb")
    text = render(print_code_metrics, duckdb_path=path, window="7d")
    lines = {line.split()[1]: line.split() for line in text.splitlines() if line.startswith("│")}
    assert lines["alpha"] == ["│", "alpha", "│", "4*", "│", "3", "│"]
    assert lines["beta"] == ["│", "beta", "│", "0*", "│", "0", "│"]
    assert "Activity per project, over the 7d window ending 2025-10-08" in " ".join(text.split())
    assert "People" not in text  # no metric counts people here


def test_missing_marts_say_how_to_build_them(tmp_path: Path) -> None:
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(
        ConfigError, match=r"marts.code_metrics_by_project_v1, marts.metrics_v1 missing.*impact run"
    ):
        render(print_code_metrics, duckdb_path=path)
    with pytest.raises(ConfigError, match=r"no warehouse at"):
        render(print_code_metrics, duckdb_path=tmp_path / "nowhere.duckdb")

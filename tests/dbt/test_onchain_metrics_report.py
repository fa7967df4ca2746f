"""ingestion.metrics_report.print_onchain_metrics on a small hand-made warehouse: the marts it reads, written
directly (no dbt), with the column names and types the metric layer builds."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from ingestion.errors import ConfigError
from ingestion.metrics_report import format_amount, print_onchain_metrics

LATEST = date(2025, 10, 8)


def make_warehouse(path: Path, with_rows: bool = True) -> Path:
    """metrics_v1 lists three onchain metrics (catalog order: transactions, gas, addresses) and a code metric the
    onchain table has no column for. dex: 120 calls over 30 days, 0.0123456 ETH of fees, 40 addresses, 2 contracts,
    calls from 2025-09-01 to 2025-10-08. bridge: 7 calls, a fee of 2.5e-8 ETH, 3 addresses, 1 contract, calls on
    2025-10-02 only. vault: a contract never called, zeros and no dates. Only the 30-day columns and transaction
    count's all-time column exist."""
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        "create table marts.metrics_v1 (catalog_position bigint, metric varchar, description varchar, "
        "unit varchar, event_types varchar, aggregation varchar, excludes_bots boolean, requires varchar, "
        "windows varchar)"
    )
    con.execute(
        "insert into marts.metrics_v1 values "
        "(1, 'star_count', 'Stars', 'stars', 'STARRED', 'sum', false, null, '7d,30d,90d,180d,all'), "
        "(2, 'transaction_count', 'Calls', 'transactions', 'CONTRACT_INVOCATION', 'sum', false, null, "
        "'7d,30d,90d,180d,all'), "
        "(3, 'gas_fees_sum', 'Gas', 'ETH', 'GAS_FEE', 'sum', false, null, '7d,30d,90d,180d,all'), "
        "(4, 'address_count', 'Senders', 'addresses', 'CONTRACT_INVOCATION', 'count_distinct_from', true, null, "
        "'7d,30d,90d,180d,all')"
    )
    con.execute(
        "create table marts.onchain_metrics_by_project_v1 (project_id varchar, project_name varchar, "
        "display_name varchar, sample_date date, contract_count bigint, first_transaction_date date, "
        "last_transaction_date date, transaction_count_30d double, transaction_count_all double, "
        "gas_fees_sum_30d double, address_count_30d double)"
    )
    if with_rows:
        con.execute(
            "insert into marts.onchain_metrics_by_project_v1 values "
            "('p1', 'dex', 'Dex', ?, 2, '2025-09-01', '2025-10-08', 120, 300, 0.0123456, 40), "
            "('p2', 'bridge', 'Bridge', ?, 1, '2025-10-02', '2025-10-02', 7, 7, 2.5e-8, 3), "
            "('p3', 'vault', 'Vault', ?, 1, null, null, 0, 0, 0, 0)",
            [LATEST, LATEST, LATEST],
        )
    con.close()
    return path


def render(**arguments) -> str:
    console = Console(record=True, width=160, color_system=None)
    print_onchain_metrics(console=console, **arguments)
    return console.export_text()


def cells(text: str) -> dict[str, list[list[str]]]:
    """The table rows of the output, by project name: each row's cells, one list per table."""
    rows: dict[str, list[list[str]]] = {}
    for line in text.splitlines():
        if line.startswith("│"):
            parts = [part.strip() for part in line.strip("│").split("│")]
            rows.setdefault(parts[0], []).append(parts[1:])
    return rows


def test_users_and_activity_over_the_window(tmp_path: Path) -> None:
    """30 days: the users table has address counts (dex 40, bridge 3, vault 0, in decreasing order); the activity
    table the contracts, calls and gas, then the days of the first and last call. Gas in ETH: 0.0123456 shows 6
    decimals, 0.012346; 2.5e-8 is below a micro-ETH: 2.50e-08; zero is 0. The code metric star_count has no
    column in this table: not shown."""
    text = render(duckdb_path=make_warehouse(tmp_path / "w.duckdb"), window="30d")
    flat = " ".join(text.split())
    assert "Onchain users per project, over the 30d window ending 2025-10-08" in flat
    assert "Onchain activity per project, over the 30d window ending 2025-10-08" in flat
    rows = cells(text)
    assert rows["dex"] == [["40"], ["2", "120", "0.012346", "2025-09-01", "2025-10-08"]]
    assert rows["bridge"] == [["3"], ["1", "7", "2.50e-08", "2025-10-02", "2025-10-02"]]
    assert rows["vault"] == [["0"], ["1", "0", "0", "-", "-"]]
    assert text.index("│ dex") < text.index("│ bridge") < text.index("│ vault")
    assert "star" not in text


def test_a_window_shows_only_the_metrics_that_have_it(tmp_path: Path) -> None:
    """The all-time window: only transaction_count has an `_all` column here, so there is no users table."""
    text = render(duckdb_path=make_warehouse(tmp_path / "w.duckdb"), window="all")
    assert "Onchain users" not in text
    assert cells(text)["dex"] == [["2", "300", "2025-09-01", "2025-10-08"]]


def test_no_onchain_project_says_why(tmp_path: Path) -> None:
    text = render(duckdb_path=make_warehouse(tmp_path / "w.duckdb", with_rows=False))
    assert "no project lists an address on an ingested network" in " ".join(text.split())


def test_missing_mart_and_bad_window_say_what_to_do(tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(
        ConfigError, match=r"marts.onchain_metrics_by_project_v1, marts.metrics_v1 missing.*impact run"
    ):
        render(duckdb_path=empty)
    with pytest.raises(ConfigError, match=r"window '14d' is not one of 7d, 30d, 90d, 180d, all"):
        render(duckdb_path=make_warehouse(tmp_path / "w.duckdb"), window="14d")


def test_eth_amounts_keep_small_fees_visible() -> None:
    """6 decimals from a micro-ETH up (thousands separated), 3 significant digits below, 0 as 0; other units as
    before."""
    assert format_amount(1234.5, "ETH") == "1,234.500000"
    assert format_amount(0.000001, "ETH") == "0.000001"
    assert format_amount(0.00000042, "ETH") == "4.20e-07"
    assert format_amount(0.0, "ETH") == "0"
    assert format_amount(None, "ETH") == "-"
    assert format_amount(12.0, "transactions") == "12"

"""The onchain metrics end to end: a hand-made registry and hand-made Optimism day files (CSV and JSON, the columns of
the public BigQuery tables), ingested by the real Optimism source into a real DuckDB file, then `dbt build
--warn-error` of the metric marts and what they depend on (the unit tests run in the suite's full build).

The registry (written to a temporary folder, validated by `load_registry`):
- alpha-dex: ROUTER on optimism (tagged contract) and DEPLOYER on optimism (tagged eoa, deployer).
- beta-bridge: BRIDGE on any_evm (tagged contract, bridge), so an Optimism artifact.
- gamma-token: a contract on mainnet only (not an ingested network): no onchain row.
- collection onchain-sample holds alpha-dex and beta-bridge.

The transactions (fee = gas used x effective gas price; 1 gwei = 10^9 wei, 10^18 wei = 1 ETH):
- 03-01: U1 calls ROUTER (50,000 gas at 1 gwei = 0.00005 ETH). DEPLOYER creates POOL (1,000,000 gas at 1 gwei:
  a deployment, not a call, so no fee to POOL, which becomes alpha-dex's). U2 calls BRIDGE (100,000 gas at 2 gwei
  = 0.0002 ETH).
- 03-02: BOT calls ROUTER 20 times between 10:00 and 10:19 (30,000 gas at 1 gwei = 0.00003 ETH each): 20 in one
  hour makes its week suspicious (the bot heuristic's first pass), but 20 transactions in 19 minutes pass none of
  the second-pass rules, so BOT is a busy user, not a bot. U1 calls POOL and the call reverts (40,000 gas:
  0.00004 ETH).
  U1 also calls an untracked address: filtered out by the ingestion.
- 03-07: U1 calls ROUTER (0.00005 ETH).
- 03-08: U1 and U3 call ROUTER (0.00005 ETH each).
- 03-10: U2 calls ROUTER (0.00005 ETH); U3 sends ETH to ROUTER with no calldata (21,000 gas: a plain transfer,
  neither a transaction of transaction_count nor a fee of gas_fees_sum).
Every receipt's L1 fee is 0, so each fee is the execution fee.
No day file for 03-03..03-06 and 03-09: quiet days, explicit zeros in the timeseries. The last day with data is
03-10, the sample day of the wide table.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from textwrap import dedent

import duckdb
import pytest

from ingestion.ids import collection_id, project_id
from ingestion.pipeline import tracked_deployers
from ingestion.registry import load_registry, write_registry
from ingestion.sample.optimism import RECEIPT_COLUMNS, TX_COLUMNS, write_table
from ingestion.sources.optimism import ingest_optimism
from ingestion.warehouse import connect

REPO_ROOT = Path(__file__).resolve().parents[2]

ROUTER = "0x" + "a1" * 20
DEPLOYER = "0x" + "d1" * 20
POOL = "0x" + "e5" * 20
BRIDGE = "0x" + "b2" * 20
MAINNET_TOKEN = "0x" + "c3" * 20
UNTRACKED = "0x" + "44" * 20
U1, U2, U3 = ("0x" + digit * 40 for digit in "123")
BOT = "0x" + "9" * 40
GWEI = 10**9
CALL = "0xa9059cbb"
CREATION_CODE = "0x60806040"

ALPHA = project_id("alpha-dex")
BETA = project_id("beta-bridge")
COLLECTION = collection_id("onchain-sample")
LAST_DAY = date(2025, 3, 10)

ONCHAIN_METRICS = (
    "transaction_count",
    "successful_transaction_count",
    "gas_fees_sum",
    "address_count",
    "new_address_count",
    "returning_address_count",
    "active_contract_count",
)

PROJECT_FILES = {
    "projects/a/alpha-dex.yaml": f"""
        version: 7
        name: alpha-dex
        display_name: Alpha DEX
        blockchain:
          - address: "{ROUTER}"
            networks: [optimism]
            tags: [contract]
            name: Router
          - address: "{DEPLOYER}"
            networks: [optimism]
            tags: [eoa, deployer]
            name: Deployer
    """,
    "projects/b/beta-bridge.yaml": f"""
        version: 7
        name: beta-bridge
        display_name: Beta Bridge
        blockchain:
          - address: "{BRIDGE}"
            networks: [any_evm]
            tags: [contract, bridge]
    """,
    "projects/g/gamma-token.yaml": f"""
        version: 7
        name: gamma-token
        display_name: Gamma Token
        blockchain:
          - address: "{MAINNET_TOKEN}"
            networks: [mainnet]
            tags: [contract]
    """,
    "collections/onchain-sample.yaml": """
        version: 7
        name: onchain-sample
        display_name: Onchain sample
        projects: [alpha-dex, beta-bridge]
    """,
}


@dataclass(frozen=True)
class Tx:
    """One transaction and its receipt."""

    moment: datetime
    sender: str
    to: str | None
    gas_used: int
    gas_price: int = GWEI
    status: int = 1
    input: str = CALL
    created: str | None = None


TRANSACTIONS: tuple[Tx, ...] = (
    Tx(datetime(2025, 3, 1, 9), U1, ROUTER, 50_000),
    Tx(datetime(2025, 3, 1, 10), DEPLOYER, None, 1_000_000, input=CREATION_CODE, created=POOL),
    Tx(datetime(2025, 3, 1, 11), U2, BRIDGE, 100_000, gas_price=2 * GWEI),
    *(Tx(datetime(2025, 3, 2, 10, minute), BOT, ROUTER, 30_000) for minute in range(20)),
    Tx(datetime(2025, 3, 2, 12), U1, POOL, 40_000, status=0),
    Tx(datetime(2025, 3, 2, 13), U1, UNTRACKED, 50_000),
    Tx(datetime(2025, 3, 7, 9), U1, ROUTER, 50_000),
    Tx(datetime(2025, 3, 8, 9), U1, ROUTER, 50_000),
    Tx(datetime(2025, 3, 8, 10), U3, ROUTER, 50_000),
    Tx(datetime(2025, 3, 10, 9), U2, ROUTER, 50_000),
    Tx(datetime(2025, 3, 10, 10), U3, ROUTER, 21_000, input="0x"),
)


def write_day_files(folder: Path, transactions: Sequence[Tx]) -> list[date]:
    """One transactions and one receipts file per day with transactions (JSON on 03-02, CSV otherwise)."""
    days = sorted({tx.moment.date() for tx in transactions})
    for day in days:
        txs = [tx for tx in transactions if tx.moment.date() == day]
        tx_rows, receipt_rows = [], []
        for index, tx in enumerate(txs):
            tx_hash = "0x" + hashlib.sha256(f"{tx.moment.isoformat()}/{index}".encode()).hexdigest()
            moment = tx.moment.replace(tzinfo=UTC)
            tx_rows.append(
                {
                    "block_timestamp": moment,
                    "block_number": 130_000_000 + index,
                    "transaction_hash": tx_hash,
                    "transaction_index": index,
                    "from_address": tx.sender,
                    "to_address": tx.to,
                    "value": 0,
                    "gas": tx.gas_used * 2,
                    "gas_price": tx.gas_price,
                    "input": tx.input,
                    "nonce": index,
                }
            )
            receipt_rows.append(
                {
                    "transaction_hash": tx_hash,
                    "block_timestamp": moment,
                    "gas_used": tx.gas_used,
                    "effective_gas_price": tx.gas_price,
                    "status": tx.status,
                    "contract_address": tx.created,
                    "l1_fee": 0,
                }
            )
        extension = ".json" if day == date(2025, 3, 2) else ".csv"
        for table, rows, columns in (
            ("transactions", tx_rows, TX_COLUMNS),
            ("receipts", receipt_rows, RECEIPT_COLUMNS),
        ):
            path = folder / table / f"{day.isoformat()}{extension}"
            path.parent.mkdir(parents=True, exist_ok=True)
            write_table(path, rows, columns)
    return days


class OnchainWarehouse:
    """A DuckDB file holding the hand-made registry, Optimism day files to ingest, and dbt run on it."""

    def __init__(self, folder: Path, transactions: Sequence[Tx]):
        self.folder = folder
        self.path = folder / "warehouse.duckdb"
        self.optimism = folder / "optimism"
        registry_dir = folder / "registry"
        for relative, text in PROJECT_FILES.items():
            (registry_dir / relative).parent.mkdir(parents=True, exist_ok=True)
            (registry_dir / relative).write_text(dedent(text).lstrip())
        self.registry = load_registry(registry_dir, REPO_ROOT / "seeds")
        self.days = write_day_files(self.optimism, transactions)
        self.profiles = folder / "profiles"
        self.profiles.mkdir()
        shutil.copyfile(REPO_ROOT / "profiles.example.yml", self.profiles / "profiles.yml")
        con = connect(self.path)
        try:
            write_registry(con, self.registry)
        finally:
            con.close()

    def ingest(self, days: Sequence[date]) -> None:
        """Ingest each day that has files (a day without any would be reported missing)."""
        con = connect(self.path)
        try:
            for day in days:
                ingest_optimism(
                    con,
                    self.optimism,
                    self.registry.tracked_addresses("optimism"),
                    day,
                    day,
                    progress=False,
                    deployers=tracked_deployers(self.registry),
                )
        finally:
            con.close()

    def dbt(self, *args: str) -> None:
        from dbt.cli.main import dbtRunner

        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("IMPACT_DUCKDB_PATH", str(self.path))
            patch.setenv("IMPACT_DBT_TARGET", "local")
            patch.delenv("DBT_PROFILES_DIR", raising=False)
            result = dbtRunner().invoke(
                [
                    "--quiet",
                    *args,
                    "--warn-error",
                    "--project-dir",
                    str(REPO_ROOT),
                    "--profiles-dir",
                    str(self.profiles),
                    "--target-path",
                    str(self.folder / "target"),
                    "--log-path",
                    str(self.folder / "logs"),
                ]
            )
        failures = [
            f"{r.node.unique_id}: {r.status} {r.message}"
            for r in (getattr(result.result, "results", None) or [])
            if str(getattr(r.status, "value", r.status)) not in {"success", "pass"}
        ]
        assert result.success, f"dbt {' '.join(args)} failed ({result.exception}):\n" + "\n".join(failures)

    def query(self, sql: str, params: list[object] | None = None) -> list[tuple]:
        # Not read-only: dbt, in this process, may still hold the file open with the default configuration.
        con = duckdb.connect(str(self.path))
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    def value(self, metric: str, entity_id: str, day: date, window: str, entity: str = "project") -> float:
        rows = self.query(
            f"select amount, data_complete from marts.timeseries_metrics_by_{entity}_v1 "  # noqa: S608
            f'where metric = ? and {entity}_id = ? and sample_date = ? and "window" = ?',
            [metric, entity_id, day, window],
        )
        assert len(rows) == 1, f"{metric} {window} on {day}: expected one row, got {rows}"
        amount, complete = rows[0]
        assert complete is True, f"{metric} {window} on {day}: onchain rows are always complete"
        return amount


@pytest.fixture(scope="module")
def onchain_warehouse(tmp_path_factory: pytest.TempPathFactory) -> OnchainWarehouse:
    """TRANSACTIONS ingested and the onchain marts built (the tests of models outside the selection left out)."""
    warehouse = OnchainWarehouse(tmp_path_factory.mktemp("onchain"), TRANSACTIONS)
    warehouse.ingest(warehouse.days)
    warehouse.dbt(
        "build",
        "--select",
        "+onchain_metrics_by_project_v1 +timeseries_metrics_by_collection_v1 +metrics_v1",
        "--exclude",
        "test_type:unit",
        "--indirect-selection",
        "cautious",
    )
    return warehouse


@pytest.mark.slow
def test_a_burst_of_calls_is_not_a_bot_and_the_untracked_call_dropped(
    onchain_warehouse: OnchainWarehouse,
) -> None:
    """BOT's 20 calls in the hour of 03-02 10:00 pass the first test (20 in an hour) and no second one (a week of
    20, a span of 19 minutes, 1 active hour of 168): no sender is a bot. Of the 30 transactions written (3 + 22 + 1
    + 2 + 2), U1's call of an untracked address is not kept: 29."""
    assert (
        onchain_warehouse.query("select address, reason from intermediate.int_optimism__address_bots") == []
    )
    assert onchain_warehouse.query("select count(*) from raw.optimism_transactions") == [(29,)]


@pytest.mark.slow
def test_wide_table_has_the_latest_values(onchain_warehouse: OnchainWarehouse) -> None:
    """On 03-10, alpha-dex. Calls: 1 (03-01) + 21 (03-02: BOT's 20 and U1's reverted one) + 1 + 2 + 1 = 26, of
    which 03-04..03-10 hold 4; successes 26 - 1 reverted = 25, 4 in the 7-day window. Fees of those 26 calls only:
    0.00005 (U1's call; the creation of POOL pays nothing here) + 0.00064 (20 x 0.00003 + 0.00004) + 0.00005 +
    0.0001 + 0.00005 (U2's call; U3's transfer pays nothing here) = 0.00089 ETH, in 7 days 0.0002: summed exactly,
    so each equals the double nearest to the decimal.
    Addresses (BOT is a user): U1, U3, U2 in 7 days = 3, and BOT (03-02) too ever = 4; new in 03-04..03-10: U3
    (03-08), U2 (03-10) = 2; returning: U1 (first 03-01) = 1; in 30 days all 4 are new, none returning. Contracts called: ROUTER in 7 days; ROUTER and POOL ever. Its contracts: ROUTER
    (tagged) and POOL (created by its deployer), not DEPLOYER: 2. Calls from 03-01 to 03-10.
    beta-bridge: U2's call of 03-01 only: 1 transaction ever, 0 in 7 days, 0.0002 ETH, new within 30 days: 1.
    gamma-token has only a mainnet address: no row."""
    rows = onchain_warehouse.query(
        """
        select project_name, sample_date, transaction_count_7d, transaction_count_all,
            successful_transaction_count_7d, successful_transaction_count_all, gas_fees_sum_7d, gas_fees_sum_all,
            address_count_7d, address_count_all, new_address_count_7d, returning_address_count_7d,
            new_address_count_30d, returning_address_count_30d, active_contract_count_7d, active_contract_count_all,
            contract_count, first_transaction_date, last_transaction_date
        from marts.onchain_metrics_by_project_v1
        order by project_name
        """
    )
    assert rows == [
        ("alpha-dex", LAST_DAY, 4, 26, 4, 25, 0.0002, 0.00089, 3, 4, 2, 1, 4, 0, 1, 2, 2)
        + (date(2025, 3, 1), LAST_DAY),
        ("beta-bridge", LAST_DAY, 0, 1, 0, 1, 0.0, 0.0002, 0, 1, 0, 0, 1, 0, 0, 1, 1)
        + (date(2025, 3, 1), date(2025, 3, 1)),
    ]


@pytest.mark.slow
def test_new_and_returning_at_the_7_day_boundary(onchain_warehouse: OnchainWarehouse) -> None:
    """alpha-dex, 7-day windows. On 03-07 (03-01..03-07) U1 calls again, but her first call (03-01) is in the
    window, and BOT's only calls (03-02) too: addresses 2, new 2, returning 0. On 03-08 (03-02..03-08) U1's first
    call is before the window: returning 1; U3 calls for the first time and BOT's 03-02 is still in: new 2;
    addresses 3 = 2 + 1."""
    counts = {
        (metric, day): onchain_warehouse.value(metric, ALPHA, day, "7d")
        for metric in ("address_count", "new_address_count", "returning_address_count")
        for day in (date(2025, 3, 7), date(2025, 3, 8))
    }
    assert counts == {
        ("address_count", date(2025, 3, 7)): 2,
        ("new_address_count", date(2025, 3, 7)): 2,
        ("returning_address_count", date(2025, 3, 7)): 0,
        ("address_count", date(2025, 3, 8)): 3,
        ("new_address_count", date(2025, 3, 8)): 2,
        ("returning_address_count", date(2025, 3, 8)): 1,
    }


@pytest.mark.slow
def test_collection_counts_an_address_once_and_as_returning(onchain_warehouse: OnchainWarehouse) -> None:
    """onchain-sample on 03-10, 7 days: U2 called BRIDGE (beta-bridge) on 03-01 and ROUTER (alpha-dex) on 03-10:
    new to alpha-dex but returning to the collection. Addresses U1, U3, U2 = 3; new U3 = 1; returning U1, U2 = 2.
    Transactions add up the projects' (4 + 0); fees ever 0.00089 + 0.0002."""
    assert onchain_warehouse.value("address_count", COLLECTION, LAST_DAY, "7d", "collection") == 3
    assert onchain_warehouse.value("new_address_count", COLLECTION, LAST_DAY, "7d", "collection") == 1
    assert onchain_warehouse.value("returning_address_count", COLLECTION, LAST_DAY, "7d", "collection") == 2
    assert onchain_warehouse.value("new_address_count", ALPHA, LAST_DAY, "7d") == 2
    assert onchain_warehouse.value("transaction_count", COLLECTION, LAST_DAY, "7d", "collection") == 4
    assert onchain_warehouse.value("gas_fees_sum", COLLECTION, LAST_DAY, "all", "collection") == 0.00109


@pytest.mark.slow
def test_timeseries_marts_and_catalog_pick_up_the_onchain_metrics(
    onchain_warehouse: OnchainWarehouse,
) -> None:
    """Both projects' ranges run 03-01..03-10 (10 days, the quiet ones as zeros): each onchain metric has a row per
    day and window, 5 windows for sums and distinct counts, 4 for new and returning (no all-time value); metrics_v1
    lists them with their aggregation and unit."""
    rows = onchain_warehouse.query(
        'select metric, count(distinct "window"), count(*), min(sample_date), max(sample_date) '
        "from marts.timeseries_metrics_by_project_v1 where project_id = ? and metric in "
        "(select unnest(?)) group by metric order by metric",
        [BETA, list(ONCHAIN_METRICS)],
    )
    windows = {"new_address_count": 4, "returning_address_count": 4}
    assert rows == [
        (metric, windows.get(metric, 5), windows.get(metric, 5) * 10, date(2025, 3, 1), LAST_DAY)
        for metric in sorted(ONCHAIN_METRICS)
    ]
    catalog = onchain_warehouse.query(
        "select metric, unit, aggregation, excludes_bots, requires, windows from marts.metrics_v1 "
        "where metric in (select unnest(?)) order by catalog_position",
        [list(ONCHAIN_METRICS)],
    )
    all_windows, finite = "7d,30d,90d,180d,all", "7d,30d,90d,180d"
    assert catalog == [
        ("transaction_count", "transactions", "sum", False, None, all_windows),
        ("successful_transaction_count", "transactions", "sum", False, None, all_windows),
        ("gas_fees_sum", "ETH", "sum", False, None, all_windows),
        ("address_count", "addresses", "count_distinct_from", True, None, all_windows),
        ("new_address_count", "addresses", "count_new_from", True, None, finite),
        ("returning_address_count", "addresses", "count_returning_from", True, None, finite),
        ("active_contract_count", "contracts", "count_distinct_to", False, None, all_windows),
    ]
    quiet = onchain_warehouse.value("transaction_count", ALPHA, date(2025, 3, 5), "7d")
    assert quiet == 22  # 03-05's window 02-27..03-05 holds the calls of 03-01 and 03-02: 1 + 21


EARLY_TRANSACTIONS: tuple[Tx, ...] = (
    Tx(datetime(2025, 2, 10, 9), U1, ROUTER, 50_000),
    Tx(datetime(2025, 2, 24, 9), U2, BRIDGE, 100_000, gas_price=2 * GWEI),
    Tx(datetime(2025, 2, 27, 9), U3, ROUTER, 50_000),
)
"""Earlier calls for the incremental test: U1's first call, U2's to beta-bridge, U3's first call to alpha-dex."""


@pytest.mark.slow
def test_incremental_run_equals_full_refresh(tmp_path: Path) -> None:
    """EARLY_TRANSACTIONS + TRANSACTIONS, windows 2d, 7d and all, lookback 2 days. Built in full up to 03-08, then
    03-10 is ingested and the metric models run incrementally: the lookback reaches 03-07, so they recompute the
    month of it, 03-01..03-10, reading the active days after 03-01 - 7 = 02-22 only, while first days come from the
    whole history: U1's first call (02-10) is not among the days read, yet U1 must stay returning, not become new.
    A full refresh must give the very same rows, and the rows before 03-01 must be the first build's.
    alpha-dex 7d on 03-08 (03-02..03-08): U1 (first 02-10) and U3 (first 02-27) return, BOT (a user, first call
    03-02) is new; on 03-10
    (03-04..03-10) U2's first call to alpha-dex makes it new there, while the collection has known U2 since its
    call to beta-bridge on 02-24: returning 3, new 0."""
    warehouse = OnchainWarehouse(tmp_path, EARLY_TRANSACTIONS + TRANSACTIONS)
    models = list(ONCHAIN_METRICS)
    variables = ("--vars", "{metric_lookback_days: 2, metric_windows: ['2d', '7d', 'all']}")
    upstream = " ".join(f"+{model}" for model in models)

    def rows() -> dict[str, list[tuple]]:
        return {
            model: warehouse.query(
                f'select * from marts."{model}" order by entity_type, entity_id, sample_date, "window"'  # noqa: S608
            )
            for model in models
        }

    warehouse.ingest([day for day in warehouse.days if day < LAST_DAY])
    warehouse.dbt(
        "build",
        "--full-refresh",
        "--select",
        upstream,
        "--resource-type",
        "seed",
        "--resource-type",
        "model",
        *variables,
    )
    snapshot = rows()
    assert max(row[3] for row in snapshot["transaction_count"]) == date(2025, 3, 8)

    warehouse.ingest([LAST_DAY])
    warehouse.dbt("run", "--select", upstream, *variables)
    incremental = rows()
    warehouse.dbt("run", "--full-refresh", "--select", " ".join(models), *variables)
    full = rows()

    first_recomputed = date(2025, 3, 1)
    for model in models:
        assert incremental[model] == full[model], f"{model}: the incremental run differs from a full refresh"
        kept = [row for row in incremental[model] if row[3] < first_recomputed]
        assert kept == [row for row in snapshot[model] if row[3] < first_recomputed], model

    def amount(model: str, entity_id: str, day: date) -> float:
        (found,) = [r[5] for r in incremental[model] if r[2] == entity_id and r[3] == day and r[4] == "7d"]
        return found

    assert amount("returning_address_count", ALPHA, date(2025, 3, 8)) == 2
    assert amount("new_address_count", ALPHA, date(2025, 3, 8)) == 1
    assert amount("returning_address_count", ALPHA, LAST_DAY) == 2
    assert amount("new_address_count", ALPHA, LAST_DAY) == 1
    assert amount("returning_address_count", COLLECTION, LAST_DAY) == 3
    assert amount("new_address_count", COLLECTION, LAST_DAY) == 0

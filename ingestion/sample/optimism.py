"""A deterministic Optimism sample, in the layout `ingestion.sources.optimism` reads: for the demo and the bench.

The demo must run with no network and no cloud account, so the sample is generated, one file per table and UTC
day, in the columns of ``bigquery-public-data.goog_blockchain_optimism_mainnet_us``::

    transactions/YYYY-MM-DD.<ext>   block_timestamp, block_number, transaction_hash, transaction_index,
                                    from_address, to_address, value, gas, gas_price, input, nonce
    receipts/YYYY-MM-DD.<ext>       transaction_hash, block_timestamp, gas_used, effective_gas_price, status,
                                    contract_address, l1_fee

Formats differ by day, as a mixed local folder would: Parquet (``value``/``gas_price`` as the BigQuery RECORD
struct, timestamps typed UTC), gzip JSON lines with the RECORD exactly as BigQuery exports it
(``{"string_value": "...", "bignumeric_value": "..."}``, timestamps ``YYYY-MM-DD HH:MM:SS UTC``) and CSV (plain
decimal strings). Addresses are written in EIP-55-like mixed case here and there, as explorers show them.

What the days hold, so every rule downstream has something to bite on:

* calls to the tracked contracts (the sample registry's addresses on ``optimism`` or ``any_evm``, read from
  ``registry/``; the OP token and Uniswap's SwapRouter when there is no registry), from a stable crowd of users;
* plain ETH transfers (``input`` = ``0x``) to a tracked address (the OP token when tracked); one failed call
  (status 0) per day;
* one contract deployment per day from each tracked deployer (registry addresses tagged ``deployer``/``creator``)
  plus, the next day, calls to the contract it created;
* a busy sender on 2025-10-07: 25 calls to the OP token within one hour (a burst the bot heuristic's first pass
  notices and its second pass clears: a user, not a bot);
* untracked "noise" transactions between random addresses, most of each file.

Same arguments, same bytes (Parquet and gzip written without timestamps): one seeded ``random.Random`` drives
everything in day order, and transaction hashes come from SHA-256 of the time and position of each row.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

DEMO_START = date(2025, 10, 5)
DEMO_END = date(2025, 10, 8)
DEMO_SEED = 10
DEMO_NOISE_PER_DAY = 400
DEMO_CALLS_PER_CONTRACT_PER_DAY = 12

DEMO_FORMATS = {
    date(2025, 10, 5): ".parquet",
    date(2025, 10, 6): ".json.gz",
    date(2025, 10, 7): ".csv",
    date(2025, 10, 8): ".json.gz",
}
"""The format of each demo day (both tables of a day share it)."""

BOT_DAY = date(2025, 10, 7)
BOT_CALLS_IN_ONE_HOUR = 25

OP_TOKEN = "0x4200000000000000000000000000000000000042"
DEFAULT_CONTRACTS = (
    OP_TOKEN,
    "0xe592427a0aece92de3edee1f18e0157c05861564",  # Uniswap V3 SwapRouter
)
NETWORKS = ("optimism", "any_evm")
DEPLOYER_TAGS = ("deployer", "creator")

SELECTORS = (
    "0xa9059cbb",  # transfer(address,uint256)
    "0x095ea7b3",  # approve(address,uint256)
    "0x414bf389",  # exactInputSingle(...)
    "0xc04b8d59",  # exactInput(...)
    "0x5c11d795",  # swapExactTokensForTokensSupportingFeeOnTransferTokens(...)
)
CREATION_CODE = "0x60806040523480156100105760006000fd5b50"

TX_COLUMNS = (
    "block_timestamp",
    "block_number",
    "transaction_hash",
    "transaction_index",
    "from_address",
    "to_address",
    "value",
    "gas",
    "gas_price",
    "input",
    "nonce",
)
RECEIPT_COLUMNS = (
    "transaction_hash",
    "block_timestamp",
    "gas_used",
    "effective_gas_price",
    "status",
    "contract_address",
    "l1_fee",
)
FIRST_BLOCK = 142_000_000
"""OP Mainnet makes a block every 2 seconds; block numbers here count from this one at DEMO_START 00:00."""


@dataclass(frozen=True)
class SampleAddresses:
    """The tracked addresses the sample exercises: contracts to call and deployers that create contracts."""

    contracts: tuple[str, ...]
    deployers: tuple[str, ...]


@dataclass(frozen=True)
class _Tx:
    moment: datetime
    sender: str
    to: str | None
    value: int
    gas: int
    gas_price: int
    input: str
    gas_used: int
    status: int
    contract_address: str | None
    l1_fee: int


def sample_addresses(registry_dir: Path | None) -> SampleAddresses:
    """The registry's addresses on optimism or any_evm (lower-cased), split into contracts to call and deployers.

    Reads ``projects/**/*.yaml`` directly (only the ``blockchain`` entries), so the sample does not depend on the
    registry being valid; without a registry folder, the OP token and the SwapRouter.
    """
    contracts: list[str] = []
    deployers: list[str] = []
    files = sorted((registry_dir / "projects").glob("*/*.yaml")) if registry_dir is not None else []
    for path in files:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        entries = data.get("blockchain") if isinstance(data, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            address = str(entry.get("address", "")).strip().lower()
            networks = {str(n).lower() for n in entry.get("networks") or []}
            tags = {str(t).lower() for t in entry.get("tags") or []}
            if len(address) != 42 or not networks & set(NETWORKS):
                continue
            if tags & set(DEPLOYER_TAGS):
                deployers.append(address)
            elif "eoa" not in tags:
                contracts.append(address)
    if not contracts:
        contracts = list(DEFAULT_CONTRACTS)
    return SampleAddresses(tuple(dict.fromkeys(contracts)), tuple(dict.fromkeys(deployers)))


def write_demo_optimism_sample(out_dir: Path, registry_dir: Path | None = None) -> list[Path]:
    """Write the demo's Optimism days (DEMO_START..DEMO_END) under `out_dir`; returns the files written.

    `registry_dir` defaults to the project's ``registry/`` folder.
    """
    if registry_dir is None:
        from ingestion.settings import PROJECT_DIR

        registry_dir = PROJECT_DIR / "registry"
    addresses = sample_addresses(registry_dir if registry_dir.is_dir() else None)
    days = [DEMO_START + timedelta(days=n) for n in range((DEMO_END - DEMO_START).days + 1)]
    return write_sample(
        out_dir,
        addresses,
        days,
        formats=[DEMO_FORMATS[day] for day in days],
        seed=DEMO_SEED,
        noise_per_day=DEMO_NOISE_PER_DAY,
    )


def write_sample(
    out_dir: Path,
    addresses: SampleAddresses,
    days: Sequence[date],
    formats: Sequence[str],
    seed: int = DEMO_SEED,
    noise_per_day: int = DEMO_NOISE_PER_DAY,
    calls_per_contract: int = DEMO_CALLS_PER_CONTRACT_PER_DAY,
) -> list[Path]:
    """Write one transactions and one receipts file per day, day i in formats[i]; returns the paths written."""
    generator = _Generator(random.Random(seed), addresses)
    written: list[Path] = []
    for day, fmt in zip(days, formats, strict=True):
        txs = generator.day(day, noise_per_day, calls_per_contract)
        written += _write_day(out_dir, day, fmt, txs)
    return written


class _Generator:
    def __init__(self, rng: random.Random, addresses: SampleAddresses):
        self.rng = rng
        self.addresses = addresses
        self.users = [self._address("user", n) for n in range(60)]
        self.bot = self._address("bot", 0)
        self.deployed: list[str] = []

    def _address(self, kind: str, n: int) -> str:
        return "0x" + hashlib.sha256(f"impact-sample:{kind}:{n}".encode()).hexdigest()[:40]

    def _noise_address(self) -> str:
        return self._address("noise", self.rng.randrange(5_000))

    def _moment(self, day: date, hour: int | None = None) -> datetime:
        second = self.rng.randrange(3600) if hour is not None else self.rng.randrange(86_400)
        start = datetime(day.year, day.month, day.day, hour or 0)
        return start + timedelta(seconds=second)

    def _tx(
        self, moment: datetime, sender: str, to: str | None, data: str, status: int = 1, value: int = 0
    ) -> _Tx:
        rng = self.rng
        gas_used = 21_000 if data == "0x" else rng.randrange(45_000, 260_000)
        price = rng.randrange(1_000_000, 2_000_000_000)  # 0.001 to 2 gwei, as on OP Mainnet
        created = None
        if to is None:
            created = self._address("created", len(self.deployed))
            self.deployed.append(created)
        return _Tx(
            moment=moment,
            sender=sender,
            to=to,
            value=value,
            gas=gas_used + rng.randrange(0, 40_000),
            gas_price=price,
            input=data,
            gas_used=gas_used,
            status=status,
            contract_address=created if status == 1 else None,
            l1_fee=rng.randrange(10**9, 10**13),
        )

    def _call_data(self) -> str:
        rng = self.rng
        words = "".join(f"{rng.getrandbits(256):064x}" for _ in range(rng.randrange(1, 4)))
        return rng.choice(SELECTORS) + words

    def day(self, day: date, noise: int, calls_per_contract: int) -> list[_Tx]:
        rng = self.rng
        txs: list[_Tx] = []
        targets = list(self.addresses.contracts) + self.deployed
        for contract in targets:
            for _ in range(calls_per_contract):
                txs.append(self._tx(self._moment(day), rng.choice(self.users), contract, self._call_data()))
        contract = OP_TOKEN if OP_TOKEN in self.addresses.contracts else self.addresses.contracts[0]
        # A plain ETH transfer to a tracked address, and one failed call.
        txs.append(self._tx(self._moment(day), rng.choice(self.users), contract, "0x", value=10**17))
        txs.append(self._tx(self._moment(day), rng.choice(self.users), contract, self._call_data(), status=0))
        for deployer in self.addresses.deployers:
            txs.append(
                self._tx(self._moment(day), deployer, None, CREATION_CODE + f"{rng.getrandbits(64):016x}")
            )
        if day == BOT_DAY:
            hour = 14
            for _ in range(BOT_CALLS_IN_ONE_HOUR):
                txs.append(self._tx(self._moment(day, hour), self.bot, contract, self._call_data()))
        for _ in range(noise):
            data = "0x" if rng.random() < 0.4 else self._call_data()
            value = rng.randrange(10**12, 10**19) if data == "0x" else 0
            txs.append(
                self._tx(self._moment(day), self._noise_address(), self._noise_address(), data, value=value)
            )
        txs.sort(key=lambda tx: (tx.moment, tx.sender, tx.input))
        return txs


def _mixed_case(address: str | None, n: int) -> str | None:
    """Every third address is written with upper-case hex letters, as explorers print checksummed addresses."""
    if address is None or n % 3:
        return address
    return "0x" + address[2:].upper()


def _rows(txs: Iterable[_Tx], first: datetime) -> tuple[list[dict], list[dict]]:
    """The transactions and receipts rows (Python values: ints for wei, aware datetimes) in block order."""
    tx_rows: list[dict] = []
    receipt_rows: list[dict] = []
    index_in_block: dict[int, int] = {}
    nonces: dict[str, int] = {}
    for n, tx in enumerate(txs):
        block = FIRST_BLOCK + int((tx.moment - first).total_seconds()) // 2
        index = index_in_block.get(block, 0)
        index_in_block[block] = index + 1
        nonce = nonces.get(tx.sender, 0)
        nonces[tx.sender] = nonce + 1
        tx_hash = "0x" + hashlib.sha256(f"impact-sample-tx:{tx.moment.isoformat()}:{n}".encode()).hexdigest()
        moment = tx.moment.replace(tzinfo=UTC)
        tx_rows.append(
            {
                "block_timestamp": moment,
                "block_number": block,
                "transaction_hash": tx_hash,
                "transaction_index": index,
                "from_address": _mixed_case(tx.sender, n),
                "to_address": _mixed_case(tx.to, n + 1),
                "value": tx.value,
                "gas": tx.gas,
                "gas_price": tx.gas_price,
                "input": tx.input,
                "nonce": nonce,
            }
        )
        receipt_rows.append(
            {
                "transaction_hash": tx_hash,
                "block_timestamp": moment,
                "gas_used": tx.gas_used,
                "effective_gas_price": tx.gas_price,
                "status": tx.status,
                "contract_address": tx.contract_address,
                "l1_fee": tx.l1_fee,
            }
        )
    return tx_rows, receipt_rows


WEI_COLUMNS = frozenset({"value", "gas_price"})
"""Columns that are a BigQuery RECORD {string_value, bignumeric_value} in the transactions table."""


def _write_day(out_dir: Path, day: date, fmt: str, txs: list[_Tx]) -> list[Path]:
    first = datetime(DEMO_START.year, DEMO_START.month, DEMO_START.day)
    tx_rows, receipt_rows = _rows(txs, first)
    paths = []
    for table, rows, columns in (
        ("transactions", tx_rows, TX_COLUMNS),
        ("receipts", receipt_rows, RECEIPT_COLUMNS),
    ):
        path = out_dir / table / f"{day.isoformat()}{fmt}"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_table(path, rows, columns)
        paths.append(path)
    return paths


def write_table(path: Path, rows: Sequence[dict], columns: Sequence[str]) -> None:
    """Write rows in the format named by the path's extension (.parquet, .csv, .json, .json.gz)."""
    name = path.name
    if name.endswith(".parquet"):
        _write_parquet(path, rows, columns)
    elif name.endswith(".csv"):
        _write_csv(path, rows, columns)
    elif name.endswith(".json.gz"):
        with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as handle:
            handle.write(_json_lines(rows, columns))
    elif name.endswith(".json"):
        path.write_bytes(_json_lines(rows, columns))
    else:
        raise ValueError(f"{path}: unknown extension")


def _bq_record(value: int) -> dict[str, str]:
    return {"string_value": str(value), "bignumeric_value": str(value)}


def _bq_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _json_lines(rows: Sequence[dict], columns: Sequence[str]) -> bytes:
    lines = []
    for row in rows:
        out: dict[str, object] = {}
        for column in columns:
            value = row[column]
            if column in WEI_COLUMNS:
                value = _bq_record(int(value))
            elif isinstance(value, datetime):
                value = _bq_timestamp(value)
            elif column in ("effective_gas_price", "l1_fee") and value is not None:
                value = str(value)
            out[column] = value
        lines.append(json.dumps(out, separators=(",", ":")))
    return ("\n".join(lines) + "\n").encode()


def _write_csv(path: Path, rows: Sequence[dict], columns: Sequence[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(
                [
                    _bq_timestamp(row[c])
                    if isinstance(row[c], datetime)
                    else ("" if row[c] is None else row[c])
                    for c in columns
                ]
            )


_RECORD = pa.struct([("string_value", pa.string()), ("bignumeric_value", pa.decimal128(38, 0))])


def _write_parquet(path: Path, rows: Sequence[dict], columns: Sequence[str]) -> None:
    arrays = {}
    for column in columns:
        values = [row[column] for row in rows]
        if column in WEI_COLUMNS:
            arrays[column] = pa.array(
                [{"string_value": str(v), "bignumeric_value": Decimal(v)} for v in values], _RECORD
            )
        elif column == "block_timestamp":
            arrays[column] = pa.array(values, pa.timestamp("us", tz="UTC"))
        elif column in ("effective_gas_price", "l1_fee"):
            arrays[column] = pa.array(
                [None if v is None else Decimal(v) for v in values], pa.decimal128(38, 0)
            )
        elif column in ("block_number", "transaction_index", "gas", "nonce", "gas_used", "status"):
            arrays[column] = pa.array(values, pa.int64())
        else:
            arrays[column] = pa.array(values, pa.string())
    pq.write_table(pa.table(arrays), path, compression="zstd")


__all__ = [
    "DEMO_END",
    "DEMO_FORMATS",
    "DEMO_START",
    "SampleAddresses",
    "sample_addresses",
    "write_demo_optimism_sample",
    "write_sample",
    "write_table",
]

"""Warehouse column types -> Postgres column types: the one explicit table the exporter trusts.

A mart's contract (dbt `data_type`, in the warehouse's own dialect) decides the Postgres type. Every type the
exporter can carry exactly is listed here; anything else is refused with a message naming the column, so a new
type is a decision (add a row and a test), never a silent guess. Types that would lose information are not listed
(DuckDB `timestamp_ns`: Postgres keeps microseconds; `hugeint`/`ubigint`: wider than the Arrow path carries).

BigQuery names follow BigQuery's meanings: `timestamp` is an instant (timestamptz), `datetime` a wall-clock time,
`float`/`float64` are 8 bytes, `numeric` is NUMERIC(38,9) and `bignumeric` BIGNUMERIC(76,38) unless parameterised,
`string(n)` is text, and `array<string>` is `text[]` (BigQuery stores a NULL array as an empty one: it arrives as
`{}`, never as NULL).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """How values of a Postgres column are encoded on the COPY stream."""

    TEXT = "text"
    BOOL = "boolean"
    INT2 = "smallint"
    INT4 = "integer"
    INT8 = "bigint"
    FLOAT4 = "real"
    FLOAT8 = "double precision"
    NUMERIC = "numeric"
    DATE = "date"
    TIMESTAMP = "timestamp without time zone"
    TIMESTAMPTZ = "timestamp with time zone"
    TIME = "time without time zone"
    TEXT_ARRAY = "text[]"


MAX_NUMERIC_PRECISION = 76
"""Postgres takes up to 1000; the warehouses give at most 38 (DuckDB, BigQuery NUMERIC) or 76 (BIGNUMERIC)."""


@dataclass(frozen=True)
class PgType:
    """A Postgres column type. `ddl` is built only from this module's constants and validated integers."""

    kind: Kind
    precision: int | None = None
    scale: int | None = None

    @property
    def ddl(self) -> str:
        if self.kind is Kind.NUMERIC:
            return f"numeric({self.precision},{self.scale})"
        return self.kind.value

    def __str__(self) -> str:
        return self.ddl


class UnknownTypeError(ValueError):
    """A contract type with no mapping; the caller names the model and column."""


_DUCKDB: dict[str, Kind] = {
    "varchar": Kind.TEXT,
    "text": Kind.TEXT,
    "string": Kind.TEXT,
    "char": Kind.TEXT,
    "bpchar": Kind.TEXT,
    "boolean": Kind.BOOL,
    "bool": Kind.BOOL,
    "logical": Kind.BOOL,
    "tinyint": Kind.INT2,
    "int1": Kind.INT2,
    "utinyint": Kind.INT2,
    "smallint": Kind.INT2,
    "int2": Kind.INT2,
    "short": Kind.INT2,
    "usmallint": Kind.INT4,
    "integer": Kind.INT4,
    "int": Kind.INT4,
    "int4": Kind.INT4,
    "signed": Kind.INT4,
    "uinteger": Kind.INT8,
    "bigint": Kind.INT8,
    "int8": Kind.INT8,
    "long": Kind.INT8,
    "real": Kind.FLOAT4,
    "float": Kind.FLOAT4,
    "float4": Kind.FLOAT4,
    "double": Kind.FLOAT8,
    "float8": Kind.FLOAT8,
    "double precision": Kind.FLOAT8,
    "date": Kind.DATE,
    "timestamp": Kind.TIMESTAMP,
    "datetime": Kind.TIMESTAMP,
    "timestamp without time zone": Kind.TIMESTAMP,
    "timestamp_us": Kind.TIMESTAMP,
    "timestamp_ms": Kind.TIMESTAMP,
    "timestamp_s": Kind.TIMESTAMP,
    "timestamptz": Kind.TIMESTAMPTZ,
    "timestamp with time zone": Kind.TIMESTAMPTZ,
    "time": Kind.TIME,
    "time without time zone": Kind.TIME,
}
_DUCKDB_DEFAULT_DECIMAL = (18, 3)

_BIGQUERY: dict[str, Kind] = {
    "string": Kind.TEXT,
    "bool": Kind.BOOL,
    "boolean": Kind.BOOL,
    "int64": Kind.INT8,
    "int": Kind.INT8,
    "integer": Kind.INT8,
    "smallint": Kind.INT8,
    "bigint": Kind.INT8,
    "tinyint": Kind.INT8,
    "byteint": Kind.INT8,
    "float64": Kind.FLOAT8,
    "float": Kind.FLOAT8,  # the REST API's name for FLOAT64 (8 bytes, unlike DuckDB's float)
    "date": Kind.DATE,
    "datetime": Kind.TIMESTAMP,
    "timestamp": Kind.TIMESTAMPTZ,
    "time": Kind.TIME,
    "array<string>": Kind.TEXT_ARRAY,
}
_BIGQUERY_DECIMALS: dict[str, tuple[int, int]] = {
    "numeric": (38, 9),
    "decimal": (38, 9),
    "bignumeric": (76, 38),
    "bigdecimal": (76, 38),
}

_DIALECTS: dict[str, dict[str, Kind]] = {"duckdb": _DUCKDB, "bigquery": _BIGQUERY}

_DECIMAL = re.compile(r"^(decimal|numeric|bignumeric|bigdecimal)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?$")
_SIZED_TEXT = re.compile(r"^(varchar|char|bpchar|string)\s*\(\s*\d+\s*\)$")
_BIGQUERY_SIZED_TEXT = re.compile(r"^string\s*\(\s*\d+\s*\)$")
_AROUND_ANGLES = re.compile(r"\s*([<>])\s*")


def supported_types(dialect: str) -> list[str]:
    names = set(_DIALECTS.get(dialect, {}))
    names.add("decimal(p,s)")
    if dialect == "bigquery":
        names.update(_BIGQUERY_DECIMALS)
    return sorted(names)


def pg_type(data_type: str, dialect: str = "duckdb") -> PgType:
    """The Postgres type for a contract `data_type` of the given warehouse dialect (duckdb, bigquery).

    Raises UnknownTypeError (message lists what is supported) for anything not in the table.
    """
    if dialect not in _DIALECTS:
        raise UnknownTypeError(
            f"no type mapping for warehouse dialect {dialect!r} (known: {', '.join(sorted(_DIALECTS))})"
        )
    name = " ".join(data_type.strip().lower().split())
    if dialect == "bigquery":
        name = _AROUND_ANGLES.sub(r"\1", name)  # `ARRAY< STRING >` -> `array<string>`
    kind = _DIALECTS[dialect].get(name)
    if kind is not None:
        return PgType(kind)
    if dialect == "duckdb" and _SIZED_TEXT.match(name):
        return PgType(Kind.TEXT)
    if dialect == "bigquery" and _BIGQUERY_SIZED_TEXT.match(name):
        return PgType(Kind.TEXT)
    match = _DECIMAL.match(name)
    if match:
        return _decimal(match, dialect, data_type)
    raise UnknownTypeError(
        f"data_type {data_type!r} has no Postgres mapping for {dialect}; supported: "
        f"{', '.join(supported_types(dialect))}. Cast the column in the model to one of them, or add a "
        "mapping (and a round-trip test) in ingestion/export/types.py"
    )


def _decimal(match: re.Match[str], dialect: str, data_type: str) -> PgType:
    base, precision, scale = match.group(1), match.group(2), match.group(3)
    if dialect == "duckdb":
        if base not in ("decimal", "numeric"):
            raise UnknownTypeError(f"data_type {data_type!r} is not a DuckDB type")
        if precision is None:
            p, s = _DUCKDB_DEFAULT_DECIMAL
        else:
            p, s = int(precision), int(scale or 0)
        limit = 38
    else:
        default_p, default_s = _BIGQUERY_DECIMALS[base]
        p, s = (default_p, default_s) if precision is None else (int(precision), int(scale or 0))
        limit = MAX_NUMERIC_PRECISION
    if not (1 <= p <= limit) or not (0 <= s <= p):
        raise UnknownTypeError(
            f"data_type {data_type!r}: precision must be 1..{limit} and scale 0..precision"
        )
    return PgType(Kind.NUMERIC, p, s)

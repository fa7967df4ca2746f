"""Write format-faithful GH Archive hour files of any size (see ingestion/sample/gharchive.py for what is in them).

Example:
    .venv/bin/python bench/generate_gharchive.py --out bench/out/gharchive --start 2025-10-06 --days 2 \\
        --events-per-hour 10000 --tracked-fraction 0.01

writes 48 files 2025-10-06-0.json.gz .. 2025-10-07-23.json.gz (one day on each side of GH Archive's 2025-10-07
payload change), about 480,000 events, 1% of them on the sample registry's repos.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

from ingestion.sample import gharchive
from ingestion.sample.gharchive import SAMPLE_REPOS, generate_hour_files, hour_file_name

MANIFEST = "manifest.json"
DEFAULT_OUT = Path(__file__).resolve().parent / "out" / "gharchive"
GENERATOR = hashlib.sha256(Path(gharchive.__file__).read_bytes()).hexdigest()[:16]
"""Fingerprint of the generator's code: a set made by other code is not reused."""


@dataclass(frozen=True)
class Params:
    """What a generated set is made of: the same Params give byte-identical files."""

    start: str
    days: int
    events_per_hour: int
    tracked_fraction: float
    seed: int

    @property
    def tracked_per_hour(self) -> int:
        return round(self.events_per_hour * self.tracked_fraction)

    @property
    def noise_per_hour(self) -> int:
        return self.events_per_hour - self.tracked_per_hour

    @property
    def first_day(self) -> date:
        return date.fromisoformat(self.start)

    @property
    def last_day(self) -> date:
        return self.first_day + timedelta(days=self.days - 1)


@dataclass(frozen=True)
class GeneratedSet:
    params: Params
    files: tuple[Path, ...]
    events: int
    tracked_events: int
    uncompressed_bytes: int
    compressed_bytes: int
    seconds: float  # generation time (0 when reused)


def generate(out: Path, params: Params) -> GeneratedSet:
    """Generate the hour files into `out` (old hour files there are removed first) and write a manifest."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.json.gz"):
        old.unlink()
    started = time.perf_counter()
    files = generate_hour_files(
        out,
        params.first_day,
        params.last_day,
        tracked_repos=SAMPLE_REPOS,
        seed=params.seed,
        tracked_events_per_hour=params.tracked_per_hour,
        noise_events_per_hour=params.noise_per_hour,
    )
    seconds = time.perf_counter() - started
    result = GeneratedSet(
        params=params,
        files=tuple(f.path for f in files),
        events=sum(f.events for f in files),
        tracked_events=sum(f.tracked_events for f in files),
        uncompressed_bytes=sum(f.uncompressed_bytes for f in files),
        compressed_bytes=sum(f.compressed_bytes for f in files),
        seconds=seconds,
    )
    manifest = {
        "generator": GENERATOR,
        "params": asdict(params),
        "files": {f.path.name: f.compressed_bytes for f in files},
        "events": result.events,
        "tracked_events": result.tracked_events,
        "uncompressed_bytes": result.uncompressed_bytes,
        "compressed_bytes": result.compressed_bytes,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return result


def load_or_generate(out: Path, params: Params, regenerate: bool = False) -> GeneratedSet:
    """Reuse the set in `out` when its manifest says it was made with `params` by the same generator code and
    every file is intact; otherwise generate it."""
    manifest_path = out / MANIFEST
    if not regenerate and manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        sizes: dict[str, int] = manifest["files"]
        intact = all(
            (out / name).is_file() and (out / name).stat().st_size == size for name, size in sizes.items()
        )
        same = manifest.get("generator") == GENERATOR and manifest["params"] == asdict(params)
        if same and intact:
            return GeneratedSet(
                params=params,
                files=tuple(out / name for name in sizes),
                events=manifest["events"],
                tracked_events=manifest["tracked_events"],
                uncompressed_bytes=manifest["uncompressed_bytes"],
                compressed_bytes=manifest["compressed_bytes"],
                seconds=0.0,
            )
    return generate(out, params)


def add_arguments(parser: argparse.ArgumentParser, default_out: Path) -> None:
    parser.add_argument(
        "--out", type=Path, default=default_out, help="directory of the hour files (default %(default)s)"
    )
    parser.add_argument(
        "--start",
        default="2025-10-06",
        help="first day, YYYY-MM-DD (default %(default)s; 2025-10-07 is the change)",
    )
    parser.add_argument(
        "--days", type=int, default=2, help="number of days, 24 files each (default %(default)s)"
    )
    parser.add_argument(
        "--events-per-hour",
        type=int,
        default=10_000,
        help="average lines per hour file (default %(default)s)",
    )
    parser.add_argument(
        "--tracked-fraction",
        type=float,
        default=0.01,
        help="share of lines on the sample registry's repos; the rest are untracked repos (default %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed (default %(default)s)")


def params_from(args: argparse.Namespace) -> Params:
    try:
        date.fromisoformat(args.start)
    except ValueError:
        raise SystemExit(f"--start {args.start!r} is not a date: give YYYY-MM-DD, e.g. 2025-10-06") from None
    if args.days < 1:
        raise SystemExit("--days must be at least 1")
    if args.events_per_hour < 1:
        raise SystemExit("--events-per-hour must be at least 1")
    if not 0.0 <= args.tracked_fraction <= 1.0:
        raise SystemExit("--tracked-fraction is a share between 0 and 1, e.g. 0.01")
    return Params(args.start, args.days, args.events_per_hour, args.tracked_fraction, args.seed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser, DEFAULT_OUT)
    args = parser.parse_args(argv)
    params = params_from(args)
    result = generate(args.out, params)
    first = hour_file_name(params.first_day, 0)
    last = hour_file_name(params.last_day, 23)
    print(
        f"wrote {len(result.files)} files {first} .. {last} to {args.out}: {result.events:,} events "
        f"({result.tracked_events:,} tracked), {result.uncompressed_bytes / 1e6:,.1f} MB uncompressed, "
        f"{result.compressed_bytes / 1e6:,.1f} MB gzip, in {result.seconds:.1f} s "
        f"({result.events / result.seconds:,.0f} events/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark the registry check and load on a generated registry the size and shape of oss-directory.

Example:
    .venv/bin/python bench/bench_registry.py              # 7,112 projects, best of 3
    .venv/bin/python bench/bench_registry.py --runs 1     # a quick look

It generates (or reuses, when bench/out/registry/manifest.json says the same parameters made it) an
oss-directory-shaped registry: 7,112 project files and 117 collections, ~24,000 GitHub URLs of which ~5,500 whole
orgs, ~23,600 blockchain entries on 22 networks, npm/crates/pypi/go/open_collective/defillama URLs, and the
oddities the real one has (trailing slashes, `.git`, a repo listed twice, ~80 repos inside another project's org,
one org claimed by two projects in two cases, nine addresses on two projects, addresses of 41 and 43 characters
and an empty one, a README.md in projects/). Then it measures, best of --runs, in this process:

  validate  ingestion.registry.check_registry(dir, seeds): every file read and checked (what
            `impact registry validate` does)
  load      load_registry + write_registry into a fresh DuckDB file (what `impact registry load` does)

and prints a markdown table (wall seconds, CPU seconds, files/s), also written to bench/out/registry-latest.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ingestion.registry import check_registry, load_registry, write_registry
from ingestion.warehouse import connect

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
SEEDS = ROOT / "seeds"
GENERATOR_VERSION = 2

NETWORKS = [
    "mainnet", "optimism", "base", "arbitrum_one", "matic", "zora", "mode", "linea", "scroll", "zksync_era",
    "frax", "metal", "unichain", "worldchain", "soneium", "ink", "bob", "lisk", "swell", "mantle",
    "polygon_zkevm", "any_evm",
]  # fmt: skip
TAGS = ["contract", "eoa", "deployer", "proxy", "safe", "wallet", "factory", "bridge", "creator"]


def _project_text(name: str, body: dict[str, Any]) -> str:
    doc = {"version": 7, "name": name, "display_name": name.replace("-", " ").title(), **body}
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def generate(out: Path, projects: int, seed: int) -> dict[str, int]:
    """Write the registry into `out` (replaced); returns what it holds."""
    if out.exists():
        shutil.rmtree(out)
    (out / "projects").mkdir(parents=True)
    (out / "collections").mkdir()
    rng = random.Random(seed)
    names = [f"{rng.choice('abcdefghijklmnopqrstuvwxyz0123456789')}proj-{i:05d}" for i in range(projects)]
    names[1] = "foo.git-bar"  # a '.' in a name, as oss-directory has
    counts = {"github_urls": 0, "orgs": 0, "blockchain_entries": 0, "package_urls": 0, "projects": projects}
    orgs_by_project: dict[int, str] = {}
    addresses: list[str] = []
    bodies: list[dict[str, Any]] = []
    for index, name in enumerate(names):
        body: dict[str, Any] = {"description": f"Project {index}: generated for the registry benchmark."}
        github: list[dict[str, str]] = []
        # ~5,500 orgs over 7,112 projects (0.77 each) and ~18,500 repos (2.6 each, skewed).
        if rng.random() < 0.77:
            org = f"Org-{index:05d}"
            orgs_by_project[index] = org.lower()
            github.append({"url": f"https://github.com/{org}"})
        for repo in range(min(int(rng.expovariate(1 / 3.05)), 200)):
            github.append({"url": f"https://github.com/owner-{index:05d}/repo-{repo}"})
        if github:
            body["github"] = github
        if rng.random() < 0.25:
            body["websites"] = [{"url": f"https://{name.replace('.', '-')}.example.org"}]
        if rng.random() < 0.3:
            body["social"] = {"twitter": [{"url": f"https://twitter.com/p{index}"}]}
        if rng.random() < 0.08:
            body["npm"] = [{"url": f"https://www.npmjs.com/package/@s{index}/pkg-{k}"} for k in range(3)]
        if rng.random() < 0.02:
            body["crates"] = [{"url": f"https://crates.io/crates/crate-{index}"}]
        if rng.random() < 0.01:
            body["pypi"] = [{"url": f"https://pypi.org/project/py-{index}"}]
        if rng.random() < 0.005:
            body["go"] = [{"url": f"https://github.com/owner-{index:05d}/repo-0"}]
            body["open_collective"] = [{"url": f"https://opencollective.com/oc-{index}"}]
        if rng.random() < 0.05:
            body["defillama"] = [{"url": f"https://defillama.com/protocol/proto-{index}"}]
            body["token_coingecko_api_id"] = f"token-{index}"
        # ~23,600 blockchain entries, concentrated in a fifth of the projects.
        if rng.random() < 0.2:
            entries = []
            for _ in range(min(int(rng.expovariate(1 / 16.6)) + 1, 400)):
                address = f"0x{rng.getrandbits(160):040x}"
                addresses.append(address)
                nets = (
                    rng.sample(NETWORKS[:-1], rng.choice([1, 1, 1, 2, 3]))
                    if rng.random() > 0.05
                    else ["any_evm"]
                )
                entries.append({"address": address, "networks": nets, "tags": [rng.choice(TAGS)]})
            body["blockchain"] = entries
        bodies.append(body)

    # The oddities of the real registry.
    bodies[2].setdefault("github", []).extend(
        [{"url": "https://github.com/owner-00002/odd/"}, {"url": "https://github.com/owner-00002/odd.git"}]
    )
    with_orgs = sorted(orgs_by_project)
    for k in range(80):  # a repo of another project's org
        claimant, owner = with_orgs[k], with_orgs[-1 - k]
        bodies[claimant].setdefault("github", []).append(
            {"url": f"https://github.com/{orgs_by_project[owner]}/one-repo"}
        )
    bodies[3]["github"] = [*bodies[3].get("github", []), {"url": "https://github.com/Shared-Org"}]
    bodies[4]["github"] = [*bodies[4].get("github", []), {"url": "https://github.com/shared-org"}]
    shared = [f"0x{rng.getrandbits(160):040x}" for _ in range(9)]
    for k, address in enumerate(shared):
        for project in (10 + k, 20 + k):
            bodies[project].setdefault("blockchain", []).append(
                {"address": address, "networks": ["optimism"], "tags": ["contract"]}
            )
    bodies[5].setdefault("blockchain", []).extend(
        [
            {"address": "0x" + "a" * 39, "networks": ["base"], "tags": ["eoa"]},
            {"address": "0x" + "b" * 41, "networks": ["base"], "tags": ["eoa"]},
            {"address": "", "networks": ["base"], "tags": ["eoa"]},
        ]
    )

    for name, body in zip(names, bodies, strict=True):
        counts["github_urls"] += len(body.get("github", []))
        counts["orgs"] += sum(1 for g in body.get("github", []) if g["url"].rstrip("/").count("/") == 3)
        counts["blockchain_entries"] += len(body.get("blockchain", []))
        for key in ("npm", "crates", "pypi", "go", "open_collective", "defillama"):
            counts["package_urls"] += len(body.get(key, []))
        folder = out / "projects" / name[0]
        folder.mkdir(exist_ok=True)
        (folder / f"{name}.yaml").write_text(_project_text(name, body), encoding="utf-8")
    (out / "projects" / "README.md").write_text("# Projects\n", encoding="utf-8")
    members = 0
    for c in range(117):
        chosen = sorted(rng.sample(names, rng.randint(5, 300)))
        members += len(chosen)
        doc = {
            "version": 7,
            "name": f"collection-{c:03d}",
            "display_name": f"Collection {c}",
            "projects": chosen,
        }
        (out / "collections" / f"collection-{c:03d}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    counts["collections"] = 117
    counts["memberships"] = members
    return counts


def load_or_generate(out: Path, projects: int, seed: int, regenerate: bool) -> dict[str, int]:
    manifest = out / "manifest.json"
    params = {"projects": projects, "seed": seed, "generator": GENERATOR_VERSION}
    if not regenerate and manifest.is_file():
        saved = json.loads(manifest.read_text())
        if saved.get("params") == params:
            return dict(saved["counts"])
    counts = generate(out, projects, seed)
    manifest.write_text(json.dumps({"params": params, "counts": counts}, indent=2))
    return counts


def best_of(runs: int, once: Callable[[], object]) -> tuple[float, float, list[float]]:
    """(best wall seconds, CPU seconds of that run, every run's wall seconds)."""
    walls: list[tuple[float, float]] = []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        once()
        walls.append((time.perf_counter() - wall, time.process_time() - cpu))
    best = min(walls)
    return best[0], best[1], [w for w, _ in walls]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--projects", type=int, default=7112)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()

    registry_dir = OUT / "registry"
    counts = load_or_generate(registry_dir, args.projects, args.seed, args.regenerate)
    files = counts["projects"] + counts["collections"]

    registry, problems = check_registry(registry_dir, SEEDS)
    errors = [p for p in problems if p.severity == "error"]
    assert not errors, errors[:5]

    def validate() -> None:
        check_registry(registry_dir, SEEDS)

    warehouse = OUT / "registry-bench.duckdb"
    written: dict[str, int] = {}

    def load() -> None:
        for path in (warehouse, warehouse.with_suffix(".duckdb.wal")):
            path.unlink(missing_ok=True)
        con = connect(warehouse)
        try:
            written.update(write_registry(con, load_registry(registry_dir, SEEDS)))
        finally:
            con.close()

    rows = []
    for step, what, once in (
        ("validate", "`check_registry`: read and check every file", validate),
        ("load", "`load_registry` + `write_registry` into a fresh DuckDB file", load),
    ):
        best, cpu, runs = best_of(args.runs, once)
        rows.append(
            f"| {step} | {what} | {best:.2f} | {cpu:.2f} | {files / best:,.0f} | "
            f"{', '.join(f'{r:.2f}' for r in runs)} |"
        )
    size = f"{counts['projects']:,} projects, {counts['collections']} collections ({counts['memberships']:,} memberships)"
    shape = (
        f"{counts['github_urls']:,} GitHub URLs ({counts['orgs']:,} orgs), {counts['blockchain_entries']:,} "
        f"blockchain entries, {counts['package_urls']:,} package/funding URLs"
    )
    table = "\n".join(
        [
            f"{size}; {shape}. {len(problems)} warnings, no error. Written: {written}.",
            f"Python {platform.python_version()}, {os.cpu_count()} cores, libyaml {yaml.__with_libyaml__}. "
            f"Best of {args.runs}:",
            "",
            "| step | what | best s | CPU s | files/s | runs (s) |",
            "|---|---|---:|---:|---:|---|",
            *rows,
        ]
    )
    print(table)
    (OUT / "registry-latest.md").write_text(table + "\n")
    del registry


if __name__ == "__main__":
    main()

"""Benchmark `impact report`: one project page, and the whole site for a generated warehouse of 7,000 projects.

Example:
    .venv/bin/python bench/bench_report.py                          # 7,000 projects, 730 days (~2 min with generation)
    .venv/bin/python bench/bench_report.py --projects 500 --days 120  # a quick look

It writes bench/out/report/warehouse.duckdb (reused when made with the same parameters), holding the tables the
report reads, with the marts' names and columns, written straight with DuckDB SQL (building 7,000 projects'
metrics through dbt would take far longer than the thing measured):

  projects_v1, collections_v1 (100), projects_by_collection_v1   each project in 0 to 2 collections
  artifacts_v1, artifacts_by_project_v1                           1 to 6 repositories per project, an address for 1 in 5
  metrics_v1                                                      the catalog's names, units and requirements
                                                                  (macros/metrics/metric_catalog.sql)
  timeseries_metrics_by_project_v1 / _by_collection_v1           every metric on every day for the 30d window
                                                                  (the charts'), every 7th day for 7d (the
                                                                  sparklines'), the other windows on the last day
                                                                  only: rows the report filters out are not made;
                                                                  stored sorted by entity id, then metric and day,
                                                                  as the dbt build stores them on DuckDB
                                                                  (storage_order in metric_timeseries), so that a
                                                                  filter on one id skips the other row groups
  code_metrics_by_project_v1, onchain_metrics_by_project_v1       the last day's values, pivoted
  github_data_coverage_v1, raw._loads                             one row per day; commits and merges unknown from
                                                                  2025-10-07, one missing hour

A project's activity follows a power law: 40% have none (every value 0), a few are busy. Then it times:

  one page   write_entities for one busy project (its query, its page), best of 5
  site       write_site for the whole warehouse, --workers processes (default: the CPU count)

and prints a markdown table (also bench/out/report_latest.md and .json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from ingestion.metric_catalog import read_catalog
from ingestion.site.data import build_plan
from ingestion.site.render import prepare_out, write_entities, write_site

REPO_ROOT = Path(__file__).resolve().parents[1]
OUT = REPO_ROOT / "bench" / "out"
LAST_DAY = date(2025, 12, 15)
DRIFT_DAY = date(2025, 10, 7)
NO_ALL_TIME = {"classify_from", "count_new_from", "count_returning_from", "median_duration"}


def catalog() -> list[dict]:
    return read_catalog(REPO_ROOT)


def generate(path: Path, projects: int, days: int, collections: int) -> None:
    """The warehouse described in the module docstring."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema marts; create schema raw")
        metrics = catalog()
        con.execute(
            "create table marts.metrics_v1 (catalog_position bigint, metric varchar, description varchar, "
            "unit varchar, requires varchar, windows varchar)"
        )
        con.executemany(
            "insert into marts.metrics_v1 values (?, ?, ?, ?, ?, ?)",
            [
                (
                    n + 1,
                    m["name"],
                    str(m.get("description", "")).strip(),
                    m.get("unit", "events"),
                    m.get("requires"),
                    "7d,30d,90d,180d"
                    + (",all" if m.get("all_time", m.get("aggregation") not in NO_ALL_TIME) else ""),
                )
                for n, m in enumerate(metrics)
            ],
        )
        onchain = [
            m["name"] for m in metrics if set(m.get("event_types", [])) & {"CONTRACT_INVOCATION", "GAS_FEE"}
        ]
        con.execute("create table bench_onchain as select unnest(?::varchar[]) as metric", [onchain])
        con.execute(
            f"""
            create table marts.projects_v1 as
            select md5('p' || i) as project_id, printf('project-%05d', i) as project_name,
                   printf('Project %d', i) as display_name, 'A generated project' as description, i as n,
                   case when i % 10 < 4 then 0 else least(200, cast(1000 / (i % 997 + 5) as integer) + 1) end
                       as activity
            from range({projects}) as t(i)
            """  # noqa: S608 - the bench's own numbers
        )
        con.execute(
            f"""
            create table marts.collections_v1 as
            select md5('c' || i) as collection_id, printf('collection-%03d', i) as collection_name,
                   printf('Collection %d', i) as display_name, 'A generated collection' as description
            from range({collections}) as t(i);
            create table marts.projects_by_collection_v1 as
            select distinct md5('c' || ((n * k * 7919) % {collections})) as collection_id,
                   printf('collection-%03d', (n * k * 7919) % {collections}) as collection_name,
                   project_id, project_name
            from marts.projects_v1, range(1, 3) as t(k) where (n + k) % 3 <> 0;
            create table marts.artifacts_by_project_v1 as
            select md5(project_id || r) as artifact_id, 'GITHUB' as artifact_source, project_name as artifact_namespace,
                   'repo-' || r as artifact_name, 'REPOSITORY' as artifact_type, project_id, project_name
            from marts.projects_v1, range(1 + n % 6) as t(r)
            union all
            select md5(project_id || 'a'), 'BLOCKCHAIN', 'optimism', '0x' || substr(md5(project_id), 1, 40),
                   'ADDRESS', project_id, project_name
            from marts.projects_v1 where n % 5 = 0;
            create table marts.artifacts_v1 as
            select artifact_id, artifact_source, artifact_namespace, artifact_name, artifact_type,
                   null::varchar as artifact_url
            from marts.artifacts_by_project_v1;
            """  # noqa: S608 - the bench's own numbers
        )
        first = LAST_DAY - timedelta(days=days - 1)
        for kind, table, id_column, activity in (
            ("project", "projects_v1", "project_id", "activity"),
            ("collection", "collections_v1", "collection_id", "50"),
        ):
            con.execute(
                f"""
                create table marts.timeseries_metrics_by_{kind}_v1 as
                with days as (
                    select cast(d as date) as sample_date
                    from range(date '{first}', date '{LAST_DAY}' + interval 1 day, interval 1 day) as t(d)
                ),
                windows as (select unnest(['7d', '30d', '90d', '180d', 'all']) as "window")
                select m.metric, e.{id_column} as {kind}_id, d.sample_date, w."window",
                       cast(case when {activity} = 0 then 0
                                 else hash(e.{id_column}, m.metric, d.sample_date, w."window") % ({activity} * 3)
                            end as double) as amount,
                       m.unit,
                       not (m.requires is not null and d.sample_date >= date '{DRIFT_DAY}') as data_complete
                from marts.{table} as e
                cross join marts.metrics_v1 as m
                cross join days as d
                cross join windows as w
                where contains(m.windows, w."window")
                  and (w."window" = '30d' or d.sample_date = date '{LAST_DAY}'
                       or (w."window" = '7d' and date_diff('day', d.sample_date, date '{LAST_DAY}') % 7 = 0))
                order by {kind}_id, m.metric, d.sample_date, w."window"
                """  # noqa: S608 - the bench's own constants
            )
        pivot = []
        for kind, wanted in (("code", "not in"), ("onchain", "in")):
            columns = con.execute(
                f"""select metric, "window" from marts.timeseries_metrics_by_project_v1
                    where sample_date = ? and metric {wanted} (select metric from bench_onchain)
                    group by all order by all""",  # noqa: S608
                [LAST_DAY],
            ).fetchall()
            pivot.append((kind, columns))
        for kind, columns in pivot:
            values = ", ".join(
                f"max(case when t.metric = '{m}' and t.\"window\" = '{w}' then t.amount end) as {m}_{w}"
                for m, w in columns
            )
            flags = (
                ", min(t.data_complete) filter (where t.metric = 'commit_count') as commits_complete_30d"
                if kind == "code"
                else ""
            )
            extra = (
                "count(distinct a.artifact_id) filter (where a.artifact_type = 'REPOSITORY') as repository_count"
                if kind == "code"
                else "count(distinct a.artifact_id) filter (where a.artifact_type = 'ADDRESS') as contract_count"
            )
            where = "" if kind == "code" else "where p.n % 5 = 0"
            con.execute(
                f"""
                create table marts.{kind}_metrics_by_project_v1 as
                select p.project_id, p.project_name, p.display_name, date '{LAST_DAY}' as sample_date, {values}{flags},
                       (select {extra} from marts.artifacts_by_project_v1 as a where a.project_id = p.project_id)
                           as {"repository_count" if kind == "code" else "contract_count"}
                from marts.projects_v1 as p
                join marts.timeseries_metrics_by_project_v1 as t
                    on t.project_id = p.project_id and t.sample_date = date '{LAST_DAY}'
                {where}
                group by all
                """  # noqa: S608
            )
        con.execute(
            f"""
            create table marts.github_data_coverage_v1 as
            select cast(d as date) as archive_day, cast(d as date) < date '{DRIFT_DAY}' as commits_known,
                   cast(d as date) < date '{DRIFT_DAY}' as merges_known
            from range(date '{first}', date '{LAST_DAY}' + interval 1 day, interval 1 day) as t(d);
            create table raw._loads as
            select 'github' as source, archive_day as day, 'ok' as status, now() as finished_at,
                   case when archive_day = date '{DRIFT_DAY}' then ['{DRIFT_DAY}-13.json.gz'] else []::varchar[] end
                       as missing_files,
                   null::varchar as error
            from marts.github_data_coverage_v1;
            drop table bench_onchain;
            checkpoint;
            """  # noqa: S608
        )
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--projects", type=int, default=7000)
    parser.add_argument("--collections", type=int, default=100)
    parser.add_argument("--days", type=int, default=730, help="days of metric rows (and of charts)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()

    folder = OUT / "report"
    warehouse = folder / "warehouse.duckdb"
    manifest = folder / "manifest.json"
    wanted = {"projects": args.projects, "collections": args.collections, "days": args.days, "version": 3}
    generated_seconds = None
    if (
        args.regenerate
        or not warehouse.exists()
        or not manifest.exists()
        or json.loads(manifest.read_text()) != wanted
    ):
        started = time.perf_counter()
        generate(warehouse, args.projects, args.days, args.collections)
        generated_seconds = time.perf_counter() - started
        manifest.write_text(json.dumps(wanted))
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute("select count(*) from marts.timeseries_metrics_by_project_v1").fetchone()
        plan = build_plan(con, "30d", args.days)
        busy = con.execute(
            "select project_id from marts.projects_v1 order by activity desc, project_id limit 1"
        ).fetchone()
    finally:
        con.close()
    assert rows is not None and busy is not None

    site = folder / "site"
    shutil.rmtree(site, ignore_errors=True)
    prepare_out(site)
    one_page = []
    for _ in range(5):
        started = time.perf_counter()
        written = write_entities(warehouse, site, plan, "project", busy[0], busy[0])
        one_page.append(time.perf_counter() - started)
    page_bytes = (site / written[0]).stat().st_size
    shutil.rmtree(site)

    started = time.perf_counter()
    result = write_site(warehouse, site, window="30d", days=args.days, workers=args.workers)
    site_seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())

    figures = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0],
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "projects": args.projects,
        "collections": args.collections,
        "days": args.days,
        "metrics": len(plan.metrics),
        "timeseries_rows": rows[0],
        "chart_points": len(plan.chart_days),
        "generate_seconds": generated_seconds,
        "one_page_best_seconds": min(one_page),
        "one_page_runs": one_page,
        "one_page_bytes": page_bytes,
        "site_seconds": site_seconds,
        "site_pages": result.project_pages + result.collection_pages + 1,
        "site_megabytes": size / 1e6,
        "workers": args.workers,
    }
    table = "\n".join(
        [
            "| what | seconds | detail |",
            "|---|---:|---|",
            f"| one project page (query + render + write), best of 5 | {min(one_page):.3f} | "
            f"busiest project, {page_bytes / 1000:.0f} kB; runs {', '.join(f'{s:.3f}' for s in one_page)} |",
            f"| whole site, {args.workers} workers | {site_seconds:.1f} | {figures['site_pages']:,} pages, "
            f"{size / 1e6:.0f} MB, {site_seconds / max(1, result.project_pages) * 1000:.1f} ms per project page |",
        ]
    )
    text = (
        f"{figures['when']}, {figures['cpus']} cores (load average {figures['load_average']:.1f}), Python "
        f"{figures['python']}, duckdb {figures['duckdb']}: {args.projects:,} projects, {args.collections} "
        f"collections, {figures['metrics']} metrics, {args.days} days, {rows[0]:,} timeseries rows, "
        f"{len(plan.chart_days)} points per chart\n\n{table}\n"
    )
    print(text)
    (OUT / "report_latest.md").write_text(text)
    (OUT / "report_latest.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()

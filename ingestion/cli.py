"""The `impact` command line: one CLI drives every step and the whole run."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date, datetime
from functools import wraps
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from ingestion.errors import ConfigError, ImpactError
from ingestion.settings import TARGETS, Settings

stdout = Console(highlight=False, width=None if sys.stdout.isatty() else 150)
"""Tables go to stdout; piped or captured output gets a fixed, wide width instead of rich's 80 columns."""

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


def _parse_day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a day: use YYYY-MM-DD, e.g. 2025-10-05") from None


def day_range(func: Callable[..., Any]) -> Callable[..., Any]:
    """--start and --end (inclusive, UTC days); --end defaults to --start."""

    @click.option("--start", required=True, callback=_parse_day, help="First UTC day, YYYY-MM-DD.")
    @click.option("--end", callback=_parse_day, help="Last UTC day, inclusive (default: --start).")
    @wraps(func)
    def wrapper(*args: Any, start: date, end: date | None, **kwargs: Any) -> Any:
        end = end or start
        if end < start:
            raise click.BadParameter(f"--end {end} is before --start {start}", param_hint="--end")
        return func(*args, start=start, end=end, **kwargs)

    return wrapper


def settings_options(*names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Shared path options; each falls back to its environment variable, then to the project default."""
    options = {
        "registry": click.option(
            "--registry-dir",
            type=click.Path(file_okay=False),
            help="Registry folder [env IMPACT_REGISTRY_DIR].",
        ),
        "gharchive": click.option(
            "--gharchive-dir",
            type=click.Path(file_okay=False),
            help="Folder of GH Archive hour files YYYY-MM-DD-H.json.gz [env IMPACT_GHARCHIVE_DIR].",
        ),
        "optimism": click.option(
            "--optimism-dir",
            type=click.Path(file_okay=False),
            help="Folder with transactions/ and receipts/ day files [env IMPACT_OPTIMISM_DIR].",
        ),
        "duckdb": click.option(
            "--duckdb-path", type=click.Path(dir_okay=False), help="Warehouse file [env IMPACT_DUCKDB_PATH]."
        ),
        "target": click.option(
            "--target",
            type=click.Choice(TARGETS),
            help="local (DuckDB, local files) or bigquery (IMPACT_BQ_PROJECT) [env IMPACT_TARGET; default local].",
        ),
    }

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        for name in reversed(names):
            func = options[name](func)

        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            overrides = {
                key: kwargs.pop(key, None)
                for key in ("registry_dir", "gharchive_dir", "optimism_dir", "duckdb_path", "target")
            }
            settings = Settings.from_env().with_overrides(**overrides)
            return func(*args, settings=settings, **kwargs)

        return wrapper

    return decorate


progress_option = click.option("--no-progress", is_flag=True, help="Hide progress bars (logs stay).")
plan_option = click.option(
    "--dry-run",
    is_flag=True,
    help="Print the plan (days, tables or files, bytes each BigQuery query would process, total); run nothing.",
)


def print_plan(settings: Settings, items: list, then: list[str] | None = None) -> None:
    """The plan as a table, with the total bytes and, on BigQuery, the on-demand price."""
    from rich.table import Table

    from ingestion.bigquery.jobs import human_bytes, usd

    on_bigquery = settings.on_bigquery
    table = Table(title=f"plan ({settings.target}): nothing runs", title_justify="left")
    table.add_column("step")
    table.add_column("reads", overflow="fold")
    table.add_column("bytes processed" if on_bigquery else "bytes on disk", justify="right")
    if on_bigquery:
        table.add_column("on demand", justify="right")
    table.add_column("note")
    total = 0
    for item in items:
        total += item.bytes or 0
        row = [item.what, "\n".join(item.reads), human_bytes(item.bytes) if item.bytes is not None else "-"]
        if on_bigquery:
            row.append(f"${usd(item.bytes):.4f}" if item.bytes is not None else "-")
        table.add_row(*row, item.note)
    stdout.print(table)
    summary = f"total: {human_bytes(total)} ({total} bytes) over {len(items)} steps"
    if on_bigquery:
        cap = settings.bigquery.max_bytes
        summary += f", ~${usd(total):.2f} on demand; each query is capped at {human_bytes(cap)} (IMPACT_BQ_MAX_BYTES)"
        over = [item.what for item in items if (item.bytes or 0) > cap]
        if over:
            summary += f"; OVER THE CAP, would be refused: {', '.join(over)}"
    stdout.print(summary)
    for line in then or []:
        stdout.print(line)


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="impact-warehouse")
def cli() -> None:
    """The open-source impact warehouse: registry -> GitHub/onchain ingestion -> dbt marts -> Postgres.

    \b
    Example:
      impact demo                                   # the whole pipeline on the shipped sample
      impact run --start 2025-10-05 --end 2025-10-08
      impact status
    """


# --- registry ---------------------------------------------------------------------------------------------


@cli.group(context_settings=CONTEXT)
def registry() -> None:
    """Check and load the project registry (YAML, oss-directory layout).

    \b
    Example:
      impact registry validate --registry-dir registry/
    """


@registry.command("validate", context_settings=CONTEXT)
@settings_options("registry")
@click.option(
    "--strict",
    is_flag=True,
    help="Fail on warnings too (exit 1), for a registry repository's own CI.",
)
def registry_validate(settings: Settings, strict: bool) -> None:
    """Check every project and collection file; each problem names the file, the field and the line.

    Errors (a file that cannot be used) fail the command; warnings say what the loader normalises or leaves out,
    and fail it only with --strict.

    \b
    Example:
      impact registry validate
      IMPACT_REGISTRY_DIR=../oss-directory/data impact registry validate --strict
    """
    from ingestion.registry import load_registry

    reg = load_registry(settings.registry_dir, settings.seeds_dir, strict=strict)
    for problem in reg.warnings:
        click.echo(f"warning: {problem}")
    artifacts = sum(
        len(p.github) + len(p.url_artifacts) + sum(len(b.networks) for b in p.blockchain)
        for p in reg.projects
    )
    stdout.print(
        f"registry ok: {len(reg.projects)} projects, {len(reg.collections)} collections, "
        f"{artifacts} artifacts, {len(reg.warnings)} warning(s) ({settings.registry_dir})",
        markup=False,
    )


@registry.command("diff", context_settings=CONTEXT)
@click.argument("base")
@click.argument("head")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown"]),
    default="text",
    show_default=True,
    help="markdown: for a pull-request comment.",
)
@settings_options("registry")
def registry_diff(settings: Settings, base: str, head: str, output_format: str) -> None:
    """What HEAD changes against BASE: projects, artifacts per kind and collection members added, removed or
    moved. BASE and HEAD are folders, or git refs of the checkout holding the registry folder. Exits 1 when
    HEAD has errors.

    \b
    Example:
      impact registry diff ../before/data ../after/data
      IMPACT_REGISTRY_DIR=data impact registry diff origin/main HEAD --format markdown > comment.md
    """
    from ingestion.registry_diff import diff_specs, format_markdown, format_text

    diff = diff_specs(base, head, Path(settings.registry_dir), Path(settings.seeds_dir))
    report = format_markdown(diff) if output_format == "markdown" else format_text(diff)
    click.echo(report.rstrip("\n"))
    if diff.head_errors:
        sys.exit(1)


@registry.command("load", context_settings=CONTEXT)
@settings_options("registry", "duckdb", "target")
def registry_load(settings: Settings) -> None:
    """Validate the registry, then replace raw.registry_* on the target.

    Locally in one DuckDB transaction; on BigQuery by load jobs (explicit schema, WRITE_TRUNCATE).

    \b
    Example:
      impact registry load --duckdb-path warehouse.duckdb
      IMPACT_BQ_PROJECT=my-project impact registry load --target bigquery
    """
    from ingestion.pipeline import load_registry_step

    load_registry_step(settings)


# --- ingest -----------------------------------------------------------------------------------------------

force_option = click.option(
    "--force",
    is_flag=True,
    help="Load every day again, even a day whose latest load is ok with the same registry (skipped otherwise).",
)
wait_option = click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    metavar="SECONDS",
    help="When another process holds the DuckDB warehouse, wait up to SECONDS for it (default: fail at once, "
    "exit code 75, naming the process and since when).",
)


@cli.group(context_settings=CONTEXT)
def ingest() -> None:
    """Filter a source down to the tracked artifacts and land it in the raw layer, one day at a time.

    \b
    Example:
      impact ingest github --start 2025-10-05 --end 2025-10-08
    """


@ingest.command("github", context_settings=CONTEXT)
@day_range
@settings_options("registry", "gharchive", "duckdb", "target")
@progress_option
@plan_option
@force_option
@wait_option
def ingest_github_cmd(
    settings: Settings, start: date, end: date, no_progress: bool, dry_run: bool, force: bool, wait: float
) -> None:
    """Keep the GH Archive events of tracked repos and orgs; each day is replaced atomically.

    Locally, reads the hour files YYYY-MM-DD-H.json.gz of each day; a missing hour is reported, a malformed line
    is quarantined in raw._rejects with its file and line, a truncated file fails its day and writes nothing.
    On BigQuery (--target bigquery), one priced query per day over githubarchive.day.YYYYMMDD.

    Resumable: a day whose latest load is ok, with no missing hour, and with the same registry (the fingerprint
    of the tracked repos and orgs, in raw._loads) is skipped, and the command says so; --force loads it again.

    \b
    Example:
      impact ingest github --start 2025-10-05 --end 2025-10-08 --gharchive-dir ~/gharchive
      impact ingest github --target bigquery --start 2024-05-01 --end 2024-05-31 --dry-run
      impact ingest github --start 2024-01-01 --end 2024-12-31 --wait 600   # a backfill, resumable
    """
    from ingestion.pipeline import ingest, plan

    if dry_run:
        print_plan(settings, plan(settings, start, end, ["github"], force=force))
        return
    ingest(settings, "github", start, end, progress=not no_progress, force=force, wait=wait)


@ingest.command("optimism", context_settings=CONTEXT)
@day_range
@settings_options("registry", "optimism", "duckdb", "target")
@progress_option
@plan_option
@force_option
@wait_option
def ingest_optimism_cmd(
    settings: Settings, start: date, end: date, no_progress: bool, dry_run: bool, force: bool, wait: float
) -> None:
    """Keep the Optimism transactions from or to tracked addresses, joined to their receipts, day by day.

    Locally, reads transactions/YYYY-MM-DD.{parquet,csv,json,json.gz} and receipts/ likewise (the columns of the
    public BigQuery tables); a malformed row is quarantined in raw._rejects, a missing receipts file fails its day.
    On BigQuery (--target bigquery), one priced query per calendar month of days over
    goog_blockchain_optimism_mainnet_us (its tables are partitioned by month).

    Resumable: a day whose latest load is ok with the same registry (the fingerprint of the tracked addresses and
    deployers, in raw._loads) is skipped, and the command says so; --force loads it again.

    \b
    Example:
      impact ingest optimism --start 2025-10-05 --end 2025-10-08 --optimism-dir ~/optimism
      impact ingest optimism --target bigquery --start 2025-10-05 --dry-run
    """
    from ingestion.pipeline import ingest, plan

    if dry_run:
        print_plan(settings, plan(settings, start, end, ["optimism"], force=force))
        return
    ingest(settings, "optimism", start, end, progress=not no_progress, force=force, wait=wait)


# --- build / run / demo -----------------------------------------------------------------------------------


@cli.command(context_settings={**CONTEXT, "ignore_unknown_options": True})
@click.argument("dbt_args", nargs=-1, type=click.UNPROCESSED)
@settings_options("duckdb", "target")
@wait_option
def build(settings: Settings, dbt_args: tuple[str, ...], wait: float) -> None:
    """Run `dbt build` on the target's warehouse with the project's example profile (extra arguments go to dbt).

    One model and what depends on it: --select MODEL+ (its tests run with it); what it depends on: +MODEL.
    On BigQuery every query dbt sends is capped at IMPACT_BQ_MAX_BYTES (maximum_bytes_billed). The build, with
    its failed, warned and skipped nodes by name, is recorded in raw._builds (`impact status` shows it).

    \b
    Example:
      impact build
      impact build --select events_daily_to_project+     # one model, then everything built from it
      impact build --select +events_daily_to_project
      impact build --target bigquery --full-refresh --select marts.metrics
    """
    from ingestion.pipeline import build as build_pipeline

    build_pipeline(settings, dbt_args, wait=wait)


@cli.command(context_settings=CONTEXT)
@settings_options("duckdb", "target")
@wait_option
def freshness(settings: Settings, wait: float) -> None:
    """Run `dbt source freshness` and record each source's verdict in raw._builds for `impact status`.

    Each source table's newest `loaded_at_field` value is compared with its `warn_after` and `error_after`
    (models/staging/*/_*__sources.yml). Exits 0 when every source passes or only warns, 1 when one is past its
    error_after or could not be checked.

    \b
    Example:
      impact freshness
      impact freshness --target bigquery
    """
    from ingestion.pipeline import freshness as check_freshness

    if not check_freshness(settings, wait=wait):
        raise ImpactError(
            "a source is stale (past its error_after) or could not be checked (see above); "
            "`impact status` names it"
        )


def resumable_day_range(func: Callable[..., Any]) -> Callable[..., Any]:
    """--start and --end as `day_range`, but optional: `--resume` takes the days of the run it resumes."""

    @click.option("--start", callback=_parse_day, help="First UTC day, YYYY-MM-DD (not with --resume).")
    @click.option("--end", callback=_parse_day, help="Last UTC day, inclusive (default: --start).")
    @wraps(func)
    def wrapper(*args: Any, start: date | None, end: date | None, **kwargs: Any) -> Any:
        end = end or start
        if start is not None and end is not None and end < start:
            raise click.BadParameter(f"--end {end} is before --start {start}", param_hint="--end")
        return func(*args, start=start, end=end, **kwargs)

    return wrapper


@cli.command(context_settings=CONTEXT)
@resumable_day_range
@settings_options("registry", "gharchive", "optimism", "duckdb", "target")
@progress_option
@plan_option
@click.option(
    "--export/--no-export", default=None, help="Export marts to Postgres (default: if IMPACT_POSTGRES_URL)."
)
@click.option(
    "--resume",
    is_flag=True,
    help="Pick up the last run at the stage it failed in (or was killed in), with its days and options.",
)
@force_option
@wait_option
def run(
    settings: Settings,
    start: date | None,
    end: date | None,
    no_progress: bool,
    dry_run: bool,
    export: bool | None,
    resume: bool,
    force: bool,
    wait: float,
) -> None:
    """The whole pipeline: registry -> GitHub (and Optimism) ingestion -> dbt build (-> Postgres export).

    Locally, Optimism is ingested when its folder exists (IMPACT_OPTIMISM_DIR); on BigQuery always.
    With --dry-run: validates the registry and the settings, prices every ingestion query, runs nothing.
    Each stage (registry, ingest github, ingest optimism, dbt build, export) is recorded as it runs: `impact
    status` shows it, and --resume starts again at the stage the last run did not end, without reloading the
    days before it. A day already loaded ok with the same registry is skipped unless --force.

    \b
    Example:
      impact run --start 2025-10-05 --end 2025-10-08
      impact run --resume                     # after a failure: picks up at the failed stage
      IMPACT_GHARCHIVE_DIR=~/gharchive impact run --start 2024-05-01 --end 2024-05-31
      impact run --target bigquery --dry-run --start 2024-05-01 --end 2024-05-01
    """
    from ingestion.pipeline import ingests_optimism, plan
    from ingestion.pipeline import run as run_pipeline

    if export and not settings.postgres_url:
        raise ConfigError("--export needs IMPACT_POSTGRES_URL, e.g. postgresql://user@127.0.0.1:5432/db")
    if resume and (start is not None or dry_run or force or export is not None):
        raise click.UsageError(
            "--resume repeats the last run's days and options: give it without --start/--end, --force, "
            "--export/--no-export or --dry-run"
        )
    if not resume and start is None:
        raise click.UsageError(
            "give the days to run (--start D [--end D]), or --resume to pick up the last run"
        )
    if dry_run:
        assert start is not None and end is not None
        sources = ["github", "optimism"] if ingests_optimism(settings) else ["github"]
        then = [f"then: registry load, dbt build --target {settings.target}"]
        if settings.on_bigquery:
            then[0] += " (every dbt query capped at IMPACT_BQ_MAX_BYTES by maximum_bytes_billed)"
        if export or (export is None and settings.postgres_url):
            then.append("then: export the marts to Postgres (IMPACT_POSTGRES_URL)")
        print_plan(settings, plan(settings, start, end, sources, force=force), then)
        return
    result = run_pipeline(
        settings, start, end, progress=not no_progress, export=export, force=force, resume=resume, wait=wait
    )
    if result.export_failed:
        raise ImpactError("the Postgres export failed for at least one table (see above)")


@cli.command(context_settings=CONTEXT)
@settings_options("duckdb")
@progress_option
def demo(settings: Settings, no_progress: bool) -> None:
    """Generate the sample (GH Archive hours for the sample registry), run the pipeline, print activity.

    The sample covers 2025-10-05 to 2025-10-08, across GH Archive's 2025-10-07 payload change, with one hour
    left out on purpose (reported, not fatal). Ends by writing the HTML report (`impact report`) to data/report/
    and printing the path of its index to open.

    \b
    Example:
      impact demo
      IMPACT_DUCKDB_PATH=/tmp/demo.duckdb impact demo
    """
    from ingestion.metrics_report import print_code_metrics, print_onchain_metrics
    from ingestion.pipeline import run as run_pipeline
    from ingestion.pipeline import sample_dir
    from ingestion.report import print_activity
    from ingestion.sample.gharchive import DEMO_END, DEMO_START, write_demo_sample
    from ingestion.sample.optimism import write_demo_optimism_sample

    out = sample_dir(settings)
    hours = write_demo_sample(out / "gharchive")
    onchain = write_demo_optimism_sample(out / "optimism", settings.registry_dir)
    stdout.print(f"sample: {len(hours)} GH Archive hour files and {len(onchain)} Optimism day files in {out}")
    settings = settings.with_overrides(gharchive_dir=out / "gharchive", optimism_dir=out / "optimism")
    run_pipeline(settings, DEMO_START, DEMO_END, progress=not no_progress, export=False)
    print_activity(settings.duckdb_path, stdout)
    print_code_metrics(settings.duckdb_path, stdout)
    print_onchain_metrics(settings.duckdb_path, stdout)
    stdout.print("one project's metrics over time: impact metrics optimism")
    from ingestion.site import write_site

    site = write_site(settings.duckdb_path, out.parent / "report", log=stdout.print)
    stdout.print(f"the report, to open in a browser: {site.index.resolve()}")


@cli.group(context_settings=CONTEXT)
def export() -> None:
    """Serve the marts elsewhere.

    \b
    Example:
      IMPACT_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test impact export postgres
    """


@export.command("postgres", context_settings=CONTEXT)
@settings_options("duckdb", "target")
@progress_option
@click.option("--tables", "only", multiple=True, help="Export only these marts (repeat the flag).")
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
@click.option("--schema", default="impact", show_default=True, help="The served Postgres schema.")
@click.option("--reader-role", default="impact_reader", show_default=True, help="Role granted SELECT only.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["binary", "csv"]),
    default="binary",
    show_default=True,
    help="COPY format.",
)
def export_postgres_cmd(
    settings: Settings,
    no_progress: bool,
    only: tuple[str, ...],
    dry_run: bool,
    schema: str,
    reader_role: str,
    fmt: str,
) -> None:
    """Copy every mart whose dbt meta says `export: true` into Postgres, atomically per table.

    Each table streams with COPY into a staging schema, is indexed and analysed, then swapped in one
    transaction: readers never see a partial table, and a failure leaves the last good table serving.
    The connection string comes from IMPACT_POSTGRES_URL. With --target bigquery the marts are read from BigQuery
    through the Storage Read API. Exits 1 when any table failed.

    \b
    Example:
      export IMPACT_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test
      impact export postgres --dry-run
      impact export postgres --tables projects_v1 --tables events_daily_to_project
    """
    from ingestion.pipeline import export_step

    failed = export_step(
        settings,
        progress=not no_progress,
        only=only,
        dry_run=dry_run,
        schema=schema,
        reader_role=reader_role,
        fmt=fmt,
    )
    if failed:
        raise ImpactError(
            "the export failed for at least one table (see above); the last good tables still serve"
        )


@cli.command(context_settings=CONTEXT)
@click.argument("project")
@settings_options("duckdb")
def metrics(settings: Settings, project: str) -> None:
    """Print one project's metrics: latest value per window, and a sparkline of the last 90 days.

    Values marked * are partial: GH Archive stopped listing commits and merges on 2025-10-07.

    \b
    Example:
      impact metrics optimism
    """
    from ingestion.metrics_report import print_project_metrics

    print_project_metrics(settings.duckdb_path, project, stdout)


@cli.command(context_settings=CONTEXT)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the site to.",
)
@click.option(
    "--window",
    type=click.Choice(["7d", "30d", "90d", "180d", "all"]),
    default="30d",
    show_default=True,
    help="The trailing window the charts and the index show.",
)
@click.option(
    "--days", type=click.IntRange(min=1), default=730, show_default=True, help="How far back the charts go."
)
@click.option(
    "--workers", type=click.IntRange(min=1), help="Processes writing project pages (default: CPUs)."
)
@settings_options("duckdb")
def report(settings: Settings, out: Path, window: str, days: int, workers: int | None) -> None:
    """Write a static HTML report of the marts: an index of projects and collections (sortable, filterable, with
    sparklines) and a page per project and per collection with a chart and a data table per metric, the latest
    value of every window, the artifacts and the data-quality notes. Values marked * are partial, as in the CLI.

    The pages open from disk with no network (plotly.js is copied into DIR/assets). A folder that holds an
    earlier report is updated in place; any other non-empty folder is refused.

    \b
    Example:
      impact report --out site/ && xdg-open site/index.html
      impact report --out site/ --window 7d --days 365
    """
    from ingestion.site import write_site

    result = write_site(
        settings.duckdb_path, out, window=window, days=days, workers=workers, log=stdout.print
    )
    stdout.print(f"open {result.index.resolve()}")


@cli.command(context_settings=CONTEXT)
@settings_options("duckdb", "target")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON (for machines).")
@click.option("--markdown", is_flag=True, help="Print a markdown summary (for $GITHUB_STEP_SUMMARY).")
def status(settings: Settings, as_json: bool, markdown: bool) -> None:
    """Whether the warehouse can be trusted: what runs or ran last (each stage, rows, bytes billed, duration),
    the latest load per source and day (rows kept and rejected, missing hours, bytes billed), each source's
    freshness, the last dbt build's failed, warned and skipped nodes by name, and the days GH Archive's 2025-10-07
    change affects.

    Exit code 1 when something is stale or failed: a source is stale when the last `impact freshness` (dbt
    source freshness) found its newest loaded_at_field value older than the source's error_after in
    models/staging/*/_*__sources.yml (past warn_after only is a note), or could not check it; failed is the last
    dbt build with a failed node, a day whose latest load failed, or a last command that failed or was killed.
    Missing hours, drift days and warnings are reported with exit code 0. While another process holds the DuckDB
    warehouse, the status is that run (what, since when, which stage), exit code 0.

    \b
    Example:
      impact status
      impact status --json | jq .problems
      impact status --target bigquery --markdown >> "$GITHUB_STEP_SUMMARY"
    """
    from ingestion.report import print_status, status_markdown
    from ingestion.status import warehouse_status

    if as_json and markdown:
        raise click.UsageError("--json and --markdown: choose one")
    found = warehouse_status(settings)
    if as_json:
        import json

        click.echo(json.dumps(found.to_json(), indent=2, default=str))
    elif markdown:
        click.echo(status_markdown(found))
    else:
        print_status(found, stdout)
    if found.exit_code:
        raise SystemExit(found.exit_code)


@cli.command(context_settings=CONTEXT)
@settings_options("target")
@click.option(
    "--dataset", default="marts", show_default=True, help="The dataset of IMPACT_BQ_PROJECT to share."
)
@click.option(
    "--to",
    "grantee",
    default="allAuthenticatedUsers",
    show_default=True,
    help="Who may read: allAuthenticatedUsers, group:EMAIL, domain:DOMAIN or user:EMAIL.",
)
@click.option("--dry-run", is_flag=True, help="Print the access entries and the change; send no update.")
@click.option("--revoke", is_flag=True, help="Remove the grant instead of adding it.")
def share(settings: Settings, dataset: str, grantee: str, dry_run: bool, revoke: bool) -> None:
    """Grant read access (READER) on the marts dataset on BigQuery, through the dataset's access entries.

    Idempotent: a grant already there is not added again. Refuses raw, staging, intermediate and seeds, and any
    dataset holding a raw table or a staging/intermediate model. Needs BigQuery Data Owner on the dataset.

    \b
    Example:
      impact share --target bigquery --dry-run
      impact share --target bigquery                              # anyone signed in to Google can query the marts
      impact share --target bigquery --to group:analysts@example.org
      impact share --target bigquery --to domain:example.org --revoke
    """
    from ingestion.bigquery.share import share as share_dataset

    result = share_dataset(settings, dataset, grantee, revoke=revoke, dry_run=dry_run)
    for line in result.lines():
        stdout.print(line, markup=False, soft_wrap=True)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ImpactError as exc:
        click.secho(f"error: {exc}", err=True, fg="red")
        sys.exit(exc.exit_code)

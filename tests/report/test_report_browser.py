"""`impact report` opened in a real browser: the site written for the fixture warehouse (tests/report/conftest.py),
every page loaded from disk in headless Chromium (Debian's `chromium`, driven by Playwright over the DevTools
protocol; no browser download, no network).

Checked: no console error or page error on any page; every chart and sparkline drawn (an SVG with a plotted
trace); the numbers shown (the latest-values table, each chart's data table, the values plotted, the index)
equal the marts, queried here, and carry `*` exactly where the mart says data_complete = false; a project named
`<script>alert(1)</script>` shows as text and opens no dialog. A screenshot of the `optimism` page is kept in
$IMPACT_TEST_ARTIFACTS (default: the test's tmp_path).

Skipped, saying why, when Chromium or Playwright is missing, unless IMPACT_REQUIRE_BROWSER=1 (CI), which turns
that into a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingestion.site import write_site

HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_DESCRIPTION = "<img src=x onerror=alert(2)> & more"
AS_OF = date(2025, 12, 15)
BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu"]


def _required() -> bool:
    return os.environ.get("IMPACT_REQUIRE_BROWSER", "").strip() not in {"", "0", "false", "no"}


def _chromium() -> str | None:
    explicit = os.environ.get("IMPACT_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    return shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


def _unavailable(reason: str) -> None:
    if _required():
        pytest.fail(f"IMPACT_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(f"{reason} (set IMPACT_REQUIRE_BROWSER=1 to fail instead of skipping)")


@pytest.fixture(scope="module")
def site(report_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report_site") / "site"
    write_site(report_warehouse, out, window="30d", days=730, workers=1)
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = _chromium()
    if executable is None:
        _unavailable("Chromium is not installed: `apt-get install -y chromium chromium-driver`")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is missing: `pip install -e '.[dev]'`")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=BROWSER_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Opened:
    page: Any
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def open_page(browser: Any, path: Path) -> Opened:
    """Load a page from disk, record console errors, page errors and dialogs, and wait until every chart and every
    sparkline is drawn (each scrolled into view first: sparklines draw as they come into view)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    opened = Opened(page)
    page.on(
        "console",
        lambda m: opened.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: opened.errors.append(f"page error: {e}"))

    def on_dialog(dialog: Any) -> None:
        opened.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(path.as_uri(), wait_until="load")
    for selector in (".plot", ".spark"):
        for element in page.query_selector_all(selector):
            element.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.plot, .spark')].every(e => e.hasAttribute('data-rendered'))",
        timeout=30_000,
    )
    return opened


def query(warehouse: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def parse(text: str) -> tuple[float | None, bool]:
    """A shown value: (number, partial); `-` is no value."""
    text = text.strip()
    partial = text.endswith("*")
    text = text.rstrip("*")
    return (None if text == "-" else float(text.replace(",", "")), partial)


def same(shown: float | None, amount: object, unit: str) -> bool:
    """Equal as shown: ETH with 6 decimals, days with 1, everything else whole."""
    if shown is None or amount is None:
        return shown is None and amount is None
    places = 6 if unit == "ETH" else 1 if unit == "days" else 0
    return abs(shown - round(float(str(amount)), places)) < 10**-places / 2 + 1e-12


def project_id(warehouse: Path, name: str) -> str:
    return query(warehouse, "select project_id from marts.projects_v1 where project_name = ?", [name])[0][0]


def units(warehouse: Path) -> dict[str, str]:
    return dict(query(warehouse, "select metric, unit from marts.metrics_v1"))


def test_every_page_draws_every_chart_without_a_console_error(site: Path, browser: Any) -> None:
    pages = [
        site / "index.html",
        *sorted((site / "projects").glob("*.html")),
        *sorted((site / "collections").glob("*.html")),
    ]
    # 4 projects (3 of the fixture and the hostile one) and 2 collections.
    assert len(pages) == 1 + 4 + 2
    drawn = 0
    for path in pages:
        opened = open_page(browser, path)
        try:
            assert opened.errors == [], f"{path.name}: {opened.errors}"
            assert opened.dialogs == [], f"{path.name}: {opened.dialogs}"
            counts = opened.page.evaluate(
                """() => [...document.querySelectorAll('.plot, .spark')].map(e => {
                       const svg = e.querySelector('svg.main-svg');
                       const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
                       return [svg ? e.querySelectorAll('.scatterlayer .trace path').length : 0, box.width, box.height];
                   })"""
            )
            for traces, width, height in counts:
                assert traces > 0 and width > 0 and height > 0, f"{path.name}: an empty chart {counts}"
            figures = opened.page.evaluate("document.querySelectorAll('figure.chart').length")
            plots = opened.page.evaluate("document.querySelectorAll('figure.chart .plot').length")
            assert figures == plots
            drawn += len(counts)
        finally:
            opened.page.close()
    assert drawn > 40  # optimism alone charts 20 metrics (checked below); the index has sparklines


def test_the_project_page_shows_the_marts_numbers(site: Path, browser: Any, report_warehouse: Path) -> None:
    pid = project_id(report_warehouse, "optimism")
    unit_of = units(report_warehouse)
    opened = open_page(browser, site / "projects" / "optimism.html")
    try:
        page = opened.page
        latest = page.evaluate(
            """() => [...document.querySelectorAll('table.latest tbody tr')].map(tr =>
                   [tr.dataset.metric, [...tr.querySelectorAll('td')].slice(1).map(
                       td => td.classList.contains('na') ? null : td.textContent)])"""
        )
        windows = page.evaluate(
            "[...document.querySelectorAll('table.latest thead th')].slice(2).map(th => th.textContent)"
        )
        charts = page.evaluate(
            """() => [...document.querySelectorAll('figure.chart')].map(f => ({
                   metric: f.dataset.metric,
                   rows: [...f.querySelectorAll('table.data tbody tr')].map(
                       tr => [tr.querySelector('th').textContent, tr.querySelector('td').textContent]),
                   plotted: f.querySelector('.plot').data[0].y,
                   partial_plotted: f.querySelector('.plot').data.length > 1 ? f.querySelector('.plot').data[1].x : []
               }))"""
        )
    finally:
        page.close()

    assert windows == ["7d", "30d", "90d", "180d", "all"]
    marts = {
        (metric, window): (amount, complete)
        for metric, window, amount, complete in query(
            report_warehouse,
            'select metric, "window", amount, data_complete from marts.timeseries_metrics_by_project_v1 '
            "where project_id = ? and sample_date = ?",
            [pid, AS_OF],
        )
    }
    assert len(latest) == len(unit_of)
    for metric, cells in latest:
        for window, text in zip(windows, cells, strict=True):
            if text is None:
                assert (metric, window) not in marts, (
                    f"{metric} {window}: the mart has a value, the page none"
                )
                continue
            value, partial = parse(text)
            amount, complete = marts.get((metric, window), (None, True))
            assert same(value, amount, unit_of[metric]), f"{metric} {window}: page {text}, mart {amount}"
            assert partial == (not complete), f"{metric} {window}: page {text}, mart data_complete={complete}"

    # Hand-worked from tests/fixtures/dbt (tests/dbt/test_marts.py): on 2025-12-15, over all time, optimism has
    # 3 commits (1111, 2222, 3333 on 2024-05-21; partial: the window holds 2025-12-15, after GH Archive's change),
    # 2 stars (repo 100 and repo 101 on 2024-05-21), 1 fork, 1 pull request opened (#7), 1 merged (#7; partial).
    shown = {metric: dict(zip(windows, cells, strict=True)) for metric, cells in latest}
    assert shown["commit_count"]["all"] == "3*"
    assert shown["star_count"]["all"] == "2"
    assert shown["fork_count"]["all"] == "1"
    assert shown["pr_opened_count"]["all"] == "1"
    assert shown["pr_merged_count"]["all"] == "1*"

    # The chart days, worked out by hand: the data runs from 2024-05-21 to 2025-12-15, 574 days; at most 120 points
    # means every ceil(574 / 120) = 5 days back from 2025-12-15: 573 // 5 + 1 = 115 days, the first 2024-05-24.
    assert len(charts) >= 5
    for chart in charts:
        days = [row[0] for row in chart["rows"]]
        assert len(days) == 115 and days[0] == "2024-05-24" and days[-1] == "2025-12-15"
        series = {
            str(day): (amount, complete)
            for day, amount, complete in query(
                report_warehouse,
                "select sample_date, amount, data_complete from marts.timeseries_metrics_by_project_v1 "
                "where project_id = ? and metric = ? and \"window\" = '30d'",
                [pid, chart["metric"]],
            )
        }
        unit = unit_of[chart["metric"]]
        partial_days = []
        for (day, text), plotted in zip(chart["rows"], chart["plotted"], strict=True):
            value, partial = parse(text)
            amount, complete = series.get(day, (None, True))
            assert same(value, amount, unit), f"{chart['metric']} {day}: page {text}, mart {amount}"
            assert partial == (not complete), f"{chart['metric']} {day}: page {text}, complete={complete}"
            assert (plotted is None and amount is None) or abs(plotted - float(amount)) < 1e-9
            if partial:
                partial_days.append(day)
        assert chart["partial_plotted"] == partial_days
    assert {c["metric"] for c in charts} >= {
        "commit_count",
        "star_count",
        "transaction_count",
        "gas_fees_sum",
    }


def test_the_developer_lifecycle_table_equals_the_mart(
    site: Path, browser: Any, report_warehouse: Path
) -> None:
    """The project page's lifecycle table: the latest months of developer_lifecycle_v1 for optimism, oldest
    first, every state's count as the mart has it, and * on a month the loaded data does not finish."""
    pid = project_id(report_warehouse, "optimism")
    opened = open_page(browser, site / "projects" / "optimism.html")
    try:
        shown = opened.page.evaluate(
            """() => [...document.querySelectorAll('table.lifecycle tbody tr')].map(tr =>
                   [tr.querySelector('th').textContent, ...[...tr.querySelectorAll('td')].map(td => td.textContent)])"""
        )
    finally:
        opened.page.close()
    rows = query(
        report_warehouse,
        "select strftime(activity_month, '%Y-%m') || case when month_complete then '' else '*' end, "
        "active_developers, first_month_developers, full_time_developers, part_time_developers, "
        "returning_developers, dormant_developers, churned_developers "
        "from marts.developer_lifecycle_v1 where entity_type = 'project' and entity_id = ? "
        "order by activity_month desc limit 12",
        [pid],
    )
    assert rows, "the fixture's optimism has pushes, so the mart has months"
    assert shown == [[month, *(str(count) for count in counts)] for month, *counts in reversed(rows)]


def test_the_index_shows_the_wide_marts(site: Path, browser: Any, report_warehouse: Path) -> None:
    unit_of = units(report_warehouse)
    opened = open_page(browser, site / "index.html")
    try:
        header = opened.page.evaluate(
            "[...document.querySelectorAll('#projects thead th')].map(th => th.dataset.metric || th.textContent)"
        )
        rows = opened.page.evaluate(
            """() => [...document.querySelectorAll('#projects tbody tr')].map(tr =>
                   [tr.dataset.id, [...tr.children].map(c => c.textContent)])"""
        )
        collection_rows = opened.page.evaluate(
            """() => Object.fromEntries([...document.querySelectorAll('#collections tbody tr')].map(tr =>
                   [tr.dataset.id, [...tr.children].map(c => c.textContent)]))"""
        )
        collection_header = opened.page.evaluate(
            "[...document.querySelectorAll('#collections thead th')].map(th => th.dataset.metric || th.textContent)"
        )
        notes = opened.page.evaluate(
            "[...document.querySelectorAll('#data-quality li')].map(li => li.textContent)"
        )
    finally:
        opened.page.close()

    code = {row[0]: row for row in query(report_warehouse, "select * from marts.code_metrics_by_project_v1")}
    code_columns = [r[0] for r in query(report_warehouse, "describe marts.code_metrics_by_project_v1")]
    onchain = {
        row[0]: row for row in query(report_warehouse, "select * from marts.onchain_metrics_by_project_v1")
    }
    onchain_columns = [r[0] for r in query(report_warehouse, "describe marts.onchain_metrics_by_project_v1")]
    requires = dict(query(report_warehouse, "select metric, requires from marts.metrics_v1"))
    metric_columns = [(i, name) for i, name in enumerate(header) if name in unit_of]
    assert len(metric_columns) >= 8 and len(rows) == 4
    checked = 0
    for pid, cells in rows:
        wide_code = dict(zip(code_columns, code[pid], strict=True))
        wide_onchain = dict(zip(onchain_columns, onchain[pid], strict=True)) if pid in onchain else {}
        assert cells[header.index("repos")].strip() == str(wide_code["repository_count"])
        for i, metric in metric_columns:
            wide = wide_onchain if f"{metric}_30d" in onchain_columns else wide_code
            value, partial = parse(cells[i])
            assert same(value, wide.get(f"{metric}_30d"), unit_of[metric]), f"{pid} {metric}: {cells[i]}"
            flag = wide.get(f"{requires[metric]}_complete_30d") if requires[metric] else True
            assert partial == (flag is False), f"{pid} {metric}: {cells[i]}, flag {flag}"
            checked += 1
    assert checked == 4 * len(metric_columns)

    # op-retrofunding: optimism, opensource-observer and the hostile project (3 members). Its star count over the
    # 30 days to 2025-12-15: the one star of 2025-12-15 (renovate-bot on oso: counts of things keep bots) = 1.
    retro = query(
        report_warehouse,
        "select collection_id from marts.collections_v1 where collection_name = 'op-retrofunding'",
    )
    cells = collection_rows[retro[0][0]]
    assert cells[collection_header.index("projects")].strip() == "3"
    assert cells[collection_header.index("star_count")].strip() == "1"

    # The data-quality notes of the fixture: GH Archive's change on the 2025-12-15 archive day, the missing hour.
    assert any(n.startswith("commits unknown on 2025-12-15 (1 day)") for n in notes), notes
    assert any(n.startswith("merges unknown on 2025-12-15 (1 day)") for n in notes), notes
    assert any("2025-12-15-10.json.gz" in n and n.startswith("github: 1 file missing") for n in notes), notes


def test_a_hostile_project_name_is_text(site: Path, browser: Any, report_warehouse: Path) -> None:
    pid = project_id(report_warehouse, HOSTILE_NAME)
    pages = sorted((site / "projects").glob("_*.html"))
    assert [p.name for p in pages] == [f"_{pid[:24]}.html"]  # not a file name made of the hostile name
    for path, checks in (
        (pages[0], ("h1", "title")),
        (site / "index.html", ("#projects a",)),
        (site / "collections" / "op-retrofunding.html", ("#members a",)),
    ):
        opened = open_page(browser, path)
        try:
            page = opened.page
            texts = page.evaluate(
                "(selectors) => selectors.flatMap(s => [...document.querySelectorAll(s)].map(e => e.textContent))",
                list(checks),
            )
            assert HOSTILE_NAME in texts, f"{path.name}: {texts}"
            scripts = page.evaluate("[...document.scripts].map(s => s.getAttribute('src'))")
            assert all(src and src.endswith(("plotly.min.js", "report.js")) for src in scripts), scripts
            assert page.evaluate("document.querySelectorAll('img').length") == 0
            page.wait_for_timeout(300)
            assert opened.dialogs == [], f"{path.name}: {opened.dialogs}"
            assert opened.errors == [], f"{path.name}: {opened.errors}"
        finally:
            page.close()
    opened = open_page(browser, pages[0])
    try:
        assert opened.page.text_content("p.description") == HOSTILE_DESCRIPTION
        # Repo 999 someone/else: dave's one star on 2024-05-21 is the project's only event.
        assert opened.page.text_content("table.latest tr[data-metric=star_count] td:last-child") == "1"
    finally:
        opened.page.close()


def test_a_screenshot_of_a_project_page_is_kept(site: Path, browser: Any, tmp_path: Path) -> None:
    folder = Path(os.environ.get("IMPACT_TEST_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "report-project-optimism.png"
    opened = open_page(browser, site / "projects" / "optimism.html")
    try:
        opened.page.screenshot(path=str(target), full_page=True)
    finally:
        opened.page.close()
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000

"""Fixtures shared by every test folder: the local BigQuery emulator, standing in for Google's BigQuery API.

- `bq_emulator` (session): one `local-bigquery` server on 127.0.0.1 for the whole run, installed on first use into its
  own Python 3.13 venv (tests/bqemulator.py). A `BigQueryEmulator`: `endpoint`, `grpc_endpoint`, `client(project)`
  (the real google-cloud-bigquery client), `read_client()` (the BigQuery Storage Read API over gRPC), `log_path`.
  Skipped when no Python 3.13 can be found, with the reason; with IMPACT_REQUIRE_BQ_EMULATOR=1 (CI) that fails.
- `bq_project` (function): a fresh project id per test (`bq_project_factory` makes more). The emulator keeps each
  project in its own catalog, so two tests can both make a dataset `raw` without seeing each other's tables.
- `bq_client` (function): `bq_emulator.client(bq_project)`.
- `bq_dbt_endpoint` (session): the endpoint to give dbt-bigquery (`api_endpoint` in its profile): a proxy that makes
  CTAS jobs report their destination table as BigQuery does (`bq_dbt_proxy`, a `CtasFixProxy`).
- `bq_pricing_proxy` (function): a `PricingProxy` that answers dry runs with `dry_run_bytes` (set it in the test)
  and records the job bodies sent; point a client at it with `bq_emulator.client(project, endpoint=proxy.endpoint)`.

pytest runs with --import-mode=importlib, so test modules cannot import from here; they get everything as fixtures
(for type hints: `if TYPE_CHECKING: from bqemulator import BigQueryEmulator`).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from google.cloud import bigquery


def _load_bqemulator() -> ModuleType:
    """tests/bqemulator.py, loaded by path (tests/ is not a package) and registered under its name."""
    name = "bqemulator"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("bqemulator.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


if TYPE_CHECKING:
    import bqemulator
else:
    bqemulator = _load_bqemulator()


def _required() -> bool:
    return os.environ.get(bqemulator.REQUIRE_ENV, "").strip() not in {"", "0", "false", "no"}


@pytest.fixture(scope="session")
def bq_emulator(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[bqemulator.BigQueryEmulator]:
    """One BigQuery emulator for the session (installed on first use; start-up a few seconds)."""
    capture = request.config.pluginmanager.get_plugin("capturemanager")

    def progress(message: str) -> None:
        # The install takes minutes when cold: show its progress live, not only on failure.
        if capture is None:
            print(message, file=sys.stderr, flush=True)
            return
        with capture.global_and_fixture_disabled():
            print(f"\n{message}", file=sys.stderr, flush=True)

    problem: str | None = None
    try:
        installation = bqemulator.install(progress)
    except bqemulator.EmulatorUnavailable as error:
        if not _required():
            pytest.skip(str(error))
        problem = f"{bqemulator.REQUIRE_ENV}=1 and the BigQuery emulator cannot run: {error}"
    except bqemulator.EmulatorError as error:
        problem = str(error)
    if problem is not None:
        pytest.fail(problem, pytrace=False)

    try:
        server = bqemulator.start_server(installation, tmp_path_factory.mktemp("bq-emulator"))
    except bqemulator.EmulatorError as error:
        problem = str(error)
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    try:
        yield server.emulator
    finally:
        server.stop()


@pytest.fixture
def bq_project_factory(request: pytest.FixtureRequest) -> Callable[[], str]:
    """Makes fresh project ids (`t-<test name>-<random>`), for a test that needs more than one."""
    hint = request.node.name.removeprefix("test_")
    return lambda: bqemulator.new_project_id(hint)


@pytest.fixture
def bq_project(bq_project_factory: Callable[[], str]) -> str:
    """A project id no other test uses. The emulator keeps each project in its own catalog (datasets and tables
    of the same name in two projects are two different things), and creates it on first use."""
    return bq_project_factory()


@pytest.fixture
def bq_client(bq_emulator: bqemulator.BigQueryEmulator, bq_project: str) -> Iterator[bigquery.Client]:
    """The real google-cloud-bigquery client on the emulator, in this test's own project."""
    client = bq_emulator.client(bq_project)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def bq_dbt_proxy(bq_emulator: bqemulator.BigQueryEmulator) -> Iterator[bqemulator.CtasFixProxy]:
    """The session's `CtasFixProxy` in front of the emulator (its `requests` lists what it passed)."""
    with bqemulator.CtasFixProxy(bq_emulator.endpoint) as proxy:
        yield proxy


@pytest.fixture(scope="session")
def bq_dbt_endpoint(bq_dbt_proxy: bqemulator.CtasFixProxy) -> str:
    """The `api_endpoint` for dbt-bigquery's profile: the emulator behind `CtasFixProxy`."""
    return bq_dbt_proxy.endpoint


@pytest.fixture
def bq_pricing_proxy(bq_emulator: bqemulator.BigQueryEmulator) -> Iterator[bqemulator.PricingProxy]:
    """A fresh `PricingProxy` in front of the emulator; set `dry_run_bytes` to the estimate dry runs should get."""
    with bqemulator.PricingProxy(bq_emulator.endpoint) as proxy:
        yield proxy


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test that used the emulator shows the end of the emulator's log, and where the whole log is."""
    report = yield
    if report.failed and "bq_emulator" in getattr(item, "fixturenames", ()):
        emulator = item.funcargs.get("bq_emulator") if hasattr(item, "funcargs") else None
        if isinstance(emulator, bqemulator.BigQueryEmulator):
            report.sections.append(
                (
                    "BigQuery emulator log",
                    f"{emulator.log_path} (last lines):\n{bqemulator.tail(emulator.log_path)}",
                )
            )
    return report

"""The local BigQuery emulator the test suite runs against, in place of Google's BigQuery API.

`local-bigquery` serves BigQuery's REST API (and the Storage Read/Write API over gRPC) on DuckDB + DuckLake. It needs
Python 3.13, so it gets its own virtual environment, apart from the project's `.venv`:

    python3 tests/bqemulator.py install                 # idempotent: ~0.5-3 min the first time, then nothing
    python3 tests/bqemulator.py serve --port 9050       # a server for a developer, until Ctrl-C

The environment lives in `.cache/bq-emulator/` (gitignored; `IMPACT_BQ_EMULATOR_HOME` moves it). Python 3.13 is
looked for in `IMPACT_BQ_EMULATOR_PYTHON`, then `python3.13` on PATH, then pyenv's `~/.pyenv/versions/3.13*`.

The emulator's DuckDB needs three extensions (spatial, ducklake, icu). They come as wheels on PyPI and are INSTALLed
from those wheels into a private HOME that the server runs with: without them every request fails trying to
download one.

Also here: small reverse proxies in front of the emulator, for what it does differently from BigQuery
(`CtasFixProxy`, `PricingProxy`). The test fixtures (tests/conftest.py) are built from this module.

Only the standard library at import time: the installer runs under any Python 3.11+ (CI calls it before the
project's venv exists). The Google client libraries are imported inside the methods that need them.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import fcntl
import functools
import glob
import gzip
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from google.cloud import bigquery
    from google.cloud.bigquery_storage_v1 import BigQueryReadClient

REPO_ROOT = Path(__file__).resolve().parents[1]
DUCKDB_VERSION = "1.5.5"
PINS = (
    "local-bigquery==0.3.2",
    f"duckdb=={DUCKDB_VERSION}",
    f"duckdb-extension-spatial=={DUCKDB_VERSION}",
    f"duckdb-extension-ducklake=={DUCKDB_VERSION}",
    f"duckdb-extension-icu=={DUCKDB_VERSION}",
)
EXTENSIONS = ("spatial", "ducklake", "icu")
PYTHON_VERSION = "3.13"

HOME_ENV = "IMPACT_BQ_EMULATOR_HOME"
PYTHON_ENV = "IMPACT_BQ_EMULATOR_PYTHON"
REQUIRE_ENV = "IMPACT_REQUIRE_BQ_EMULATOR"

DEFAULT_PROJECT = "impact-test"
START_TIMEOUT_SECONDS = 60.0

# Runs inside the emulator's venv with HOME set to the private HOME (argv: the extension names): INSTALLs each
# extension from the `.duckdb_extension` file its wheel ships, then LOADs all of them in a fresh connection with
# automatic downloads off, so a missing one fails here and not on the server's first request.
_INSTALL_EXTENSIONS = r"""
import importlib, pathlib, sys
import duckdb

con = duckdb.connect()
for name in sys.argv[1:]:
    package = pathlib.Path(importlib.import_module(f"duckdb_extension_{name}").__file__).parent
    files = sorted(package.glob(f"extensions/*/{name}.duckdb_extension"))
    if not files:
        sys.exit(f"the wheel duckdb-extension-{name} ships no {name}.duckdb_extension under {package}")
    con.execute("install '" + str(files[-1]).replace("'", "''") + "'")
con.close()
check = duckdb.connect(config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"})
for name in sys.argv[1:]:
    check.execute("load " + name)
print("extensions installed:", ", ".join(sys.argv[1:]))
"""


class EmulatorUnavailable(Exception):
    """No Python 3.13 was found to run the emulator with: the tests that need it skip (or fail, in CI)."""


class EmulatorError(Exception):
    """The emulator could not be installed or started. The message names the log to read."""


# --------------------------------------------------------------------------------------------------------------
# Install


@dataclass(frozen=True)
class Installation:
    """An installed emulator: its venv, the private HOME holding the DuckDB extensions, its executable."""

    root: Path

    @property
    def venv(self) -> Path:
        return self.root / "venv"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def executable(self) -> Path:
        return self.venv / "bin" / "local-bigquery"

    @property
    def private_home(self) -> Path:
        return self.root / "home"

    @property
    def marker(self) -> Path:
        return self.root / "installed.json"

    @property
    def install_log(self) -> Path:
        return self.root / "install.log"

    def extension_files(self) -> list[Path]:
        folder = self.private_home / ".duckdb" / "extensions" / f"v{DUCKDB_VERSION}"
        return [path for name in EXTENSIONS for path in folder.glob(f"*/{name}.duckdb_extension")]

    def is_current(self) -> bool:
        """True when the marker records exactly today's pins and the venv and the extensions are in place."""
        try:
            marker = json.loads(self.marker.read_text())
        except (OSError, ValueError):
            return False
        return (
            marker.get("pins") == list(PINS)
            and self.python.exists()  # follows the venv's link to its base interpreter
            and self.executable.exists()
            and len(self.extension_files()) == len(EXTENSIONS)
        )


def emulator_root() -> Path:
    configured = os.environ.get(HOME_ENV)
    return Path(configured).expanduser().resolve() if configured else REPO_ROOT / ".cache" / "bq-emulator"


def _python_version(candidate: str) -> str | None:
    try:
        result = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def find_python() -> Path:
    """The Python 3.13 to build the emulator's venv with. Raises EmulatorUnavailable naming where it looked."""
    configured = os.environ.get(PYTHON_ENV)
    if configured:
        version = _python_version(configured)
        if version != PYTHON_VERSION:
            found = f"it is Python {version}" if version else "it does not run"
            raise EmulatorError(
                f"{PYTHON_ENV}={configured} must name a Python {PYTHON_VERSION} interpreter, but {found}. "
                f"Point it at a python{PYTHON_VERSION} executable, or unset it to let the tests look on PATH and "
                "in ~/.pyenv/versions."
            )
        return Path(configured)
    candidates: list[str] = []
    on_path = shutil.which(f"python{PYTHON_VERSION}")
    if on_path:
        candidates.append(on_path)
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    pattern = str(pyenv_root / "versions" / f"{PYTHON_VERSION}*" / "bin" / f"python{PYTHON_VERSION}")
    candidates.extend(sorted(glob.glob(pattern), reverse=True))
    for candidate in candidates:
        if _python_version(candidate) == PYTHON_VERSION:
            return Path(candidate)
    raise EmulatorUnavailable(
        f"the BigQuery emulator (local-bigquery) needs Python {PYTHON_VERSION}, and none was found "
        f"(looked at {PYTHON_ENV}, python{PYTHON_VERSION} on PATH, {pattern}). Install Python {PYTHON_VERSION} "
        f"(e.g. `pyenv install {PYTHON_VERSION}`) or set {PYTHON_ENV} to its executable."
    )


@contextlib.contextmanager
def _install_lock(root: Path, log: Callable[[str], None]) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "install.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"waiting for another process installing the BigQuery emulator in {root} ...")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run_logged(command: list[str], log_file: Path, env: dict[str, str] | None = None) -> None:
    with open(log_file, "a") as out:
        out.write(f"\n$ {' '.join(command)}\n")
        out.flush()
        result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, env=env, check=False)
    if result.returncode != 0:
        raise EmulatorError(
            f"installing the BigQuery emulator failed: `{' '.join(command)}` exited {result.returncode}. "
            f"Its output is in {log_file}. Fix what it says, then run `python3 tests/bqemulator.py install`."
        )


def install(
    log: Callable[[str], None] = print, root: Path | None = None, force: bool = False
) -> Installation:
    """Install the emulator unless the installation in `root` already has today's pins (or `force`). Safe to call
    from several processes at once: one installs, the others wait on a file lock and then find it installed."""
    installation = Installation(root or emulator_root())
    if installation.is_current() and not force:
        return installation
    with _install_lock(installation.root, log):
        if installation.is_current() and not force:
            return installation
        python = find_python()
        started = time.monotonic()

        def step(message: str) -> None:
            log(f"[bq-emulator {time.monotonic() - started:5.1f}s] {message}")

        step(f"installing {' '.join(PINS)} into {installation.venv} with {python} (a few minutes when cold)")
        installation.marker.unlink(missing_ok=True)
        shutil.rmtree(installation.venv, ignore_errors=True)
        shutil.rmtree(installation.private_home, ignore_errors=True)
        installation.install_log.write_text("")
        _run_logged([str(python), "-m", "venv", str(installation.venv)], installation.install_log)
        step("venv created; pip install ...")
        _run_logged(
            [str(installation.python), "-m", "pip", "install", "--disable-pip-version-check", "-q", *PINS],
            installation.install_log,
        )
        step("packages installed; INSTALLing the DuckDB extensions from their wheels ...")
        installation.private_home.mkdir(parents=True, exist_ok=True)
        _run_logged(
            [str(installation.python), "-c", _INSTALL_EXTENSIONS, *EXTENSIONS],
            installation.install_log,
            env={**os.environ, "HOME": str(installation.private_home)},
        )
        installation.marker.write_text(
            json.dumps({"pins": list(PINS), "python": str(python), "installed_at": time.time()}, indent=2)
            + "\n"
        )
        step(f"done: {installation.executable}")
    return installation


# --------------------------------------------------------------------------------------------------------------
# Serve


# Runs `local-bigquery` (argv: its arguments) in the emulator's venv, with a watchdog: when the process that started
# it dies without stopping it (a test run killed), the server stops its own process group instead of living on.
_SERVE_WITH_WATCHDOG = r"""
import os, signal, sys, threading, time

parent = os.getppid()


def watch():
    while os.getppid() == parent:
        time.sleep(1)
    os.killpg(0, signal.SIGTERM)
    time.sleep(10)
    os._exit(1)


threading.Thread(target=watch, daemon=True).start()
from local_bigquery.cli import main

sys.argv = ["local-bigquery", *sys.argv[1:]]
sys.exit(main())
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def new_project_id(hint: str = "") -> str:
    """A project id no one else uses, valid for BigQuery (lower case, digits, hyphens; at most 30 characters):
    `t-<hint>-<8 random hex>`, the hint shortened to 16 characters."""
    slug = re.sub(r"[^a-z0-9]+", "-", hint.lower()).strip("-")[:16].strip("-")
    suffix = uuid.uuid4().hex[:8]
    return f"t-{slug}-{suffix}" if slug else f"t-{suffix}"


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass(frozen=True)
class BigQueryEmulator:
    """A running emulator, standing in for Google's BigQuery API (REST on `endpoint`, Storage API on
    `grpc_endpoint`). Every project id works without being created, and each project is its own catalog."""

    endpoint: str  # "http://127.0.0.1:PORT": the client's `api_endpoint`
    grpc_endpoint: str  # "127.0.0.1:PORT": the BigQuery Storage Read/Write API, plain gRPC without TLS
    project: str  # the server's default project
    log_path: Path
    data_dir: Path

    def client(self, project: str | None = None, endpoint: str | None = None) -> bigquery.Client:
        """The real google-cloud-bigquery client, anonymous, pointed at the emulator (or at `endpoint`, e.g. a
        proxy in front of it).

        One change from a plain `bigquery.Client`: where the library would make its own BigQuery Storage client
        (`to_arrow()` / `to_dataframe()` without `bqstorage_client=`), it gets `read_client()`, so those calls read
        from the emulator's gRPC port instead of trying Google's."""
        from google.auth.credentials import AnonymousCredentials

        return _emulator_client_class()(
            read_client=self.read_client,
            project=project or self.project,
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": endpoint or self.endpoint},
        )

    def read_client(self, interceptors: Sequence[Any] = ()) -> BigQueryReadClient:
        """A BigQuery Storage Read API client on the emulator's gRPC port: `BigQueryReadClient` over an insecure
        channel (the emulator speaks plain gRPC, no TLS). Two ways to read Arrow with it, both exercised in
        tests/bigquery/test_storage_read.py:

        - through the REST client's helpers: `client.list_rows(table).to_arrow(bqstorage_client=read_client)`
          (or `to_arrow_iterable(...)`, `to_dataframe(...)`). Query results take the same argument
          (`client.query(sql).result().to_arrow(bqstorage_client=...)`), but the library reads a result that fits
          in its first page by REST and uses the Storage API only beyond that;
        - directly: `read_client.create_read_session(parent="projects/P", read_session=types.ReadSession(
          table="projects/P/datasets/D/tables/T", data_format=types.DataFormat.ARROW), max_stream_count=1)`, then
          `read_client.read_rows(session.streams[0].name).to_arrow(session)`.

        Known difference from BigQuery: the emulator sends DuckDB's Arrow types where they are narrower than
        BigQuery's (an INT64 column computed from a literal can arrive as int32, BIGNUMERIC as decimal128(38, 18)),
        so a reader should cast to the table's schema rather than trust the stream's.

        `interceptors`: gRPC client interceptors to put on the channel (a test can count the calls)."""
        import grpc
        from google.auth.credentials import AnonymousCredentials
        from google.cloud.bigquery_storage_v1 import BigQueryReadClient
        from google.cloud.bigquery_storage_v1.services.big_query_read.transports import (
            BigQueryReadGrpcTransport,
        )

        channel = grpc.insecure_channel(self.grpc_endpoint)
        if interceptors:
            channel = grpc.intercept_channel(channel, *interceptors)
        transport = BigQueryReadGrpcTransport(channel=channel, credentials=AnonymousCredentials())
        return BigQueryReadClient(transport=transport)


@functools.cache
def _emulator_client_class() -> type:
    from google.cloud import bigquery

    class EmulatorClient(bigquery.Client):
        """`bigquery.Client` whose default BigQuery Storage client is the emulator's (see `client()`)."""

        def __init__(self, *, read_client: Callable[[], Any], **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._emulator_read_client = read_client

        def _ensure_bqstorage_client(self, bqstorage_client: Any = None, *args: Any, **kwargs: Any) -> Any:
            # Also what `_get_shared_bqstorage_client` (ARROW query results) calls to make its client.
            return bqstorage_client if bqstorage_client is not None else self._emulator_read_client()

    return EmulatorClient


class EmulatorServer:
    """The `local-bigquery serve` process, in its own process group so that stopping it stops its children."""

    def __init__(
        self,
        installation: Installation,
        data_dir: Path,
        log_path: Path,
        project: str = DEFAULT_PROJECT,
        port: int | None = None,
        grpc_port: int | None = None,
    ) -> None:
        self.installation = installation
        self.data_dir = data_dir
        self.log_path = log_path
        self.project = project
        self.port = port or free_port()
        self.grpc_port = grpc_port or free_port()
        while self.grpc_port == self.port:
            self.grpc_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def emulator(self) -> BigQueryEmulator:
        return BigQueryEmulator(
            endpoint=f"http://127.0.0.1:{self.port}",
            grpc_endpoint=f"127.0.0.1:{self.grpc_port}",
            project=self.project,
            log_path=self.log_path,
            data_dir=self.data_dir,
        )

    def start(self, timeout: float = START_TIMEOUT_SECONDS) -> BigQueryEmulator:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        command = [
            str(self.installation.python),
            "-c",
            _SERVE_WITH_WATCHDOG,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--grpc-port",
            str(self.grpc_port),
            "--project",
            self.project,
            "--data-dir",
            str(self.data_dir),
        ]
        env = {**os.environ, "HOME": str(self.installation.private_home)}
        with open(self.log_path, "ab") as log:
            shown = [str(self.installation.executable), *command[3:]]
            log.write(f"$ HOME={env['HOME']} {' '.join(shown)}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        atexit.register(self.stop)  # also when the session ends without its teardown (an interrupted run)
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self.emulator

    def _wait_ready(self, timeout: float) -> None:
        """Ready when listing the default project's datasets answers 200: that request opens DuckDB and loads its
        extensions, so a missing one shows here, not in the first test."""
        assert self.process is not None
        url = f"{self.emulator.endpoint}/bigquery/v2/projects/{self.project}/datasets"
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise EmulatorError(
                    f"the BigQuery emulator exited with code {self.process.returncode} on start-up; its log is "
                    f"{self.log_path}:\n{tail(self.log_path)}"
                )
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    if response.status == 200:
                        return
            except urllib.error.HTTPError as error:
                body = error.read().decode(errors="replace")[:2000]
                raise EmulatorError(
                    f"the BigQuery emulator answered {error.code} to {url}: {body}\nIf that names a DuckDB "
                    "extension, reinstall with `python3 tests/bqemulator.py install --force`. Its log is "
                    f"{self.log_path}:\n{tail(self.log_path)}"
                ) from error
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise EmulatorError(
                    f"the BigQuery emulator did not answer on {url} within {timeout:.0f} s; its log is "
                    f"{self.log_path}:\n{tail(self.log_path)}"
                )
            time.sleep(0.1)

    def stop(self, timeout: float = 10.0) -> None:
        atexit.unregister(self.stop)
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


_PORT_TAKEN = ("address already in use", "failed to bind")


def start_server(installation: Installation, folder: Path, attempts: int = 3) -> EmulatorServer:
    """Start an emulator on free ports, its data and log (`server.log`) in `folder`. A port taken by another
    process between choosing it and binding it is retried on new ports."""
    for attempt in range(1, attempts + 1):
        server = EmulatorServer(installation, data_dir=folder / "data", log_path=folder / "server.log")
        try:
            server.start()
            return server
        except EmulatorError as error:
            if attempt == attempts or not any(text in str(error).lower() for text in _PORT_TAKEN):
                raise
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------------------------------------------
# Proxies in front of the emulator

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}
_JOBS_INSERT = re.compile(r"^(?:/upload)?/bigquery/v2/projects/[^/]+/jobs$")
_JOBS_QUERY = re.compile(r"^/bigquery/v2/projects/[^/]+/queries$")
_JOB_RESPONSE = re.compile(r"^/bigquery/v2/projects/[^/]+/(?:jobs|queries)(?:/[^/]+)?$")


@dataclass
class Exchange:
    """One request through a proxy, and (once the emulator answered) its response. `json_body` is the request's
    body parsed when it is JSON, else None; `response_json` the same for the response, which hooks may edit."""

    method: str
    path: str  # without the query string
    query: str
    headers: dict[str, str]
    body: bytes
    json_body: Any = None
    status: int = 0
    reason: str = ""
    response_headers: list[tuple[str, str]] | None = None
    response_body: bytes = b""
    response_json: Any = None


def _decode_json(body: bytes, encoding: str | None) -> Any:
    if not body:
        return None
    if encoding == "gzip":
        body = gzip.decompress(body)
    try:
        return json.loads(body)
    except ValueError:
        return None


class JobProxy:
    """A reverse proxy on 127.0.0.1 that passes every request to the emulator unchanged (REST calls, multipart and
    resumable uploads, chunked request bodies, large responses) and lets a subclass look at or edit JSON bodies.

    Responses go back with a Content-Length (never chunked) and without compression (it asks the emulator for
    `identity`). A resumable upload's `Location` is rewritten to point back at the proxy."""

    def __init__(self, upstream: str, port: int = 0) -> None:
        match = re.fullmatch(r"http://([^:/]+):(\d+)/?", upstream)
        if not match:
            raise ValueError(f"upstream must look like http://HOST:PORT, not {upstream!r}")
        self.upstream = upstream.rstrip("/")
        self._seen_lock = threading.Lock()
        self._seen: list[tuple[str, str]] = []
        self._upstream_host, self._upstream_port = match[1], int(match[2])
        proxy = self

        class Handler(_ProxyHandler):
            owner = proxy

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name=type(self).__name__, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    @property
    def requests(self) -> list[tuple[str, str]]:
        """Every request passed so far, in order, as (method, path with query string)."""
        with self._seen_lock:
            return list(self._seen)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Hooks: a subclass overrides these. `on_request` may answer itself by setting `exchange.status`.
    def on_request(self, exchange: Exchange) -> None:
        return None

    def on_response(self, exchange: Exchange) -> None:
        return None

    def forward(self, exchange: Exchange) -> None:
        headers = {k: v for k, v in exchange.headers.items() if k.lower() not in _HOP_BY_HOP | {"host"}}
        headers = {k: v for k, v in headers.items() if k.lower() not in {"content-length", "accept-encoding"}}
        headers["Accept-Encoding"] = "identity"
        if exchange.body or exchange.method in {"POST", "PUT", "PATCH"}:
            headers["Content-Length"] = str(len(exchange.body))
        connection = http.client.HTTPConnection(self._upstream_host, self._upstream_port, timeout=600)
        try:
            target = exchange.path + (f"?{exchange.query}" if exchange.query else "")
            connection.request(exchange.method, target, body=exchange.body or None, headers=headers)
            response = connection.getresponse()
            exchange.response_body = response.read()
            exchange.status, exchange.reason = response.status, response.reason
            exchange.response_headers = [
                (name, self._rewrite_location(name, value))
                for name, value in response.getheaders()
                if name.lower() not in _HOP_BY_HOP | {"content-length"}
            ]
        finally:
            connection.close()
        content_type = dict((k.lower(), v) for k, v in exchange.response_headers).get("content-type", "")
        if "json" in content_type:
            exchange.response_json = _decode_json(exchange.response_body, None)

    def _rewrite_location(self, name: str, value: str) -> str:
        if name.lower() == "location" and value.startswith(self.upstream):
            return self.endpoint + value[len(self.upstream) :]
        return value


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    owner: JobProxy

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        return None

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        path, _, query = self.path.partition("?")
        body = self._read_body()
        exchange = Exchange(
            method=self.command, path=path, query=query, headers=dict(self.headers.items()), body=body
        )
        if "json" in self.headers.get("Content-Type", ""):
            exchange.json_body = _decode_json(body, self.headers.get("Content-Encoding"))
        with self.owner._seen_lock:
            self.owner._seen.append((self.command, self.path))
        try:
            self.owner.on_request(exchange)
            if not exchange.status:
                self.owner.forward(exchange)
                self.owner.on_response(exchange)
        except OSError as error:
            message = f"proxy could not reach the BigQuery emulator at {self.owner.upstream}: {error}"
            exchange.status, exchange.reason, exchange.response_headers = 502, "Bad Gateway", []
            exchange.response_json = {"error": {"code": 502, "message": message, "status": "UNAVAILABLE"}}
            exchange.response_body = b""
        self._send(exchange)

    def _send(self, exchange: Exchange) -> None:
        headers = list(exchange.response_headers or [])
        body = exchange.response_body
        if exchange.response_json is not None:
            body = json.dumps(exchange.response_json).encode()
            headers = [(k, v) for k, v in headers if k.lower() not in {"content-type", "content-encoding"}]
            headers.append(("Content-Type", "application/json; charset=UTF-8"))
        self.send_response(exchange.status, exchange.reason)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


def copy_ddl_target(job: Any) -> bool:
    """On a CTAS job resource, copy `statistics.query.ddlTargetTable` into `configuration.query.destinationTable`
    where that is missing. True when it copied."""
    if not isinstance(job, dict):
        return False
    statistics = (job.get("statistics") or {}).get("query") or {}
    query = (job.get("configuration") or {}).get("query")
    target = statistics.get("ddlTargetTable")
    if (
        statistics.get("statementType") == "CREATE_TABLE_AS_SELECT"
        and target
        and isinstance(query, dict)
        and not query.get("destinationTable")
    ):
        query["destinationTable"] = dict(target)
        return True
    return False


class CtasFixProxy(JobProxy):
    """For dbt-bigquery. The emulator reports a CTAS job's table only in `statistics.query.ddlTargetTable`;
    dbt-bigquery reads `configuration.query.destinationTable` (as BigQuery fills it) and fails every table model
    with `'NoneType' object has no attribute 'path'`. This proxy copies the one into the other in every job
    resource it passes back (jobs.insert, jobs.get, jobs.list), and changes nothing else."""

    def on_response(self, exchange: Exchange) -> None:
        body = exchange.response_json
        if not isinstance(body, dict) or not _JOB_RESPONSE.match(exchange.path):
            return
        copy_ddl_target(body)
        for job in body.get("jobs") or []:
            copy_ddl_target(job)


class PricingProxy(JobProxy):
    """Stands in for BigQuery's dry-run estimates, which the emulator cannot make (it always says 0 bytes).

    A dry-run query (`configuration.dryRun`, or `dryRun` on jobs.query) still goes to the emulator, which checks the
    SQL and runs nothing; its answer then says `totalBytesProcessed = dry_run_bytes` (when set). Real jobs pass
    through untouched. The JSON body of every job sent is recorded, in order, for tests to read (`jobs`,
    `real_jobs()`, `dry_runs()`)."""

    def __init__(
        self, upstream: str, dry_run_bytes: int | None = None, only_if_query_has: str | None = None
    ) -> None:
        self.dry_run_bytes = dry_run_bytes
        self.only_if_query_has = only_if_query_has
        """When set, only dry runs whose SQL contains this text get `dry_run_bytes` (others keep the emulator's 0)."""
        self._lock = threading.Lock()
        self._jobs: list[dict[str, Any]] = []
        super().__init__(upstream)

    @property
    def jobs(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._jobs)

    def real_jobs(self) -> list[dict[str, Any]]:
        return [job for job in self.jobs if not _is_dry_run(job)]

    def dry_runs(self) -> list[dict[str, Any]]:
        return [job for job in self.jobs if _is_dry_run(job)]

    def on_request(self, exchange: Exchange) -> None:
        is_job = _JOBS_INSERT.match(exchange.path) or _JOBS_QUERY.match(exchange.path)
        if exchange.method == "POST" and is_job and isinstance(exchange.json_body, dict):
            with self._lock:
                self._jobs.append(exchange.json_body)

    def on_response(self, exchange: Exchange) -> None:
        body, estimate = exchange.response_json, self.dry_run_bytes
        if estimate is None or exchange.status != 200 or not isinstance(body, dict):
            return
        if not (isinstance(exchange.json_body, dict) and _is_dry_run(exchange.json_body)):
            return
        if self.only_if_query_has is not None and self.only_if_query_has not in query_text(
            exchange.json_body
        ):
            return
        if _JOBS_QUERY.match(exchange.path):
            body["totalBytesProcessed"] = str(estimate)
        elif _JOBS_INSERT.match(exchange.path):
            statistics = body.setdefault("statistics", {})
            statistics["totalBytesProcessed"] = str(estimate)
            query = statistics.setdefault("query", {})
            query["totalBytesProcessed"] = str(estimate)
            query["totalBytesProcessedAccuracy"] = "PRECISE"
            query["totalBytesBilled"] = "0"


def query_text(job: dict[str, Any]) -> str:
    """The SQL of a jobs.insert body or a jobs.query body ('' when there is none)."""
    query = ((job.get("configuration") or {}).get("query") or {}).get("query")
    return str(query if query is not None else job.get("query") or "")


def _is_dry_run(job: dict[str, Any]) -> bool:
    return bool(job.get("dryRun") or (job.get("configuration") or {}).get("dryRun"))


# --------------------------------------------------------------------------------------------------------------
# A development project on the emulator


def seed_dev_project(endpoint: str, project: str, gharchive_dir: Path) -> dict[str, int]:
    """GH Archive hour files as `<project>.gharchive_day.YYYYMMDD` tables (one per day, every event, in the day
    tables' columns) and empty tables shaped like Google's Optimism dataset in `<project>.optimism`, so that
    `impact run --target bigquery` can run against the emulator with IMPACT_BQ_GITHUB_TABLES=<project>.gharchive_day.
    and IMPACT_BQ_OPTIMISM_DATASET=<project>.optimism. Returns the rows loaded per table."""
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    client = bigquery.Client(
        project=project,
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=endpoint),
    )
    user = [bigquery.SchemaField(name, "INT64" if name == "id" else "STRING") for name in _USER_FIELDS]
    schema = [
        bigquery.SchemaField("id", "STRING"),
        bigquery.SchemaField("type", "STRING"),
        bigquery.SchemaField("public", "BOOL"),
        bigquery.SchemaField("created_at", "TIMESTAMP"),
        bigquery.SchemaField(
            "repo",
            "RECORD",
            fields=[
                bigquery.SchemaField("id", "INT64"),
                bigquery.SchemaField("name", "STRING"),
                bigquery.SchemaField("url", "STRING"),
            ],
        ),
        bigquery.SchemaField("actor", "RECORD", fields=user),
        bigquery.SchemaField("org", "RECORD", fields=user),
        bigquery.SchemaField("payload", "STRING"),
        bigquery.SchemaField("other", "STRING"),
    ]
    loaded: dict[str, int] = {}
    client.create_dataset(f"{project}.gharchive_day", exists_ok=True)
    days: dict[str, list[Path]] = {}
    for path in sorted(gharchive_dir.glob("*.json.gz")):
        match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})-(\d{1,2})\.json\.gz", path.name)
        if match:
            days.setdefault(match[1] + match[2] + match[3], []).append(path)
    for day, paths in sorted(days.items()):
        rows = []
        for path in paths:
            with gzip.open(path, "rt", encoding="utf-8") as handle:
                for line in handle:
                    if line.strip():
                        rows.append(_day_table_row(json.loads(line)))
        config = bigquery.LoadJobConfig(
            schema=schema, source_format="NEWLINE_DELIMITED_JSON", write_disposition="WRITE_TRUNCATE"
        )
        table = f"{project}.gharchive_day.{day}"
        client.load_table_from_json(rows, table, job_config=config).result()
        loaded[table] = len(rows)
    client.create_dataset(f"{project}.optimism", exists_ok=True)
    schemas = REPO_ROOT / "tests" / "fixtures" / "optimism_bigquery" / "schema"
    for name in ("transactions", "receipts", "blocks"):
        fields = [
            bigquery.SchemaField.from_api_repr(f) for f in json.loads((schemas / f"{name}.json").read_text())
        ]
        table_spec = bigquery.Table(f"{project}.optimism.{name}", schema=fields)
        table_spec.time_partitioning = bigquery.TimePartitioning(type_="MONTH", field="block_timestamp")
        client.create_table(table_spec, exists_ok=True)
        loaded[f"{project}.optimism.{name}"] = 0
    client.close()
    return loaded


_USER_FIELDS = ("id", "login", "gravatar_id", "avatar_url", "url")
_CONTRACT_KEYS = frozenset({"id", "type", "public", "created_at", "repo", "actor", "org", "payload"})


def _day_table_row(event: dict[str, Any]) -> dict[str, Any]:
    """A GH Archive line as a row of its day table: payload and the other top-level keys as JSON text."""
    extra = {k: v for k, v in event.items() if k not in _CONTRACT_KEYS}
    org = event.get("org")
    return {
        "id": event.get("id"),
        "type": event.get("type"),
        "public": event.get("public"),
        "created_at": event.get("created_at"),
        "repo": {k: (event.get("repo") or {}).get(k) for k in ("id", "name", "url")},
        "actor": {k: (event.get("actor") or {}).get(k) for k in _USER_FIELDS},
        "org": None if org is None else {k: org.get(k) for k in _USER_FIELDS},
        "payload": json.dumps(event.get("payload"), ensure_ascii=False),
        "other": json.dumps(extra, ensure_ascii=False) if extra else None,
    }


# --------------------------------------------------------------------------------------------------------------
# Command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    install_command = commands.add_parser("install", help="install the emulator in its own Python 3.13 venv")
    install_command.add_argument("--force", action="store_true", help="reinstall even when up to date")
    serve = commands.add_parser("serve", help="install if needed, then run the emulator until Ctrl-C")
    serve.add_argument("--port", type=int, default=9050)
    serve.add_argument("--grpc-port", type=int, default=None, help="default: --port + 10")
    serve.add_argument("--project", default=DEFAULT_PROJECT)
    serve.add_argument("--data-dir", type=Path, default=None, help="default: a new temporary folder")
    serve.add_argument(
        "--proxy-port",
        type=int,
        default=None,
        help="the endpoint to give impact and dbt: the emulator behind the CTAS fix (default: --port + 1)",
    )
    seed = commands.add_parser(
        "seed",
        help="load GH Archive hour files into <project>.gharchive_day.YYYYMMDD tables and create empty Optimism "
        "tables in <project>.optimism (run it with the project's .venv python)",
    )
    seed.add_argument("gharchive_dir", type=Path, help="a folder of YYYY-MM-DD-H.json.gz hour files")
    seed.add_argument("--endpoint", default="http://127.0.0.1:9050")
    seed.add_argument("--project", default="dev")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if args.command == "seed":
        seeded = seed_dev_project(args.endpoint, args.project, args.gharchive_dir)
        for table, rows in seeded.items():
            log(f"{table}: {rows} rows")
        return 0
    try:
        started = time.monotonic()
        installation = install(log, force=args.command == "install" and args.force)
        if args.command == "install":
            log(f"BigQuery emulator installed in {installation.root} ({time.monotonic() - started:.1f} s)")
            return 0
        with contextlib.ExitStack() as stack:
            data_dir = args.data_dir or Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix="bq-emulator-"))
            )
            server = EmulatorServer(
                installation,
                data_dir=data_dir,
                log_path=data_dir / "server.log",
                project=args.project,
                port=args.port,
                grpc_port=args.grpc_port or args.port + 10,
            )
            emulator = server.start()
            stack.callback(server.stop)
            proxy = stack.enter_context(
                CtasFixProxy(emulator.endpoint, port=args.proxy_port or args.port + 1)
            )
            log(
                f"BigQuery emulator on {emulator.endpoint} (gRPC {emulator.grpc_endpoint}), project {args.project}"
            )
            log(f"data in {data_dir}, log in {server.log_path}. Ctrl-C stops it.")
            log(
                f"for impact and dbt: IMPACT_BQ_ENDPOINT={proxy.endpoint} "
                f"IMPACT_BQ_STORAGE_ENDPOINT={emulator.grpc_endpoint.removeprefix('http://')} "
                "(the proxy passes everything through and makes CTAS jobs name their table, as dbt-bigquery expects)"
            )
            log(
                "client: bigquery.Client(project=..., credentials=AnonymousCredentials(), "
                f'client_options={{"api_endpoint": "{emulator.endpoint}"}})'
            )
            # Ctrl-C or a plain `kill` stops the server too (it runs in its own process group).
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.signal(signal.SIGTERM, signal.default_int_handler)
            with contextlib.suppress(KeyboardInterrupt):
                while server.process is not None and server.process.poll() is None:
                    time.sleep(0.5)
        return 0
    except (EmulatorUnavailable, EmulatorError) as error:
        log(f"error: {error}")
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""A missing or wrong BigQuery setting or credential says which one and how to fix it, before anything changes,
and never prints the secret.

Boundary: Google cannot be reached from the tests. Settings and credential files are checked before any request.
Google's refusal of a well-formed service-account key is played by a local OAuth token endpoint (the key's
`token_uri` points at it) that answers `invalid_grant` as Google's does; no request ever leaves the machine.
Application Default Credentials are looked up in an empty HOME, with Google's metadata-server probe turned off.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

REPO_ROOT = Path(__file__).resolve().parents[2]


def _impact(args: list[str], env: dict[str, str]) -> Any:
    """`impact` as a user runs it (its error handling and exit codes), in-process."""
    from ingestion.cli import main

    @click.command(context_settings={"ignore_unknown_options": True})
    @click.argument("argv", nargs=-1, type=click.UNPROCESSED)
    def entry(argv: tuple[str, ...]) -> None:
        import sys

        sys.argv = ["impact", *argv]
        main()

    return CliRunner().invoke(entry, args, env=env)


@pytest.fixture
def no_google(tmp_path: Path) -> dict[str, str | None]:
    """An environment with no Google credentials anywhere: empty HOME and gcloud config, no key file variable,
    no metadata server probe."""
    home = tmp_path / "home"
    home.mkdir()
    return {
        "HOME": str(home),
        "CLOUDSDK_CONFIG": str(home / "gcloud"),
        "GOOGLE_APPLICATION_CREDENTIALS": None,
        "NO_GCE_CHECK": "True",
        "GCE_METADATA_HOST": "127.0.0.1:9",
        "IMPACT_BQ_ENDPOINT": None,
        "IMPACT_BQ_KEYFILE": None,
        "IMPACT_TARGET": "bigquery",
        "IMPACT_BQ_PROJECT": "impact-credentials-check",
        "IMPACT_REGISTRY_DIR": str(REPO_ROOT / "registry"),
    }


def test_a_missing_project_is_named(no_google: dict[str, str | None]) -> None:
    result = _impact(["ingest", "github", "--start", "2024-05-21"], {**no_google, "IMPACT_BQ_PROJECT": None})
    assert result.exit_code == 2
    assert (
        "IMPACT_BQ_PROJECT is not set: export IMPACT_BQ_PROJECT=<your Google Cloud project id>"
        in result.output
    )


def test_a_cap_that_is_not_a_number_is_refused_before_anything_runs(no_google: dict[str, str | None]) -> None:
    """'100GB' would read as 0 (no cap) where dbt turns it into a number, so the CLI refuses it, naming the fix."""
    result = _impact(
        ["run", "--dry-run", "--start", "2024-05-21"], {**no_google, "IMPACT_BQ_MAX_BYTES": "100GB"}
    )
    assert result.exit_code == 2
    assert "IMPACT_BQ_MAX_BYTES='100GB' is not a whole number of bytes" in result.output
    assert "IMPACT_BQ_MAX_BYTES=100000000000" in result.output


def test_no_credentials_at_all_names_both_ways_to_provide_them(no_google: dict[str, str | None]) -> None:
    result = _impact(["ingest", "github", "--start", "2024-05-21"], no_google)
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert "no Google credentials found for BigQuery" in message
    assert "IMPACT_BQ_KEYFILE=/path/to/service-account-key.json" in message
    assert "gcloud auth application-default login" in message


def test_a_key_file_that_does_not_exist_is_named(no_google: dict[str, str | None], tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    result = _impact(["registry", "load"], {**no_google, "IMPACT_BQ_KEYFILE": str(missing)})
    assert result.exit_code == 2
    assert f"IMPACT_BQ_KEYFILE={missing} does not exist" in " ".join(result.output.split())


def test_a_file_that_is_not_a_key_is_named(no_google: dict[str, str | None], tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    key.write_text('{"type": "service_account", "client_email": "x@y"}')
    result = _impact(["registry", "load"], {**no_google, "IMPACT_BQ_KEYFILE": str(key)})
    assert result.exit_code == 2
    assert f"IMPACT_BQ_KEYFILE={key} is not a service-account key file" in " ".join(result.output.split())


class _RefusingTokenEndpoint(http.server.BaseHTTPRequestHandler):
    """Answers every token request as Google does for a revoked or deleted key."""

    requests: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - the base class's name
        length = int(self.headers.get("Content-Length") or 0)
        self.requests.append(self.rfile.read(length).decode())
        body = json.dumps({"error": "invalid_grant", "error_description": "Invalid JWT Signature."}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        return


@pytest.fixture
def token_endpoint() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RefusingTokenEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/token"
    finally:
        server.shutdown()


def test_a_key_google_refuses_is_reported_without_the_secret(
    no_google: dict[str, str | None], tmp_path: Path, token_endpoint: str
) -> None:
    """A well-formed key whose token request is refused (invalid_grant): the command fails with exit code 2,
    names IMPACT_BQ_KEYFILE and the fix, and prints neither the private key nor its id."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    key = tmp_path / "revoked.json"
    key.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "impact-credentials-check",
                "private_key_id": "0123456789abcdef0123456789abcdef01234567",
                "private_key": pem,
                "client_email": "loader@impact-credentials-check.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": token_endpoint,
            }
        )
    )
    _RefusingTokenEndpoint.requests.clear()
    result = _impact(["registry", "load"], {**no_google, "IMPACT_BQ_KEYFILE": str(key)})
    assert _RefusingTokenEndpoint.requests, "the key was never presented to the token endpoint"
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert "Google refused the service-account key file in IMPACT_BQ_KEYFILE (RefreshError)" in message
    assert "gcloud auth application-default login" in message
    secret_line = pem.splitlines()[1]
    assert secret_line not in result.output
    assert "0123456789abcdef0123456789abcdef01234567" not in result.output

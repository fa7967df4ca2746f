"""profiles.example.yml's `bigquery` output, rendered by dbt itself from the environment it reads (IMPACT_BQ_*), as
the credentials dbt-bigquery would connect with. Offline: rendering a profile and parsing the project make no
request; nothing here reaches Google or the emulator."""

from __future__ import annotations

import os
import shutil
from argparse import Namespace
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PROFILE_VARIABLES = (
    "IMPACT_DBT_TARGET",
    "IMPACT_BQ_PROJECT",
    "IMPACT_BQ_DATASET",
    "IMPACT_BQ_LOCATION",
    "IMPACT_BQ_METHOD",
    "IMPACT_BQ_KEYFILE",
    "IMPACT_BQ_TOKEN",
    "IMPACT_BQ_ENDPOINT",
    "IMPACT_BQ_MAX_BYTES",
)


@pytest.fixture
def render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """render(env) -> the BigQuery credentials dbt makes of the `bigquery` output with exactly `env` set."""
    from dbt.config.profile import Profile, read_profile
    from dbt.config.renderer import ProfileRenderer
    from dbt.flags import set_from_args
    from dbt_common.context import set_invocation_context

    shutil.copyfile(REPO_ROOT / "profiles.example.yml", tmp_path / "profiles.yml")

    def _render(env: dict[str, str]) -> Any:
        for key in PROFILE_VARIABLES:
            monkeypatch.delenv(key, raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        set_from_args(Namespace(), None)
        set_invocation_context(dict(os.environ))
        raw = read_profile(str(tmp_path))
        return Profile.from_raw_profiles(
            raw, "impact", ProfileRenderer({}), target_override="bigquery"
        ).credentials

    return _render


def test_defaults_are_google_with_application_default_credentials(render: Any) -> None:
    """Only the project set: Application Default Credentials, location US, Google's endpoint, a 100 GB cap per
    query (10^11 bytes, the ingestion's default too). An empty IMPACT_BQ_ENDPOINT is the same as none (a CI job
    often exports variables empty): dbt-bigquery then passes no endpoint and the client uses Google's."""
    for env in (
        {"IMPACT_BQ_PROJECT": "my-project"},
        {"IMPACT_BQ_PROJECT": "my-project", "IMPACT_BQ_ENDPOINT": ""},
    ):
        credentials = render(env)
        assert credentials.type == "bigquery"
        assert str(credentials.method) == "oauth"
        assert (credentials.database, credentials.schema, credentials.location) == (
            "my-project",
            "impact",
            "US",
        )
        assert credentials.api_endpoint is None
        assert credentials.maximum_bytes_billed == 100_000_000_000
        assert credentials.keyfile is None and credentials.token is None
        assert credentials.job_retries == 1


def test_a_service_account_key_and_a_local_endpoint(render: Any) -> None:
    key = render(
        {
            "IMPACT_BQ_PROJECT": "prod-project",
            "IMPACT_BQ_METHOD": "service-account",
            "IMPACT_BQ_KEYFILE": "/secrets/impact-sa.json",
            "IMPACT_BQ_LOCATION": "EU",
        }
    )
    assert (str(key.method), key.keyfile, key.location) == (
        "service-account",
        "/secrets/impact-sa.json",
        "EU",
    )
    local = render(
        {
            "IMPACT_BQ_PROJECT": "test-project",
            "IMPACT_BQ_METHOD": "oauth-secrets",
            "IMPACT_BQ_TOKEN": "placeholder",
            "IMPACT_BQ_ENDPOINT": "http://127.0.0.1:9050",
            "IMPACT_BQ_MAX_BYTES": "5000000",
        }
    )
    assert (str(local.method), local.token, local.api_endpoint) == (
        "oauth-secrets",
        "placeholder",
        "http://127.0.0.1:9050",
    )
    assert local.maximum_bytes_billed == 5_000_000


def test_a_cap_with_a_unit_stops_dbt_naming_the_value(render: Any) -> None:
    """`| int` would turn "100GB" into 0, which dbt-bigquery sends as no cap at all; the profile refuses it."""
    from dbt.exceptions import DbtProfileError

    with pytest.raises(DbtProfileError, match=r"Could not convert value '100GB' into type 'number'"):
        render({"IMPACT_BQ_PROJECT": "my-project", "IMPACT_BQ_MAX_BYTES": "100GB"})


def test_a_missing_project_stops_dbt_naming_the_variable(render: Any) -> None:
    from dbt.exceptions import EnvVarMissingError

    with pytest.raises(EnvVarMissingError, match="IMPACT_BQ_PROJECT"):
        render({})


def test_the_cli_settings_render_to_the_same_connection(render: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """`impact build --target bigquery` sets the profile's variables from its settings (ingestion.dbt): the
    connection dbt makes of them is the one the settings describe."""
    from ingestion.dbt import bigquery_profile_env
    from ingestion.settings import BigQuerySettings, Settings

    monkeypatch.chdir(REPO_ROOT)
    settings = Settings.from_env().with_overrides(
        bigquery=BigQuerySettings(
            project="cli-project", location="EU", endpoint="http://127.0.0.1:9050", max_bytes=123_000
        ),
        target="bigquery",
    )
    credentials = render(bigquery_profile_env(settings))
    assert (credentials.database, credentials.location, credentials.api_endpoint) == (
        "cli-project",
        "EU",
        "http://127.0.0.1:9050",
    )
    assert str(credentials.method) == "oauth-secrets" and credentials.maximum_bytes_billed == 123_000


def test_dbt_parses_the_project_for_bigquery_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`dbt parse --target bigquery` with the default method (Application Default Credentials, none configured
    here) and Google's endpoint: parsing needs neither credentials nor a connection."""
    from dbt.cli.main import dbtRunner

    shutil.copyfile(REPO_ROOT / "profiles.example.yml", tmp_path / "profiles.yml")
    for key in PROFILE_VARIABLES:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("IMPACT_BQ_PROJECT", "impact-offline-check")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "no-such-key.json"))
    result = dbtRunner().invoke(
        [
            "--quiet",
            "parse",
            "--target",
            "bigquery",
            "--project-dir",
            str(REPO_ROOT),
            "--profiles-dir",
            str(tmp_path),
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ]
    )
    assert result.success, result.exception
    assert (tmp_path / "target" / "manifest.json").is_file()

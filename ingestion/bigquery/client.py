"""A BigQuery client made from the settings, and Google's errors turned into messages that say what to do.

Credentials, in this order: a local endpoint (`IMPACT_BQ_ENDPOINT`, an emulator) needs none; a service-account key
file named by `IMPACT_BQ_KEYFILE`; otherwise Application Default Credentials (`GOOGLE_APPLICATION_CREDENTIALS`,
`gcloud auth application-default login`, or the metadata server of a Google runner). No message ever contains a
credential, only the name of the variable or command that provides it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ingestion.errors import ConfigError, ImpactError
from ingestion.settings import ENV_BQ_ENDPOINT, ENV_BQ_KEYFILE, ENV_BQ_PROJECT, BigQuerySettings

if TYPE_CHECKING:
    from google.cloud import bigquery

SCOPES = ("https://www.googleapis.com/auth/bigquery", "https://www.googleapis.com/auth/cloud-platform")
ROLES_HINT = (
    "grant the account BigQuery Job User and BigQuery Read Session User on the project and BigQuery Data Editor on "
    "the raw, staging, intermediate, marts and seeds datasets"
)
ADC_HINT = (
    f"set {ENV_BQ_KEYFILE}=/path/to/service-account-key.json, or run `gcloud auth application-default login` "
    "(or set GOOGLE_APPLICATION_CREDENTIALS)"
)


def credentials_source(settings: BigQuerySettings) -> str:
    """Where the credentials come from, for messages (never the credential itself)."""
    if settings.endpoint:
        return f"none (local endpoint {ENV_BQ_ENDPOINT})"
    if settings.keyfile is not None:
        return f"the service-account key file in {ENV_BQ_KEYFILE}"
    return "Application Default Credentials"


def load_credentials(settings: BigQuerySettings) -> Any:
    """The credentials for Google's BigQuery; ConfigError naming the variable to set when there are none."""
    if settings.endpoint:
        from google.auth.credentials import AnonymousCredentials

        return AnonymousCredentials()
    if settings.keyfile is not None:
        from google.oauth2 import service_account

        try:
            return service_account.Credentials.from_service_account_file(str(settings.keyfile), scopes=SCOPES)
        except FileNotFoundError:
            raise ConfigError(
                f"{ENV_BQ_KEYFILE}={settings.keyfile} does not exist: point it at a service-account key file"
            ) from None
        except (ValueError, KeyError, json.JSONDecodeError) as exc:
            reason = type(exc).__name__
            raise ConfigError(
                f"{ENV_BQ_KEYFILE}={settings.keyfile} is not a service-account key file ({reason}): download a "
                "JSON key for the service account (IAM > Service accounts > Keys > Add key) and point "
                f"{ENV_BQ_KEYFILE} at it, or unset it to use Application Default Credentials"
            ) from None
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        credentials, _ = google.auth.default(scopes=list(SCOPES))
    except DefaultCredentialsError:
        raise ConfigError(f"no Google credentials found for BigQuery: {ADC_HINT}") from None
    return credentials


def make_client(settings: BigQuerySettings) -> bigquery.Client:
    """A real google-cloud-bigquery client for the settings' project and location (validated first)."""
    from google.cloud import bigquery

    settings = settings.validated()
    options = {"api_endpoint": settings.endpoint} if settings.endpoint else None
    return bigquery.Client(
        project=settings.project,
        credentials=load_credentials(settings),
        location=settings.location,
        client_options=options,
    )


class BigQueryError(ImpactError):
    """BigQuery refused or failed a request; the message says what was asked and what to do."""


def explain(exc: BaseException, what: str, settings: BigQuerySettings | None = None) -> ImpactError:
    """Turn an exception from the BigQuery client into one of the project's errors, naming the fix."""
    from google.api_core import exceptions as api
    from google.auth import exceptions as auth

    source = credentials_source(settings) if settings else "the configured credentials"
    if isinstance(exc, auth.RefreshError | auth.DefaultCredentialsError):
        return ConfigError(
            f"{what}: Google refused {source} ({type(exc).__name__}): the key may be revoked or the login "
            f"expired; {ADC_HINT}"
        )
    if isinstance(exc, api.Unauthorized):
        return ConfigError(f"{what}: BigQuery did not accept {source} (401): {ADC_HINT}")
    if isinstance(exc, api.Forbidden):
        if _reason(exc) in {"billingNotEnabled", "accessDenied"} or "permission" in str(exc).lower():
            return ConfigError(
                f"{what}: BigQuery denied access with {source} (403: {_first_line(exc)}); {ROLES_HINT}, and "
                f"check that {ENV_BQ_PROJECT} is the project you meant"
            )
        return BigQueryError(f"{what}: BigQuery refused the request (403: {_first_line(exc)})")
    if isinstance(exc, api.NotFound):
        return BigQueryError(f"{what}: not found: {_first_line(exc)}")
    if isinstance(exc, api.GoogleAPICallError):
        return BigQueryError(f"{what}: BigQuery failed ({exc.code}: {_first_line(exc)})")
    return BigQueryError(f"{what}: {type(exc).__name__}: {_first_line(exc)}")


def _reason(exc: Any) -> str | None:
    errors = getattr(exc, "errors", None) or []
    for error in errors:
        if isinstance(error, dict) and error.get("reason"):
            return str(error["reason"])
    return None


def _first_line(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc)
    lines = str(message).strip().splitlines()
    return lines[0][:500] if lines else type(exc).__name__

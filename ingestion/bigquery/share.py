"""`impact share`: read access to the marts dataset, through the dataset's access entries.

A grant adds one access entry `READER <entity type>:<id>` to the dataset (default: `specialGroup:allAuthenticatedUsers`,
anyone signed in to Google); a revoke removes the entries for that grantee with that role. Both are idempotent: an
entry already there is not added again, a missing one is not an error.

Only the marts are shared. A dataset named raw, staging, intermediate or seeds is refused, and so is any dataset that
holds a raw table (`ingestion.raw_schema.RAW_TABLES`) or a staging or intermediate model (`stg_`, `int_`): a public
grant there would publish the unfiltered raw layer. A revoke is allowed anywhere, since it only takes access away.

The update carries the etag the dataset was read with, so a change someone made in between is never overwritten:
BigQuery answers 412, the dataset is read again and the change re-applied once, and a second 412 stops the command.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ingestion.bigquery.client import BigQueryError, credentials_source, explain, make_client
from ingestion.errors import ConfigError, ImpactError
from ingestion.raw_schema import RAW_SCHEMA, RAW_TABLES
from ingestion.settings import ENV_TARGET, Settings

if TYPE_CHECKING:
    from google.cloud import bigquery

ROLE = "READER"
ROLE_ALIASES = frozenset({"reader", "roles/bigquery.dataviewer"})
"""The legacy dataset role and the IAM role BigQuery shows for it: either one means the grantee can read."""
DEFAULT_DATASET = "marts"
ALL_AUTHENTICATED = "allAuthenticatedUsers"
PRIVATE_DATASETS = (RAW_SCHEMA, "staging", "intermediate", "seeds")
PRIVATE_PREFIXES = ("stg_", "int_")
EXAMPLE_TABLE = "projects_v1"
OWNER_HINT = (
    "changing who can read a dataset needs BigQuery Data Owner (roles/bigquery.dataOwner) on the dataset or the "
    "project, or a role with bigquery.datasets.get and bigquery.datasets.update"
)
GRANTEE_FORMS = "allAuthenticatedUsers, group:EMAIL, domain:DOMAIN or user:EMAIL"

_KINDS = {"group": "groupByEmail", "domain": "domain", "user": "userByEmail"}
_EMAIL = re.compile(r"^[^@\s:]+@[^@\s:]+\.[^@\s:]+$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.IGNORECASE)
_DATASET = re.compile(r"^[A-Za-z0-9_]{1,1024}$")


@dataclass(frozen=True)
class Grantee:
    """Who gets read access: an access entry's entity type and id."""

    entity_type: str
    entity_id: str

    def entry(self) -> bigquery.AccessEntry:
        from google.cloud import bigquery

        return bigquery.AccessEntry(role=ROLE, entity_type=self.entity_type, entity_id=self.entity_id)

    def matches(self, entry: bigquery.AccessEntry) -> bool:
        """Whether `entry` grants this grantee read access (BigQuery compares emails, domains and groups
        case-insensitively, and may show the role as the IAM role roles/bigquery.dataViewer)."""
        return (
            str(entry.role or "").casefold() in ROLE_ALIASES
            and entry.entity_type == self.entity_type
            and isinstance(entry.entity_id, str)
            and entry.entity_id.casefold() == self.entity_id.casefold()
        )

    def __str__(self) -> str:
        return f"{self.entity_type}:{self.entity_id}"


def parse_grantee(text: str) -> Grantee:
    """`allAuthenticatedUsers`, `group:EMAIL`, `domain:DOMAIN` or `user:EMAIL`; ConfigError naming the forms."""
    value = text.strip()
    if value.casefold() in {ALL_AUTHENTICATED.casefold(), f"specialgroup:{ALL_AUTHENTICATED.casefold()}"}:
        return Grantee("specialGroup", ALL_AUTHENTICATED)
    kind, sep, who = value.partition(":")
    kind = kind.strip().casefold()
    who = who.strip()
    if not sep or kind not in _KINDS:
        raise ConfigError(f"--to {text!r} is not a grantee: use {GRANTEE_FORMS}")
    if kind == "domain":
        if not _DOMAIN.match(who):
            raise ConfigError(f"--to {text!r}: {who!r} is not a domain name: use e.g. domain:example.org")
    elif not _EMAIL.match(who):
        raise ConfigError(
            f"--to {text!r}: {who!r} is not an email address: use e.g. {kind}:someone@example.org"
        )
    return Grantee(_KINDS[kind], who)


def check_dataset_name(dataset: str, revoke: bool = False) -> str:
    """A dataset id of the settings' project that may be shared (any well-formed one for a revoke, which only takes
    access away); ConfigError otherwise."""
    if not _DATASET.match(dataset):
        raise ConfigError(
            f"--dataset {dataset!r} is not a dataset id: give the dataset's name only (letters, digits and "
            f"underscores, e.g. {DEFAULT_DATASET}); its project is IMPACT_BQ_PROJECT"
        )
    if dataset.casefold() in PRIVATE_DATASETS and not revoke:
        raise ConfigError(
            f"refusing to share the dataset {dataset!r}: only the marts are shared; raw, staging, intermediate and "
            f"seeds hold the unfiltered raw layer and the models built on it (use --dataset {DEFAULT_DATASET})"
        )
    return dataset


def private_tables(table_names: Sequence[str]) -> list[str]:
    """The names among `table_names` that are raw tables or staging / intermediate models."""
    raw = {name.casefold() for name in RAW_TABLES}
    return [
        name for name in table_names if name.casefold() in raw or name.casefold().startswith(PRIVATE_PREFIXES)
    ]


def describe(entry: bigquery.AccessEntry) -> str:
    """`READER specialGroup:allAuthenticatedUsers`; a view, routine or dataset entry shows its reference."""
    who = entry.entity_id
    if not isinstance(who, str):
        who = json.dumps(who, sort_keys=True, separators=(",", ":"))
    return f"{entry.role or '-'} {entry.entity_type}:{who}"


@dataclass(frozen=True)
class ShareResult:
    """What `share` found and did. `before` lists the dataset's access entries as read; `added` and `removed` the
    change (applied, unless `dry_run`)."""

    project: str
    dataset: str
    grantee: Grantee
    revoke: bool
    dry_run: bool
    before: tuple[str, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]
    example_table: str

    @property
    def dataset_id(self) -> str:
        return f"{self.project}.{self.dataset}"

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)

    def lines(self) -> list[str]:
        """What the command prints: the change in one line (before it, on a dry run, the entries and the diff),
        then, while the grant holds, how to query the dataset."""
        out: list[str] = []
        if self.dry_run:
            out.append(f"dry run: access entries of {self.dataset_id} now:")
            out += [f"  {entry}" for entry in self.before]
            out += [f"+ {entry}" for entry in self.added]
            out += [f"- {entry}" for entry in self.removed]
        would = "would be " if self.dry_run else ""
        if self.revoke and self.changed:
            out.append(f"{ROLE} on {self.dataset_id} {would}revoked from {self.grantee}")
        elif self.changed:
            out.append(f"{ROLE} on {self.dataset_id} {would}granted to {self.grantee}")
        elif self.revoke:
            out.append(f"nothing changed: {self.grantee} has no {ROLE} entry on {self.dataset_id}")
        else:
            out.append(f"nothing changed: {self.grantee} already has {ROLE} on {self.dataset_id}")
        if self.dry_run:
            out.append("dry run: no update was sent")
        if not self.revoke:
            out.append(f"dataset: {self.dataset_id}  (console: {console_url(self.project, self.dataset)})")
            example = f"select * from `{self.dataset_id}.{self.example_table}` limit 10"  # noqa: S608 - printed only
            out.append(f"query it: bq query --use_legacy_sql=false '{example}'")
        return out


def console_url(project: str, dataset: str) -> str:
    return f"https://console.cloud.google.com/bigquery?p={project}&d={dataset}&page=dataset"


def share(
    settings: Settings,
    dataset: str = DEFAULT_DATASET,
    to: str = ALL_AUTHENTICATED,
    *,
    revoke: bool = False,
    dry_run: bool = False,
) -> ShareResult:
    """Grant (or revoke) READER on `dataset` of IMPACT_BQ_PROJECT to `to`; see the module's docstring."""
    if not settings.on_bigquery:
        raise ConfigError(
            f"impact share changes a BigQuery dataset's access entries, and the target is {settings.target!r}: "
            f"pass --target bigquery or set {ENV_TARGET}=bigquery (with IMPACT_BQ_PROJECT)"
        )
    grantee = parse_grantee(to)
    check_dataset_name(dataset, revoke=revoke)
    bq = settings.bigquery.validated()
    client = make_client(bq)
    try:
        return share_with_client(client, settings, dataset, grantee, revoke=revoke, dry_run=dry_run)
    finally:
        client.close()


def share_with_client(
    client: bigquery.Client,
    settings: Settings,
    dataset: str,
    grantee: Grantee,
    *,
    revoke: bool = False,
    dry_run: bool = False,
    attempts: int = 2,
) -> ShareResult:
    """The grant or revoke with a given client: read, check, change, update with the etag (retried on 412)."""
    from google.api_core.exceptions import PreconditionFailed

    project = str(client.project)
    dataset_id = f"{project}.{dataset}"
    for attempt in range(1, attempts + 1):
        current = _get_dataset(client, settings, dataset_id)
        tables = _table_names(client, settings, dataset_id)
        leaking = private_tables(tables)
        if leaking and not revoke:
            shown = ", ".join(leaking[:5]) + (f" and {len(leaking) - 5} more" if len(leaking) > 5 else "")
            raise ConfigError(
                f"refusing to share {dataset_id}: it holds raw, staging or intermediate tables ({shown}), which a "
                "read grant would publish; share a dataset that holds only marts, or move those tables out first"
            )
        entries = list(current.access_entries)
        mine = [entry for entry in entries if grantee.matches(entry)]
        if revoke:
            added: list[bigquery.AccessEntry] = []
            removed = mine
        else:
            added = [] if mine else [grantee.entry()]
            removed = []
        result = ShareResult(
            project=project,
            dataset=dataset,
            grantee=grantee,
            revoke=revoke,
            dry_run=dry_run,
            before=tuple(describe(entry) for entry in entries),
            added=tuple(describe(entry) for entry in added),
            removed=tuple(describe(entry) for entry in removed),
            example_table=EXAMPLE_TABLE if EXAMPLE_TABLE in tables or not tables else sorted(tables)[0],
        )
        if dry_run or not result.changed:
            return result
        keep = [entry for entry in entries if not grantee.matches(entry)] if revoke else entries
        current.access_entries = [*keep, *added]
        try:
            client.update_dataset(current, ["access_entries"])  # sends If-Match: the etag read above
        except PreconditionFailed:
            if attempt < attempts:
                continue
            raise BigQueryError(
                f"{dataset_id} changed while its access entries were being updated (BigQuery answered 412 to "
                f"{attempts} attempts, each after reading it again): someone else is editing the dataset; "
                "nothing was changed by this command, run it again when they are done"
            ) from None
        except Exception as exc:
            raise _explain(exc, f"updating the access entries of {dataset_id}", settings) from exc
        return result
    raise AssertionError("unreachable: every attempt returns or raises")


def _get_dataset(client: bigquery.Client, settings: Settings, dataset_id: str) -> bigquery.Dataset:
    from google.api_core.exceptions import NotFound

    try:
        return client.get_dataset(dataset_id)
    except NotFound:
        raise BigQueryError(
            f"the dataset {dataset_id} does not exist: build the marts first (`impact build --target bigquery`), "
            "or name the dataset with --dataset"
        ) from None
    except Exception as exc:
        raise _explain(exc, f"reading the dataset {dataset_id}", settings) from exc


def _table_names(client: bigquery.Client, settings: Settings, dataset_id: str) -> list[str]:
    try:
        return [table.table_id for table in client.list_tables(dataset_id)]
    except Exception as exc:
        raise _explain(exc, f"listing the tables of {dataset_id}", settings) from exc


def _explain(exc: BaseException, what: str, settings: Settings) -> ImpactError:
    """`explain`, except that a 403 names the role that changes a dataset's access rather than the pipeline's."""
    from google.api_core.exceptions import Forbidden

    error = explain(exc, what, settings.bigquery)
    if isinstance(exc, Forbidden) and isinstance(error, ConfigError):
        message = str(getattr(exc, "message", None) or exc).strip()
        first = message.splitlines()[0][:500] if message else "Forbidden"
        return ConfigError(
            f"{what}: BigQuery denied access with {credentials_source(settings.bigquery)} (403: {first}); "
            f"{OWNER_HINT} (in the console: the dataset's Sharing > Permissions)"
        )
    return error

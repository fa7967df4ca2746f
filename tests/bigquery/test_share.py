"""`impact share`: read access on the marts dataset through its access entries, as a user runs the command.

Boundary, for every test here: Google's BigQuery cannot be reached from the tests, so the local BigQuery emulator
stands in for BigQuery's datasets API (get, list tables, patch with the etag as If-Match). Like BigQuery, a new
dataset there starts with three access entries: WRITER projectWriters, OWNER projectOwners, READER projectReaders.
Where a test needs BigQuery to answer what the emulator never would on its own (a colleague editing the dataset at the
same moment, a 403), a local HTTP proxy between the real google-cloud-bigquery client and the emulator does it, and
its docstring says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner
from google.cloud import bigquery

if TYPE_CHECKING:
    from bqemulator import BigQueryEmulator, Exchange

DEFAULTS = [
    {"role": "WRITER", "specialGroup": "projectWriters"},
    {"role": "OWNER", "specialGroup": "projectOwners"},
    {"role": "READER", "specialGroup": "projectReaders"},
]
"""BigQuery's three default entries of a new dataset (the emulator starts every dataset with them)."""
PUBLIC = {"role": "READER", "specialGroup": "allAuthenticatedUsers"}


@pytest.fixture
def marts(bq_client: bigquery.Client, bq_project: str) -> str:
    """A `marts` dataset holding one mart, `projects_v1`, as `dbt build --target bigquery` leaves it."""
    bq_client.create_dataset(f"{bq_project}.marts")
    schema = [bigquery.SchemaField("project_id", "STRING"), bigquery.SchemaField("project_name", "STRING")]
    bq_client.create_table(bigquery.Table(f"{bq_project}.marts.projects_v1", schema=schema))
    return f"{bq_project}.marts"


@pytest.fixture
def env(bq_emulator: BigQueryEmulator, bq_project: str) -> dict[str, str]:
    """What a user exports to run `impact` on BigQuery, pointed at the emulator."""
    return {
        "IMPACT_TARGET": "bigquery",
        "IMPACT_BQ_PROJECT": bq_project,
        "IMPACT_BQ_ENDPOINT": bq_emulator.endpoint,
        "IMPACT_BQ_KEYFILE": "",
    }


def _run(args: list[str], env: dict[str, str]) -> Any:
    """`impact ARGS` as the installed command runs it (its own error handling and exit codes), in-process."""
    import click

    from ingestion.cli import main

    @click.command(context_settings={"ignore_unknown_options": True})
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def entry(args: tuple[str, ...]) -> None:
        import sys

        sys.argv = ["impact", *args]
        main()

    return CliRunner().invoke(entry, args, env=env)


def _text(result: Any) -> str:
    """The output as one line of words (the console may wrap a long message)."""
    return " ".join(result.output.split())


def _entries(client: bigquery.Client, dataset: str) -> list[dict[str, Any]]:
    return [entry.to_api_repr() for entry in client.get_dataset(dataset).access_entries]


# --- grant -----------------------------------------------------------------------------------------------------


def test_two_runs_grant_once(bq_client: bigquery.Client, marts: str, env: dict[str, str]) -> None:
    """The first `impact share` adds `READER specialGroup:allAuthenticatedUsers` to the three default entries; the
    second finds it and changes nothing, so the dataset holds it exactly once. Both print how to query the marts."""
    first = _run(["share"], env)
    assert first.exit_code == 0, first.output
    assert f"READER on {marts} granted to specialGroup:allAuthenticatedUsers" in first.output
    assert _entries(bq_client, marts) == [*DEFAULTS, PUBLIC]

    second = _run(["share", "--target", "bigquery", "--dataset", "marts"], env)
    assert second.exit_code == 0, second.output
    assert (
        f"nothing changed: specialGroup:allAuthenticatedUsers already has READER on {marts}" in second.output
    )
    assert _entries(bq_client, marts) == [*DEFAULTS, PUBLIC]
    example = f"select * from `{marts}.projects_v1` limit 10"  # noqa: S608 - the printed example
    assert f"bq query --use_legacy_sql=false '{example}'" in second.output
    project = env["IMPACT_BQ_PROJECT"]
    assert f"https://console.cloud.google.com/bigquery?p={project}&d=marts&page=dataset" in second.output


def test_group_and_domain_grantees(bq_client: bigquery.Client, marts: str, env: dict[str, str]) -> None:
    """`--to group:EMAIL` and `--to domain:DOMAIN` each add one READER entry of their kind. BigQuery compares emails
    and domains without case, so the same group written in lower case (and the same domain in upper case) is found
    and not added again."""
    assert _run(["share", "--to", "group:Analysts@Example.org"], env).exit_code == 0
    assert _run(["share", "--to", "domain:example.org"], env).exit_code == 0
    again = _run(["share", "--to", "group:analysts@example.org"], env)
    assert again.exit_code == 0, again.output
    assert "nothing changed: groupByEmail:analysts@example.org already has READER" in again.output
    assert _run(["share", "--to", "domain:EXAMPLE.ORG"], env).exit_code == 0
    assert _entries(bq_client, marts) == [
        *DEFAULTS,
        {"role": "READER", "groupByEmail": "Analysts@Example.org"},
        {"role": "READER", "domain": "example.org"},
    ]


def test_a_grantee_that_is_not_one_says_which_forms_exist(env: dict[str, str]) -> None:
    """A misspelt --to stops before anything is read, naming the four forms (no dataset is needed for that)."""
    result = _run(["share", "--to", "everyone"], env)
    assert result.exit_code == 2, result.output
    assert "use allAuthenticatedUsers, group:EMAIL, domain:DOMAIN or user:EMAIL" in _text(result)
    result = _run(["share", "--to", "group:analysts"], env)
    assert result.exit_code == 2, result.output
    assert "'analysts' is not an email address" in _text(result)


# --- revoke ----------------------------------------------------------------------------------------------------


def test_revoke_removes_only_our_entry(bq_client: bigquery.Client, marts: str, env: dict[str, str]) -> None:
    """With the public grant and a group grant in place, `--revoke` (default grantee) removes the public entry and
    leaves the group's and the three defaults; a second revoke finds nothing to remove."""
    assert _run(["share"], env).exit_code == 0
    assert _run(["share", "--to", "group:analysts@example.org"], env).exit_code == 0

    result = _run(["share", "--revoke"], env)
    assert result.exit_code == 0, result.output
    assert f"READER on {marts} revoked from specialGroup:allAuthenticatedUsers" in result.output
    group = {"role": "READER", "groupByEmail": "analysts@example.org"}
    assert _entries(bq_client, marts) == [*DEFAULTS, group]

    again = _run(["share", "--revoke"], env)
    assert again.exit_code == 0, again.output
    assert (
        f"nothing changed: specialGroup:allAuthenticatedUsers has no READER entry on {marts}" in again.output
    )
    assert _entries(bq_client, marts) == [*DEFAULTS, group]


def test_revoke_works_on_a_raw_dataset_too(
    bq_client: bigquery.Client, bq_project: str, env: dict[str, str]
) -> None:
    """A grant on `raw` is refused, but one made there by hand can be taken back with `impact share --revoke`:
    removing access never publishes anything."""
    raw = bq_client.create_dataset(f"{bq_project}.raw")
    raw.access_entries = [*raw.access_entries, bigquery.AccessEntry.from_api_repr(PUBLIC)]
    bq_client.update_dataset(raw, ["access_entries"])
    result = _run(["share", "--dataset", "raw", "--revoke"], env)
    assert result.exit_code == 0, result.output
    assert _entries(bq_client, f"{bq_project}.raw") == DEFAULTS


# --- dry run ---------------------------------------------------------------------------------------------------


def test_dry_run_prints_the_change_and_changes_nothing(
    bq_client: bigquery.Client, marts: str, env: dict[str, str]
) -> None:
    """`--dry-run` lists the entries as they are, the entry it would add (+) or remove (-), and sends no update:
    the entries and the dataset's etag are the same before and after."""
    before = bq_client.get_dataset(marts)
    result = _run(["share", "--dry-run"], env)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "  READER specialGroup:projectReaders" in lines
    assert "+ READER specialGroup:allAuthenticatedUsers" in lines
    assert f"READER on {marts} would be granted to specialGroup:allAuthenticatedUsers" in lines
    assert "dry run: no update was sent" in lines
    after = bq_client.get_dataset(marts)
    assert [e.to_api_repr() for e in after.access_entries] == [e.to_api_repr() for e in before.access_entries]
    assert after.etag == before.etag

    assert _run(["share"], env).exit_code == 0
    granted = _entries(bq_client, marts)
    result = _run(["share", "--revoke", "--dry-run"], env)
    assert result.exit_code == 0, result.output
    assert "- READER specialGroup:allAuthenticatedUsers" in result.output.splitlines()
    assert _entries(bq_client, marts) == granted == [*DEFAULTS, PUBLIC]


# --- refusals --------------------------------------------------------------------------------------------------


def test_raw_staging_intermediate_and_seeds_are_refused(
    bq_client: bigquery.Client, bq_project: str, env: dict[str, str]
) -> None:
    """Each of the four private datasets exists and is refused by name (exit 2), grant and dry run alike; their
    entries stay the three defaults."""
    for name in ("raw", "staging", "intermediate", "seeds"):
        bq_client.create_dataset(f"{bq_project}.{name}")
        for extra in ([], ["--dry-run"]):
            result = _run(["share", "--dataset", name, *extra], env)
            assert result.exit_code == 2, result.output
            assert f"refusing to share the dataset '{name}': only the marts are shared" in _text(result)
        assert _entries(bq_client, f"{bq_project}.{name}") == DEFAULTS


@pytest.mark.parametrize("table", ["github_events", "stg_github__events"])
def test_a_marts_dataset_holding_raw_tables_is_refused(
    bq_client: bigquery.Client, marts: str, env: dict[str, str], table: str
) -> None:
    """A dataset named marts that holds a raw table (github_events) or a staging model (stg_github__events) is
    refused, naming the table; nothing is added to its entries."""
    bq_client.create_table(bigquery.Table(f"{marts}.{table}", schema=[bigquery.SchemaField("id", "STRING")]))
    result = _run(["share"], env)
    assert result.exit_code == 2, result.output
    refused = f"refusing to share {marts}: it holds raw, staging or intermediate tables ({table})"
    assert refused in _text(result)
    assert _entries(bq_client, marts) == DEFAULTS


def test_the_local_target_is_refused(bq_client: bigquery.Client, marts: str, env: dict[str, str]) -> None:
    """`impact share` changes a BigQuery dataset: on the local target (flag or environment) it says how to pick
    BigQuery, and nothing changes."""
    result = _run(["share", "--target", "local"], env)
    assert result.exit_code == 2, result.output
    assert "pass --target bigquery or set IMPACT_TARGET=bigquery" in _text(result)
    result = _run(["share"], {**env, "IMPACT_TARGET": "local"})
    assert result.exit_code == 2, result.output
    assert "the target is 'local'" in _text(result)
    assert _entries(bq_client, marts) == DEFAULTS


def test_a_missing_dataset_says_to_build_the_marts(bq_project: str, env: dict[str, str]) -> None:
    result = _run(["share"], env)
    assert result.exit_code == 1, result.output
    assert f"the dataset {bq_project}.marts does not exist: build the marts first" in _text(result)


# --- concurrent changes and permissions ------------------------------------------------------------------------


@pytest.fixture
def proxy(bq_emulator: BigQueryEmulator) -> Iterator[Callable[[Callable[[Exchange], None]], Any]]:
    """Makes a proxy in front of the emulator that calls `hook` on every dataset PATCH before passing it on (a hook
    may answer the request itself). The proxies close at the end of the test."""
    import bqemulator  # registered by tests/conftest.py

    class DatasetPatchProxy(bqemulator.JobProxy):
        def __init__(self, upstream: str, hook: Callable[[Exchange], None]) -> None:
            self.hook = hook
            super().__init__(upstream)

        def on_request(self, exchange: Exchange) -> None:
            if (
                exchange.method == "PATCH"
                and "/datasets/" in exchange.path
                and "/tables/" not in exchange.path
            ):
                self.hook(exchange)

    made: list[Any] = []

    def make(hook: Callable[[Exchange], None]) -> Any:
        made.append(DatasetPatchProxy(bq_emulator.endpoint, hook))
        return made[-1]

    yield make
    for each in made:
        each.close()


def _colleague_adds(bq_client: bigquery.Client, marts: str, added: list[str]) -> Callable[[Exchange], None]:
    """A hook: just before our update reaches BigQuery, a colleague (another client) adds a group of their own,
    so our update carries a stale etag."""

    def hook(exchange: Exchange) -> None:
        email = f"colleague{len(added) + 1}@example.org"
        dataset = bq_client.get_dataset(marts)
        dataset.access_entries = [
            *dataset.access_entries,
            bigquery.AccessEntry("READER", "groupByEmail", email),
        ]
        bq_client.update_dataset(dataset, ["access_entries"])
        added.append(email)

    return hook


def test_a_concurrent_change_is_kept_and_ours_applied_after_reading_again(
    bq_client: bigquery.Client, marts: str, env: dict[str, str], proxy: Any
) -> None:
    """Boundary: the proxy lets a colleague's change land between our read and our update, once. The emulator, as
    BigQuery, answers our update 412 (stale etag); `impact share` reads the dataset again and applies the grant to
    it, so the colleague's entry is kept and ours is added once."""
    added: list[str] = []
    hook = _colleague_adds(bq_client, marts, added)
    front = proxy(lambda exchange: hook(exchange) if not added else None)
    result = _run(["share"], {**env, "IMPACT_BQ_ENDPOINT": front.endpoint})
    assert result.exit_code == 0, result.output
    assert added == ["colleague1@example.org"]
    colleague = {"role": "READER", "groupByEmail": "colleague1@example.org"}
    assert _entries(bq_client, marts) == [*DEFAULTS, colleague, PUBLIC]


def test_a_dataset_changing_under_every_attempt_fails_clearly(
    bq_client: bigquery.Client, marts: str, env: dict[str, str], proxy: Any
) -> None:
    """Boundary: the proxy lets a colleague change the dataset before each of our updates. After two 412s the
    command stops with exit 1 and says someone else is editing the dataset; the colleague's two entries are there
    and ours is not."""
    added: list[str] = []
    front = proxy(_colleague_adds(bq_client, marts, added))
    result = _run(["share"], {**env, "IMPACT_BQ_ENDPOINT": front.endpoint})
    assert result.exit_code == 1, result.output
    message = _text(result)
    assert f"{marts} changed while its access entries were being updated (BigQuery answered 412" in message
    assert "someone else is editing the dataset" in message
    assert added == ["colleague1@example.org", "colleague2@example.org"]
    assert PUBLIC not in _entries(bq_client, marts)


def test_a_403_names_the_role_that_shares_a_dataset(
    bq_client: bigquery.Client, bq_project: str, marts: str, env: dict[str, str], proxy: Any
) -> None:
    """Boundary: the proxy answers the update as BigQuery answers an account without bigquery.datasets.update (403,
    reason accessDenied; the message is written in BigQuery's form, the emulator checks no permissions). The error
    names BigQuery Data Owner and the permission; the entries are unchanged."""
    denied = (
        f"Access Denied: Dataset {bq_project}:marts: Permission bigquery.datasets.update denied on dataset "
        f"{bq_project}:marts (or it may not exist)."
    )

    def forbid(exchange: Exchange) -> None:
        exchange.status, exchange.reason, exchange.response_headers = 403, "Forbidden", []
        exchange.response_json = {
            "error": {
                "code": 403,
                "message": denied,
                "errors": [{"message": denied, "domain": "global", "reason": "accessDenied"}],
                "status": "PERMISSION_DENIED",
            }
        }

    front = proxy(forbid)
    result = _run(["share"], {**env, "IMPACT_BQ_ENDPOINT": front.endpoint})
    assert result.exit_code == 2, result.output
    message = _text(result)
    assert f"updating the access entries of {marts}: BigQuery denied access" in message
    assert "BigQuery Data Owner (roles/bigquery.dataOwner)" in message
    assert "bigquery.datasets.update" in message
    assert _entries(bq_client, marts) == DEFAULTS

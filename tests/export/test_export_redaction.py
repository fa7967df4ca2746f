"""The Postgres password never appears in what the exporter raises, returns or prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.errors import ExportError
from ingestion.export import DuckDBReader, Redactor, export_postgres, redact, tables_from_manifest


@pytest.mark.parametrize(
    ("url", "secret_forms"),
    [
        ("postgresql://app:hunter2@db.example:5432/impact", ["hunter2"]),
        (
            "postgres://app:s3cr%40t%2Fx@db/impact",
            ["s3cr%40t%2Fx", "s3cr@t/x"],
        ),  # percent-encoded and decoded
        ("postgresql://db/impact?user=app&password=qs-secret&sslmode=require", ["qs-secret"]),
        ("host=db user=app password=kv-secret dbname=impact", ["kv-secret"]),
        ("host=db password='quoted secret' dbname=impact", ["quoted secret", "'quoted secret'"]),
    ],
)
def test_every_form_of_the_password_is_masked(url: str, secret_forms: list[str]) -> None:
    redactor = Redactor(url)
    message = f"failed for {url}: " + " and ".join(secret_forms)
    masked = redactor(message)
    for secret in secret_forms:
        assert secret not in masked
        assert secret not in redactor.display_url
    assert "***" in masked and "***" in redactor.display_url
    assert redact(message, url) == masked


def test_a_url_without_password_is_shown_as_is() -> None:
    url = "postgresql://postgres@127.0.0.1:5432/test"
    assert Redactor(url).display_url == url
    assert redact("nothing secret here", url) == "nothing secret here"


def test_a_url_psycopg_echoes_back_is_masked_in_the_error(tmp_path: Path, capsys) -> None:
    # libpq quotes the whole URI, password included, when it cannot parse it.
    url = "postgresql://postgres:hunter2-echoed@[127.0.0.1/test"
    with pytest.raises(ExportError) as err:
        export_postgres(DuckDBReader(tmp_path / "none.duckdb"), url, [], progress=False)
    message = str(err.value)
    assert "hunter2-echoed" not in message
    assert message.startswith("cannot connect to Postgres at postgresql://postgres:***@[127.0.0.1/test: ")
    assert "IPv6 host address" in message  # the cause is still told
    assert err.value.__cause__ is None and err.value.__suppress_context__  # the raw error is not chained
    assert "hunter2-echoed" not in capsys.readouterr().err


def test_connection_refused_does_not_show_the_password(tmp_path: Path) -> None:
    url = "postgresql://postgres:s3cr%40t@127.0.0.1:1/test"
    with pytest.raises(ExportError) as err:
        export_postgres(DuckDBReader(tmp_path / "none.duckdb"), url, [], progress=False)
    assert "s3cr" not in str(err.value)
    assert "postgresql://postgres:***@127.0.0.1:1/test" in str(err.value)


@pytest.mark.parametrize("form", ["url", "keywords"])
def test_a_run_with_a_password_and_a_failing_table_prints_no_password(
    tmp_path: Path, marts, pg, capsys, caplog, form: str
) -> None:
    # The test server trusts local connections, so the password is accepted and ignored; one table fails (a NUL
    # byte in text), so errors are produced, printed and returned.
    password = "pw-that-must-not-leak"
    if form == "url":
        url = pg.url.replace("postgres@", f"postgres:{password}@")
    else:
        url = f"host=127.0.0.1 port=5432 dbname=test user=postgres password={password}"
    warehouse = marts.warehouse(
        tmp_path / "warehouse.duckdb",
        "create table marts.good_v1 as select 1 as n",
        "create table marts.bad_v1 as select 'a' || chr(0) as s",
    )
    manifest = marts.manifest(
        tmp_path / "manifest.json",
        marts.model("good_v1", [marts.column("n", "integer")]),
        marts.model("bad_v1", [marts.column("s", "varchar")]),
    )
    with DuckDBReader(warehouse) as reader:
        summary = export_postgres(
            reader, url, tables_from_manifest(manifest), schema=pg.schema, reader_role=pg.reader_role
        )
    assert [t.name for t in summary.failures] == ["bad_v1"]
    assert summary.rows == 1
    captured = capsys.readouterr()
    for text in (captured.out, captured.err, caplog.text, repr(summary)):
        assert password not in text

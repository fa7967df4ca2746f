"""`impact registry diff`: two hand-made versions of one registry, as folders and as git refs.

BASE -> HEAD, worked out by hand from the files below:
- projects: delta added; none removed.
- artifacts: github repo acme/two added (alpha), crates serde added (delta); npm left-pad removed (was alpha);
  the address ...aa on optimism moved from gamma to beta; everything else unchanged.
- collections: c3 added; delta added to c3; beta moved from c1 to c2; nothing else taken out.
"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingestion.cli import cli
from ingestion.errors import ConfigError
from ingestion.registry_diff import diff_specs, format_markdown, format_text

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
ADDRESS = "0x00000000000000000000000000000000000000aa"


def project(name: str, body: str = "") -> str:
    return f"version: 7\nname: {name}\ndisplay_name: {name.title()}\n" + textwrap.dedent(body)


def collection(name: str, *members: str) -> str:
    return f"version: 7\nname: {name}\ndisplay_name: {name.upper()}\nprojects: [{', '.join(members)}]\n"


ON_OPTIMISM = f'blockchain:\n  - address: "{ADDRESS}"\n    networks: [optimism]\n    tags: [contract]\n'

BASE = {
    "projects/a/alpha.yaml": project(
        "alpha",
        "github:\n  - url: https://github.com/acme/one\nnpm:\n  - url: https://www.npmjs.com/package/left-pad\n",
    ),
    "projects/b/beta.yaml": project("beta", "github:\n  - url: https://github.com/beta-org\n"),
    "projects/g/gamma.yaml": project("gamma", ON_OPTIMISM),
    "collections/c1.yaml": collection("c1", "alpha", "beta"),
    "collections/c2.yaml": collection("c2", "gamma"),
}
HEAD = {
    "projects/a/alpha.yaml": project(
        "alpha", "github:\n  - url: https://github.com/acme/one\n  - url: https://github.com/Acme/Two\n"
    ),
    "projects/b/beta.yaml": project("beta", "github:\n  - url: https://github.com/beta-org\n" + ON_OPTIMISM),
    "projects/g/gamma.yaml": project("gamma"),
    "projects/d/delta.yaml": project("delta", "crates:\n  - url: https://crates.io/crates/serde\n"),
    "collections/c1.yaml": collection("c1", "alpha"),
    "collections/c2.yaml": collection("c2", "gamma", "beta"),
    "collections/c3.yaml": collection("c3", "delta"),
}


def write(folder: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (folder / "projects").mkdir(parents=True, exist_ok=True)
    return folder


def test_the_diff_of_two_folders(tmp_path: Path) -> None:
    base, head = write(tmp_path / "base", BASE), write(tmp_path / "head", HEAD)
    diff = diff_specs(str(base), str(head), tmp_path / "unused", SEEDS)
    assert diff.projects_added == ["delta"]
    assert diff.projects_removed == []
    assert diff.artifacts_added == [(("crates", "serde"), "delta"), (("github repo", "acme/two"), "alpha")]
    assert diff.artifacts_removed == [(("npm", "left-pad"), "alpha")]
    assert diff.artifacts_moved == [(("address on optimism", ADDRESS), "gamma", "beta")]
    assert diff.collections_added == ["c3"]
    assert diff.members_added == [("c3", "delta")]
    assert diff.members_removed == []
    assert diff.members_moved == [("beta", "c1", "c2")]
    assert diff.head_errors == []

    text = format_text(diff)
    assert "projects: +1 -0\n  + delta" in text
    assert "github repo: +1 -0 moved 0\n  + acme/two (alpha)" in text
    assert "npm: +0 -1 moved 0\n  - left-pad (alpha)" in text
    assert f"address on optimism: +0 -0 moved 1\n  > {ADDRESS}: gamma -> beta" in text
    assert "  > beta: c1 -> c2" in text

    markdown = format_markdown(diff)
    assert markdown.startswith("### Registry changes\n")
    assert "| github repo | 1 | 0 | 0 |" in markdown
    assert "| address on optimism | 0 | 0 | 1 |" in markdown
    assert "| collection members | 1 | 0 | 1 |" in markdown
    assert f"- address on optimism `{ADDRESS}`: gamma → beta" in markdown
    assert "- beta: c1 → c2" in markdown


def test_the_cli_diffs_git_refs_and_fails_on_errors_in_head(tmp_path: Path) -> None:
    repo = tmp_path / "checkout"
    registry = repo / "data"

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
            cwd=repo,
            check=True,
            capture_output=True,
        )

    write(registry, BASE)
    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    git("tag", "base")
    for rel in BASE:
        (registry / rel).unlink()
    write(registry, HEAD)
    git("add", "-A")
    git("commit", "-q", "-m", "head")

    runner = CliRunner()
    result = runner.invoke(
        cli, ["registry", "diff", "base", "main", "--format", "markdown", "--registry-dir", str(registry)]
    )
    assert result.exit_code == 0, result.output
    assert "| crates | 1 | 0 | 0 |" in result.output
    assert "`base` → `main`: no error" in result.output

    # A HEAD whose collection names a project that does not exist cannot be loaded: the diff says so and fails.
    (registry / "collections" / "c3.yaml").write_text(collection("c3", "delta", "ghost"))
    result = runner.invoke(cli, ["registry", "diff", "base", str(registry), "--registry-dir", str(registry)])
    assert result.exit_code == 1
    assert "1 error(s)" in result.output
    assert "error: collections/c3.yaml: projects[1]: line 4: project 'ghost' does not exist" in result.output


def test_a_spec_that_is_neither_a_folder_nor_a_ref(tmp_path: Path) -> None:
    base = write(tmp_path / "base", BASE)
    with pytest.raises(ConfigError, match="not inside a git checkout"):
        diff_specs(str(base), "no-such-ref", base, SEEDS)

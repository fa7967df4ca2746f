"""What a registry change adds, removes and moves: projects, artifacts per kind, collection memberships.

`impact registry diff BASE HEAD` compares two registries, each a folder or a git ref of the checkout holding the
registry folder (read with one `git archive`, never file by file). An artifact is *moved* when both sides have it
under different projects; a project is *moved* between collections when HEAD takes it out of one collection and
puts it in another. The report is text for a terminal or markdown for a pull-request comment; HEAD's errors make
the command fail, and HEAD's warnings that BASE does not have are listed as new.
"""

from __future__ import annotations

import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ingestion.errors import ConfigError, RegistryProblem
from ingestion.registry import ERROR, WARNING, Registry, check_registry

ArtifactKey = tuple[str, str]
"""(kind, key): e.g. ('github repo', 'acme/widget'), ('npm', 'scope/pkg'), ('address on optimism', '0x...')."""


def artifact_owners(registry: Registry) -> dict[ArtifactKey, str]:
    """Every artifact of the registry, as the loader keeps it, with the project it belongs to."""
    owners: dict[ArtifactKey, str] = {}
    for project in registry.projects:
        for github in project.github:
            owners[(f"github {'org' if github.repo is None else 'repo'}", github.key)] = project.name
        for artifact in project.url_artifacts:
            label = artifact.name if artifact.namespace is None else f"{artifact.namespace}/{artifact.name}"
            owners[(artifact.source.lower(), label)] = project.name
        for address in project.blockchain:
            for network in address.networks:
                owners[(f"address on {network}", address.address)] = project.name
    return owners


def memberships(registry: Registry) -> set[tuple[str, str]]:
    """(collection, project) pairs."""
    return {
        (collection.name, member) for collection in registry.collections for member in collection.projects
    }


@dataclass
class RegistryDiff:
    base: str
    head: str
    projects_added: list[str] = field(default_factory=list)
    projects_removed: list[str] = field(default_factory=list)
    artifacts_added: list[tuple[ArtifactKey, str]] = field(default_factory=list)
    artifacts_removed: list[tuple[ArtifactKey, str]] = field(default_factory=list)
    artifacts_moved: list[tuple[ArtifactKey, str, str]] = field(default_factory=list)
    collections_added: list[str] = field(default_factory=list)
    collections_removed: list[str] = field(default_factory=list)
    members_added: list[tuple[str, str]] = field(default_factory=list)
    members_removed: list[tuple[str, str]] = field(default_factory=list)
    members_moved: list[tuple[str, str, str]] = field(default_factory=list)
    """(project, from collection, to collection)."""
    head_errors: list[RegistryProblem] = field(default_factory=list)
    new_warnings: list[RegistryProblem] = field(default_factory=list)
    head_warnings: int = 0

    @property
    def changed(self) -> bool:
        return any(
            (
                self.projects_added,
                self.projects_removed,
                self.artifacts_added,
                self.artifacts_removed,
                self.artifacts_moved,
                self.collections_added,
                self.collections_removed,
                self.members_added,
                self.members_removed,
                self.members_moved,
            )
        )

    def kinds(self) -> list[str]:
        found = {
            key[0] for key, *_ in (*self.artifacts_added, *self.artifacts_removed, *self.artifacts_moved)
        }
        return sorted(found)


def diff_registries(
    base: Registry,
    head: Registry,
    base_problems: list[RegistryProblem],
    head_problems: list[RegistryProblem],
    base_label: str = "BASE",
    head_label: str = "HEAD",
) -> RegistryDiff:
    result = RegistryDiff(base_label, head_label)
    base_projects = {p.name for p in base.projects}
    head_projects = {p.name for p in head.projects}
    result.projects_added = sorted(head_projects - base_projects)
    result.projects_removed = sorted(base_projects - head_projects)

    before, after = artifact_owners(base), artifact_owners(head)
    result.artifacts_added = sorted((key, after[key]) for key in after.keys() - before.keys())
    result.artifacts_removed = sorted((key, before[key]) for key in before.keys() - after.keys())
    result.artifacts_moved = sorted(
        (key, before[key], after[key]) for key in before.keys() & after.keys() if before[key] != after[key]
    )

    base_collections = {c.name for c in base.collections}
    head_collections = {c.name for c in head.collections}
    result.collections_added = sorted(head_collections - base_collections)
    result.collections_removed = sorted(base_collections - head_collections)
    added = memberships(head) - memberships(base)
    removed = memberships(base) - memberships(head)
    # A project taken out of one collection and put in another moved (paired in name order per project).
    for project in sorted({p for _, p in added} & {p for _, p in removed}):
        outs = sorted(c for c, p in removed if p == project)
        ins = sorted(c for c, p in added if p == project)
        for out, into in zip(outs, ins, strict=False):
            result.members_moved.append((project, out, into))
            removed.discard((out, project))
            added.discard((into, project))
    result.members_added = sorted(added)
    result.members_removed = sorted(removed)

    result.head_errors = [p for p in head_problems if p.severity == ERROR]
    seen = {(p.path, p.field, p.message) for p in base_problems}
    warnings = [p for p in head_problems if p.severity == WARNING]
    result.head_warnings = len(warnings)
    result.new_warnings = [p for p in warnings if (p.path, p.field, p.message) not in seen]
    return result


# --------------------------------------------------------------------------------------------------------------
# Reading BASE and HEAD
# --------------------------------------------------------------------------------------------------------------


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)  # noqa: S607
    except FileNotFoundError as exc:
        raise ConfigError("git is not installed: pass two folders instead of git refs") from exc


@contextmanager
def registry_at(spec: str, registry_dir: Path) -> Iterator[Path]:
    """The registry folder named by `spec`: a folder as it is, else a git ref (branch, tag, commit) of the
    checkout holding `registry_dir`, unpacked into a temporary folder for the duration."""
    folder = Path(spec)
    if folder.is_dir():
        yield folder
        return
    registry_dir = Path(registry_dir)
    if not registry_dir.is_dir():
        raise ConfigError(
            f"{spec!r} is not a folder, and {registry_dir} (the registry folder whose git refs it could name) does "
            "not exist: pass two folders, or set --registry-dir to the registry in a git checkout"
        )
    prefix = _git(["rev-parse", "--show-prefix", "--show-toplevel"], registry_dir)
    if prefix.returncode != 0:
        raise ConfigError(
            f"{spec!r} is not a folder, and {registry_dir} is not inside a git checkout: pass two folders"
        )
    subtree, toplevel = (prefix.stdout.decode().splitlines() + ["", ""])[:2]
    subtree = subtree.strip().rstrip("/")
    if _git(["rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}"], registry_dir).returncode != 0:
        raise ConfigError(
            f"{spec!r} is neither a folder nor a git ref of the checkout holding {registry_dir}"
        )
    tree = f"{spec}:{subtree}" if subtree else spec
    archive = _git(["archive", "--format=tar", tree], Path(toplevel.strip() or registry_dir))
    if archive.returncode != 0:
        raise ConfigError(
            f"git has no {subtree or 'registry'} folder at {spec!r}: {archive.stderr.decode().strip()}"
        )
    with tempfile.TemporaryDirectory(prefix="impact-registry-") as tmp:
        archive_path = Path(tmp) / "registry.tar"
        archive_path.write_bytes(archive.stdout)
        target = Path(tmp) / "registry"
        target.mkdir()
        with tarfile.open(archive_path) as tar:
            tar.extractall(target, filter="data")
        yield target


def diff_specs(base: str, head: str, registry_dir: Path, seeds_dir: Path) -> RegistryDiff:
    """Read BASE and HEAD (folders or git refs) and compare them."""
    with registry_at(base, registry_dir) as base_dir:
        base_registry, base_problems = check_registry(base_dir, seeds_dir)
    with registry_at(head, registry_dir) as head_dir:
        head_registry, head_problems = check_registry(head_dir, seeds_dir)
    return diff_registries(base_registry, head_registry, base_problems, head_problems, base, head)


# --------------------------------------------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------------------------------------------


def _counts(diff: RegistryDiff, kind: str) -> tuple[int, int, int]:
    return (
        sum(1 for key, _ in diff.artifacts_added if key[0] == kind),
        sum(1 for key, _ in diff.artifacts_removed if key[0] == kind),
        sum(1 for key, *_ in diff.artifacts_moved if key[0] == kind),
    )


def format_text(diff: RegistryDiff) -> str:
    lines = [f"registry diff {diff.base} -> {diff.head}"]
    if not diff.changed:
        lines.append("no change to projects, artifacts or collections")
    if diff.projects_added or diff.projects_removed:
        lines.append(f"projects: +{len(diff.projects_added)} -{len(diff.projects_removed)}")
        lines += [f"  + {name}" for name in diff.projects_added]
        lines += [f"  - {name}" for name in diff.projects_removed]
    for kind in diff.kinds():
        added, removed, moved = _counts(diff, kind)
        lines.append(f"{kind}: +{added} -{removed} moved {moved}")
        lines += [f"  + {key} ({project})" for (k, key), project in diff.artifacts_added if k == kind]
        lines += [f"  - {key} ({project})" for (k, key), project in diff.artifacts_removed if k == kind]
        lines += [f"  > {key}: {old} -> {new}" for (k, key), old, new in diff.artifacts_moved if k == kind]
    if diff.collections_added or diff.collections_removed:
        lines.append(f"collections: +{len(diff.collections_added)} -{len(diff.collections_removed)}")
        lines += [f"  + {name}" for name in diff.collections_added]
        lines += [f"  - {name}" for name in diff.collections_removed]
    if diff.members_added or diff.members_removed or diff.members_moved:
        lines.append(
            f"collection members: +{len(diff.members_added)} -{len(diff.members_removed)} "
            f"moved {len(diff.members_moved)}"
        )
        lines += [f"  + {project} in {collection}" for collection, project in diff.members_added]
        lines += [f"  - {project} from {collection}" for collection, project in diff.members_removed]
        lines += [f"  > {project}: {old} -> {new}" for project, old, new in diff.members_moved]
    lines.append(
        f"{diff.head}: {len(diff.head_errors)} error(s), {diff.head_warnings} warning(s) "
        f"({len(diff.new_warnings)} new)"
    )
    lines += [f"  error: {problem}" for problem in diff.head_errors]
    lines += [f"  new warning: {problem}" for problem in diff.new_warnings]
    return "\n".join(lines)


def _md(text: str) -> str:
    """Text for a markdown table cell or list item: the characters markdown would read as markup escaped."""
    for char in "\\`*_[]<>|#":
        text = text.replace(char, "\\" + char)
    return text


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def format_markdown(diff: RegistryDiff) -> str:
    verdict = (
        f"**{len(diff.head_errors)} error(s)**: the registry cannot be loaded"
        if diff.head_errors
        else "no error"
    )
    lines = [
        "### Registry changes",
        "",
        f"{_code(diff.base)} → {_code(diff.head)}: {verdict}; {diff.head_warnings} warning(s), "
        f"{len(diff.new_warnings)} new.",
        "",
    ]
    if not diff.changed:
        lines += ["No change to projects, artifacts or collections.", ""]
    else:
        lines += ["| | added | removed | moved |", "|---|---:|---:|---:|"]
        lines.append(f"| projects | {len(diff.projects_added)} | {len(diff.projects_removed)} | |")
        for kind in diff.kinds():
            added, removed, moved = _counts(diff, kind)
            lines.append(f"| {_md(kind)} | {added} | {removed} | {moved} |")
        lines.append(
            f"| collection members | {len(diff.members_added)} | {len(diff.members_removed)} | "
            f"{len(diff.members_moved)} |"
        )
        lines.append("")
    sections: list[tuple[str, list[str]]] = [
        ("Projects added", [_md(name) for name in diff.projects_added]),
        ("Projects removed", [_md(name) for name in diff.projects_removed]),
        ("Artifacts added", [f"{_md(k)} {_code(key)} → {_md(p)}" for (k, key), p in diff.artifacts_added]),
        (
            "Artifacts removed",
            [f"{_md(k)} {_code(key)} (was {_md(p)})" for (k, key), p in diff.artifacts_removed],
        ),
        (
            "Artifacts moved",
            [
                f"{_md(k)} {_code(key)}: {_md(old)} → {_md(new)}"
                for (k, key), old, new in diff.artifacts_moved
            ],
        ),
        ("Collections added", [_md(name) for name in diff.collections_added]),
        ("Collections removed", [_md(name) for name in diff.collections_removed]),
        ("Added to a collection", [f"{_md(p)} → {_md(c)}" for c, p in diff.members_added]),
        ("Taken out of a collection", [f"{_md(p)} ← {_md(c)}" for c, p in diff.members_removed]),
        ("Moved between collections", [f"{_md(p)}: {_md(a)} → {_md(b)}" for p, a, b in diff.members_moved]),
        ("Errors", [_md(str(problem)) for problem in diff.head_errors]),
        ("New warnings", [_md(str(problem)) for problem in diff.new_warnings]),
    ]
    for title, items in sections:
        if not items:
            continue
        lines += [
            f"<details{' open' if title == 'Errors' else ''}><summary>{title} ({len(items)})</summary>",
            "",
        ]
        lines += [f"- {item}" for item in items]
        lines += ["", "</details>", ""]
    return "\n".join(lines).rstrip() + "\n"

"""The project registry, laid out as oss-directory lays it out: load it, validate it, write it to the raw layer.

Layout (relative to the registry directory)::

    projects/<first letter of name>/<name>.yaml   one project: its websites, social profiles, GitHub repos or whole
                                                  GitHub orgs, and blockchain addresses (per network, with tags)
    collections/<name>.yaml                       one collection: a named list of project names

Known blockchain networks and address tags are the dbt seeds `seeds/blockchain_networks.csv` (column `network`)
and `seeds/blockchain_tags.csv` (column `tag`).

`load_registry` checks every file and collects every problem before raising one `RegistryError`, each problem
naming the file (relative to the registry directory), the field (`github[2].url`,
`blockchain[0].networks[1]`, ...) and, where YAML gives it, the line.

Ownership rule: an artifact belongs to exactly one project.

- A GitHub repo (compared lower-cased) may be listed by one project only.
- A whole GitHub org may be listed by one project only, and it claims every repo in it: a repo inside an org that
  *another* project claims whole is a conflict (an error naming both files), not "the most specific entry wins".
  That keeps the filter and the attribution simple and unambiguous: an event's repo maps to one project through
  either its full name or its owner, never both. A project that lists an org and also a repo inside that same org
  gets a problem too (the repo entry is redundant and would be counted twice).
- A blockchain address may be claimed once per network. `any_evm` overlaps every network, so the same address on
  `any_evm` in one entry and on `optimism` in another (same or different project) is a problem. The same address on
  two *different* specific networks in two projects is allowed (different chains, different contracts).

Addresses are stored lower-cased; EIP-55 checksums are not verified (that needs keccak-256, which the standard
library lacks), so a mistyped mixed-case address is only caught if it is not 40 hex digits.
"""

from __future__ import annotations

import csv
import difflib
import json
import re
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import duckdb
import pyarrow as pa
import yaml

from ingestion.errors import ConfigError, IngestError, RegistryError, RegistryProblem
from ingestion.warehouse import ensure_raw_schema, utcnow

ANY_EVM = "any_evm"
"""The network name meaning "this address, on every EVM network"."""

NETWORKS_SEED = "blockchain_networks.csv"
TAGS_SEED = "blockchain_tags.csv"

PROJECT_KEYS = (
    "version",
    "name",
    "display_name",
    "description",
    "websites",
    "social",
    "github",
    "blockchain",
)
PROJECT_REQUIRED = ("version", "name", "display_name")
COLLECTION_KEYS = ("version", "name", "display_name", "description", "projects")
COLLECTION_REQUIRED = ("version", "name", "display_name", "projects")
BLOCKCHAIN_KEYS = ("address", "networks", "tags", "name")
BLOCKCHAIN_REQUIRED = ("address", "networks", "tags")
SOCIAL_PLATFORMS = (
    "discord",
    "farcaster",
    "linkedin",
    "medium",
    "mirror",
    "reddit",
    "telegram",
    "twitter",
    "youtube",
)

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_GITHUB_OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
_GITHUB_REPO = re.compile(r"[A-Za-z0-9._-]{1,100}")

K = TypeVar("K")
V = TypeVar("V")


# --------------------------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------------------------


class FrozenMap(Mapping[K, V]):
    """An immutable, hashable mapping (e.g. a project's social profiles: platform -> urls)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[K, V] | Iterable[tuple[K, V]] = ()):
        self._data: dict[K, V] = dict(data)

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"


@dataclass(frozen=True)
class GithubArtifact:
    """A GitHub repo (`repo` set) or a whole GitHub org/user (`repo` None). `owner`/`repo` are lower-cased."""

    url: str
    owner: str
    repo: str | None

    @property
    def key(self) -> str:
        """'owner/repo' for a repo, 'owner' for a whole org; lower-cased."""
        return self.owner if self.repo is None else f"{self.owner}/{self.repo}"

    @property
    def kind(self) -> str:
        return "ORGANIZATION" if self.repo is None else "REPOSITORY"


@dataclass(frozen=True)
class BlockchainArtifact:
    """An address (lower-cased) on one or more networks, with its tags and optional label."""

    address: str
    networks: tuple[str, ...]
    tags: tuple[str, ...]
    name: str | None


@dataclass(frozen=True)
class Project:
    name: str
    display_name: str
    description: str | None
    websites: tuple[str, ...]
    social: FrozenMap[str, tuple[str, ...]]
    github: tuple[GithubArtifact, ...]
    blockchain: tuple[BlockchainArtifact, ...]
    source_file: str


@dataclass(frozen=True)
class Collection:
    name: str
    display_name: str
    description: str | None
    projects: tuple[str, ...]
    source_file: str


@dataclass(frozen=True)
class TrackedGithub:
    """What the GitHub filter keeps: whole repos ('owner/repo') and whole orgs ('owner'), lower-cased.

    `owners` maps each of those keys to its project name; `Registry.tracked_github()` fills it.
    """

    repos: frozenset[str]
    orgs: frozenset[str]
    owners: FrozenMap[str, str] = field(default_factory=FrozenMap)

    def tracks(self, repo_name: str) -> bool:
        """Whether an 'Owner/Repo' (any case) is tracked, as a repo or through its org."""
        key = repo_name.strip().lower()
        return key in self.repos or key.split("/", 1)[0] in self.orgs

    def owner_of(self, repo_name: str) -> str | None:
        """The project owning an 'Owner/Repo' (any case), through the repo or its org; None if untracked."""
        key = repo_name.strip().lower()
        if key in self.owners:
            return self.owners[key]
        owner, slash, _ = key.partition("/")
        return self.owners.get(owner) if slash else None


@dataclass(frozen=True)
class Registry:
    projects: tuple[Project, ...]
    collections: tuple[Collection, ...]

    def project(self, name: str) -> Project:
        for project in self.projects:
            if project.name == name:
                return project
        raise KeyError(name)

    def tracked_github(self) -> TrackedGithub:
        owners = {artifact.key: project.name for project in self.projects for artifact in project.github}
        return TrackedGithub(
            repos=frozenset(a.key for project in self.projects for a in project.github if a.repo is not None),
            orgs=frozenset(a.owner for project in self.projects for a in project.github if a.repo is None),
            owners=FrozenMap(owners),
        )

    def tracked_addresses(self, network: str) -> frozenset[str]:
        """Lower-cased addresses listed on `network`, plus those listed on `any_evm`."""
        return frozenset(
            artifact.address
            for project in self.projects
            for artifact in project.blockchain
            if network in artifact.networks or ANY_EVM in artifact.networks
        )


# --------------------------------------------------------------------------------------------------------------
# YAML with line numbers
# --------------------------------------------------------------------------------------------------------------


class _Map(dict):
    """A YAML mapping that remembers its own line and the line of each key (1-based)."""

    line: int
    lines: dict[Any, int]


class _Seq(list):
    """A YAML sequence that remembers its own line and the line of each item (1-based)."""

    line: int
    lines: list[int]


class _Loader(yaml.SafeLoader):
    """SafeLoader building `_Map`/`_Seq`, and refusing duplicate keys (PyYAML silently keeps the last)."""


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    result = _Map()
    result.line = node.start_mark.line + 1
    result.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, list | dict):
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain word, not a list or mapping", key_node.start_mark
            )
        if key in result:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key '{key}' (first given on line {result.lines[key]}): keep only one",
                key_node.start_mark,
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
    return result


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> _Seq:
    result = _Seq(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


# --------------------------------------------------------------------------------------------------------------
# Checking one file
# --------------------------------------------------------------------------------------------------------------


class _FileCheck:
    """Collects the problems of one file."""

    def __init__(self, rel_path: str, problems: list[RegistryProblem]):
        self.rel_path = rel_path
        self.problems = problems
        self.count = 0

    def add(self, field_path: str, line: int | None, message: str) -> None:
        text = f"line {line}: {message}" if line else message
        self.problems.append(RegistryProblem(self.rel_path, field_path, text))
        self.count += 1


def _join(where: str, key: object) -> str:
    return f"{where}.{key}" if where else str(key)


def _line(container: _Map | _Seq | None, key: Any) -> int | None:
    if isinstance(container, _Map):
        return container.lines.get(key, container.line)
    if isinstance(container, _Seq) and isinstance(key, int) and key < len(container.lines):
        return container.lines[key]
    return None


def _describe(value: object) -> str:
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"the YAML boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, datetime | date):
        return f"the date {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, str):
        return f"the text {value!r}"
    return type(value).__name__


def _check_keys(
    check: _FileCheck, mapping: _Map, where: str, allowed: Sequence[str], required: Sequence[str]
) -> None:
    for key in mapping:
        if key in allowed:
            continue
        close = difflib.get_close_matches(str(key), allowed, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        check.add(
            _join(where, key),
            _line(mapping, key),
            f"unknown key '{key}': {hint}allowed keys here are {', '.join(allowed)}",
        )
    for key in required:
        if key not in mapping:
            check.add(_join(where, key), mapping.line, f"missing required key '{key}': add it")


def _text(check: _FileCheck, mapping: _Map, key: str, where: str = "") -> str | None:
    """The string at `key`, or None (absent, or a problem was recorded)."""
    if key not in mapping:
        return None
    value = mapping[key]
    if not isinstance(value, str):
        check.add(
            _join(where, key),
            _line(mapping, key),
            f"must be text, but YAML read {_describe(value)}: quote the value or remove the key",
        )
        return None
    if not value.strip():
        check.add(
            _join(where, key), _line(mapping, key), "must not be empty: write a value or remove the key"
        )
        return None
    return value


def _version(check: _FileCheck, mapping: _Map) -> None:
    if "version" not in mapping:
        return
    value = mapping["version"]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        check.add(
            "version",
            _line(mapping, "version"),
            f"must be a whole number such as 7, but YAML read {_describe(value)}: write it without quotes",
        )


def _slug_name(check: _FileCheck, mapping: _Map, kind: str) -> str | None:
    name = _text(check, mapping, "name")
    if name is None:
        return None
    if not _SLUG.fullmatch(name):
        check.add(
            "name",
            _line(mapping, "name"),
            f"{name!r} is not a valid {kind} name: use lower-case letters, digits and single hyphens "
            f"(e.g. 'my-{kind}'), and name the file after it",
        )
        return None
    return name


def _list(check: _FileCheck, mapping: _Map, key: str, where: str, what: str) -> _Seq | None:
    if key not in mapping:
        return None
    value = mapping[key]
    if not isinstance(value, list):
        check.add(
            _join(where, key),
            _line(mapping, key),
            f"must be a list of {what}, but YAML read {_describe(value)}",
        )
        return None
    return value  # type: ignore[return-value]


def _url_entries(
    check: _FileCheck, mapping: _Map, key: str, where: str = ""
) -> list[tuple[str, str, int | None]]:
    """The (field, url, line) of each well-formed `- url: ...` entry of the list at `key`."""
    items = _list(check, mapping, key, where, "entries like '- url: https://...'")
    if items is None:
        return []
    entries = []
    for index, item in enumerate(items):
        item_field = f"{_join(where, key)}[{index}]"
        if not isinstance(item, _Map):
            check.add(
                item_field,
                _line(items, index),
                f"must be a mapping like 'url: https://...', but YAML read {_describe(item)}",
            )
            continue
        _check_keys(check, item, item_field, ("url",), ("url",))
        url = _text(check, item, "url", item_field)
        if url is not None:
            entries.append((f"{item_field}.url", url, _line(item, "url")))
    return entries


def _web_url_problem(url: str) -> str | None:
    if any(ch.isspace() for ch in url):
        return f"{url!r} contains spaces: remove them"
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return f"{url!r} is not a valid URL: write it as https://example.org/..."
    if parts.scheme not in ("http", "https"):
        return f"{url!r} is not a web address: it must start with https:// (or http://)"
    if not host or "." not in host:
        return f"{url!r} has no host name: write it as https://example.org/..."
    return None


def github_url_problem(url: str) -> str | None:
    """Why `url` is not https://github.com/<owner> or https://github.com/<owner>/<repo>, or None if it is."""
    shape = "https://github.com/<owner> or https://github.com/<owner>/<repo>"
    if any(ch.isspace() for ch in url):
        return f"{url!r} contains spaces: remove them"
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"{url!r} is not a valid URL: write {shape}"
    if parts.netloc.lower() in ("www.github.com", "github.com") and parts.scheme == "http":
        return f"{url!r} uses http: write https://github.com/..."
    if parts.netloc.lower() == "www.github.com":
        return f"{url!r} has 'www.': write https://github.com/... without it"
    if parts.scheme != "https" or parts.netloc != "github.com":
        return f"{url!r} is not a GitHub URL: write {shape}"
    if parts.query or parts.fragment:
        return f"{url!r} has a query or fragment: remove everything from '?' or '#'"
    path = parts.path
    if path.endswith("/"):
        return f"{url!r} ends with '/': remove the trailing slash"
    segments = path.strip("/").split("/") if path.strip("/") else []
    if not segments:
        return f"{url!r} names no owner: write {shape}"
    if len(segments) > 2:
        return (
            f"{url!r} points inside a repo: keep only https://github.com/{segments[0]}/{segments[1]} "
            "(a whole repo) or https://github.com/" + segments[0] + " (a whole org)"
        )
    if not _GITHUB_OWNER.fullmatch(segments[0]):
        return f"{segments[0]!r} in {url!r} is not a valid GitHub owner name (letters, digits, hyphens)"
    if len(segments) == 2:
        repo = segments[1]
        if repo.lower().endswith(".git"):
            return f"{url!r} ends with '.git': remove the .git suffix"
        if not _GITHUB_REPO.fullmatch(repo) or repo in (".", ".."):
            return f"{repo!r} in {url!r} is not a valid GitHub repo name (letters, digits, '.', '-', '_')"
    return None


def _check_websites(check: _FileCheck, mapping: _Map) -> tuple[str, ...]:
    urls = []
    for field_path, url, line in _url_entries(check, mapping, "websites"):
        problem = _web_url_problem(url)
        if problem:
            check.add(field_path, line, problem)
        else:
            urls.append(url)
    return tuple(urls)


def _check_social(check: _FileCheck, mapping: _Map) -> FrozenMap[str, tuple[str, ...]]:
    if "social" not in mapping:
        return FrozenMap()
    social = mapping["social"]
    if not isinstance(social, _Map):
        check.add(
            "social",
            _line(mapping, "social"),
            f"must be a mapping of platform to url entries (e.g. 'twitter: [{{url: ...}}]'), "
            f"but YAML read {_describe(social)}",
        )
        return FrozenMap()
    _check_keys(check, social, "social", SOCIAL_PLATFORMS, ())
    profiles: dict[str, tuple[str, ...]] = {}
    for platform in sorted(key for key in social if key in SOCIAL_PLATFORMS):
        urls = []
        for field_path, url, line in _url_entries(check, social, platform, "social"):
            problem = _web_url_problem(url)
            if problem:
                check.add(field_path, line, problem)
            else:
                urls.append(url)
        profiles[platform] = tuple(urls)
    return FrozenMap(profiles)


def _check_github(check: _FileCheck, mapping: _Map) -> list[tuple[GithubArtifact, str, int | None]]:
    artifacts = []
    for field_path, url, line in _url_entries(check, mapping, "github"):
        problem = github_url_problem(url)
        if problem:
            check.add(field_path, line, problem)
            continue
        segments = urlsplit(url).path.strip("/").split("/")
        owner = segments[0].lower()
        repo = segments[1].lower() if len(segments) == 2 else None
        artifacts.append((GithubArtifact(url=url, owner=owner, repo=repo), field_path, line))
    return artifacts


def _word_list(
    check: _FileCheck,
    entry: _Map,
    key: str,
    where: str,
    known: frozenset[str],
    seed: str,
) -> tuple[str, ...]:
    """A non-empty list of known words (networks or tags), each problem at `where.key[i]`."""
    items = _list(check, entry, key, where, f"{key} (e.g. '{key}: [{sorted(known)[0]}]')")
    if items is None:
        return ()
    list_field = _join(where, key)
    if not items:
        check.add(list_field, _line(entry, key), f"must list at least one of: {', '.join(sorted(known))}")
        return ()
    words: list[str] = []
    for index, word in enumerate(items):
        item_field = f"{list_field}[{index}]"
        line = _line(items, index)
        if not isinstance(word, str):
            check.add(item_field, line, f"must be a word, but YAML read {_describe(word)}")
        elif word not in known:
            close = difflib.get_close_matches(word, sorted(known), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            check.add(
                item_field,
                line,
                f"unknown {key[:-1]} '{word}': {hint}use one of {', '.join(sorted(known))}, "
                f"or add it to seeds/{seed}",
            )
        elif word in words:
            check.add(item_field, line, f"'{word}' is listed twice in {list_field}: remove one")
        else:
            words.append(word)
    return tuple(words)


def _check_address(check: _FileCheck, entry: _Map, where: str) -> str | None:
    if "address" not in entry:
        return None
    value = entry["address"]
    field_path = _join(where, "address")
    line = _line(entry, "address")
    if isinstance(value, int) and not isinstance(value, bool):
        check.add(
            field_path,
            line,
            'must be a quoted string such as "0xabc...": unquoted, YAML reads 0x... as a number',
        )
        return None
    if not isinstance(value, str):
        check.add(field_path, line, f'must be a quoted "0x..." address, but YAML read {_describe(value)}')
        return None
    if not _ADDRESS.fullmatch(value):
        check.add(
            field_path,
            line,
            f"{value!r} is not an EVM address: write 0x followed by exactly 40 hex digits (0-9, a-f)",
        )
        return None
    return value.lower()


def _check_blockchain(
    check: _FileCheck, mapping: _Map, networks: frozenset[str], tags: frozenset[str]
) -> list[tuple[BlockchainArtifact, str, int | None]]:
    items = _list(check, mapping, "blockchain", "", "entries with address, networks and tags")
    if items is None:
        return []
    artifacts = []
    for index, entry in enumerate(items):
        where = f"blockchain[{index}]"
        if not isinstance(entry, _Map):
            check.add(
                where,
                _line(items, index),
                f"must be a mapping with address, networks and tags, but YAML read {_describe(entry)}",
            )
            continue
        before = check.count
        _check_keys(check, entry, where, BLOCKCHAIN_KEYS, BLOCKCHAIN_REQUIRED)
        address = _check_address(check, entry, where)
        entry_networks = _word_list(check, entry, "networks", where, networks, NETWORKS_SEED)
        entry_tags = _word_list(check, entry, "tags", where, tags, TAGS_SEED)
        label = _text(check, entry, "name", where)
        if ANY_EVM in entry_networks and len(entry_networks) > 1:
            check.add(
                _join(where, "networks"),
                _line(entry, "networks"),
                f"'{ANY_EVM}' already covers every EVM network: list either {ANY_EVM} alone or specific networks",
            )
        if address is not None and check.count == before:
            artifact = BlockchainArtifact(
                address=address, networks=entry_networks, tags=entry_tags, name=label
            )
            artifacts.append((artifact, _join(where, "address"), _line(entry, "address")))
    return artifacts


@dataclass
class _ProjectDraft:
    """A checked project file: the project (valid if the file had no problems) and where its claims are."""

    project: Project
    name_ok: bool
    github: list[tuple[GithubArtifact, str, int | None]]
    blockchain: list[tuple[BlockchainArtifact, str, int | None]]


def _check_location(check: _FileCheck, mapping: _Map, name: str, expected: str, kind: str) -> None:
    if check.rel_path == expected:
        return
    stem = Path(check.rel_path).name.removesuffix(".yaml")
    if stem != name:
        message = (
            f"the file name '{stem}.yaml' does not match name '{name}': rename the file to {expected} "
            "(or change name)"
        )
    else:
        message = f"a {kind} named '{name}' belongs in {expected}: move the file there"
    check.add("name", _line(mapping, "name"), message)


def _not_a_mapping(check: _FileCheck, data: object, kind: str) -> bool:
    if data is None:
        check.add(
            "(file)", None, f"the file is empty: a {kind} file needs at least {', '.join(_required(kind))}"
        )
        return True
    if not isinstance(data, dict):
        check.add("(file)", 1, f"must be a YAML mapping of keys (version, name, ...), not {_describe(data)}")
        return True
    return False


def _required(kind: str) -> tuple[str, ...]:
    return PROJECT_REQUIRED if kind == "project" else COLLECTION_REQUIRED


def _check_project(
    check: _FileCheck, data: object, networks: frozenset[str], tags: frozenset[str]
) -> _ProjectDraft | None:
    if _not_a_mapping(check, data, "project"):
        return None
    assert isinstance(data, _Map)
    _check_keys(check, data, "", PROJECT_KEYS, PROJECT_REQUIRED)
    _version(check, data)
    name = _slug_name(check, data, "project")
    if name is not None:
        _check_location(check, data, name, f"projects/{name[0]}/{name}.yaml", "project")
    display_name = _text(check, data, "display_name")
    description = _text(check, data, "description")
    websites = _check_websites(check, data)
    social = _check_social(check, data)
    github = _check_github(check, data)
    blockchain = _check_blockchain(check, data, networks, tags)
    project = Project(
        name=name or "",
        display_name=display_name or "",
        description=description,
        websites=websites,
        social=social,
        github=tuple(artifact for artifact, _, _ in github),
        blockchain=tuple(artifact for artifact, _, _ in blockchain),
        source_file=check.rel_path,
    )
    return _ProjectDraft(project, name is not None, github, blockchain)


def _check_collection(
    check: _FileCheck, data: object
) -> tuple[Collection, list[tuple[str, str, int | None]]] | None:
    """The collection and the (project name, field, line) of each member, or None if unusable."""
    if _not_a_mapping(check, data, "collection"):
        return None
    assert isinstance(data, _Map)
    _check_keys(check, data, "", COLLECTION_KEYS, COLLECTION_REQUIRED)
    _version(check, data)
    name = _slug_name(check, data, "collection")
    if name is not None:
        _check_location(check, data, name, f"collections/{name}.yaml", "collection")
    display_name = _text(check, data, "display_name")
    description = _text(check, data, "description")
    members: list[tuple[str, str, int | None]] = []
    items = _list(check, data, "projects", "", "project names")
    if items is not None and not items:
        check.add("projects", _line(data, "projects"), "lists no project: a collection needs at least one")
    for index, member in enumerate(items or []):
        item_field = f"projects[{index}]"
        if not isinstance(member, str):
            check.add(
                item_field, _line(items, index), f"must be a project name, but YAML read {_describe(member)}"
            )
        elif member in (m for m, _, _ in members):
            check.add(item_field, _line(items, index), f"project '{member}' is listed twice: remove one")
        else:
            members.append((member, item_field, _line(items, index)))
    collection = Collection(
        name=name or "",
        display_name=display_name or "",
        description=description,
        projects=tuple(m for m, _, _ in members),
        source_file=check.rel_path,
    )
    return collection, members


# --------------------------------------------------------------------------------------------------------------
# Checks across files
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Claim:
    project: str
    path: str
    field: str

    def where(self) -> str:
        return f"{self.path}, {self.field}"


def _owner_conflict(what: str, other: _Claim) -> str:
    return (
        f"{what} is already claimed by project '{other.project}' ({other.where()}); an artifact belongs to exactly "
        "one project: remove it from one of the two files"
    )


def _check_github_claims(drafts: list[tuple[_FileCheck, _ProjectDraft]]) -> None:
    repos: dict[str, _Claim] = {}
    orgs: dict[str, _Claim] = {}
    repos_by_owner: dict[str, list[_Claim]] = {}
    for check, draft in drafts:
        name = draft.project.name
        for artifact, field_path, line in draft.github:
            claim = _Claim(name, check.rel_path, field_path)
            if artifact.repo is not None:
                other = repos.get(artifact.key)
                org = orgs.get(artifact.owner)
                if other is not None and other.project == name:
                    check.add(
                        field_path,
                        line,
                        f"repo {artifact.key} is listed twice (also {other.field}): remove one",
                    )
                elif other is not None:
                    check.add(field_path, line, _owner_conflict(f"repo {artifact.key}", other))
                elif org is not None and org.project == name:
                    check.add(
                        field_path,
                        line,
                        f"repo {artifact.key} is already covered by {org.field}, which lists the whole org "
                        f"'{artifact.owner}': remove this entry",
                    )
                elif org is not None:
                    check.add(
                        field_path,
                        line,
                        f"repo {artifact.key} lies inside the org '{artifact.owner}', which project "
                        f"'{org.project}' claims whole ({org.where()}); a repo belongs to one project: remove it "
                        "here, or list that project's repos one by one instead of the whole org",
                    )
                else:
                    repos[artifact.key] = claim
                    repos_by_owner.setdefault(artifact.owner, []).append(claim)
            else:
                other = orgs.get(artifact.owner)
                inside = repos_by_owner.get(artifact.owner, [])
                if other is not None and other.project == name:
                    check.add(
                        field_path,
                        line,
                        f"org {artifact.owner} is listed twice (also {other.field}): remove one",
                    )
                elif other is not None:
                    check.add(field_path, line, _owner_conflict(f"org {artifact.owner}", other))
                elif inside:
                    listed = "; ".join(f"project '{c.project}' at {c.where()}" for c in inside)
                    check.add(
                        field_path,
                        line,
                        f"org {artifact.owner} contains repos already listed ({listed}); a repo belongs to one "
                        "project: remove those repo entries, or list this project's repos one by one",
                    )
                else:
                    orgs[artifact.owner] = claim


def _check_address_claims(drafts: list[tuple[_FileCheck, _ProjectDraft]]) -> None:
    by_address: dict[str, list[tuple[str, _Claim]]] = {}
    for check, draft in drafts:
        name = draft.project.name
        for artifact, field_path, line in draft.blockchain:
            claim = _Claim(name, check.rel_path, field_path)
            for network in artifact.networks:
                clash = next(
                    (
                        (other_network, other)
                        for other_network, other in by_address.get(artifact.address, [])
                        if network == other_network or ANY_EVM in (network, other_network)
                    ),
                    None,
                )
                if clash is None:
                    by_address.setdefault(artifact.address, []).append((network, claim))
                    continue
                other_network, other = clash
                on = network if network == other_network else f"{network} (overlapping {other_network})"
                if other.project == name:
                    check.add(
                        field_path,
                        line,
                        f"address {artifact.address} on {on} is listed twice (also {other.field}): "
                        "keep it in one entry",
                    )
                else:
                    check.add(field_path, line, _owner_conflict(f"address {artifact.address} on {on}", other))


def _check_unique_names(items: list[tuple[_FileCheck, str]], kind: str) -> None:
    """Flag every file reusing a name already used by an earlier file."""
    first: dict[str, str] = {}
    for check, name in items:
        if name in first:
            check.add(
                "name",
                None,
                f"{kind} name '{name}' is already used by {first[name]}; names must be unique: rename one of them",
            )
        else:
            first[name] = check.rel_path


# --------------------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------------------


def _read_seed(path: Path, column: str) -> frozenset[str]:
    if not path.is_file():
        raise ConfigError(
            f"{path} is missing: the registry check reads the known values from it (restore it from git)"
        )
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or column not in reader.fieldnames:
            raise ConfigError(
                f"{path} has no '{column}' column: its header must start with '{column},description'"
            )
        values = [(row.get(column) or "").strip() for row in reader]
    if not values or not all(values):
        raise ConfigError(f"{path} has an empty '{column}' value or no rows: fill in every row")
    return frozenset(values)


def load_seeds(seeds_dir: Path) -> tuple[frozenset[str], frozenset[str]]:
    """The known (networks, tags) from the dbt seeds."""
    return _read_seed(seeds_dir / NETWORKS_SEED, "network"), _read_seed(seeds_dir / TAGS_SEED, "tag")


def _read_yaml(path: Path, check: _FileCheck) -> tuple[bool, object]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        check.add("(file)", None, "is not UTF-8 text: save it as UTF-8")
        return False, None
    except OSError as exc:
        check.add("(file)", None, f"cannot be read ({exc.strerror}): check its permissions")
        return False, None
    try:
        return True, yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        column = f" (column {mark.column + 1})" if mark else ""
        check.add(
            "(yaml)", mark.line + 1 if mark else None, f"YAML syntax error: {what}{column}: fix the YAML"
        )
    except yaml.YAMLError as exc:
        check.add("(yaml)", None, f"YAML error: {exc}: fix the YAML")
    return False, None


def _registry_files(
    root: Path, registry_dir: Path, problems: list[RegistryProblem]
) -> list[tuple[Path, str]]:
    """The .yaml files under `root`, as (path, path relative to the registry); other files are problems."""
    files: list[tuple[Path, str]] = []
    if not root.is_dir():
        return files
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(registry_dir).as_posix()
        if path.is_dir() or any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        if path.suffix == ".yaml":
            files.append((path, rel))
        elif path.suffix == ".yml":
            problems.append(RegistryProblem(rel, "(file)", "registry files end in .yaml: rename it"))
        else:
            problems.append(
                RegistryProblem(
                    rel, "(file)", "is not a registry file (only <name>.yaml files belong here): remove it"
                )
            )
    return files


def check_registry(registry_dir: Path, seeds_dir: Path) -> tuple[Registry, list[RegistryProblem]]:
    """Read and check the whole registry. The registry is only trustworthy if the problem list is empty."""
    registry_dir = Path(registry_dir)
    if not registry_dir.is_dir():
        raise ConfigError(
            f"the registry directory {registry_dir} does not exist: pass --registry-dir or set IMPACT_REGISTRY_DIR"
        )
    if not (registry_dir / "projects").is_dir():
        raise ConfigError(
            f"{registry_dir} has no projects/ folder: point the registry directory at an oss-directory-shaped "
            "registry (projects/<letter>/<name>.yaml, collections/<name>.yaml)"
        )
    networks, tags = load_seeds(Path(seeds_dir))
    problems: list[RegistryProblem] = []

    drafts: list[tuple[_FileCheck, _ProjectDraft]] = []
    unreadable: set[str] = set()  # file stems of project files without a usable name (already flagged)
    for path, rel in _registry_files(registry_dir / "projects", registry_dir, problems):
        check = _FileCheck(rel, problems)
        ok, data = _read_yaml(path, check)
        draft = _check_project(check, data, networks, tags) if ok else None
        if draft is not None:
            drafts.append((check, draft))
        if draft is None or not draft.name_ok:
            unreadable.add(path.stem)

    named = [(check, draft) for check, draft in drafts if draft.name_ok]
    # Files reusing a name are flagged; only the first file of each name takes part in the ownership checks.
    _check_unique_names([(check, draft.project.name) for check, draft in named], "project")
    first_of_name: dict[str, tuple[_FileCheck, _ProjectDraft]] = {}
    for check, draft in named:
        first_of_name.setdefault(draft.project.name, (check, draft))
    claimants = [
        first_of_name[name] for name in sorted(first_of_name, key=lambda n: first_of_name[n][0].rel_path)
    ]
    _check_github_claims(claimants)
    _check_address_claims(claimants)

    collections: list[Collection] = []
    collection_checks: list[tuple[_FileCheck, str]] = []
    project_names = set(first_of_name)
    for path, rel in _registry_files(registry_dir / "collections", registry_dir, problems):
        check = _FileCheck(rel, problems)
        ok, data = _read_yaml(path, check)
        result = _check_collection(check, data) if ok else None
        if result is None:
            continue
        collection, members = result
        collections.append(collection)
        if collection.name:
            collection_checks.append((check, collection.name))
        for member, item_field, line in members:
            if member not in project_names and member not in unreadable:
                expected = f"projects/{member[0]}/{member}.yaml" if _SLUG.fullmatch(member) else "projects/"
                check.add(
                    item_field,
                    line,
                    f"project '{member}' does not exist (no {expected}): add the project or remove it from "
                    "this collection",
                )
    _check_unique_names(collection_checks, "collection")
    problems.sort(key=lambda problem: problem.path)  # stable: per file, in the order the checks found them

    registry = Registry(
        projects=tuple(sorted((draft.project for _, draft in drafts), key=lambda p: (p.name, p.source_file))),
        collections=tuple(sorted(collections, key=lambda c: (c.name, c.source_file))),
    )
    return registry, problems


def load_registry(registry_dir: Path, seeds_dir: Path) -> Registry:
    """Load and validate the registry.

    Raises ConfigError if the directory (or a seed) is missing, RegistryError listing every problem found.
    """
    registry, problems = check_registry(registry_dir, seeds_dir)
    if problems:
        raise RegistryError(problems)
    return registry


# --------------------------------------------------------------------------------------------------------------
# Writing the raw tables
# --------------------------------------------------------------------------------------------------------------

PROJECTS_SCHEMA = pa.schema(
    [
        ("project_name", pa.string()),
        ("display_name", pa.string()),
        ("description", pa.string()),
        ("websites", pa.list_(pa.string())),
        ("social", pa.string()),
        ("_source_file", pa.string()),
        ("_loaded_at", pa.timestamp("us")),
    ]
)
COLLECTIONS_SCHEMA = pa.schema(
    [
        ("collection_name", pa.string()),
        ("display_name", pa.string()),
        ("description", pa.string()),
        ("project_name", pa.string()),
        ("_source_file", pa.string()),
        ("_loaded_at", pa.timestamp("us")),
    ]
)
ARTIFACTS_SCHEMA = pa.schema(
    [
        ("project_name", pa.string()),
        ("artifact_source", pa.string()),
        ("artifact_kind", pa.string()),
        ("artifact_namespace", pa.string()),
        ("artifact_name", pa.string()),
        ("artifact_url", pa.string()),
        ("network", pa.string()),
        ("tags", pa.list_(pa.string())),
        ("address_label", pa.string()),
        ("_source_file", pa.string()),
        ("_loaded_at", pa.timestamp("us")),
    ]
)

# Literal statements only: table names are constants, every value goes through the registered Arrow table.
_REPLACE_SQL: dict[str, tuple[str, str]] = {
    "registry_projects": (
        "delete from raw.registry_projects",
        "insert into raw.registry_projects by name select * from _impact_registry_rows",
    ),
    "registry_collections": (
        "delete from raw.registry_collections",
        "insert into raw.registry_collections by name select * from _impact_registry_rows",
    ),
    "registry_artifacts": (
        "delete from raw.registry_artifacts",
        "insert into raw.registry_artifacts by name select * from _impact_registry_rows",
    ),
}

_LOADS_INSERT = (
    "insert into raw._loads (load_id, source, day, status, started_at, finished_at, duration_seconds, "
    "files_expected, files_read, missing_files, rows_read, rows_kept, rows_rejected, bytes_scanned, error) "
    "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def social_json(social: Mapping[str, Sequence[str]]) -> str:
    """The `social` column: a JSON object of platform -> list of urls, keys sorted, e.g. {"twitter": ["..."]}."""
    return json.dumps(
        {platform: list(urls) for platform, urls in social.items()}, ensure_ascii=False, sort_keys=True
    )


def registry_tables(registry: Registry, loaded_at: datetime) -> dict[str, pa.Table]:
    """The rows of the three raw registry tables, as Arrow tables keyed by table name (no schema prefix)."""
    projects = [
        {
            "project_name": p.name,
            "display_name": p.display_name,
            "description": p.description,
            "websites": list(p.websites),
            "social": social_json(p.social),
            "_source_file": p.source_file,
            "_loaded_at": loaded_at,
        }
        for p in registry.projects
    ]
    collections = [
        {
            "collection_name": c.name,
            "display_name": c.display_name,
            "description": c.description,
            "project_name": member,
            "_source_file": c.source_file,
            "_loaded_at": loaded_at,
        }
        for c in registry.collections
        for member in c.projects
    ]
    artifacts: list[dict[str, object]] = []
    for p in registry.projects:
        for g in p.github:
            artifacts.append(
                {
                    "project_name": p.name,
                    "artifact_source": "GITHUB",
                    "artifact_kind": g.kind,
                    "artifact_namespace": g.owner,
                    "artifact_name": g.repo,
                    "artifact_url": g.url,
                    "network": None,
                    "tags": None,
                    "address_label": None,
                    "_source_file": p.source_file,
                    "_loaded_at": loaded_at,
                }
            )
        for b in p.blockchain:
            for network in b.networks:
                artifacts.append(
                    {
                        "project_name": p.name,
                        "artifact_source": "BLOCKCHAIN",
                        "artifact_kind": "ADDRESS",
                        "artifact_namespace": network,
                        "artifact_name": b.address,
                        "artifact_url": None,
                        "network": network,
                        "tags": list(b.tags),
                        "address_label": b.name,
                        "_source_file": p.source_file,
                        "_loaded_at": loaded_at,
                    }
                )
    return {
        "registry_projects": pa.Table.from_pylist(projects, schema=PROJECTS_SCHEMA),
        "registry_collections": pa.Table.from_pylist(collections, schema=COLLECTIONS_SCHEMA),
        "registry_artifacts": pa.Table.from_pylist(artifacts, schema=ARTIFACTS_SCHEMA),
    }


def write_registry(
    con: duckdb.DuckDBPyConnection, registry: Registry, *, loaded_at: datetime | None = None
) -> dict[str, int]:
    """Replace raw.registry_projects, raw.registry_collections and raw.registry_artifacts wholly, in one
    transaction, and record the load in raw._loads (source 'registry', day NULL, rows_kept = artifact rows).

    Returns the row count written to each table, keyed by table name (e.g. 'registry_artifacts'). Raises
    IngestError (tables unchanged, a 'failed' row in raw._loads) if DuckDB refuses the write.
    """
    ensure_raw_schema(con)
    loaded_at = loaded_at or utcnow()
    tables = registry_tables(registry, loaded_at)
    counts = {name: table.num_rows for name, table in tables.items()}
    started = time.perf_counter()
    con.execute("begin transaction")
    try:
        for name, (delete_sql, insert_sql) in _REPLACE_SQL.items():
            con.execute(delete_sql)
            con.register("_impact_registry_rows", tables[name])
            try:
                con.execute(insert_sql)
            finally:
                con.unregister("_impact_registry_rows")
        con.execute("commit")
    except BaseException as exc:
        con.execute("rollback")
        _record_load(con, registry, loaded_at, started, 0, f"{type(exc).__name__}: {exc}")
        if isinstance(exc, duckdb.Error):
            raise IngestError(
                f"writing the registry to the raw tables failed, so they still hold the previous registry: {exc}. "
                "Check that the raw registry tables have the columns of ingestion/warehouse.py RAW_DDL."
            ) from exc
        raise
    _record_load(con, registry, loaded_at, started, counts["registry_artifacts"], None)
    return counts


def _record_load(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    loaded_at: datetime,
    started: float,
    artifacts: int,
    error: str | None,
) -> None:
    files = len(registry.projects) + len(registry.collections)
    con.execute(
        _LOADS_INSERT,
        [
            uuid.uuid4().hex,
            "registry",
            None,
            "ok" if error is None else "failed",
            loaded_at,
            utcnow(),
            round(time.perf_counter() - started, 6),
            files,
            files,
            [],
            artifacts,
            artifacts,
            0,
            None,
            error,
        ],
    )

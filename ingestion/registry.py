"""The project registry, laid out and written as oss-directory (schema version 7) does: read it, check it, write it
to the raw layer.

Layout (relative to the registry directory)::

    projects/<first character of name>/<name>.yaml   one project: websites, social profiles, and its artifacts:
                                                      GitHub repos or whole orgs, npm / crates / pypi / go
                                                      packages, an Open Collective, DefiLlama protocols, and
                                                      blockchain addresses (per network, with tags)
    collections/<name>.yaml                           one collection: a named list of project names

Every key of oss-directory's project and collection schemas is read. Known networks and address tags are the dbt
seeds `seeds/blockchain_networks.csv` (column `network`) and `seeds/blockchain_tags.csv` (column `tag`).

Errors and warnings. `check_registry` reads every file in one pass and returns every problem, each naming the file
(relative to the registry directory), the field (`github[2].url`, `blockchain[0].networks[1]`, ...) and the line.

- An **error** is what makes a file unusable, and stops a load: YAML that does not parse (a repeated key included),
  a file that is not a mapping, a missing required key (or one that is not text: `name`, `display_name`), a file
  whose name differs from its `name`, two files with one name, a collection naming a project that does not exist.
- Everything else is a **warning**: the file loads, and the loader does one documented thing with the value:

  * a value the warehouse cannot use is left out: an address that is not 0x + 40 hex digits, a GitHub URL that is
    not a repo or an org, a package URL of an unknown shape, a website that is not a web address, an unknown
    network or tag, a value of the wrong type, a key oss-directory's schema does not have;
  * repeats, trailing slashes, `.git`, `www.`/`http://` and case variants are normalised: each artifact is kept
    once, matched lower-cased, with the URL as first written kept for display;
  * a repo that one project lists inside a GitHub org that another project lists whole belongs to the project
    that lists the repo: the more specific claim wins (an address listed on a named network likewise wins over
    the same address listed on `any_evm` by another project, on that network);
  * one artifact claimed by two projects at the same level (the same repo, org, package, or address on the same
    network) stays with the project whose name sorts first and is left out of the other. An artifact belonging to
    exactly one project is what keeps every count honest: an event reaches one project, so a collection holding
    both projects counts it once, and adding a project to a collection never moves another's numbers. The name
    order is arbitrary but stable, and the warning names both files so that the registry can settle it.

`load_registry(..., strict=True)` (`impact registry validate --strict`) treats every warning as an error: for a
registry repository's own CI.

Ids (`ingestion.ids.artifact_id`): (source, namespace, name), lower-cased. GitHub: ('GITHUB', owner, repo) or
('GITHUB', owner, NULL) for an org. npm: ('NPM', scope without '@' or NULL, package). crates: ('CRATES', NULL,
crate). pypi: ('PYPI', NULL, name normalised as PEP 503 says). go: ('GO', NULL, module path such as
github.com/owner/repo). Open Collective: ('OPEN_COLLECTIVE', NULL, slug). DefiLlama: ('DEFILLAMA', NULL, protocol
slug). Addresses: (upper(network), network, address), computed by dbt per network.

Addresses are stored lower-cased; EIP-55 checksums are not verified (that needs keccak-256, which the standard
library lacks).
"""

from __future__ import annotations

import csv
import difflib
import gc
import json
import re
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple, TypeVar
from urllib.parse import unquote, urlsplit

import duckdb
import pyarrow as pa
import yaml

from ingestion.errors import ConfigError, IngestError, RegistryError, RegistryProblem
from ingestion.warehouse import ensure_raw_schema, utcnow

ANY_EVM = "any_evm"
"""The network name meaning "this address, on every EVM network"."""

NETWORKS_SEED = "blockchain_networks.csv"
TAGS_SEED = "blockchain_tags.csv"

URL_ARTIFACT_KEYS = ("npm", "crates", "pypi", "go", "open_collective", "defillama")
"""The project keys holding lists of artifact URLs besides `github` (oss-directory schema version 7)."""

PROJECT_KEYS = (
    "version",
    "name",
    "display_name",
    "description",
    "websites",
    "social",
    "github",
    *URL_ARTIFACT_KEYS,
    "blockchain",
    "token_coingecko_api_id",
    "comments",
)
PROJECT_REQUIRED = ("version", "name", "display_name")
COLLECTION_KEYS = ("version", "name", "display_name", "description", "projects", "comments")
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

ERROR = "error"
WARNING = "warning"

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_GITHUB_OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
_GITHUB_REPO = re.compile(r"[A-Za-z0-9._-]{1,100}")
_GITHUB_CANONICAL = re.compile(
    r"https://github\.com/([A-Za-z0-9][A-Za-z0-9-]{0,38})(?:/([A-Za-z0-9_-][A-Za-z0-9._-]{0,99}))?"
)
"""A GitHub URL already written the canonical way (nearly all of them): read without urlsplit."""
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]*")
_PEP503 = re.compile(r"[-_.]+")

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
    """A GitHub repo (`repo` set) or a whole GitHub org/user (`repo` None). `owner`/`repo` are lower-cased;
    `url` is the URL as first written."""

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
class UrlArtifact:
    """An artifact listed by URL other than GitHub: a package (npm, crates, pypi, go), an Open Collective, a
    DefiLlama protocol. `namespace`/`name` are the lower-cased id parts; `url` is as first written."""

    source: str
    kind: str
    namespace: str | None
    name: str
    url: str

    @property
    def key(self) -> tuple[str, str | None, str]:
        return (self.source, self.namespace, self.name)


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
    url_artifacts: tuple[UrlArtifact, ...] = ()
    token_coingecko_api_id: str | None = None
    comments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Collection:
    name: str
    display_name: str
    description: str | None
    projects: tuple[str, ...]
    source_file: str
    comments: tuple[str, ...] = ()


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
        """The project owning an 'Owner/Repo' (any case): the project listing the repo, else the one listing its
        org; None if untracked."""
        key = repo_name.strip().lower()
        if key in self.owners:
            return self.owners[key]
        owner, slash, _ = key.partition("/")
        return self.owners.get(owner) if slash else None


@dataclass(frozen=True)
class Registry:
    projects: tuple[Project, ...]
    collections: tuple[Collection, ...]
    warnings: tuple[RegistryProblem, ...] = field(default=(), compare=False, hash=False)
    """What the loader normalised or left out (see the module docstring); the registry loaded anyway."""

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
# YAML with line numbers, parsed by libyaml
# --------------------------------------------------------------------------------------------------------------


class _Map(dict):
    """A YAML mapping that remembers its own line and the line of each key (1-based)."""

    line: int
    lines: dict[Any, int]


class _Seq(list):
    """A YAML sequence that remembers its own line and the line of each item (1-based)."""

    line: int
    lines: list[int]


_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_RESOLVED_FIRST = frozenset(key for key in yaml.SafeLoader.yaml_implicit_resolvers if key)
"""The first characters of a plain scalar that YAML 1.1 may read as something other than text (numbers,
booleans, null, dates, merge keys): every other plain scalar is text without trying the resolvers' patterns."""


_PLAIN_TAGS: dict[str, str] = {}
"""The tag of short plain scalars already resolved (keys, network and tag names repeat in every file)."""


class _Loader(_BaseLoader):
    """libyaml's safe loader (PyYAML's when libyaml is missing), with a fast path for the tags of text, lists and
    mappings. Only the parser and composer run here; `_to_data` builds the values."""

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if not implicit[0] or (value and value[0] not in _RESOLVED_FIRST):
                return _STR_TAG
            tag = _PLAIN_TAGS.get(value)
            if tag is None:
                tag = str(super().resolve(kind, value, implicit))
                if len(value) <= 24 and len(_PLAIN_TAGS) < 4096:
                    _PLAIN_TAGS[value] = tag
            return tag
        if kind is yaml.MappingNode:
            return _MAP_TAG
        if kind is yaml.SequenceNode:
            return _SEQ_TAG
        return str(super().resolve(kind, value, implicit))


class _Unusual(Exception):
    """The fast reader met an anchor, an alias, an explicit tag, a merge key or a second document."""


_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_NO_KEY = object()


def _load_yaml(text: str) -> object:
    """The document in `text` as `_Map`/`_Seq`/scalars, each list and mapping with its lines; raises
    yaml.YAMLError (with a mark) on bad YAML, a repeated key or a recursive alias.

    Registry files are plain: text, lists and mappings. Those are built straight from libyaml's events; a file
    using anything else (anchors, aliases, tags, merge keys) is read again through the composer (`_to_data`)."""
    loader = _Loader(text)
    try:
        return _from_events(loader)
    except _Unusual:
        pass
    finally:
        loader.dispose()
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        return None if node is None else _to_data(loader, node, set())
    finally:
        loader.dispose()


def _from_events(loader: Any) -> object:
    scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
    map_start, seq_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    stack: list[Any] = []  # open containers; for a mapping [map, pending key, key line]
    root: object = None
    documents = 0
    get_event, stream_end = loader.get_event, yaml.StreamEndEvent
    while True:
        event = get_event()
        cls = event.__class__
        if cls is scalar_event:
            if event.anchor is not None or (event.tag is not None and event.tag != "!"):
                raise _Unusual
            value: object = event.value
            implicit = event.implicit
            if implicit[0] and (not value or value[0] in _RESOLVED_FIRST):  # type: ignore[index]
                tag = loader.resolve(yaml.ScalarNode, value, implicit)
                if tag == _MERGE_TAG:
                    raise _Unusual
                if tag != _STR_TAG:
                    node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
                    value = _CONSTRUCTOR.construct_object(node)
            line = event.start_mark.line + 1
        elif cls is map_start or cls is seq_start:
            if event.anchor is not None or (event.tag is not None and event.tag != "!"):
                raise _Unusual
            value = _Map() if cls is map_start else _Seq()
            value.line = line = event.start_mark.line + 1
            if cls is map_start:
                value.lines = {}
            else:
                value.lines = []
        elif cls in ends:
            stack.pop()
            continue
        elif cls is alias_event:
            raise _Unusual
        else:
            if cls is stream_end:
                break
            if cls is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _Unusual  # the composer says "expected a single document"
            continue
        if not stack:
            root = value
        else:
            top = stack[-1]
            if top.__class__ is _Seq:
                top.append(value)
                top.lines.append(line)
            else:
                mapping, key, key_line = top
                if key is _NO_KEY:
                    if isinstance(value, list | dict):
                        raise yaml.constructor.ConstructorError(
                            None, None, "a key must be a plain word, not a list or mapping", event.start_mark
                        )
                    if value in mapping:
                        raise yaml.constructor.ConstructorError(
                            None,
                            None,
                            f"duplicate key '{value}' (first given on line {mapping.lines[value]}): keep only one",
                            event.start_mark,
                        )
                    top[1], top[2] = value, line
                else:
                    mapping[key] = value
                    mapping.lines[key] = key_line
                    top[1] = _NO_KEY
        if cls is map_start:
            stack.append([value, _NO_KEY, 0])
        elif cls is seq_start:
            stack.append(value)
    return root


def _to_data(loader: Any, node: yaml.Node, active: set[int]) -> object:
    if node.__class__ is yaml.ScalarNode:
        return node.value if node.tag == _STR_TAG else loader.construct_object(node)
    if id(node) in active:
        raise yaml.constructor.ConstructorError(
            None, None, "an alias refers to a list or mapping that contains it", node.start_mark
        )
    active.add(id(node))
    try:
        if node.__class__ is yaml.SequenceNode and node.tag == _SEQ_TAG:
            children = node.value
            seq = _Seq(_to_data(loader, child, active) for child in children)
            seq.line = node.start_mark.line + 1
            seq.lines = [child.start_mark.line + 1 for child in children]
            return seq
        if node.__class__ is yaml.MappingNode and node.tag == _MAP_TAG:
            if any(key.tag == _MERGE_TAG for key, _ in node.value):
                loader.flatten_mapping(node)
            result = _Map()
            result.line = node.start_mark.line + 1
            lines: dict[Any, int] = {}
            result.lines = lines
            for key_node, value_node in node.value:
                key = _to_data(loader, key_node, active)
                if isinstance(key, list | dict):
                    raise yaml.constructor.ConstructorError(
                        None, None, "a key must be a plain word, not a list or mapping", key_node.start_mark
                    )
                if key in result:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"duplicate key '{key}' (first given on line {lines[key]}): keep only one",
                        key_node.start_mark,
                    )
                result[key] = _to_data(loader, value_node, active)
                lines[key] = key_node.start_mark.line + 1
            return result
        return loader.construct_object(
            node, deep=True
        )  # another tag (!!set, !!omap, ...): as PyYAML builds it
    finally:
        active.discard(id(node))


# --------------------------------------------------------------------------------------------------------------
# Checking one file
# --------------------------------------------------------------------------------------------------------------


class _FileCheck:
    """Collects the problems of one file."""

    def __init__(self, rel_path: str, problems: list[RegistryProblem]):
        self.rel_path = rel_path
        self.problems = problems
        self.errors = 0

    def error(self, field_path: str, line: int | None, message: str) -> None:
        self.problems.append(RegistryProblem(self.rel_path, field_path, message, line=line, severity=ERROR))
        self.errors += 1

    def warn(self, field_path: str, line: int | None, message: str) -> None:
        self.problems.append(RegistryProblem(self.rel_path, field_path, message, line=line, severity=WARNING))


def _join(where: str, key: object) -> str:
    return f"{where}.{key}" if where else str(key)


def _line(container: object, key: Any) -> int | None:
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


_ALLOWED_SETS: dict[tuple[str, ...], frozenset[str]] = {}


def _allowed_set(allowed: Sequence[str]) -> frozenset[str]:
    key = tuple(allowed)
    found = _ALLOWED_SETS.get(key)
    if found is None:
        found = _ALLOWED_SETS[key] = frozenset(key)
    return found


def _check_keys(
    check: _FileCheck, mapping: _Map, where: str, allowed: Sequence[str], required: Sequence[str]
) -> None:
    """Unknown keys are warnings (ignored); a missing required key is an error."""
    if mapping.keys() <= _allowed_set(allowed) and all(key in mapping for key in required):
        return
    for key in mapping:
        if key in allowed:
            continue
        close = difflib.get_close_matches(str(key), allowed, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        check.warn(
            _join(where, key),
            _line(mapping, key),
            f"unknown key '{key}', ignored: {hint}the keys here are {', '.join(allowed)}",
        )
    for key in required:
        if key not in mapping:
            check.error(_join(where, key), mapping.line, f"missing required key '{key}': add it")


def _text(
    check: _FileCheck, mapping: _Map, key: str, where: str = "", *, required: bool = False
) -> str | None:
    """The string at `key`, or None (absent, or a problem was recorded: an error if `required`, else a warning
    and the value is left out)."""
    if key not in mapping:
        return None
    value = mapping[key]
    report = check.error if required else check.warn
    action = "" if required else ", left out"
    if isinstance(value, int | float) and not isinstance(value, bool) and not required:
        return str(value)  # e.g. a coingecko id or a label YAML read as a number: kept as written
    if not isinstance(value, str):
        report(
            _join(where, key),
            _line(mapping, key),
            f"must be text, but YAML read {_describe(value)}{action}: quote the value",
        )
        return None
    if not value.strip():
        report(_join(where, key), _line(mapping, key), f"is empty{action}: write a value or remove the key")
        return None
    return value


def _version(check: _FileCheck, mapping: _Map) -> None:
    if "version" not in mapping:
        return
    value = mapping["version"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        check.warn(
            "version",
            _line(mapping, "version"),
            f"must be a number such as 7, but YAML read {_describe(value)}: ignored (write it without quotes)",
        )


def _name(check: _FileCheck, mapping: _Map, kind: str) -> str | None:
    """The `name`, required text. oss-directory allows any characters; a name the file system cannot carry as a
    file name ('/' or a leading '.') cannot equal its file's name, and is an error."""
    name = _text(check, mapping, "name", required=True)
    if name is None:
        return None
    if "/" in name or name.startswith(".") or name != name.strip():
        check.error(
            "name",
            _line(mapping, "name"),
            f"{name!r} cannot be a {kind} name: a name is its file's name, without '/', surrounding spaces or a "
            "leading '.'",
        )
        return None
    return name


def _list(check: _FileCheck, mapping: _Map, key: str, where: str, what: str) -> _Seq | None:
    """The list at `key`; a value of another type is a warning and left out."""
    if key not in mapping:
        return None
    value = mapping[key]
    if value is None:
        return _empty_seq(mapping, key)
    if not isinstance(value, list):
        check.warn(
            _join(where, key),
            _line(mapping, key),
            f"must be a list of {what}, but YAML read {_describe(value)}: left out",
        )
        return None
    return value  # type: ignore[return-value]


def _empty_seq(mapping: _Map, key: str) -> _Seq:
    seq = _Seq()
    seq.line = _line(mapping, key) or 0
    seq.lines = []
    return seq


def _url_entries(
    check: _FileCheck, mapping: _Map, key: str, where: str = ""
) -> list[tuple[str, str, int | None]]:
    """The (field, url, line) of each well-formed `- url: ...` entry of the list at `key`. An entry without `url`
    is an error (oss-directory's url.json requires it); any other malformed entry a warning, left out."""
    items = _list(check, mapping, key, where, "entries like '- url: https://...'")
    if items is None:
        return []
    entries = []
    for index, item in enumerate(items):
        item_field = f"{_join(where, key)}[{index}]"
        if not isinstance(item, _Map):
            check.warn(
                item_field,
                _line(items, index),
                f"must be a mapping like 'url: https://...', but YAML read {_describe(item)}: left out",
            )
            continue
        _check_keys(check, item, item_field, ("url",), ("url",))
        url = _text(check, item, "url", item_field)
        if url is not None:
            entries.append((f"{item_field}.url", url.strip(), _line(item, "url")))
    return entries


def _web_url_problem(url: str) -> str | None:
    if any(ch.isspace() for ch in url):
        return f"{url!r} contains spaces"
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return f"{url!r} is not a valid URL"
    if parts.scheme not in ("http", "https"):
        return f"{url!r} is not a web address (https://...)"
    if not host or "." not in host:
        return f"{url!r} has no host name"
    return None


def github_url_problem(url: str) -> str | None:
    """Why `url` is not a GitHub org or repo URL the warehouse can use, or None if it is (trailing slash, `.git`,
    `www.`, `http://` and any case are accepted: `parse_github_url` normalises them)."""
    return _parse_github(url)[1]


def parse_github_url(url: str) -> tuple[str, str | None] | None:
    """(owner, repo or None), lower-cased, for a GitHub org or repo URL; None if it is neither."""
    return _parse_github(url)[0]


def _parse_github(url: str) -> tuple[tuple[str, str | None] | None, str | None]:
    shape = "https://github.com/<owner> or https://github.com/<owner>/<repo>"
    if any(ch.isspace() for ch in url):
        return None, f"{url!r} contains spaces: write {shape}"
    try:
        parts = urlsplit(url)
    except ValueError:
        return None, f"{url!r} is not a valid URL: write {shape}"
    if parts.scheme not in ("http", "https") or (parts.hostname or "") not in (
        "github.com",
        "www.github.com",
    ):
        return None, f"{url!r} is not a GitHub URL: write {shape}"
    if parts.query or parts.fragment:
        return None, f"{url!r} has a query or fragment: write {shape}"
    segments = [segment for segment in parts.path.split("/") if segment]
    if not segments:
        return None, f"{url!r} names no owner: write {shape}"
    if len(segments) > 2:
        return None, (
            f"{url!r} points inside a repo, not at a repo or an org: write https://github.com/{segments[0]}/"
            f"{segments[1]} (a whole repo) or https://github.com/{segments[0]} (a whole org)"
        )
    if not _GITHUB_OWNER.fullmatch(segments[0]):
        return None, f"{segments[0]!r} in {url!r} is not a GitHub owner name (letters, digits, hyphens)"
    if len(segments) == 1:
        return (segments[0].lower(), None), None
    repo = segments[1]
    if repo.lower().endswith(".git"):
        repo = repo[:-4]
    if not _GITHUB_REPO.fullmatch(repo) or repo in (".", ".."):
        return None, f"{segments[1]!r} in {url!r} is not a GitHub repo name (letters, digits, '.', '-', '_')"
    return (segments[0].lower(), repo.lower()), None


def _github_cosmetics(url: str) -> list[str]:
    """What `parse_github_url` normalised in a usable GitHub URL (for the warning)."""
    parts = urlsplit(url)
    found = []
    if parts.scheme == "http":
        found.append("'http://'")
    if (parts.hostname or "").startswith("www."):
        found.append("'www.'")
    if parts.path.endswith("/") or "//" in parts.path:
        found.append("a trailing or doubled '/'")
    if parts.path.rstrip("/").lower().endswith(".git") and parts.path.strip("/").count("/") == 1:
        found.append("'.git'")
    return found


def _segments(url: str, hosts: tuple[str, ...]) -> list[str] | None:
    """The non-empty, percent-decoded path segments of an http(s) URL on one of `hosts`; None otherwise."""
    if any(ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or (parts.hostname or "").lower() not in hosts:
        return None
    return [unquote(segment) for segment in parts.path.split("/") if segment]


def _npm(url: str) -> tuple[str | None, str] | None:
    segments = _segments(url, ("www.npmjs.com", "npmjs.com"))
    if not segments or segments[0] != "package" or len(segments) < 2:
        return None
    if segments[1].startswith("@"):
        if len(segments) < 3 or len(segments[1]) < 2:
            return None
        scope, name = segments[1][1:], segments[2]
        rest = segments[3:]
    else:
        scope, name = None, segments[1]
        rest = segments[2:]
    if rest and rest[0] != "v":  # /package/<name>/v/<version> names a version of the package
        return None
    if not _SLUG.fullmatch(name) or (scope is not None and not _SLUG.fullmatch(scope)):
        return None
    return (scope.lower() if scope else None), name.lower()


def _one_after(url: str, hosts: tuple[str, ...], prefix: str | None) -> str | None:
    """The slug in https://<host>/<prefix>/<slug> (or https://<host>/<slug> without a prefix)."""
    segments = _segments(url, hosts)
    if segments is None:
        return None
    if prefix is not None:
        if len(segments) != 2 or segments[0] != prefix:
            return None
        slug = segments[1]
    else:
        if len(segments) != 1:
            return None
        slug = segments[0]
    return slug.lower() if _SLUG.fullmatch(slug) else None


def _crates(url: str) -> tuple[str | None, str] | None:
    name = _one_after(url, ("crates.io", "www.crates.io"), "crates")
    return None if name is None else (None, name)


def _pypi(url: str) -> tuple[str | None, str] | None:
    name = _one_after(url, ("pypi.org", "www.pypi.org"), "project")
    return None if name is None else (None, _PEP503.sub("-", name))


def _open_collective(url: str) -> tuple[str | None, str] | None:
    name = _one_after(url, ("opencollective.com", "www.opencollective.com"), None)
    return None if name is None else (None, name)


def _defillama(url: str) -> tuple[str | None, str] | None:
    name = _one_after(url, ("defillama.com", "www.defillama.com"), "protocol")
    return None if name is None else (None, name)


def _go(url: str) -> tuple[str | None, str] | None:
    """A Go module, written as the URL of its path (https://github.com/owner/repo, https://go.dev/x/... or
    https://pkg.go.dev/<module path>): the module path, lower-cased, without '.git'."""
    if any(ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or "." not in host:
        return None
    segments = [segment for segment in parts.path.split("/") if segment]
    if host == "pkg.go.dev":
        if not segments or "." not in segments[0]:
            return None
        path = "/".join(segments)
    else:
        path = "/".join([host.removeprefix("www."), *segments])
    path = path.split("@", 1)[0].lower()
    if path.endswith(".git"):
        path = path[:-4]
    return None, path


_URL_ARTIFACTS: dict[str, tuple[str, str, str, Any]] = {
    # key: (source, kind, expected shape, parser)
    "npm": ("NPM", "PACKAGE", "https://www.npmjs.com/package/<name> or .../package/@<scope>/<name>", _npm),
    "crates": ("CRATES", "PACKAGE", "https://crates.io/crates/<name>", _crates),
    "pypi": ("PYPI", "PACKAGE", "https://pypi.org/project/<name>", _pypi),
    "go": ("GO", "PACKAGE", "the module path as a URL, e.g. https://github.com/<owner>/<repo>", _go),
    "open_collective": (
        "OPEN_COLLECTIVE",
        "COLLECTIVE",
        "https://opencollective.com/<slug>",
        _open_collective,
    ),
    "defillama": ("DEFILLAMA", "PROTOCOL", "https://defillama.com/protocol/<slug>", _defillama),
}


def _check_websites(check: _FileCheck, mapping: _Map) -> tuple[str, ...]:
    urls: list[str] = []
    for field_path, url, line in _url_entries(check, mapping, "websites"):
        problem = _web_url_problem(url)
        if problem:
            check.warn(field_path, line, f"{problem}: left out")
        elif url not in urls:
            urls.append(url)
    return tuple(urls)


def _check_social(check: _FileCheck, mapping: _Map) -> FrozenMap[str, tuple[str, ...]]:
    if "social" not in mapping or mapping["social"] is None:
        return FrozenMap()
    social = mapping["social"]
    if not isinstance(social, _Map):
        check.warn(
            "social",
            _line(mapping, "social"),
            f"must be a mapping of platform to url entries (e.g. 'twitter: [{{url: ...}}]'), "
            f"but YAML read {_describe(social)}: left out",
        )
        return FrozenMap()
    _check_keys(check, social, "social", SOCIAL_PLATFORMS, ())
    profiles: dict[str, tuple[str, ...]] = {}
    for platform in sorted(key for key in social if key in SOCIAL_PLATFORMS):
        urls: list[str] = []
        for field_path, url, line in _url_entries(check, social, platform, "social"):
            problem = _web_url_problem(url)
            if problem:
                check.warn(field_path, line, f"{problem}: left out")
            elif url not in urls:
                urls.append(url)
        profiles[platform] = tuple(urls)
    return FrozenMap(profiles)


def _check_github(check: _FileCheck, mapping: _Map) -> list[tuple[GithubArtifact, str, int | None]]:
    artifacts: list[tuple[GithubArtifact, str, int | None]] = []
    seen: dict[str, str] = {}
    for field_path, url, line in _url_entries(check, mapping, "github"):
        fast = None if url[-4:].lower() == ".git" else _GITHUB_CANONICAL.fullmatch(url)
        if fast is not None:
            owner, repo = fast.group(1).lower(), fast.group(2)
            repo = repo.lower() if repo else None
        else:
            parsed, problem = _parse_github(url)
            if parsed is None:
                check.warn(field_path, line, f"{problem}: left out")
                continue
            owner, repo = parsed
        artifact = GithubArtifact(url=url, owner=owner, repo=repo)
        if artifact.key in seen:
            check.warn(
                field_path,
                line,
                f"{artifact.kind.lower()} {artifact.key} is listed twice (also {seen[artifact.key]}, compared "
                "lower-cased): kept once, with the URL first written",
            )
            continue
        cosmetics = [] if fast is not None else _github_cosmetics(url)
        if cosmetics:
            check.warn(
                field_path,
                line,
                f"{url!r} has {' and '.join(cosmetics)}: read as {artifact.kind.lower()} {artifact.key}",
            )
        seen[artifact.key] = field_path
        artifacts.append((artifact, field_path, line))
    return artifacts


def _check_url_artifacts(check: _FileCheck, mapping: _Map) -> list[tuple[UrlArtifact, str, int | None]]:
    artifacts: list[tuple[UrlArtifact, str, int | None]] = []
    seen: dict[tuple[str, str | None, str], str] = {}
    for key in URL_ARTIFACT_KEYS:
        if key not in mapping:
            continue
        source, kind, shape, parse = _URL_ARTIFACTS[key]
        for field_path, url, line in _url_entries(check, mapping, key):
            parsed = parse(url)
            if parsed is None:
                check.warn(
                    field_path, line, f"{url!r} is not a {key} URL the warehouse can read ({shape}): left out"
                )
                continue
            namespace, name = parsed
            artifact = UrlArtifact(source=source, kind=kind, namespace=namespace, name=name, url=url)
            if artifact.key in seen:
                check.warn(
                    field_path,
                    line,
                    f"{key} {_url_artifact_label(artifact)} is listed twice (also {seen[artifact.key]}, compared "
                    "lower-cased): kept once, with the URL first written",
                )
                continue
            seen[artifact.key] = field_path
            artifacts.append((artifact, field_path, line))
    return artifacts


def _url_artifact_label(artifact: UrlArtifact) -> str:
    return artifact.name if artifact.namespace is None else f"{artifact.namespace}/{artifact.name}"


def _word_list(
    check: _FileCheck,
    entry: _Map,
    key: str,
    where: str,
    known: frozenset[str],
    seed: str,
) -> tuple[str, ...] | None:
    """The known words (networks or tags) of the list at `key`; unknown, repeated or mistyped ones are warnings
    and left out. None if the key is missing or not a list."""
    value = entry.get(key)
    items = (
        value if isinstance(value, list) else _list(check, entry, key, where, f"{key} (e.g. '{key}: [...]')")
    )
    if items is None:
        return None
    list_field = _join(where, key)
    words: list[str] = []
    for index, word in enumerate(items):
        item_field = f"{list_field}[{index}]"
        line = _line(items, index)
        if not isinstance(word, str):
            check.warn(item_field, line, f"must be a word, but YAML read {_describe(word)}: left out")
        elif word not in known:
            close = difflib.get_close_matches(word, sorted(known), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            check.warn(
                item_field,
                line,
                f"unknown {key[:-1]} '{word}'{hint}: left out; the known ones are in seeds/{seed}",
            )
        elif word in words:
            check.warn(item_field, line, f"'{word}' is listed twice in {list_field}: kept once")
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
        check.warn(
            field_path,
            line,
            'is a number to YAML (an unquoted 0x... reads as one): the entry is left out; quote it as "0x..."',
        )
        return None
    if not isinstance(value, str):
        check.warn(
            field_path,
            line,
            f'must be a quoted "0x..." address, but YAML read {_describe(value)}: the entry is left out',
        )
        return None
    if not _ADDRESS.fullmatch(value.strip()):
        length = f"{len(value.strip())} characters" if value.strip() else "empty"
        check.warn(
            field_path,
            line,
            f"{value!r} ({length}) is not an EVM address (0x followed by exactly 40 hex digits): the entry is left "
            "out",
        )
        return None
    return value.strip().lower()


def _check_blockchain(
    check: _FileCheck, mapping: _Map, networks: frozenset[str], tags: frozenset[str]
) -> list[tuple[BlockchainArtifact, str, int | None]]:
    items = _list(check, mapping, "blockchain", "", "entries with address, networks and tags")
    if items is None:
        return []
    artifacts: list[tuple[BlockchainArtifact, str, int | None]] = []
    # (address, network) -> index in `artifacts` of the entry that listed it first
    first: dict[tuple[str, str], int] = {}
    for index, entry in enumerate(items):
        where = f"blockchain[{index}]"
        if not isinstance(entry, _Map):
            check.warn(
                where,
                _line(items, index),
                f"must be a mapping with address, networks and tags, but YAML read {_describe(entry)}: left out",
            )
            continue
        _check_keys(check, entry, where, BLOCKCHAIN_KEYS, BLOCKCHAIN_REQUIRED)
        address = _check_address(check, entry, where)
        entry_networks = _word_list(check, entry, "networks", where, networks, NETWORKS_SEED)
        entry_tags = _word_list(check, entry, "tags", where, tags, TAGS_SEED) or ()
        label = _text(check, entry, "name", where)
        if address is None or entry_networks is None:
            continue
        networks_field, networks_line = _join(where, "networks"), _line(entry, "networks")
        if ANY_EVM in entry_networks and len(entry_networks) > 1:
            check.warn(
                networks_field,
                networks_line,
                f"'{ANY_EVM}' already covers every EVM network: read as [{ANY_EVM}] alone",
            )
            entry_networks = (ANY_EVM,)
        kept: list[str] = []
        for network in entry_networks:
            earlier = first.get((address, network))
            if earlier is None:
                kept.append(network)
                continue
            previous, previous_field, previous_line = artifacts[earlier]
            merged = tuple(dict.fromkeys(previous.tags + entry_tags))
            artifacts[earlier] = (
                BlockchainArtifact(previous.address, previous.networks, merged, previous.name or label),
                previous_field,
                previous_line,
            )
            check.warn(
                networks_field,
                networks_line,
                f"address {address} on {network} is listed twice (also {previous_field}): kept once, with the "
                "tags of both entries",
            )
        if not entry_networks:
            check.warn(networks_field, networks_line, "names no known network: the entry is left out")
            continue
        if not kept:
            continue
        for network in kept:
            first[(address, network)] = len(artifacts)
        artifact = BlockchainArtifact(address=address, networks=tuple(kept), tags=entry_tags, name=label)
        artifacts.append((artifact, _join(where, "address"), _line(entry, "address")))
    return artifacts


def _text_list(check: _FileCheck, mapping: _Map, key: str) -> tuple[str, ...]:
    items = _list(check, mapping, key, "", "texts")
    if items is None:
        return ()
    texts = []
    for index, item in enumerate(items):
        if isinstance(item, str):
            texts.append(item)
        else:
            check.warn(
                f"{key}[{index}]",
                _line(items, index),
                f"must be text, but YAML read {_describe(item)}: left out",
            )
    return tuple(texts)


@dataclass
class _ProjectDraft:
    """A checked project file and where its claims are; the claims across files are settled afterwards."""

    project: Project
    usable: bool
    github: list[tuple[GithubArtifact, str, int | None]]
    url_artifacts: list[tuple[UrlArtifact, str, int | None]]
    blockchain: list[tuple[BlockchainArtifact, str, int | None]]


def _project_path(name: str) -> str:
    return f"projects/{name[0].lower()}/{name}.yaml"


def _check_location(check: _FileCheck, mapping: _Map, name: str, expected: str, kind: str) -> bool:
    """A file whose name differs from its `name` is an error (False); a project in another letter's folder is a
    warning."""
    if check.rel_path == expected:
        return True
    stem = Path(check.rel_path).name.removesuffix(".yaml")
    if stem != name:
        check.error(
            "name",
            _line(mapping, "name"),
            f"the file name '{stem}.yaml' differs from name '{name}': rename the file to {expected} "
            "(or change name)",
        )
        return False
    check.warn(
        "name",
        _line(mapping, "name"),
        f"a {kind} named '{name}' belongs in {expected}: loaded from where it is",
    )
    return True


def _not_a_mapping(check: _FileCheck, data: object, kind: str) -> bool:
    if data is None:
        required = PROJECT_REQUIRED if kind == "project" else COLLECTION_REQUIRED
        check.error("(file)", None, f"the file is empty: a {kind} file needs at least {', '.join(required)}")
        return True
    if not isinstance(data, dict):
        check.error(
            "(file)", 1, f"must be a YAML mapping of keys (version, name, ...), not {_describe(data)}"
        )
        return True
    return False


def _check_project(
    check: _FileCheck, data: object, networks: frozenset[str], tags: frozenset[str]
) -> _ProjectDraft | None:
    if _not_a_mapping(check, data, "project"):
        return None
    assert isinstance(data, _Map)
    errors_before = check.errors
    _check_keys(check, data, "", PROJECT_KEYS, PROJECT_REQUIRED)
    _version(check, data)
    name = _name(check, data, "project")
    if name is not None:
        _check_location(check, data, name, _project_path(name), "project")
    display_name = _text(check, data, "display_name", required=True)
    description = _text(check, data, "description")
    websites = _check_websites(check, data)
    social = _check_social(check, data)
    github = _check_github(check, data)
    url_artifacts = _check_url_artifacts(check, data)
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
        url_artifacts=tuple(artifact for artifact, _, _ in url_artifacts),
        token_coingecko_api_id=_text(check, data, "token_coingecko_api_id"),
        comments=_text_list(check, data, "comments"),
    )
    usable = name is not None and check.errors == errors_before
    return _ProjectDraft(project, usable, github, url_artifacts, blockchain)


def _check_collection(
    check: _FileCheck, data: object
) -> tuple[Collection, list[tuple[str, str, int | None]], bool] | None:
    """The collection, the (project name, field, line) of each member, and whether the file had no error; None if
    the file is unusable."""
    if _not_a_mapping(check, data, "collection"):
        return None
    assert isinstance(data, _Map)
    errors_before = check.errors
    _check_keys(check, data, "", COLLECTION_KEYS, COLLECTION_REQUIRED)
    _version(check, data)
    name = _name(check, data, "collection")
    if name is not None:
        _check_location(check, data, name, f"collections/{name}.yaml", "collection")
    display_name = _text(check, data, "display_name", required=True)
    description = _text(check, data, "description")
    members: list[tuple[str, str, int | None]] = []
    seen: dict[str, str] = {}
    items = _list(check, data, "projects", "", "project names")
    if items is not None and not items:
        check.warn(
            "projects", _line(data, "projects"), "lists no project: the collection is loaded without members"
        )
    for index, member in enumerate(items or []):
        item_field = f"projects[{index}]"
        if isinstance(member, int | float) and not isinstance(member, bool):
            member = str(member)
        if not isinstance(member, str):
            check.warn(
                item_field,
                _line(items, index),
                f"must be a project name, but YAML read {_describe(member)}: left out",
            )
        elif member in seen:
            check.warn(
                item_field,
                _line(items, index),
                f"project '{member}' is listed twice (also {seen[member]}): kept once",
            )
        else:
            seen[member] = item_field
            members.append((member, item_field, _line(items, index)))
    collection = Collection(
        name=name or "",
        display_name=display_name or "",
        description=description,
        projects=tuple(m for m, _, _ in members),
        source_file=check.rel_path,
        comments=_text_list(check, data, "comments"),
    )
    return collection, members, name is not None and check.errors == errors_before


# --------------------------------------------------------------------------------------------------------------
# Claims across files
# --------------------------------------------------------------------------------------------------------------


class _Claim(NamedTuple):
    """Where a project claims an artifact (a tuple: tens of thousands are made per load)."""

    project: str
    path: str
    field: str
    line: int | None

    def where(self) -> str:
        at = f" (line {self.line})" if self.line else ""
        return f"{self.path}, {self.field}{at}"


def _same_level(what: str, winner: _Claim, loser: _Claim) -> str:
    return (
        f"{what} is also claimed by project '{winner.project}' ({winner.where()}): an artifact belongs to one "
        f"project, and at the same level the project whose name sorts first keeps it, so it is left out of "
        f"'{loser.project}' here; remove it from one of the two files"
    )


def _settle_claims(drafts: list[tuple[_FileCheck, _ProjectDraft]]) -> list[_ProjectDraft]:
    """Settle the artifacts claimed by more than one project (see the module docstring); returns the drafts with
    the losing claims taken out, in the same order. `drafts` must be sorted by project name."""
    repos: dict[str, _Claim] = {}
    orgs: dict[str, _Claim] = {}
    urls: dict[tuple[str, str | None, str], _Claim] = {}
    addresses: dict[tuple[str, str], _Claim] = {}
    kept_github: dict[str, list[tuple[GithubArtifact, str, int | None]]] = {}
    kept_urls: dict[str, list[tuple[UrlArtifact, str, int | None]]] = {}
    kept_chain: dict[str, list[tuple[BlockchainArtifact, str, int | None]]] = {}

    for check, draft in drafts:
        name = draft.project.name
        kept_github[name] = []
        for artifact, field_path, line in draft.github:
            claim = _Claim(name, check.rel_path, field_path, line)
            table = orgs if artifact.repo is None else repos
            other = table.get(artifact.key)
            if other is not None:
                check.warn(
                    field_path, line, _same_level(f"{artifact.kind.lower()} {artifact.key}", other, claim)
                )
                continue
            table[artifact.key] = claim
            kept_github[name].append((artifact, field_path, line))
        kept_urls[name] = []
        for url_artifact, field_path, line in draft.url_artifacts:
            claim = _Claim(name, check.rel_path, field_path, line)
            other = urls.get(url_artifact.key)
            if other is not None:
                label = f"{url_artifact.source.lower()} {_url_artifact_label(url_artifact)}"
                check.warn(field_path, line, _same_level(label, other, claim))
                continue
            urls[url_artifact.key] = claim
            kept_urls[name].append((url_artifact, field_path, line))
        kept_chain[name] = []
        for chain_artifact, field_path, line in draft.blockchain:
            claim = _Claim(name, check.rel_path, field_path, line)
            kept: list[str] = []
            for network in chain_artifact.networks:
                other = addresses.get((chain_artifact.address, network))
                if other is not None:
                    check.warn(
                        field_path,
                        line,
                        _same_level(f"address {chain_artifact.address} on {network}", other, claim),
                    )
                    continue
                addresses[(chain_artifact.address, network)] = claim
                kept.append(network)
            if len(kept) == len(chain_artifact.networks):
                kept_chain[name].append((chain_artifact, field_path, line))
            elif kept:
                kept_chain[name].append(
                    (
                        BlockchainArtifact(
                            chain_artifact.address, tuple(kept), chain_artifact.tags, chain_artifact.name
                        ),
                        field_path,
                        line,
                    )
                )

    # The more specific claim wins: say so where it happens, on the file of the specific claim.
    checks = {draft.project.name: check for check, draft in drafts}
    for key, claim in repos.items():
        org = orgs.get(key.split("/", 1)[0])
        if org is not None and org.project != claim.project:
            checks[claim.project].warn(
                claim.field,
                claim.line,
                f"repo {key} lies inside the org '{key.split('/', 1)[0]}', which project '{org.project}' lists whole "
                f"({org.where()}): the more specific claim wins, so the repo belongs to '{claim.project}' and "
                f"'{org.project}' keeps the org's other repos",
            )
    for (address, network), claim in addresses.items():
        if network == ANY_EVM:
            continue
        broad = addresses.get((address, ANY_EVM))
        if broad is not None and broad.project != claim.project:
            checks[claim.project].warn(
                claim.field,
                claim.line,
                f"address {address} is listed on {ANY_EVM} by project '{broad.project}' ({broad.where()}): the more "
                f"specific claim wins, so on {network} it belongs to '{claim.project}', and to '{broad.project}' "
                "on the other networks",
            )

    settled = []
    for _, draft in drafts:
        name = draft.project.name
        project = draft.project
        if (
            len(kept_github[name]) == len(draft.github)
            and len(kept_urls[name]) == len(draft.url_artifacts)
            and all(
                kept[0] is entry[0] for kept, entry in zip(kept_chain[name], draft.blockchain, strict=False)
            )
            and len(kept_chain[name]) == len(draft.blockchain)
        ):
            settled.append(draft)  # nothing taken out
            continue
        settled.append(
            _ProjectDraft(
                project=Project(
                    name=project.name,
                    display_name=project.display_name,
                    description=project.description,
                    websites=project.websites,
                    social=project.social,
                    github=tuple(a for a, _, _ in kept_github[name]),
                    blockchain=tuple(a for a, _, _ in kept_chain[name]),
                    source_file=project.source_file,
                    url_artifacts=tuple(a for a, _, _ in kept_urls[name]),
                    token_coingecko_api_id=project.token_coingecko_api_id,
                    comments=project.comments,
                ),
                usable=draft.usable,
                github=kept_github[name],
                url_artifacts=kept_urls[name],
                blockchain=kept_chain[name],
            )
        )
    return settled


def _check_unique_names(items: list[tuple[_FileCheck, str]], kind: str) -> set[str]:
    """Every file reusing a name already used by an earlier file is an error; returns the repeated names."""
    first: dict[str, str] = {}
    repeated: set[str] = set()
    for check, name in items:
        if name in first:
            check.error(
                "name", None, f"{kind} name '{name}' is already used by {first[name]}: rename one of them"
            )
            repeated.add(name)
        else:
            first[name] = check.rel_path
    return repeated


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
            raise ConfigError(f"{path} has no '{column}' column: its header must start with '{column},'")
        values = [(row.get(column) or "").strip() for row in reader]
    if not values or not all(values):
        raise ConfigError(f"{path} has an empty '{column}' value or no rows: fill in every row")
    return frozenset(values)


def load_seeds(seeds_dir: Path) -> tuple[frozenset[str], frozenset[str]]:
    """The known (networks, tags) from the dbt seeds."""
    return _read_seed(seeds_dir / NETWORKS_SEED, "network"), _read_seed(seeds_dir / TAGS_SEED, "tag")


def _read_yaml(path: Path, check: _FileCheck) -> tuple[bool, object]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        check.error("(file)", None, "is not UTF-8 text: save it as UTF-8")
        return False, None
    except OSError as exc:
        check.error("(file)", None, f"cannot be read ({exc.strerror}): check its permissions")
        return False, None
    try:
        return True, _load_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        column = f" (column {mark.column + 1})" if mark else ""
        check.error(
            "(yaml)", mark.line + 1 if mark else None, f"YAML syntax error: {what}{column}: fix the YAML"
        )
    except yaml.YAMLError as exc:
        check.error("(yaml)", None, f"YAML error: {exc}: fix the YAML")
    return False, None


def _registry_files(
    root: Path, registry_dir: Path, problems: list[RegistryProblem]
) -> list[tuple[Path, str]]:
    """The .yaml files under `root`, as (path, path relative to the registry), sorted; any other file (a
    README.md, a .yml) is a warning and ignored. Hidden files and folders are skipped."""
    files: list[tuple[Path, str]] = []
    if not root.is_dir():
        return files
    base = len(str(registry_dir)) + 1
    for folder, subfolders, names in _walk(root):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = folder / name
            rel = str(path)[base:].replace("\\", "/")
            if name.endswith(".yaml"):
                files.append((path, rel))
            else:
                hint = " (registry files end in .yaml)" if name.endswith(".yml") else ""
                problems.append(
                    RegistryProblem(
                        rel, "(file)", f"is not a registry file{hint}: ignored", line=None, severity=WARNING
                    )
                )
    files.sort(key=lambda item: item[1])
    return files


def _walk(root: Path) -> Iterator[tuple[Path, list[str], list[str]]]:
    import os

    for folder, subfolders, names in os.walk(root):
        yield Path(folder), subfolders, names


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause the cycle collector while hundreds of thousands of small, acyclic containers are made: it would only
    walk them over and over (a quarter of the time of a whole check)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def check_registry(registry_dir: Path, seeds_dir: Path) -> tuple[Registry, list[RegistryProblem]]:
    """Read and check the whole registry in one pass. Returns the registry (what a load writes: the warnings'
    actions applied, files with errors left out) and every problem, errors and warnings (`.severity`), sorted
    by file. The registry may be loaded only if no problem is an error."""
    registry_dir = Path(registry_dir)
    if not registry_dir.is_dir():
        raise ConfigError(
            f"the registry directory {registry_dir} does not exist: pass --registry-dir or set IMPACT_REGISTRY_DIR"
        )
    if not (registry_dir / "projects").is_dir():
        raise ConfigError(
            f"{registry_dir} has no projects/ folder: point the registry directory at an oss-directory-shaped "
            "registry (projects/<letter>/<name>.yaml, collections/<name>.yaml); for a clone of oss-directory "
            "that is its data/ folder"
        )
    networks, tags = load_seeds(Path(seeds_dir))
    with _no_cycle_collection():
        return _check_registry(registry_dir, networks, tags)


def _check_registry(
    registry_dir: Path, networks: frozenset[str], tags: frozenset[str]
) -> tuple[Registry, list[RegistryProblem]]:
    problems: list[RegistryProblem] = []

    drafts: list[tuple[_FileCheck, _ProjectDraft]] = []
    named_stems: set[str] = (
        set()
    )  # file names of project files, usable or not: a member naming one is not "missing"
    for path, rel in _registry_files(registry_dir / "projects", registry_dir, problems):
        check = _FileCheck(rel, problems)
        named_stems.add(path.name[: -len(".yaml")])
        ok, data = _read_yaml(path, check)
        draft = _check_project(check, data, networks, tags) if ok else None
        if draft is not None and draft.project.name:
            drafts.append((check, draft))

    repeated = _check_unique_names([(check, draft.project.name) for check, draft in drafts], "project")
    usable = sorted(
        ((check, draft) for check, draft in drafts if draft.usable and draft.project.name not in repeated),
        key=lambda item: item[1].project.name,
    )
    settled = _settle_claims(usable)
    project_names = {draft.project.name for _, draft in drafts}

    collections: list[Collection] = []
    collection_names: list[tuple[_FileCheck, str]] = []
    for path, rel in _registry_files(registry_dir / "collections", registry_dir, problems):
        check = _FileCheck(rel, problems)
        ok, data = _read_yaml(path, check)
        result = _check_collection(check, data) if ok else None
        if result is None:
            continue
        collection, members, collection_ok = result
        if collection.name:
            collection_names.append((check, collection.name))
        for member, item_field, line in members:
            if member not in project_names and member not in named_stems:
                check.error(
                    item_field,
                    line,
                    f"project '{member}' does not exist (no {_project_path(member)}): add the project or remove "
                    "it from this collection",
                )
                collection_ok = False
        if collection_ok:
            collections.append(collection)
    repeated_collections = _check_unique_names(collection_names, "collection")
    problems.sort(key=lambda problem: problem.path)  # stable: per file, in the order the checks found them

    registry = Registry(
        projects=tuple(draft.project for draft in settled),
        collections=tuple(
            sorted(
                (c for c in collections if c.name not in repeated_collections),
                key=lambda c: (c.name, c.source_file),
            )
        ),
        warnings=tuple(p for p in problems if p.severity == WARNING),
    )
    return registry, problems


def load_registry(registry_dir: Path, seeds_dir: Path, *, strict: bool = False) -> Registry:
    """Load and check the registry: the Registry, its warnings in `.warnings`.

    Raises ConfigError if the directory (or a seed) is missing, RegistryError listing every problem found when
    any is an error (or, with `strict`, when there is any problem at all).
    """
    registry, problems = check_registry(registry_dir, seeds_dir)
    if any(p.severity == ERROR for p in problems) or (strict and problems):
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
        ("token_coingecko_api_id", pa.string()),
        ("comments", pa.list_(pa.string())),
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
        ("comments", pa.list_(pa.string())),
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
    """The rows of the three raw registry tables, as Arrow tables keyed by table name (no schema prefix).

    Built column by column: a registry the size of oss-directory has some 90,000 rows."""
    with _no_cycle_collection():
        return _registry_tables(registry, loaded_at)


def _registry_tables(registry: Registry, loaded_at: datetime) -> dict[str, pa.Table]:
    projects: dict[str, list[Any]] = {name: [] for name in PROJECTS_SCHEMA.names}
    for p in registry.projects:
        projects["project_name"].append(p.name)
        projects["display_name"].append(p.display_name)
        projects["description"].append(p.description)
        projects["websites"].append(list(p.websites))
        projects["social"].append(social_json(p.social))
        projects["token_coingecko_api_id"].append(p.token_coingecko_api_id)
        projects["comments"].append(list(p.comments))
        projects["_source_file"].append(p.source_file)
    projects["_loaded_at"] = [loaded_at] * len(registry.projects)

    collections: dict[str, list[Any]] = {name: [] for name in COLLECTIONS_SCHEMA.names}
    for c in registry.collections:
        for member in c.projects or (None,):  # a collection without members: one row, project_name NULL
            collections["collection_name"].append(c.name)
            collections["display_name"].append(c.display_name)
            collections["description"].append(c.description)
            collections["project_name"].append(member)
            collections["comments"].append(list(c.comments))
            collections["_source_file"].append(c.source_file)
    collections["_loaded_at"] = [loaded_at] * len(collections["collection_name"])

    artifacts: dict[str, list[Any]] = {name: [] for name in ARTIFACTS_SCHEMA.names}
    project_col, source, kind = (
        artifacts["project_name"],
        artifacts["artifact_source"],
        artifacts["artifact_kind"],
    )
    namespace, name_col, url = (
        artifacts["artifact_namespace"],
        artifacts["artifact_name"],
        artifacts["artifact_url"],
    )
    network_col, tags, label = artifacts["network"], artifacts["tags"], artifacts["address_label"]
    source_file = artifacts["_source_file"]
    for p in registry.projects:
        for g in p.github:
            project_col.append(p.name)
            source.append("GITHUB")
            kind.append(g.kind)
            namespace.append(g.owner)
            name_col.append(g.repo)
            url.append(g.url)
            network_col.append(None)
            tags.append(None)
            label.append(None)
            source_file.append(p.source_file)
        for u in p.url_artifacts:
            project_col.append(p.name)
            source.append(u.source)
            kind.append(u.kind)
            namespace.append(u.namespace)
            name_col.append(u.name)
            url.append(u.url)
            network_col.append(None)
            tags.append(None)
            label.append(None)
            source_file.append(p.source_file)
        for b in p.blockchain:
            for network in b.networks:
                project_col.append(p.name)
                source.append("BLOCKCHAIN")
                kind.append("ADDRESS")
                namespace.append(network)
                name_col.append(b.address)
                url.append(None)
                network_col.append(network)
                tags.append(list(b.tags))
                label.append(b.name)
                source_file.append(p.source_file)
    artifacts["_loaded_at"] = [loaded_at] * len(project_col)
    return {
        "registry_projects": pa.Table.from_pydict(projects, schema=PROJECTS_SCHEMA),
        "registry_collections": pa.Table.from_pydict(collections, schema=COLLECTIONS_SCHEMA),
        "registry_artifacts": pa.Table.from_pydict(artifacts, schema=ARTIFACTS_SCHEMA),
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

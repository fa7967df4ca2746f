"""Deterministic, format-faithful GH Archive hours: for the demo, the tests and the filter benchmark.

The demo must run with no network and no download, so its sample is generated, in exactly the layout
gharchive.org publishes: one file per hour named ``YYYY-MM-DD-H.json.gz`` (hour not zero-padded), gzip,
one JSON event per line, keys in GH Archive's order::

    id (string), type, actor {id, login, display_login, gravatar_id, url, avatar_url},
    repo {id, name, url}, payload {...}, public, created_at ("YYYY-MM-DDTHH:MM:SSZ"),
    org {id, login, gravatar_id, url, avatar_url}      <- only when the repo belongs to an organisation

Payload shapes are copied from real events (octocrab's Events API fixtures and two GH Archive PushEvents; their
sources are in tests/fixtures/gharchive/README.md):

* before 2025-10-07 (by ``created_at``): PushEvent has ``size``, ``distinct_size`` and ``commits[]`` (at most 20,
  ``size`` counts them all); PullRequestEvent carries the full pull request (``merged``, ``merged_at``,
  ``created_at``, ``user``, head/base with full repository objects ...).
* from 2025-10-07: PushEvent keeps only ``repository_id, push_id, ref, head, before``; PullRequestEvent's
  ``pull_request`` is trimmed to ``url, id, number, head, base`` (head/base: ``ref, sha, repo{id, url, name}``),
  so whether a closed pull request was merged cannot be told. PullRequestReviewCommentEvent's ``pull_request`` is
  trimmed the same way (GitHub's 2025-08-08 changelog announced it for the pull-request events; no real sample of
  it was at hand, so this one is an assumption). Event ids restart lower after the change, as in the real
  2025-12-15 sample (ids are unique, not monotonic across the change).

What the data holds, so that every rule of the pipeline has something to bite on:

* tracked repos (``tracked_repos``) with stable ids (a hash of the lower-cased name, independent of the seed);
  a few events spell the name with another case (``ethereum-optimism/Optimism``);
* stable developers (a few hundred logins) grouped by repo owner, about one in eight also active in the owner group
  next to theirs (so in two projects of one collection when the registry groups neighbours); noreply emails
  (``12345+login@users.noreply.github.com``) and plain ones, some people with both; bots (``dependabot[bot]``,
  ``github-actions[bot]``, ``renovate[bot]``) that push, open pull requests and publish releases;
* pull requests opened, pushed to, reviewed and later closed or merged (often in a later hour or day, some opened
  before the first generated day); a merge pushes the pull request's commits again to the default branch, and
  some branches are pushed twice: the same sha appears in two PushEvents of one repo (``distinct: false``);
* untracked "noise" repos for most lines: random users' and organisations' repos, forks of the tracked repos
  (``someone/optimism``) and untracked repos of the tracked owners (``ethereum-optimism/docs``); a few lines in
  each file are late arrivals whose ``created_at`` lies before the file's hour (before the file's day at hour 0).

Same arguments, same bytes: one seeded ``random.Random`` drives everything in hour order, ids come from SHA-256,
and gzip is written with mtime 0 and no file name in its header.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import os
import random
from collections import deque
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import orjson

from ingestion.errors import ConfigError

SAMPLE_REPOS: tuple[str, ...] = (
    "ethereum-optimism/optimism",
    "ethereum-optimism/op-geth",
    "ethereum-optimism/specs",
    "velodrome-finance/contracts",
    "velodrome-finance/sugar",
    "Uniswap/v3-core",
    "Uniswap/v4-core",
    "Synthetixio/synthetix",
    "Synthetixio/synthetix-v3",
    "ethers-io/ethers.js",
    "wevm/viem",
    "foundry-rs/foundry",
    "NomicFoundation/hardhat",
    "gitcoinco/grants-stack",
    "safe-global/safe-smart-account",
    "aave/aave-v3-core",
    "aave-dao/aave-v3-origin",
)
"""The sample registry's GitHub repos, with their real owner/name spelling."""

DRIFT_DAY = date(2025, 10, 7)
"""From this day (by ``created_at``) GH Archive's PushEvent has no commits and PullRequestEvent no merge fields."""

DEMO_START = date(2025, 10, 5)
DEMO_END = date(2025, 10, 8)
DEMO_MISSING_HOUR = datetime(2025, 10, 6, 13)
"""The demo leaves this hour out, so that the run reports a missing hour."""
DEMO_SEED = 7
DEMO_TRACKED_EVENTS_PER_HOUR = 30
DEMO_NOISE_EVENTS_PER_HOUR = 120

ZERO_SHA = "0" * 40
_API = "https://api.github.com"
_WEB = "https://github.com"
_AVATARS = "https://avatars.githubusercontent.com"

# Event mixes (relative weights). Tracked repos are active projects: more pull request and review traffic than
# the GitHub-wide mix, where pushes and branch creation dominate.
_TRACKED_MIX: tuple[tuple[str, float], ...] = (
    ("PushEvent", 36),
    ("PullRequestEvent", 15),
    ("IssueCommentEvent", 14),
    ("PullRequestReviewCommentEvent", 8),
    ("IssuesEvent", 6),
    ("WatchEvent", 6),
    ("CreateEvent", 5),
    ("DeleteEvent", 4),
    ("ForkEvent", 2.5),
    ("ReleaseEvent", 1),
    ("CommitCommentEvent", 0.5),
    ("GollumEvent", 0.3),
)
_NOISE_MIX: tuple[tuple[str, float], ...] = (
    ("PushEvent", 50),
    ("CreateEvent", 14),
    ("PullRequestEvent", 7),
    ("WatchEvent", 7),
    ("IssueCommentEvent", 5),
    ("DeleteEvent", 4),
    ("IssuesEvent", 2.5),
    ("PullRequestReviewCommentEvent", 2),
    ("ForkEvent", 2),
    ("ReleaseEvent", 1),
    ("GollumEvent", 0.5),
    ("MemberEvent", 0.4),
    ("CommitCommentEvent", 0.3),
)

# Activity by hour of day (UTC), normalised below to average 1: quiet at night in the Americas and Europe.
_DIURNAL_RAW = (
    0.60, 0.55, 0.55, 0.60, 0.70, 0.80, 0.90, 1.00, 1.10, 1.15, 1.20, 1.25,
    1.30, 1.35, 1.40, 1.40, 1.35, 1.30, 1.20, 1.10, 1.00, 0.90, 0.75, 0.65,
)  # fmt: skip
_DIURNAL = tuple(v * 24 / sum(_DIURNAL_RAW) for v in _DIURNAL_RAW)
_NOISE_DIURNAL = tuple(0.7 + 0.3 * v for v in _DIURNAL)  # GitHub-wide traffic is flatter
_TRACKED_WEEKEND = 0.55

# Known activity of the sample repos (relative); other tracked repos get 1.
_REPO_ACTIVITY = {
    "ethereum-optimism/optimism": 5.0,
    "ethereum-optimism/op-geth": 1.2,
    "ethereum-optimism/specs": 1.0,
    "velodrome-finance/contracts": 0.8,
    "velodrome-finance/sugar": 0.6,
    "uniswap/v3-core": 0.5,
    "uniswap/v4-core": 1.5,
    "synthetixio/synthetix": 0.6,
    "synthetixio/synthetix-v3": 1.6,
    "ethers-io/ethers.js": 1.4,
    "wevm/viem": 3.0,
    "foundry-rs/foundry": 4.0,
    "nomicfoundation/hardhat": 2.5,
    "gitcoinco/grants-stack": 1.0,
    "safe-global/safe-smart-account": 0.8,
    "aave/aave-v3-core": 0.6,
    "aave-dao/aave-v3-origin": 1.2,
}

# (login, id, app id) of real bot accounts.
_BOTS = (
    ("dependabot[bot]", 49699333, 29110),
    ("github-actions[bot]", 41898282, 15368),
    ("renovate[bot]", 29139614, 2740),
)

_FIRST = (
    "ada", "bruno", "chen", "dara", "emeka", "farah", "goran", "hana", "ivo", "jun", "kofi", "lena", "mateo",
    "nadia", "omar", "priya", "quinn", "rafa", "sven", "tara", "umar", "vera", "wei", "ximena", "yara", "zane",
    "aiko", "bilal", "carmen", "dmitri", "elif", "felix", "greta", "hugo", "ines", "jonas", "kira", "luca",
    "maya", "nils",
)  # fmt: skip
_LAST = (
    "okafor", "lindqvist", "tanaka", "moreau", "kowalski", "haddad", "rossi", "nguyen", "schmidt", "alvarez",
    "ibrahim", "novak", "petrov", "silva", "costa", "fischer", "yilmaz", "kim", "sato", "dubois", "mendes",
    "larsen", "kaur", "ortega", "weber", "horvat", "abara", "brennan", "cruz", "duarte", "eriksen", "ferrari",
    "gupta", "holm", "iyer", "jansen", "keller", "lopez", "marino", "nakamura",
)  # fmt: skip
_ADJ = (
    "amber", "bold", "brisk", "calm", "clever", "cosmic", "crisp", "dusty", "eager", "fancy", "fuzzy", "gentle",
    "golden", "happy", "hidden", "icy", "jolly", "keen", "lazy", "lucky", "mellow", "misty", "noble", "odd",
    "pale", "proud", "quick", "quiet", "rapid", "rusty", "shy", "silent", "silver", "sleepy", "snowy", "solar",
    "steady", "sunny", "swift", "tidy", "tiny", "urban", "vivid", "wild", "windy", "wise", "young", "zesty",
    "azure", "bright", "coral", "dark", "early", "fresh", "grand", "humble", "inner", "jade", "kind", "lunar",
    "magic", "neon", "olive", "prime",
)  # fmt: skip
_NOUN = (
    "otter", "falcon", "maple", "river", "comet", "pixel", "badger", "cactus", "dragon", "ember", "fjord", "gecko",
    "harbor", "igloo", "jaguar", "koala", "lantern", "meadow", "nebula", "orchid", "panda", "quartz", "raven",
    "salmon", "tiger", "tundra", "violet", "walrus", "yak", "zebra", "acorn", "bison", "canyon", "delta", "echo",
    "forest", "glacier", "heron", "island", "jungle", "kernel", "lagoon", "mango", "nectar", "ocean", "pepper",
    "quill", "reef", "sparrow", "thistle", "umbra", "valley", "willow", "xenon", "yarrow", "zephyr", "anchor",
    "beacon", "cobalt", "dune", "ferret", "grove", "hazel", "iris",
)  # fmt: skip
_REPO_WORDS = (
    "api", "app", "bot", "cli", "core", "dashboard", "docs", "dotfiles", "engine", "game", "homework", "infra",
    "kit", "lab", "lib", "notes", "parser", "playground", "portfolio", "scraper", "sdk", "server", "site",
    "starter", "tools", "tracker", "ui", "utils", "web", "worker", "website", "backend", "frontend", "config",
    "scripts", "blog", "demo", "plugin", "service", "template",
)  # fmt: skip
_ORG_SUFFIX = ("labs", "dev", "io", "hq", "org", "team", "studio", "tech")
_LANGUAGES = (
    "Python",
    "TypeScript",
    "JavaScript",
    "Go",
    "Rust",
    "Java",
    "C++",
    "Shell",
    "HTML",
    "Solidity",
    None,
)
_EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")

_CC_PREFIX = ("fix", "feat", "chore", "docs", "test", "refactor", "perf", "ci", "build")
_VERBS = (
    "fix",
    "add",
    "remove",
    "update",
    "refactor",
    "improve",
    "support",
    "handle",
    "rename",
    "document",
    "test",
)
_TOPICS = (
    "gas estimation", "fault proofs", "batch submitter", "sequencer drift", "deposit flow", "output oracle",
    "fee vault", "swap router", "tick math", "oracle update", "ABI coder", "provider reconnect", "RPC retries",
    "fuzz tests", "cheatcodes", "fork mode", "gas snapshots", "solc version", "CI cache", "README", "lint config",
    "typos", "error messages", "withdrawals", "receipt parsing", "EIP-1559 fees", "ENS resolution", "multicall",
    "nonce manager", "reward distribution", "voting escrow", "gauges", "safe modules", "signature checks",
    "flash loans", "interest rate model", "hooks", "deploy scripts", "event decoding", "chain config",
)  # fmt: skip
_SCOPES = ("contracts", "node", "sdk", "ci", "docs", "deps", "core", "cli", "test")
_PACKAGES = (
    ("npm_and_yarn", "typescript"), ("npm_and_yarn", "eslint"), ("npm_and_yarn", "prettier"),
    ("npm_and_yarn", "@types/node"), ("npm_and_yarn", "vitest"), ("github_actions", "actions/checkout"),
    ("github_actions", "actions/setup-node"), ("go_modules", "golang.org/x/crypto"), ("cargo", "serde"),
    ("cargo", "tokio"), ("cargo", "clap"), ("pip", "requests"),
)  # fmt: skip
_PATHS = (
    "src/index.ts", "src/main.rs", "op-node/rollup/derive/pipeline.go", "contracts/Pool.sol", "README.md",
    "packages/core/src/client.ts", "crates/forge/src/cmd/test.rs", "test/Router.t.sol", "docs/guide.md",
    "core/state/statedb.go", "scripts/deploy.ts", ".github/workflows/ci.yml",
)  # fmt: skip
_SENTENCES = (
    "This changes the default so that the common case needs no flag.",
    "The previous behaviour silently dropped the last item when the list was full.",
    "Adds tests for the edge cases reported in the linked issue.",
    "No functional change intended; this only moves code around.",
    "Reproduced locally on the latest release, see the logs below.",
    "The gas cost goes down by about 2% in the benchmarks.",
    "Happy to split this into smaller PRs if that is easier to review.",
    "Steps to reproduce: run the command twice with the same arguments.",
    "This is a follow-up to the discussion in the last community call.",
    "The docs still mention the old option name.",
)  # fmt: skip
_REVIEW_COMMENTS = (
    "nit: can we rename this?",
    "Should this be `>=`?",
    "Could you add a test for the empty case?",
    "LGTM once CI is green.",
    "Why is this needed here?",
    "This allocates on every call; maybe hoist it out of the loop.",
    "Let's keep the old name as an alias for one release.",
)  # fmt: skip


def hour_file_name(day: date, hour: int) -> str:
    """GH Archive's file name of one hour: ``2025-10-06-13.json.gz``, ``2025-10-06-0.json.gz``."""
    return f"{day.isoformat()}-{hour}.json.gz"


@dataclass(frozen=True)
class HourFile:
    """One written hour file and what is in it."""

    path: Path
    day: date
    hour: int
    events: int
    tracked_events: int
    uncompressed_bytes: int
    compressed_bytes: int


# --------------------------------------------------------------------------------------------------------------
# Stable ids and small helpers


def _stable_int(text: str, lo: int, hi: int) -> int:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return lo + int.from_bytes(digest[:8], "big") % (hi - lo)


def _node_id(kind: str, number: int) -> str:
    """GitHub's classic global node id: base64 of ``0<len(kind)>:<kind><id>`` (``MDQ6VXNlcjE=`` = ``04:User1``)."""
    return base64.b64encode(f"0{len(kind)}:{kind}{number}".encode()).decode()


class _IdSpace:
    """Hands out stable ids (SHA-256 of a key) that never collide within one space."""

    def __init__(self) -> None:
        self._used: set[int] = set()

    def reserve(self, value: int) -> int:
        self._used.add(value)
        return value

    def claim(self, key: str, lo: int, hi: int) -> int:
        value = _stable_int(key, lo, hi)
        while value in self._used:
            value += 1
        self._used.add(value)
        return value


def _spread(index: int, seed: int, size: int) -> int:
    """A seed-dependent permutation of 0..size-1 (a prime multiplier is coprime with any size below it)."""
    return (index * 2_654_435_761 + seed * 7_919) % size


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


_MINUTE_SECOND = tuple(f"{s // 60:02d}:{s % 60:02d}Z" for s in range(3600))


# --------------------------------------------------------------------------------------------------------------
# People, repos and their state


class _Person:
    """A GitHub account (user, bot or organisation) with its event ``actor`` object and its API user object."""

    __slots__ = ("id", "login", "name", "emails", "kind", "app_id", "actor", "_api")

    def __init__(self, id_: int, login: str, name: str, emails: tuple[str, ...], kind: str, app_id: int = 0):
        self.id = id_
        self.login = login
        self.name = name
        self.emails = emails
        self.kind = kind  # "User", "Bot" or "Organization"
        self.app_id = app_id
        self.actor = {
            "id": id_,
            "login": login,
            "display_login": login.removesuffix("[bot]"),
            "gravatar_id": "",
            "url": f"{_API}/users/{login}",
            "avatar_url": f"{_AVATARS}/u/{id_}?",
        }
        self._api: dict[str, object] | None = None

    @property
    def is_bot(self) -> bool:
        return self.kind == "Bot"

    def api(self) -> dict[str, object]:
        """The user object of API payloads (pull_request.user, comment.user, repository owner ...)."""
        if self._api is None:
            path = self.login.replace("[", "%5B").replace("]", "%5D")
            users = f"{_API}/users/{path}"
            bot = self.kind == "Bot"
            self._api = {
                "login": self.login,
                "id": self.id,
                "node_id": _node_id(self.kind, self.id),
                "avatar_url": f"{_AVATARS}/in/{self.app_id}?v=4" if bot else f"{_AVATARS}/u/{self.id}?v=4",
                "gravatar_id": "",
                "url": users,
                "html_url": f"{_WEB}/apps/{self.login.removesuffix('[bot]')}"
                if bot
                else f"{_WEB}/{self.login}",
                "followers_url": f"{users}/followers",
                "following_url": f"{users}/following{{/other_user}}",
                "gists_url": f"{users}/gists{{/gist_id}}",
                "starred_url": f"{users}/starred{{/owner}}{{/repo}}",
                "subscriptions_url": f"{users}/subscriptions",
                "organizations_url": f"{users}/orgs",
                "repos_url": f"{users}/repos",
                "events_url": f"{users}/events{{/privacy}}",
                "received_events_url": f"{users}/received_events",
                "type": self.kind,
                "site_admin": False,
            }
        return self._api

    def org_object(self) -> dict[str, object]:
        """The top-level ``org`` object of an event on this organisation's repo."""
        return {
            "id": self.id,
            "login": self.login,
            "gravatar_id": "",
            "url": f"{_API}/orgs/{self.login}",
            "avatar_url": f"{_AVATARS}/u/{self.id}?",
        }


@dataclass(frozen=True)
class _Commit:
    sha: str
    name: str
    email: str
    message: str


@dataclass
class _Branch:
    name: str
    author: _Person
    commits: list[_Commit]


@dataclass
class _PullRequest:
    number: int
    id: int
    title: str
    body: str
    author: _Person
    head_ref: str
    head_sha: str
    base_ref: str
    base_sha: str
    created_at: str
    commits: list[_Commit]
    additions: int
    deletions: int
    changed_files: int
    draft: bool = False
    state: str = "open"
    closed_at: str | None = None
    merged_at: str | None = None
    merged_by: _Person | None = None
    merge_commit_sha: str | None = None
    comments: int = 0
    review_comments: int = 0

    @property
    def merged(self) -> bool:
        return self.merged_at is not None


@dataclass
class _Issue:
    number: int
    id: int
    title: str
    body: str
    author: _Person
    created_at: str
    labels: list[dict[str, object]]
    state: str = "open"
    closed_at: str | None = None
    comments: int = 0


@dataclass
class _Repo:
    """One repository and the state the generator keeps for it (open pull requests, branch heads ...)."""

    id: int
    full_name: str
    owner: _Person
    tracked: bool
    default_branch: str
    language: str | None
    description: str | None
    created_at: str
    members: list[_Person]
    member_cum: list[float]
    next_number: int
    heads: dict[str, str] = field(default_factory=dict)
    branches: list[_Branch] = field(default_factory=list)
    open_prs: list[_PullRequest] = field(default_factory=list)
    closed_prs: deque[_PullRequest] = field(default_factory=lambda: deque(maxlen=8))
    open_issues: list[_Issue] = field(default_factory=list)
    closed_issues: deque[_Issue] = field(default_factory=lambda: deque(maxlen=8))
    recent_commits: deque[_Commit] = field(default_factory=lambda: deque(maxlen=16))
    version: tuple[int, int, int] = (1, 0, 0)
    fork: bool = False
    event_repo: dict[str, object] = field(init=False)
    org: dict[str, object] | None = field(init=False)
    _api: dict[str, object] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.event_repo = {"id": self.id, "name": self.full_name, "url": f"{_API}/repos/{self.full_name}"}
        self.org = self.owner.org_object() if self.owner.kind == "Organization" else None

    @property
    def name(self) -> str:
        return self.full_name.split("/", 1)[1]

    def api(self) -> dict[str, object]:
        """The full repository object of API payloads (pull_request.head.repo, forkee ...)."""
        if self._api is not None:
            return self._api
        full = self.full_name
        base = f"{_API}/repos/{full}"
        seed = _stable_int(full, 0, 1 << 30)
        stars = seed % 20000 if self.tracked else seed % 40
        forks = stars // 7
        issues = len(self.open_issues) + len(self.open_prs)
        api: dict[str, object] = {
            "id": self.id,
            "node_id": _node_id("Repository", self.id),
            "name": self.name,
            "full_name": full,
            "private": False,
            "owner": self.owner.api(),
            "html_url": f"{_WEB}/{full}",
            "description": self.description,
            "fork": self.fork,
            "url": base,
            "forks_url": f"{base}/forks",
            "keys_url": f"{base}/keys{{/key_id}}",
            "collaborators_url": f"{base}/collaborators{{/collaborator}}",
            "teams_url": f"{base}/teams",
            "hooks_url": f"{base}/hooks",
            "issue_events_url": f"{base}/issues/events{{/number}}",
            "events_url": f"{base}/events",
            "assignees_url": f"{base}/assignees{{/user}}",
            "branches_url": f"{base}/branches{{/branch}}",
            "tags_url": f"{base}/tags",
            "blobs_url": f"{base}/git/blobs{{/sha}}",
            "git_tags_url": f"{base}/git/tags{{/sha}}",
            "git_refs_url": f"{base}/git/refs{{/sha}}",
            "trees_url": f"{base}/git/trees{{/sha}}",
            "statuses_url": f"{base}/statuses/{{sha}}",
            "languages_url": f"{base}/languages",
            "stargazers_url": f"{base}/stargazers",
            "contributors_url": f"{base}/contributors",
            "subscribers_url": f"{base}/subscribers",
            "subscription_url": f"{base}/subscription",
            "commits_url": f"{base}/commits{{/sha}}",
            "git_commits_url": f"{base}/git/commits{{/sha}}",
            "comments_url": f"{base}/comments{{/number}}",
            "issue_comment_url": f"{base}/issues/comments{{/number}}",
            "contents_url": f"{base}/contents/{{+path}}",
            "compare_url": f"{base}/compare/{{base}}...{{head}}",
            "merges_url": f"{base}/merges",
            "archive_url": f"{base}/{{archive_format}}{{/ref}}",
            "downloads_url": f"{base}/downloads",
            "issues_url": f"{base}/issues{{/number}}",
            "pulls_url": f"{base}/pulls{{/number}}",
            "milestones_url": f"{base}/milestones{{/number}}",
            "notifications_url": f"{base}/notifications{{?since,all,participating}}",
            "labels_url": f"{base}/labels{{/name}}",
            "releases_url": f"{base}/releases{{/id}}",
            "deployments_url": f"{base}/deployments",
            "created_at": self.created_at,
            "updated_at": self.created_at,
            "pushed_at": self.created_at,
            "git_url": f"git://github.com/{full}.git",
            "ssh_url": f"git@github.com:{full}.git",
            "clone_url": f"{_WEB}/{full}.git",
            "svn_url": f"{_WEB}/{full}",
            "homepage": None,
            "size": seed % 90000,
            "stargazers_count": stars,
            "watchers_count": stars,
            "language": self.language,
            "has_issues": True,
            "has_projects": True,
            "has_downloads": True,
            "has_wiki": not self.tracked,
            "has_pages": False,
            "forks_count": forks,
            "mirror_url": None,
            "archived": False,
            "disabled": False,
            "open_issues_count": issues,
            "license": _MIT if seed % 3 else None,
            "forks": forks,
            "open_issues": issues,
            "watchers": stars,
            "default_branch": self.default_branch,
        }
        if self.tracked:  # cached: tracked repos are few and busy; pool repos are rebuilt (bounded memory)
            self._api = api
        return api


_MIT = {
    "key": "mit",
    "name": "MIT License",
    "spdx_id": "MIT",
    "url": f"{_API}/licenses/mit",
    "node_id": _node_id("License", 13),
}

_Action = Callable[[str, bool], tuple[str, _Person, dict[str, object]]]
"""A follow-up event of a tracked repo, queued by an earlier one: (created_at, post_drift) -> event parts."""


# --------------------------------------------------------------------------------------------------------------
# The world: everything the generator knows, advanced hour by hour


class _World:
    def __init__(self, tracked_repos: Sequence[str], seed: int, start: date, noise_events_per_hour: int):
        self.rng = random.Random(seed)
        self.seed = seed
        self.start = datetime(start.year, start.month, start.day)
        self.user_ids = _IdSpace()
        self.repo_ids = _IdSpace()
        self.logins: set[str] = set()
        self.full_names: set[str] = set()
        self.emails: set[str] = set()
        self.pending: deque[tuple[_Repo, _Action]] = deque()

        self.event_id = 53_400_000_000 + _stable_int(f"event:{seed}", 0, 1_000_000)
        self.event_id_post = 4_680_000_000 + _stable_int(f"event-post:{seed}", 0, 1_000_000)
        self.push_id = 27_720_000_000
        self.pr_id = 2_880_000_000
        self.issue_id = 3_490_000_000
        self.comment_id = 3_370_000_000
        self.review_comment_id = 2_410_000_000
        self.review_id = 3_300_000_000
        self.release_id = 250_000_000

        self.bots = {}
        for login, bot_id, app_id in _BOTS:
            self.user_ids.reserve(bot_id)
            self.logins.add(login)
            self.bots[login] = _Person(
                bot_id, login, login, (f"{bot_id}+{login}@users.noreply.github.com",), "Bot", app_id
            )

        # Pools for noise: users, organisations and repos, created lazily by index (memory stays bounded).
        self.pool_users = max(2_000, min(60_000, noise_events_per_hour * 6))
        self.pool_repos = max(1_000, min(20_000, noise_events_per_hour * 3))
        self.pool_orgs = max(200, self.pool_repos // 10)
        self._users: dict[int, _Person] = {}
        self._orgs: dict[int, _Person] = {}
        self._repos: dict[int, _Repo] = {}
        self.forks: list[_Repo] = []

        self.tracked = self._make_tracked(tracked_repos)
        self.tracked_cum = _cumulative(_REPO_ACTIVITY.get(r.full_name.lower(), 1.0) for r in self.tracked)
        self.neighbours = self._make_neighbours()
        self.tracked_types, self.tracked_type_cum = _mix(_TRACKED_MIX)
        self.noise_types, self.noise_type_cum = _mix(_NOISE_MIX)
        self.handlers: dict[str, Callable[[_Repo, str, bool], tuple[str, _Person, dict[str, object]]]] = {
            "PushEvent": self._push,
            "PullRequestEvent": self._pull_request,
            "IssueCommentEvent": self._issue_comment,
            "PullRequestReviewCommentEvent": self._review_comment,
            "IssuesEvent": self._issues,
            "WatchEvent": self._watch,
            "CreateEvent": self._create,
            "DeleteEvent": self._delete,
            "ForkEvent": self._fork,
            "ReleaseEvent": self._release,
            "CommitCommentEvent": self._commit_comment,
            "GollumEvent": self._gollum,
            "MemberEvent": self._member_event,
        }

    # ---- people -----------------------------------------------------------------------------------------------

    def _developer(self) -> _Person:
        rng = self.rng
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        styles = (
            f"{first}{last}",
            f"{first[0]}{last}",
            f"{first}-{last[:3]}",
            f"{last}{first[0]}",
            f"0x{first}",
            f"{first}{rng.randrange(10, 100)}",
            f"{first}-{last}",
        )
        login = rng.choice(styles)
        while login in self.logins:
            login = f"{login}{rng.randrange(10)}"
        self.logins.add(login)
        user_id = self.user_ids.claim(f"user:{login}", 100_000, 240_000_000)
        noreply = f"{user_id}+{login}@users.noreply.github.com"
        domain = rng.choice(_EMAIL_DOMAINS)
        plain = f"{first}.{last}@{domain}"
        while plain in self.emails:  # namesakes exist; their addresses differ
            plain = f"{first}.{last}{rng.randrange(2, 100)}@{domain}"
        self.emails.add(plain)
        r = rng.random()
        emails = (noreply,) if r < 0.5 else (plain,) if r < 0.85 else (noreply, plain)
        return _Person(user_id, login, f"{first.title()} {last.title()}", emails, "User")

    def user(self, index: int) -> _Person:
        """Pool user number `index` (lower numbers are the more active ones)."""
        person = self._users.get(index)
        if person is None:
            j = _spread(index, self.seed, len(_ADJ) * len(_NOUN) * 1000)
            adj, noun = _ADJ[j % len(_ADJ)], _NOUN[(j // len(_ADJ)) % len(_NOUN)]
            number = j // (len(_ADJ) * len(_NOUN))
            login = f"{adj}-{noun}{number or ''}" if j % 2 else f"{noun}{adj}{number or ''}"
            while login in self.logins:
                login += "x"
            self.logins.add(login)
            user_id = self.user_ids.claim(f"user:{login}", 100_000, 240_000_000)
            email = (
                f"{user_id}+{login}@users.noreply.github.com"
                if j % 3
                else f"{login}@{_EMAIL_DOMAINS[j % len(_EMAIL_DOMAINS)]}"
            )
            person = _Person(user_id, login, f"{adj.title()} {noun.title()}", (email,), "User")
            self._users[index] = person
        return person

    def random_user(self) -> _Person:
        return self.user(int(self.pool_users * self.rng.random() ** 2))

    def org(self, index: int) -> _Person:
        person = self._orgs.get(index)
        if person is None:
            j = _spread(index, self.seed, len(_NOUN) * len(_ORG_SUFFIX) * 100)
            noun, suffix = _NOUN[j % len(_NOUN)], _ORG_SUFFIX[(j // len(_NOUN)) % len(_ORG_SUFFIX)]
            login = f"{noun}-{suffix}{j // (len(_NOUN) * len(_ORG_SUFFIX)) or ''}"
            while login in self.logins:
                login += "x"
            self.logins.add(login)
            org_id = self.user_ids.claim(f"user:{login}", 100_000, 240_000_000)
            person = _Person(org_id, login, login, (), "Organization")
            self._orgs[index] = person
        return person

    # ---- repos ------------------------------------------------------------------------------------------------

    def _new_repo(
        self,
        full_name: str,
        owner: _Person,
        members: list[_Person],
        weights: list[float],
        tracked: bool,
        fork: bool = False,
    ) -> _Repo:
        rng = self.rng
        self.full_names.add(full_name.lower())
        repo_id = self.repo_ids.claim(f"repo:{full_name.lower()}", 20_000_000, 1_100_000_000)
        created = self.start - timedelta(days=rng.randrange(30, 3000), seconds=rng.randrange(86400))
        repo = _Repo(
            id=repo_id,
            full_name=full_name,
            owner=owner,
            tracked=tracked,
            default_branch="main" if rng.random() < 0.75 else ("master" if not tracked else "develop"),
            language=rng.choice(_LANGUAGES),
            description=None if not tracked and rng.random() < 0.3 else rng.choice(_SENTENCES).rstrip("."),
            created_at=_stamp(created),
            members=members,
            member_cum=_cumulative(weights),
            next_number=rng.randrange(300, 15_000) if tracked else rng.randrange(1, 200),
            fork=fork,
        )
        repo.heads[repo.default_branch] = self.sha()
        return repo

    def _make_tracked(self, tracked_repos: Sequence[str]) -> list[_Repo]:
        rng = self.rng
        groups: dict[str, list[str]] = {}
        for full_name in tracked_repos:
            groups.setdefault(full_name.split("/", 1)[0].lower(), []).append(full_name)
        group_names = list(groups)
        group_weight = [sum(_REPO_ACTIVITY.get(n.lower(), 1.0) for n in groups[g]) for g in group_names]
        group_cum = _cumulative(group_weight)

        n_devs = max(60, min(400, 20 * len(tracked_repos)))
        devs = [self._developer() for _ in range(n_devs)]
        devs_of_group: dict[str, list[_Person]] = {g: [] for g in group_names}
        for dev in devs:
            home = rng.choices(range(len(group_names)), cum_weights=group_cum)[0]
            devs_of_group[group_names[home]].append(dev)
            if len(group_names) > 1 and rng.random() < 0.12:  # also active next door
                devs_of_group[group_names[(home + 1) % len(group_names)]].append(dev)

        orgs: dict[str, _Person] = {}
        repos = []
        for full_name in tracked_repos:
            owner_login = full_name.split("/", 1)[0]
            key = owner_login.lower()
            if key not in orgs:
                org_id = self.user_ids.claim(f"user:{key}", 100_000, 240_000_000)
                self.logins.add(owner_login)
                orgs[key] = _Person(org_id, owner_login, owner_login, (), "Organization")
            members = list(devs_of_group[key]) or [devs[0]]
            rng.shuffle(members)
            weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(members))]
            repo = self._new_repo(full_name, orgs[key], members, weights, tracked=True)
            self._seed_history(repo)
            repos.append(repo)
        return repos

    def _seed_history(self, repo: _Repo) -> None:
        """Pull requests and issues opened before the first generated day, closed or merged during it."""
        rng = self.rng
        for _ in range(rng.randrange(3, 9)):
            opened = _stamp(self.start - timedelta(days=rng.randrange(1, 21), seconds=rng.randrange(86400)))
            author = self.member(repo)
            branch = _Branch(
                self.branch_name(author), author, self.new_commits(repo, author, rng.randrange(1, 4))
            )
            repo.heads[branch.name] = branch.commits[-1].sha
            repo.open_prs.append(self.new_pr(repo, branch, opened))
        for _ in range(rng.randrange(3, 11)):
            opened = _stamp(self.start - timedelta(days=rng.randrange(1, 40), seconds=rng.randrange(86400)))
            repo.open_issues.append(self.new_issue(repo, self.member(repo), opened))

    def _make_neighbours(self) -> list[_Repo]:
        """Untracked repos of the tracked owners: kept only when the whole owner (org) is tracked."""
        repos = []
        for tracked in self.tracked:
            owner = tracked.owner
            for name in ("docs", ".github", f"{tracked.name}-legacy"):
                full_name = f"{owner.login}/{name}"
                if full_name.lower() in self.full_names:
                    continue
                repos.append(
                    self._new_repo(full_name, owner, tracked.members, [1.0] * len(tracked.members), False)
                )
        return repos

    def pool_repo(self, index: int) -> _Repo:
        repo = self._repos.get(index)
        if repo is None:
            rng = self.rng
            if rng.random() < 0.6:
                owner = self.user(int(self.pool_users * rng.random() ** 1.5))
                members = [owner]
            else:
                owner = self.org(rng.randrange(self.pool_orgs))
                members = [self.user(rng.randrange(self.pool_users)) for _ in range(rng.randrange(1, 5))]
            word = rng.choice(_REPO_WORDS)
            name = rng.choice((f"{rng.choice(_NOUN)}-{word}", f"{word}", f"{rng.choice(_ADJ)}-{word}"))
            full_name = f"{owner.login}/{name}"
            while full_name.lower() in self.full_names:
                full_name += str(rng.randrange(10))
            repo = self._new_repo(
                full_name, owner, members, [1.0 / (k + 1) for k in range(len(members))], False
            )
            self._repos[index] = repo
        return repo

    def noise_repo(self) -> _Repo:
        rng = self.rng
        r = rng.random()
        if r < 0.03 and self.forks:
            return rng.choice(self.forks)
        if r < 0.045 and self.neighbours:
            return rng.choice(self.neighbours)
        return self.pool_repo(int(self.pool_repos * rng.random() ** 3))

    # ---- small builders ---------------------------------------------------------------------------------------

    def sha(self) -> str:
        return f"{self.rng.getrandbits(160):040x}"

    def member(self, repo: _Repo) -> _Person:
        return self.rng.choices(repo.members, cum_weights=repo.member_cum)[0]

    def other_member(self, repo: _Repo, not_this: _Person) -> _Person:
        for _ in range(4):
            person = self.member(repo)
            if person is not not_this:
                return person
        return not_this

    def outsider(self, repo: _Repo) -> _Person:
        return self.member(repo) if self.rng.random() < 0.1 else self.random_user()

    def branch_name(self, author: _Person) -> str:
        rng = self.rng
        topic = rng.choice(_TOPICS).lower().replace(" ", "-")
        style = rng.randrange(4)
        if style == 0:
            return f"{author.login}/{topic}"
        if style == 1:
            return f"{rng.choice(('feat', 'fix', 'chore'))}/{topic}"
        if style == 2:
            return f"{topic}-{rng.randrange(2, 99)}"
        return f"{author.login.split('-')[0]}/{topic}-v{rng.randrange(2, 5)}"

    def message(self) -> str:
        rng = self.rng
        topic = rng.choice(_TOPICS)
        if rng.random() < 0.6:
            scope = f"({rng.choice(_SCOPES)})" if rng.random() < 0.5 else ""
            return f"{rng.choice(_CC_PREFIX)}{scope}: {rng.choice(_VERBS)} {topic}"
        return f"{rng.choice(_VERBS).title()} {topic}"

    def new_commits(self, repo: _Repo, author: _Person, n: int) -> list[_Commit]:
        rng = self.rng
        commits = []
        for _ in range(n):
            who = author
            if not author.is_bot and len(repo.members) > 1 and rng.random() < 0.08:
                who = self.other_member(repo, author)  # a co-author's commit pushed by someone else
            email = who.emails[0] if len(who.emails) == 1 or rng.random() < 0.7 else who.emails[-1]
            message = self.message()
            if not author.is_bot and rng.random() < 0.15:
                message += f"\n\n{rng.choice(_SENTENCES)}"
            commits.append(_Commit(self.sha(), who.name, email, message))
        repo.recent_commits.extend(commits)
        return commits

    def new_pr(self, repo: _Repo, branch: _Branch, opened: str) -> _PullRequest:
        rng = self.rng
        self.pr_id += rng.randrange(1, 400)
        number = repo.next_number
        repo.next_number += 1
        first = branch.commits[0].message.split("\n", 1)[0]
        return _PullRequest(
            number=number,
            id=self.pr_id,
            title=first,
            body=""
            if branch.author.is_bot
            else f"## Description\n\n{rng.choice(_SENTENCES)}\n\n## Tests\n\n{rng.choice(_SENTENCES)}",
            author=branch.author,
            head_ref=branch.name,
            head_sha=branch.commits[-1].sha,
            base_ref=repo.default_branch,
            base_sha=repo.heads[repo.default_branch],
            created_at=opened,
            commits=list(branch.commits),
            additions=rng.randrange(1, 800),
            deletions=rng.randrange(0, 300),
            changed_files=rng.randrange(1, 30),
            draft=rng.random() < 0.1,
        )

    def new_issue(self, repo: _Repo, author: _Person, opened: str) -> _Issue:
        rng = self.rng
        self.issue_id += rng.randrange(1, 400)
        number = repo.next_number
        repo.next_number += 1
        labels: list[dict[str, object]] = []
        if rng.random() < 0.4:
            label_id = _stable_int(f"label:{repo.full_name}:bug", 1_000_000_000, 9_000_000_000)
            labels.append(
                {
                    "id": label_id,
                    "node_id": _node_id("Label", label_id),
                    "url": f"{_API}/repos/{repo.full_name}/labels/bug",
                    "name": "bug",
                    "color": "d73a4a",
                    "default": True,
                    "description": "Something isn't working",
                }
            )
        title = (
            f"{rng.choice(_VERBS).title()} {rng.choice(_TOPICS)} {rng.choice(('fails', 'is slow', 'docs'))}"
        )
        return _Issue(number, self.issue_id, title, rng.choice(_SENTENCES), author, opened, labels)

    def association(self, repo: _Repo, person: _Person) -> str:
        if person is repo.owner:
            return "OWNER"
        if person in repo.members:
            return "MEMBER" if repo.owner.kind == "Organization" else "COLLABORATOR"
        return "NONE"

    # ---- payload objects (shapes from real events) ---------------------------------------------------------------

    def pr_object(self, repo: _Repo, pr: _PullRequest, ts: str, post: bool, merge_fields: bool) -> dict:
        base = f"{_API}/repos/{repo.full_name}"
        n = pr.number
        if post:
            mini = {"id": repo.id, "url": base, "name": repo.name}
            return {
                "url": f"{base}/pulls/{n}",
                "id": pr.id,
                "number": n,
                "head": {"ref": pr.head_ref, "sha": pr.head_sha, "repo": mini},
                "base": {"ref": pr.base_ref, "sha": pr.base_sha, "repo": mini},
            }
        web = f"{_WEB}/{repo.full_name}"
        repo_api = repo.api()
        owner = repo.owner.api()
        obj: dict[str, object] = {
            "url": f"{base}/pulls/{n}",
            "id": pr.id,
            "node_id": _node_id("PullRequest", pr.id),
            "html_url": f"{web}/pull/{n}",
            "diff_url": f"{web}/pull/{n}.diff",
            "patch_url": f"{web}/pull/{n}.patch",
            "issue_url": f"{base}/issues/{n}",
            "number": n,
            "state": pr.state,
            "locked": False,
            "title": pr.title,
            "user": pr.author.api(),
            "body": pr.body,
            "created_at": pr.created_at,
            "updated_at": ts,
            "closed_at": pr.closed_at,
            "merged_at": pr.merged_at,
            "merge_commit_sha": pr.merge_commit_sha,
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [],
            "requested_teams": [],
            "labels": [],
            "milestone": None,
            "draft": pr.draft,
            "commits_url": f"{base}/pulls/{n}/commits",
            "review_comments_url": f"{base}/pulls/{n}/comments",
            "review_comment_url": f"{base}/pulls/comments{{/number}}",
            "comments_url": f"{base}/issues/{n}/comments",
            "statuses_url": f"{base}/statuses/{pr.head_sha}",
            "head": {
                "label": f"{repo.owner.login}:{pr.head_ref}",
                "ref": pr.head_ref,
                "sha": pr.head_sha,
                "user": owner,
                "repo": repo_api,
            },
            "base": {
                "label": f"{repo.owner.login}:{pr.base_ref}",
                "ref": pr.base_ref,
                "sha": pr.base_sha,
                "user": owner,
                "repo": repo_api,
            },
            "_links": {
                "self": {"href": f"{base}/pulls/{n}"},
                "html": {"href": f"{web}/pull/{n}"},
                "issue": {"href": f"{base}/issues/{n}"},
                "comments": {"href": f"{base}/issues/{n}/comments"},
                "review_comments": {"href": f"{base}/pulls/{n}/comments"},
                "review_comment": {"href": f"{base}/pulls/comments{{/number}}"},
                "commits": {"href": f"{base}/pulls/{n}/commits"},
                "statuses": {"href": f"{base}/statuses/{pr.head_sha}"},
            },
            "author_association": self.association(repo, pr.author),
            "active_lock_reason": None,
        }
        if merge_fields:
            obj["merged"] = pr.merged
            obj["mergeable"] = None
            obj["rebaseable"] = None
            obj["mergeable_state"] = "unknown"
            obj["merged_by"] = pr.merged_by.api() if pr.merged_by is not None else None
            obj["comments"] = pr.comments
            obj["review_comments"] = pr.review_comments
            obj["maintainer_can_modify"] = False
            obj["commits"] = len(pr.commits)
            obj["additions"] = pr.additions
            obj["deletions"] = pr.deletions
            obj["changed_files"] = pr.changed_files
        return obj

    def issue_object(self, repo: _Repo, issue: _Issue, ts: str) -> dict[str, object]:
        base = f"{_API}/repos/{repo.full_name}"
        url = f"{base}/issues/{issue.number}"
        return {
            "url": url,
            "repository_url": base,
            "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments",
            "events_url": f"{url}/events",
            "html_url": f"{_WEB}/{repo.full_name}/issues/{issue.number}",
            "id": issue.id,
            "node_id": _node_id("Issue", issue.id),
            "number": issue.number,
            "title": issue.title,
            "user": issue.author.api(),
            "labels": issue.labels,
            "state": issue.state,
            "locked": False,
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "comments": issue.comments,
            "created_at": issue.created_at,
            "updated_at": ts,
            "closed_at": issue.closed_at,
            "author_association": self.association(repo, issue.author),
            "active_lock_reason": None,
            "body": issue.body,
            "performed_via_github_app": None,
        }

    def push_payload(
        self, repo: _Repo, branch: str, before: str, commits: list[_Commit], distinct: list[bool], post: bool
    ) -> dict[str, object]:
        self.push_id += self.rng.randrange(1, 60)
        head = commits[-1].sha
        repo.heads[branch] = head
        if post:
            return {
                "repository_id": repo.id,
                "push_id": self.push_id,
                "ref": f"refs/heads/{branch}",
                "head": head,
                "before": before,
            }
        base = f"{_API}/repos/{repo.full_name}/commits/"
        listed = [
            {
                "sha": c.sha,
                "author": {"email": c.email, "name": c.name},
                "message": c.message,
                "distinct": d,
                "url": base + c.sha,
            }
            for c, d in zip(commits[-20:], distinct[-20:], strict=True)  # GH Archive lists at most 20
        ]
        return {
            "repository_id": repo.id,
            "push_id": self.push_id,
            "size": len(commits),
            "distinct_size": sum(distinct),
            "ref": f"refs/heads/{branch}",
            "head": head,
            "before": before,
            "commits": listed,
        }

    # ---- one handler per event type: (repo, created_at, post_drift) -> (type, actor, payload) ------------------

    def _push(self, repo: _Repo, ts: str, post: bool) -> tuple[str, _Person, dict[str, object]]:
        rng = self.rng
        r = rng.random()
        if repo.open_prs and r < 0.40:  # more commits on an open pull request's branch
            pr = rng.choice(repo.open_prs)
            actor = (
                pr.author if pr.author.is_bot or rng.random() < 0.85 else self.other_member(repo, pr.author)
            )
            commits = self.new_commits(repo, pr.author, rng.randrange(1, 4))
            before, branch = pr.head_sha, pr.head_ref
            pr.commits.extend(commits)
            pr.head_sha = commits[-1].sha
            distinct = [True] * len(commits)
        elif r < (0.55 if repo.tracked else 0.6):  # a new branch
            actor = self.member(repo)
            branch = self.branch_name(actor)
            commits = self.new_commits(repo, actor, rng.randrange(1, 5))
            before = ZERO_SHA
            repo.branches.append(_Branch(branch, actor, commits))
            if len(repo.branches) > 12:
                repo.heads.pop(repo.branches.pop(0).name, None)
            distinct = [True] * len(commits)
        elif r < 0.63 and repo.branches:  # the same commits pushed again, to another branch
            source = rng.choice(repo.branches)
            actor = source.author
            branch = f"{source.name}-{rng.choice(('backup', 'rebase', 'v2', 'wip'))}"
            commits = source.commits
            before = ZERO_SHA
            distinct = [False] * len(commits)
        else:  # straight to the default branch: maintainers and automation
            bot = rng.random() < 0.15
            actor = self.bots["github-actions[bot]"] if bot else self.member(repo)
            branch = repo.default_branch
            x = rng.random()
            n = 1 if x < 0.7 else rng.randrange(2, 6) if x < 0.99 else rng.randrange(21, 61)
            commits = self.new_commits(repo, actor, n)
            before = repo.heads[branch]
            distinct = [True] * n
        return "PushEvent", actor, self.push_payload(repo, branch, before, commits, distinct, post)

    def _merge_push(self, repo: _Repo, pr: _PullRequest, merger: _Person) -> _Action:
        def action(ts: str, post: bool) -> tuple[str, _Person, dict[str, object]]:
            branch = pr.base_ref
            before = repo.heads[branch]
            merge_sha = pr.merge_commit_sha or self.sha()
            if self.rng.random() < 0.5:  # merge commit: the branch's commits arrive again, not distinct
                merge = _Commit(
                    merge_sha,
                    merger.name,
                    merger.emails[0] if merger.emails else "noreply@github.com",
                    f"Merge pull request #{pr.number} from {repo.owner.login}/{pr.head_ref}\n\n{pr.title}",
                )
                commits = [*pr.commits, merge]
                distinct = [False] * len(pr.commits) + [True]
            else:  # squash merge: one new commit
                commits = [
                    _Commit(merge_sha, pr.author.name, pr.author.emails[0], f"{pr.title} (#{pr.number})")
                ]
                distinct = [True]
            repo.recent_commits.extend(commits)
            return "PushEvent", merger, self.push_payload(repo, branch, before, commits, distinct, post)

        return action

    def _pull_request(self, repo: _Repo, ts: str, post: bool) -> tuple[str, _Person, dict[str, object]]:
        rng = self.rng
        r = rng.random()
        if repo.open_prs and r < 0.45:
            pr = repo.open_prs.pop(rng.randrange(len(repo.open_prs)))
            merged = rng.random() < (0.9 if pr.author.is_bot else 0.72)
            actor = self.other_member(repo, pr.author) if merged or rng.random() < 0.5 else pr.author
            pr.state, pr.closed_at = "closed", ts
            if merged:
                pr.merged_at, pr.merged_by, pr.merge_commit_sha = ts, actor, self.sha()
                if repo.tracked and len(self.pending) < 64:
                    if rng.random() < 0.85:
                        self.pending.append((repo, self._merge_push(repo, pr, actor)))
                    if rng.random() < 0.5:
                        self.pending.append((repo, self._delete_branch(pr.head_ref, actor)))
            else:
                pr.merge_commit_sha = self.sha()
            repo.closed_prs.append(pr)
            action = "closed"
        elif repo.closed_prs and r < 0.48 and not repo.closed_prs[-1].merged:
            pr = repo.closed_prs.pop()
            pr.state, pr.closed_at, pr.merge_commit_sha = "open", None, None
            repo.open_prs.append(pr)
            actor, action = pr.author, "reopened"
        else:
            if repo.tracked and rng.random() < 0.12:
                bot = self.bots["dependabot[bot]" if rng.random() < 0.7 else "renovate[bot]"]
                ecosystem, package = rng.choice(_PACKAGES)
                a, b = rng.randrange(1, 9), rng.randrange(0, 30)
                new = f"{a}.{b + 1}.{rng.randrange(0, 9)}"
                message = f"chore(deps): bump {package} from {a}.{b}.0 to {new}"
                sha = self.sha()
                commit = _Commit(sha, bot.login, bot.emails[0], message)
                repo.recent_commits.append(commit)
                branch = _Branch(f"dependabot/{ecosystem}/{package}-{new}", bot, [commit])
            elif repo.branches and rng.random() < 0.7:  # from a branch pushed earlier
                branch = repo.branches.pop(rng.randrange(len(repo.branches)))
            else:
                author = self.member(repo) if repo.tracked or rng.random() < 0.7 else self.random_user()
                branch = _Branch(
                    self.branch_name(author), author, self.new_commits(repo, author, rng.randrange(1, 4))
                )
            repo.heads[branch.name] = branch.commits[-1].sha
            pr = self.new_pr(repo, branch, ts)
            repo.open_prs.append(pr)
            if len(repo.open_prs) > 40:
                repo.open_prs.pop(0)
            actor, action = pr.author, "opened"
        payload = {
            "action": action,
            "number": pr.number,
            "pull_request": self.pr_object(repo, pr, ts, post, True),
        }
        return "PullRequestEvent", actor, payload

    def _review_comment(self, repo: _Repo, ts: str, post: bool) -> tuple[str, _Person, dict[str, object]]:
        rng = self.rng
        if not repo.open_prs:  # a pull request opened before the generated days
            author = self.member(repo) if repo.tracked or rng.random() < 0.7 else self.random_user()
            branch = _Branch(
                self.branch_name(author), author, self.new_commits(repo, author, rng.randrange(1, 4))
            )
            opened = _stamp(self.start - timedelta(days=rng.randrange(1, 30), seconds=rng.randrange(86400)))
            repo.open_prs.append(self.new_pr(repo, branch, opened))
        pr = rng.choice(repo.open_prs)
        actor = (
            pr.author if rng.random() < 0.25 and not pr.author.is_bot else self.other_member(repo, pr.author)
        )
        pr.review_comments += 1
        self.review_comment_id += rng.randrange(1, 300)
        self.review_id += rng.randrange(1, 300)
        cid = self.review_comment_id
        base = f"{_API}/repos/{repo.full_name}"
        html = f"{_WEB}/{repo.full_name}/pull/{pr.number}#discussion_r{cid}"
        line = rng.randrange(1, 400)
        comment = {
            "url": f"{base}/pulls/comments/{cid}",
            "pull_request_review_id": self.review_id,
            "id": cid,
            "node_id": _node_id("PullRequestReviewComment", cid),
            "diff_hunk": f"@@ -{line},6 +{line},7 @@\n {rng.choice(_TOPICS)}\n+{rng.choice(_TOPICS)}",
            "path": rng.choice(_PATHS),
            "position": 4,
            "original_position": 4,
            "commit_id": pr.head_sha,
            "original_commit_id": pr.head_sha,
            "user": actor.api(),
            "body": rng.choice(_REVIEW_COMMENTS),
            "created_at": ts,
            "updated_at": ts,
            "html_url": html,
            "pull_request_url": f"{base}/pulls/{pr.number}",
            "author_association": self.association(repo, actor),
            "_links": {
                "self": {"href": f"{base}/pulls/comments/{cid}"},
                "html": {"href": html},
                "pull_request": {"href": f"{base}/pulls/{pr.number}"},
            },
            "start_line": None,
            "original_start_line": None,
            "start_side": None,
            "line": line + 3,
            "original_line": line + 3,
            "side": "RIGHT",
        }
        payload: dict[str, object] = {
            "action": "created",
            "comment": comment,
            "pull_request": self.pr_object(repo, pr, ts, post, False),
        }
        return "PullRequestReviewCommentEvent", actor, payload

    def _issues(self, repo: _Repo, ts: str, post: bool) -> tuple[str, _Person, dict[str, object]]:
        rng = self.rng
        r = rng.random()
        if repo.open_issues and r < 0.42:
            issue = repo.open_issues.pop(rng.randrange(len(repo.open_issues)))
            actor = self.member(repo) if rng.random() < 0.7 else issue.author
            issue.state, issue.closed_at = "closed", ts
            repo.closed_issues.append(issue)
            action = "closed"
        elif repo.closed_issues and r < 0.45:
            issue = repo.closed_issues.pop()
            issue.state, issue.closed_at = "open", None
            repo.open_issues.append(issue)
            actor, action = issue.author, "reopened"
        else:
            actor = self.member(repo) if rng.random() < 0.55 else self.outsider(repo)
            issue = self.new_issue(repo, actor, ts)
            repo.open_issues.append(issue)
            if len(repo.open_issues) > 40:
                repo.open_issues.pop(0)
            action = "opened"
        return "IssuesEvent", actor, {"action": action, "issue": self.issue_object(repo, issue, ts)}

    def _issue_comment(self, repo: _Repo, ts: str, post: bool) -> tuple[str, _Person, dict[str, object]]:
        rng = self.rng
        if repo.closed_issues and (not repo.open_issues or rng.random() < 0.15):
            issue = rng.choice(repo.closed_issues)
        else:
            if not repo.open_issues:  # an issue opened before the generated days
                opened = _stamp(
                    self.start - timedelta(days=rng.randrange(1, 60), seconds=rng.randrange(86400))
                )
                repo.open_issues.append(self.new_issue(repo, self.outsider(repo), opened))
            issue = rng.choice(repo.open_issues)
        actor = self.member(repo) if rng.random() < 0.6 else self.outsider(repo)
        issue.comments += 1
        self.comment_id += rng.randrange(1, 300)
        cid = self.comment_id
        base = f"{_API}/repos/{repo.full_name}"
        comment = {
            "url": f"{base}/issues/comments/{cid}",
            "html_url": f"{_WEB}/{repo.full_name}/issues/{issue.number}#issuecomment-{cid}",
            "issue_url": f"{base}/issues/{issue.number}",
            "id": cid,
            "node_id": _node_id("IssueComment", cid),
            "user": actor.api(),
            "created_at": ts,
            "updated_at": ts,
            "author_association": self.association(repo, actor),
            "body": rng.choice(_SENTENCES),
            "performed_via_github_app": None,
        }
        payload: dict[str, object] = {
            "action": "created",
            "issue": self.issue_object(repo, issue, ts),
            "comment": comment,
        }
        return "IssueCommentEvent", actor, payload

    def _watch(self, repo: _Repo, ts: str, post: bool) -> tuple[str, _Person, dict[str, object]]:
        return "WatchEvent", self.outsider(repo), {"action": "started"}

    def _fork(self, repo: _Repo, ts: str, post: bool) -> tuple[str, _Person, dict[str, object]]:
        actor = self.random_user()
        full_name = f"{actor.login}/{repo.name}"
        while full_name.lower() in self.full_names:
            full_name += "-1"
        fork = self._new_repo(full_name, actor, [actor], [1.0], tracked=False, fork=True)
        fork.default_branch, fork.description, fork.language = (
            repo.default_branch,
            repo.description,
            repo.language,
        )
        fork.created_at = ts
        fork.heads = {repo.default_branch: repo.heads[repo.default_branch]}
        forkee = dict(fork.api())
        forkee["public"] = True
        if repo.tracked and len(self.forks) < 5_000:  # forks of tracked repos get later noise traffic
            self.forks.append(fork)
        return "ForkEvent", actor, {"forkee": forkee}

    def _create(self, repo: _Repo, ts: str, post: bool) -> tuple[str, _Person, dict[str, object]]:
        rng = self.rng
        actor = self.member(repo)
        r = rng.random()
        if not repo.tracked and r < 0.2:
            ref, ref_type = None, "repository"
        elif r < 0.85:
            ref, ref_type = self.branch_name(actor), "branch"
            repo.heads[ref] = repo.heads[repo.default_branch]
        else:
            ref, ref_type = f"v{rng.randrange(0, 5)}.{rng.randrange(0, 30)}.{rng.randrange(0, 10)}", "tag"
        return "CreateEvent", actor, self.create_payload(repo, ref, ref_type)

    def create_payload(self, repo: _Repo, ref: str | None, ref_type: str) -> dict[str, object]:
        return {
            "ref": ref,
            "ref_type": ref_type,
            "master_branch": repo.default_branch,
            "description": repo.description,
            "pusher_type": "user",
        }

    def _delete_branch(self, ref: str, actor: _Person) -> _Action:
        def action(ts: str, post: bool) -> tuple[str, _Person, dict[str, object]]:
            return "DeleteEvent", actor, {"ref": ref, "ref_type": "branch", "pusher_type": "user"}

        return action

    def _delete(self, repo: _Repo, ts: str, post: bool) -> tuple[str, _Person, dict[str, object]]:
        rng = self.rng
        if repo.branches and rng.random() < 0.7:
            branch = repo.branches.pop(rng.randrange(len(repo.branches)))
            repo.heads.pop(branch.name, None)
            ref, actor = branch.name, branch.author
        else:
            actor = self.member(repo)
            ref = self.branch_name(actor)
        ref_type = "branch" if rng.random() < 0.92 else "tag"
        return "DeleteEvent", actor, {"ref": ref, "ref_type": ref_type, "pusher_type": "user"}

    def _release(self, repo: _Repo, ts: str, post: bool) -> tuple[str, _Person, dict[str, object]]:
        rng = self.rng
        major, minor, patch = repo.version
        repo.version = (major, minor + 1, 0) if rng.random() < 0.3 else (major, minor, patch + 1)
        tag = "v{}.{}.{}".format(*repo.version)
        actor = self.bots["github-actions[bot]"] if rng.random() < 0.4 else self.member(repo)
        if repo.tracked and len(self.pending) < 64:  # the tag first, the release in a later slot
            self.pending.append((repo, self._publish(repo, tag, actor)))
            return "CreateEvent", actor, self.create_payload(repo, tag, "tag")
        return self._publish(repo, tag, actor)(ts, post)

    def _publish(self, repo: _Repo, tag: str, actor: _Person) -> _Action:
        def action(ts: str, post: bool) -> tuple[str, _Person, dict[str, object]]:
            self.release_id += self.rng.randrange(1, 2000)
            rid = self.release_id
            base = f"{_API}/repos/{repo.full_name}"
            body = f"## What's Changed\n* {self.message()}\n* {self.message()}"
            release = {
                "url": f"{base}/releases/{rid}",
                "assets_url": f"{base}/releases/{rid}/assets",
                "upload_url": f"https://uploads.github.com/repos/{repo.full_name}/releases/{rid}/assets{{?name,label}}",
                "html_url": f"{_WEB}/{repo.full_name}/releases/tag/{tag}",
                "id": rid,
                "author": actor.api(),
                "node_id": _node_id("Release", rid),
                "tag_name": tag,
                "target_commitish": repo.default_branch,
                "name": tag,
                "draft": False,
                "prerelease": "-" in tag,
                "created_at": ts,
                "published_at": ts,
                "assets": [],
                "tarball_url": f"{base}/tarball/{tag}",
                "zipball_url": f"{base}/zipball/{tag}",
                "body": body,
                "short_description_html": f"<p>{body.splitlines()[0]}</p>",
                "is_short_description_html_truncated": False,
            }
            return "ReleaseEvent", actor, {"action": "published", "release": release}

        return action

    def _commit_comment(self, repo: _Repo, ts: str, post: bool) -> tuple[str, _Person, dict[str, object]]:
        rng = self.rng
        sha = rng.choice(repo.recent_commits).sha if repo.recent_commits else repo.heads[repo.default_branch]
        actor = self.outsider(repo)
        self.comment_id += rng.randrange(1, 300)
        cid = self.comment_id
        comment = {
            "url": f"{_API}/repos/{repo.full_name}/comments/{cid}",
            "html_url": f"{_WEB}/{repo.full_name}/commit/{sha}#commitcomment-{cid}",
            "id": cid,
            "node_id": _node_id("CommitComment", cid),
            "user": actor.api(),
            "position": None,
            "line": None,
            "path": None,
            "commit_id": sha,
            "created_at": ts,
            "updated_at": ts,
            "author_association": self.association(repo, actor),
            "body": rng.choice(_REVIEW_COMMENTS),
        }
        return "CommitCommentEvent", actor, {"comment": comment}

    def _gollum(self, repo: _Repo, ts: str, post: bool) -> tuple[str, _Person, dict[str, object]]:
        rng = self.rng
        page = rng.choice(("Home", "Roadmap", "FAQ", "Release-Process", "Setup"))
        pages = [
            {
                "page_name": page,
                "title": page.replace("-", " "),
                "summary": None,
                "action": rng.choice(("created", "edited", "edited")),
                "sha": self.sha(),
                "html_url": f"{_WEB}/{repo.full_name}/wiki/{page}",
            }
        ]
        return "GollumEvent", self.member(repo), {"pages": pages}

    def _member_event(self, repo: _Repo, ts: str, post: bool) -> tuple[str, _Person, dict[str, object]]:
        actor = repo.owner if repo.owner.kind == "User" else self.member(repo)
        return "MemberEvent", actor, {"member": self.random_user().api(), "action": "added"}

    # ---- hours ------------------------------------------------------------------------------------------------

    def tracked_event(self, ts: str, post: bool) -> tuple[_Repo, str, _Person, dict[str, object]]:
        rng = self.rng
        if self.pending and rng.random() < 0.6:
            repo, action = self.pending.popleft()
            return (repo, *action(ts, post))
        repo = rng.choices(self.tracked, cum_weights=self.tracked_cum)[0]
        kind = rng.choices(self.tracked_types, cum_weights=self.tracked_type_cum)[0]
        return (repo, *self.handlers[kind](repo, ts, post))

    def noise_event(self, ts: str, post: bool) -> tuple[_Repo, str, _Person, dict[str, object]]:
        repo = self.noise_repo()
        kind = self.rng.choices(self.noise_types, cum_weights=self.noise_type_cum)[0]
        return (repo, *self.handlers[kind](repo, ts, post))

    def hour_lines(
        self, day: date, hour: int, tracked_mean: float, noise_mean: float
    ) -> tuple[list[bytes], int]:
        """The events of one hour file, serialized, in time order; and how many belong to tracked repos."""
        rng = self.rng
        weekend = day.weekday() >= 5
        n_tracked = round(
            tracked_mean * _DIURNAL[hour] * (_TRACKED_WEEKEND if weekend else 1.0) * rng.uniform(0.85, 1.15)
        )
        n_noise = round(noise_mean * _NOISE_DIURNAL[hour])
        start = datetime(day.year, day.month, day.day, hour)
        prefix = start.strftime("%Y-%m-%dT%H:")
        post_hour = day >= DRIFT_DAY
        slots = sorted(
            [rng.randrange(3600) * 2 for _ in range(n_noise)]
            + [rng.randrange(3600) * 2 + 1 for _ in range(n_tracked)]
        )
        lines = []
        for slot in slots:
            second, is_tracked = slot >> 1, slot & 1
            if rng.random() < 0.003:  # a late arrival: created before this file's hour
                moment = start - timedelta(seconds=rng.randrange(1, 90))
                ts, post = _stamp(moment), moment.date() >= DRIFT_DAY
            else:
                ts, post = prefix + _MINUTE_SECOND[second], post_hour
            repo, kind, actor, payload = (
                self.tracked_event(ts, post) if is_tracked else self.noise_event(ts, post)
            )
            if post:
                self.event_id_post += rng.randrange(1, 40)
                event_id = self.event_id_post
            else:
                self.event_id += rng.randrange(1, 40)
                event_id = self.event_id
            event_repo = repo.event_repo
            if repo.tracked and rng.random() < 0.01:
                event_repo = _case_variant(repo)
            event = {
                "id": str(event_id),
                "type": kind,
                "actor": actor.actor,
                "repo": event_repo,
                "payload": payload,
                "public": True,
                "created_at": ts,
            }
            if repo.org is not None:
                event["org"] = repo.org
            lines.append(orjson.dumps(event))
        return lines, n_tracked


def _case_variant(repo: _Repo) -> dict[str, object]:
    """The repo spelt with another case (``ethereum-optimism/Optimism``): same id, other name and url."""
    owner, name = repo.full_name.split("/", 1)
    index = next((i for i, ch in enumerate(name) if ch.isalpha()), None)
    if index is None:
        owner, name = owner.swapcase(), name
    else:
        name = name[:index] + name[index].swapcase() + name[index + 1 :]
    full_name = f"{owner}/{name}"
    return {"id": repo.id, "name": full_name, "url": f"{_API}/repos/{full_name}"}


def _cumulative(weights: Iterable[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _mix(mix: tuple[tuple[str, float], ...]) -> tuple[list[str], list[float]]:
    return [kind for kind, _ in mix], _cumulative(weight for _, weight in mix)


# --------------------------------------------------------------------------------------------------------------
# Public API


def _check(tracked_repos: Sequence[str], start: date, end: date, tracked: int, noise: int) -> None:
    if isinstance(tracked_repos, str):
        raise ConfigError("tracked_repos must be a list of 'owner/repo' names, not one string")
    seen: set[str] = set()
    for name in tracked_repos:
        parts = name.split("/")
        if len(parts) != 2 or not all(parts) or any(ch.isspace() for ch in name):
            raise ConfigError(
                f"tracked repo {name!r} is not 'owner/repo' (e.g. 'ethereum-optimism/optimism')"
            )
        if name.lower() in seen:
            raise ConfigError(f"tracked repo {name!r} is listed twice (names compare case-insensitively)")
        seen.add(name.lower())
    if tracked and not tracked_repos:
        raise ConfigError("tracked_events_per_hour > 0 needs at least one tracked repo; pass tracked_repos")
    if start > end:
        raise ConfigError(f"start {start} is after end {end}: give the first day, then the last day")
    if tracked < 0 or noise < 0:
        raise ConfigError("events per hour cannot be negative")


def _write_gzip(path: Path, data: bytes) -> int:
    """Write `data` gzip-compressed, reproducibly (mtime 0, no file name), atomically (temp file + rename)."""
    compressed = gzip.compress(data, compresslevel=6, mtime=0)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(compressed)
    os.replace(tmp, path)
    return len(compressed)


def generate_hour_files(
    out_dir: Path,
    start: date,
    end: date,
    *,
    tracked_repos: Sequence[str],
    seed: int = 7,
    tracked_events_per_hour: int = 40,
    noise_events_per_hour: int = 400,
    skip_hours: Collection[datetime] = (),
) -> list[HourFile]:
    """Write every hour file of every day in [start, end] and say what each holds.

    `tracked_events_per_hour` is the weekday average (the count follows the hour of day, weekends are quieter);
    `noise_events_per_hour` is the daily average of lines on untracked repos. Hours in `skip_hours` are generated
    (so the other hours do not change) but not written: GH Archive has lost hours like that.
    """
    _check(tracked_repos, start, end, tracked_events_per_hour, noise_events_per_hour)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    skip = {datetime(h.year, h.month, h.day, h.hour) for h in skip_hours}
    world = _World(tracked_repos, seed, start, noise_events_per_hour)
    pending: list[tuple[Path, date, int, int, int, int, Future[int]]] = []
    # zlib releases the GIL: compress and write hour N in a thread while hour N+1 is generated.
    with ThreadPoolExecutor(max_workers=1) as pool:
        day = start
        while day <= end:
            for hour in range(24):
                lines, n_tracked = world.hour_lines(day, hour, tracked_events_per_hour, noise_events_per_hour)
                if datetime(day.year, day.month, day.day, hour) in skip:
                    continue
                data = b"\n".join(lines) + b"\n" if lines else b""
                path = out_dir / hour_file_name(day, hour)
                if len(pending) >= 2:
                    pending[-2][-1].result()  # at most two hours in memory
                pending.append(
                    (path, day, hour, len(lines), n_tracked, len(data), pool.submit(_write_gzip, path, data))
                )
            day += timedelta(days=1)
    return [HourFile(path, d, h, n, t, raw, fut.result()) for path, d, h, n, t, raw, fut in pending]


def generate_hours(
    out_dir: Path,
    start: date,
    end: date,
    *,
    tracked_repos: Sequence[str],
    seed: int = 7,
    tracked_events_per_hour: int = 40,
    noise_events_per_hour: int = 400,
) -> list[Path]:
    """Write every hour file of every day in [start, end]; same arguments, byte-identical files. Returns the paths."""
    files = generate_hour_files(
        out_dir,
        start,
        end,
        tracked_repos=tracked_repos,
        seed=seed,
        tracked_events_per_hour=tracked_events_per_hour,
        noise_events_per_hour=noise_events_per_hour,
    )
    return [f.path for f in files]


def write_demo_sample(out_dir: Path) -> list[Path]:
    """The demo's GH Archive sample: 2025-10-05 .. 2025-10-08 (both sides of the 2025-10-07 change), the sample
    registry's repos, every hour except 2025-10-06-13 (removed if an earlier run left it), a few MB in all."""
    out_dir = Path(out_dir)
    missing = out_dir / hour_file_name(DEMO_MISSING_HOUR.date(), DEMO_MISSING_HOUR.hour)
    missing.unlink(missing_ok=True)
    files = generate_hour_files(
        out_dir,
        DEMO_START,
        DEMO_END,
        tracked_repos=SAMPLE_REPOS,
        seed=DEMO_SEED,
        tracked_events_per_hour=DEMO_TRACKED_EVENTS_PER_HOUR,
        noise_events_per_hour=DEMO_NOISE_EVENTS_PER_HOUR,
        skip_hours=(DEMO_MISSING_HOUR,),
    )
    return [f.path for f in files]

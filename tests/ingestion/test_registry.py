"""The registry loader, validator and raw-table writer (ingestion/registry.py).

Every bad-input test builds a tiny registry in tmp_path and checks that the problem names the file (relative to
the registry directory), the field, and says what to do. Expected numbers are worked out by hand in comments.
"""

from __future__ import annotations

import dataclasses
import json
import textwrap
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from ingestion.errors import ConfigError, IngestError, RegistryError, RegistryProblem
from ingestion.registry import (
    FrozenMap,
    GithubArtifact,
    Registry,
    TrackedGithub,
    check_registry,
    load_registry,
    write_registry,
)
from ingestion.warehouse import connect

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
SAMPLE = ROOT / "registry"


# ---------------------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------------------


def project_yaml(name: str, body: str = "") -> str:
    """A valid minimal project file, plus `body` (YAML, already indented at top level)."""
    return f"version: 7\nname: {name}\ndisplay_name: {name.title()}\n" + textwrap.dedent(body)


def make_registry(root: Path, files: dict[str, str]) -> Path:
    registry = root / "registry"
    (registry / "projects").mkdir(parents=True, exist_ok=True)
    (registry / "collections").mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        path = registry / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return registry


def problems_of(root: Path, files: dict[str, str], seeds: Path = SEEDS) -> list[RegistryProblem]:
    with pytest.raises(RegistryError) as info:
        load_registry(make_registry(root, files), seeds)
    assert info.value.problems, "RegistryError must carry its problems"
    return info.value.problems


def the_problem(problems: list[RegistryProblem], path: str, field: str) -> RegistryProblem:
    found = [p for p in problems if p.path == path and p.field == field]
    assert len(found) == 1, f"expected one problem at {path} {field}, got {found} among {problems}"
    return found[0]


def assert_problem(problems: list[RegistryProblem], path: str, field: str, *fragments: str) -> None:
    message = the_problem(problems, path, field).message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


# ---------------------------------------------------------------------------------------------------------------
# the shipped sample registry
# ---------------------------------------------------------------------------------------------------------------


def test_sample_registry_validates() -> None:
    registry = load_registry(SAMPLE, SEEDS)
    assert [p.name for p in registry.projects] == sorted(
        ["optimism", "velodrome", "uniswap", "synthetix", "ethers", "viem"]
        + ["foundry", "hardhat", "gitcoin", "safe", "aave"]
    )
    members = {c.name: c.projects for c in registry.collections}
    assert members == {
        "op-ecosystem": ("optimism", "velodrome", "uniswap", "synthetix", "aave", "safe"),
        "ethereum-dev-tools": ("ethers", "viem", "foundry", "hardhat"),
        "gitcoin-grants-sample": ("gitcoin", "ethers", "viem", "safe"),
    }
    tracked = registry.tracked_github()
    assert tracked.repos == {
        "uniswap/v3-core",
        "uniswap/v4-core",
        "ethers-io/ethers.js",
        "wevm/viem",
        "foundry-rs/foundry",
        "nomicfoundation/hardhat",
        "aave/aave-v3-core",
        "aave-dao/aave-v3-origin",
    }
    assert tracked.orgs == {
        "ethereum-optimism",
        "velodrome-finance",
        "synthetixio",
        "gitcoinco",
        "safe-global",
    }
    assert tracked.owner_of("ethereum-optimism/optimism") == "optimism"
    assert tracked.owner_of("Synthetixio/synthetix-v3") == "synthetix"
    assert tracked.owner_of("NomicFoundation/hardhat") == "hardhat"
    assert tracked.owner_of("Uniswap/v2-core") is None  # only v3-core and v4-core are tracked, not the org

    op_token = "0x4200000000000000000000000000000000000042"
    swap_router = "0xe592427a0aece92de3edee1f18e0157c05861564"
    assert {op_token, swap_router} <= registry.tracked_addresses("optimism")
    assert swap_router in registry.tracked_addresses("mainnet")
    assert op_token not in registry.tracked_addresses("mainnet")
    everything = [a for p in registry.projects for a in p.blockchain]
    assert all(a.address == a.address.lower() for a in everything)
    assert any({"eoa", "deployer"} <= set(a.tags) for a in everything)


def test_sample_registry_writes_hand_counted_rows(tmp_path: Path) -> None:
    """Artifact rows of the sample, by hand from registry/projects:
    GitHub: optimism 1, velodrome 1, uniswap 2, synthetix 1, safe 1, ethers 1, viem 1, foundry 1, hardhat 1,
    gitcoin 1, aave 2 = 13.
    Blockchain, one row per (address, network): optimism 1+1+1 = 3, velodrome 1+1 = 2,
    uniswap 2 (router) + 2 (factory) + 1 (deployer) = 5, synthetix 1+1 = 2, safe 2 (factory) + 1 + 1 = 4,
    gitcoin 1, aave 1+1+1 = 3 -> 20.  Total 33.
    Collection rows: 6 + 4 + 4 = 14. Projects: 11.
    """
    con = connect(tmp_path / "warehouse.duckdb")
    counts = write_registry(con, load_registry(SAMPLE, SEEDS))
    assert counts == {"registry_projects": 11, "registry_collections": 14, "registry_artifacts": 33}


# ---------------------------------------------------------------------------------------------------------------
# validation: one file at a time
# ---------------------------------------------------------------------------------------------------------------


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    # Line 3 starts with a space, so 'foo' continues as a plain scalar onto line 3 and the ':' after
    # ' display_name' (13 characters in, so column 14) is a mapping value where none is allowed.
    text = "version: 7\nname: foo\n display_name: Foo\n"
    problems = problems_of(tmp_path, {"projects/f/foo.yaml": text})
    assert_problem(problems, "projects/f/foo.yaml", "(yaml)", "line 3:", "column 14", "fix the YAML")
    assert len(problems) == 1


def test_duplicate_yaml_key_is_a_problem(tmp_path: Path) -> None:
    text = "version: 7\nname: foo\ndisplay_name: Foo\nname: foo\n"
    problems = problems_of(tmp_path, {"projects/f/foo.yaml": text})
    assert_problem(problems, "projects/f/foo.yaml", "(yaml)", "line 4:", "duplicate key 'name'", "line 2")


def test_unknown_keys_at_every_level(tmp_path: Path) -> None:
    text = project_yaml(
        "foo",
        """\
        homepage: https://foo.org
        websites:
          - link: https://foo.org
        social:
          myspace:
            - url: https://myspace.com/foo
          twitter:
            - url: https://twitter.com/foo
              handle: foo
        github:
          - url: https://github.com/foo/foo
            branch: main
        blockchain:
          - address: "0x4200000000000000000000000000000000000042"
            networks: [optimism]
            tags: [contract]
            label: OP
        """,
    )
    problems = problems_of(tmp_path, {"projects/f/foo.yaml": text})
    path = "projects/f/foo.yaml"
    assert_problem(problems, path, "homepage", "line 4:", "unknown key 'homepage'", "allowed keys here are")
    assert_problem(problems, path, "websites[0].link", "line 6:", "unknown key 'link'")
    assert_problem(problems, path, "websites[0].url", "missing required key 'url'")
    assert_problem(problems, path, "social.myspace", "line 8:", "unknown key 'myspace'", "twitter")
    assert_problem(problems, path, "social.twitter[0].handle", "line 12:", "unknown key 'handle'")
    assert_problem(problems, path, "github[0].branch", "line 15:", "unknown key 'branch'")
    assert_problem(problems, path, "blockchain[0].label", "line 20:", "unknown key 'label'")
    assert len(problems) == 7


def test_unknown_key_suggests_the_close_one(tmp_path: Path) -> None:
    text = "version: 7\nname: foo\ndispaly_name: Foo\n"
    problems = problems_of(tmp_path, {"projects/f/foo.yaml": text})
    assert_problem(problems, "projects/f/foo.yaml", "dispaly_name", "did you mean 'display_name'?")
    assert_problem(problems, "projects/f/foo.yaml", "display_name", "missing required key 'display_name'")


def test_missing_required_keys(tmp_path: Path) -> None:
    files = {
        "projects/f/foo.yaml": "name: foo\nblockchain:\n  - address: '0x4200000000000000000000000000000000000042'\n",
        "collections/c.yaml": "version: 7\nname: c\ndisplay_name: C\n",
    }
    problems = problems_of(tmp_path, files)
    for field in ("version", "display_name", "blockchain[0].networks", "blockchain[0].tags"):
        assert_problem(
            problems, "projects/f/foo.yaml", field, f"missing required key '{field.split('.')[-1]}'"
        )
    assert_problem(problems, "collections/c.yaml", "projects", "missing required key 'projects'", "add it")
    assert len(problems) == 5


def test_wrong_types(tmp_path: Path) -> None:
    text = textwrap.dedent(
        """\
        version: "7"
        name: foo
        display_name: yes
        websites:
          - https://foo.org
        github: https://github.com/foo
        blockchain:
          - address: 0x4200000000000000000000000000000000000042
            networks: optimism
            tags: [contract]
        """
    )
    problems = problems_of(tmp_path, {"projects/f/foo.yaml": text})
    path = "projects/f/foo.yaml"
    assert_problem(problems, path, "version", "line 1:", "whole number", "the text '7'", "without quotes")
    assert_problem(problems, path, "display_name", "line 3:", "must be text", "boolean true", "quote")
    assert_problem(problems, path, "websites[0]", "line 5:", "must be a mapping like 'url: https://...'")
    assert_problem(problems, path, "github", "line 6:", "must be a list")
    # YAML 1.1 reads an unquoted 0x... as a hexadecimal integer: the message says to quote it.
    assert_problem(problems, path, "blockchain[0].address", "line 8:", "quoted", "as a number")
    assert_problem(problems, path, "blockchain[0].networks", "line 9:", "must be a list")
    assert len(problems) == 6


@pytest.mark.parametrize(
    "name",
    ["Foo", "foo_bar", "-foo", "foo-", "foo--bar", "foo bar", "x'; drop table raw.registry_projects; --"],
)
def test_name_must_be_a_slug(tmp_path: Path, name: str) -> None:
    text = f"version: 7\nname: {json.dumps(name)}\ndisplay_name: Foo\n"
    problems = problems_of(tmp_path, {"projects/f/foo.yaml": text})
    assert_problem(
        problems, "projects/f/foo.yaml", "name", "is not a valid project name", "lower-case letters"
    )
    assert len(problems) == 1


def test_file_name_must_match_name(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, {"projects/f/foo.yaml": project_yaml("bar")})
    assert_problem(
        problems, "projects/f/foo.yaml", "name", "line 2:", "does not match name 'bar'", "projects/b/bar.yaml"
    )


@pytest.mark.parametrize("rel", ["projects/x/foo.yaml", "projects/foo.yaml", "projects/f/extra/foo.yaml"])
def test_file_must_sit_in_its_letter_folder(tmp_path: Path, rel: str) -> None:
    problems = problems_of(tmp_path, {rel: project_yaml("foo")})
    assert_problem(problems, rel, "name", "belongs in projects/f/foo.yaml", "move the file")
    assert len(problems) == 1


def test_digit_names_use_the_digit_folder(tmp_path: Path) -> None:
    registry = make_registry(tmp_path, {"projects/0/0xsplits.yaml": project_yaml("0xsplits")})
    assert [p.name for p in load_registry(registry, SEEDS).projects] == ["0xsplits"]


def test_collection_file_name_must_match_name(tmp_path: Path) -> None:
    files = {
        "projects/f/foo.yaml": project_yaml("foo"),
        "collections/c.yaml": "version: 7\nname: d\ndisplay_name: D\nprojects: [foo]\n",
    }
    problems = problems_of(tmp_path, files)
    assert_problem(problems, "collections/c.yaml", "name", "does not match name 'd'", "collections/d.yaml")


def test_stray_files_are_problems_hidden_files_are_ignored(tmp_path: Path) -> None:
    files = {
        "projects/f/foo.yml": project_yaml("foo"),
        "projects/f/notes.txt": "hello",
        "projects/.gitkeep": "",
        "collections/.DS_Store": "",
    }
    problems = problems_of(tmp_path, files)
    assert_problem(problems, "projects/f/foo.yml", "(file)", "rename it")
    assert_problem(problems, "projects/f/notes.txt", "(file)", "is not a registry file")
    assert len(problems) == 2


def test_empty_file_and_non_mapping(tmp_path: Path) -> None:
    files = {"projects/f/foo.yaml": "", "projects/b/bar.yaml": "- just\n- a list\n"}
    problems = problems_of(tmp_path, files)
    assert_problem(
        problems, "projects/f/foo.yaml", "(file)", "the file is empty", "version, name, display_name"
    )
    assert_problem(problems, "projects/b/bar.yaml", "(file)", "must be a YAML mapping", "a list")


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://github.com/foo/bar", "uses http"),
        ("https://www.github.com/foo/bar", "without it"),
        ("https://gitlab.com/foo/bar", "is not a GitHub URL"),
        ("https://github.com/foo/bar/tree/main", "keep only https://github.com/foo/bar"),
        ("https://github.com/foo/bar.git", "remove the .git suffix"),
        ("https://github.com/foo/bar/", "remove the trailing slash"),
        ("https://github.com/foo/bar?tab=readme", "remove everything from '?'"),
        ("https://github.com/foo/bar#readme", "remove everything from '?' or '#'"),
        ("https://github.com", "names no owner"),
        ("https://github.com/-foo", "not a valid GitHub owner name"),
        ("https://github.com/foo/b@r", "not a valid GitHub repo name"),
        ("github.com/foo/bar", "is not a GitHub URL"),
        ("https://github.com/foo /bar", "contains spaces"),
    ],
)
def test_bad_github_urls(tmp_path: Path, url: str, fragment: str) -> None:
    body = f"github:\n  - url: https://github.com/foo/ok\n  - url: {json.dumps(url)}\n"
    problems = problems_of(tmp_path, {"projects/f/foo.yaml": project_yaml("foo", body)})
    assert_problem(problems, "projects/f/foo.yaml", "github[1].url", "line 6:", fragment)
    assert len(problems) == 1


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("ftp://foo.org", "must start with https://"),
        ("foo.org", "must start with https://"),
        ("https://", "has no host name"),
        ("https://foo", "has no host name"),
        ("https://foo.org/a b", "contains spaces"),
    ],
)
def test_bad_website_and_social_urls(tmp_path: Path, url: str, fragment: str) -> None:
    body = f"websites:\n  - url: {json.dumps(url)}\nsocial:\n  twitter:\n    - url: {json.dumps(url)}\n"
    problems = problems_of(tmp_path, {"projects/f/foo.yaml": project_yaml("foo", body)})
    assert_problem(problems, "projects/f/foo.yaml", "websites[0].url", "line 5:", fragment)
    assert_problem(problems, "projects/f/foo.yaml", "social.twitter[0].url", "line 8:", fragment)
    assert len(problems) == 2


@pytest.mark.parametrize(
    "address",
    [
        "0x42",
        "0x42000000000000000000000000000000000000420",  # 41 hex digits
        "0x420000000000000000000000000000000000004g",  # 'g' is not hex
        "4200000000000000000000000000000000000042ab",  # no 0x
        "0X4200000000000000000000000000000000000042",  # upper-case X
    ],
)
def test_bad_addresses(tmp_path: Path, address: str) -> None:
    body = f'blockchain:\n  - address: "{address}"\n    networks: [optimism]\n    tags: [contract]\n'
    problems = problems_of(tmp_path, {"projects/f/foo.yaml": project_yaml("foo", body)})
    assert_problem(problems, "projects/f/foo.yaml", "blockchain[0].address", "line 5:", "40 hex digits")
    assert len(problems) == 1


def test_addresses_are_stored_lower_cased(tmp_path: Path) -> None:
    body = (
        'blockchain:\n  - address: "0xE592427A0AEce92De3Edee1F18E0157C05861564"\n'
        "    networks: [optimism]\n    tags: [contract]\n"
    )
    registry = load_registry(
        make_registry(tmp_path, {"projects/f/foo.yaml": project_yaml("foo", body)}), SEEDS
    )
    assert registry.projects[0].blockchain[0].address == "0xe592427a0aece92de3edee1f18e0157c05861564"


def test_unknown_or_repeated_networks_and_tags(tmp_path: Path) -> None:
    body = """\
    blockchain:
      - address: "0x4200000000000000000000000000000000000042"
        networks: [optimism, solana, optimism]
        tags: [contract, whale]
      - address: "0x4200000000000000000000000000000000000043"
        networks: [any_evm, base]
        tags: []
    """
    problems = problems_of(tmp_path, {"projects/f/foo.yaml": project_yaml("foo", body)})
    path = "projects/f/foo.yaml"
    assert_problem(
        problems,
        path,
        "blockchain[0].networks[1]",
        "line 6:",
        "unknown network 'solana'",
        "blockchain_networks.csv",
    )
    assert_problem(problems, path, "blockchain[0].networks[2]", "'optimism' is listed twice")
    assert_problem(
        problems, path, "blockchain[0].tags[1]", "line 7:", "unknown tag 'whale'", "did you mean 'wallet'?"
    )
    assert_problem(problems, path, "blockchain[1].networks", "'any_evm' already covers every EVM network")
    assert_problem(problems, path, "blockchain[1].tags", "must list at least one of")
    assert len(problems) == 5


def test_known_values_come_from_the_seeds(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "blockchain_networks.csv").write_text("network,description\ntestnet,a test chain\n")
    (seeds / "blockchain_tags.csv").write_text("tag,description\ncontract,a contract\n")
    body = """\
    blockchain:
      - address: "0x4200000000000000000000000000000000000042"
        networks: [testnet, optimism]
        tags: [contract]
    """
    problems = problems_of(tmp_path, {"projects/f/foo.yaml": project_yaml("foo", body)}, seeds=seeds)
    assert_problem(problems, "projects/f/foo.yaml", "blockchain[0].networks[1]", "unknown network 'optimism'")
    assert len(problems) == 1


# ---------------------------------------------------------------------------------------------------------------
# validation: across files
# ---------------------------------------------------------------------------------------------------------------


def test_duplicate_project_names_name_both_files(tmp_path: Path) -> None:
    """projects/x/foo.yaml is misplaced (1 problem) and reuses 'foo' (1 problem). Its repo, the same as the
    first file's, is not reported again as a conflict: the duplicate file takes no part in ownership checks."""
    body = "github:\n  - url: https://github.com/foo/foo\n"
    files = {
        "projects/f/foo.yaml": project_yaml("foo", body),
        "projects/x/foo.yaml": project_yaml("foo", body),
    }
    problems = problems_of(tmp_path, files)
    assert [(p.path, p.field) for p in problems] == [("projects/x/foo.yaml", "name")] * 2
    assert "belongs in projects/f/foo.yaml" in problems[0].message
    assert "project name 'foo' is already used by projects/f/foo.yaml" in problems[1].message
    assert "names must be unique" in problems[1].message


def test_same_repo_in_two_projects_is_a_conflict(tmp_path: Path) -> None:
    files = {
        "projects/a/alpha.yaml": project_yaml("alpha", "github:\n  - url: https://github.com/Acme/Widget\n"),
        "projects/b/beta.yaml": project_yaml("beta", "github:\n  - url: https://github.com/acme/widget\n"),
    }
    problems = problems_of(tmp_path, files)
    assert_problem(
        problems,
        "projects/b/beta.yaml",
        "github[0].url",
        "line 5:",
        "repo acme/widget is already claimed by project 'alpha' (projects/a/alpha.yaml, github[0].url)",
        "remove it from one of the two files",
    )
    assert len(problems) == 1


def test_repo_inside_an_org_claimed_by_another_project_is_a_conflict(tmp_path: Path) -> None:
    files = {
        "projects/a/alpha.yaml": project_yaml("alpha", "github:\n  - url: https://github.com/Acme\n"),
        "projects/b/beta.yaml": project_yaml("beta", "github:\n  - url: https://github.com/acme/widget\n"),
    }
    problems = problems_of(tmp_path, files)
    assert_problem(
        problems,
        "projects/b/beta.yaml",
        "github[0].url",
        "lies inside the org 'acme'",
        "project 'alpha' claims whole (projects/a/alpha.yaml, github[0].url)",
    )
    assert len(problems) == 1


def test_org_containing_a_repo_of_another_project_is_a_conflict(tmp_path: Path) -> None:
    files = {
        "projects/a/alpha.yaml": project_yaml("alpha", "github:\n  - url: https://github.com/acme/widget\n"),
        "projects/b/beta.yaml": project_yaml("beta", "github:\n  - url: https://github.com/ACME\n"),
    }
    problems = problems_of(tmp_path, files)
    assert_problem(
        problems,
        "projects/b/beta.yaml",
        "github[0].url",
        "org acme contains repos already listed",
        "project 'alpha' at projects/a/alpha.yaml, github[0].url",
    )
    assert len(problems) == 1


def test_redundant_github_entries_within_a_project(tmp_path: Path) -> None:
    body = """\
    github:
      - url: https://github.com/acme
      - url: https://github.com/acme/widget
      - url: https://github.com/other/thing
      - url: https://github.com/Other/Thing
      - url: https://github.com/Acme
    """
    problems = problems_of(tmp_path, {"projects/f/foo.yaml": project_yaml("foo", body)})
    path = "projects/f/foo.yaml"
    assert_problem(problems, path, "github[1].url", "already covered by github[0].url", "whole org 'acme'")
    assert_problem(problems, path, "github[3].url", "repo other/thing is listed twice (also github[2].url)")
    assert_problem(problems, path, "github[4].url", "org acme is listed twice (also github[0].url)")
    assert len(problems) == 3


def test_address_conflicts_per_network(tmp_path: Path) -> None:
    """alpha: A on optimism, B on any_evm. beta: A (upper-case hex) on [mainnet, optimism]: optimism clashes,
    mainnet is free; B on base clashes with alpha's any_evm; C on optimism is free. gamma: A on base is free (no
    one claims A on base or on any_evm). So exactly two problems, both in beta."""
    a = "0x00000000000000000000000000000000000000a1"
    b = "0x00000000000000000000000000000000000000b2"
    c = "0x00000000000000000000000000000000000000c3"

    def blockchain(*entries: tuple[str, str]) -> str:
        return "blockchain:\n" + "".join(
            f'  - address: "{address}"\n    networks: [{networks}]\n    tags: [contract]\n'
            for address, networks in entries
        )

    files = {
        "projects/a/alpha.yaml": project_yaml("alpha", blockchain((a, "optimism"), (b, "any_evm"))),
        "projects/b/beta.yaml": project_yaml(
            "beta", blockchain((a.replace("a1", "A1"), "mainnet, optimism"), (b, "base"), (c, "optimism"))
        ),
        "projects/g/gamma.yaml": project_yaml("gamma", blockchain((a, "base"))),
    }
    problems = problems_of(tmp_path, files)
    assert_problem(
        problems,
        "projects/b/beta.yaml",
        "blockchain[0].address",
        "line 5:",
        f"address {a} on optimism is already claimed by project 'alpha' "
        "(projects/a/alpha.yaml, blockchain[0].address)",
    )
    assert_problem(
        problems,
        "projects/b/beta.yaml",
        "blockchain[1].address",
        "line 8:",
        f"address {b} on base (overlapping any_evm) is already claimed by project 'alpha'",
    )
    assert len(problems) == 2


def test_same_address_twice_in_one_project(tmp_path: Path) -> None:
    body = """\
    blockchain:
      - address: "0x4200000000000000000000000000000000000042"
        networks: [optimism]
        tags: [contract]
      - address: "0x4200000000000000000000000000000000000042"
        networks: [optimism]
        tags: [proxy]
    """
    problems = problems_of(tmp_path, {"projects/f/foo.yaml": project_yaml("foo", body)})
    assert_problem(
        problems, "projects/f/foo.yaml", "blockchain[1].address", "listed twice (also blockchain[0].address)"
    )


def test_collection_problems(tmp_path: Path) -> None:
    files = {
        "projects/f/foo.yaml": project_yaml("foo"),
        "collections/a.yaml": "version: 7\nname: a\ndisplay_name: A\nprojects: [foo, nope, foo]\n",
        "collections/b.yaml": "version: 7\nname: a\ndisplay_name: B\nprojects: []\n",
    }
    problems = problems_of(tmp_path, files)
    assert_problem(
        problems,
        "collections/a.yaml",
        "projects[1]",
        "line 4:",
        "project 'nope' does not exist",
        "projects/n/nope.yaml",
    )
    assert_problem(problems, "collections/a.yaml", "projects[2]", "project 'foo' is listed twice")
    assert_problem(problems, "collections/b.yaml", "projects", "lists no project")
    b_name = [p.message for p in problems if p.path == "collections/b.yaml" and p.field == "name"]
    assert len(b_name) == 2  # misnamed file, and the name 'a' reused
    assert any("collection name 'a' is already used by collections/a.yaml" in m for m in b_name)
    assert len(problems) == 5


def test_collection_member_whose_file_is_broken_is_not_reported_twice(tmp_path: Path) -> None:
    files = {
        "projects/f/foo.yaml": "version: 7\nname: foo\n display_name: Foo\n",  # YAML error
        "collections/c.yaml": "version: 7\nname: c\ndisplay_name: C\nprojects: [foo]\n",
    }
    problems = problems_of(tmp_path, files)
    assert [(p.path, p.field) for p in problems] == [("projects/f/foo.yaml", "(yaml)")]


def test_every_problem_is_collected_before_raising(tmp_path: Path) -> None:
    """Hand count: foo.yaml 2 (bad website, unknown tag); bar.yaml 1 (YAML error); c.yaml 1 (missing project)."""
    files = {
        "projects/f/foo.yaml": project_yaml(
            "foo",
            'websites:\n  - url: foo.org\nblockchain:\n  - address: "0x4200000000000000000000000000000000000042"\n'
            "    networks: [optimism]\n    tags: [whale]\n",
        ),
        "projects/b/bar.yaml": "version: [7\n",
        "collections/c.yaml": "version: 7\nname: c\ndisplay_name: C\nprojects: [foo, ghost]\n",
    }
    with pytest.raises(RegistryError) as info:
        load_registry(make_registry(tmp_path, files), SEEDS)
    problems = info.value.problems
    assert len(problems) == 4
    assert sorted({p.path for p in problems}) == [
        "collections/c.yaml",
        "projects/b/bar.yaml",
        "projects/f/foo.yaml",
    ]
    assert "the registry has 4 problem(s)" in str(info.value)
    assert "projects/f/foo.yaml: blockchain[0].tags[0]: line 9: unknown tag 'whale'" in str(info.value)


def test_missing_directory_or_seed_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_registry(tmp_path / "nowhere", SEEDS)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no projects/ folder"):
        load_registry(tmp_path / "empty", SEEDS)
    registry = make_registry(tmp_path, {"projects/f/foo.yaml": project_yaml("foo")})
    with pytest.raises(ConfigError, match="blockchain_networks.csv is missing"):
        load_registry(registry, tmp_path / "no-seeds")
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "blockchain_networks.csv").write_text("chain,description\noptimism,x\n")
    (seeds / "blockchain_tags.csv").write_text("tag,description\ncontract,x\n")
    with pytest.raises(ConfigError, match="has no 'network' column"):
        load_registry(registry, seeds)


def test_check_registry_returns_problems_without_raising(tmp_path: Path) -> None:
    registry_dir = make_registry(tmp_path, {"projects/f/foo.yaml": project_yaml("bar")})
    _, problems = check_registry(registry_dir, SEEDS)
    assert [(p.path, p.field) for p in problems] == [("projects/f/foo.yaml", "name")]


# ---------------------------------------------------------------------------------------------------------------
# values
# ---------------------------------------------------------------------------------------------------------------


def test_values_are_frozen_and_hashable() -> None:
    registry = load_registry(SAMPLE, SEEDS)
    project = registry.project("optimism")
    assert hash(project) == hash(dataclasses.replace(project))
    with pytest.raises(dataclasses.FrozenInstanceError):
        project.name = "x"  # type: ignore[misc]
    assert project.social["twitter"] == ("https://twitter.com/Optimism",)
    with pytest.raises(TypeError):
        project.social["twitter"] = ()  # type: ignore[index]
    assert FrozenMap({"a": 1}) == {"a": 1}
    assert project.github == (
        GithubArtifact("https://github.com/ethereum-optimism", "ethereum-optimism", None),
    )


def test_tracked_github_owner_of_is_case_insensitive() -> None:
    tracked = TrackedGithub(
        repos=frozenset({"acme/widget"}),
        orgs=frozenset({"bigcorp"}),
        owners=FrozenMap({"acme/widget": "widget-project", "bigcorp": "bigcorp-project"}),
    )
    assert tracked.owner_of("ACME/Widget") == "widget-project"
    assert tracked.owner_of("BigCorp/anything") == "bigcorp-project"
    assert tracked.owner_of("acme/other") is None
    assert tracked.tracks("BIGCORP/x") and tracked.tracks("acme/widget") and not tracked.tracks("acme/other")


def test_tracked_addresses_include_any_evm(tmp_path: Path) -> None:
    body = """\
    blockchain:
      - address: "0x00000000000000000000000000000000000000A1"
        networks: [optimism]
        tags: [contract]
      - address: "0x00000000000000000000000000000000000000b2"
        networks: [any_evm]
        tags: [eoa, deployer]
    """
    registry = load_registry(
        make_registry(tmp_path, {"projects/f/foo.yaml": project_yaml("foo", body)}), SEEDS
    )
    a1 = "0x00000000000000000000000000000000000000a1"
    b2 = "0x00000000000000000000000000000000000000b2"
    assert registry.tracked_addresses("optimism") == {a1, b2}
    assert registry.tracked_addresses("base") == {b2}


# ---------------------------------------------------------------------------------------------------------------
# write_registry
# ---------------------------------------------------------------------------------------------------------------

ALPHA_ADDRESS = "0xAbCdEf0123456789abcdef0123456789ABCDEF01"
SMALL = {
    "projects/a/alpha.yaml": project_yaml(
        "alpha",
        f"""\
        description: The first project.
        websites:
          - url: https://alpha.example.org
        social:
          twitter:
            - url: https://twitter.com/alpha
        github:
          - url: https://github.com/Alpha-Org
          - url: https://github.com/other/Alpha-Tools
        blockchain:
          - address: "{ALPHA_ADDRESS}"
            networks: [optimism, mainnet]
            tags: [contract, proxy]
            name: Alpha Router
          - address: "0x00000000000000000000000000000000000000aa"
            networks: [any_evm]
            tags: [eoa, deployer]
        """,
    ),
    "projects/b/beta.yaml": project_yaml("beta", "github:\n  - url: https://github.com/beta/beta\n"),
    "projects/g/gamma.yaml": project_yaml("gamma"),
    "collections/c1.yaml": "version: 7\nname: c1\ndisplay_name: C1\nprojects: [alpha, beta]\n",
    "collections/c2.yaml": "version: 7\nname: c2\ndisplay_name: C2\nprojects: [gamma]\n",
}


def small_registry(tmp_path: Path, files: dict[str, str] = SMALL) -> Registry:
    return load_registry(make_registry(tmp_path, files), SEEDS)


def table(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple]:
    """Every row of a raw registry table, sorted; _loaded_at is the last column of each."""
    sql = {
        "registry_projects": "select * from raw.registry_projects order by all",
        "registry_collections": "select * from raw.registry_collections order by all",
        "registry_artifacts": "select * from raw.registry_artifacts order by all",
    }[name]
    return con.execute(sql).fetchall()


TABLES = ("registry_projects", "registry_collections", "registry_artifacts")


def test_write_registry_hand_counted_rows(tmp_path: Path) -> None:
    """alpha: 2 GitHub rows + address 1 on 2 networks + address 2 on any_evm = 5 artifact rows; beta: 1; gamma: 0
    -> 6 artifacts. Projects 3. Collections: c1 has 2 members, c2 has 1 -> 3 rows."""
    con = connect(tmp_path / "warehouse.duckdb")
    counts = write_registry(con, small_registry(tmp_path))
    assert counts == {"registry_projects": 3, "registry_collections": 3, "registry_artifacts": 6}
    for name, expected in counts.items():
        assert con.execute(f"select count(*) from raw.{name}").fetchone() == (expected,)  # noqa: S608

    artifacts = con.execute(
        "select artifact_source, artifact_kind, artifact_namespace, artifact_name, artifact_url, network, tags, "
        "address_label, _source_file from raw.registry_artifacts where project_name = 'alpha' order by all"
    ).fetchall()
    address = ALPHA_ADDRESS.lower()
    assert artifacts == [
        ("BLOCKCHAIN", "ADDRESS", "any_evm", "0x00000000000000000000000000000000000000aa", None, "any_evm",
         ["eoa", "deployer"], None, "projects/a/alpha.yaml"),
        ("BLOCKCHAIN", "ADDRESS", "mainnet", address, None, "mainnet", ["contract", "proxy"], "Alpha Router",
         "projects/a/alpha.yaml"),
        ("BLOCKCHAIN", "ADDRESS", "optimism", address, None, "optimism", ["contract", "proxy"], "Alpha Router",
         "projects/a/alpha.yaml"),
        ("GITHUB", "ORGANIZATION", "alpha-org", None, "https://github.com/Alpha-Org", None, None, None,
         "projects/a/alpha.yaml"),
        ("GITHUB", "REPOSITORY", "other", "alpha-tools", "https://github.com/other/Alpha-Tools", None, None, None,
         "projects/a/alpha.yaml"),
    ]  # fmt: skip
    assert con.execute(
        "select project_name, display_name, description, websites, social from raw.registry_projects order by 1"
    ).fetchall() == [
        ("alpha", "Alpha", "The first project.", ["https://alpha.example.org"],
         '{"twitter": ["https://twitter.com/alpha"]}'),
        ("beta", "Beta", None, [], "{}"),
        ("gamma", "Gamma", None, [], "{}"),
    ]  # fmt: skip
    assert con.execute(
        "select collection_name, project_name from raw.registry_collections order by all"
    ).fetchall() == [("c1", "alpha"), ("c1", "beta"), ("c2", "gamma")]

    loads = con.execute(
        "select source, day, status, files_read, rows_read, rows_kept, rows_rejected, error from raw._loads"
    ).fetchall()
    assert loads == [("registry", None, "ok", 5, 6, 6, 0, None)]  # 3 project files + 2 collection files


def test_write_registry_twice_leaves_identical_tables(tmp_path: Path) -> None:
    con = connect(tmp_path / "warehouse.duckdb")
    registry = small_registry(tmp_path)
    at = datetime(2025, 1, 2, 3, 4, 5)
    write_registry(con, registry, loaded_at=at)
    first = {name: table(con, name) for name in TABLES}
    write_registry(con, registry, loaded_at=at)
    assert {name: table(con, name) for name in TABLES} == first
    # Without a fixed load time only _loaded_at (the last column) moves on; nothing is appended.
    write_registry(con, registry)
    without_loaded_at = {name: [row[:-1] for row in rows] for name, rows in first.items()}
    assert {name: [row[:-1] for row in table(con, name)] for name in TABLES} == without_loaded_at
    assert con.execute("select count(*), count(distinct status) from raw._loads").fetchone() == (3, 1)


def test_write_registry_replaces_the_tables_wholly(tmp_path: Path) -> None:
    con = connect(tmp_path / "warehouse.duckdb")
    write_registry(con, small_registry(tmp_path / "one"))
    only_beta = {"projects/b/beta.yaml": SMALL["projects/b/beta.yaml"]}
    counts = write_registry(con, small_registry(tmp_path / "two", only_beta))
    assert counts == {"registry_projects": 1, "registry_collections": 0, "registry_artifacts": 1}
    assert con.execute("select project_name from raw.registry_projects").fetchall() == [("beta",)]
    assert con.execute("select count(*) from raw.registry_collections").fetchone() == (0,)
    assert con.execute("select project_name, artifact_name from raw.registry_artifacts").fetchall() == [
        ("beta", "beta")
    ]


def test_hostile_text_is_stored_verbatim(tmp_path: Path) -> None:
    hostile = 'Robert\'); DROP TABLE raw.registry_projects; -- "quoted" ünïcødé 🚀 \\ back\\slash\nline two'
    label = 'It\'s a "label"; select 1; 名前'
    body = (
        f"description: {json.dumps(hostile, ensure_ascii=False)}\n"
        'blockchain:\n  - address: "0x4200000000000000000000000000000000000042"\n'
        f"    networks: [optimism]\n    tags: [contract]\n    name: {json.dumps(label, ensure_ascii=False)}\n"
    )
    text = f"version: 7\nname: evil\ndisplay_name: {json.dumps(hostile, ensure_ascii=False)}\n{body}"
    registry = small_registry(tmp_path, {"projects/e/evil.yaml": text})
    assert registry.projects[0].description == hostile

    con = connect(tmp_path / "warehouse.duckdb")
    write_registry(con, registry)
    assert con.execute(
        "select display_name, description from raw.registry_projects where project_name = ?", ["evil"]
    ).fetchall() == [(hostile, hostile)]
    assert con.execute("select address_label from raw.registry_artifacts").fetchall() == [(label,)]
    assert con.execute("select count(*) from raw.registry_projects").fetchone() == (1,)


def test_failed_write_leaves_the_previous_registry(tmp_path: Path) -> None:
    """After a good load, give raw.registry_artifacts a check constraint that refuses REPOSITORY rows: the next
    write fails on its last table, the transaction rolls back, the projects and collections tables still hold
    the first registry, and raw._loads records the failure."""
    con = connect(tmp_path / "warehouse.duckdb")
    write_registry(con, small_registry(tmp_path / "one"))
    con.execute("drop table raw.registry_artifacts")
    con.execute(
        "create table raw.registry_artifacts (project_name varchar not null, artifact_source varchar not null, "
        "artifact_kind varchar not null check (artifact_kind <> 'REPOSITORY'), artifact_namespace varchar, "
        "artifact_name varchar, artifact_url varchar, network varchar, tags varchar[], address_label varchar, "
        "_source_file varchar, _loaded_at timestamp)"
    )
    only_beta = {"projects/b/beta.yaml": SMALL["projects/b/beta.yaml"]}
    with pytest.raises(IngestError, match="still hold the previous registry"):
        write_registry(con, small_registry(tmp_path / "two", only_beta))
    assert con.execute("select project_name from raw.registry_projects order by 1").fetchall() == [
        ("alpha",),
        ("beta",),
        ("gamma",),
    ]
    assert con.execute("select count(*) from raw.registry_collections").fetchone() == (3,)
    assert con.execute("select status, rows_kept from raw._loads order by started_at").fetchall() == [
        ("ok", 6),
        ("failed", 0),
    ]

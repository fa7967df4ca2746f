"""The registry loader, validator and raw-table writer (ingestion/registry.py).

Every bad-input test builds a tiny registry in tmp_path and checks that the problem names the file (relative to
the registry directory), the field, and says what to do. Expected numbers are worked out by hand in comments.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import textwrap
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from ingestion.errors import ConfigError, IngestError, RegistryError, RegistryProblem
from ingestion.registry import (
    COLLECTION_KEYS,
    PROJECT_KEYS,
    SOCIAL_PLATFORMS,
    FrozenMap,
    GithubArtifact,
    Registry,
    TrackedGithub,
    check_registry,
    github_url_problem,
    load_registry,
    load_seeds,
    parse_github_url,
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
    """Every problem (errors and warnings) of a registry made of `files`."""
    _, problems = check_registry(make_registry(root, files), seeds)
    assert problems, "expected at least one problem"
    return problems


def errors_of(root: Path, files: dict[str, str], seeds: Path = SEEDS) -> list[RegistryProblem]:
    """The problems of a registry that must not load: load_registry raises, naming every problem."""
    with pytest.raises(RegistryError) as info:
        load_registry(make_registry(root, files), seeds)
    assert info.value.problems, "RegistryError must carry its problems"
    return info.value.problems


def the_problem(
    problems: list[RegistryProblem], path: str, field: str, severity: str | None = None
) -> RegistryProblem:
    found = [p for p in problems if p.path == path and p.field == field and severity in (None, p.severity)]
    assert len(found) == 1, f"expected one problem at {path} {field}, got {found} among {problems}"
    return found[0]


def assert_problem(
    problems: list[RegistryProblem], path: str, field: str, *fragments: str, severity: str = "error"
) -> None:
    problem = the_problem(problems, path, field, severity)
    assert problem.severity == severity, f"{problem!r} should be a {severity}"
    text = str(problem)
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in {text!r}"


def assert_warning(problems: list[RegistryProblem], path: str, field: str, *fragments: str) -> None:
    assert_problem(problems, path, field, *fragments, severity="warning")


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
# the real oss-directory sample
# ---------------------------------------------------------------------------------------------------------------

OSS = ROOT / "tests" / "fixtures" / "oss-directory"


def test_the_networks_and_tags_seeds_cover_oss_directory_schema() -> None:
    schema = json.loads((OSS / "schema" / "blockchain-address.json").read_text())
    networks, tags = load_seeds(SEEDS)
    assert set(schema["properties"]["networks"]["items"]["enum"]) == networks  # 36 networks
    assert len(networks) == 36
    assert set(schema["properties"]["tags"]["items"]["enum"]) == tags
    with (SEEDS / "blockchain_networks.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    chain_ids = {row["network"]: row["chain_id"] for row in rows}
    assert chain_ids["any_evm"] == ""
    assert (chain_ids["optimism"], chain_ids["mainnet"], chain_ids["base"]) == ("10", "1", "8453")
    assert all(chain_ids[n].isdigit() for n in networks - {"any_evm"})
    assert len({chain_ids[n] for n in networks - {"any_evm"}}) == 35  # one network per chain id


def test_every_key_of_the_schemas_is_read() -> None:
    project = json.loads((OSS / "schema" / "project.json").read_text())
    collection = json.loads((OSS / "schema" / "collection.json").read_text())
    assert set(project["properties"]) == set(PROJECT_KEYS)
    assert set(collection["properties"]) == set(COLLECTION_KEYS)
    social = json.loads((OSS / "schema" / "social-profile.json").read_text())
    assert set(social["properties"]) <= set(SOCIAL_PLATFORMS)


def test_the_real_sample_validates_and_loads_with_the_expected_warnings(tmp_path: Path) -> None:
    """The 60 real project files and 4 collections: no error. The warnings, found by reading the files:
    aiinsure4.git-aiinsure lists https://github.com/aiinsure/aiinsure4.git (line 5); astera-finance lists
    https://github.com/astera-Finance/ (line 11); blueshift-finance lists 0x784156f8... on bob in entries 3 and 4
    (entry 4's networks on line 42); jiasyuanchu lists repo twitter-api-2020 twice (github[0] and github[43], line
    48)."""
    registry, problems = check_registry(OSS / "data", SEEDS)
    assert [(p.severity, p.path, p.field, p.line) for p in problems] == [
        ("warning", "projects/a/aiinsure4.git-aiinsure.yaml", "github[0].url", 5),
        ("warning", "projects/a/astera-finance.yaml", "github[0].url", 11),
        ("warning", "projects/b/blueshift-finance.yaml", "blockchain[4].networks", 42),
        ("warning", "projects/j/jiasyuanchu.yaml", "github[43].url", 48),
    ]
    assert "'.git': read as repository aiinsure/aiinsure4" in problems[0].message
    assert "trailing or doubled '/': read as organization astera-finance" in problems[1].message
    assert "on bob is listed twice (also blockchain[3].address): kept once" in problems[2].message
    assert "jiasyuanchu/twitter-api-2020 is listed twice (also github[0].url" in problems[3].message
    assert len(registry.projects) == 60
    assert {c.name for c in registry.collections} == {
        "ipfs-force-community",
        "ossinsight-ai-training-observability",
        "ossinsight-llm-gateway-&-proxy",
        "w3c",
    }
    assert registry.project("aiinsure4.git-aiinsure").github == (
        GithubArtifact("https://github.com/aiinsure/aiinsure4.git", "aiinsure", "aiinsure4"),
    )
    polygon = registry.project("0xpolygon")
    assert polygon.token_coingecko_api_id == "polygon-ecosystem-token"
    assert [(a.source, a.namespace, a.name) for a in polygon.url_artifacts] == [
        ("NPM", "maticnetwork", "maticjs"),
        ("NPM", "maticnetwork", "maticjs-ethers"),
        ("NPM", "maticnetwork", "maticjs-web3"),
    ]
    assert registry.project("evently").comments[0] == "We completely rebranded Megamble as Evently."
    ckzg = registry.project("c-kzg-4844-ethereum").url_artifacts
    assert [(a.source, a.kind, a.name) for a in ckzg if a.source in ("GO", "PYPI")] == [
        ("PYPI", "PACKAGE", "ckzg"),
        ("GO", "PACKAGE", "github.com/ethereum/c-kzg-4844"),
    ]
    assert {(a.source, a.kind, a.name) for a in registry.project("babel").url_artifacts} >= {
        ("OPEN_COLLECTIVE", "COLLECTIVE", "babel"),
        ("NPM", "PACKAGE", "core"),
    }
    con = connect(tmp_path / "warehouse.duckdb")
    counts = write_registry(con, load_registry(OSS / "data", SEEDS, strict=False))
    assert counts["registry_projects"] == 60
    # Every kind reaches the raw table; sources counted with grep over the files (npm 337, crates 89, defillama 9,
    # pypi 4, go 2, open_collective 2 URLs, none repeated).
    by_source = dict(
        con.execute(
            "select artifact_source, count(*) from raw.registry_artifacts "
            "where artifact_source not in ('GITHUB', 'BLOCKCHAIN') group by 1"
        ).fetchall()
    )
    assert by_source == {"NPM": 337, "CRATES": 89, "DEFILLAMA": 9, "PYPI": 4, "GO": 2, "OPEN_COLLECTIVE": 2}
    with pytest.raises(RegistryError, match="0 error"):
        load_registry(OSS / "data", SEEDS, strict=True)


# ---------------------------------------------------------------------------------------------------------------
# errors: what makes a file unusable
# ---------------------------------------------------------------------------------------------------------------


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    # Line 3 starts with a space, so 'foo' continues as a plain scalar onto line 3 and the ':' after
    # ' display_name' (13 characters in, so column 14) is a mapping value where none is allowed.
    text = "version: 7\nname: foo\n display_name: Foo\n"
    problems = errors_of(tmp_path, {"projects/f/foo.yaml": text})
    assert_problem(problems, "projects/f/foo.yaml", "(yaml)", "line 3:", "column 14", "fix the YAML")
    assert len(problems) == 1


def test_duplicate_yaml_key_is_an_error(tmp_path: Path) -> None:
    text = "version: 7\nname: foo\ndisplay_name: Foo\nname: foo\n"
    problems = errors_of(tmp_path, {"projects/f/foo.yaml": text})
    assert_problem(problems, "projects/f/foo.yaml", "(yaml)", "line 4:", "duplicate key 'name'", "line 2")


def test_missing_required_keys_are_errors(tmp_path: Path) -> None:
    files = {
        "projects/f/foo.yaml": "name: foo\n",
        "collections/c.yaml": "version: 7\nname: c\ndisplay_name: C\n",
        "projects/b/bar.yaml": project_yaml(
            "bar", "blockchain:\n  - address: '0x" + "a" * 40 + "'\n    tags: [eoa]\n"
        ),
        "projects/q/qux.yaml": project_yaml("qux", "github:\n  - {}\n"),
    }
    problems = errors_of(tmp_path, files)
    assert_problem(problems, "projects/f/foo.yaml", "version", "missing required key 'version'")
    assert_problem(problems, "projects/f/foo.yaml", "display_name", "missing required key 'display_name'")
    assert_problem(problems, "collections/c.yaml", "projects", "missing required key 'projects'")
    assert_problem(
        problems, "projects/b/bar.yaml", "blockchain[0].networks", "line 5:", "missing required key"
    )
    assert_problem(problems, "projects/q/qux.yaml", "github[0].url", "missing required key 'url'")
    assert all(p.severity == "error" for p in problems)


def test_a_name_that_is_not_text_is_an_error(tmp_path: Path) -> None:
    problems = errors_of(tmp_path, {"projects/f/foo.yaml": "version: 7\nname: [foo]\ndisplay_name: Foo\n"})
    assert_problem(problems, "projects/f/foo.yaml", "name", "line 2:", "must be text")


def test_file_name_must_equal_name(tmp_path: Path) -> None:
    files = {
        "projects/f/foo.yaml": project_yaml("bar"),
        "collections/c.yaml": "version: 7\nname: d\ndisplay_name: D\nprojects: [bar]\n",
    }
    problems = errors_of(tmp_path, files)
    assert_problem(
        problems,
        "projects/f/foo.yaml",
        "name",
        "line 2:",
        "'foo.yaml' differs from name 'bar'",
        "projects/b/bar.yaml",
    )
    assert_problem(
        problems, "collections/c.yaml", "name", "'c.yaml' differs from name 'd'", "collections/d.yaml"
    )


def test_a_collection_naming_a_missing_project_is_an_error(tmp_path: Path) -> None:
    files = {
        "projects/f/foo.yaml": project_yaml("foo"),
        "collections/c.yaml": "version: 7\nname: c\ndisplay_name: C\nprojects:\n  - foo\n  - ghost\n",
    }
    problems = errors_of(tmp_path, files)
    assert_problem(
        problems, "collections/c.yaml", "projects[1]", "line 6:", "project 'ghost' does not exist",
        "no projects/g/ghost.yaml",
    )  # fmt: skip


def test_two_files_with_one_name_is_an_error(tmp_path: Path) -> None:
    files = {"projects/f/foo.yaml": project_yaml("foo"), "projects/x/foo.yaml": project_yaml("foo")}
    problems = errors_of(tmp_path, files)
    assert_problem(
        problems, "projects/x/foo.yaml", "name", "already used by projects/f/foo.yaml", severity="error"
    )


def test_empty_file_and_non_mapping_are_errors(tmp_path: Path) -> None:
    files = {"projects/e/empty.yaml": "", "projects/l/list.yaml": "- a\n- b\n"}
    problems = errors_of(tmp_path, files)
    assert_problem(problems, "projects/e/empty.yaml", "(file)", "the file is empty")
    assert_problem(problems, "projects/l/list.yaml", "(file)", "must be a YAML mapping", "not a list")


def test_collection_member_whose_file_is_broken_is_not_reported_twice(tmp_path: Path) -> None:
    files = {
        "projects/f/foo.yaml": "version: 7\nname: foo\n display_name: Foo\n",  # YAML error
        "collections/c.yaml": "version: 7\nname: c\ndisplay_name: C\nprojects: [foo]\n",
    }
    problems = errors_of(tmp_path, files)
    assert [(p.path, p.field) for p in problems] == [("projects/f/foo.yaml", "(yaml)")]


def test_every_problem_is_collected_before_raising(tmp_path: Path) -> None:
    """Hand count: foo.yaml 2 warnings (bad website, unknown tag); bar.yaml 1 error (YAML); c.yaml 1 error (a
    missing project)."""
    files = {
        "projects/f/foo.yaml": project_yaml(
            "foo",
            'websites:\n  - url: foo.org\nblockchain:\n  - address: "0x4200000000000000000000000000000000000042"\n'
            "    networks: [optimism]\n    tags: [whale]\n",
        ),
        "projects/b/bar.yaml": "version: [7\n",
        "collections/c.yaml": "version: 7\nname: c\ndisplay_name: C\nprojects: [foo, ghost]\n",
    }
    problems = errors_of(tmp_path, files)
    assert len(problems) == 4
    with pytest.raises(RegistryError) as info:
        load_registry(tmp_path / "registry", SEEDS)
    assert "the registry has 2 error(s) and 2 warning(s)" in str(info.value)
    assert "warning: projects/f/foo.yaml: blockchain[0].tags[0]: line 9: unknown tag 'whale'" in str(
        info.value
    )
    assert "error: collections/c.yaml: projects[1]: line 4: project 'ghost' does not exist" in str(info.value)


# ---------------------------------------------------------------------------------------------------------------
# warnings: the file loads, the loader does one documented thing
# ---------------------------------------------------------------------------------------------------------------


def warnings_of(tmp_path: Path, files: dict[str, str]) -> tuple[Registry, list[RegistryProblem]]:
    """The registry (it must load) and its warnings."""
    registry = load_registry(make_registry(tmp_path, files), SEEDS)
    assert all(p.severity == "warning" for p in registry.warnings)
    return registry, list(registry.warnings)


def test_names_oss_directory_allows_load_without_a_problem(tmp_path: Path) -> None:
    names = ["llm-gateway-&-proxy", "foo.git-bar", "foo--bar", "Foo_(v2)", "0x-splits"]
    files = {f"projects/{n[0].lower()}/{n}.yaml": project_yaml(n) for n in names}
    files["collections/a-&-b.yaml"] = "version: 7\nname: a-&-b\ndisplay_name: A & B\nprojects: [foo--bar]\n"
    registry_dir = make_registry(tmp_path, files)
    registry, problems = check_registry(registry_dir, SEEDS)
    assert problems == []
    assert sorted(p.name for p in registry.projects) == sorted(names)
    assert registry.collections[0].projects == ("foo--bar",)


def test_unknown_keys_are_ignored_with_a_warning(tmp_path: Path) -> None:
    body = """\
    colour: blue
    social:
      tiktok:
        - url: https://tiktok.com/@foo
    github:
      - url: https://github.com/foo/bar
        branch: main
    blockchain:
      - address: "0x4200000000000000000000000000000000000042"
        networks: [optimism]
        tags: [contract]
        nmae: Router
    """
    registry, problems = warnings_of(tmp_path, {"projects/f/foo.yaml": project_yaml("foo", body)})
    assert_warning(problems, "projects/f/foo.yaml", "colour", "line 4:", "unknown key 'colour', ignored")
    assert_warning(problems, "projects/f/foo.yaml", "social.tiktok", "line 6:", "ignored")
    assert_warning(problems, "projects/f/foo.yaml", "github[0].branch", "line 10:", "ignored")
    assert_warning(problems, "projects/f/foo.yaml", "blockchain[0].nmae", "line 15:", "did you mean 'name'?")
    assert len(problems) == 4
    assert registry.project("foo").github == (GithubArtifact("https://github.com/foo/bar", "foo", "bar"),)


def test_a_project_outside_its_letter_folder_loads_with_a_warning(tmp_path: Path) -> None:
    registry, problems = warnings_of(tmp_path, {"projects/x/foo.yaml": project_yaml("foo")})
    assert_warning(
        problems, "projects/x/foo.yaml", "name", "belongs in projects/f/foo.yaml", "loaded from where"
    )
    assert registry.project("foo").source_file == "projects/x/foo.yaml"


def test_stray_files_are_ignored_with_a_warning(tmp_path: Path) -> None:
    files = {
        "projects/f/foo.yaml": project_yaml("foo"),
        "projects/README.md": "# projects\n",
        "projects/b/bar.yml": project_yaml("bar"),
        "projects/f/.hidden.yaml": "not: [valid",
        "projects/.git/config": "x",
    }
    registry, problems = warnings_of(tmp_path, files)
    assert [(p.path, p.message) for p in problems] == [
        ("projects/README.md", "is not a registry file: ignored"),
        ("projects/b/bar.yml", "is not a registry file (registry files end in .yaml): ignored"),
    ]
    assert [p.name for p in registry.projects] == ["foo"]


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("https://gitlab.com/foo/bar", "is not a GitHub URL"),
        ("https://github.com/foo/bar/tree/main", "points inside a repo"),
        ("https://github.com/foo/bar?tab=readme", "has a query or fragment"),
        ("https://github.com", "names no owner"),
        ("https://github.com/-foo", "is not a GitHub owner name"),
        ("https://github.com/foo/b@r", "is not a GitHub repo name"),
        ("github.com/foo/bar", "is not a GitHub URL"),
        ("https://github.com/foo /bar", "contains spaces"),
    ],
)
def test_a_github_url_that_is_not_a_repo_or_org_is_left_out(tmp_path: Path, url: str, fragment: str) -> None:
    body = f"github:\n  - url: {url}\n  - url: https://github.com/foo/kept\n"
    registry, problems = warnings_of(tmp_path, {"projects/f/foo.yaml": project_yaml("foo", body)})
    assert_warning(problems, "projects/f/foo.yaml", "github[0].url", "line 5:", fragment, "left out")
    assert [a.key for a in registry.project("foo").github] == ["foo/kept"]


def test_github_urls_are_normalised_and_kept_once(tmp_path: Path) -> None:
    """Six spellings of two artifacts: repo acme/widget (4 spellings) and org acme (2)."""
    body = """\
    github:
      - url: https://github.com/Acme/Widget
      - url: https://github.com/acme/widget/
      - url: https://github.com/acme/widget.git
      - url: http://www.github.com/ACME/WIDGET
      - url: https://github.com/acme/
      - url: https://github.com/ACME
    """
    registry, problems = warnings_of(tmp_path, {"projects/f/foo.yaml": project_yaml("foo", body)})
    assert registry.project("foo").github == (
        GithubArtifact("https://github.com/Acme/Widget", "acme", "widget"),
        GithubArtifact("https://github.com/acme/", "acme", None),
    )
    assert_warning(
        problems, "projects/f/foo.yaml", "github[1].url", "line 6:", "listed twice (also github[0].url"
    )
    assert_warning(problems, "projects/f/foo.yaml", "github[2].url", "kept once, with the URL first written")
    assert_warning(problems, "projects/f/foo.yaml", "github[3].url", "line 8:", "listed twice")
    assert_warning(
        problems, "projects/f/foo.yaml", "github[4].url", "trailing or doubled '/'", "organization acme"
    )
    assert_warning(problems, "projects/f/foo.yaml", "github[5].url", "organization acme is listed twice")
    assert len(problems) == 5
    assert github_url_problem("https://github.com/foo/bar.git") is None
    assert parse_github_url("http://www.github.com/Foo/Bar.git/") == ("foo", "bar")


@pytest.mark.parametrize(
    ("address", "fragment"),
    [
        ('"0x42"', "(4 characters)"),
        ('"0x42000000000000000000000000000000000000420"', "(43 characters)"),
        ('"0x420000000000000000000000000000000000004"', "(41 characters)"),
        ('""', "(empty)"),
        ('"0x420000000000000000000000000000000000004g"', "(42 characters)"),
        ("0x4200000000000000000000000000000000000042", "is a number to YAML"),
    ],
)
def test_an_address_that_is_not_0x_and_40_hex_is_left_out(
    tmp_path: Path, address: str, fragment: str
) -> None:
    body = f"""\
    blockchain:
      - address: {address}
        networks: [optimism]
        tags: [contract]
      - address: "0x00000000000000000000000000000000000000aa"
        networks: [optimism]
        tags: [contract]
    """
    registry, problems = warnings_of(tmp_path, {"projects/f/foo.yaml": project_yaml("foo", body)})
    assert_warning(problems, "projects/f/foo.yaml", "blockchain[0].address", "line 5:", fragment, "left out")
    assert [a.address for a in registry.project("foo").blockchain] == ["0x" + "0" * 38 + "aa"]


def test_unknown_networks_and_tags_are_left_out(tmp_path: Path) -> None:
    body = """\
    blockchain:
      - address: "0x4200000000000000000000000000000000000042"
        networks: [optimsm, base, base]
        tags: [contract, whale]
      - address: "0x00000000000000000000000000000000000000aa"
        networks: [moonbeam]
        tags: [eoa]
      - address: "0x00000000000000000000000000000000000000bb"
        networks: [any_evm, optimism]
        tags: [eoa]
    """
    registry, problems = warnings_of(tmp_path, {"projects/f/foo.yaml": project_yaml("foo", body)})
    assert_warning(
        problems, "projects/f/foo.yaml", "blockchain[0].networks[0]", "did you mean 'optimism'?", "left out"
    )
    assert_warning(
        problems, "projects/f/foo.yaml", "blockchain[0].networks[2]", "'base' is listed twice", "kept once"
    )
    assert_warning(
        problems, "projects/f/foo.yaml", "blockchain[0].tags[1]", "unknown tag 'whale'", "left out"
    )
    assert_warning(
        problems, "projects/f/foo.yaml", "blockchain[1].networks", "no known network", "entry is left out"
    )
    assert_warning(problems, "projects/f/foo.yaml", "blockchain[2].networks", "read as [any_evm] alone")
    assert [(a.address[-2:], a.networks, a.tags) for a in registry.project("foo").blockchain] == [
        ("42", ("base",), ("contract",)),
        ("bb", ("any_evm",), ("eoa",)),
    ]


def test_an_address_listed_twice_in_a_project_is_kept_once_with_both_tags(tmp_path: Path) -> None:
    body = """\
    blockchain:
      - address: "0x4200000000000000000000000000000000000042"
        networks: [optimism]
        tags: [contract]
      - address: "0x4200000000000000000000000000000000000042"
        networks: [optimism, base]
        tags: [deployer]
    """
    registry, problems = warnings_of(tmp_path, {"projects/f/foo.yaml": project_yaml("foo", body)})
    assert_warning(
        problems, "projects/f/foo.yaml", "blockchain[1].networks", "line 9:", "on optimism is listed twice"
    )
    assert [(a.networks, a.tags) for a in registry.project("foo").blockchain] == [
        (("optimism",), ("contract", "deployer")),
        (("base",), ("deployer",)),
    ]


def test_bad_websites_and_wrong_types_are_left_out(tmp_path: Path) -> None:
    body = """\
    description: 42
    websites:
      - url: ftp://foo.org
      - url: https://foo
      - url: https://foo.org
    social: [twitter]
    github: https://github.com/foo
    comments: [fine, {not: text}]
    """
    registry, problems = warnings_of(tmp_path, {"projects/f/foo.yaml": project_yaml("foo", body)})
    assert_warning(problems, "projects/f/foo.yaml", "websites[0].url", "is not a web address", "left out")
    assert_warning(problems, "projects/f/foo.yaml", "websites[1].url", "has no host name", "left out")
    assert_warning(problems, "projects/f/foo.yaml", "social", "line 9:", "must be a mapping", "left out")
    assert_warning(problems, "projects/f/foo.yaml", "github", "must be a list", "left out")
    assert_warning(problems, "projects/f/foo.yaml", "comments[1]", "must be text", "left out")
    foo = registry.project("foo")
    assert (foo.description, foo.websites, foo.github, foo.comments) == (
        "42",
        ("https://foo.org",),
        (),
        ("fine",),
    )


def test_package_and_funding_urls_become_artifacts(tmp_path: Path) -> None:
    body = """\
    npm:
      - url: https://www.npmjs.com/package/@Scope/Pkg
      - url: https://www.npmjs.com/package/lodash
      - url: https://www.npmjs.com/package/@scope/pkg/v/1.0.0
      - url: https://www.npmjs.com/~someone
    crates:
      - url: https://crates.io/crates/Serde
    pypi:
      - url: https://pypi.org/project/Py_Solc.X/
    go:
      - url: https://github.com/Supranational/blst.git
      - url: https://pkg.go.dev/golang.org/x/net
    open_collective:
      - url: https://opencollective.com/babel
    defillama:
      - url: https://defillama.com/protocol/bunni-v2
      - url: https://defillama.com/chain/Ethereum
    token_coingecko_api_id: bunni
    """
    registry, problems = warnings_of(tmp_path, {"projects/f/foo.yaml": project_yaml("foo", body)})
    foo = registry.project("foo")
    # The npm URL with /v/1.0.0 names the same package as the first one: kept once.
    assert [(a.source, a.kind, a.namespace, a.name, a.url) for a in foo.url_artifacts] == [
        ("NPM", "PACKAGE", "scope", "pkg", "https://www.npmjs.com/package/@Scope/Pkg"),
        ("NPM", "PACKAGE", None, "lodash", "https://www.npmjs.com/package/lodash"),
        ("CRATES", "PACKAGE", None, "serde", "https://crates.io/crates/Serde"),
        ("PYPI", "PACKAGE", None, "py-solc-x", "https://pypi.org/project/Py_Solc.X/"),
        ("GO", "PACKAGE", None, "github.com/supranational/blst", "https://github.com/Supranational/blst.git"),
        ("GO", "PACKAGE", None, "golang.org/x/net", "https://pkg.go.dev/golang.org/x/net"),
        ("OPEN_COLLECTIVE", "COLLECTIVE", None, "babel", "https://opencollective.com/babel"),
        ("DEFILLAMA", "PROTOCOL", None, "bunni-v2", "https://defillama.com/protocol/bunni-v2"),
    ]
    assert foo.token_coingecko_api_id == "bunni"
    assert_warning(
        problems, "projects/f/foo.yaml", "npm[2].url", "npm scope/pkg is listed twice", "kept once"
    )
    assert_warning(problems, "projects/f/foo.yaml", "npm[3].url", "line 8:", "not a npm URL", "left out")
    assert_warning(
        problems, "projects/f/foo.yaml", "defillama[1].url", "https://defillama.com/protocol/<slug>"
    )
    assert len(problems) == 3


def test_collection_repeats_and_empty_collections_are_warnings(tmp_path: Path) -> None:
    files = {
        "projects/f/foo.yaml": project_yaml("foo"),
        "collections/c.yaml": "version: 7\nname: c\ndisplay_name: C\nprojects: [foo, foo]\ncomments: [why]\n",
        "collections/e.yaml": "version: 7\nname: e\ndisplay_name: E\nprojects: []\n",
    }
    registry, problems = warnings_of(tmp_path, files)
    assert_warning(
        problems, "collections/c.yaml", "projects[1]", "line 4:", "listed twice (also projects[0])"
    )
    assert_warning(problems, "collections/e.yaml", "projects", "lists no project")
    assert [(c.name, c.projects, c.comments) for c in registry.collections] == [
        ("c", ("foo",), ("why",)),
        ("e", (), ()),
    ]
    # The empty collection still reaches the raw table: one row without a member.
    con = connect(tmp_path / "warehouse.duckdb")
    write_registry(con, registry)
    assert con.execute(
        "select collection_name, project_name, comments from raw.registry_collections order by 1"
    ).fetchall() == [("c", "foo", ["why"]), ("e", None, [])]


def test_strict_turns_every_warning_into_an_error(tmp_path: Path) -> None:
    registry_dir = make_registry(
        tmp_path, {"projects/f/foo.yaml": project_yaml("foo", "github:\n  - url: https://github.com/foo/\n")}
    )
    assert load_registry(registry_dir, SEEDS).warnings
    with pytest.raises(RegistryError, match="0 error\\(s\\) and 1 warning\\(s\\)") as info:
        load_registry(registry_dir, SEEDS, strict=True)
    assert [p.field for p in info.value.problems] == ["github[0].url"]


# ---------------------------------------------------------------------------------------------------------------
# claims across projects
# ---------------------------------------------------------------------------------------------------------------


def test_a_repo_inside_another_projects_org_belongs_to_the_project_listing_it(tmp_path: Path) -> None:
    files = {
        "projects/b/bigcorp.yaml": project_yaml("bigcorp", "github:\n  - url: https://github.com/BigCorp\n"),
        "projects/w/widget.yaml": project_yaml(
            "widget", "github:\n  - url: https://github.com/bigcorp/widget\n"
        ),
    }
    registry, problems = warnings_of(tmp_path, files)
    assert_warning(
        problems, "projects/w/widget.yaml", "github[0].url", "line 5:", "lies inside the org 'bigcorp'",
        "projects/b/bigcorp.yaml, github[0].url (line 5)", "belongs to 'widget'", "'bigcorp' keeps the org's other",
    )  # fmt: skip
    assert len(problems) == 1
    tracked = registry.tracked_github()
    assert tracked.owner_of("BigCorp/Widget") == "widget"
    assert tracked.owner_of("bigcorp/other") == "bigcorp"


def test_one_artifact_in_two_projects_stays_with_the_first_name(tmp_path: Path) -> None:
    """zeta sorts after alpha: every artifact both list stays with alpha and is left out of zeta. The org is spelled
    in two cases (as in the real registry), the address is on optimism in both (and on base only in zeta, which
    zeta keeps)."""
    address = "0x4200000000000000000000000000000000000042"
    alpha = f"""\
    github:
      - url: https://github.com/Shared-Org
      - url: https://github.com/x/repo
    npm:
      - url: https://www.npmjs.com/package/shared
    blockchain:
      - address: "{address}"
        networks: [optimism]
        tags: [contract]
    """
    zeta = f"""\
    github:
      - url: https://github.com/shared-org
      - url: https://github.com/X/Repo
      - url: https://github.com/zeta/own
    npm:
      - url: https://www.npmjs.com/package/shared
    blockchain:
      - address: "{address.upper().replace("0X", "0x")}"
        networks: [optimism, base]
        tags: [contract]
    """
    files = {
        "projects/z/zeta.yaml": project_yaml("zeta", zeta),
        "projects/a/alpha.yaml": project_yaml("alpha", alpha),
    }
    registry, problems = warnings_of(tmp_path, files)
    for field_name, what in [
        ("github[0].url", "organization shared-org"),
        ("github[1].url", "repository x/repo"),
        ("npm[0].url", "npm shared"),
        ("blockchain[0].address", f"address {address} on optimism"),
    ]:
        assert_warning(
            problems, "projects/z/zeta.yaml", field_name, what, "also claimed by project 'alpha'",
            "projects/a/alpha.yaml", "left out of 'zeta'",
        )  # fmt: skip
    assert len(problems) == 4
    zeta_project = registry.project("zeta")
    assert [a.key for a in zeta_project.github] == ["zeta/own"]
    assert zeta_project.url_artifacts == ()
    assert [(a.address, a.networks) for a in zeta_project.blockchain] == [(address, ("base",))]
    assert registry.tracked_github().owner_of("Shared-Org/anything") == "alpha"


def test_an_address_on_a_network_wins_over_another_projects_any_evm(tmp_path: Path) -> None:
    address = "0x00000000000000000000000000000000000000aa"
    files = {
        "projects/a/alpha.yaml": project_yaml(
            "alpha", f'blockchain:\n  - address: "{address}"\n    networks: [any_evm]\n    tags: [eoa]\n'
        ),
        "projects/z/zeta.yaml": project_yaml(
            "zeta", f'blockchain:\n  - address: "{address}"\n    networks: [optimism]\n    tags: [eoa]\n'
        ),
    }
    registry, problems = warnings_of(tmp_path, files)
    assert_warning(
        problems, "projects/z/zeta.yaml", "blockchain[0].address", "listed on any_evm by project 'alpha'",
        "on optimism it belongs to 'zeta'", "to 'alpha' on the other networks",
    )  # fmt: skip
    # Both claims are written; dbt's int_artifacts_by_project ranks the specific one first.
    assert registry.project("alpha").blockchain[0].networks == ("any_evm",)
    assert registry.project("zeta").blockchain[0].networks == ("optimism",)


def test_the_same_address_on_different_networks_is_no_conflict(tmp_path: Path) -> None:
    address = "0x00000000000000000000000000000000000000aa"
    files = {
        "projects/a/alpha.yaml": project_yaml(
            "alpha", f'blockchain:\n  - address: "{address}"\n    networks: [base]\n    tags: [eoa]\n'
        ),
        "projects/z/zeta.yaml": project_yaml(
            "zeta", f'blockchain:\n  - address: "{address}"\n    networks: [optimism]\n    tags: [eoa]\n'
        ),
    }
    _, problems = check_registry(make_registry(tmp_path, files), SEEDS)
    assert problems == []


def test_a_project_listing_an_org_and_a_repo_in_it_keeps_both(tmp_path: Path) -> None:
    body = "github:\n  - url: https://github.com/acme\n  - url: https://github.com/acme/widget\n"
    registry_dir = make_registry(tmp_path, {"projects/a/acme.yaml": project_yaml("acme", body)})
    registry, problems = check_registry(registry_dir, SEEDS)
    assert problems == []
    assert [a.key for a in registry.project("acme").github] == ["acme", "acme/widget"]


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


def test_known_values_come_from_the_seeds(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "blockchain_networks.csv").write_text("network,chain_id,description\ntestnet,1,a test chain\n")
    (seeds / "blockchain_tags.csv").write_text("tag,description\nwhale,a big holder\n")
    body = 'blockchain:\n  - address: "0x4200000000000000000000000000000000000042"\n'
    body += "    networks: [testnet, optimism]\n    tags: [whale]\n"
    registry_dir = make_registry(tmp_path, {"projects/f/foo.yaml": project_yaml("foo", body)})
    registry, problems = check_registry(registry_dir, seeds)
    assert [(p.field, p.severity) for p in problems] == [("blockchain[0].networks[1]", "warning")]
    assert registry.project("foo").blockchain[0].networks == ("testnet",)


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

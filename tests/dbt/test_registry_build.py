"""The real oss-directory sample (tests/fixtures/oss-directory) through the loader and dbt: every artifact kind
reaches artifacts_v1 with its deterministic id, and each artifact belongs to one project.

A real DuckDB file in tmp_path: `write_registry` of the sample, then `dbt build --warn-error` of the registry
models and the directory marts (their tests included), the raw event tables empty.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from ingestion.ids import artifact_id
from ingestion.registry import load_registry, write_registry
from ingestion.warehouse import connect

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "fixtures" / "oss-directory" / "data"


def test_the_real_sample_builds_every_artifact_kind(
    tmp_path: Path, dbt_project_dir: Path, duckdb_profiles_dir: Path
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    con = connect(warehouse)
    write_registry(con, load_registry(SAMPLE, ROOT / "seeds"))
    con.close()
    env = {
        **os.environ,
        "IMPACT_DUCKDB_PATH": str(warehouse),
        "IMPACT_DBT_TARGET": "local",
        "DBT_PROFILES_DIR": str(duckdb_profiles_dir),
    }
    dbt = Path(sys.executable).parent / "dbt"
    select = "+artifacts_v1 +artifacts_by_project_v1 +projects_by_collection_v1 +projects_v1 +collections_v1"
    result = subprocess.run(
        [str(dbt), "--quiet", "build", "--warn-error", "--indirect-selection", "cautious", "--select",
         *select.split(), "blockchain_networks", "--project-dir", str(dbt_project_dir),
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr

    con = duckdb.connect(str(warehouse), read_only=True)
    by_source = dict(
        con.execute(
            "select artifact_source, count(*) from marts.artifacts_v1 "
            "where artifact_type in ('PACKAGE', 'COLLECTIVE', 'PROTOCOL') group by 1"
        ).fetchall()
    )
    # Counted with grep over the sample's project files: each URL once, no package in two projects.
    assert by_source == {"NPM": 337, "CRATES": 89, "DEFILLAMA": 9, "PYPI": 4, "GO": 2, "OPEN_COLLECTIVE": 2}
    # The ids are the Python twin's: 0xpolygon lists https://www.npmjs.com/package/@maticnetwork/maticjs, babel
    # https://opencollective.com/babel, c-kzg-4844-ethereum https://pypi.org/project/ckzg.
    rows = con.execute(
        "select artifact_id, project_name from marts.artifacts_by_project_v1 where "
        "(artifact_source = 'NPM' and artifact_name = 'maticjs') "
        "or (artifact_source = 'OPEN_COLLECTIVE' and artifact_name = 'babel') "
        "or (artifact_source = 'PYPI' and artifact_name = 'ckzg') order by project_name"
    ).fetchall()
    assert rows == [
        (artifact_id("NPM", "maticnetwork", "maticjs"), "0xpolygon"),
        (artifact_id("OPEN_COLLECTIVE", None, "babel"), "babel"),
        (artifact_id("PYPI", None, "ckzg"), "c-kzg-4844-ethereum"),
    ]
    assert con.execute(
        "select count(*) = count(distinct artifact_id) from marts.artifacts_by_project_v1"
    ).fetchone() == (True,)
    # 36 networks in the seed, each with its chain id (any_evm has none).
    assert con.execute("select count(*), count(chain_id) from seeds.blockchain_networks").fetchone() == (
        36,
        35,
    )
    con.close()

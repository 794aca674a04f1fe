"""dbt exposures: every dashboard the BI tool is built on reads marts only, and they exist.

Parses the real project (``dbt parse``, no database needed) and reads the manifest.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from ingest.core import grants
from ingest.core.paths import dbt_project_dir
from pipelines.dbt import dbt_executable

DBT_PROJECT = dbt_project_dir()


def test_exposures_depend_on_existing_marts_only(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    proc = subprocess.run(
        [dbt_executable(), "parse", "--project-dir", str(DBT_PROJECT),
         "--profiles-dir", str(DBT_PROJECT)],
        env=env, cwd=DBT_PROJECT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text(encoding="utf-8"))
    exposures = manifest["exposures"]
    assert len(exposures) == 5
    # The one schema the BI login may read (ingest/core/grants.py).
    bi_schemas = {s for s, roles in grants.GRANTS.items() if grants.BI_READER in roles}
    assert bi_schemas == {"marts"}
    for uid, exposure in exposures.items():
        assert exposure["type"] == "dashboard", uid
        nodes = exposure["depends_on"]["nodes"]
        assert nodes, uid
        for node in nodes:
            model = manifest["nodes"][node]
            assert model["schema"] in bi_schemas, (uid, node, model["schema"])
            assert model["config"]["materialized"] in {"table", "incremental", "view"}, node

"""Run the dbt project against the warehouse and load its results into ``dq.dbt_result``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from ingest.core import grants, paths, warehouse


@dataclass(frozen=True)
class DbtOutcome:
    returncode: int
    invocation_id: str | None
    results: int
    failed: list[str]

    @property
    def success(self) -> bool:
        return self.returncode == 0


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt(
    args: list[str],
    url: str | None = None,
    target_path: Path | None = None,
    check_since: str | None = None,
) -> DbtOutcome:
    """Run ``dbt <args>`` in a subprocess (dbt's own process, its logs to our stdout).

    ``check_since`` (an ISO timestamp): the data tests of the models that declare a
    ``check_window`` read only their rows from then on (``macros/check_window.sql``); it reaches
    dbt's connections as the session setting ``lantian.check_since``."""
    url = url or warehouse.warehouse_url()
    target = target_path or (warehouse.state_dir() / "dbt_target")
    session = warehouse.dbt_env(url)
    if check_since is not None:
        session["PGOPTIONS"] = f"{session['PGOPTIONS']} -c lantian.check_since={check_since}"
    env = {
        **os.environ,
        **session,
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(warehouse.state_dir() / "dbt_logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    cmd = [
        dbt_executable(),
        *args,
        "--project-dir",
        str(paths.dbt_project_dir()),
        "--profiles-dir",
        str(paths.dbt_project_dir()),
    ]
    proc = subprocess.run(cmd, env=env, cwd=paths.dbt_project_dir(), check=False)
    run_results = target / "run_results.json"
    if not run_results.exists():
        return DbtOutcome(proc.returncode, None, 0, [])
    payload = json.loads(run_results.read_text(encoding="utf-8"))
    invocation = payload["metadata"]["invocation_id"]
    failed = [
        f"{r['unique_id']} ({_first_line(r.get('message'))})"
        if r.get("message")
        else r["unique_id"]
        for r in payload["results"]
        if r["status"] in ("error", "fail", "runtime error")
    ]
    engine = warehouse.engine(url)
    store_results(engine, payload)
    # Tables dbt just (re)built carry the grants already when dbt ran as lantian_transformer
    # (default privileges); this covers any other creator, e.g. the local superuser run.
    grants.refresh(engine)
    return DbtOutcome(proc.returncode, invocation, len(payload["results"]), failed)


def _first_line(message: object) -> str:
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    return lines[0][:300] if lines else ""


def store_results(engine: sa.Engine, payload: dict) -> int:
    """Load one run_results.json into dq.dbt_result (idempotent per invocation)."""
    meta = payload["metadata"]
    rows = [
        {
            "inv": meta["invocation_id"],
            "uid": r["unique_id"],
            "rtype": r["unique_id"].split(".")[0],
            "name": r["unique_id"].split(".")[-1] if "." in r["unique_id"] else r["unique_id"],
            "status": str(r["status"]),
            "failures": r.get("failures"),
            "message": r.get("message"),
            "secs": r.get("execution_time"),
            "gen": meta["generated_at"],
        }
        for r in payload["results"]
    ]
    with engine.begin() as conn:
        conn.execute(
            sa.text("delete from dq.dbt_result where invocation_id = :i"),
            {"i": meta["invocation_id"]},
        )
        if rows:
            conn.execute(
                sa.text(
                    "insert into dq.dbt_result (invocation_id, unique_id, resource_type, name, status,"
                    " failures, message, execution_seconds, generated_at) values (:inv, :uid, :rtype,"
                    " :name, :status, :failures, :message, :secs, :gen)"
                ),
                rows,
            )
    return len(rows)


def manifest(target_path: Path | None = None) -> dict:
    """The dbt manifest of the last dbt command that wrote ``target_path`` (default: the
    transform's target folder); empty when dbt has not run there yet."""
    path = (target_path or (warehouse.state_dir() / "dbt_target")) / "manifest.json"
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def relations_selected(selectors: list[str], target_path: Path | None = None) -> list[str]:
    """``schema.name`` of every model a list of ``name+`` / ``name`` selectors selects (the model
    and, with ``+``, everything built on it), from the manifest; sorted."""
    doc = manifest(target_path)
    nodes = doc.get("nodes", {})
    children = doc.get("child_map", {})
    by_name = {n["name"]: uid for uid, n in nodes.items() if n.get("resource_type") == "model"}
    chosen: set[str] = set()
    for selector in selectors:
        uid = by_name.get(selector.strip("+"))
        if uid is None:
            continue
        todo = [uid]
        while todo:
            current = todo.pop()
            if current in chosen:
                continue
            chosen.add(current)
            if selector.endswith("+"):
                todo.extend(c for c in children.get(current, []) if c in nodes)
    return sorted(
        f"{nodes[u]['schema']}.{nodes[u]['name']}"
        for u in chosen
        if nodes[u].get("resource_type") == "model"
    )

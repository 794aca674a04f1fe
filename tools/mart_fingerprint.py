#!/usr/bin/env python3
"""Fingerprint every mart of the default sample built at a git revision, and compare two builds.

A redesign must not change one figure: this builds the default sample with the main command
(``python3 lantian.py run``) on a checkout of each revision (its own venv, state folder and
warehouse database), hashes every row of every relation of the schemas ``marts``, ``lineage`` and
``quarantine`` (md5 of the row's text over its columns, sorted), and compares.

    python3 tools/mart_fingerprint.py build --rev 1d919f3 --out /tmp/old.json
    python3 tools/mart_fingerprint.py build --rev HEAD --out /tmp/new.json
    python3 tools/mart_fingerprint.py compare /tmp/old.json /tmp/new.json
    python3 tools/mart_fingerprint.py compare /tmp/old.json /tmp/new.json \
        --rename marts.a_source=lineage.a_source+lineage.b_source

``--rename OLD=NEW`` compares the old relation OLD with NEW of the new build: a relation that
moved or was renamed; ``NEW1+NEW2`` with the rows of several new relations together (one split
into several with the same columns).

Columns that say when or by which run a row was produced, not what it says (load and run times,
run ids, report paths), are left out of the hashes and listed in the output. ``--server`` names a
PostgreSQL server URL (a database per build is created there); without it each build uses the
embedded warehouse in its state folder. Standard library only, apart from the ``psql`` client.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCHEMAS = ("marts", "lineage", "quarantine")
# when or by which run a row was produced: not part of what a mart says
VOLATILE = re.compile(
    r"^(loaded|finished|started|run|generated|quarantined|received|first_received|last_received"
    r"|detected|snapshotted|validated|created|updated|built)_at$"
    r"|^(pipeline_run|run_id|invocation_id|dbt_invocation_id|report_path|loaded_by)$"
    # when a version became current and stopped being current: the load times of its batches
    r"|^current_(from|until)$"
    # the highest raw batch the warehouse held when an incremental model (re)built the row
    r"|^raw_batch_watermark$"
)


def _run(cmd: list[str], **kwargs: object) -> str:
    proc = subprocess.run(cmd, check=False, text=True, capture_output=True, **kwargs)  # type: ignore[call-overload]
    if proc.returncode != 0:
        sys.exit(
            f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout[-4000:]}{proc.stderr[-4000:]}"
        )
    return proc.stdout


def _psql(url: str, sql: str) -> list[list[str]]:
    out = _run(["psql", url, "-X", "-A", "-t", "-F", "\x1f", "-c", sql])
    return [line.split("\x1f") for line in out.splitlines() if line]


def fingerprint(url: str) -> dict[str, dict[str, object]]:
    """Per relation: the columns hashed, the columns left out, the row count and the digest of
    the sorted row hashes (and the row hashes, to locate differences)."""
    relations = _psql(
        url,
        "select table_schema || '.' || table_name from information_schema.tables"
        f" where table_schema in ({', '.join(repr(s) for s in SCHEMAS)}) order by 1",
    )
    result: dict[str, dict[str, object]] = {}
    for (relation,) in relations:
        schema, name = relation.split(".")
        columns = [
            c
            for (c,) in _psql(
                url,
                "select column_name from information_schema.columns where table_schema = "
                f"'{schema}' and table_name = '{name}' order by column_name",
            )
        ]
        kept = [c for c in columns if not VOLATILE.match(c)]
        row_text = " || '\x1e' || ".join(f"coalesce(\"{c}\"::text, '<null>')" for c in kept) or "''"
        hashes = [
            h
            for (h,) in _psql(
                url, f'select md5({row_text}) as h from "{schema}"."{name}" order by h'
            )
        ]
        digest = _run(["md5sum"], input="\n".join(hashes)).split()[0]
        result[relation] = {
            "columns": kept,
            "left_out": [c for c in columns if c not in kept],
            "rows": len(hashes),
            "digest": digest,
            "row_hashes": hashes,
        }
    return result


def build(rev: str, out: Path, server: str | None, keep: bool) -> None:
    work = Path(tempfile.mkdtemp(prefix="lantian-fingerprint-"))
    checkout = work / "repo"
    _run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(checkout), rev])
    # the tests and the main command read ../shared beside the checkout
    shared = REPO.parent / "shared"
    if shared.is_dir():
        (work / "shared").symlink_to(shared)
    env = {**os.environ, "LANTIAN_STATE": str(work / "state")}
    env.pop("LANTIAN_VENV", None)
    url = None
    try:
        if server:
            db = "lantian_fp_" + re.sub(r"\W", "_", rev)[:40]
            _psql(server, f'drop database if exists "{db}" with (force)')
            _psql(server, f'create database "{db}"')
            url = server.rsplit("/", 1)[0] + "/" + db
            env["WAREHOUSE_URL"] = url
        print(f"[fingerprint] {rev}: python3 lantian.py run in {checkout}", flush=True)
        proc = subprocess.run(
            [sys.executable, "lantian.py", "run"], cwd=checkout, env=env, check=False, text=True,
            capture_output=True,
        )  # fmt: skip
        (work / "run.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
        if proc.returncode != 0:
            sys.exit(f"the main command failed at {rev}: see {work / 'run.log'}")
        if url is None:  # the embedded warehouse: the run prints its URL
            found = re.search(r"embedded warehouse: (postgresql://\S+)", proc.stdout)
            if not found:
                sys.exit(f"no warehouse URL in the run's output: see {work / 'run.log'}")
            url = found.group(1)
        prints = fingerprint(url)
        out.write_text(json.dumps({"rev": rev, "relations": prints}, indent=1), encoding="utf-8")
        print(f"[fingerprint] {len(prints)} relations -> {out}")
    finally:
        subprocess.run(
            [sys.executable, "lantian.py", "stop"],
            cwd=checkout,
            env=env,
            check=False,
            capture_output=True,
        )
        if not keep:
            _run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(checkout)])
            shutil.rmtree(work, ignore_errors=True)


def _merge(parts: list[dict[str, object]]) -> dict[str, object]:
    """The new relations of one rename as one: their rows together (columns must agree)."""
    columns = parts[0]["columns"]
    if any(p["columns"] != columns for p in parts):
        columns = sorted({c for p in parts for c in p["columns"]})  # type: ignore[attr-defined]
    hashes = sorted(h for p in parts for h in p["row_hashes"])  # type: ignore[attr-defined]
    return {
        "columns": columns,
        "left_out": parts[0]["left_out"],
        "rows": len(hashes),
        "digest": _run(["md5sum"], input="\n".join(hashes)).split()[0],
        "row_hashes": hashes,
    }


def compare(old_path: Path, new_path: Path, renames: list[str] | None = None) -> int:
    old = json.loads(old_path.read_text(encoding="utf-8"))
    new = json.loads(new_path.read_text(encoding="utf-8"))
    a, b = old["relations"], dict(new["relations"])
    print(f"old {old['rev']}: {len(a)} relations; new {new['rev']}: {len(b)} relations")
    differ = 0
    for rename in renames or []:
        old_name, _, new_names = rename.partition("=")
        targets = [n for n in new_names.split("+") if n]
        missing = [n for n in targets if n not in b]
        if not old_name or not targets or missing:
            sys.exit(f"--rename {rename}: expected OLD=NEW[+NEW...] of relations in the new build")
        b[old_name] = _merge([b.pop(n) for n in targets])
        print(f"renamed   {old_name} -> {' + '.join(targets)}")
    for relation in sorted(set(a) | set(b)):
        if relation not in b:
            print(f"ONLY OLD  {relation} ({a[relation]['rows']} rows)")
            differ += 1
            continue
        if relation not in a:
            print(f"ONLY NEW  {relation} ({b[relation]['rows']} rows)")
            differ += 1
            continue
        x, y = a[relation], b[relation]
        if x["columns"] != y["columns"]:
            print(
                f"COLUMNS   {relation}: only old {sorted(set(x['columns']) - set(y['columns']))},"
                f" only new {sorted(set(y['columns']) - set(x['columns']))}"
            )
            differ += 1
        elif x["digest"] != y["digest"]:
            gone = len(set(x["row_hashes"]) - set(y["row_hashes"]))
            came = len(set(y["row_hashes"]) - set(x["row_hashes"]))
            print(f"ROWS      {relation}: {x['rows']} -> {y['rows']} rows, {gone} gone, {came} new")
            differ += 1
        else:
            print(f"same      {relation} ({x['rows']} rows)")
    print("identical" if differ == 0 else f"{differ} relation(s) differ")
    return 1 if differ else 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_build = sub.add_parser(
        "build", help="build the default sample at a revision and fingerprint it"
    )
    p_build.add_argument("--rev", required=True)
    p_build.add_argument("--out", required=True, type=Path)
    p_build.add_argument("--server", help="PostgreSQL server URL (default: the embedded warehouse)")
    p_build.add_argument("--keep", action="store_true", help="keep the checkout and its state")
    p_cmp = sub.add_parser("compare", help="compare two fingerprints")
    p_cmp.add_argument("old", type=Path)
    p_cmp.add_argument("new", type=Path)
    p_cmp.add_argument(
        "--rename",
        action="append",
        default=[],
        metavar="OLD=NEW[+NEW...]",
        help="compare old relation OLD with new relation(s) NEW (moved, renamed or split)",
    )
    args = parser.parse_args()
    if args.command == "build":
        build(args.rev, args.out, args.server, args.keep)
    else:
        sys.exit(compare(args.old, args.new, args.rename))


if __name__ == "__main__":
    main()

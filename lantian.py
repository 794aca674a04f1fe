#!/usr/bin/env python3
"""Lantian's one command: ``python3 lantian.py run`` and ``python3 lantian.py test``.

Standard library only, so it runs on a fresh machine with nothing but Python 3.11: it creates
``.venv``, installs the pinned set (``constraints.txt``) once (again only when the pins change),
then drives the real components: the sample generator, the warehouse (embedded PostgreSQL unless
``WAREHOUSE_URL`` is set), Airflow 3 (``airflow dags test`` with a local metadata DB in the state
folder), dbt and Great Expectations.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parent
VENV = Path(os.environ.get("LANTIAN_VENV", REPO / ".venv"))
STATE = Path(os.environ.get("LANTIAN_STATE", REPO / ".lantian")).resolve()
BIN = VENV / "bin"
PINS = ("constraints.txt", "pyproject.toml")
# verbs handed to the project's CLI in the venv (python -m pipelines <verb> --help says more)
INTERNAL_VERBS = {
    "summary": "print the run summary (batches, records, mart rows, validation, report)",
    "validate": "run a data-quality suite or stage on the warehouse (--help for options)",
    "url": "print the warehouse URL (starts the embedded warehouse if needed)",
    "migrate": "apply pending warehouse migrations",
    "retention": "drop expired HJ 212 minute / real-time partitions (audited; --dry-run, --days)",
}


def say(message: str) -> None:
    print(f"[lantian] {message}", flush=True)


def ensure_env() -> None:
    """Create the venv and install the pinned dependencies when missing or out of date."""
    digest = hashlib.sha256(b"".join((REPO / name).read_bytes() for name in PINS)).hexdigest()
    stamp = VENV / ".lantian-installed"
    if stamp.exists() and stamp.read_text().strip() == digest:
        return
    if sys.version_info[:2] != (3, 11):
        say(f"warning: pinned for Python 3.11, running {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        say(f"creating virtual environment {VENV}")
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
    say("installing pinned dependencies (constraints.txt); first time takes about a minute")
    run([str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-c", "constraints.txt", "-e", ".[dev]"])  # fmt: skip
    stamp.write_text(digest)


def run(cmd: list[str], env: dict[str, str] | None = None, capture: bool = False) -> str:
    proc = subprocess.run(
        cmd, cwd=REPO, env=env, check=False, text=True,
        stdout=subprocess.PIPE if capture else None,
    )  # fmt: skip
    if proc.returncode != 0:
        say(f"FAILED ({proc.returncode}): {' '.join(cmd)}")
        sys.exit(proc.returncode)
    return proc.stdout or ""


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "LANTIAN_STATE": str(STATE),
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            "AIRFLOW_HOME": str(STATE / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{STATE / 'airflow' / 'airflow.db'}",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": env.get(
                "AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING"
            ),
            "GX_ANALYTICS_ENABLED": "false",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "PYTHONWARNINGS": "ignore",
            "XDG_RUNTIME_DIR": str(STATE / "runtime"),
        }
    )
    (STATE / "runtime").mkdir(parents=True, exist_ok=True)
    return env


def ensure_airflow(env: dict[str, str]) -> None:
    marker = STATE / "airflow" / ".db-migrated"
    (STATE / "airflow").mkdir(parents=True, exist_ok=True)
    if not marker.exists():
        say("initialising the local Airflow metadata DB (SQLite in the state folder)")
        run([str(BIN / "airflow"), "db", "migrate"], env, capture=True)
        marker.touch()


def cmd_run(args: argparse.Namespace) -> None:
    ensure_env()
    STATE.mkdir(parents=True, exist_ok=True)
    env = base_env()
    python = str(BIN / "python")
    if args.inbox:
        inbox = Path(args.inbox).resolve()
    else:
        inbox = STATE / "sample_inbox"
        say(f"generating the sample inbox from config/city_profile.yaml into {inbox}")
        run([python, "-m", "samples.station", "--profile", "config/city_profile.yaml",
             "--out", str(inbox)], env)  # fmt: skip
        say("generating HJ 212 packet logs (CEMS outlets, dust monitors) into the same inbox")
        run([python, "-m", "samples.hj212", "--profile", "config/city_profile.yaml",
             "--out", str(inbox)], env, capture=True)  # fmt: skip
        say("generating the bureau workbooks (xlsx, every form) into the same inbox")
        run([python, "-m", "samples.forms", "--profile", "config/city_profile.yaml",
             "--out", str(inbox)], env, capture=True)  # fmt: skip
    env["LANTIAN_INBOX"] = str(inbox)
    if not env.get("WAREHOUSE_URL"):
        env["WAREHOUSE_URL"] = run([python, "-m", "pipelines", "url"], env, capture=True).strip()
        say(f"embedded warehouse: {env['WAREHOUSE_URL']} (stop it with: python3 lantian.py stop)")
    else:
        say("warehouse from WAREHOUSE_URL")
    run([python, "-m", "pipelines", "migrate"], env, capture=True)
    start, end = args.start, args.end
    if not (start and end):
        span = json.loads(
            run([python, "-m", "pipelines", "interval", "--inbox", str(inbox)], env, capture=True)
        )
        start, end = start or span["start"], end or span["end"]
    say(f"interval {start} .. {end}")
    ensure_airflow(env)
    logical = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    conf = json.dumps({"interval_start": start, "interval_end": end})
    say("Airflow: lantian_station_ingest (loads every inbox file of the interval)")
    # an ingest run's logical date must stand for an hour inside the interval it loads
    # (pipelines.settings.run_interval): the interval's end, whose hour is its last
    run([str(BIN / "airflow"), "dags", "test", "lantian_station_ingest", end, "-c", conf], env)
    if (inbox / "hj212").is_dir():
        say("Airflow: lantian_hj212_ingest (packet logs of the interval, plus its closing hour)")
        closing = dt.datetime.fromisoformat(end) + dt.timedelta(hours=1)
        hj212_conf = json.dumps({"interval_start": start, "interval_end": closing.isoformat()})
        run(
            [
                str(BIN / "airflow"),
                "dags",
                "test",
                "lantian_hj212_ingest",
                closing.isoformat(),
                "-c",
                hj212_conf,
            ],
            env,
        )
    if (inbox / "forms").is_dir():
        say("Airflow: lantian_forms_ingest (every bureau workbook of the inbox)")
        forms_conf = json.dumps({"load_all": True})
        run(
            [
                str(BIN / "airflow"),
                "dags",
                "test",
                "lantian_forms_ingest",
                logical,
                "-c",
                forms_conf,
            ],
            env,
        )
    say("Airflow: lantian_transform (dbt below the marts, GX gate, marts, GX coverage)")
    run([str(BIN / "airflow"), "dags", "test", "lantian_transform", logical], env)
    say("summary")
    print(run([python, "-m", "pipelines", "summary"], env, capture=True), flush=True)


def cmd_test(args: argparse.Namespace) -> None:
    ensure_env()
    env = base_env()
    env.pop("LANTIAN_STATE", None)
    say("lint: ruff check, ruff format --check, sqlfluff lint")
    run([str(BIN / "ruff"), "check", "."], env)
    run([str(BIN / "ruff"), "format", "--check", "."], env)
    run([str(BIN / "sqlfluff"), "lint", "dbt_project/models", "dbt_project/macros"], env)
    say("pytest")
    run([str(BIN / "pytest"), *args.pytest_args], env)


def cmd_stop(_: argparse.Namespace) -> None:
    if (BIN / "python").exists():
        run([str(BIN / "python"), "-m", "pipelines", "stop"], base_env())


def cmd_internal(args: argparse.Namespace) -> None:
    """A verb of the project's own CLI (``python -m pipelines``), run in the venv."""
    ensure_env()
    run([str(BIN / "python"), "-m", "pipelines", args.command, *args.rest], base_env())


def cmd_receive(args: argparse.Namespace) -> None:
    """The HJ 212 receiver (``python -m receiver``; settings from the environment, README
    "HJ 212 receiver"), in the venv, in the foreground until Ctrl-C / SIGTERM."""
    ensure_env()
    env = base_env()
    env.setdefault("LANTIAN_INBOX", str(STATE / "sample_inbox"))
    proc = subprocess.Popen([str(BIN / "python"), "-m", "receiver"], cwd=REPO, env=env)
    try:
        code = proc.wait()
    except KeyboardInterrupt:  # the receiver got the same SIGINT: let it finish its batch
        code = proc.wait()
    sys.exit(code)


def cmd_clean(_: argparse.Namespace) -> None:
    cmd_stop(_)
    shutil.rmtree(STATE, ignore_errors=True)
    say(f"removed {STATE}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python3 lantian.py", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="install, then run the pipeline end to end")
    p_run.add_argument("--inbox", help="inbox folder (default: generated sample)")
    p_run.add_argument("--start", help="interval start, ISO 8601 (default: first file's hour)")
    p_run.add_argument("--end", help="interval end, ISO 8601 (default: last file's hour end)")
    p_run.set_defaults(func=cmd_run)
    p_test = sub.add_parser("test", help="install, then lint and run the test suite")
    p_test.add_argument("pytest_args", nargs="*", default=[])
    p_test.set_defaults(func=cmd_test)
    sub.add_parser("stop", help="stop the embedded warehouse").set_defaults(func=cmd_stop)
    sub.add_parser("clean", help="stop and delete the state folder").set_defaults(func=cmd_clean)
    sub.add_parser(
        "receive", help="run the HJ 212 receiver (devices connect over TCP; env LANTIAN_RECEIVER_*)"
    ).set_defaults(func=cmd_receive)
    for verb, what in INTERNAL_VERBS.items():
        p_verb = sub.add_parser(verb, help=what, add_help=False)
        p_verb.add_argument("rest", nargs=argparse.REMAINDER)
        p_verb.set_defaults(func=cmd_internal)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()

"""``python -m pipelines``: the commands ``lantian.py`` runs in the project's venv (internal: people
use ``python3 lantian.py <verb>``; compose's init runs ``migrate``)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from ingest.core import warehouse
from ingest.core.migrate import migrate
from ingest.station import load
from ingest.station import parse as ns
from pipelines import hj212_gaps, retention, validate
from pipelines.summary import summary


def inbox_interval(inbox: Path) -> dict[str, str]:
    """[first file's hour start, last file's hour end) over the station files of an inbox."""
    hours = [
        h
        for h in (ns.hour_of_file(p) for p in (inbox / load.FEED_FOLDER).rglob("*.csv"))
        if h is not None
    ]
    if not hours:
        raise SystemExit(
            f"{inbox}: no station files named YYYY-MM-DDTHH.csv under {load.FEED_FOLDER}/"
        )
    start = min(hours) - dt.timedelta(hours=1)
    return {"start": start.isoformat(), "end": max(hours).isoformat()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 lantian.py")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("url", help="print the warehouse URL (start the embedded server if needed)")
    sub.add_parser("migrate", help="apply pending DDL migrations")
    sub.add_parser("stop", help="stop the embedded warehouse of this state folder")
    sub.add_parser("summary", help="print the run summary")
    p_interval = sub.add_parser("interval", help="print the interval the inbox files cover (JSON)")
    p_interval.add_argument("--inbox", required=True, type=Path)
    validate.add_parser(sub)
    retention.add_parser(sub)
    hj212_gaps.add_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "validate":
        return validate.main(args)
    if args.command == "retention":
        return retention.main(warehouse.engine(), args)
    if args.command == "hj212-gaps":
        return hj212_gaps.main(warehouse.engine(), args)
    if args.command == "url":
        print(warehouse.warehouse_url())
    elif args.command == "migrate":
        print("applied:", migrate(warehouse.engine()) or "nothing new")
    elif args.command == "stop":
        print("stopped" if warehouse.stop_embedded() else "not running")
    elif args.command == "interval":
        print(json.dumps(inbox_interval(args.inbox)))
    elif args.command == "summary":
        print(summary(warehouse.warehouse_url()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

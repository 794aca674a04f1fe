"""The receiver's hourly packet logs: appended, fsynced, published by rename once the hour is over.

Layout (what :mod:`ingest.hj212.load` reads): ``<inbox>/hj212/<receiver>/YYYY-MM-DDTHH.log``,
named by the local hour (Asia/Shanghai) in which the bytes were received. While an hour is open
its file is ``.YYYY-MM-DDTHH.log.part`` in the same folder, a name the loader's ``*.log`` /
``YYYY-MM-DDTHH.log`` pattern never matches; once the hour is over it is renamed (atomic on one
file system) to its published name, so the ingest never reads a file that is still growing.
On start, any part of a past hour (left by a crash) is published first.

One line per accepted frame: ``@<receive time, ISO 8601 with ms and offset> <peer> <frame>\\r\\n``,
the frame exactly as received (``##`` .. CRC). The stamp is the receiver's and the file parser
skips it (:data:`ingest.hj212.framing.RECEIVER_STAMP`); it is how the data team sees when and
from where each packet came.

Packets refused for who sent them (unknown MN, bad PW) go to ``<quarantine>/YYYY-MM-DDTHH.log``
(not the inbox), stamped ``@<time> <peer> <reason> <frame>``.

Every write of a batch is followed by one ``fsync`` per file it touched (group commit) before
the receiver sends the batch's acknowledgements; a new file's folder is fsynced too, as is the
folder after a rename. All file work runs on one thread, so it happens in order.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from ingest.hj212.framing import RECEIVER_STAMP
from ingest.hj212.protocol import LOCAL_TZ

_PART = re.compile(r"^\.(\d{4}-\d{2}-\d{2}T\d{2})\.log\.part$")
HOUR = 3600


class Entry(NamedTuple):
    """One frame to append: the hour it was received in (epoch seconds of the hour's start),
    its line as written, and the reason when it goes to quarantine."""

    hour: int
    line: bytes
    quarantine: str | None = None


def hour_start(epoch: float) -> int:
    """Epoch seconds of the start of the local hour holding ``epoch`` (UTC+8 has whole hours)."""
    return int(epoch // HOUR * HOUR)


def hour_name(hour: int) -> str:
    return dt.datetime.fromtimestamp(hour, LOCAL_TZ).strftime("%Y-%m-%dT%H")


def stamp(epoch: float, peer: str) -> bytes:
    """``@2026-03-12T08:00:01.123+08:00 10.0.0.5:40211 `` (the line's prefix)."""
    moment = dt.datetime.fromtimestamp(epoch, LOCAL_TZ)
    return f"@{moment.isoformat(timespec='milliseconds')} {peer} ".encode()


def frames_of_log(data: bytes) -> Iterable[bytes]:
    """The frames of a log this journal wrote (for the resend dedupe after a restart)."""
    for line in data.split(b"\r\n"):
        match = RECEIVER_STAMP.match(line)
        if match:
            yield line[match.end() :]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """The hourly logs of one receiver. ``write`` and ``publish_due`` run on one thread."""

    def __init__(self, log_dir: Path, quarantine_dir: Path) -> None:
        self.log_dir = log_dir
        self.quarantine_dir = quarantine_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        quarantine_dir.mkdir(parents=True, exist_ok=True)
        self._open: dict[int, int] = {}  # hour -> fd of its part file
        self._quarantine: dict[int, int] = {}
        self.floor = 0  # hours before it are published: later frames go to the open hour
        self.published: list[str] = []

    def part_path(self, hour: int) -> Path:
        return self.log_dir / f".{hour_name(hour)}.log.part"

    def final_path(self, hour: int) -> Path:
        return self.log_dir / f"{hour_name(hour)}.log"

    def _fd(self, table: dict[int, int], hour: int, path: Path) -> int:
        fd = table.get(hour)
        if fd is None:
            existed = path.exists()
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            if not existed:
                _fsync_dir(path.parent)
            table[hour] = fd
        return fd

    def write(self, entries: list[Entry]) -> None:
        """Append the entries, then fsync every file touched (raises OSError on failure)."""
        logs: dict[int, list[bytes]] = {}
        held: dict[int, list[bytes]] = {}
        for entry in entries:
            if entry.quarantine is None:
                logs.setdefault(max(entry.hour, self.floor), []).append(entry.line)
            else:
                held.setdefault(entry.hour, []).append(entry.line)
        touched: list[int] = []
        for hour, lines in logs.items():
            fd = self._fd(self._open, hour, self.part_path(hour))
            os.write(fd, b"".join(lines))
            touched.append(fd)
        for hour, lines in held.items():
            path = self.quarantine_dir / f"{hour_name(hour)}.log"
            fd = self._fd(self._quarantine, hour, path)
            os.write(fd, b"".join(lines))
            touched.append(fd)
        for fd in touched:
            os.fsync(fd)

    def publish_due(self, now: float) -> list[Path]:
        """Publish every part of an hour before ``now``'s (rename), close old quarantine files."""
        current = hour_start(now)
        self.floor = max(self.floor, current)
        done: list[Path] = []
        for path in sorted(self.log_dir.glob(".*.log.part")):
            match = _PART.match(path.name)
            if not match:
                continue
            hour = int(
                dt.datetime.strptime(match.group(1), "%Y-%m-%dT%H")
                .replace(tzinfo=LOCAL_TZ)
                .timestamp()
            )
            if hour >= current:
                continue
            fd = self._open.pop(hour, None)
            if fd is not None:
                os.fsync(fd)
                os.close(fd)
            done.append(self._publish(path, self.final_path(hour)))
        for hour in [h for h in self._quarantine if h < current]:
            os.close(self._quarantine.pop(hour))
        self.published.extend(p.name for p in done)
        return done

    def _publish(self, part: Path, final: Path) -> Path:
        if final.exists():
            # never expected (an hour is published once); keep both contents, never lose one
            merged = final.with_name(f".{final.name}.merge")
            merged.write_bytes(final.read_bytes() + part.read_bytes())
            fd = os.open(merged, os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)
            os.replace(merged, final)
            part.unlink()
        else:
            os.replace(part, final)
        _fsync_dir(final.parent)
        return final

    def recent_frames(self, now: float) -> Iterable[bytes]:
        """Frames already written the last hour and this (to recognise a device's re-send of a
        packet stored before a crash but never acknowledged), oldest first."""
        current = hour_start(now)
        for hour in (current - HOUR, current):
            for path in (self.part_path(hour), self.final_path(hour)):
                if path.exists():
                    yield from frames_of_log(path.read_bytes())

    def close(self) -> None:
        for table in (self._open, self._quarantine):
            for fd in table.values():
                os.fsync(fd)
                os.close(fd)
            table.clear()

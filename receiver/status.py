"""What the receiver has seen: per device its last packet, packets by CN, rejects by reason and
whether it is connected; the totals. Served as JSON (``GET /status``) and written to
``<state>/receiver/status.json`` for the DQ report."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.hj212.protocol import LOCAL_TZ

STATUS_VERSION = 1


@dataclass
class DeviceStatus:
    last_packet: float | None = None
    peer: str | None = None
    st: str = "32"
    flag: int | None = None
    protocol: str | None = None
    connections: int = 0
    packets_by_cn: Counter[str] = field(default_factory=Counter)
    rejects: Counter[str] = field(default_factory=Counter)

    def as_json(self) -> dict[str, Any]:
        return {
            "connected": self.connections > 0,
            "last_packet": _iso(self.last_packet),
            "peer": self.peer,
            "protocol": self.protocol,
            "packets_by_cn": dict(sorted(self.packets_by_cn.items())),
            "rejects": dict(sorted(self.rejects.items())),
        }


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return dt.datetime.fromtimestamp(epoch, LOCAL_TZ).isoformat(timespec="seconds")


@dataclass
class Stats:
    receiver: str
    registry_mns: frozenset[str]
    started: float
    devices: dict[str, DeviceStatus] = field(default_factory=dict)
    rejects: Counter[str] = field(default_factory=Counter)
    totals: Counter[str] = field(default_factory=Counter)
    connections: int = 0
    max_frame_buffer: int = 0  # the largest a connection's frame buffer was after a read
    requests: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=200))
    published: deque[str] = field(default_factory=lambda: deque(maxlen=48))

    def device(self, mn: str) -> DeviceStatus:
        status = self.devices.get(mn)
        if status is None:
            status = self.devices[mn] = DeviceStatus()
        return status

    def reject(self, code: str, mn: str | None = None) -> None:
        self.rejects[code] += 1
        if mn is not None and mn in self.devices:
            self.devices[mn].rejects[code] += 1

    def as_json(self, now: float) -> dict[str, Any]:
        seen = set(self.devices)
        return {
            "status_version": STATUS_VERSION,
            "receiver": self.receiver,
            "generated": _iso(now),
            "started": _iso(self.started),
            "connections": self.connections,
            "max_frame_buffer": self.max_frame_buffer,
            "totals": dict(sorted(self.totals.items())),
            "rejects": dict(sorted(self.rejects.items())),
            "devices": {mn: self.devices[mn].as_json() for mn in sorted(self.devices)},
            "registry_devices": len(self.registry_mns),
            "registry_devices_never_seen": sorted(self.registry_mns - seen),
            "requests": list(self.requests),
            "published": list(self.published),
        }


def write_status_file(path: Path, document: dict[str, Any]) -> None:
    """Replace the status file atomically (a reader never sees half of it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)

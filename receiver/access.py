"""Who may send: the device registry's MNs with their access password, and a per-device rate.

HJ 212-2017 table 3: ``MN`` (设备唯一标识) names the device, ``PW`` (访问密码) is its access
password. The registry (``config/device_registry.csv``, read by
:func:`ingest.hj212.registry.read_registry`) lists the MNs; it holds no passwords (it is in the
repository, and secrets never are): they come from a file named by the environment
(``LANTIAN_RECEIVER_PASSWORDS``: CSV ``mn,pw``) and, for the devices without a row there, one
password from the environment (``LANTIAN_RECEIVER_DEFAULT_PW``).
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass, field
from pathlib import Path

from ingest.hj212.registry import read_registry


class AccessError(ValueError):
    """The registry or the password file is unusable; the message names the file and line."""


@dataclass
class DeviceAccess:
    """MN -> expected PW. ``verdict`` says why a packet may not be accepted, or None."""

    passwords: dict[str, str]

    def verdict(self, mn: str, pw: str | None) -> str | None:
        expected = self.passwords.get(mn)
        if expected is None:
            return "unknown_mn"
        if pw != expected:
            return "bad_pw"
        return None


def load_access(
    registry: Path, passwords_file: Path | None, default_pw: str | None
) -> DeviceAccess:
    """The registry's MNs, each with its password; raises AccessError (a device of the registry
    without any password is refused rather than let in without one)."""
    rows = read_registry(registry)
    per_device: dict[str, str] = {}
    if passwords_file is not None:
        try:
            text = passwords_file.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise AccessError(f"{passwords_file}: cannot read the password file: {exc}") from exc
        reader = csv.DictReader(io.StringIO(text))
        if not {"mn", "pw"} <= set(reader.fieldnames or []):
            raise AccessError(f"{passwords_file}: header must have columns mn,pw")
        for line, row in enumerate(reader, start=2):
            mn, pw = (row["mn"] or "").strip(), (row["pw"] or "").strip()
            if not mn or not pw:
                raise AccessError(f"{passwords_file}: line {line}: empty mn or pw")
            per_device[mn] = pw
    passwords: dict[str, str] = {}
    without: list[str] = []
    for row in rows:
        mn = str(row["mn"])
        pw = per_device.get(mn, default_pw)
        if pw:
            passwords[mn] = pw
        else:
            without.append(mn)
    if without:
        raise AccessError(
            f"{registry}: {len(without)} device(s) have no password (first: {without[0]}); set"
            " LANTIAN_RECEIVER_DEFAULT_PW or list them in LANTIAN_RECEIVER_PASSWORDS"
        )
    return DeviceAccess(passwords)


@dataclass
class TokenBucket:
    """``rate`` packets per second on average, bursts up to ``burst`` (a history replay)."""

    rate: float
    burst: float
    tokens: float = field(default=-1.0)
    stamp: float = field(default_factory=time.monotonic)

    def take(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        if self.tokens < 0:
            self.tokens = self.burst
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

"""The receiver's settings, from the environment (one place; README "HJ 212 receiver").

| variable | default | meaning |
|---|---|---|
| ``LANTIAN_RECEIVER_HOST`` | ``0.0.0.0`` | listen address for devices |
| ``LANTIAN_RECEIVER_PORT`` | ``9212`` | TCP port devices connect to |
| ``LANTIAN_RECEIVER_NAME`` | ``lantian-receiver`` | folder of its logs: ``<inbox>/hj212/<name>/`` |
| ``LANTIAN_INBOX`` | ``<state>/sample_inbox`` | the inbox the ingest reads |
| ``LANTIAN_STATE`` | ``.lantian`` | state folder: ``receiver/status.json``, ``receiver/quarantine`` |
| ``LANTIAN_RECEIVER_QUARANTINE`` | ``<state>/receiver/quarantine`` | packets of unknown devices / bad PW |
| ``LANTIAN_DEVICE_REGISTRY`` | ``config/device_registry.csv`` | which MNs may send |
| ``LANTIAN_RECEIVER_PASSWORDS`` | unset | CSV ``mn,pw`` (a secret: outside the repository) |
| ``LANTIAN_RECEIVER_DEFAULT_PW`` | unset | PW of registry devices without a row there |
| ``LANTIAN_RECEIVER_IDLE_TIMEOUT_S`` | ``600`` | close a connection silent this long |
| ``LANTIAN_RECEIVER_MAX_CONNECTIONS`` | ``20000`` | connections beyond are closed at once |
| ``LANTIAN_RECEIVER_READ_BUFFER`` | ``65536`` | bytes read per socket read (the frame buffer is bounded apart: 1036) |
| ``LANTIAN_RECEIVER_MAX_UNACKED`` | ``256`` | frames of one connection awaiting fsync before it stops reading |
| ``LANTIAN_RECEIVER_RATE`` / ``_BURST`` | ``20`` / ``600`` | per-device token bucket (packets/s, burst) |
| ``LANTIAN_RECEIVER_STATUS_HOST`` / ``_PORT`` | ``127.0.0.1`` / ``9213`` | HTTP status and control |
| ``LANTIAN_RECEIVER_STATUS_EVERY_S`` | ``10`` | how often status.json is rewritten |
| ``LANTIAN_RECEIVER_CLOCK_OFFSET_S`` | ``0`` | shift of the receiver's clock (drills and tests of hour publication) |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.core import paths


class ConfigError(ValueError):
    """A setting is not usable; the message names the variable."""


def _number(env: dict[str, str], name: str, default: float, kind: type, what: str) -> Any:
    """``env[name]`` as ``kind`` (``default`` when unset or empty); a bad value names it."""
    value = env.get(name)
    if value is None or value == "":
        return default
    try:
        return kind(value)
    except ValueError as exc:
        raise ConfigError(f"{name}={value!r} is not {what}") from exc


def _int(env: dict[str, str], name: str, default: int) -> int:
    return int(_number(env, name, default, int, "an integer"))


def _float(env: dict[str, str], name: str, default: float) -> float:
    return float(_number(env, name, default, float, "a number"))


@dataclass(frozen=True)
class ReceiverConfig:
    host: str
    port: int
    name: str
    inbox: Path
    state: Path
    quarantine: Path
    registry: Path
    passwords_file: Path | None
    default_pw: str | None
    idle_timeout_s: float
    max_connections: int
    read_buffer: int
    max_unacked: int
    rate: float
    burst: float
    status_host: str
    status_port: int
    status_every_s: float
    clock_offset_s: float

    @property
    def log_dir(self) -> Path:
        """``<inbox>/hj212/<name>/``: the folder the ingest reads (ingest/hj212/load.py)."""
        return self.inbox / "hj212" / self.name

    @property
    def status_file(self) -> Path:
        return self.state / "receiver" / "status.json"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ReceiverConfig:
        env = dict(os.environ if environ is None else environ)
        state = Path(env.get("LANTIAN_STATE") or paths.CHECKOUT / ".lantian").resolve()
        inbox = Path(env.get("LANTIAN_INBOX") or state / "sample_inbox").resolve()
        name = env.get("LANTIAN_RECEIVER_NAME") or "lantian-receiver"
        if "/" in name or name.startswith("."):
            raise ConfigError(f"LANTIAN_RECEIVER_NAME={name!r} must be a plain folder name")
        quarantine = env.get("LANTIAN_RECEIVER_QUARANTINE")
        registry = env.get("LANTIAN_DEVICE_REGISTRY")
        passwords = env.get("LANTIAN_RECEIVER_PASSWORDS")
        return cls(
            host=env.get("LANTIAN_RECEIVER_HOST") or "0.0.0.0",
            port=_int(env, "LANTIAN_RECEIVER_PORT", 9212),
            name=name,
            inbox=inbox,
            state=state,
            quarantine=Path(quarantine).resolve()
            if quarantine
            else state / "receiver" / "quarantine",
            registry=Path(registry).resolve()
            if registry
            else paths.config_dir() / "device_registry.csv",
            passwords_file=Path(passwords).resolve() if passwords else None,
            default_pw=env.get("LANTIAN_RECEIVER_DEFAULT_PW") or None,
            idle_timeout_s=_float(env, "LANTIAN_RECEIVER_IDLE_TIMEOUT_S", 600.0),
            max_connections=_int(env, "LANTIAN_RECEIVER_MAX_CONNECTIONS", 20000),
            read_buffer=_int(env, "LANTIAN_RECEIVER_READ_BUFFER", 65536),
            max_unacked=_int(env, "LANTIAN_RECEIVER_MAX_UNACKED", 256),
            rate=_float(env, "LANTIAN_RECEIVER_RATE", 20.0),
            burst=_float(env, "LANTIAN_RECEIVER_BURST", 600.0),
            status_host=env.get("LANTIAN_RECEIVER_STATUS_HOST") or "127.0.0.1",
            status_port=_int(env, "LANTIAN_RECEIVER_STATUS_PORT", 9213),
            status_every_s=_float(env, "LANTIAN_RECEIVER_STATUS_EVERY_S", 10.0),
            clock_offset_s=_float(env, "LANTIAN_RECEIVER_CLOCK_OFFSET_S", 0.0),
        )

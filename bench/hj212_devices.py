"""Simulated HJ 212 devices (现场机) for the receiver's tests and benchmark: asyncio TCP clients.

Usage::

    device = SimulatedDevice(mn, pw, "127.0.0.1", port, history={"20260312080000": [frame, ...]})
    await device.connect()
    packet = device.data_packet("2061", "20260312090000", {"a21026": "12.5"})
    acked = await device.send(packet)          # True once its 9014 came (Flag bit A set)
    ...                                        # meanwhile it answers platform requests
    await device.close()

- ``send(packet, timeout=5)``: writes the frame and, when its Flag asks for an answer (bit A),
  waits for the CN=9014 with its QN; returns whether it came. ``acknowledged`` holds every frame
  whose 9014 arrived, ``sent`` every frame written. ``send_nowait`` does not wait (the answer is
  still recorded when it comes).
- Platform requests (CN 2011/2051/2061/2031, HJ 212-2017 C.10, C.20-C.22) are answered as the
  standard's C.21 / C.48: 9011 ``QnRtn=1`` (or ``refuse_with``), then every history frame whose
  key (its DataTime, ``YYYYMMDDhhmmss``) is in [BeginTime, EndTime] is sent again, each waiting
  for its 9014 if its Flag asks, then 9012 ``ExeRtn=1`` (``ExeRtn=100`` 没有数据 when none).
  ``requests`` lists the (QN, CN, BeginTime, EndTime) received, ``replayed`` the frames re-sent.

:class:`ReceiverProcess` runs the real receiver (``python -m receiver``) as a subprocess in a
folder of its own, for tests: ``ReceiverProcess(tmp, registry=path, default_pw="123456").start()``,
then ``SimulatedDevice(mn, pw, "127.0.0.1", receiver.port)``, ``receiver.post_request({...})``,
``receiver.stop()``; publish the open hour with ``start(LANTIAN_RECEIVER_CLOCK_OFFSET_S="3600")``.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from ingest.core.paths import CHECKOUT
from ingest.hj212.protocol import LOCAL_TZ, frame
from ingest.hj212.registry import COLUMNS as REGISTRY_COLUMNS
from receiver.stream import StreamFramer

_QN_COUNTER = itertools.count()


def new_qn() -> str:
    """A QN (table 3: YYYYMMDDhhmmsszzz) unique within this process."""
    now = dt.datetime.now(LOCAL_TZ)
    return now.strftime("%Y%m%d%H%M%S") + f"{next(_QN_COUNTER) % 1000:03d}"


def fields_of(frame_text: str) -> dict[str, str]:
    """Header fields and the data area's name=value items of a frame (``##`` .. CRC)."""
    segment = frame_text[6:-4]
    head, _, cp = segment.partition("CP=&&")
    out = {}
    for part in head.split(";") + cp[:-2].split(";"):
        key, eq, value = part.partition("=")
        if eq:
            out.setdefault(key.strip(), value.strip())
    return out


class SimulatedDevice(asyncio.Protocol):
    """One device on one connection (see the module docstring)."""

    def __init__(
        self,
        mn: str,
        pw: str,
        host: str,
        port: int,
        history: dict[str, list[str]] | None = None,
        st: str = "31",
        refuse_with: int | None = None,
    ) -> None:
        self.mn, self.pw, self.host, self.port, self.st = mn, pw, host, port, st
        self.history = history or {}
        self.refuse_with = refuse_with
        self.framer = StreamFramer()
        self.transport: asyncio.Transport | None = None
        self.sent: list[str] = []
        self.acknowledged: list[str] = []
        self.requests: list[tuple[str, str, str | None, str | None]] = []
        self.replayed: list[str] = []
        self.received: list[str] = []
        self._waiting: dict[str, tuple[str, asyncio.Future[None]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.lost = asyncio.Event()

    # -- connection ------------------------------------------------------------------
    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.create_connection(lambda: self, self.host, self.port)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost.set()
        for _, future in self._waiting.values():
            if not future.done():
                future.cancel()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self.transport is not None:
            self.transport.close()

    # -- packets -----------------------------------------------------------------------
    def data_packet(
        self, cn: str, data_time: str, values: dict[str, str], qn: str | None = None, flag: int = 5
    ) -> str:
        """An upload frame: ``QN;ST;CN;PW;MN;Flag;CP=&&DataTime=..;<code>-Avg=..,<code>-Flag=N&&``
        (HJ 212-2017 C.16/C.17; Flag=5: version 2017, answer wanted)."""
        items = ";".join(f"{code}-Avg={value},{code}-Flag=N" for code, value in values.items())
        cp = f"DataTime={data_time};{items}" if items else f"DataTime={data_time}"
        qn = qn or new_qn()
        return frame(
            f"QN={qn};ST={self.st};CN={cn};PW={self.pw};MN={self.mn};Flag={flag};CP=&&{cp}&&"
        )

    def send_nowait(self, packet: str) -> asyncio.Future[None] | None:
        """Write the frame; return the future of its 9014 if its Flag asks for one."""
        assert self.transport is not None, "connect first"
        head = fields_of(packet)
        future = None
        flag = head.get("Flag")
        if flag is not None and flag.isdigit() and int(flag) & 1:
            future = asyncio.get_running_loop().create_future()
            self._waiting[head.get("QN", "")] = (packet, future)
        self.sent.append(packet)
        self.transport.write(packet.encode("utf-8") + b"\r\n")
        return future

    async def send(self, packet: str, timeout: float = 5.0) -> bool:
        future = self.send_nowait(packet)
        if future is None:
            return False
        try:
            await asyncio.wait_for(future, timeout)
            return True
        except (TimeoutError, asyncio.CancelledError):
            return False

    def data_received(self, data: bytes) -> None:
        frames, _ = self.framer.feed(data)
        for raw in frames:
            text = raw.decode("utf-8")
            self.received.append(text)
            head = fields_of(text)
            cn, qn = head.get("CN"), head.get("QN", "")
            if cn == "9014":
                waiting = self._waiting.pop(qn, None)
                if waiting is not None and not waiting[1].done():
                    self.acknowledged.append(waiting[0])
                    waiting[1].set_result(None)
            elif cn in ("2011", "2051", "2061", "2031"):
                task = asyncio.get_running_loop().create_task(self._serve_request(head))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    def _reply(self, qn: str, cn: str, cp: str) -> str:
        # C.21: 9011 / 9012 carry the request's QN, ST=91, Flag=4 (no answer wanted)
        text = frame(f"QN={qn};ST=91;CN={cn};PW={self.pw};MN={self.mn};Flag=4;CP=&&{cp}&&")
        assert self.transport is not None
        self.transport.write(text.encode("utf-8") + b"\r\n")
        return text

    async def _serve_request(self, head: dict[str, str]) -> None:
        qn, cn = head.get("QN", ""), head.get("CN", "")
        begin, end = head.get("BeginTime"), head.get("EndTime")
        self.requests.append((qn, cn, begin, end))
        if self.refuse_with is not None:
            self._reply(qn, "9011", f"QnRtn={self.refuse_with}")
            return
        self._reply(qn, "9011", "QnRtn=1")
        keys = sorted(k for k in self.history if begin and end and begin <= k <= end)
        count = 0
        for key in keys:
            for packet in self.history[key]:
                if fields_of(packet).get("CN") != cn:
                    continue
                self.replayed.append(packet)
                count += 1
                await self.send(packet)
        self._reply(qn, "9012", "ExeRtn=1" if count else "ExeRtn=100")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class ReceiverProcess:
    """``python -m receiver`` as a real subprocess in ``root`` (``root/inbox``, ``root/state``),
    restartable on the same two ports (``port`` for devices, ``status_port`` for HTTP).

    ``registry``: a device registry file to use; else ``registry_mns`` are written to
    ``root/registry.csv`` (kind cems). Every device's PW is ``default_pw``. ``env``: more
    ``LANTIAN_RECEIVER_*`` settings (receiver/config.py), e.g. ``LANTIAN_RECEIVER_RATE``.
    ``start(**env)`` returns once the receiver listens; ``stop()`` sends SIGTERM and returns its
    exit code; ``kill9()``; ``status()`` and ``post_request(doc)`` call its HTTP endpoints
    (receiver/control.py); ``log_dir`` is the folder of its hourly logs.
    """

    def __init__(
        self,
        root: Path,
        registry: Path | None = None,
        registry_mns: Sequence[str] = (),
        default_pw: str = "123456",
        name: str = "rx-test",
        host: str = "127.0.0.1",
        **env: str,
    ) -> None:
        self.root, self.name, self.host = root, name, host
        self.port, self.status_port = free_port(host), free_port(host)
        root.mkdir(parents=True, exist_ok=True)
        if registry is None:
            registry = root / "registry.csv"
            with registry.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, REGISTRY_COLUMNS)
                writer.writeheader()
                for mn in registry_mns:
                    writer.writerow({"mn": mn, "kind": "cems", "name": f"simulated {mn[-4:]}"})
        self.env = {
            **os.environ,
            "PYTHONPATH": str(CHECKOUT),
            "LANTIAN_STATE": str(root / "state"),
            "LANTIAN_INBOX": str(root / "inbox"),
            "LANTIAN_DEVICE_REGISTRY": str(registry),
            "LANTIAN_RECEIVER_DEFAULT_PW": default_pw,
            "LANTIAN_RECEIVER_HOST": host,
            "LANTIAN_RECEIVER_PORT": str(self.port),
            "LANTIAN_RECEIVER_STATUS_HOST": host,
            "LANTIAN_RECEIVER_STATUS_PORT": str(self.status_port),
            "LANTIAN_RECEIVER_NAME": name,
            "LANTIAN_RECEIVER_STATUS_EVERY_S": "0.5",
            **env,
        }
        self.proc: subprocess.Popen[str] | None = None

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def log_dir(self) -> Path:
        return self.inbox / "hj212" / self.name

    @property
    def quarantine_dir(self) -> Path:
        return self.root / "state" / "receiver" / "quarantine"

    def start(self, **env: str) -> ReceiverProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "receiver"],
            cwd=CHECKOUT,
            env={**self.env, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.proc.stdout is not None
        line = ""
        for _ in range(500):
            line = self.proc.stdout.readline()
            if line.startswith("receiver listening"):
                return self
            if not line and self.proc.poll() is not None:
                break
        raise RuntimeError(f"receiver did not start (exit {self.proc.poll()}): {line!r}")

    def status(self) -> dict:
        url = f"http://{self.host}:{self.status_port}/status"
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.loads(response.read())

    def post_request(self, document: dict, timeout: float = 660) -> dict:
        """``POST /request`` (blocking: call it from a thread inside an event loop)."""
        request = urllib.request.Request(
            f"http://{self.host}:{self.status_port}/request",
            data=json.dumps(document).encode(),
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())

    def rss_kb(self) -> int:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)
        return self.proc.returncode

    def close(self) -> None:
        """Kill it if still running (for a test's teardown)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

"""Benchmark: the HJ 212 receiver under many concurrent devices, every packet fsynced before
its acknowledgement, against a baseline in the same run.

    .venv/bin/python -m bench.receiver [--connections 5000] [--seconds 10] [--clients 2]
                                       [--window 2] [--keep DIR]

Starts ``python -m receiver`` (a real subprocess, its own inbox and registry of
``--connections`` devices), then ``--clients`` client processes, each holding its share of the
connections; every simulated device keeps ``--window`` minute-data packets (CN=2051, Flag=5:
answer wanted, ~350 bytes, 6 pollutants) in flight and sends the next when a 9014 comes.
Measured over ``--seconds`` after a warm-up: acknowledged packets/s, acknowledgement latency
p50 / p99 (send -> 9014), and the headroom over a city's ~125 packets/s (1,500 CEMS outlets and
834 dust monitors, minute data: (1,500 + 834 + micro-stations) / 60 s + hourly packets).

Baseline, same clients, same run: a null server that answers every line with a fixed 9014 and
does nothing else (no framing, CRC, registry, log or fsync): the client side's own ceiling. If
the receiver's rate is close to it, the clients, not the receiver, were the limit.
Then (unless ``--no-kill``), with the load still on, the receiver is killed (SIGKILL); it is
restarted with its clock an hour on (``LANTIAN_RECEIVER_CLOCK_OFFSET_S``), which publishes the
open hour, and every packet a device got a 9014 for is looked up in the published logs: present,
exactly once. Bounded: it stops by itself after warm-up + ``--seconds`` for each server.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import multiprocessing
import os
import random
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from ingest.hj212.protocol import frame
from ingest.hj212.registry import COLUMNS

PW = "bench-pw"
CITY_PACKETS_PER_S = 125
WARMUP_S = 3.0
_ACK = frame(f"QN=00000000000000000;ST=91;CN=9014;PW={PW};MN=X;Flag=4;CP=&&&&").encode() + b"\r\n"


def _raise_fd_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def mn_of(index: int) -> str:
    return f"14100231{index:016d}"


def _packet(mn: str, seq: int) -> bytes:
    minute = seq % 1440
    items = ";".join(
        f"{code}-Avg={(seq * 7 + k) % 500}.{k},{code}-Min=1.0,{code}-Max=900.0,{code}-Flag=N"
        for k, code in enumerate(("a21026", "a21002", "a34013", "a19001", "a01012", "a00000"))
    )
    qn = f"20260312{seq:09d}"
    cp = f"DataTime=202603{12 + seq // 1440 % 15:02d}{minute // 60:02d}{minute % 60:02d}00;{items}"
    return frame(f"QN={qn};ST=31;CN=2051;PW={PW};MN={mn};Flag=5;CP=&&{cp}&&").encode() + b"\r\n"


class _Device(asyncio.Protocol):
    def __init__(self, mn: str, window: int, stats: dict[str, object], interval: float) -> None:
        self.mn, self.window, self.stats, self.interval = mn, window, stats, interval
        self.seq = 0
        self.acked_seq = 0  # answers come in order on a connection: packets 1..acked_seq
        self.sent: list[float] = []  # send times of the packets in flight, in order
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def start(self) -> None:
        if self.interval > 0:  # open loop: one packet every interval, whatever the answers
            loop = asyncio.get_running_loop()
            loop.call_later(random.random() * self.interval, self._tick)
            return
        for _ in range(self.window):
            self._send()

    def _tick(self) -> None:
        if self.stats["stopping"] or self.transport is None or self.transport.is_closing():
            return
        self._send()
        asyncio.get_running_loop().call_later(self.interval, self._tick)

    def _send(self) -> None:
        assert self.transport is not None
        self.seq += 1
        self.sent.append(time.perf_counter())
        self.transport.write(_packet(self.mn, self.seq))

    def data_received(self, data: bytes) -> None:
        self.buf += data
        *lines, self.buf = self.buf.split(b"\r\n")
        now = time.perf_counter()
        stats = self.stats
        for line in lines:
            if b"CN=9014" not in line or not self.sent:
                continue
            started = self.sent.pop(0)
            self.acked_seq += 1
            if stats["measuring"]:
                stats["acked"] += 1  # type: ignore[operator]
                if stats["acked"] % 7 == 0:  # type: ignore[operator]
                    stats["latencies"].append(now - started)  # type: ignore[union-attr]
            if not stats["stopping"] and self.interval <= 0:
                self._send()


async def _client(
    port: int, first: int, count: int, window: int, seconds: float, interval: float, kill: str
) -> dict:
    loop = asyncio.get_running_loop()
    stats: dict[str, object] = {"acked": 0, "latencies": [], "measuring": False, "stopping": False}
    devices = []
    for index in range(first, first + count):
        device = _Device(mn_of(index), window, stats, interval)
        for attempt in range(20):
            try:
                await loop.create_connection(lambda d=device: d, "127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.05 * (attempt + 1))
        else:
            raise RuntimeError(f"device {index} could not connect")
        devices.append(device)
    for device in devices:
        device.start()
    await asyncio.sleep(WARMUP_S)
    stats["measuring"] = True
    began = time.perf_counter()
    await asyncio.sleep(seconds)
    stats["measuring"] = False
    elapsed = time.perf_counter() - began
    if kill:  # keep the load on until the receiver is killed (-9) under it
        Path(kill).touch()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(
            d.transport is None or d.transport.is_closing() for d in devices
        ):
            await asyncio.sleep(0.05)
    stats["stopping"] = True
    for device in devices:
        if device.transport is not None:
            device.transport.close()
    return {
        "acked": stats["acked"],
        "elapsed": elapsed,
        "latencies": stats["latencies"],
        "acked_by_mn": {d.mn: d.acked_seq for d in devices},
    }


def _client_process(args: tuple[int, int, int, int, float, float, str, str]) -> None:
    port, first, count, window, seconds, interval, kill, out = args
    _raise_fd_limit()
    result = asyncio.run(_client(port, first, count, window, seconds, interval, kill))
    Path(out).write_text(json.dumps(result))


def _run_clients(
    port: int,
    connections: int,
    clients: int,
    window: int,
    seconds: float,
    interval: float,
    tmp: Path,
    server: subprocess.Popen[str] | None = None,
) -> dict:
    """Run the client processes; with ``server``, kill -9 it once every client has measured
    (the load still on) and return what each device had answered."""
    share = -(-connections // clients)
    jobs, outs = [], []
    ctx = multiprocessing.get_context("spawn")
    for k in range(clients):
        first, count = k * share, min(share, connections - k * share)
        out = tmp / f"client{k}.json"
        kill = str(tmp / f"client{k}.measured") if server is not None else ""
        outs.append(out)
        proc = ctx.Process(
            target=_client_process,
            args=((port, first, count, window, seconds, interval, kill, str(out)),),
        )
        proc.start()
        jobs.append(proc)
    if server is not None:
        deadline = time.monotonic() + seconds + WARMUP_S + 120
        while time.monotonic() < deadline and not all(
            (tmp / f"client{k}.measured").exists() for k in range(clients)
        ):
            time.sleep(0.05)
        time.sleep(0.5)
        server.kill()  # SIGKILL under load
        server.wait(30)
    for proc in jobs:
        proc.join(seconds + WARMUP_S + 120)
        if proc.is_alive():
            proc.kill()
            raise RuntimeError("a client process did not finish")
    results = [json.loads(o.read_text()) for o in outs]
    latencies = sorted(x for r in results for x in r["latencies"])
    rate = sum(r["acked"] / r["elapsed"] for r in results)

    def pct(p: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000
            if latencies
            else float("nan")
        )

    acked_by_mn = {mn: n for r in results for mn, n in r["acked_by_mn"].items()}
    return {
        "packets_per_s": rate,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "acked_by_mn": acked_by_mn,
    }


_NULL_SERVER = f"""
import asyncio, resource, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
ACK = {_ACK!r}
class Null(asyncio.Protocol):
    def connection_made(self, t): self.t = t; self.buf = b""
    def data_received(self, data):
        self.buf += data
        n = self.buf.count(b"\\r\\n")
        if n:
            self.buf = self.buf[self.buf.rfind(b"\\r\\n") + 2:]
            self.t.write(ACK * n)
async def main():
    server = await asyncio.get_running_loop().create_server(Null, "127.0.0.1", int(sys.argv[1]), backlog=4096)
    print("receiver listening", flush=True)
    await asyncio.sleep(3600)
asyncio.run(main())
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_listening(proc: subprocess.Popen[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("receiver listening"):
            return
    raise RuntimeError(f"server did not start (exit {proc.poll()})")


_LINE = re.compile(rb"QN=20260312(\d{9});ST=31;CN=2051;PW=[^;]*;MN=(\d{24});")


def _check_after_kill(env: dict[str, str], tmp: Path, acked_by_mn: dict[str, int]) -> str:
    """Restart the killed receiver an hour later (its clock), so it publishes the open hour,
    then check every acknowledged packet is in the published logs exactly once."""
    env = {**env, "LANTIAN_RECEIVER_CLOCK_OFFSET_S": "3600"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "receiver"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    _wait_listening(proc)
    proc.terminate()
    proc.wait(30)
    log_dir = tmp / "inbox" / "hj212"
    parts = list(log_dir.rglob(".*.part"))
    seen: Counter[tuple[str, int]] = Counter()
    for path in log_dir.rglob("*.log"):
        for seq, mn in _LINE.findall(path.read_bytes()):
            seen[(mn.decode(), int(seq))] += 1
    acked = [(mn, seq) for mn, top in acked_by_mn.items() for seq in range(1, top + 1)]
    missing = sum(1 for key in acked if seen[key] == 0)
    twice = sum(1 for n in seen.values() if n > 1)
    ok = missing == 0 and twice == 0 and not parts
    return (
        f"{len(acked)} acknowledged packets; missing from the published logs {missing},"
        f" stored twice {twice}, unpublished parts {len(parts)}: {'OK' if ok else 'FAILED'}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--window", type=int, default=2)
    parser.add_argument(
        "--interval",
        type=float,
        default=0.0,
        help="open loop: each device sends one packet every INTERVAL s (0: as fast as answered)",
    )
    parser.add_argument(
        "--no-kill", action="store_true", help="skip the kill -9 under load and its check"
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep the receiver's files here")
    args = parser.parse_args(argv)
    _raise_fd_limit()
    tmp = Path(args.keep or tempfile.mkdtemp(prefix="lantian-bench-receiver-"))
    tmp.mkdir(parents=True, exist_ok=True)
    registry = tmp / "registry.csv"
    with registry.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        for i in range(args.connections):
            writer.writerow({"mn": mn_of(i), "kind": "cems", "name": f"bench {i}"})
    results = {}
    receiver_env: dict[str, str] = {}
    for name in ("baseline", "receiver"):
        port = _free_port()
        if name == "receiver":
            env = {
                **os.environ,
                "LANTIAN_STATE": str(tmp / "state"),
                "LANTIAN_INBOX": str(tmp / "inbox"),
                "LANTIAN_DEVICE_REGISTRY": str(registry),
                "LANTIAN_RECEIVER_DEFAULT_PW": PW,
                "LANTIAN_RECEIVER_HOST": "127.0.0.1",
                "LANTIAN_RECEIVER_PORT": str(port),
                "LANTIAN_RECEIVER_STATUS_PORT": str(_free_port()),
                "LANTIAN_RECEIVER_MAX_CONNECTIONS": str(args.connections + 100),
                "LANTIAN_RECEIVER_RATE": "1000",
                "LANTIAN_RECEIVER_BURST": "1000",
            }
            cmd = [sys.executable, "-m", "receiver"]
            receiver_env = env
        else:
            env, cmd = dict(os.environ), [sys.executable, "-c", _NULL_SERVER, str(port)]
        proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        try:
            _wait_listening(proc)
            kill = proc if name == "receiver" and not args.no_kill else None
            results[name] = _run_clients(
                port,
                args.connections,
                args.clients,
                args.window,
                args.seconds,
                args.interval,
                tmp,
                kill,
            )
        finally:
            if proc.poll() is None:
                proc.terminate()
            proc.wait(30)
    verdict = ""
    if not args.no_kill:
        verdict = _check_after_kill(receiver_env, tmp, results["receiver"]["acked_by_mn"])
    stored = sum(
        p.read_bytes().count(b"\r\n") for p in (tmp / "inbox").rglob("*.log*") if p.is_file()
    )
    base, rx = results["baseline"], results["receiver"]
    print(f"connections {args.connections}, client processes {args.clients}, window {args.window},"
          f" {args.seconds:g} s measured after {WARMUP_S:g} s warm-up, {os.cpu_count()} CPUs")  # fmt: skip
    if args.interval > 0:
        print(f"open loop: each device sends every {args.interval:g} s"
              f" (offered {args.connections / args.interval:.0f} packets/s)")  # fmt: skip
    print(f"packet: CN=2051, {len(_packet(mn_of(0), 1))} bytes; every one fsynced before its 9014")
    for name, r in (("baseline (null server)", base), ("receiver", rx)):
        print(f"  {name:24s} {r['packets_per_s']:9.0f} packets/s   ack p50 {r['p50_ms']:7.1f} ms"
              f"   p99 {r['p99_ms']:7.1f} ms")  # fmt: skip
    print(f"  receiver / baseline      {rx['packets_per_s'] / base['packets_per_s']:9.2f}")
    print(
        f"  headroom over a city's {CITY_PACKETS_PER_S} packets/s: x{rx['packets_per_s'] / CITY_PACKETS_PER_S:.0f}"
        + (
            " (of the offered rate: run without --interval for the ceiling)"
            if args.interval
            else ""
        )
    )
    print(f"  lines in the receiver's logs: {stored}")
    if verdict:
        print(f"  kill -9 under load, restart: {verdict}")
    if args.keep is None:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

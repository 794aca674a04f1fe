"""The HJ 212 receiver as a real subprocess on real sockets and files (receiver/, issue 16).

Acknowledgement form (HJ 212-2017 C.17), who may send (registry MN + PW, quarantine), the
per-device rate, hour publication by rename, kill -9 under load (every acknowledged packet is in
the published logs exactly once, and in raw after the existing loader), a fuzz of byte streams
(never a crash, never an acknowledgement or a stored line for an invalid frame, bounded memory),
and the platform request (POST /request, 9011 / 9012).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import random
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.hj212_devices import ReceiverProcess, SimulatedDevice, fields_of
from expectations.receiver_report import receiver_section
from ingest.core import warehouse
from ingest.hj212 import load as hj212_load
from ingest.hj212.parse import parse
from ingest.hj212.protocol import LOCAL_TZ, MAX_SEGMENT_BYTES, crc16, frame
from pipelines import settings
from receiver.config import ReceiverConfig
from receiver.journal import frames_of_log
from receiver.server import RecentFrames
from receiver.stream import MAX_FRAME, StreamFramer

REPO = Path(__file__).resolve().parent.parent
PW = "pw-test-1"
MNS = [f"1410023100000001000000{i:02d}" for i in range(1, 31)]
HOST = "127.0.0.1"


@pytest.fixture()
def make_receiver(tmp_path: Path) -> Iterator[Callable[..., ReceiverProcess]]:
    started: list[ReceiverProcess] = []

    def make(**env: str) -> ReceiverProcess:
        receiver = ReceiverProcess(tmp_path, registry_mns=MNS, default_pw=PW, **env)
        started.append(receiver)
        return receiver

    yield make
    for receiver in started:
        receiver.close()


def _stored_frames(folder: Path, pattern: str) -> list[str]:
    frames: list[str] = []
    for path in sorted(folder.glob(pattern)):
        frames.extend(f.decode() for f in frames_of_log(path.read_bytes()))
    return frames


def test_an_upload_asking_for_an_answer_gets_the_standards_9014_after_it_is_stored(
    make_receiver: Callable[..., ReceiverProcess],
) -> None:
    receiver = make_receiver().start()

    async def run() -> tuple[SimulatedDevice, str, str]:
        device = SimulatedDevice(MNS[0], PW, HOST, receiver.port)
        await device.connect()
        wants = device.data_packet(
            "2061", "20260312080000", {"a21026": "12.5"}, qn="20260312090001123"
        )
        silent = device.data_packet("2061", "20260312070000", {"a21026": "9"}, flag=4)
        assert await device.send(wants)
        device.send_nowait(silent)
        await asyncio.sleep(0.3)
        await device.close()
        return device, wants, silent

    device, wants, silent = asyncio.run(run())
    # C.17: QN of the upload, ST=91, CN=9014, PW, MN, Flag=4 (version 2017, no answer), CP=&&&&
    segment = f"QN=20260312090001123;ST=91;CN=9014;PW={PW};MN={MNS[0]};Flag=4;CP=&&&&"
    assert device.received == [f"##{len(segment):04d}{segment}{crc16(segment.encode()):04X}"]
    stored = _stored_frames(receiver.log_dir, ".*.log.part")
    assert stored == [wants, silent]  # Flag=4 (A=0) is stored but not answered
    data = next(receiver.log_dir.glob(".*.log.part")).read_bytes()
    assert data.startswith(b"@") and f" {HOST}:".encode() in data.split(b"##")[0]
    parsed = parse(data)  # the loader's parser reads the receiver's log, stamps and all
    assert [p.raw for p in parsed.packets] == [wants, silent] and parsed.rejects == []
    assert not list(receiver.log_dir.glob("*.log"))  # the hour is still open: not published
    assert receiver.stop() == 0


def test_unknown_devices_and_wrong_passwords_are_quarantined_unanswered(
    make_receiver: Callable[..., ReceiverProcess],
) -> None:
    receiver = make_receiver().start()

    async def run() -> list[bool]:
        stranger = SimulatedDevice("99999999999999999999ABCD", PW, HOST, receiver.port)
        liar = SimulatedDevice(MNS[1], "not-the-pw", HOST, receiver.port)
        for device in (stranger, liar):
            await device.connect()
        results = [
            await stranger.send(stranger.data_packet("2061", "20260312080000", {"a21026": "1"}), 1),
            await liar.send(liar.data_packet("2061", "20260312080000", {"a21026": "2"}), 1),
        ]
        for device in (stranger, liar):
            await device.close()
        return results

    assert asyncio.run(run()) == [False, False]
    assert _stored_frames(receiver.log_dir, ".*.log.part") == []
    held = b"".join(p.read_bytes() for p in receiver.quarantine_dir.glob("*.log")).decode()
    assert " unknown_mn ##" in held and " bad_pw ##" in held
    assert "99999999999999999999ABCD" in held and MNS[1] in held
    status = receiver.status()
    assert status["rejects"]["unknown_mn"] == 1 and status["rejects"]["bad_pw"] == 1
    assert status["totals"]["quarantined"] == 2
    assert MNS[1] not in status["devices"]  # a wrong password does not make it a known sender
    assert receiver.stop() == 0
    # the DQ report's receiver section, from the status.json the receiver wrote as it stopped
    status_file = receiver.root / "state" / "receiver" / "status.json"
    (read,) = settings.receiver_statuses([status_file])
    assert read.problem is None and read.document is not None
    assert read.document["rejects"] == status["rejects"]
    html = receiver_section([read], dt.datetime.now(dt.UTC))
    assert "<td><code>unknown_mn</code></td><td>1</td>" in html
    assert "<td><code>bad_pw</code></td><td>1</td>" in html
    assert ">2</span> (unknown_mn 1, bad_pw 1)" in html  # quarantined, by reason
    never = html.count("never heard from")  # every registry device: none was let in
    assert never == len(MNS) and f"<code>{MNS[1]}</code>" in html
    assert "99999999999999999999ABCD" not in html.split("静默设备")[1]  # a stranger is no device


def test_a_flooding_device_is_rate_limited(make_receiver: Callable[..., ReceiverProcess]) -> None:
    receiver = make_receiver(LANTIAN_RECEIVER_RATE="1", LANTIAN_RECEIVER_BURST="3").start()

    async def run() -> int:
        device = SimulatedDevice(MNS[2], PW, HOST, receiver.port)
        await device.connect()
        futures = [
            device.send_nowait(device.data_packet("2051", f"2026031208{m:02d}00", {"a21026": "1"}))
            for m in range(10)
        ]
        await asyncio.wait([f for f in futures if f], timeout=1.0)
        await device.close()
        stranger = SimulatedDevice("88888888888888888888ABCD", PW, HOST, receiver.port)
        await stranger.connect()
        for m in range(10):
            stranger.send_nowait(stranger.data_packet("2051", f"2026031208{m:02d}00", {}))
        await asyncio.sleep(0.5)
        await stranger.close()
        return len(device.acknowledged)

    acked = asyncio.run(run())
    assert 3 <= acked <= 4  # the burst, plus at most one token refilled within the second
    status = receiver.status()
    assert status["rejects"]["rate_limited"] == 10 - acked
    assert status["devices"][MNS[2]]["rejects"]["rate_limited"] == 10 - acked
    assert len(_stored_frames(receiver.log_dir, ".*.log.part")) == acked
    # strangers are held to the same rate per address: a flood of them cannot fill the disk
    assert 3 <= status["totals"]["quarantined"] <= 4
    assert status["rejects"]["quarantine_rate_limited"] == 10 - status["totals"]["quarantined"]
    receiver.stop()


def test_a_past_hours_part_is_published_by_rename_at_start(
    make_receiver: Callable[..., ReceiverProcess],
) -> None:
    receiver = make_receiver()
    receiver.log_dir.mkdir(parents=True)
    part = receiver.log_dir / ".2026-03-12T08.log.part"
    line = f"@2026-03-12T08:15:00.000+08:00 10.0.0.1:4000 {frame('ST=31;CN=2081;CP=&&&&')}\r\n"
    part.write_bytes(line.encode())
    inode = part.stat().st_ino
    receiver.start()
    published = receiver.log_dir / "2026-03-12T08.log"
    assert not part.exists() and published.read_bytes() == line.encode()
    assert published.stat().st_ino == inode  # renamed, not copied
    assert hj212_load.hour_of_file(published) == dt.datetime(2026, 3, 12, 8, tzinfo=LOCAL_TZ)
    assert "2026-03-12T08.log" in receiver.status()["published"]
    receiver.stop()


def _history(device: SimulatedDevice, count: int) -> list[str]:
    start = dt.datetime(2026, 3, 1, tzinfo=LOCAL_TZ)
    return [
        device.data_packet(
            "2051",
            (start + dt.timedelta(minutes=i)).strftime("%Y%m%d%H%M%S"),
            {"a21026": f"{i % 97}.5", "a21002": f"{i % 13}"},
            qn=f"2026030100{i:07d}"[:17],
        )
        for i in range(count)
    ]


async def _pump(devices: list[SimulatedDevice], packets: dict[str, list[str]], window: int) -> None:
    """Each device sends its packets not yet acknowledged, ``window`` in flight, until done or
    its connection is lost."""

    async def one(device: SimulatedDevice) -> None:
        answered = set(device.acknowledged)
        pending = [p for p in packets[device.mn] if p not in answered]
        in_flight: set[asyncio.Future[None]] = set()
        for packet in pending:
            if device.lost.is_set():
                return
            future = device.send_nowait(packet)
            if future is not None:
                in_flight.add(future)
            if len(in_flight) >= window:
                _, in_flight = await asyncio.wait(in_flight, return_when="FIRST_COMPLETED")
        if in_flight:
            await asyncio.wait(in_flight, timeout=10)

    await asyncio.gather(*(one(d) for d in devices), return_exceptions=True)


def test_kill_9_under_load_loses_no_acknowledged_packet_and_stores_none_twice(
    make_receiver: Callable[..., ReceiverProcess], make_database: Callable[..., str]
) -> None:
    receiver = make_receiver(LANTIAN_RECEIVER_RATE="100000", LANTIAN_RECEIVER_BURST="100000")
    receiver.start()
    count, devices_n = 1000, 20

    async def first_run() -> dict[str, list[str]]:
        devices = [SimulatedDevice(mn, PW, HOST, receiver.port) for mn in MNS[:devices_n]]
        for device in devices:
            await device.connect()
        packets = {d.mn: _history(d, count) for d in devices}
        pump = asyncio.ensure_future(_pump(devices, packets, window=8))
        while sum(len(d.acknowledged) for d in devices) < count * devices_n // 4:
            await asyncio.sleep(0.01)
        receiver.kill9()  # mid-stream: some frames stored but unanswered, some in flight
        await asyncio.wait_for(pump, 15)
        return {d.mn: list(d.acknowledged) for d in devices}

    acked_before = asyncio.run(first_run())
    total_acked = sum(len(v) for v in acked_before.values())
    assert 0 < total_acked < count * devices_n, "the kill must land mid-stream"
    receiver.start()

    async def second_run() -> dict[str, list[str]]:
        devices = [SimulatedDevice(mn, PW, HOST, receiver.port) for mn in MNS[:devices_n]]
        for device in devices:
            await device.connect()
        packets = {d.mn: _history(d, count) for d in devices}
        # each device re-sends what it got no answer for, and (a lost answer) its last 3 answered
        for device in devices:
            device.acknowledged = acked_before[device.mn][:-3]
        await _pump(devices, packets, window=8)
        for device in devices:
            await device.close()
        return {d.mn: list(d.acknowledged) for d in devices}

    acked_after = asyncio.run(second_run())
    assert all(len(v) == count for v in acked_after.values())
    receiver.stop()
    status = json.loads((receiver.root / "state" / "receiver" / "status.json").read_text())
    assert status["totals"]["duplicates_not_stored"] >= 3 * devices_n  # answered, stored once
    receiver.start(LANTIAN_RECEIVER_CLOCK_OFFSET_S="3600")  # an hour later: the hour is over
    receiver.stop()
    assert not list(receiver.log_dir.glob(".*.part"))
    stored = Counter(_stored_frames(receiver.log_dir, "*.log"))
    every_packet = {
        p for mn in MNS[:devices_n] for p in _history(SimulatedDevice(mn, PW, HOST, 0), count)
    }
    assert set(stored) == every_packet  # all acknowledged in the end, nothing else stored
    assert max(stored.values()) == 1  # the re-sent packets were stored once

    url = make_database("receiver")
    engine = warehouse.engine(url)
    now = dt.datetime.now(LOCAL_TZ)
    result = hj212_load.load_interval(
        engine, receiver.root / "inbox", now - dt.timedelta(hours=3), now + dt.timedelta(hours=3)
    )
    assert result.total("quarantined") == 0
    with engine.connect() as conn:
        packets = conn.execute(sa.text("select count(*) from raw.hj212_packet")).scalar()
        readings = conn.execute(sa.text("select count(*) from raw.hj212_reading")).scalar()
    engine.dispose()
    assert packets == len(every_packet) and readings == 2 * len(every_packet)


def _valid(rng: random.Random, i: int) -> str:
    qn = f"20260312{i:09d}"
    return frame(
        f"QN={qn};ST=31;CN=2051;PW={PW};MN={MNS[3]};Flag=5;CP=&&DataTime=20260312{i // 60 % 24:02d}"
        f"{i % 60:02d}00;a21026-Avg={rng.randint(0, 999)}.{rng.randint(0, 9)},a21026-Flag=N&&"
    )


def _fuzz_stream(rng: random.Random, n: int) -> tuple[bytes, set[str]]:
    parts: list[bytes] = []
    valid: set[str] = set()
    for i in range(n):
        good = _valid(rng, i)
        kind = rng.choice(["valid", "valid", "crc", "truncated", "oversized", "garbage", "swap"])
        if kind == "valid":
            parts.append(good.encode() + b"\r\n")
            valid.add(good)
        elif kind == "crc":
            parts.append(good[:-4].encode() + b"%04X\r\n" % ((int(good[-4:], 16) + 1) % 65536))
        elif kind == "truncated":
            parts.append(good.encode()[: rng.randint(1, len(good) - 1)])
        elif kind == "oversized":
            size = rng.randint(1025, 9999)
            parts.append(b"##%04d" % size + rng.randbytes(rng.randint(0, 3000)) + b"\r\n")
        elif kind == "garbage":
            parts.append(rng.randbytes(rng.randint(1, 2000)).replace(b"#", b"?"))
        else:  # right CRC value, bytes swapped (HJ 212 Appendix A printed low byte first)
            value = int(good[-4:], 16)
            swapped = ((value & 0xFF) << 8) | (value >> 8)
            if swapped != value:
                parts.append(good[:-4].encode() + b"%04X\r\n" % swapped)
    return b"".join(parts), valid


def test_the_stream_framer_keeps_a_bounded_buffer_and_ignores_how_reads_split() -> None:
    rng = random.Random(16)
    data, valid = _fuzz_stream(rng, 400)
    whole, _ = StreamFramer().feed(data)
    framer, pieces, pos = StreamFramer(), [], 0
    while pos < len(data):
        step = rng.choice([1, 2, 7, 100, 1500, 9000])
        got, _ = framer.feed(data[pos : pos + step])
        pieces.extend(got)
        pos += step
        assert framer.buffered <= MAX_FRAME
    assert {f.decode() for f in whole} == valid and pieces == whole


def test_the_stream_framer_and_the_file_parser_share_table_2s_segment_limit() -> None:
    """HJ 212-2017 s6.3.1 table 2: data segment 0 <= n <= 1024, one constant for both readers."""
    head = f"QN=20260312080000000;ST=31;CN=2051;PW={PW};MN={MNS[3]};Flag=4;CP=&&a="
    at_limit = frame(head + "1" * (MAX_SEGMENT_BYTES - len(head) - 2) + "&&")
    over = frame(head + "1" * (MAX_SEGMENT_BYTES - len(head) - 1) + "&&")
    assert int(at_limit[2:6]) == MAX_SEGMENT_BYTES and int(over[2:6]) == MAX_SEGMENT_BYTES + 1
    frames, rejects = StreamFramer().feed(f"{at_limit}\r\n{over}\r\n".encode())
    assert [f.decode() for f in frames] == [at_limit]
    assert [r.code for r in rejects] == ["too_long"] and f"> {MAX_SEGMENT_BYTES}" in rejects[
        0
    ].detail
    assert MAX_FRAME == 2 + 4 + MAX_SEGMENT_BYTES + 4 + 2


def test_fuzzed_byte_streams_over_the_socket_never_crash_answer_or_store_an_invalid_frame(
    make_receiver: Callable[..., ReceiverProcess],
) -> None:
    receiver = make_receiver(LANTIAN_RECEIVER_RATE="100000", LANTIAN_RECEIVER_BURST="100000")
    receiver.start()
    rng = random.Random(212)
    data, valid = _fuzz_stream(rng, 1500)
    rss_before = receiver.rss_kb()

    def talk(payload: bytes, chunks: list[int]) -> bytes:
        with socket.create_connection((HOST, receiver.port)) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pos = 0
            for size in chunks:
                sock.sendall(payload[pos : pos + size])
                pos += size
            sock.sendall(payload[pos:])
            sock.settimeout(1.5)
            received = b""
            with contextlib.suppress(TimeoutError):
                while chunk := sock.recv(65536):
                    received += chunk
            return received

    replies = talk(data, [rng.randint(1, 4000) for _ in range(300)])
    # 40 MB without a frame in it, then headers claiming the maximum and beyond
    noise = rng.randbytes(40_000_000).replace(b"#", b"!")
    talk(noise + b"##1024" + b"x" * 5000 + b"##9999" * 1000, [65536] * 600)
    # interleaved: two connections each get the first half of one frame and the second of another
    a, b = _valid(rng, 5000), _valid(rng, 5001)
    with (
        socket.create_connection((HOST, receiver.port)) as one,
        socket.create_connection((HOST, receiver.port)) as two,
    ):
        one.sendall(a[:50].encode())
        two.sendall(b[:50].encode())
        one.sendall(b[50:].encode() + b"\r\n")
        two.sendall(a[50:].encode() + b"\r\n")
        time.sleep(0.5)
    answered = {fields_of(f.decode())["QN"] for f in StreamFramer().feed(replies)[0]}
    assert answered == {fields_of(v)["QN"] for v in valid}
    stored = _stored_frames(receiver.log_dir, ".*.log.part")
    assert sorted(stored) == sorted(valid)
    status = receiver.status()
    assert status["rejects"]["too_long"] >= 1 and status["rejects"]["crc_byte_swapped"] >= 1
    assert status["rejects"]["crc_mismatch"] >= 1
    assert receiver.rss_kb() - rss_before < 20_000  # KB: the 40 MB never accumulated
    assert 0 < status["max_frame_buffer"] <= MAX_FRAME
    assert receiver.proc is not None and receiver.proc.poll() is None
    assert receiver.stop() == 0


def test_a_platform_request_follows_9011_and_9012_and_the_replay_is_stored(
    make_receiver: Callable[..., ReceiverProcess],
) -> None:
    # one token per device, never refilled: the replay passes only because it was asked for
    receiver = make_receiver(LANTIAN_RECEIVER_RATE="0.0001", LANTIAN_RECEIVER_BURST="1").start()

    async def run() -> tuple[list[dict], SimulatedDevice]:
        loop = asyncio.get_running_loop()
        device = SimulatedDevice(MNS[5], PW, HOST, receiver.port)
        refuser = SimulatedDevice(MNS[6], PW, HOST, receiver.port, refuse_with=2)
        mute = SimulatedDevice(MNS[7], PW, HOST, receiver.port)
        mute.data_received = lambda data: None  # type: ignore[method-assign]
        quitter = SimulatedDevice(MNS[9], PW, HOST, receiver.port)
        hours = [f"20260312{h:02d}0000" for h in (6, 7, 8)]
        device.history = {
            h: [device.data_packet("2061", h, {"a21026": "3.5"}, qn=f"{h}001")] for h in hours
        }
        for d in (device, refuser, mute, quitter):
            await d.connect()
            await d.send(d.data_packet("2061", "20260312100000", {"a21026": "1"}), 0.5)
        # hangs up when asked
        quitter.data_received = lambda data: quitter.transport.close()  # type: ignore
        ask = {"cn": "2061", "begin": hours[1], "end": hours[2], "timeout_s": 3}
        results = []
        for mn, timeout in ((MNS[5], 3), (MNS[6], 3), (MNS[7], 1), (MNS[8], 1), (MNS[9], 5)):
            doc = {**ask, "mn": mn, "timeout_s": timeout}
            results.append(await loop.run_in_executor(None, receiver.post_request, doc))
        for d in (device, refuser, mute):
            await d.close()
        return results, device

    (done, refused, timeout, absent, hung_up), device = asyncio.run(run())
    assert hung_up["status"] == "failed" and "closed" in hung_up["detail"]
    assert (done["status"], done["qn_rtn"], done["exe_rtn"]) == ("done", 1, 1)
    assert (refused["status"], refused["qn_rtn"]) == ("refused", 2)
    assert timeout["status"] == "timeout" and absent["status"] == "not_connected"
    qn, cn, begin, end = device.requests[0]
    assert (qn, cn, begin, end) == (done["qn"], "2061", "20260312070000", "20260312080000")
    stored = _stored_frames(receiver.log_dir, ".*.log.part")
    assert all(p in stored for p in device.replayed) and len(device.replayed) == 2
    assert set(device.acknowledged) >= set(device.replayed)  # replays answered like any upload
    assert "rate_limited" not in receiver.status()["rejects"]
    request = next(r for r in receiver.status()["requests"] if r["qn"] == done["qn"])
    assert request["status"] == "done"
    receiver.stop()


def test_the_file_parser_skips_receiver_stamps_but_still_rejects_other_stray_text() -> None:
    packet = frame(f"QN=20260312090001123;ST=31;CN=2081;PW={PW};MN={MNS[0]};Flag=4;CP=&&&&")
    data = (
        f"@2026-03-12T09:00:01.123+08:00 10.0.0.5:40211 {packet}\r\n"
        f"@2026-03-12T09:00:02.000+08:00 [::1]:40212 {packet}\r\n"
        f"not a stamp {packet}\r\n"
    ).encode()
    parsed = parse(data)
    assert [p.line_number for p in parsed.packets] == [1, 2, 3]
    assert [(r.line_number, r.code) for r in parsed.rejects] == [(3, "stray_bytes")]


def test_the_resend_memory_is_bounded_to_two_generations() -> None:
    recent = RecentFrames(generation=3)
    for digest in range(10):
        recent.add(digest)
    # the newest generation (9) and the one before (6, 7, 8) are remembered, older ones not
    assert [d for d in range(10) if d in recent] == [6, 7, 8, 9]
    assert len(recent.current) + len(recent.previous) <= 2 * 3


def test_an_hj212_2025_upload_is_answered_with_its_own_version_bits_marked_unverified(
    make_receiver: Callable[..., ReceiverProcess],
) -> None:
    receiver = make_receiver().start()

    async def run() -> SimulatedDevice:
        device = SimulatedDevice(MNS[10], PW, HOST, receiver.port, st="22")
        await device.connect()
        # Flag=9: version bits 000010 (HJ 212-2025 in FlagScheme, unverified), A=1
        packet = device.data_packet("2061", "20260312080000", {"a34004": "35"}, flag=9)
        assert await device.send(packet)
        await device.close()
        return device

    device = asyncio.run(run())
    (ack,) = device.received
    assert fields_of(ack)["Flag"] == "8" and fields_of(ack)["CN"] == "9014"  # version kept, A=0
    assert receiver.status()["devices"][MNS[10]]["protocol"] == "HJ 212-2025 (unverified)"
    receiver.stop()


def _closed_by_peer(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:  # an abort() arrives as a reset
        return True


def test_idle_connections_are_closed_and_connections_beyond_the_maximum_refused(
    make_receiver: Callable[..., ReceiverProcess],
) -> None:
    receiver = make_receiver(
        LANTIAN_RECEIVER_IDLE_TIMEOUT_S="1", LANTIAN_RECEIVER_MAX_CONNECTIONS="2"
    ).start()
    first = socket.create_connection((HOST, receiver.port))
    second = socket.create_connection((HOST, receiver.port))
    time.sleep(0.2)
    third = socket.create_connection((HOST, receiver.port))
    third.settimeout(2)
    assert _closed_by_peer(third)  # closed at once: the maximum is 2
    first.settimeout(5)
    started = time.monotonic()
    assert _closed_by_peer(first)  # closed by the receiver after 1 s of silence
    assert 0.5 < time.monotonic() - started < 4
    status = receiver.status()
    assert status["rejects"]["max_connections"] == 1 and status["totals"]["idle_closed"] >= 1
    for sock in (first, second, third):
        sock.close()
    receiver.stop()


def test_the_dq_report_looks_for_the_status_file_where_the_receiver_writes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pipelines may not import receiver (ARCHITECTURE.md): its default path must stay the
    receiver's; LANTIAN_RECEIVER_STATUS names several receivers' files; a bad one is reported."""
    monkeypatch.setenv("LANTIAN_STATE", str(tmp_path / "state"))
    monkeypatch.delenv("LANTIAN_RECEIVER_STATUS", raising=False)
    written_at = ReceiverConfig.from_env({"LANTIAN_STATE": str(tmp_path / "state")}).status_file
    assert settings.receiver_status_paths() == [written_at]
    (tmp_path / "half.json").write_text('{"status_vers', encoding="utf-8")
    monkeypatch.setenv("LANTIAN_RECEIVER_STATUS", f"{tmp_path / 'half.json'}, {written_at}")
    half, absent = settings.receiver_statuses()
    assert half.document is None and half.problem.startswith("unreadable: ")
    assert (absent.source, absent.problem) == (str(written_at), "no such file")
    monkeypatch.setenv("LANTIAN_RECEIVER_SILENT_HOURS", "soon")
    with pytest.raises(ValueError, match="LANTIAN_RECEIVER_SILENT_HOURS='soon'"):
        settings.receiver_silent_hours()

"""The HJ 212 receiver: devices (现场机) connect over TCP; the platform (上位机) frames, checks,
stores, then answers (HJ 212-2017 s5: TCP/IP transport, s6: the protocol).

Per frame, in order: framing, length and Appendix A CRC (:mod:`receiver.stream`; a frame that
fails is not answered, s6.3.1 table 2 "如果 CRC 错误，执行结束", and is counted by reason); header
(:func:`ingest.hj212.parse.parse_segment`, table 3); who sent it (MN in the registry, PW right:
else quarantined, not answered, at most the device rate per peer address); the device's rate
(token bucket: else dropped unanswered, the device re-sends per its retry settings, s6.2.1);
then the frame goes into this event-loop round's batch. The batch is written and fsynced by one thread (:class:`receiver.journal.Journal`); only
then are its acknowledgements (CN=9014, :func:`receiver.replies.data_ack`) sent. A packet
re-sent after a crash or a lost answer whose bytes are among the last 500,000 to 1,000,000 stored
(:class:`RecentFrames`; after a restart, those of the last two hours' logs) is answered again
but not stored twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ingest.hj212.parse import parse_segment
from ingest.hj212.protocol import ACK_COMMANDS, DEFAULT_SCHEME
from receiver.access import DeviceAccess, TokenBucket
from receiver.config import ReceiverConfig
from receiver.journal import Entry, Journal, hour_start, stamp
from receiver.replies import cp_value, data_ack
from receiver.status import Stats
from receiver.stream import StreamFramer

log = logging.getLogger("receiver")


DEDUPE_GENERATION = 500_000  # frames; the last 500,000..1,000,000 are remembered (~60 MB)


class RecentFrames:
    """Hashes of the most recently stored frames, in two generations so memory stays bounded
    (a city's 125 packets/s: over an hour of them), to store a re-sent packet only once."""

    def __init__(self, generation: int = DEDUPE_GENERATION) -> None:
        self.generation = generation
        self.current: set[int] = set()
        self.previous: set[int] = set()

    def __contains__(self, digest: int) -> bool:
        return digest in self.current or digest in self.previous

    def add(self, digest: int) -> None:
        if len(self.current) >= self.generation:
            self.previous, self.current = self.current, set()
        self.current.add(digest)

    def clear(self) -> None:
        self.current.clear()
        self.previous.clear()


@dataclass
class Pending:
    """A platform request waiting for its device's 9011 (QnRtn) and 9012 (ExeRtn)."""

    mn: str
    conn: DeviceConnection
    qn_rtn: asyncio.Future[int | None]
    exe_rtn: asyncio.Future[int | None]
    activity: asyncio.Event = field(default_factory=asyncio.Event)
    lost: bool = False  # the device's connection closed before the answers came


class DeviceConnection(asyncio.BufferedProtocol):
    """One device's TCP connection; reads into the receiver's shared buffer (one read at a time
    on the loop), so 5,000 idle connections hold no read buffer each."""

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver
        self.framer = StreamFramer()
        self.transport: asyncio.Transport | None = None
        self.peer = "?"
        self.host = "?"
        self.mn: str | None = None
        self.last_activity = time.monotonic()
        self.unacked = 0
        self.paused = False
        self.writing_paused = False
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple):
            host = self.host = peer[0]
            self.peer = f"[{host}]:{peer[1]}" if ":" in host else f"{host}:{peer[1]}"
        self.receiver.connection_opened(self)

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.receiver.read_view

    def buffer_updated(self, nbytes: int) -> None:
        self.last_activity = time.monotonic()
        data = bytes(self.receiver.read_view[:nbytes])
        frames, rejects = self.framer.feed(data)
        stats = self.receiver.stats
        if self.framer.buffered > stats.max_frame_buffer:
            stats.max_frame_buffer = self.framer.buffered  # bounded by MAX_FRAME (stream.py)
        for reject in rejects:
            stats.reject(reject.code, self.mn)
        if frames:
            self.receiver.accept(self, frames)

    def send(self, data: bytes) -> None:
        if not self.closed and self.transport is not None:
            self.transport.write(data)

    def acked(self, count: int) -> None:
        self.unacked -= count
        if self.paused and self.unacked <= self.receiver.config.max_unacked // 2:
            self.paused = False
            if self.transport is not None and not self.closed and not self.writing_paused:
                self.transport.resume_reading()

    def pause_writing(self) -> None:
        # the device does not read its answers: stop reading its uploads until it does, so
        # the answers waiting for it stay bounded (asyncio's write-buffer high-water mark)
        self.writing_paused = True
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.writing_paused = False
        if self.transport is not None and not self.paused and not self.closed:
            self.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.receiver.connection_closed(self)


class Receiver:
    """State of one receiver process: connections, devices, the journal and the write batch."""

    def __init__(
        self,
        config: ReceiverConfig,
        access: DeviceAccess,
        registry_mns: frozenset[str],
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.config = config
        self.access = access
        offset = config.clock_offset_s
        self.clock = clock or (lambda: time.time() + offset)
        self.journal = Journal(config.log_dir, config.quarantine)
        self.stats = Stats(config.name, registry_mns, self.clock())
        self.read_view = memoryview(bytearray(max(config.read_buffer, 1024)))
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal")
        self.connections: set[DeviceConnection] = set()
        self.by_mn: dict[str, DeviceConnection] = {}
        self.buckets: dict[str, TokenBucket] = {}
        self.quarantine_buckets: dict[str, TokenBucket] = {}  # per peer address
        self.seen = RecentFrames()
        self.pending_requests: dict[str, Pending] = {}
        self._batch: list[Entry] = []
        self._acks: dict[DeviceConnection, list[bytes]] = {}
        self._counts: dict[DeviceConnection, int] = {}
        self._flushing = False
        self._enqueued = 0
        self._durable = 0
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self.scheme = DEFAULT_SCHEME

    # -- start: publish what a crash left, remember what is stored ------------------------
    def recover(self) -> None:
        now = self.clock()
        published = self.journal.publish_due(now)
        for path in published:
            log.info("published %s (left open by an earlier run)", path)
            self.stats.published.append(path.name)
        for frame in self.journal.recent_frames(now):
            self.seen.add(hash(frame))

    # -- connections -------------------------------------------------------------------
    def connection_opened(self, conn: DeviceConnection) -> None:
        if len(self.connections) >= self.config.max_connections:
            self.stats.reject("max_connections")
            assert conn.transport is not None
            conn.transport.abort()
            return
        self.connections.add(conn)
        self.stats.connections = len(self.connections)
        self.stats.totals["connections_opened"] += 1

    def connection_closed(self, conn: DeviceConnection) -> None:
        if conn not in self.connections:
            return
        self.connections.discard(conn)
        self.stats.connections = len(self.connections)
        if conn.mn is not None:
            self.stats.device(conn.mn).connections -= 1
            if self.by_mn.get(conn.mn) is conn:
                del self.by_mn[conn.mn]
        for request in self.pending_requests.values():
            if request.conn is conn:
                request.lost = True
                for future in (request.qn_rtn, request.exe_rtn):
                    if not future.done():
                        future.set_result(None)

    def close_idle(self) -> int:
        limit = time.monotonic() - self.config.idle_timeout_s
        idle = [c for c in self.connections if c.last_activity < limit]
        for conn in idle:
            self.stats.totals["idle_closed"] += 1
            if conn.transport is not None:
                conn.transport.close()
        return len(idle)

    # -- frames ------------------------------------------------------------------------
    def accept(self, conn: DeviceConnection, frames: list[bytes]) -> None:
        now = self.clock()
        hour = hour_start(now)
        prefix = stamp(now, conn.peer)
        stats = self.stats
        totals = stats.totals
        for frame in frames:
            try:
                text = frame[6:-4].decode("utf-8")
            except UnicodeDecodeError:
                stats.reject("not_utf8", conn.mn)
                continue
            try:
                head = parse_segment(text)
            except ValueError as exc:  # table 3: header fields missing or invalid
                stats.reject(str(exc).split(":", 1)[0], conn.mn)
                continue
            mn = head.mn
            refused = self.access.verdict(mn, head.pw)
            if refused is not None:
                stats.reject(refused)
                held = self.quarantine_buckets.get(conn.host)
                if held is None:
                    held = TokenBucket(self.config.rate, self.config.burst)
                    if len(self.quarantine_buckets) > 100_000:  # bounded: forget old senders
                        self.quarantine_buckets.clear()
                    self.quarantine_buckets[conn.host] = held
                if not held.take():  # a flood of strangers must not fill the disk
                    stats.reject("quarantine_rate_limited")
                    continue
                totals["quarantined"] += 1
                line = prefix + refused.encode() + b" " + frame + b"\r\n"
                self._add(Entry(hour, line, refused), conn, None)
                continue
            bucket = self.buckets.get(mn)
            if bucket is None:
                bucket = self.buckets[mn] = TokenBucket(self.config.rate, self.config.burst)
            device = stats.device(mn)
            # a history replay the platform asked for (C.20-C.22) may exceed the device's rate:
            # while a request to it is open, its uploads are not limited
            if not bucket.take() and not any(r.mn == mn for r in self.pending_requests.values()):
                stats.reject("rate_limited", mn)
                continue
            if conn.mn != mn:
                if conn.mn is not None:
                    stats.device(conn.mn).connections -= 1
                conn.mn = mn
                device.connections += 1
            self.by_mn[mn] = conn
            device.last_packet = now
            device.peer = conn.peer
            device.st = head.st if head.cn not in ACK_COMMANDS else device.st
            if device.flag != head.flag or device.protocol is None:
                device.flag = head.flag
                device.protocol = self.scheme.protocol(head.flag)
            device.packets_by_cn[head.cn] += 1
            totals["accepted"] += 1
            if head.cn in ("9011", "9012"):
                self._answer(head.cn, head.qn, head.cp, mn)
            pending = self.pending_requests
            if pending:
                for request in pending.values():
                    if request.mn == mn:
                        request.activity.set()
            # table 3 Flag bit A: the device wants an answer; answers are never answered
            ack = None
            if head.flag is not None and head.flag & 1 and head.cn not in ACK_COMMANDS:
                ack = data_ack(head.qn, head.pw, mn, head.flag)
            digest = hash(frame)
            if digest in self.seen:
                totals["duplicates_not_stored"] += 1
                self._add(None, conn, ack)
                continue
            self.seen.add(digest)
            self._add(Entry(hour, prefix + frame + b"\r\n"), conn, ack)

    def _answer(self, cn: str, qn: str | None, cp: str, mn: str) -> None:
        request = self.pending_requests.get(qn or "")
        if request is None or request.mn != mn:
            # C.21: the answer carries the request's QN; a device that sends its own QN is
            # matched to its one open request, if it has exactly one
            open_ones = [r for r in self.pending_requests.values() if r.mn == mn]
            if len(open_ones) != 1:
                self.stats.totals[f"unmatched_{cn}"] += 1
                return
            request = open_ones[0]
            self.stats.totals["answers_with_another_qn"] += 1
        future = request.qn_rtn if cn == "9011" else request.exe_rtn
        if not future.done():
            future.set_result(cp_value(cp, "QnRtn" if cn == "9011" else "ExeRtn"))

    def _add(self, entry: Entry | None, conn: DeviceConnection, ack: bytes | None) -> None:
        if entry is not None:
            self._batch.append(entry)
        if ack is not None:
            self._acks.setdefault(conn, []).append(ack)
        self._counts[conn] = self._counts.get(conn, 0) + 1
        conn.unacked += 1
        if conn.unacked >= self.config.max_unacked and not conn.paused:
            conn.paused = True
            if conn.transport is not None:
                conn.transport.pause_reading()
        self._enqueued += 1
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        """Group commit: write and fsync everything gathered, then send its answers; repeat
        while more arrived meanwhile."""
        loop = asyncio.get_running_loop()
        try:
            while self._counts:
                batch, acks, counts = self._batch, self._acks, self._counts
                target = self._enqueued
                self._batch, self._acks, self._counts = [], {}, {}
                try:
                    if batch:
                        await loop.run_in_executor(self.writer, self.journal.write, batch)
                except OSError as exc:  # nothing of this batch is answered: devices re-send
                    log.error(
                        "journal write failed, %d frames not acknowledged: %s", len(batch), exc
                    )
                    self.stats.reject("journal_error")
                    self.seen.clear()
                    acks = {}
                self.stats.totals["stored"] += sum(1 for e in batch if e.quarantine is None)
                for conn, replies in acks.items():
                    conn.send(b"".join(replies))
                    self.stats.totals["acknowledged"] += len(replies)
                for conn, count in counts.items():
                    conn.acked(count)
                self._durable = target
                self._wake()
        finally:
            self._flushing = False

    def _wake(self) -> None:
        keep = []
        for target, future in self._waiters:
            if target <= self._durable:
                if not future.done():
                    future.set_result(None)
            else:
                keep.append((target, future))
        self._waiters = keep

    async def durable(self) -> None:
        """Return once everything accepted so far is on disk."""
        if self._durable >= self._enqueued:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((self._enqueued, future))
        await future

    # -- housekeeping --------------------------------------------------------------------
    async def publish_due(self) -> None:
        loop = asyncio.get_running_loop()
        done = await loop.run_in_executor(self.writer, self.journal.publish_due, self.clock())
        for path in done:
            log.info("published %s", path)
            self.stats.published.append(path.name)

    async def shutdown(self) -> None:
        for conn in list(self.connections):
            if conn.transport is not None:
                conn.transport.pause_reading()
        while self._flushing:
            await asyncio.sleep(0.01)
        for conn in list(self.connections):
            if conn.transport is not None:
                conn.transport.close()
        await asyncio.get_running_loop().run_in_executor(self.writer, self.journal.close)
        self.writer.shutdown(wait=True)

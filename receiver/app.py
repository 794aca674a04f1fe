"""Start the receiver: settings, device access, recovery (publish what a crash left), the device
port, the HTTP status/control port, the periodic jobs (hour publication, status file, idle
connections), and a clean stop on SIGTERM / SIGINT (answers of fsynced frames still sent)."""

from __future__ import annotations

import asyncio
import functools
import logging
import resource
import signal
import sys

from ingest.hj212.registry import RegistryError
from receiver.access import AccessError, load_access
from receiver.config import ConfigError, ReceiverConfig
from receiver.control import handle_http
from receiver.server import DeviceConnection, Receiver
from receiver.status import write_status_file

log = logging.getLogger("receiver")


def _raise_fd_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(hard, max(soft, wanted))
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


async def _every(seconds: float, job) -> None:  # type: ignore[no-untyped-def]
    while True:
        await asyncio.sleep(seconds)
        try:
            await job()
        except Exception:  # a housekeeping failure is logged, the receiver keeps serving
            log.exception("periodic job %s failed", getattr(job, "__name__", job))


async def serve(
    config: ReceiverConfig, receiver: Receiver, ready: asyncio.Event | None = None
) -> None:
    loop = asyncio.get_running_loop()
    receiver.recover()
    devices = await loop.create_server(
        lambda: DeviceConnection(receiver), config.host, config.port, backlog=4096,
        reuse_address=True,
    )  # fmt: skip
    http = await asyncio.start_server(
        functools.partial(handle_http, receiver), config.status_host, config.status_port
    )
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass

    async def status_file() -> None:
        document = receiver.stats.as_json(receiver.clock())
        await loop.run_in_executor(None, write_status_file, config.status_file, document)

    async def idle() -> None:
        receiver.close_idle()

    jobs = [
        loop.create_task(_every(1.0, receiver.publish_due)),
        loop.create_task(_every(config.status_every_s, status_file)),
        loop.create_task(_every(max(0.5, min(5.0, config.idle_timeout_s / 4)), idle)),
    ]
    port = devices.sockets[0].getsockname()[1]
    log.info(
        "receiver %s: devices on %s:%s, status on http://%s:%s, logs in %s",
        config.name, config.host, port, config.status_host, config.status_port, config.log_dir,
    )  # fmt: skip
    print(
        f"receiver listening devices={config.host}:{port} status={config.status_port}", flush=True
    )
    await status_file()
    if ready is not None:
        ready.set()
    await stop.wait()
    log.info("stopping")
    devices.close()
    http.close()
    for job in jobs:
        job.cancel()
    await receiver.shutdown()
    await status_file()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        config = ReceiverConfig.from_env()
        access = load_access(config.registry, config.passwords_file, config.default_pw)
    except (ConfigError, AccessError, RegistryError) as exc:
        print(f"receiver: {exc}", file=sys.stderr)
        return 2
    _raise_fd_limit(config.max_connections + 256)
    receiver = Receiver(config, access, frozenset(access.passwords))
    asyncio.run(serve(config, receiver))
    return 0

"""The auditors' reports open in headless Chromium with the network off, fully styled, and the
page makes no request to any outside host.

Chromium runs with every request sent to a dead proxy (127.0.0.1:9) and every host name
unresolvable, and writes a NetLog (``--log-net-log``). Requests the page makes carry the page's
``file://`` network isolation key; Chromium's own background requests (update checks, sign-in)
carry none and are blocked by the same proxy. The test asserts the page requested nothing but
``file:`` / ``data:`` URLs, proves the detector works on a page that does reach out, and checks the
screenshot carries the report's colours (styled, not blank).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.hj212_devices import ReceiverProcess, SimulatedDevice
from expectations.checkpoint import run_checkpoint
from expectations.rolling_report import write_rolling_report
from expectations.run_report import write_run_report
from pipelines.settings import receiver_statuses
from tests.conftest import REPO
from tests.test_expectations import BASE, make_table

SCREENSHOTS = REPO / ".lantian" / "test" / "screenshots"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def chromium() -> str | None:
    explicit = os.environ.get("LANTIAN_CHROMIUM")
    if explicit and Path(explicit).exists():
        return explicit
    return next((p for p in map(shutil.which, CANDIDATES) if p), None)


BROWSER = chromium()
pytestmark = pytest.mark.skipif(
    BROWSER is None,
    reason="no Chromium found (install Debian's chromium: apt-get install chromium; .ci/run does)",
)


def render(page: Path, out: Path, width: int = 1200, height: int = 1600) -> tuple[Path, Path]:
    """Screenshot ``page`` with the network off; return (screenshot, netlog)."""
    out.mkdir(parents=True, exist_ok=True)
    shot, netlog = out / f"{page.stem}.png", out / f"{page.stem}.netlog.json"
    cmd = [
        str(BROWSER),
        "--headless",
        "--no-sandbox",  # root in CI
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--proxy-server=127.0.0.1:9",  # nothing listens there: no request leaves the machine
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--log-net-log={netlog}",
        f"--user-data-dir={out / 'profile'}",
        f"--window-size={width},{height}",
        "--hide-scrollbars",
        f"--screenshot={shot}",
        page.resolve().as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert shot.exists(), proc.stderr[-2000:]
    return shot, netlog


def page_requests(netlog: Path) -> list[str]:
    """URLs the page requested (network isolation key of the file:// page)."""
    doc = json.loads(netlog.read_text(encoding="utf-8"))
    names = {v: k for k, v in doc["constants"]["logEventTypes"].items()}
    urls = []
    for event in doc["events"]:
        params = event.get("params") or {}
        if names.get(event["type"]) == "URL_REQUEST_START_JOB" and "url" in params:
            nik = str(params.get("network_isolation_key", ""))
            site = str(params.get("site_for_cookies", ""))
            if "file://" in nik or "file://" in site:
                urls.append(params["url"])
    return urls


def external(urls: list[str]) -> list[str]:
    return [u for u in urls if not u.startswith(("file:", "data:", "about:"))]


def png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes) into rows of pixels."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    height = channels = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride, rows, prev = (
        zlib.decompress(idat),
        width * channels,
        [],
        bytearray(width * channels),
    )
    for y in range(height):
        ftype, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xFF
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xFF
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, channels, rows


def colours(path: Path) -> Counter[tuple[int, int, int]]:
    width, channels, rows = png_pixels(path)
    return Counter(
        (row[i], row[i + 1], row[i + 2])
        for row in rows
        for i in range(0, width * channels, channels)
    )


def hex_rgb(code: str) -> tuple[int, int, int]:
    return int(code[1:3], 16), int(code[3:5], 16), int(code[5:7], 16)


@pytest.fixture(scope="module")
def reports(
    make_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """A real GX run over hand-made station coverage, and the reports written from dq."""
    url = make_database("offline")
    engine = sa.create_engine(url)
    make_table(engine, BASE)
    run_checkpoint(
        url, run_id="offline-run__station_day_coverage", report_dir=None, pipeline_run="offline-run"
    )
    with engine.begin() as conn:  # the 补传 mart's columns the report reads, two requests
        conn.exec_driver_sql(
            "create table marts.hj212_gap_request (request_id bigint, device_mn text,"
            " hour_start timestamptz, requested_at timestamptz, request_status text,"
            " is_filled boolean, filled_after_request boolean)"
        )
        conn.exec_driver_sql(
            "insert into marts.hj212_gap_request values"
            f" (1, '{RX_MNS[0]}', now() - interval '3 hours', now() - interval '1 hour', 'done',"
            " true, true),"
            f" (2, '{RX_MNS[1]}', now() - interval '5 hours', now() - interval '1 hour',"
            " 'refused', false, false),"
            f" (2, '{RX_MNS[1]}', now() - interval '4 hours', now() - interval '1 hour',"
            " 'refused', false, false),"
            f" (3, '{RX_MNS[1]}', now() - interval '50 hours', now() - interval '49 hours',"
            " 'done', true, true)"
        )
    out = tmp_path_factory.mktemp("reports")
    statuses = receiver_statuses([receiver_status_file(tmp_path_factory.mktemp("rx"))])
    run = write_run_report(engine, "offline-run", out, statuses)
    rolling = write_rolling_report(engine, out)
    without = write_run_report(
        engine, "offline-run-no-receiver", out, receiver_statuses([out / "absent.json"])
    )
    engine.dispose()
    return {"run": run, "rolling": rolling, "without_receiver": without}


RX_MNS = ["14100231000000030000000001", "14100231000000030000000002"]


def receiver_status_file(root: Path) -> Path:
    """A real receiver's status.json: one registry device sends 2 packets (CN 2011, 2061), the
    other never connects; a stranger (unknown MN), a wrong PW and a frame with a bad CRC."""
    receiver = ReceiverProcess(root, registry_mns=RX_MNS, default_pw="pw-r").start()

    async def send() -> None:
        devices = [
            SimulatedDevice(RX_MNS[0], "pw-r", "127.0.0.1", receiver.port),
            SimulatedDevice("99999999999999999999ABCD", "pw-r", "127.0.0.1", receiver.port),
            SimulatedDevice(RX_MNS[1], "wrong", "127.0.0.1", receiver.port),
        ]
        for device in devices:
            await device.connect()
        known, stranger, liar = devices
        assert await known.send(known.data_packet("2011", "20260312080000", {"a21026": "9"}))
        assert await known.send(known.data_packet("2061", "20260312070000", {"a21026": "8"}))
        bad_crc = known.data_packet("2061", "20260312060000", {"a21026": "7"})
        known.send_nowait(bad_crc[:-4] + ("0000" if bad_crc[-4:] != "0000" else "0001"))
        for device in (stranger, liar):
            assert not await device.send(device.data_packet("2061", "20260312080000", {}), 1)
        for device in devices:
            await device.close()

    try:
        asyncio.run(send())
        assert receiver.stop() == 0
    finally:
        receiver.close()
    return root / "state" / "receiver" / "status.json"


def test_the_run_report_shows_the_receivers_status_and_the_gap_requests(
    reports: dict[str, Path],
) -> None:
    text = reports["run"].read_text(encoding="utf-8")
    section = text.split("HJ 212 接收服务 HJ 212 receiver</h2>")[1].split("<footer>")[0]
    totals = section.split("<tbody>")[1].split("</tbody>")[0]
    cells = [c.split("</td>")[0] for c in totals.split("<td>")[1:]]
    # receiver, written, connections, accepted, stored, acknowledged, duplicates, quarantined,
    # rejected, seen / registry, silent (the device that never connected)
    assert cells[0].startswith("rx-test<br><code>") and cells[2:7] == ["0", "2", "2", "2", "0"]
    assert cells[7].endswith(">2</span> (unknown_mn 1, bad_pw 1)") and cells[8] == "3"
    assert cells[9] == "1 / 2" and cells[10].endswith(">1</span>")
    for reason in ("unknown_mn", "bad_pw", "crc_mismatch"):  # the CRC's name: framing.py
        assert f"<td><code>{reason}</code></td><td>1</td>" in section
    silent = section.split("静默设备")[1].split("补传请求")[0]
    assert f"<code>{RX_MNS[1]}</code>" in silent and "never heard from" in silent
    assert f"<code>{RX_MNS[0]}</code>" not in silent  # it sent a minute ago
    gaps = section.split("补传请求")[1]  # the last 24 h: requests 1 and 2, not 3
    assert "<td>done</td><td>1</td><td>1</td><td>1</td><td>1</td><td>1</td>" in gaps
    assert "<td>refused</td><td>1</td><td>1</td><td>2</td><td>0</td><td>0</td>" in gaps


def test_without_a_status_file_the_receiver_section_says_so_in_one_line(
    reports: dict[str, Path],
) -> None:
    text = reports["without_receiver"].read_text(encoding="utf-8")
    section = text.split("HJ 212 接收服务 HJ 212 receiver</h2>")[1].split("<h3>")[0]
    assert section.count("<p") == 1 and "no receiver status file" in section
    assert "absent.json" in section


def test_the_detector_sees_a_page_that_reaches_out(tmp_path: Path) -> None:
    page = tmp_path / "leaky.html"
    page.write_text(
        '<!DOCTYPE html><html><head><link rel="stylesheet" href="https://cdn.example.com/gx.css">'
        '</head><body><img src="http://cdn.example.com/logo.png"></body></html>',
        encoding="utf-8",
    )
    _, netlog = render(page, tmp_path / "shots")
    assert sorted(external(page_requests(netlog))) == [
        "http://cdn.example.com/logo.png",
        "https://cdn.example.com/gx.css",
    ]


@pytest.mark.parametrize("name", ["run", "rolling"])
def test_report_renders_offline_fully_styled(
    reports: dict[str, Path], name: str, tmp_path: Path
) -> None:
    shot, netlog = render(reports[name], tmp_path / "shots")
    assert json.loads(netlog.read_text(encoding="utf-8"))["events"]  # the NetLog was recording
    assert external(page_requests(netlog)) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, SCREENSHOTS / f"{name}.png")  # kept for people to look at

    seen = colours(shot)
    total = sum(seen.values())
    white = seen[(255, 255, 255)]
    assert white < 0.97 * total, "blank page"
    assert seen[hex_rgb("#f2f2f2")] > 500  # table header background from the inline CSS
    if name == "run":
        assert seen[hex_rgb("#b07800")] > 200  # the 'PASS with warnings' badge (2 warnings)
    else:
        assert seen[hex_rgb("#1f5fa8")] > 50  # the first series of the coverage charts

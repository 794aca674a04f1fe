"""The receiver's HTTP side (asyncio, standard library): status, health, and platform requests.

``GET /health`` -> ``200 {"ok": true}`` while the receiver serves.

``GET /status`` -> the status JSON (:meth:`receiver.status.Stats.as_json`): per device
``connected``, ``last_packet``, ``packets_by_cn``, ``rejects``; totals; rejects by reason.

``POST /request`` (the interface the gap fetch-back / 补传 task codes against)::

    request  {"mn": "<MN>", "cn": "2061", "begin": "YYYYMMDDHHMMSS", "end": "YYYYMMDDHHMMSS",
              "timeout_s": 30}
             cn: 2061 hours (C.21), 2051 minutes (C.20), 2031 days (C.22), 2011 real-time (C.10,
             begin/end ignored); timeout_s optional (default 30, at most 600).
    response {"qn": "<QN of the request>", "status": "done" | "refused" | "not_connected"
              | "timeout" | "failed", "qn_rtn": <int or null>, "exe_rtn": <int or null>,
              "detail": "<text>"}

The receiver sends ``QN=<new>;ST=<device's ST>;CN=<cn>;PW=<device's PW>;MN=<mn>;Flag=<version,
A=1>;CP=&&BeginTime=<begin>;EndTime=<end>&&`` to the device's live connection (s6.1 step 1)
and waits ``timeout_s`` for 请求应答 CN=9011 (s6.2.1); ``QnRtn`` other than 1 (table 7) ->
``refused``. Then it waits for 执行结果 CN=9012, the wait restarting whenever the device sends
a packet (s6.2.2: the replayed uploads); ``ExeRtn`` 1 (table 6) -> ``done``, any other (e.g.
100 没有数据) -> ``failed``, none -> ``timeout``; the device's connection closing before an
answer -> ``failed``. ``done`` is answered only once every packet
the device sent before its 9012 is fsynced in the receiver's log. The replayed packets flow
into the hourly log (and are acknowledged) like any other. HTTP status: 200 for every outcome,
400 for a malformed request (``{"error": ...}``). No retransmission of the request: the caller
decides (its rate limit, its audit record).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from receiver.replies import REQUEST_COMMANDS, RequestError, history_request, request_qn
from receiver.server import Pending, Receiver

MAX_BODY = 65536
DEFAULT_TIMEOUT_S = 30.0


async def platform_request(
    receiver: Receiver, mn: str, cn: str, begin: str | None, end: str | None, timeout_s: float
) -> dict[str, Any]:
    """Send one request to the device and follow its 9011 / 9012 (see the module docstring)."""
    loop = asyncio.get_running_loop()
    conn = receiver.by_mn.get(mn)
    qn = request_qn(sequence=len(receiver.pending_requests))
    while qn in receiver.pending_requests:
        qn = str(int(qn) + 1)
    result: dict[str, Any] = {"qn": qn, "status": "not_connected", "qn_rtn": None, "exe_rtn": None}
    record = {"mn": mn, "cn": cn, "begin": begin, "end": end, **result}
    receiver.stats.requests.append(record)
    if conn is None or conn.closed:
        result["detail"] = f"device {mn} has no live connection"
        record.update(result)
        return result
    device = receiver.stats.device(mn)
    version = (device.flag >> 2) if device.flag is not None else 1
    packet = history_request(
        qn, cn, device.st, receiver.access.passwords[mn], mn, begin, end, version
    )
    pending = Pending(mn, conn, loop.create_future(), loop.create_future())
    receiver.pending_requests[qn] = pending
    try:
        conn.send(packet)
        receiver.stats.totals[f"requests_sent_{cn}"] += 1
        try:
            qn_rtn = await asyncio.wait_for(asyncio.shield(pending.qn_rtn), timeout_s)
        except TimeoutError:
            result.update(status="timeout", detail=f"no 9011 within {timeout_s:g} s (s6.2.1)")
            return result
        result["qn_rtn"] = qn_rtn
        if pending.lost:
            result.update(status="failed", detail="the device's connection closed")
            return result
        if qn_rtn != 1:  # table 7: 1 准备执行请求; anything else is a refusal
            result.update(status="refused", detail=f"QnRtn={qn_rtn} (table 7)")
            return result
        while not pending.exe_rtn.done():
            pending.activity.clear()
            waiter = asyncio.ensure_future(pending.activity.wait())
            done, _ = await asyncio.wait(
                {waiter, pending.exe_rtn}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED
            )
            waiter.cancel()
            if not done:
                result.update(status="timeout", detail=f"no 9012 within {timeout_s:g} s (s6.2.2)")
                return result
        exe_rtn = pending.exe_rtn.result()
        result["exe_rtn"] = exe_rtn
        if pending.lost:
            result.update(status="failed", detail="the device's connection closed before 9012")
            return result
        await receiver.durable()
        if exe_rtn == 1:  # table 6: 1 执行成功
            result.update(status="done", detail="ExeRtn=1")
        else:
            result.update(status="failed", detail=f"ExeRtn={exe_rtn} (table 6)")
        return result
    finally:
        receiver.pending_requests.pop(qn, None)
        record.update(result)


def _parse_request(body: bytes) -> tuple[str, str, str | None, str | None, float]:
    try:
        doc = json.loads(body or b"{}")
    except ValueError as exc:
        raise RequestError(f"body is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise RequestError("body must be a JSON object")
    mn, cn = doc.get("mn"), str(doc.get("cn", ""))
    if not isinstance(mn, str) or not mn:
        raise RequestError("mn missing")
    if cn not in REQUEST_COMMANDS:
        raise RequestError(f"cn {cn!r} is not one of {', '.join(REQUEST_COMMANDS)}")
    try:
        timeout_s = float(doc.get("timeout_s", DEFAULT_TIMEOUT_S))
    except (TypeError, ValueError) as exc:
        raise RequestError("timeout_s is not a number") from exc
    if not 0 < timeout_s <= 600:
        raise RequestError("timeout_s must be in (0, 600]")
    begin, end = doc.get("begin"), doc.get("end")
    return (
        mn,
        cn,
        None if begin is None else str(begin),
        None if end is None else str(end),
        timeout_s,
    )


def _response(status: int, document: Any) -> bytes:
    body = json.dumps(document, ensure_ascii=False).encode("utf-8")
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}
    head = (
        f"HTTP/1.1 {status} {reason.get(status, 'Error')}\r\nContent-Type: application/json;"
        f" charset=utf-8\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


async def handle_http(
    receiver: Receiver, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            return
        lines = head.decode("latin-1").split("\r\n")
        method, _, rest = lines[0].partition(" ")
        path = rest.split(" ", 1)[0].split("?", 1)[0]
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length" and value.strip().isdigit():
                length = int(value.strip())
        if length > MAX_BODY:
            writer.write(_response(400, {"error": f"body over {MAX_BODY} bytes"}))
            return
        body = await reader.readexactly(length) if length else b""
        if path == "/health" and method == "GET":
            writer.write(_response(200, {"ok": True, "connections": receiver.stats.connections}))
        elif path == "/status" and method == "GET":
            writer.write(_response(200, receiver.stats.as_json(receiver.clock())))
        elif path == "/request":
            if method != "POST":
                writer.write(_response(405, {"error": "POST a JSON request"}))
                return
            try:
                mn, cn, begin, end, timeout_s = _parse_request(body)
                result = await platform_request(receiver, mn, cn, begin, end, timeout_s)
            except RequestError as exc:
                writer.write(_response(400, {"error": str(exc)}))
                return
            writer.write(_response(200, result))
        else:
            writer.write(_response(404, {"error": f"no {method} {path}"}))
    finally:
        try:
            await writer.drain()
            writer.close()
        except (ConnectionError, OSError):
            pass

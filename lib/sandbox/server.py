"""The demo gateway as a small HTTP server on localhost that many processes share.

    python -m lib.sandbox.server --host 127.0.0.1 --port 8650 --latency-ms 50 --qps 10

ONE SandboxGateway answers every caller (app servers, job workers), so its
calls-per-second limit is judged across all of them, with the same signature checks
and answers as the in-process sandbox. lib/sandbox/remote.py is the client side: it
sends a request for https://HOST/PATH?QUERY to http://GATEWAY/HOST/PATH?QUERY with the
same method, headers and body; the server rebuilds the original request from that.

Control routes (under /_sandbox/, never forwarded):
  GET  /_sandbox/health        200 {"ok": true}
  GET  /_sandbox/stats[?log=1] counters, the busiest one-second windows, per caller
  POST /_sandbox/reset         clears the counters and the log
A caller names itself with the X-Explorer-Caller header ("" when absent).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from lib.platforms import PLATFORMS
from lib.platforms.tuya import DETAIL_PATH, HOSTS as TUYA_HOSTS
from lib.sandbox.gateway import FIXTURES_ENV, IOP_HOST, TOP_HOSTS, SandboxGateway

CALLER_HEADER = "X-Explorer-Caller"
CONTROL_PREFIX = "/_sandbox/"
KNOWN_HOSTS = frozenset((IOP_HOST, *TOP_HOSTS, *TUYA_HOSTS))
LOG_MAX_ENTRIES = 100_000          # the call log keeps the newest this many
CALLERS_MAX = 1_000                # distinct caller names counted apart; more share one
CALLER_MAX_CHARS = 100
OTHER_CALLERS = "(other callers)"
MAX_REQUEST_BYTES = 1024 * 1024    # a signed product request is a few hundred bytes
# Headers that describe one hop (or that httpx sets itself), never the request.
HOP_HEADERS = frozenset(("host", "content-length", "connection", "keep-alive",
                         "proxy-connection", "transfer-encoding", "te", "trailer",
                         "upgrade", CALLER_HEADER.lower()))


# -- what a call asks for (for the log) -----------------------------------------------
def call_subject(request: httpx.Request) -> tuple[str, str]:
    """(platform, product id) as the gateway reads them: from the signed parameters
    (IOP / TOP: `method`, then the platform's own id field), or the Tuya path; "" for
    what a call does not name (a token call, an unknown method)."""
    url = request.url
    if url.host in TUYA_HOSTS:
        path = url.path
        code = path[len(DETAIL_PATH):] if path.startswith(DETAIL_PATH) else ""
        return "tuya", ("" if "/" in code else code)
    params = dict(url.params)
    params.update(parse_qsl(request.content.decode("utf-8", "replace"),
                            keep_blank_values=True))
    method = params.get("method", "")
    platform = next((key for key, p in PLATFORMS.items() if method in p.api_methods), "")
    if not platform:
        return "", ""
    try:
        return platform, str(PLATFORMS[platform].sandbox_product_id(params) or "")
    except Exception:                 # the log must never sink a call
        return platform, ""


# -- the counters ---------------------------------------------------------------------
class _BusiestSecond:
    """The most arrivals in any window shorter than one second (the gateway's test:
    a call is over the limit when `limit` calls arrived less than 1 s before it)."""

    def __init__(self) -> None:
        self.recent: deque[float] = deque()
        self.most = 0

    def add(self, at: float) -> None:
        while self.recent and at - self.recent[0] >= 1.0:
            self.recent.popleft()
        self.recent.append(at)
        self.most = max(self.most, len(self.recent))


class CallStats:
    """What the gateway answered, for /_sandbox/stats. Not locked itself: the server
    holds its one lock around every use."""

    def __init__(self, limit: float | None, latency_ms: float) -> None:
        self.limit, self.latency_ms = limit, latency_ms
        self.reset()

    def reset(self) -> None:
        self.calls = self.bans = 0
        self.callers: dict[str, int] = {}
        self.platforms: dict[str, int] = {}
        self.arrivals, self.admitted = _BusiestSecond(), _BusiestSecond()
        self.first_at: float | None = None
        self.last_at: float | None = None
        # (at, caller, platform, product_id, banned): tuples, the smallest record
        self.log: deque[tuple[float, str, str, str, bool]] = deque(maxlen=LOG_MAX_ENTRIES)

    def record(self, at: float, caller: str, platform: str, product_id: str,
               banned: bool) -> None:
        self.calls += 1
        self.bans += banned
        caller = caller[:CALLER_MAX_CHARS]
        if caller not in self.callers and len(self.callers) >= CALLERS_MAX:
            caller = OTHER_CALLERS
        self.callers[caller] = self.callers.get(caller, 0) + 1
        self.platforms[platform] = self.platforms.get(platform, 0) + 1
        self.arrivals.add(at)
        if not banned:
            self.admitted.add(at)
        self.first_at = at if self.first_at is None else self.first_at
        self.last_at = at
        self.log.append((at, caller, platform, product_id, banned))

    def as_dict(self, with_log: bool = False) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "calls": self.calls, "admitted": self.calls - self.bans, "bans": self.bans,
            # all arrivals (bans included), and the admitted ones the limit bounds
            "max_calls_in_any_second": self.arrivals.most,
            "max_admitted_in_any_second": self.admitted.most,
            "limit": self.limit, "latency_ms": self.latency_ms,
            "callers": dict(self.callers), "platforms": dict(self.platforms),
            "first_at": self.first_at, "last_at": self.last_at,
            "log_kept": len(self.log), "log_max": LOG_MAX_ENTRIES,
        }
        if with_log:
            answer["log"] = list(self.log)     # a quick copy; as_log() shapes it unlocked
        return answer

    @staticmethod
    def as_log(entries: list[tuple[float, str, str, str, bool]]) -> list[dict[str, Any]]:
        return [{"at": at, "caller": caller, "platform": platform,
                 "product_id": product_id, "banned": banned}
                for at, caller, platform, product_id, banned in entries]


# -- the server -----------------------------------------------------------------------
class GatewayServer(ThreadingHTTPServer):
    """One SandboxGateway and its counters behind a threading HTTP server."""
    daemon_threads = True            # a call still sleeping its latency never blocks exit
    request_queue_size = 128         # many callers connecting at once are not turned away

    def __init__(self, address: tuple[str, int], *, latency_ms: float = 0.0,
                 qps: float = 0.0) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6          # e.g. --host ::1
        super().__init__(address, _Handler)
        self.gateway = SandboxGateway(latency_s=max(0.0, latency_ms) / 1000,
                                      qps_limit=qps or None)
        self.stats = CallStats(_number(qps) if qps else None, _number(latency_ms))
        self.lock = threading.Lock()

    def arrive(self, request: httpx.Request, caller: str) -> bool:
        """Admit (or ban) a call as it arrives and record it; True when admitted."""
        platform, product_id = call_subject(request)
        with self.lock:
            admitted = self.gateway.admit()
            # The very reading the limit judged, so the stats see what the gateway saw.
            at = self.gateway.last_arrival if self.gateway.qps_limit else None
            self.stats.record(at if at is not None else self.gateway.clock(), caller,
                              platform, product_id, banned=not admitted)
        return admitted

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return                   # a caller that hung up: nothing to say
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"    # keep-alive: callers reuse their connections
    # Headers and body go out as two writes: without TCP_NODELAY the body would wait
    # for the caller's delayed ACK (about 40 ms a call on Linux).
    disable_nagle_algorithm = True
    timeout = 120                    # an idle or stalled connection's thread ends
    server: GatewayServer

    def log_message(self, format: str, *args: Any) -> None:
        pass                          # a request line can carry a token: never logged

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _handle(self) -> None:
        if self.path.startswith(CONTROL_PREFIX):
            self._control()
            return
        target = self.path.lstrip("/")
        cut = min((i for i in (target.find("/"), target.find("?")) if i >= 0),
                  default=len(target))
        host, rest = target[:cut], target[cut:]
        body = self._body()            # read first: the connection stays usable
        if body is None:
            return
        if urlsplit(f"//{host}").hostname not in KNOWN_HOSTS:
            self._send(404, b"Not Found", "text/plain; charset=utf-8")
            return
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in HOP_HEADERS]
        rest = rest if rest.startswith("/") else "/" + rest
        try:
            request = httpx.Request(self.command, f"https://{host}{rest}", headers=headers,
                                    content=body or None)
        except (httpx.InvalidURL, ValueError):
            self._send(400, b"Bad Request", "text/plain; charset=utf-8")
            return
        admitted = self.server.arrive(request, self.headers.get(CALLER_HEADER, ""))
        gateway = self.server.gateway
        if gateway.latency_s:
            time.sleep(gateway.latency_s)
        try:
            answer = gateway.respond(request, admitted)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            self._send(500, b"the demo gateway failed on this call",
                       "text/plain; charset=utf-8")
            return
        self._send(answer.status_code, answer.content,
                   answer.headers.get("content-type", "application/octet-stream"))

    def _body(self) -> bytes | None:
        """The request body (None when refused: the answer is sent already)."""
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            self._send(411, b"Length Required", "text/plain; charset=utf-8", close=True)
            return None
        declared = self.headers.get("content-length", "0").strip() or "0"
        if not declared.isdigit() or int(declared) > MAX_REQUEST_BYTES:
            self._send(413, b"Request body too large", "text/plain; charset=utf-8",
                       close=True)
            return None
        return self.rfile.read(int(declared)) if int(declared) else b""

    def _control(self) -> None:
        parts = urlsplit(self.path)
        route, query = parts.path[len(CONTROL_PREFIX):], dict(parse_qsl(parts.query))
        if self._body() is None:      # read whatever was sent, keep the connection sane
            return
        if route == "health" and self.command == "GET":
            self._json({"ok": True})
        elif route == "stats" and self.command == "GET":
            with self.server.lock:      # held briefly: calls arriving wait for it
                answer = self.server.stats.as_dict(with_log=query.get("log") == "1")
            if "log" in answer:
                answer["log"] = CallStats.as_log(answer["log"])
            self._json(answer)
        elif route == "reset" and self.command == "POST":
            with self.server.lock:
                self.server.stats.reset()
            self._json({"ok": True})
        else:
            self._json({"ok": False, "error": "unknown control route"}, 404)

    def _json(self, body: dict, status: int = 200) -> None:
        self._send(status, json.dumps(body).encode("utf-8"), "application/json")

    def _send(self, status: int, body: bytes, content_type: str, close: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)


def _number(value: float) -> float | int:
    """10.0 -> 10 in the stats and the start line; 2.5 stays 2.5."""
    return int(value) if float(value).is_integer() else value


# -- the command ----------------------------------------------------------------------
class _Stop(Exception):
    """Raised by the SIGTERM/SIGINT handler to leave serve_forever."""


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m lib.sandbox.server",
                                     description="The demo gateway, shared over HTTP.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8650, help="0 = any free port")
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="time to answer each call")
    parser.add_argument("--qps", type=float, default=0.0,
                        help="calls per second across all callers; 0 = no limit")
    parser.add_argument("--fixtures", type=Path, default=None,
                        help="a fixture folder of the bundled layout")
    args = parser.parse_args(argv)
    if args.fixtures is not None and not args.fixtures.is_dir():
        parser.error(f"--fixtures: {args.fixtures} is not a folder")
    if args.qps < 0 or args.latency_ms < 0:
        parser.error("--qps and --latency-ms cannot be negative")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if args.fixtures is not None:
        # Read at call time by the gateway (lib/sandbox/gateway.py fixtures_dir()).
        os.environ[FIXTURES_ENV] = str(args.fixtures.resolve())
    server = GatewayServer((args.host, args.port), latency_ms=args.latency_ms, qps=args.qps)
    host, port = server.server_address[:2]
    host = f"[{host}]" if ":" in host else host
    limit = f"limit {_number(args.qps)}/s" if args.qps else "no limit"
    print(f"demo gateway listening on http://{host}:{port} "
          f"({limit}, latency {_number(args.latency_ms)} ms)", flush=True)

    def stop(signum: int, frame: Any) -> None:
        raise _Stop

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except _Stop:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

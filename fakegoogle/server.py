"""The loopback HTTP server, and the requests adapter that sends Google's URLs to it.

``https://sheets.googleapis.com/v4/...`` is sent to
``http://127.0.0.1:<port>/sheets.googleapis.com/v4/...`` through a real TCP connection, so
gspread, google-auth and requests run their whole HTTP stack: timeouts, dropped connections
and status codes behave as they do against Google.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

GOOGLE_HOSTS = ("sheets.googleapis.com", "www.googleapis.com", "oauth2.googleapis.com")


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop_after_s: float | None = None  # close without answering (after waiting that long)


Handler = Callable[[str, str, dict[str, str], bytes], Reply]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


class LoopbackServer:
    """A threading HTTP/1.1 server on 127.0.0.1 calling ``handler(method, target, headers,
    body)`` for every request."""

    def __init__(self, handler: Handler, port: int = 0) -> None:
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        outer = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "ESF"
            sys_version = ""

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with outer._lock:
                    outer._connections.add(self.connection)

            def finish(self) -> None:
                with outer._lock:
                    outer._connections.discard(self.connection)
                with contextlib.suppress(OSError):
                    super().finish()

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                reply = handler(self.command, self.path, headers, body)
                if reply.drop_after_s is not None:
                    if reply.drop_after_s > 0:
                        outer.stopping.wait(reply.drop_after_s)
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                try:
                    self.send_response(reply.status)
                    if reply.status != 204:
                        self.send_header("Content-Type", "application/json; charset=UTF-8")
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    # Headers and body in one write: no Nagle/delayed-ACK stall per request.
                    self._headers_buffer.append(b"\r\n" + reply.body)
                    self.flush_headers()
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        self.httpd = _Server(("127.0.0.1", port), RequestHandler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=f"fakegoogle:{self.port}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        with self._lock:
            for conn in list(self._connections):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)


class LoopbackAdapter(HTTPAdapter):
    """Rewrites Google's https URLs to the loopback server; refuses any other host so a test
    never reaches the network."""

    def __init__(self, base_url: str, hosts: tuple[str, ...] = GOOGLE_HOSTS, **kwargs: Any
                 ) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")
        self.hosts = hosts

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
             ) -> requests.Response:
        original = request.url or ""
        parts = urlsplit(original)
        if parts.hostname not in self.hosts:
            raise requests.ConnectionError(
                f"fakegoogle: {parts.hostname} is not a faked Google host; not connecting",
                request=request)
        forwarded = request.copy()
        forwarded.url = f"{self.base_url}/{parts.hostname}{parts.path}" + (
            f"?{parts.query}" if parts.query else "")
        response = super().send(forwarded, *args, **kwargs)
        response.url = original
        response.request = request
        return response

"""Just enough of the Chrome DevTools Protocol to drive Debian's headless
chromium from a test: start it, open a page with a header (the support
API's bearer token), wait for it to load, and evaluate JavaScript in it.
A minimal WebSocket client on the standard library, so the tests need no
browser-automation package."""
from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from typing import Any, Iterator

INSTALL_TIMEOUT = 600


def chromium() -> str:
    """The chromium binary; installed with apt when missing (Debian's package)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.geteuid() != 0:
        raise RuntimeError("chromium is not installed: apt-get install chromium")
    subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], check=True,
                   timeout=INSTALL_TIMEOUT, capture_output=True)
    found = shutil.which("chromium")
    if not found:
        raise RuntimeError("apt-get install chromium did not provide a chromium binary")
    return found


class WebSocket:
    def __init__(self, url: str, timeout: float) -> None:
        host, port, path = re.match(r"ws://([^:/]+):(\d+)(/.*)", url).groups()
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise RuntimeError(f"websocket refused: {head[:200]!r}")

    def send(self, text: str) -> None:
        data, mask = text.encode(), os.urandom(4)
        n = len(data)
        header = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else
                                  bytes([0x80 | 126]) + struct.pack(">H", n) if n < 65536 else
                                  bytes([0x80 | 127]) + struct.pack(">Q", n))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _exact(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise ConnectionError("the browser closed the connection")
            out += chunk
        return out

    def recv(self) -> str:
        message = b""
        while True:
            first, second = self._exact(2)
            n = second & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._exact(8))[0]
            payload = self._exact(n)
            if first & 0x0F in (0x1, 0x0):
                message += payload
                if first & 0x80:
                    return message.decode()

    def close(self) -> None:
        self.sock.close()


class Page:
    def __init__(self, ws: WebSocket, timeout: float) -> None:
        self.ws, self.timeout, self._id = ws, timeout, 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv())
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
        raise TimeoutError(f"{method}: no answer in {self.timeout} s")

    def open(self, url: str, headers: dict[str, str]) -> int:
        """Navigate and wait for the load event; the document's HTTP status."""
        self.call("Network.enable")
        self.call("Page.enable")
        self.call("Network.setExtraHTTPHeaders", headers=headers)
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": "Page.navigate",
                                 "params": {"url": url}}))
        status, loaded = None, False
        deadline = time.monotonic() + self.timeout
        while not loaded and time.monotonic() < deadline:
            message = json.loads(self.ws.recv())
            if message.get("method") == "Network.responseReceived" and \
                    message["params"].get("type") == "Document":
                status = message["params"]["response"]["status"]
            loaded = message.get("method") == "Page.loadEventFired"
        if not loaded:
            raise TimeoutError(f"{url} did not load in {self.timeout} s")
        return status

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"the page's JavaScript failed: {result['exceptionDetails']}")
        return result["result"].get("value")


@contextmanager
def headless_page(timeout: float = 30) -> Iterator[Page]:
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.Popen(
            [chromium(), "--headless=new", "--no-sandbox", "--disable-gpu",
             "--disable-dev-shm-usage", "--no-first-run", f"--user-data-dir={profile}",
             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        ws = None
        try:
            port, deadline = None, time.monotonic() + timeout
            while port is None and time.monotonic() < deadline:
                line = proc.stderr.readline()
                if not line and proc.poll() is not None:
                    raise RuntimeError(f"chromium exited with {proc.returncode}")
                found = re.search(r"ws://127\.0\.0\.1:(\d+)/", line)
                port = found.group(1) if found else None
            if port is None:
                raise TimeoutError("chromium did not open its DevTools port")
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
                target = next(t for t in json.loads(r.read()) if t["type"] == "page")
            ws = WebSocket(target["webSocketDebuggerUrl"], timeout)
            yield Page(ws, timeout)
        finally:
            if ws is not None:
                ws.close()
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

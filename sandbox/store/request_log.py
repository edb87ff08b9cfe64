"""The REST calls the store received, for tests and benchmarks to count
(a store's access log, as a host keeps one): method, route and status, in
memory, the newest 50,000. Read through `GET /__sandbox/requests?since=N`."""
from __future__ import annotations

import threading
from collections import deque
from typing import Any

KEEP = 50_000


class RequestLog:
    def __init__(self, keep: int = KEEP) -> None:
        self._rows: deque[dict[str, Any]] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self._seq = 0

    def add(self, method: str, path: str, status: int, items: int | None = None) -> None:
        with self._lock:
            self._seq += 1
            self._rows.append({"seq": self._seq, "method": method, "path": path,
                               "status": status, "items": items})

    def since(self, seq: int) -> dict[str, Any]:
        with self._lock:
            return {"last": self._seq, "requests": [r for r in self._rows if r["seq"] > seq]}

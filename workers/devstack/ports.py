"""Ports for the children of the embedded stack (and for tests and bench)."""
from __future__ import annotations

import contextlib
import random
import socket
from pathlib import Path

_pick = random.SystemRandom()  # not the global generator a test may seed
_handed_out: set[int] = set()


def free_port(host: str = "127.0.0.1") -> int:
    """A free port below the ephemeral range, for a child to listen on.

    A port the kernel hands out for `bind(0)` is ephemeral: the many outgoing
    connections of a busy run can take it before the child meant to listen on
    it has started (seen in bench/: 'address already in use')."""
    ephemeral = Path("/proc/sys/net/ipv4/ip_local_port_range")
    low = int(ephemeral.read_text().split()[0]) if ephemeral.is_file() else 32768
    for _ in range(100):
        port = _pick.randrange(20000, min(low, 32768))
        if port in _handed_out:  # free now, but promised to another child
            continue
        with socket.socket() as s, contextlib.suppress(OSError):
            s.bind((host, port))
            _handed_out.add(port)
            return port
    raise RuntimeError("no free port below the ephemeral range")

"""Run `wooerp dev` as a child process, as a user would in another terminal.

The stack announces itself by writing `<data dir>/dev.json` (every endpoint
and credential) once everything is up, and removes it when it stops; that
file is the only thing the demo reads from it besides HTTP.
"""
from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WOOERP = Path(sys.executable).parent / "wooerp"


class StackError(Exception):
    """The stack could not be started; the message says why and where to look."""


@dataclass(frozen=True)
class StackPorts:
    temporal: int = 7233
    ui: int = 8233
    erp: int = 8000
    store: int = 8081
    ingress: int = 8080

    def named(self) -> dict[str, int]:
        return {"Temporal gRPC": self.temporal, "Temporal Web UI": self.ui,
                "sandbox ERP": self.erp, "sandbox store": self.store, "ingress": self.ingress}


def default_data_dir() -> Path:
    """wooerp's own default: $WOOERP_DATA_DIR, else $XDG_DATA_HOME/wooerp."""
    if os.environ.get("WOOERP_DATA_DIR"):
        return Path(os.environ["WOOERP_DATA_DIR"]).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "wooerp"


def default_temporal_port() -> int:
    address = os.environ.get("WOOERP_TEMPORAL__ADDRESS", "127.0.0.1:7233")
    return int(address.rpartition(":")[2])


def busy_ports(ports: StackPorts) -> list[str]:
    """The ports something already listens on, named for the error message."""
    busy = []
    for name, port in ports.named().items():
        with socket.socket() as s:
            # Like the servers themselves: a port in TIME_WAIT is free to take.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                busy.append(f"{port} ({name})")
    return busy


def _die_with_parent() -> None:
    # Linux: if the demo is killed outright, `wooerp dev` gets SIGTERM and
    # stops its children, instead of living on and holding the ports.
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class DevProcess:
    """One `wooerp dev` child: start, wait for dev.json, stop with Ctrl-C semantics."""

    def __init__(self, data_dir: Path, ports: StackPorts, *, ship_delay: float) -> None:
        self.data_dir, self.ports, self.ship_delay = data_dir, ports, ship_delay
        self.dev_json = data_dir / "dev.json"
        self.log_path = data_dir / "logs" / "demo-dev.log"
        self._proc: subprocess.Popen | None = None

    def argv(self) -> list[str]:
        p = self.ports
        return [str(WOOERP), "dev", "--port", str(p.temporal), "--ui-port", str(p.ui),
                "--erp-port", str(p.erp), "--store-port", str(p.store),
                "--ingress-port", str(p.ingress), "--ship-delay", str(self.ship_delay)]

    def start(self) -> None:
        busy = busy_ports(self.ports)
        if busy:
            raise StackError(
                f"port{'s' if len(busy) > 1 else ''} already in use: {', '.join(busy)}. "
                "Is another `wooerp dev` or `wooerp demo` running? Stop it, or pick other "
                "ports (see `wooerp demo --help`).")
        # No stack is running on these ports, so a dev.json left here is stale
        # (a killed run); it must not be mistaken for the new stack's.
        self.dev_json.unlink(missing_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "WOOERP_DATA_DIR": str(self.data_dir),
               "WOOERP_TEMPORAL__ADDRESS": f"127.0.0.1:{self.ports.temporal}",
               "PYTHONUNBUFFERED": "1"}
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                self.argv(), env=env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,  # our Ctrl-C is ours to relay
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def wait_ready(self, timeout: float) -> dict[str, Any]:
        """dev.json's content once the stack is up; StackError if it dies or hangs."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise StackError(f"`wooerp dev` exited with code {self._returncode()} "
                                 f"before it was ready.\n{self.log_tail()}")
            info = self._read_dev_json()
            if info is not None:
                return info
            time.sleep(0.5)
        raise StackError(f"`wooerp dev` was not ready after {timeout:.0f} s.\n{self.log_tail()}")

    def _read_dev_json(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.dev_json.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None  # not written yet (it is replaced atomically, but be safe)

    def _returncode(self) -> int | None:
        return self._proc.returncode if self._proc else None

    def wait(self, timeout: float | None = None) -> int | None:
        """Block until the stack exits by itself (or the timeout); its exit code."""
        if self._proc is None:
            return None
        with contextlib.suppress(subprocess.TimeoutExpired):
            return self._proc.wait(timeout)
        return None

    def stop(self, timeout: float = 60.0) -> int | None:
        """Ctrl-C the stack (it stops its children in reverse order); escalate if stuck."""
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return self._returncode()
        for sig, wait in ((signal.SIGINT, timeout), (signal.SIGTERM, 15.0),
                          (signal.SIGKILL, 10.0)):
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                return proc.wait(wait)
        return proc.poll()

    def log_tail(self, lines: int = 25) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return f"(no log at {self.log_path})"
        tail = "\n".join(f"  | {line}" for line in text[-lines:])
        return (f"Last lines of {self.log_path}:\n{tail}\n"
                f"The children's logs are in {self.data_dir / 'logs'}.")

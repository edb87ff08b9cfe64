"""A small process supervisor for the embedded stack (`wooerp dev`) and tests.

Children start in order, each waited for until its readiness check passes,
and stop in reverse order (SIGTERM, then SIGKILL after a timeout) on Ctrl-C,
SIGTERM, or when any child dies unexpectedly. Children get their own process
group, so a terminal Ctrl-C reaches only the supervisor, which then stops
them in the right order rather than all at once.
"""
from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from workers.config.logs import get_logger

log = get_logger(__name__)

ReadyCheck = Callable[[], Awaitable[bool]]


class ChildFailed(Exception):
    """A child exited or never became ready."""


@dataclass(frozen=True)
class ChildSpec:
    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)  # added to the parent's environment
    cwd: Path | None = None
    ready: ReadyCheck | None = None  # polled until it returns True
    ready_timeout: float = 60.0
    stop_timeout: float = 10.0
    log_file: Path | None = None  # stdout+stderr; None = inherit the terminal


def _die_with_parent() -> None:
    # Linux: if the supervisor is killed outright, its children get SIGTERM
    # instead of living on as orphans holding ports.
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Child:
    """One supervised process."""

    def __init__(self, spec: ChildSpec) -> None:
        self.spec = spec
        self.process: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None

    @property
    def returncode(self) -> int | None:
        return self.process.returncode if self.process else None

    async def start(self) -> None:
        spec = self.spec
        if spec.log_file is not None:
            spec.log_file.parent.mkdir(parents=True, exist_ok=True)
            self._log = open(spec.log_file, "ab")  # noqa: SIM115 (closed in stop)
        self.process = await asyncio.create_subprocess_exec(
            *spec.argv,
            env={**os.environ, **spec.env},
            cwd=spec.cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log,
            stderr=asyncio.subprocess.STDOUT if self._log else None,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        log.info("child started", child=spec.name, pid=self.process.pid)

    async def wait_ready(self) -> None:
        check = self.spec.ready
        if check is None:
            return
        deadline = asyncio.get_running_loop().time() + self.spec.ready_timeout
        last_error: Exception | None = None
        while True:
            if self.returncode is not None:
                raise ChildFailed(f"{self.spec.name} exited with code {self.returncode} "
                                  f"before it was ready{self._log_hint()}")
            try:
                if await check():
                    log.info("child ready", child=self.spec.name)
                    return
            except Exception as e:  # not up yet; keep the reason for the timeout message
                last_error = e
            if asyncio.get_running_loop().time() > deadline:
                reason = f" (last check: {last_error!r})" if last_error else ""
                raise ChildFailed(f"{self.spec.name} not ready after "
                                  f"{self.spec.ready_timeout:.0f}s{reason}{self._log_hint()}")
            await asyncio.sleep(0.1)

    async def stop(self) -> int | None:
        """SIGTERM, wait, SIGKILL. Returns the exit code (not judged: some
        runtimes abort during interpreter exit after a clean shutdown)."""
        proc = self.process
        if proc is not None and proc.returncode is None:
            self._signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), self.spec.stop_timeout)
            except asyncio.TimeoutError:
                log.warning("child did not stop in time, killing", child=self.spec.name)
                self._signal(signal.SIGKILL)
                await proc.wait()
            log.info("child stopped", child=self.spec.name, code=proc.returncode)
        if self._log is not None:
            self._log.close()
            self._log = None
        return self.returncode

    def _signal(self, sig: signal.Signals) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)  # the whole group: helpers it spawned too

    def _log_hint(self) -> str:
        path = self.spec.log_file
        if path is None or not path.exists():
            return ""
        tail = path.read_bytes()[-2000:].decode(errors="replace").strip()
        return f"; last output in {path}:\n{tail}"


class Supervisor:
    def __init__(self, specs: Sequence[ChildSpec] = ()) -> None:
        self.children = [Child(s) for s in specs]

    def add(self, spec: ChildSpec) -> Child:
        child = Child(spec)
        self.children.append(child)
        return child

    async def start(self) -> None:
        """Start each child and wait until it is ready; on failure stop those started."""
        started: list[Child] = []
        try:
            for child in self.children:
                await child.start()
                started.append(child)
                await child.wait_ready()
        except BaseException:
            for child in reversed(started):
                await child.stop()
            raise

    async def stop(self) -> None:
        for child in reversed(self.children):
            await child.stop()

    async def run(self, on_ready: Callable[[], Any] | None = None) -> int:
        """Start everything, run until Ctrl-C/SIGTERM or a child dies, stop in
        reverse order. Returns 0 after a signal, 1 if a child died."""
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await self.start()
            if on_ready is not None:
                on_ready()
            died = await self._wait_for(stop)
            return 1 if died else 0
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            await self.stop()

    async def _wait_for(self, stop: asyncio.Event) -> Child | None:
        stopper = asyncio.ensure_future(stop.wait())
        exits = {asyncio.ensure_future(c.process.wait()): c for c in self.children if c.process}
        done, pending = await asyncio.wait({stopper, *exits}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for task in done:
            if task in exits:
                child = exits[task]
                log.error("child died", child=child.spec.name, code=child.returncode)
                return child
        return None

    async def __aenter__(self) -> Supervisor:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

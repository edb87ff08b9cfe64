"""A small process supervisor for the embedded stack (`wooerp dev`) and tests.

Children start in order, each waited for until its readiness check passes,
and stop in reverse order (SIGTERM, then SIGKILL after a timeout) on Ctrl-C
or SIGTERM. Children get their own process group, so a terminal Ctrl-C
reaches only the supervisor, which then stops them in the right order rather
than all at once.

A child that dies while the stack runs is restarted after a bounded
exponential backoff, and the supervisor says so (a log line with the child's
restart count); the others keep running, since their work is durable in
Temporal. A child that keeps dying (`Restarts.limit` crashes within
`Restarts.window` seconds) is given up on: the stack stops and `run` raises
ChildFailed saying which child and why.
"""
from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
from collections import deque
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
        self.restarts = 0  # times the supervisor started it again after a crash

    @property
    def returncode(self) -> int | None:
        return self.process.returncode if self.process else None

    async def start(self) -> None:
        spec = self.spec
        if spec.log_file is not None and self._log is None:  # a restart appends to the same log
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

    def kill_leftovers(self) -> None:
        """After the child died: its helpers (same process group) must not hold its ports."""
        if self.process is not None:
            self._signal(signal.SIGKILL)

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


@dataclass(frozen=True)
class Restarts:
    """How a crashed child is brought back: after `first` seconds, doubling up to
    `longest`; `limit` crashes within `window` seconds and the stack gives up."""

    first: float = 1.0
    longest: float = 30.0
    limit: int = 5
    window: float = 60.0

    def delay(self, recent_crashes: int) -> float:
        return min(self.first * 2 ** max(recent_crashes - 1, 0), self.longest)


class Supervisor:
    def __init__(self, specs: Sequence[ChildSpec] = (), restarts: Restarts = Restarts()) -> None:
        self.children = [Child(s) for s in specs]
        self.restarts = restarts

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
        """Start everything, restart what crashes, until Ctrl-C/SIGTERM; stop in
        reverse order. Returns 0 after a signal; raises ChildFailed when a child
        could not be kept running."""
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await self.start()
            if on_ready is not None:
                on_ready()
            await self.keep_running(stop)
            return 0
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            await self.stop()

    async def keep_running(self, stop: asyncio.Event) -> None:
        """Watch every child until `stop` is set; raises ChildFailed on giving up
        (the caller stops the rest)."""
        stopper = asyncio.ensure_future(stop.wait())
        watchers = [asyncio.ensure_future(self._watch(c, stop)) for c in self.children]
        try:
            done, _ = await asyncio.wait({stopper, *watchers}, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not stopper:
                    task.result()  # ChildFailed
        finally:
            for task in (stopper, *watchers):
                task.cancel()
            await asyncio.gather(stopper, *watchers, return_exceptions=True)

    async def _watch(self, child: Child, stop: asyncio.Event) -> None:
        """Restart `child` each time it dies; return only by cancellation or ChildFailed."""
        policy, crashes = self.restarts, deque[float]()
        loop = asyncio.get_running_loop()
        while True:
            assert child.process is not None
            code = await child.process.wait()
            if stop.is_set():
                return
            child.kill_leftovers()
            now = loop.time()
            crashes.append(now)
            while crashes and crashes[0] < now - policy.window:
                crashes.popleft()
            if len(crashes) >= policy.limit:
                log.error("child keeps crashing, giving up", child=child.spec.name, code=code,
                          crashes=len(crashes), window_seconds=policy.window)
                raise ChildFailed(
                    f"{child.spec.name} crashed {len(crashes)} times within {policy.window:.0f}s "
                    f"(last exit code {code}); gave up and stopped the stack{child._log_hint()}")
            delay = policy.delay(len(crashes))
            log.warning("child died, restarting", child=child.spec.name, code=code,
                        restart_in_seconds=delay, restarts=child.restarts)
            if await _wait_or_stop(stop, delay):
                return
            try:
                await child.start()
                child.restarts += 1
                await child.wait_ready()
            except (ChildFailed, OSError) as exc:  # died again before it was ready: counted above
                log.warning("restarted child not ready", child=child.spec.name, error=str(exc)[:300])
                await child.stop()  # if it hangs unready; the next turn counts the crash
                continue
            log.info("child restarted", child=child.spec.name, restarts=child.restarts)

    async def __aenter__(self) -> Supervisor:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def _wait_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep `seconds`, or less when `stop` is set; True if it was."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
        return True
    except asyncio.TimeoutError:
        return False

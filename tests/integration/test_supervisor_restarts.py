"""The supervisor keeps the embedded stack up: a crashed child is restarted
with backoff and the supervisor says so; one that keeps crashing is given up
on with a clear message, and the stack stops (workers/devstack/supervisor.py)."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from workers.devstack.supervisor import ChildFailed, ChildSpec, Restarts, Supervisor

QUICK = Restarts(first=0.05, longest=0.2, limit=3, window=30)

# A small child: writes "start <name> <pid>" (and "stop <name>" on SIGTERM) to a trace file.
CHILD = ("import os, signal, sys, time, pathlib\n"
         "trace, name = pathlib.Path(sys.argv[1]), sys.argv[2]\n"
         "def bye(*_):\n"
         "    trace.open('a').write(f'stop {name}\\n'); sys.exit(0)\n"
         "signal.signal(signal.SIGTERM, bye)\n"
         "trace.open('a').write(f'start {name} {os.getpid()}\\n')\n"
         "while True: time.sleep(0.05)\n")


def spec(trace: Path, name: str) -> ChildSpec:
    async def ready() -> bool:
        return trace.is_file() and any(line.startswith(f"start {name} ")
                                       for line in trace.read_text().splitlines())
    return ChildSpec(name=name, argv=[sys.executable, "-c", CHILD, str(trace), name],
                     ready=ready, ready_timeout=20, stop_timeout=5)


async def until(condition, what: str, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        await asyncio.sleep(0.05)


def starts(trace: Path, name: str) -> list[int]:
    return [int(line.split()[2]) for line in trace.read_text().splitlines()
            if line.startswith(f"start {name} ")]


async def test_a_killed_child_is_restarted_and_ctrl_c_still_stops_all_in_reverse(tmp_path):
    trace = tmp_path / "trace"
    sup = Supervisor([spec(trace, "a"), spec(trace, "b")], restarts=QUICK)
    up = asyncio.Event()
    with capture_logs() as logs:
        running = asyncio.create_task(sup.run(on_ready=up.set))
        await asyncio.wait_for(up.wait(), 30)
        a, b = sup.children
        first_a, first_b = a.process.pid, b.process.pid
        os.killpg(first_b, signal.SIGKILL)  # as `kill -9` of the worker did
        await until(lambda: len(starts(trace, "b")) == 2, "b started again")
        await until(lambda: any(e["event"] == "child restarted" for e in logs), "restart logged")
        assert b.restarts == 1 and b.process.pid != first_b and b.returncode is None
        assert a.process.pid == first_a and a.returncode is None and a.restarts == 0
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C: run() handles it while it runs
        assert await asyncio.wait_for(running, 30) == 0
    died = next(e for e in logs if e["event"] == "child died, restarting")
    assert died["child"] == "b" and died["code"] == -signal.SIGKILL
    assert died["restart_in_seconds"] == QUICK.first
    restarted = next(e for e in logs if e["event"] == "child restarted")
    assert restarted["child"] == "b" and restarted["restarts"] == 1
    assert trace.read_text().splitlines()[-2:] == ["stop b", "stop a"]


async def test_a_child_that_keeps_crashing_is_given_up_and_the_stack_stops(tmp_path):
    trace = tmp_path / "trace"
    log_file = tmp_path / "crasher.log"
    crasher = ChildSpec(name="crasher", log_file=log_file, argv=[
        sys.executable, "-c",
        "import time; time.sleep(0.3); print('cannot go on', flush=True); raise SystemExit(3)"])
    sup = Supervisor([spec(trace, "a"), crasher], restarts=QUICK)
    with capture_logs() as logs, pytest.raises(ChildFailed) as failed:
        await asyncio.wait_for(sup.run(), 60)
    message = str(failed.value)
    assert "crasher crashed 3 times within 30s (last exit code 3); gave up and stopped the stack" \
        in message
    assert "cannot go on" in message  # the child's last words, for the operator
    assert sup.children[1].restarts == 2
    delays = [e["restart_in_seconds"] for e in logs if e["event"] == "child died, restarting"]
    assert delays == [QUICK.first, QUICK.first * 2]  # exponential
    assert sup.children[0].returncode is not None  # the healthy sibling was stopped too
    assert trace.read_text().splitlines()[-1] == "stop a"


def test_backoff_doubles_up_to_its_bound():
    policy = Restarts(first=1, longest=30, limit=5, window=60)
    assert [policy.delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]

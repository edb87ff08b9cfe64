"""CPU seconds spent by processes (Linux /proc), to show where a run's CPU went."""
from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: str) -> tuple[int, float] | None:
    """(process group, user + system CPU seconds) of one process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone meanwhile
        return None
    fields = text.rpartition(")")[2].split()
    return int(fields[2]), (int(fields[11]) + int(fields[12])) / TICK


def cpu_seconds(pid: int | None = None) -> float:
    """This process's CPU (user + system), or that of `pid`."""
    if pid is None:
        t = os.times()
        return t.user + t.system
    stat = _stat(str(pid))
    return stat[1] if stat else 0.0


def group_cpu(groups: Iterable[int]) -> dict[int, float]:
    """CPU of every live process in each process group. The supervisor starts
    each child in its own group, so this includes what a child spawned
    (trytond under `wooerp sandbox erp`)."""
    wanted = dict.fromkeys(groups, 0.0)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(entry)
            if stat and stat[0] in wanted:
                wanted[stat[0]] += stat[1]
    return wanted


def machine_busy() -> float:
    """CPU seconds all CPUs spent busy since boot (/proc/stat; idle and iowait excluded)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / TICK


class CpuMeter:
    """CPU per named process group, plus this process and everything else on
    the machine (`other`: another job sharing the CPUs skews a run), summed
    over every start()/stop() interval."""

    def __init__(self, groups: Mapping[str, int]) -> None:
        self.groups = dict(groups)
        self._start: dict[str, float] = {}
        self.spent: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        by_group = group_cpu(self.groups.values())
        now = {name: by_group[pid] for name, pid in self.groups.items()}
        now["bench"] = cpu_seconds()
        now["other"] = machine_busy() - sum(now.values())
        return now

    def start(self) -> None:
        self._start = self._now()

    def stop(self) -> None:
        end = self._now()
        for k, v in end.items():
            self.spent[k] = self.spent.get(k, 0.0) + v - self._start.get(k, 0.0)
        # /proc/stat and per-process counters tick separately: on an idle
        # machine `other` comes out a few ms below zero; it means none.
        self.spent["other"] = max(0.0, self.spent["other"])

    def line(self, per: int, item: str = "order") -> str:
        """CPU milliseconds per item (order, workflow), by process."""
        cells = ", ".join(f"{k} {v / per * 1000:.0f}" for k, v in self.spent.items())
        return f"CPU ms per {item}: {cells}"

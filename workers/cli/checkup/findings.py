"""One checked fact, and the report of all of them."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Iterable

from rich.console import Console
from rich.markup import escape
from rich.table import Table


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"  # works, but worth knowing
    FAIL = "fail"  # something will not work until fixed
    SKIPPED = "skipped"  # could not be checked because an earlier check failed


@dataclass(frozen=True)
class Finding:
    area: str  # "store default", "erp", "temporal"
    check: str
    status: Status
    detail: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return {k: str(v) for k, v in asdict(self).items()}


def ok(area: str, check: str, detail: str) -> Finding:
    return Finding(area, check, Status.OK, detail)


def warn(area: str, check: str, detail: str, fix: str = "") -> Finding:
    return Finding(area, check, Status.WARN, detail, fix)


def fail(area: str, check: str, detail: str, fix: str) -> Finding:
    return Finding(area, check, Status.FAIL, detail, fix)


def skipped(area: str, check: str, because: str) -> Finding:
    return Finding(area, check, Status.SKIPPED, f"not checked: {because}")


STYLE = {Status.OK: "green", Status.WARN: "yellow", Status.FAIL: "bold red",
         Status.SKIPPED: "dim"}


def healthy(findings: Iterable[Finding]) -> bool:
    """No failure (a skipped check always follows the failure that skipped it)."""
    return not any(f.status == Status.FAIL for f in findings)


def render(findings: list[Finding], console: Console | None = None) -> None:
    table = Table("area", "check", "result", "detail", "fix", show_lines=True,
                  title="wooerp doctor")
    for f in findings:
        table.add_row(escape(f.area), escape(f.check),
                      f"[{STYLE[f.status]}]{f.status.value.upper()}[/]",
                      escape(f.detail), escape(f.fix))
    (console or Console()).print(table)

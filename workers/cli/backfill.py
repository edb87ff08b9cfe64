"""`wooerp backfill ...`: hand a range of historical orders to their sagas,
at a chosen rate, with a live progress bar read from the workflow's query.
Ctrl-C stops the display, never the backfill."""
from __future__ import annotations

import asyncio
import contextlib
import re
from datetime import date
from typing import Annotated

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)
from rich.text import Text

from canonical.reconcile import business_days
from workers.cli import app
from workers.cli.aio import with_sagas
from workers.cli.common import ConfigOption, settings_or_exit
from workers.cli.reconcile import parse_day, store_zone
from workers.sagas.client import SagaClient
from workers.sagas.outcomes import NoAnswer
from workflows.backfill_types import BackfillInput, BackfillPolicy, BackfillProgress

backfill_app = typer.Typer(help="Book (or link) a range of historical store orders.",
                           no_args_is_help=True)
app.add_typer(backfill_app, name="backfill")

Store = Annotated[str, typer.Argument(help="Store code, e.g. default.")]
Id = Annotated[str, typer.Argument(help="The backfill's id: backfill:STORE:FROM:TO.")]
STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed")
MAX_DAYS = 366 * 20
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/\s*([smh]))?\s*$")


def parse_rate(text: str) -> float:
    """`5/s`, `120/m`, `3000/h` or `5` (per second): store requests per second."""
    match = _RATE.match(text)
    if not match:
        raise typer.BadParameter(f"{text!r} is not a rate like 5/s or 120/m", param_hint="--rate")
    per = {"s": 1, "m": 60, "h": 3600}[match.group(2) or "s"]
    rate = float(match.group(1)) / per
    if not 0 < rate <= 1000:
        raise typer.BadParameter("the rate must be above 0 and at most 1000/s",
                                 param_hint="--rate")
    return rate


def parse_statuses(text: str) -> list[str]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if parts == ["any"]:
        return parts
    bad = [p for p in parts if p not in STATUSES]
    if not parts or bad:
        raise typer.BadParameter(f"give any, or some of {', '.join(STATUSES)}",
                                 param_hint="--status")
    return parts


def backfill_input(store: str, tz: str, first: date, last: date, *, mode: str,
                   statuses: list[str], rate: float, window: int) -> BackfillInput:
    if last < first:
        raise typer.BadParameter(f"--to {last} is before --from {first}")
    if (last - first).days > MAX_DAYS:
        raise typer.BadParameter("at most 20 years per backfill")
    days = business_days(first, last, tz)
    return BackfillInput(store=store, first_day=first, last_day=last, start=days[0].start,
                         end=days[-1].end, mode=mode, statuses=statuses,  # type: ignore[arg-type]
                         policy=BackfillPolicy(rate=rate, window=window))


@backfill_app.command()
def start(store: Store,
          from_: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
          to: Annotated[str, typer.Option(help="Last day, YYYY-MM-DD (included).")],
          status: Annotated[str, typer.Option(
              help="Store statuses to read: any, or a list like completed,refunded.")] = "any",
          rate: Annotated[str, typer.Option(help="Store requests per second for this "
                                                 "backfill, e.g. 5/s or 120/m.")] = "5/s",
          window: Annotated[int, typer.Option(min=1, max=100_000, help="Order sagas in "
                                              "flight (not yet booked or parked).")] = 20,
          mode: Annotated[str, typer.Option(help="book: create what the ERP lacks; link: "
                                                 "only find the ERP sales that exist.")] = "book",
          follow_: Annotated[bool, typer.Option("--follow/--no-follow",
                                                help="Show the progress bar.")] = True,
          config: ConfigOption = None) -> None:
    """Start the range's backfill (days in the store's time zone). The same
    range again attaches to the running backfill or reports the finished one."""
    if mode not in ("book", "link"):
        raise typer.BadParameter("book or link", param_hint="--mode")
    settings = settings_or_exit(config)
    inp = backfill_input(store, store_zone(settings, store), parse_day(from_, "--from"),
                         parse_day(to, "--to"), mode=mode, statuses=parse_statuses(status),
                         rate=parse_rate(rate), window=window)
    console = Console()

    async def body(sagas: SagaClient) -> None:
        wid, what = await sagas.start_backfill(inp)
        console.print({"started": f"started {wid}", "attached": f"attached to {wid} (running)",
                       "finished": f"{wid} has finished already"}[what])
        if what == "finished":
            print_summary(console, await sagas.backfill_progress(wid))
        elif follow_:
            await follow(sagas, wid, console)

    _display(settings, body, console)


@backfill_app.command()
def status(id_: Id, follow_: Annotated[bool, typer.Option(
               "--follow", help="Keep the progress bar until the backfill ends.")] = False,
           config: ConfigOption = None) -> None:
    """Where a backfill is: pages, orders seen / started / already known /
    quarantined, rate and ETA."""
    settings = settings_or_exit(config)
    console = Console()

    async def body(sagas: SagaClient) -> None:
        if follow_:
            console.print(f"following {id_} (Ctrl-C stops the display, not the backfill)")
            await follow(sagas, id_, console)
        else:
            print_summary(console, await sagas.backfill_progress(id_))

    _display(settings, body, console)


def _control(action: str, id_: str, config) -> None:  # noqa: ANN001
    settings = settings_or_exit(config)
    p = with_sagas(settings, lambda sagas: sagas.backfill_control(id_, action))
    print_summary(Console(), p)


@backfill_app.command()
def pause(id_: Id, config: ConfigOption = None) -> None:
    """Stop reading the store until `resume` (sagas already started go on)."""
    _control("pause", id_, config)


@backfill_app.command()
def resume(id_: Id, config: ConfigOption = None) -> None:
    """Go on from the cursor where the backfill was paused."""
    _control("resume", id_, config)


@backfill_app.command()
def cancel(id_: Id, config: ConfigOption = None) -> None:
    """Stop paging for good; sagas already started go on."""
    _control("cancel", id_, config)


def _display(settings, body, console: Console) -> None:  # noqa: ANN001
    try:
        with_sagas(settings, body)
    except KeyboardInterrupt:
        console.print("display stopped; the backfill goes on "
                      "(`wooerp backfill status ID --follow` shows it again)")


def _fields(p: BackfillProgress) -> dict:
    rate = p.seen / p.elapsed_seconds if p.elapsed_seconds > 0 else 0.0
    return dict(phase="paused" if p.paused and not p.done else p.phase, pages=p.pages,
                started=p.started, known=p.known, quarantined=p.quarantined, unpaid=p.unpaid,
                linked=p.linked, rate=f"{rate:.1f}/s")


def _counters(fields: dict) -> str:
    return " · ".join(f"{name} {fields[name]}" for name in
                      ("pages", "started", "known", "quarantined", "unpaid")) + \
        f" · {fields['rate']} seen"


async def follow(sagas: SagaClient, wid: str, console: Console) -> BackfillProgress | None:
    """Poll the progress query until the backfill ends. Two lines, the bar
    and the counters under it, so an 80-column terminal shows them all."""
    bar = Progress(SpinnerColumn(), TextColumn("[bold]{task.fields[phase]:<9}"),
                   BarColumn(bar_width=None), MofNCompleteColumn(), TimeElapsedColumn(),
                   TimeRemainingColumn(), console=console, expand=True)
    task = bar.add_task("backfill", total=None, phase="starting")
    counters = Text("pages 0 · waiting for the first page", overflow="fold")
    last: BackfillProgress | None = None
    with Live(Group(bar, counters), console=console, refresh_per_second=4):
        while True:
            try:
                last = await sagas.backfill_progress(wid)
                total = max(last.estimated_total or 0, last.seen) or None
                fields = _fields(last)
                bar.update(task, total=total, completed=last.seen, phase=fields["phase"])
                counters.plain = _counters(fields)
                if last.done:
                    break
                if not await sagas.backfill_running(wid):
                    # It ended between the two calls: the answer above is
                    # from before its last step, so ask for the final one.
                    with contextlib.suppress(NoAnswer):
                        last = await sagas.backfill_progress(wid)
                    break
            except NoAnswer:
                pass  # no worker right now, or between two runs of a continue-as-new
            await asyncio.sleep(0.5)
    if last is not None:
        print_summary(console, last)
    return last


def print_summary(console: Console, p: BackfillProgress) -> None:
    console.print(f"{p.workflow_id}: {p.phase}{' (paused)' if p.paused else ''}; "
                  f"{p.pages} pages, {p.seen} orders seen, {p.started} sagas started, "
                  f"{p.known} already known, {p.booked} booked, {p.in_flight} in flight, "
                  f"{p.refunds_started} refunds started, {p.unpaid} unpaid (reported), "
                  f"{p.quarantined} quarantined" + (f", {p.linked} linked, {p.not_linked} "
                                                    "not found in the ERP"
                                                    if p.mode == "link" else ""))
    for q in p.quarantine:
        console.print(f"  quarantined {q.woo_id if q.woo_id is not None else '?'}: {q.reason}")
    if p.unpaid_ids:
        console.print(f"  unpaid, not booked: {', '.join(map(str, p.unpaid_ids))}")
    if p.not_linked_ids:
        console.print(f"  no ERP sale: {', '.join(map(str, p.not_linked_ids))}")

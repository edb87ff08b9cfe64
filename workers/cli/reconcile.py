"""`wooerp reconcile ...`: compare a store with the ERP for business days, now
(`run`, with a progress bar) or on a Temporal Schedule (`schedule`)."""
from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timezone
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from activities.reconcile_contracts import ReconcileWindow
from canonical.reconcile import business_days, day_of
from canonical.reconcile.window import zone
from workers.cli import app
from workers.cli.aio import fail, parse_duration, with_sagas
from workers.cli.common import ConfigOption, settings_or_exit
from workers.config.settings import Settings, SettingsError
from workers.sagas.client import SagaClient
from workers.sagas.outcomes import NoAnswer
from workflows.reconcile_types import ReconcileResult

reconcile_app = typer.Typer(help="Compare a store with the ERP and explain every difference.",
                            no_args_is_help=True)
app.add_typer(reconcile_app, name="reconcile")

MAX_DAYS = 92  # one run; longer spans are several runs
Store = Annotated[str, typer.Argument(help="Store code, e.g. default.")]
DayOpt = Annotated[Optional[str], typer.Option(help="A business day, YYYY-MM-DD.")]


def parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date like 2026-11-30",
                                 param_hint=option) from None


def store_zone(settings: Settings, store: str) -> str:
    try:
        return settings.store(store).timezone
    except SettingsError as exc:
        raise fail(str(exc), 2) from None


def window_of(store: str, tz: str, day: str | None, first: str | None, last: str | None,
              today: date) -> ReconcileWindow:
    if day and (first or last):
        raise typer.BadParameter("give --date, or --from/--to, not both")
    start = parse_day(day or first, "--date/--from") if (day or first) else today
    end = parse_day(last, "--to") if last else (start if not first else today)
    if end < start:
        raise typer.BadParameter(f"--to {end} is before --from {start}")
    if (end - start).days >= MAX_DAYS:
        raise typer.BadParameter(f"at most {MAX_DAYS} days per run")
    days = business_days(start, end, tz)
    return ReconcileWindow(store=store, first_day=start, last_day=end, timezone=tz,
                           start=days[0].start, end=days[-1].end)


@reconcile_app.command()
def run(store: Store, date_: Annotated[Optional[str], typer.Option(
            "--date", help="One business day, YYYY-MM-DD (default: today).")] = None,
        from_: Annotated[Optional[str], typer.Option("--from", help="First day.")] = None,
        to: Annotated[Optional[str], typer.Option(help="Last day (default: today).")] = None,
        wait: Annotated[bool, typer.Option(help="Follow the run to its end.")] = True,
        config: ConfigOption = None) -> None:
    """Reconcile business days now (in the store's time zone), with a progress bar.
    A run of the same days already going is followed, not started twice."""
    settings = settings_or_exit(config)
    tz = store_zone(settings, store)
    window = window_of(store, tz, date_, from_, to, day_of(datetime.now(timezone.utc), tz))
    console = Console()

    async def body(sagas: SagaClient) -> ReconcileResult | str:
        wid, attached = await sagas.start_reconcile(window)
        console.print(f"{'following' if attached else 'started'} {wid}")
        if not wait:
            return wid
        return await follow(sagas, wid, console)

    outcome = with_sagas(settings, body)
    if isinstance(outcome, ReconcileResult):
        print_result(console, outcome)


async def follow(sagas: SagaClient, wid: str, console: Console) -> ReconcileResult:
    """Poll the run's progress query until its result is in."""
    result = asyncio.create_task(sagas.reconcile_result(wid))
    columns = (SpinnerColumn(), TextColumn("[bold]{task.fields[phase]:<9}"),
               TextColumn("pages read {task.fields[pages]}"),
               TextColumn("store orders {task.fields[orders]}"),
               TextColumn("ERP sales {task.fields[sales]}"),
               TextColumn("recovered {task.fields[recovered]}"),
               TextColumn("compared {task.fields[compared]}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("reconcile", total=None, phase="starting", pages=0, orders=0,
                            sales=0, recovered=0, compared=0)
        while not result.done():
            try:
                p = await sagas.reconcile_progress(wid)
                bar.update(task, phase=p.phase, pages=p.pages_read, orders=p.store_orders,
                           sales=p.erp_sales, recovered=p.recovered, compared=p.orders_compared)
            except NoAnswer:
                pass  # no worker right now, or between two runs of a continue-as-new
            await asyncio.wait({result}, timeout=0.5)
        done = result.result()
        p = done.progress
        bar.update(task, phase=p.phase, pages=p.pages_read, orders=p.store_orders,
                   sales=p.erp_sales, recovered=p.recovered, compared=p.orders_compared)
    return done


def print_result(console: Console, result: ReconcileResult) -> None:
    table = Table("day", "currency", "orders", "commerce", "ERP", "difference", "unexplained",
                  "by cause", title=f"{result.workflow_id}")
    for d in result.compared.days:
        causes = ", ".join(f"{c} {m.amount}" for c, m in sorted(d.by_cause.items())) or "-"
        style = "bold red" if not d.unexplained.is_zero() else ""
        table.add_row(str(d.business_day), d.currency, str(d.orders), str(d.commerce.amount),
                      str(d.erp.amount), str(d.difference.amount),
                      f"[{style}]{d.unexplained.amount}[/]" if style else str(d.unexplained.amount),
                      causes)
    console.print(table)
    if not result.compared.days:
        console.print("no orders in the window")
    console.print(f"details: wooerp report variance {result.window.store} "
                  f"--from {result.window.first_day} --to {result.window.last_day}")


def parse_clock(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a time like 02:00",
                                 param_hint="--daily-at") from None


@reconcile_app.command()
def schedule(store: Store,
             every: Annotated[Optional[str], typer.Option(
                 help="Reconcile today so far this often, e.g. 15m.")] = None,
             daily_at: Annotated[Optional[str], typer.Option(
                 help="Close yesterday every day at this local time, e.g. 02:00.")] = None,
             timezone_: Annotated[Optional[str], typer.Option(
                 "--timezone", help="IANA zone of --daily-at and of the business day "
                                    "(default: the store's `timezone` setting).")] = None,
             catchup_window: Annotated[Optional[str], typer.Option(
                 help="Missed runs older than this are dropped (default: one interval; "
                      "6h for the daily close).")] = None,
             trigger: Annotated[bool, typer.Option(help="Also run once now.")] = False,
             config: ConfigOption = None) -> None:
    """Create or update the store's reconciliation Schedule(s) in Temporal."""
    settings = settings_or_exit(config)
    tz = timezone_ or store_zone(settings, store)
    try:
        zone(tz)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--timezone") from None
    interval = parse_duration(every) if every else None
    at = parse_clock(daily_at) if daily_at else None
    catchup = parse_duration(catchup_window) if catchup_window else None
    if interval is None and at is None:
        raise typer.BadParameter("give --every, --daily-at, or both")

    async def body(sagas: SagaClient):
        await sagas.schedule_reconcile(store, every=interval, daily_at=at, timezone=tz,
                                       catchup_window=catchup, trigger=trigger)
        return await sagas.reconcile_schedules(store)

    print_schedules(with_sagas(settings, body))


@reconcile_app.command()
def schedules(store: Store, config: ConfigOption = None) -> None:
    """The store's reconciliation Schedules and their next runs."""
    settings = settings_or_exit(config)
    print_schedules(with_sagas(settings, lambda sagas: sagas.reconcile_schedules(store)))


def print_schedules(found) -> None:  # noqa: ANN001 (list of ScheduleInfo)
    table = Table("schedule", "when", "next runs", "runs so far", "paused")
    for s in found:
        table.add_row(s.schedule_id, s.description,
                      ", ".join(t.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%MZ")
                                for t in s.next_runs) or "-",
                      str(s.actions_taken), "yes" if s.paused else "no")
    Console().print(table)
    if not found:
        typer.echo("no reconciliation schedule for this store")



"""`wooerp demo`: start the embedded stack, drive a mix of orders, refunds and
returns through it, and check what every saga made of them."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                           TimeElapsedColumn)

from sandbox.demo import report
from sandbox.demo.scenarios import Driver, Outcome, drive_all
from sandbox.demo.shop import Shop
from sandbox.demo.stack import (DevProcess, StackError, StackPorts, default_data_dir,
                                default_temporal_port)
from sandbox.demo.support import Support
from sandbox.demo.variance import variance_report

# Shown after the run; everything else in dev.json (keys, tokens) stays in the file.
ENDPOINTS = ("temporal_ui", "store_url", "erp_url", "ingress_url")


def demo(
    orders: Annotated[int, typer.Option(min=0, help="How many plain orders, besides the "
                                        "multi-line, cancelled, unmapped, refund and return ones.")] = 4,
    keep_running: Annotated[bool, typer.Option(help="Leave the stack (and its Web UI) up "
                                               "after the summary, until Ctrl-C.")] = False,
    data_dir: Annotated[Optional[Path], typer.Option(help="Data directory of the stack "
                                                     "(default: $WOOERP_DATA_DIR or ~/.local/share/wooerp).")] = None,
    port: Annotated[Optional[int], typer.Option(help="Temporal gRPC port (default: from "
                                                "WOOERP_TEMPORAL__ADDRESS, else 7233).")] = None,
    ui_port: Annotated[int, typer.Option(help="Temporal Web UI port.")] = 8233,
    erp_port: Annotated[int, typer.Option(help="Sandbox ERP (Tryton) port.")] = 8000,
    store_port: Annotated[int, typer.Option(help="Sandbox store port.")] = 8081,
    ingress_port: Annotated[int, typer.Option(help="Ingress port.")] = 8080,
    ship_delay: Annotated[float, typer.Option(help="Seconds the warehouse waits before it "
                                              "ships; leaves time to cancel an order.")] = 5.0,
    start_timeout: Annotated[float, typer.Option(help="Seconds to wait for the stack.")] = 300.0,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for every saga to settle.")] = 300.0,
) -> None:
    """Run the embedded stack and place demo orders through it: plain, multi-line with
    tax, coupon and shipping, cancelled before shipment, an unknown SKU, an approved
    refund and a completed return. Exits non-zero if any saga ends unexpectedly."""
    console = Console()
    if not console.is_terminal:  # a log or CI: room for the table, no 80-column wrap
        console = Console(width=132)
    ports = StackPorts(temporal=port or default_temporal_port(), ui=ui_port, erp=erp_port,
                       store=store_port, ingress=ingress_port)
    stack = DevProcess((data_dir or default_data_dir()).expanduser().resolve(), ports,
                       ship_delay=ship_delay)
    code = 1
    try:
        info = _start(console, stack, start_timeout)
        began = time.monotonic()
        outcomes = asyncio.run(_traffic(console, stack, info, orders, timeout))
        code = _summarize(console, outcomes, info, time.monotonic() - began)
        code = _reconciled(console, info) or code
        if keep_running:
            _keep_running(console, stack, info)
    except StackError as exc:
        console.print(f"[red]wooerp demo: {exc}[/]", highlight=False)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]")
        code = 130
    finally:
        if stack.running:
            with console.status("stopping the stack (Ctrl-C to `wooerp dev`)"):
                stack.stop()
            console.print("stack stopped.")
    raise typer.Exit(code)


def _start(console: Console, stack: DevProcess, timeout: float) -> dict[str, Any]:
    console.print(f"data directory: {stack.data_dir}  (stack log: {stack.log_path})")
    stack.start()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        progress.add_task("starting `wooerp dev`: Temporal, Tryton ERP, store, worker, "
                          "ingress, warehouse (the first start builds the ERP database)")
        info = stack.wait_ready(timeout)
    console.print(f"[green]✓[/] stack up · Web UI {info['temporal_ui']}")
    return info


async def _traffic(console: Console, stack: DevProcess, info: dict[str, Any], plain: int,
                   timeout: float) -> list[Outcome]:
    shop = Shop(info["store_url"], info["store_consumer_key"], info["store_consumer_secret"])
    support = Support(info["ingress_url"], info["support_token"])
    columns = (SpinnerColumn(), TextColumn("{task.description:<52}"), BarColumn(),
               MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console) as progress:
            driver = Driver(shop, support, info["store"], timeout, lambda: None, lambda: None)
            plan = driver.plan(plain)
            placed = progress.add_task("orders placed in the store", total=len(plan))
            settled = progress.add_task("sagas settled", total=len(plan))
            driver.on_placed = lambda: progress.advance(placed)
            driver.on_done = lambda: progress.advance(settled)
            watcher = asyncio.create_task(_watch(progress, settled, [o for o, _ in plan]))
            try:
                return await _unless_stack_dies(stack, drive_all(driver, plan))
            finally:
                watcher.cancel()
                progress.update(settled, description="sagas settled")
    finally:
        await support.aclose()


async def _unless_stack_dies(stack: DevProcess, work):
    """The work's result, or StackError at once if `wooerp dev` exits meanwhile
    (a crashed child stops it): no point waiting for sagas nobody runs."""
    task = asyncio.ensure_future(work)
    while not task.done():
        if not stack.running:
            task.cancel()
            raise StackError(f"`wooerp dev` stopped during the demo.\n{stack.log_tail()}")
        await asyncio.wait({task}, timeout=1.0)
    return task.result()


async def _watch(progress: Progress, task, outcomes: list[Outcome]) -> None:
    """Name what the slowest sagas are still waiting for, under the bar."""
    while True:
        pending = [f"#{o.order_id or '?'} {o.kind}: {o.waiting_for} {o.last_stage}".rstrip()
                   for o in outcomes if not o.done]
        text = f"sagas settled · {pending[0]}" if pending else "sagas settled"
        progress.update(task, description=text[:52])
        await asyncio.sleep(0.5)


def _summarize(console: Console, outcomes: list[Outcome], info: dict[str, Any],
               took: float) -> int:
    console.print(report.table(outcomes))
    for note in report.attention_notes(outcomes):
        console.print(f"[magenta]•[/] {note}", highlight=False)
    if report.attention_notes(outcomes):
        console.print(f"  Parked orders wait for a person: see them with `wooerp orders stuck` "
                      f"(while the stack runs, e.g. with --keep-running) or in the Web UI at "
                      f"{info['temporal_ui']} (query: NeedsAttention = true); fix the cause "
                      f"and `wooerp order retry`, or `wooerp order resolve`.", highlight=False)
    bad = [o for o in outcomes if report.problems(o)]
    for o in bad:
        console.print(f"[red]✗[/] order {o.order_id or '-'} ({o.kind}): "
                      f"{'; '.join(report.problems(o))}", highlight=False)
    if bad:
        console.print(f"[red]✗ {len(bad)} of {len(outcomes)} sagas did not end as expected "
                      f"({took:.0f} s).[/] Logs: {info['logs']}")
        return 1
    console.print(f"[green]✓ all {len(outcomes)} sagas ended as expected in {took:.0f} s.[/]")
    return 0


def _reconciled(console: Console, info: dict[str, Any]) -> int:
    """The day's variance report; 1 if a difference is left unexplained."""
    problems = variance_report(console, info)
    for problem in problems:
        console.print(f"[red]✗[/] {problem}", highlight=False)
    if problems:
        return 1
    console.print("[green]✓ every difference between the store and the ERP is explained "
                  "(unexplained 0.00).[/]")
    return 0


def _keep_running(console: Console, stack: DevProcess, info: dict[str, Any]) -> None:
    """Until Ctrl-C, which here is the normal way out: the summary's exit code stands."""
    console.print("The stack keeps running:")
    for key in ENDPOINTS:
        console.print(f"  {key:<12} {info[key]}")
    console.print(f"  credentials  {stack.dev_json}")
    console.print("Try `wooerp orders stuck` or the Web UI. Press Ctrl-C to stop.")
    try:
        while stack.running:
            stack.wait(1.0)
    except KeyboardInterrupt:
        return
    console.print("[yellow]`wooerp dev` exited by itself.[/]")

"""`wooerp inventory ...`: the store's stock as the InventorySync keeps it.

`sync STORE --full` asks for a full comparison now (and follows it to its
end); `sync STORE --sku A --sku B` looks at some SKUs only; `status STORE`
lists the SKUs out of step, with both numbers and how long they have been
apart, and what could not be compared. The sync is started by the worker
(one per configured store) or by the first signal, whichever comes first.
"""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from workers.cli import app
from workers.cli.aio import fail, with_sagas
from workers.cli.common import ConfigOption, settings_or_exit
from workers.sagas.client import SagaClient
from workers.sagas.outcomes import SagaCallError
from workflows.inventory_types import InventoryStatus

inventory_app = typer.Typer(help="Keep the store's stock at what the ERP can sell.",
                            no_args_is_help=True)
app.add_typer(inventory_app, name="inventory")

Store = Annotated[str, typer.Argument(help="Store code, e.g. default.")]
FOLLOW_SECONDS = 600  # `sync --full` waits this long for the comparison, then says so


def _age(since: datetime, now: datetime) -> str:
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds / 3600:.1f} h"


def print_status(console: Console, st: InventoryStatus, now: datetime) -> None:
    accuracy = "-" if st.accuracy is None else f"{st.accuracy:.1%}"
    console.print(f"{st.workflow_id}: {st.rounds} rounds, {st.full_runs} full comparisons "
                  f"(last {st.last_full_at or '-'}, next {st.next_full_at or '-'}), "
                  f"{st.pushed} SKUs pushed ({st.repaired_by_full} by a full comparison), "
                  f"{st.pending} waiting; accuracy at the last full comparison {accuracy}")
    if st.last_error:
        console.print(f"[red]last round failed[/red]: {st.last_error}")
    if st.out_of_step:
        table = Table("SKU", "ERP can sell", "store shows", "out of step for",
                      title="Out of step")
        for gap in st.out_of_step:
            table.add_row(gap.sku, str(gap.erp), "-" if gap.store is None else str(gap.store),
                          _age(gap.since, now))
        console.print(table)
    else:
        console.print("every compared SKU is in step")
    if st.problems:
        table = Table("SKU", "problem", "detail", title="Not compared")
        for p in st.problems:
            table.add_row(p.sku, p.kind, p.detail or "")
        console.print(table)


@inventory_app.command()
def status(store: Store, config: ConfigOption = None) -> None:
    """SKUs out of step (both numbers, and since when), and what could not be compared."""
    settings = settings_or_exit(config)
    if store not in settings.stores:
        raise fail(f"unknown store {store!r}", 2)

    async def body(sagas: SagaClient) -> InventoryStatus:
        return await sagas.inventory_status(store)

    print_status(Console(width=200), with_sagas(settings, body), datetime.now(timezone.utc))


@inventory_app.command()
def sync(store: Store,
         full: Annotated[bool, typer.Option("--full", help="Compare every SKU now.")] = False,
         sku: Annotated[Optional[list[str]], typer.Option(
             help="Look at this SKU now (repeatable).")] = None,
         wait: Annotated[bool, typer.Option(help="Follow the comparison to its end.")] = True,
         config: ConfigOption = None) -> None:
    """Compare the store's stock with what the ERP can sell, and repair it."""
    settings = settings_or_exit(config)
    if store not in settings.stores:
        raise fail(f"unknown store {store!r}", 2)
    if not full and not sku:
        raise typer.BadParameter("give --full, or --sku SKU")
    console = Console(width=200)

    async def body(sagas: SagaClient) -> InventoryStatus | None:
        before = await _status_or_none(sagas, store)
        if full:
            wid = await sagas.inventory_full(store)
        else:
            wid = await sagas.inventory_changed(store, list(sku or []))
        console.print(f"asked {wid} for a {'full' if full else 'SKU'} comparison")
        if not wait:
            return None
        deadline = time.monotonic() + FOLLOW_SECONDS
        while time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            now = await _status_or_none(sagas, store)
            if now is None:
                continue
            done = (now.full_runs > (before.full_runs if before else 0) if full
                    else now.rounds > (before.rounds if before else 0) and not now.pending)
            if done:
                return now
        raise fail(f"no comparison finished within {FOLLOW_SECONDS} s: is a worker running?")

    result = with_sagas(settings, body)
    if result is not None:
        print_status(console, result, datetime.now(timezone.utc))


async def _status_or_none(sagas: SagaClient, store: str) -> InventoryStatus | None:
    try:
        return await sagas.inventory_status(store)
    except SagaCallError:  # not started yet, or no worker answered yet
        return None

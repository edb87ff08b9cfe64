"""`wooerp worker`: run the workflows and activities against Temporal."""
from __future__ import annotations

import asyncio
from typing import Annotated, Optional

import typer

from activities.refs import Queue
from workers.cli import app
from workers.cli.common import ConfigOption, settings_or_exit
from workers.worker.run import run_worker


@app.command()
def worker(queue: Annotated[Optional[list[Queue]], typer.Option(
               "--queue", help="Poll only this task queue; repeat for several "
                               "(default: all of them).")] = None,
           config: ConfigOption = None) -> None:
    """Run a worker: workflows on `orders`, activities on `woocommerce`, `erp`,
    `ledger` and `sagas`."""
    settings = settings_or_exit(config)
    try:
        asyncio.run(run_worker(settings, queues=queue or None))
    except ConnectionError as e:
        typer.secho(f"wooerp worker: {e}", err=True, fg=typer.colors.RED)
        raise typer.Exit(1) from None

"""`wooerp dev`: the embedded stack on one machine, until Ctrl-C."""
from __future__ import annotations

import asyncio
from typing import Annotated, Optional

import typer

from systems.ledger import Ledger
from workers.cli import app
from workers.cli.common import ConfigOption, settings_or_exit
from workers.devserver import DevServerConfig, DevServerError
from workers.devstack import describe, dev_stack
from workers.redaction import scrub_text
from workers.supervisor import ChildFailed, Supervisor


@app.command()
def dev(
    config: ConfigOption = None,
    port: Annotated[Optional[int], typer.Option(help="Temporal gRPC port (default: from WOOERP_TEMPORAL__ADDRESS).")] = None,
    ui_port: Annotated[Optional[int], typer.Option(help="Temporal Web UI port (default 8233).")] = None,
    in_memory: Annotated[bool, typer.Option(help="Keep Temporal state in memory instead of the SQLite file.")] = False,
) -> None:
    """Run the embedded stack (Temporal dev server with Web UI) until Ctrl-C."""
    settings = settings_or_exit(config)
    overrides: dict[str, object] = {}
    if port is not None:
        overrides["port"] = port
    if ui_port is not None:
        overrides["ui_port"] = ui_port
    if in_memory:
        overrides["db_file"] = None
    temporal = DevServerConfig.from_settings(settings, **overrides)

    ledger = Ledger(settings.database_url)
    try:
        ledger.migrate()
    finally:
        ledger.close()

    def ready() -> None:
        width = max(len(name) for name, _ in describe(settings, temporal))
        typer.echo("wooerp dev is up:")
        for name, value in describe(settings, temporal):
            typer.echo(f"  {name:<{width}}  {scrub_text(value)}")
        typer.echo("Press Ctrl-C to stop.", err=False)

    try:
        supervisor = Supervisor(dev_stack(settings, temporal))
        code = asyncio.run(supervisor.run(on_ready=ready))
    except (ChildFailed, DevServerError) as e:
        typer.secho(f"wooerp dev: {e}", err=True, fg=typer.colors.RED)
        raise typer.Exit(1) from None
    typer.echo("wooerp dev stopped." if code == 0 else "wooerp dev stopped: a child process died.")
    raise typer.Exit(code)

"""`wooerp dev`: the embedded stack on one machine, until Ctrl-C."""
from __future__ import annotations

import asyncio
from typing import Annotated, Optional

import typer

from systems.ledger import Ledger
from systems.woocommerce.client import WooClient
from systems.woocommerce.webhook_setup import ensure_webhooks
from workers.cli import app
from workers.cli.common import ConfigOption, settings_or_exit
from workers.devstack.devserver import DevServerConfig, DevServerError
from workers.devstack.stack import DevPorts, DevStack
from workers.devstack.supervisor import ChildFailed, Supervisor

SHOWN = ("temporal_ui", "temporal_address", "store_url", "erp_url", "ingress_url",
         "webhook_url", "ledger", "logs")


@app.command()
def dev(
    config: ConfigOption = None,
    port: Annotated[Optional[int], typer.Option(help="Temporal gRPC port (default: from WOOERP_TEMPORAL__ADDRESS).")] = None,
    ui_port: Annotated[Optional[int], typer.Option(help="Temporal Web UI port (default 8233).")] = None,
    in_memory: Annotated[bool, typer.Option(help="Keep Temporal state in memory instead of the SQLite file.")] = False,
    erp_port: Annotated[int, typer.Option(help="Sandbox ERP (Tryton) port.")] = DevPorts.erp,
    store_port: Annotated[int, typer.Option(help="Sandbox store port.")] = DevPorts.store,
    ingress_port: Annotated[int, typer.Option(help="Ingress port.")] = DevPorts.ingress,
    ship_delay: Annotated[float, typer.Option(help="Seconds the warehouse takes to ship.")] = 3.0,
) -> None:
    """Run everything on one machine: Temporal (with Web UI), a real Tryton ERP,
    the sandbox store wired to the ingress, the worker and a warehouse simulator."""
    settings = settings_or_exit(config)
    overrides: dict[str, object] = {}
    if port is not None:
        overrides["port"] = port
    if ui_port is not None:
        overrides["ui_port"] = ui_port
    if in_memory:
        overrides["db_file"] = None
    stack = DevStack(settings, DevServerConfig.from_settings(settings, **overrides),
                     DevPorts(erp=erp_port, store=store_port, ingress=ingress_port),
                     ship_delay=ship_delay, invoice_delay=ship_delay)
    ledger = Ledger(settings.database_url)
    try:
        ledger.migrate()
    finally:
        ledger.close()
    typer.echo(f"starting the embedded stack (logs in {stack.logs}); the first start "
               "builds the Tryton database, about 30 s")

    def ready() -> None:
        s = stack.secrets
        client = WooClient(stack.store_url, s.consumer_key, s.consumer_secret, timeout=10)
        url = stack.describe()["webhook_url"]
        ensure_webhooks(client, url, s.webhook_secret)
        path = stack.write_dev_json()
        info = stack.describe()
        typer.echo("wooerp dev is up:")
        for key in SHOWN:
            typer.echo(f"  {key:<17} {info[key]}")
        typer.echo(f"  {'credentials':<17} {path}")
        typer.echo("Press Ctrl-C to stop.")

    try:
        code = asyncio.run(Supervisor(stack.specs()).run(on_ready=ready))
    except (ChildFailed, DevServerError) as e:
        typer.secho(f"wooerp dev: {e}", err=True, fg=typer.colors.RED)
        raise typer.Exit(1) from None
    finally:
        (stack.data_dir / "dev.json").unlink(missing_ok=True)
    typer.echo("wooerp dev stopped." if code == 0 else "wooerp dev stopped: a child process died.")
    raise typer.Exit(code)

"""`wooerp dev`: the embedded stack on one machine, until Ctrl-C; with
`--store-url`, against the user's own WooCommerce instead of the sandbox one."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Optional
from urllib.parse import urlsplit

import typer

from systems.ledger import Ledger
from systems.woocommerce.client import WooClient
from systems.woocommerce.errors import WooError
from systems.woocommerce.webhook_setup import delivery_refusal, ensure_webhooks
from workers.cli import app
from workers.cli.common import ConfigOption, settings_or_exit
from workers.config.settings import Settings
from workers.devstack.devserver import DevServerConfig, DevServerError
from workers.devstack.stack import STORE, DevPorts, DevStack, OwnStore
from workers.devstack.supervisor import ChildFailed, Supervisor

SHOWN = ("temporal_ui", "temporal_address", "store_url", "erp_url", "ingress_url",
         "webhook_url", "ledger", "logs")
LOCAL = ("127.0.0.1", "localhost", "::1")


def own_store(settings: Settings, code: str, url: str, public_url: str | None,
              config: Path | None) -> OwnStore:
    cfg = settings.store(code)  # present: the URL was given as an override
    return OwnStore(code=code, url=url, consumer_key=cfg.consumer_key.get_secret_value(),
                    consumer_secret=cfg.consumer_secret.get_secret_value(),
                    webhook_secret=cfg.webhook_secret.get_secret_value()
                    if cfg.webhook_secret else None,
                    public_url=public_url, config_file=config)


def reach_notes(stack: DevStack) -> list[str]:
    """What the user must make true for the store's webhooks to arrive."""
    notes = [f"the store at {stack.store_url} must be able to reach {stack.webhook_url} "
             "(its webhooks deliver there)"]
    refusal = delivery_refusal(stack.webhook_url, stack.store_url,
                               stack.settings.stores[stack.store].webhook_ports)
    if refusal:
        notes.append(f"WordPress will not deliver there: {refusal}; use --ingress-port 8080 "
                     "(or a proxy on 80/443) and --public-url")
    store_host = urlsplit(stack.store_url).hostname or ""
    if store_host not in LOCAL and (urlsplit(stack.webhook_url).hostname or "") in LOCAL:
        notes.append(f"{store_host} cannot reach this machine's loopback address: run with "
                     "--ingress-host 0.0.0.0 --public-url http://<an address the store "
                     "reaches>:PORT (or a tunnel)")
    return notes


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
    store_url: Annotated[Optional[str], typer.Option(
        help="Your own WooCommerce instead of the sandbox store; its REST keys come from "
             "WOOERP_STORES__<STORE>__CONSUMER_KEY/_SECRET (or *_FILE) or the --config file."
    )] = None,
    store: Annotated[str, typer.Option(help="Store code of --store-url in the settings.")] = STORE,
    public_url: Annotated[Optional[str], typer.Option(
        help="The ingress's base URL as your store reaches it (default: its own address).")
    ] = None,
    ingress_host: Annotated[str, typer.Option(
        help="Interface the ingress listens on (0.0.0.0 for a store on another machine).")
    ] = "127.0.0.1",
) -> None:
    """Run everything on one machine: Temporal (with Web UI), a real Tryton ERP,
    the sandbox store wired to the ingress, the worker and a warehouse simulator.
    With --store-url, your own store takes the sandbox store's place."""
    overrides_settings = {"stores": {store: {"url": store_url}}} if store_url else {}
    # Its own settings only: a dev.env left by a stack that was killed is not them.
    settings = settings_or_exit(config, dev_stack=False, **overrides_settings)
    overrides: dict[str, object] = {}
    if port is not None:
        overrides["port"] = port
    if ui_port is not None:
        overrides["ui_port"] = ui_port
    if in_memory:
        overrides["db_file"] = None
    own = own_store(settings, store, store_url, public_url, config) if store_url else None
    stack = DevStack(settings, DevServerConfig.from_settings(settings, **overrides),
                     DevPorts(erp=erp_port, store=store_port, ingress=ingress_port),
                     ship_delay=ship_delay, invoice_delay=ship_delay, own_store=own,
                     ingress_host=ingress_host)
    ledger = Ledger(settings.database_url)
    try:
        ledger.migrate()
    finally:
        ledger.close()
    typer.echo(f"starting the embedded stack (logs in {stack.logs}); the first start "
               "builds the Tryton database, about 30 s")

    def ready() -> None:
        key, secret = stack.store_keys
        verify = settings.stores[store].verify_tls if own else True
        client = WooClient(stack.store_url, key, secret, timeout=10, verify=verify)
        try:
            changes = ensure_webhooks(client, stack.webhook_url, stack.webhook_secret)
        except WooError as exc:
            if own is None:
                raise
            changes = []
            typer.secho(f"wooerp dev: could not install the webhooks in {stack.store_url}: "
                        f"{exc}", err=True, fg=typer.colors.RED)
        path = stack.write_dev_json()
        info = stack.describe()
        typer.echo("wooerp dev is up:")
        for name in SHOWN:
            typer.echo(f"  {name:<17} {info[name]}")
        typer.echo(f"  {'credentials':<17} {path}")
        if own is not None:
            for change in changes:
                typer.echo(f"  webhook {change.topic:<15} {change.action} (id {change.webhook_id})")
            for note in reach_notes(stack):
                typer.echo(f"Note: {note}")
            typer.echo(f"Check it all with: WOOERP_ERP__PASSWORD_FILE="
                       f"{info['erp_password_file']} wooerp doctor {store} --ingress-url "
                       f"{stack.public_url}")
        typer.echo("Press Ctrl-C to stop.")

    try:
        code = asyncio.run(Supervisor(stack.specs()).run(on_ready=ready))
    except (ChildFailed, DevServerError) as e:
        typer.secho(f"wooerp dev: {e}", err=True, fg=typer.colors.RED)
        raise typer.Exit(1) from None
    finally:
        stack.remove_dev_json()
    typer.echo("wooerp dev stopped." if code == 0 else "wooerp dev stopped: a child process died.")
    raise typer.Exit(code)

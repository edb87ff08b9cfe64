"""`wooerp sandbox erp` (serve a seeded Tryton) and `wooerp sandbox warehouse`."""
from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path
from typing import Optional

import typer

from sandbox.cli import sandbox_app
from sandbox.erp.config import ErpConnection
from sandbox.erp.instance import start_instance

DEFAULT_DATA_DIR = Path(os.environ.get("WOOERP_ERP_DATA_DIR", ".wooerp/erp"))
DEFAULT_PORT = 8000  # Tryton's own default, and ErpSettings.url's


def _templates_default() -> Optional[Path]:
    value = os.environ.get("WOOERP_TRYTON_TEMPLATES")
    return Path(value) if value else None


@sandbox_app.command("erp")
def erp(
    port: int = typer.Option(DEFAULT_PORT, help="Port on 127.0.0.1 (0: any free port)."),
    data_dir: Path = typer.Option(DEFAULT_DATA_DIR, help="Database, config, logs, erp.json."),
    templates_dir: Optional[Path] = typer.Option(
        _templates_default(), help="Template cache [default: <data-dir>/templates; "
        "env WOOERP_TRYTON_TEMPLATES]."),
    fresh: bool = typer.Option(False, help="Start from a fresh copy of the template."),
    notify_url: Optional[str] = typer.Option(
        None, help="POST wooerp_link's stock/shipment/invoice notifications here "
        "(e.g. the ingress's /webhooks/erp/tryton)."),
    notify_secret_file: Optional[Path] = typer.Option(
        None, help="File holding the secret the notifications are signed with."),
) -> None:
    """Bootstrap (first start, ~20 s) and serve a Tryton ERP seeded with the demo catalog."""
    if bool(notify_url) != bool(notify_secret_file):
        raise typer.BadParameter("give --notify-url and --notify-secret-file together")
    notify = ({"url": notify_url, "secret_file": str(notify_secret_file.resolve())}
              if notify_url else None)
    started = time.monotonic()
    server, connection, built = start_instance(
        data_dir, port=port or None, templates_dir=templates_dir, fresh=fresh,
        log=lambda msg: typer.echo(msg, err=True), notify=notify)
    typer.echo(f"Tryton serving database {connection.database!r} at {connection.url} "
               f"({'built template' if built else 'cached template'}, "
               f"{time.monotonic() - started:.1f} s); connection facts in "
               f"{data_dir / 'erp.json'}; log in {data_dir / 'trytond.log'}")
    try:
        _serve_until_stopped(server)
    finally:
        (data_dir / "erp.json").unlink(missing_ok=True)  # no longer true


def _serve_until_stopped(server) -> None:
    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        code = server.process.wait()
        typer.echo(f"trytond exited with {code}", err=True)
        raise typer.Exit(code or 1)
    except KeyboardInterrupt:
        typer.echo("stopping Tryton", err=True)
    finally:
        server.stop()


@sandbox_app.command("warehouse")
def warehouse(
    erp_url: Optional[str] = typer.Option(None, help="Tryton URL [default: from erp.json]."),
    database: str = typer.Option("wooerp"),
    user: str = typer.Option("admin"),
    password_file: Optional[Path] = typer.Option(None, help="[default: from erp.json]"),
    erp_json: Path = typer.Option(DEFAULT_DATA_DIR / "erp.json", help="Written by `sandbox erp`."),
    ship_delay: float = typer.Option(5.0, help="Seconds a shipment waits before it is shipped."),
    invoice_delay: float = typer.Option(5.0, help="Seconds a draft invoice waits before posting."),
    interval: float = typer.Option(1.0, help="Seconds between polls."),
    force_assign: bool = typer.Option(False, help="Ship even without stock (stock goes negative)."),
    receive_returns: bool = typer.Option(True, help="Receive customer return shipments."),
) -> None:
    """Move ERP shipments along and post invoices, like warehouse staff and accounting."""
    from sandbox.warehouse import Warehouse
    from systems.erp.tryton.rpc import TrytonRpc

    facts = ErpConnection.read(erp_json) if erp_json.exists() else None
    url = erp_url or (facts.url if facts else None)
    secret_file = password_file or (Path(facts.password_file) if facts else None)
    if not url or not secret_file:
        raise typer.BadParameter("give --erp-url and --password-file, or run `sandbox erp` first")
    rpc = TrytonRpc(url, facts.database if facts and not erp_url else database, user,
                    secret_file.read_text().strip())
    sim = Warehouse(rpc, ship_delay=ship_delay, invoice_delay=invoice_delay,
                    force_assign=force_assign, receive_returns=receive_returns)
    typer.echo(f"warehouse polling {url} every {interval} s "
               f"(ship after {ship_delay} s, post invoices after {invoice_delay} s)")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            await sim.run(interval=interval, stop=stop)
        finally:
            await rpc.aclose()

    asyncio.run(main())

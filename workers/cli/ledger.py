"""`wooerp ledger ...`: ledger maintenance."""
from __future__ import annotations

import typer

from systems.ledger import Ledger
from systems.ledger.product_ids import LedgerProductIds
from workers.cli import app
from workers.cli.common import ConfigOption, settings_or_exit
from workers.config.redaction import scrub_text

ledger_app = typer.Typer(help="The ledger database (id map, business events, webhook inbox).",
                         no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")


@ledger_app.command()
def migrate(config: ConfigOption = None) -> None:
    """Create or upgrade the ledger schema (safe to run repeatedly)."""
    settings = settings_or_exit(config)
    ledger = Ledger(settings.database_url)
    try:
        ledger.migrate()
    finally:
        ledger.close()
    typer.echo(f"ledger migrated: {scrub_text(settings.database_url)}")


@ledger_app.command("forget-products")
def forget_products(skus: list[str] = typer.Argument(None, help="SKUs to forget"),
                    all_: bool = typer.Option(False, "--all", help="forget every SKU"),
                    config: ConfigOption = None) -> None:
    """Drop SKU -> ERP product ids from the id map, after products were
    recoded, replaced or deleted in the ERP: every worker looks them up again
    on its next order (running workers too)."""
    if not skus and not all_:
        typer.echo("name the SKUs to forget, or --all", err=True)
        raise typer.Exit(2)
    settings = settings_or_exit(config)
    ledger = Ledger(settings.database_url)
    try:
        ledger.migrate()
        gone = LedgerProductIds(ledger).forget(None if all_ else skus)
    finally:
        ledger.close()
    typer.echo(f"forgot {gone} product id(s)")

"""`wooerp ledger ...`: ledger maintenance."""
from __future__ import annotations

import typer

from systems.ledger import Ledger
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

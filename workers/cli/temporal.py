"""`wooerp temporal ...`: set up a Temporal cluster for wooerp."""
from __future__ import annotations

import asyncio

import typer

from workers.cli import app
from workers.cli.common import ConfigOption, settings_or_exit
from workers.sagas.client import SagaClient
from workers.sagas.outcomes import SagaCallError
from workers.sagas.search_attributes import (CLI_TYPE_NAMES, SEARCH_ATTRIBUTES,
                                             SearchAttributeConflict)

temporal_app = typer.Typer(help="Temporal cluster set-up.", no_args_is_help=True)
app.add_typer(temporal_app, name="temporal")


@temporal_app.command("register-search-attributes")
def register_search_attributes(config: ConfigOption = None) -> None:
    """Register wooerp's search attributes on the configured namespace (idempotent)."""
    settings = settings_or_exit(config)

    async def run() -> list[str]:
        return await (await SagaClient.connect(settings)).register_search_attributes()

    try:
        added = asyncio.run(run())
    except (SagaCallError, SearchAttributeConflict) as e:
        typer.secho(f"wooerp: {e}", err=True, fg=typer.colors.RED)
        raise typer.Exit(1) from None
    for key in SEARCH_ATTRIBUTES:
        state = "added" if key.name in added else "present"
        typer.echo(f"{key.name:<16} {CLI_TYPE_NAMES[key.indexed_value_type]:<9} {state}")

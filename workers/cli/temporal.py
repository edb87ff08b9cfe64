"""`wooerp temporal ...`: set up a Temporal cluster for wooerp."""
from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from workers.cli import app
from workers.cli.common import ConfigOption, settings_or_exit
from workers.config.keyring import KeyRing, new_key_line
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


@temporal_app.command("rotate-key")
def rotate_key(
    key_file: Annotated[Optional[Path], typer.Option(
        "--key-file", help="Put the new line in front of this key file (the one "
        "temporal.codec.keys_file names) instead of printing it.")] = None,
    config: ConfigOption = None,
) -> None:
    """A new payload-encryption key line, to put in FRONT of temporal.codec.keys.

    New payloads are then encrypted with it; keep the older lines for as long as
    histories written with them are retained, or those histories no longer read.
    Roll every process (workers, ingress, CLI hosts) to the new ring: one still
    on the old ring cannot read what the new key wrote.
    """
    settings = settings_or_exit(config)
    line = new_key_line()
    key_id = line.split(":", 1)[0]
    if key_file is None:
        ring = settings.temporal.codec.key_ring()
        typer.echo(line)
        kept = f"then the current keys: {', '.join(ring.ids)}" if ring else "encryption is off until it is set"
        typer.echo(f"# put this line first in temporal.codec.keys ({kept})", err=True)
        return
    old = key_file.read_text() if key_file.is_file() else ""
    try:
        if old.strip():
            KeyRing.parse(old)  # never prepend to a file the settings would refuse
    except ValueError as e:
        typer.secho(f"wooerp: {key_file}: {e}; left unchanged", err=True, fg=typer.colors.RED)
        raise typer.Exit(1) from None
    tmp = key_file.with_name(f".{key_file.name}.tmp")
    tmp.touch(mode=0o600)
    tmp.chmod(0o600)
    tmp.write_text(f"{line}\n{old}")
    os.replace(tmp, key_file)
    typer.echo(f"new key {key_id} is first in {key_file}; restart every wooerp process to use it")

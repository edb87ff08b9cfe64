"""What every command shares: the `--config` option and loading settings once."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from workers.config.logs import configure_logging
from workers.config.settings import Settings, SettingsError, load_settings

ConfigOption = Annotated[
    Optional[Path],
    typer.Option("--config", "-c", help="TOML settings file (default: $WOOERP_CONFIG).",
                 envvar="WOOERP_CONFIG", show_envvar=True),
]


def settings_or_exit(config: Path | None, *, dev_stack: bool = True,
                     **overrides: object) -> Settings:
    """Load settings and set up logging; a bad setting ends the command with its reason."""
    try:
        settings = load_settings(config, dev_stack=dev_stack, **overrides)
    except SettingsError as e:
        typer.secho(f"wooerp: {e}", err=True, fg=typer.colors.RED)
        raise typer.Exit(2) from None
    configure_logging(settings.log.level, settings.log.format)
    return settings

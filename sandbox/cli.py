"""Sandbox commands, plugged into `wooerp` through the `wooerp.cli` entry point."""
from __future__ import annotations

import typer

sandbox_app = typer.Typer(help="Stand-ins for a real store and ERP.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(sandbox_app, name="sandbox")

"""Sandbox commands, plugged into `wooerp` through the `wooerp.cli` entry point."""
from __future__ import annotations

import typer

sandbox_app = typer.Typer(help="Stand-ins for a real store and ERP.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    from sandbox.erp import cli as _erp  # noqa: F401  (registers `erp` and `warehouse`)
    from sandbox.store import cli as _store  # noqa: F401  (registers `store`)
    app.add_typer(sandbox_app, name="sandbox")
    from sandbox.demo.command import demo
    app.command()(demo)  # top-level `wooerp demo`

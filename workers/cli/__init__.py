"""The `wooerp` command line.

Each command group lives in its own module and is added here. Sandbox
commands (store, erp, dev, demo) are plugins found through the
`wooerp.cli` entry point group, so product code never imports sandbox/.
"""
from __future__ import annotations

from importlib.metadata import entry_points

import typer

app = typer.Typer(
    name="wooerp",
    help="Durable saga engine between a WooCommerce store and an ERP.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _register_builtin() -> None:
    # Imported lazily so `wooerp --help` stays fast and one broken group
    # does not take the whole CLI down with it.
    from workers.cli import commands  # noqa: F401  (registers on import)


def _register_plugins() -> None:
    for ep in entry_points(group="wooerp.cli"):
        ep.load()(app)


def main() -> None:
    _register_builtin()
    _register_plugins()
    app()

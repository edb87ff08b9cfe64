"""The `wooerp` command line.

Each command group lives in its own module and is added here. Sandbox
commands (store, erp, dev, demo) are plugins found through the
`wooerp.cli` entry point group, so product code never imports sandbox/.
"""
from __future__ import annotations

import logging
import os
import sys
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
    try:
        app()
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    else:
        code = 0
    # temporalio's native runtime can abort during interpreter teardown after
    # a clean shutdown (sdk-python #300, reference/temporal/NOTES.md), turning
    # a successful command into exit -6. Flush, then leave without teardown.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

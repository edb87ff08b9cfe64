"""`wooerp order ...` and `wooerp orders stuck`: one order's saga, and the
orders that need a person."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from systems.ledger.order_status import ledger_status
from systems.ledger.store import Ledger
from systems.woocommerce import mapping
from systems.woocommerce.client import WooClient
from systems.woocommerce.errors import WooError
from workers.cli import app
from workers.cli.aio import fail, parse_duration, show, with_sagas
from workers.cli.common import ConfigOption, settings_or_exit
from workers.config.settings import SettingsError
from workflows.order_types import order_workflow_id
from workflows.stages import Stage

order_app = typer.Typer(help="One order's saga: status, sync, retry, resolve.",
                        no_args_is_help=True)
orders_app = typer.Typer(help="Many orders at once.", no_args_is_help=True)
app.add_typer(order_app, name="order")
app.add_typer(orders_app, name="orders")

Store = Annotated[str, typer.Argument(help="Store code, e.g. default.")]
OrderId = Annotated[int, typer.Argument(help="WooCommerce order id.")]


@order_app.command()
def status(store: Store, order_id: OrderId, config: ConfigOption = None) -> None:
    """Stage, events, pending action and last error of the order's saga."""
    settings = settings_or_exit(config)
    show(with_sagas(settings, lambda sagas: sagas.order_status(store, order_id)))
    ledger = Ledger(settings.database_url)
    try:
        folded = ledger_status(ledger, store, order_id)
    finally:
        ledger.close()
    typer.echo(f"{'ledger_status':<15} {folded.status or '-'} (from {folded.events} events"
               f"{', refunds included' if folded.events else ''})")
    for anomaly in folded.anomalies:
        typer.secho(f"  anomaly: {anomaly}", fg=typer.colors.YELLOW)


@order_app.command()
def retry(store: Store, order_id: OrderId, config: ConfigOption = None) -> None:
    """Run the parked step again (after fixing its cause)."""
    settings = settings_or_exit(config)
    with_sagas(settings, lambda sagas: sagas.retry_order(store, order_id))
    typer.echo(f"retry sent to {order_workflow_id(store, order_id)}")


@order_app.command()
def resolve(store: Store, order_id: OrderId,
            note: Annotated[str, typer.Option(help="What was done by hand.")] = "resolved",
            config: ConfigOption = None) -> None:
    """End a parked saga as handled outside wooerp."""
    settings = settings_or_exit(config)
    with_sagas(settings, lambda sagas: sagas.resolve_order(store, order_id, note))
    typer.echo(f"resolve sent to {order_workflow_id(store, order_id)}")


def stuck_query(stage: str | None, older_than: str | None, store: str | None,
                now: datetime) -> str:
    """The visibility query: paste it into the Web UI to see the same list."""
    parts = ['WorkflowType = "OrderSaga"', 'ExecutionStatus = "Running"']
    if stage:
        parts.append(f'SagaStage = "{stage}"')
    elif not older_than:
        parts.append("NeedsAttention = true")  # i.e. SagaStage = needs_attention
    if older_than:
        since = (now - parse_duration(older_than)).strftime("%Y-%m-%dT%H:%M:%SZ")
        parts.append(f'StageSince < "{since}"')
    if store:
        parts.append(f'WooStore = "{store}"')
    return " AND ".join(parts)


@orders_app.command()
def stuck(stage: Annotated[Optional[str], typer.Option(help="Only this stage, e.g. awaiting_erp.")] = None,
          older_than: Annotated[Optional[str], typer.Option(help="In the stage for longer than this, e.g. 1h.")] = None,
          store: Annotated[Optional[str], typer.Option(help="Only this store.")] = None,
          config: ConfigOption = None) -> None:
    """Orders parked in needs_attention, or in a stage for too long."""
    settings = settings_or_exit(config)
    if stage and stage not in set(Stage):
        raise typer.BadParameter(f"{stage!r} is not a saga stage; one of "
                                 f"{', '.join(sorted(Stage))}", param_hint="--stage")
    query = stuck_query(stage, older_than, store, datetime.now(timezone.utc))
    rows = with_sagas(settings, lambda sagas: sagas.list(query))
    table = Table("workflow", "stage", "since", "reason", title=f"{len(rows)} stuck")
    for row in rows:
        since = row.since.isoformat(timespec="seconds") if row.since else "-"
        table.add_row(row.workflow_id, row.stage or "-", since, row.reason or "-")
    Console().print(table)
    typer.echo(f"query: {query}")


@order_app.command()
def sync(store: Store, order_id: OrderId, config: ConfigOption = None) -> None:
    """Re-drive one order from the store: fetch it now and signal its saga
    (starting it if there is none), exactly as a webhook would."""
    settings = settings_or_exit(config)
    try:
        cfg = settings.store(store)
    except SettingsError as exc:
        raise fail(str(exc), 2) from None
    client = WooClient(cfg.url, cfg.consumer_key.get_secret_value(),
                       cfg.consumer_secret.get_secret_value(), timeout=cfg.timeout_seconds,
                       verify=cfg.verify_tls)
    try:
        order = mapping.order_from_woo(client.get_order(order_id), store=store)
    except WooError as exc:
        raise fail(f"store {store!r}: {exc}") from None
    note = with_sagas(settings, lambda sagas: sagas.forward_order(order))
    typer.echo(note)

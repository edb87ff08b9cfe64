"""`wooerp refund ...` and `wooerp return ...`: what support agents do."""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Optional

import typer

from canonical.entities import Disposition, ReturnLine
from canonical.money import Money
from workers.cli import app
from workers.cli.aio import show, with_sagas
from workers.cli.common import ConfigOption, settings_or_exit

refund_app = typer.Typer(help="Refunds: request, approve, reject, money-sent, status.",
                         no_args_is_help=True)
return_app = typer.Typer(help="Returns (RMA): authorize, receive, reject, status.",
                         no_args_is_help=True)
app.add_typer(refund_app, name="refund")
app.add_typer(return_app, name="return")

LineOpt = Annotated[Optional[list[str]], typer.Option(
    "--line", help="LINE_ID=QTY (repeatable): refund or return these units of an order line.")]
By = Annotated[str, typer.Option(help="Who decides (recorded in the ledger).")]


def parse_lines(values: list[str] | None) -> dict[int, int]:
    out: dict[int, int] = {}
    for value in values or []:
        line, sep, qty = value.partition("=")
        if not sep or not line.strip().isdigit() or not qty.strip().isdigit():
            raise typer.BadParameter(f"{value!r}: expected LINE_ID=QTY, e.g. 42=1")
        out[int(line)] = out.get(int(line), 0) + int(qty)
    return out


@refund_app.command("request")
def request(store: str, order_id: int, line: LineOpt = None,
            amount: Annotated[Optional[str], typer.Option(help="Amount-only refund, e.g. 5.00.")] = None,
            currency: str = "USD", reason: str = "", by: By = "support",
            key: Annotated[Optional[str], typer.Option(help="Idempotency key (default: new).")] = None,
            scrap: Annotated[bool, typer.Option(help="Write the goods off instead of restocking.")] = False,
            config: ConfigOption = None) -> None:
    """Ask for a refund; it waits for approval unless under the auto-approval amount."""
    settings = settings_or_exit(config)
    lines = parse_lines(line)
    if not lines and amount is None:
        raise typer.BadParameter("give --line LINE_ID=QTY or --amount")
    money = Money.of(Decimal(amount), currency) if amount else None
    wid = with_sagas(settings, lambda sagas: sagas.request_refund(
        store=store, order_id=order_id, requested_by=by, lines=lines, amount=money,
        reason=reason, key=key, disposition=Disposition.SCRAP if scrap else Disposition.RESTOCK))
    typer.echo(wid)


@refund_app.command()
def approve(workflow_id: str, by: By = "support", config: ConfigOption = None) -> None:
    """Approve a requested refund (refused if already decided or finished)."""
    show(with_sagas(settings_or_exit(config), lambda sagas: sagas.approve_refund(workflow_id, by)))


@refund_app.command()
def reject(workflow_id: str, reason: str = typer.Option(..., help="Why (told to the ledger)."),
           by: By = "support", config: ConfigOption = None) -> None:
    """Reject a requested refund before any money moves."""
    show(with_sagas(settings_or_exit(config),
                    lambda sagas: sagas.reject_refund(workflow_id, by, reason)))


@refund_app.command("money-sent")
def money_sent(workflow_id: str, by: By = "support",
               note: Annotated[str, typer.Option(
                   help="The transfer's reference, the cheque number...")] = "",
               config: ConfigOption = None) -> None:
    """Confirm that a by-hand refund's money was sent (bank transfer, cheque, cash):
    the refund waits in awaiting_manual_refund until then."""
    show(with_sagas(settings_or_exit(config),
                    lambda sagas: sagas.confirm_money_sent(workflow_id, by, note)))


@refund_app.command("status")
def refund_status(workflow_id: str, config: ConfigOption = None) -> None:
    show(with_sagas(settings_or_exit(config), lambda sagas: sagas.refund_status(workflow_id)))


@return_app.command()
def authorize(store: str, rma: str, order_id: int, line: LineOpt = None,
              scrap_line: Annotated[Optional[list[int]], typer.Option(
                  "--scrap-line", help="LINE_ID whose returned units are written off.")] = None,
              reason: str = "", by: By = "support", config: ConfigOption = None) -> None:
    """Authorize the return of order lines under an RMA number."""
    settings = settings_or_exit(config)
    lines = parse_lines(line)
    if not lines:
        raise typer.BadParameter("give at least one --line LINE_ID=QTY")
    scrap = set(scrap_line or [])
    rlines = [ReturnLine(line_id=l, quantity=q,
                         disposition=Disposition.SCRAP if l in scrap else Disposition.RESTOCK)
              for l, q in lines.items()]
    wid = with_sagas(settings, lambda sagas: sagas.authorize_return(
        store=store, rma=rma, order_id=order_id, lines=rlines, authorized_by=by, reason=reason))
    typer.echo(wid)


@return_app.command()
def receive(store: str, rma: str, line: LineOpt = None, config: ConfigOption = None) -> None:
    """Report the units that arrived (a partial receipt refunds only those)."""
    settings = settings_or_exit(config)
    show(with_sagas(settings, lambda sagas: sagas.receive_return(store, rma, parse_lines(line))))


@return_app.command("status")
def return_status(store: str, rma: str, config: ConfigOption = None) -> None:
    show(with_sagas(settings_or_exit(config), lambda sagas: sagas.return_status(store, rma)))

"""`wooerp report variance`: what finance reads, from the ledger.

Each day is the report of the newest completed reconciliation that covered
it: the states kept apart on each side (captured, accepted, fulfilled,
invoiced, refunded), the difference, and every variance with its cause and
evidence. Unexplained amounts are printed in red and never netted away.
"""
from __future__ import annotations

import csv
import json
import sys
from datetime import date
from enum import StrEnum
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from canonical.reconcile import DayReport, State
from systems.ledger.store import Ledger
from workers.cli import app
from workers.cli.common import ConfigOption, settings_or_exit
from workers.cli.reconcile import parse_day

report_app = typer.Typer(help="Reports finance reads.", no_args_is_help=True)
app.add_typer(report_app, name="report")

CSV_COLUMNS = ("store", "business_day", "currency", "woo_order_id", "erp_document",
               "workflow_id", "component", "commerce", "erp", "difference", "cause", "evidence")


class Format(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


@report_app.command()
def variance(store: str,
             from_: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
             to: Annotated[Optional[str], typer.Option(help="Last day (default: --from).")] = None,
             format_: Annotated[Format, typer.Option("--format")] = Format.TABLE,
             config: ConfigOption = None) -> None:
    """Commerce vs ERP per business day, each difference with its cause."""
    settings = settings_or_exit(config)
    first = parse_day(from_, "--from")
    last = parse_day(to, "--to") if to else first
    if last < first:
        raise typer.BadParameter(f"--to {last} is before --from {first}")
    ledger = Ledger(settings.database_url)
    try:
        days = ledger.variance_days(store, first, last)
    finally:
        ledger.close()
    if format_ == Format.JSON:
        typer.echo(json.dumps([d.model_dump(mode="json") for d in days], indent=2))
    elif format_ == Format.CSV:
        write_csv(days)
    else:
        print_table(Console(), store, first, last, days)


def write_csv(days: list[DayReport]) -> None:
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(CSV_COLUMNS)
    for d in days:
        for v in d.variances:
            out.writerow([v.store, v.business_day.isoformat(), v.difference.currency,
                          v.woo_order_id if v.woo_order_id is not None else "",
                          v.erp_document or "", v.workflow_id or "", v.component.value,
                          v.commerce.amount, v.erp.amount, v.difference.amount, v.cause.value,
                          v.evidence])


def _tally(t) -> str:  # noqa: ANN001 (a Tally or None)
    return "-" if t is None else f"{t.count} / {t.amount.amount}"


def print_table(console: Console, store: str, first: date, last: date,
                days: list[DayReport]) -> None:
    if not days:
        console.print(f"no completed reconciliation of {store} between {first} and {last}: "
                      f"run `wooerp reconcile run {store} --from {first} --to {last}`")
        return
    states = Table("day", "cur", *(f"{s.value}\nstore | ERP" for s in State), "commerce", "ERP",
                   "difference", "unexplained", title=f"{store}: commerce vs ERP "
                                                      f"(count / amount)")
    for d in days:
        unexplained = d.unexplained_abs
        states.add_row(
            str(d.business_day), d.currency,
            *(f"{_tally(d.states[s].commerce)} | {_tally(d.states[s].erp)}" for s in State),
            str(d.commerce.amount), str(d.erp.amount), str(d.difference.amount),
            f"[bold white on red] {unexplained.amount} [/]" if not unexplained.is_zero()
            else str(unexplained.amount))
    console.print(states)
    rows = [v for d in days for v in d.variances]
    if not rows:
        console.print("no variances: the store and the ERP agree")
        return
    table = Table("day", "order", "ERP doc", "component", "commerce", "ERP", "difference",
                  "cause", "evidence", "saga", title="variances", show_lines=False)
    for v in rows:
        cause = v.cause.label
        table.add_row(str(v.business_day), str(v.woo_order_id or "-"), v.erp_document or "-",
                      v.component.value, str(v.commerce.amount), str(v.erp.amount),
                      str(v.difference.amount),
                      f"[bold red]{cause}[/]" if v.cause == "unexplained" else cause,
                      v.evidence, v.workflow_id or "-")
    console.print(table)
    for d in days:
        causes = ", ".join(f"{c.label} {m.amount}" for c, m in d.by_cause().items())
        console.print(f"{d.business_day} {d.currency}: difference {d.difference.amount} = {causes}")

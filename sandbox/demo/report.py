"""What the demo expects of each kind of order, and the summary table."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.table import Table

from sandbox.demo.scenarios import Outcome

EXPECTED_STAGE = {"cancelled": "cancelled", "unmapped": "needs_attention"}  # else closed
SETTLED_IN_ERP = {"plain", "multi-line", "refund", "return"}


def _money(value: dict[str, Any] | None) -> Decimal | None:
    return Decimal(value["amount"]) if value else None


def _fmt(amount: Decimal | None, currency: str = "") -> str:
    return "-" if amount is None else f"{amount:.2f} {currency}".strip()


def problems(o: Outcome) -> list[str]:
    """Why this order's outcome is not what the demo expects; [] when it is."""
    if o.error:
        return [o.error]
    saga = o.saga or {}
    stage, expected = saga.get("stage"), EXPECTED_STAGE.get(o.kind, "closed")
    found = []
    if stage != expected:
        why = f": {saga['last_error']}" if saga.get("last_error") else ""
        found.append(f"saga ended {stage}, expected {expected}{why}")
    if o.kind in SETTLED_IN_ERP and stage == "closed":
        woo, erp = Decimal(o.woo_order["total"]), _money(saga.get("erp_total"))
        if woo != erp:
            found.append(f"Woo total {woo} != ERP total {erp}")
    if o.kind == "cancelled" and (o.woo_order or {}).get("status") != "cancelled":
        found.append(f"store order is {(o.woo_order or {}).get('status')}, not cancelled")
    if o.kind == "return" and (o.ret or {}).get("stage") != "closed":
        found.append(f"return {o.rma} is {(o.ret or {}).get('stage')}, expected closed")
    if o.kind in ("refund", "return") and stage == "closed":
        found += _refund_problems(o)
    return found


def _refund_problems(o: Outcome) -> list[str]:
    r = o.refund
    if r is None:
        return ["no refund saga was seen"]
    found = []
    if r["stage"] != "completed":
        why = f": {r['last_error']}" if r.get("last_error") else ""
        found.append(f"refund ended {r['stage']}, expected completed{why}")
    if not r.get("credit_note"):
        found.append("no credit note posted in the ERP")
    in_store = {int(s["id"]): Decimal(s["amount"]) for s in o.store_refunds}
    wanted = _money(r.get("amount"))
    if r.get("woo_refund_id") not in in_store:
        found.append(f"Woo refund #{r.get('woo_refund_id')} not on the store order")
    elif in_store[r["woo_refund_id"]] != wanted:
        found.append(f"store refund is {in_store[r['woo_refund_id']]}, saga says {wanted}")
    return found


def refund_info(o: Outcome) -> str:
    if o.kind not in ("refund", "return"):
        return ""
    r, ret = o.refund, o.ret or {}
    if o.rma:
        head = f"{o.rma}, {sum(ret.get('received', {}).values())} received"
    else:
        head = f"approved by {r.get('decided_by')}" if r else "-"
    if r is None:
        return head
    return (f"{head} · {_fmt(_money(r.get('amount')))} · Woo #{r.get('woo_refund_id') or '-'}"
            f" · CN {r.get('credit_note') or '-'}")


def table(outcomes: list[Outcome]) -> Table:
    currency = next((o.placed["currency"] for o in outcomes if o.placed), "")
    t = Table(title="What each saga made of its order", title_justify="left")
    for col, kw in (("order", {"justify": "right"}), ("kind", {}), ("saga stage", {}),
                    ("ERP sale", {}), (f"Woo total {currency}", {"justify": "right"}),
                    (f"ERP total {currency}", {"justify": "right"}),
                    ("refund · Woo refund · ERP credit note", {}), ("check", {})):
        t.add_column(col, **kw)
    for o in outcomes:
        saga, woo = o.saga or {}, o.woo_order or o.placed or {}
        total = Decimal(woo["total"]) if woo.get("total") else None
        t.add_row(str(o.order_id or "-"), o.kind, _stage(saga.get("stage")),
                  saga.get("erp_document") or "-", _fmt(total), _fmt(_money(saga.get("erp_total"))),
                  refund_info(o), "[red]✗[/]" if problems(o) else "[green]ok[/]")
    return t


def _stage(stage: str | None) -> str:
    colour = {"closed": "green", "cancelled": "yellow", "needs_attention": "magenta"}.get(
        stage or "", "white")
    return f"[{colour}]{stage or '-'}[/]"


def attention_notes(outcomes: list[Outcome]) -> list[str]:
    """The parked orders with their reason, the way a person would find them."""
    return [f"order {o.order_id} is parked: {(o.saga or {}).get('last_error') or '(no reason)'}"
            for o in outcomes if (o.saga or {}).get("stage") == "needs_attention"]

"""The variance page: HTML for finance, rendered on the server (no scripts, no
external assets): days as rows with each side's states, an SVG chart of
commerce vs ERP per day, unexplained amounts that cannot be missed, the seed's
KPIs, and every variance linking to its saga in the Temporal Web UI."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import escape
from urllib.parse import quote

from canonical.reconcile import Cause, DayReport, State
from systems.ledger.kpis import Kpis, Latency

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d1d1f}
h1{font-size:20px}table{border-collapse:collapse;margin:12px 0}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:right;vertical-align:top}
th{background:#f3f3f3}td.text{text-align:left}
.alarm{background:#b00020;color:#fff;font-weight:bold;padding:8px 12px;margin:8px 0}
td.unexplained{background:#b00020;color:#fff;font-weight:bold}
.ok{color:#1b7f3b;font-weight:bold}
.bar.commerce{fill:#3366cc}.bar.erp{fill:#ff9900}.bar.day-unexplained{stroke:#b00020;stroke-width:3}
"""


def _amount(x: Decimal) -> str:
    return f"{x:,.2f}" if x == x.quantize(Decimal("0.01")) else f"{x:,}"


def _tally(t) -> str:  # noqa: ANN001 (Tally | None)
    return "&ndash;" if t is None else f"{t.count} / {_amount(t.amount.amount)}"


def _latency(value: Latency) -> str:
    if not value.count:
        return "no data"
    return (f"p50 {value.p50_seconds:,.1f} s, p95 {value.p95_seconds:,.1f} s "
            f"({value.count})")


def chart(days: list[DayReport]) -> str:
    """Commerce vs ERP per day: two bars per day, scaled to the largest."""
    width, height, top, bottom = 760, 260, 20, 40
    if not days:
        return '<svg id="chart" width="760" height="60"><text x="10" y="30">no data</text></svg>'
    peak = max(max(d.commerce.amount, d.erp.amount) for d in days) or Decimal(1)
    slot = (width - 60) / len(days)
    bar = max(4.0, min(40.0, slot / 3))
    parts = [f'<svg id="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" role="img" aria-label="commerce vs ERP per day">',
             f'<line x1="50" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
             f'stroke="#999"/>']
    usable = height - top - bottom
    for i, d in enumerate(days):
        x = 50 + i * slot + slot / 2 - bar
        flag = " day-unexplained" if not d.unexplained_abs.is_zero() else ""
        for j, (side, amount) in enumerate((("commerce", d.commerce.amount),
                                            ("erp", d.erp.amount))):
            h = float(amount / peak) * usable if amount > 0 else 0.0
            parts.append(
                f'<rect class="bar {side}{flag}" data-day="{d.business_day}" '
                f'data-amount="{amount}" x="{x + j * bar:.1f}" y="{height - bottom - h:.1f}" '
                f'width="{bar:.1f}" height="{h:.1f}"><title>{d.business_day} {side} '
                f'{_amount(amount)} {escape(d.currency)}</title></rect>')
        parts.append(f'<text x="{x + bar:.1f}" y="{height - bottom + 16}" font-size="11" '
                     f'text-anchor="middle">{d.business_day:%m-%d}</text>')
    parts.append('<rect x="55" y="4" width="10" height="10" class="legend bar commerce"/>'
                 '<text x="70" y="13" font-size="11">commerce</text>'
                 '<rect x="150" y="4" width="10" height="10" class="legend bar erp"/>'
                 '<text x="165" y="13" font-size="11">ERP</text></svg>')
    return "".join(parts)


def _accuracy(kpis: Kpis) -> str:
    check = kpis.inventory
    if check is None or check.accuracy is None:
        return "not measured yet: no full inventory comparison"
    return (f"{check.accuracy:.1%} ({check.in_step} of {check.compared} SKUs in step at the "
            f"full comparison of {check.checked_at:%Y-%m-%d %H:%M} UTC; "
            f"{check.repaired} repaired)")


def render(*, store: str, first: date, last: date, days: list[DayReport], kpis: Kpis,
           temporal_ui: str, namespace: str) -> str:
    unexplained = [d for d in days if not d.unexplained_abs.is_zero()]
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>Variance {escape(store)} "
           f"{first}..{last}</title><style>{CSS}</style></head><body>",
           f"<h1>Commerce vs ERP: {escape(store)}, {first} to {last}</h1>"]
    if unexplained:
        total = ", ".join(f"{d.business_day} {_amount(d.unexplained_abs.amount)} {d.currency}"
                          for d in unexplained)
        out.append(f'<div class="alarm" id="unexplained-alarm">UNEXPLAINED: {total}</div>')
    elif days:
        out.append('<p class="ok" id="all-explained">Every difference is explained '
                   '(unexplained 0.00).</p>')
    else:
        out.append(f"<p>No completed reconciliation of {escape(store)} in this range.</p>")
    out.append(chart(days))
    head = "".join(f"<th>{s.value}<br>store | ERP</th>" for s in State)
    out.append(f'<table id="days"><tr><th>day</th><th>cur</th><th>orders</th>{head}'
               f"<th>commerce</th><th>ERP</th><th>difference</th><th>unexplained</th></tr>")
    for d in days:
        cells = "".join(f"<td>{_tally(d.states[s].commerce)} | {_tally(d.states[s].erp)}</td>"
                        for s in State)
        bad = not d.unexplained_abs.is_zero()
        out.append(
            f"<tr><td class='text'>{d.business_day}</td><td>{escape(d.currency)}</td>"
            f"<td>{d.orders_compared}</td>{cells}<td>{_amount(d.commerce.amount)}</td>"
            f"<td>{_amount(d.erp.amount)}</td><td>{_amount(d.difference.amount)}</td>"
            f"<td class='{'unexplained' if bad else ''}'>"
            f"{_amount(d.unexplained_abs.amount)}</td></tr>")
    out.append("</table>")
    exceptions = sum(len(d.variances) for d in days)
    variance = ", ".join(f"{d.business_day} {_amount(d.difference.amount)}" for d in days)
    out.append(
        '<h2>KPIs</h2><table id="kpis">'
        f"<tr><td class='text'>order acceptance latency</td><td>{_latency(kpis.acceptance)}</td></tr>"
        f"<tr><td class='text'>refund completion cycle time</td>"
        f"<td>{_latency(kpis.refund_cycle)}</td></tr>"
        f"<tr><td class='text'>shipped orders without a posted invoice</td>"
        f"<td>{kpis.shipped_not_invoiced}"
        + (f", oldest {kpis.oldest_uninvoiced_seconds / 3600:,.1f} h"
           if kpis.oldest_uninvoiced_seconds is not None else "") + "</td></tr>"
        f"<tr><td class='text'>reconciliation exceptions</td><td>{exceptions}</td></tr>"
        f"<tr><td class='text'>commerce vs ERP variance</td><td>{variance or '-'}</td></tr>"
        "<tr><td class='text'>inventory sync accuracy</td>"
        f"<td id='inventory-accuracy'>{_accuracy(kpis)}</td></tr></table>")
    out.append('<h2>Variances</h2><table id="variances"><tr><th>day</th><th>order</th>'
               '<th>ERP doc</th><th>component</th><th>commerce</th><th>ERP</th>'
               '<th>difference</th><th>cause</th><th>evidence</th><th>saga</th></tr>')
    for d in days:
        for v in d.variances:
            saga = (f'<a href="{escape(temporal_ui)}/namespaces/{quote(namespace)}/workflows/'
                    f'{quote(v.workflow_id, safe="")}">{escape(v.workflow_id)}</a>'
                    if v.workflow_id else "-")
            cls = " class='unexplained'" if v.cause == Cause.UNEXPLAINED else ""
            out.append(
                f"<tr><td class='text'>{v.business_day}</td><td>{v.woo_order_id or '-'}</td>"
                f"<td class='text'>{escape(v.erp_document or '-')}</td>"
                f"<td class='text'>{v.component.value}</td><td>{_amount(v.commerce.amount)}</td>"
                f"<td>{_amount(v.erp.amount)}</td><td>{_amount(v.difference.amount)}</td>"
                f"<td class='text'{cls}>{escape(v.cause.label)}</td>"
                f"<td class='text'>{escape(v.evidence)}</td><td class='text'>{saga}</td></tr>")
    out.append("</table></body></html>")
    return "".join(out)

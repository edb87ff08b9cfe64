"""Collection parameters and pagination headers of the CRUD controller (CONTRACT.md 2)."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Sequence
from urllib.parse import urlencode

from sandbox.store.errors import invalid_param
from sandbox.store.router import Ctx, Reply


@dataclass
class Window:
    page: int
    per_page: int
    offset: int | None
    order: str
    orderby: str


def window(ctx: Ctx, orderby_enum: Sequence[str], default_orderby: str = "date",
           default_order: str = "desc") -> Window:
    per_page = ctx.int_param("per_page", 10)
    if not 1 <= per_page <= 100:
        raise invalid_param("per_page", "per_page must be between 1 (inclusive) and 100 (inclusive)",
                            "rest_out_of_bounds")
    page = ctx.int_param("page", 1)
    if page < 1:
        raise invalid_param("page", "page must be greater than or equal to 1", "rest_out_of_bounds")
    order = ctx.param("order", default_order)
    if order not in ("asc", "desc"):
        raise invalid_param("order", "order is not one of asc and desc.", "rest_not_in_enum")
    orderby = ctx.param("orderby", default_orderby)
    if orderby not in orderby_enum:
        raise invalid_param("orderby", f"orderby is not one of {', '.join(orderby_enum)}.",
                            "rest_not_in_enum")
    return Window(page, per_page, ctx.int_param("offset"), order, orderby)


def date_param(ctx: Ctx, name: str) -> datetime | None:
    value = ctx.param(name)
    if value in (None, ""):
        return None
    try:
        # a '+' offset arrives as a space when the client did not escape it
        return datetime.fromisoformat(re.sub(r" (\d\d:?\d\d)$", r"+\1", str(value)))
    except ValueError:
        raise invalid_param(name, "Invalid date.", "rest_invalid_date") from None


def id_list(ctx: Ctx, name: str) -> list[int]:
    value = ctx.param(name)
    if value in (None, ""):
        return []
    parts = value if isinstance(value, list) else str(value).split(",")
    try:
        return [int(p) for p in parts if str(p).strip()]
    except ValueError:
        raise invalid_param(name, f"{name}[0] is not of type integer.") from None


def paginate(ctx: Ctx, items: list[Any], win: Window,
             render: Callable[[Any], Any]) -> Reply:
    """200 with the page, X-WP-Total / X-WP-TotalPages and prev/next Link only."""
    total = len(items)
    pages = math.ceil(total / win.per_page) if total else 0
    start = win.offset if win.offset is not None else (win.page - 1) * win.per_page
    body = [render(i) for i in items[start:start + win.per_page]]
    headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages),
               "Access-Control-Expose-Headers": "X-WP-Total, X-WP-TotalPages, Link"}
    links = []
    base = ctx.site.url(ctx.home, ctx.path)
    if win.page > 1:
        links.append(f'<{_page_url(ctx, base, min(win.page - 1, max(pages, 1)))}>; rel="prev"')
    if pages > win.page:
        links.append(f'<{_page_url(ctx, base, win.page + 1)}>; rel="next"')
    if links:
        headers["Link"] = ", ".join(links)
    return Reply(body, 200, headers)


def _page_url(ctx: Ctx, base: str, page: int) -> str:
    params = {k: v for k, v in ctx.query_items}
    params["page"] = str(page)
    return f"{base}?{urlencode(params)}"

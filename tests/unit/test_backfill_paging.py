"""The backfill's pure pieces: its keyset cursor, the store query it makes,
and the CLI's rate and status parsing."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import typer

from activities.backfill_contracts import BackfillCursor, BackfillPolicy, PageInput
from systems.woocommerce.throttle import TokenBucket
from workers.cli.backfill import parse_rate, parse_statuses
from workers.sagas.backfill_activities import advance, query

T0 = datetime(2024, 3, 1, 10, 0, 0, tzinfo=timezone.utc)


def raw(oid: int, second: int) -> dict:
    return {"id": oid, "date_modified_gmt": f"2024-03-01T10:00:{second:02d}"}


def page_input(cursor: BackfillCursor, per_page: int = 3) -> PageInput:
    return PageInput(backfill_id="b", store="s", mode="book", statuses=["any"], start=T0,
                     end=datetime(2024, 3, 2, tzinfo=timezone.utc), cursor=cursor, room=10,
                     policy=BackfillPolicy(per_page=per_page))


def test_the_cursor_keeps_the_orders_of_its_last_second_and_moves_with_time():
    c = advance(BackfillCursor(), raw(5, 1))
    c = advance(c, raw(6, 1))
    assert (c.after.second, c.skip) == (1, [5, 6])
    c = advance(c, raw(4, 2))  # a later second: only its own orders are kept
    assert (c.after.second, c.skip) == (2, [4])


def test_an_order_without_a_readable_date_leaves_the_cursor_where_it_was():
    c = advance(BackfillCursor(), raw(5, 1))
    assert advance(c, {"id": 7, "date_modified_gmt": "yesterday"}) == c


def test_the_query_starts_a_second_early_and_steps_over_a_full_second_by_offset():
    first = query(BackfillCursor(), page_input(BackfillCursor()))
    assert first["modified_after"] == T0.replace(hour=9, minute=59, second=59)
    assert first["offset"] == 0 and first["status"] is None
    crowded = BackfillCursor(after=T0, skip=[1, 2, 3])  # a whole page in one second
    assert query(crowded, page_input(crowded))["offset"] == 3
    some = BackfillCursor(after=T0, skip=[1])
    assert query(some, page_input(some))["offset"] == 0  # filtered by id instead


@pytest.mark.parametrize("text, per_second", [("5/s", 5.0), ("120/m", 2.0), ("3600/h", 1.0),
                                              ("2", 2.0), ("0.5/s", 0.5)])
def test_rates(text, per_second):
    assert parse_rate(text) == per_second


@pytest.mark.parametrize("text", ["fast", "0/s", "5/d", "2000/s", ""])
def test_bad_rates_are_refused(text):
    with pytest.raises(typer.BadParameter):
        parse_rate(text)


def test_statuses():
    assert parse_statuses("any") == ["any"]
    assert parse_statuses("completed, refunded") == ["completed", "refunded"]
    with pytest.raises(typer.BadParameter):
        parse_statuses("completed,shipped")


def test_a_bucket_takes_only_a_bounded_rate():
    for bad in (0, -1, 1001):
        with pytest.raises(ValueError):
            TokenBucket(bad)

"""Keyset paging of the store by date_modified (activities/reconcile.py)."""
from datetime import datetime, timedelta, timezone

from activities.reconcile import next_cursor
from activities.reconcile_contracts import StoreCursor

T = datetime(2026, 11, 30, 10, tzinfo=timezone.utc)


def test_the_next_page_restarts_a_second_before_the_last_one_read():
    cursor = StoreCursor(after=T)
    mods = [T + timedelta(seconds=s) for s in (1, 2, 5, 5)]
    assert next_cursor(cursor, mods, per_page=4, total_pages=3) == StoreCursor(
        after=T + timedelta(seconds=4), page=1)


def test_a_page_all_in_one_second_steps_to_the_next_page_of_the_same_query():
    cursor = StoreCursor(after=T)
    mods = [T + timedelta(seconds=3)] * 4
    assert next_cursor(cursor, mods, per_page=4, total_pages=9) == StoreCursor(after=T, page=2)


def test_no_progress_in_time_still_moves_on():
    cursor = StoreCursor(after=T + timedelta(seconds=4))
    mods = [T + timedelta(seconds=5), T + timedelta(seconds=5, microseconds=10)]
    assert next_cursor(cursor, mods, per_page=3, total_pages=2) == StoreCursor(
        after=T + timedelta(seconds=4), page=2)


def test_the_last_page_ends_the_paging():
    assert next_cursor(StoreCursor(after=T, page=3), [T], per_page=100, total_pages=3) is None
    assert next_cursor(StoreCursor(after=T), [], per_page=100, total_pages=1) is None

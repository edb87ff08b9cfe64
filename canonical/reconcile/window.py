"""Business days: the window a reconciliation reports on.

A business day is midnight to midnight in the store's time zone (a store
in Paris closes its day at 23:00 UTC in winter), so `Day` carries both the
calendar date finance names and its UTC bounds. Time zone data comes from
the standard library (`zoneinfo`), read once per zone.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name like Europe/Paris)") \
            from None


@dataclass(frozen=True)
class Day:
    day: date
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def __str__(self) -> str:
        return self.day.isoformat()


def business_day(day: date, tz: str) -> Day:
    """The UTC bounds of `day` in `tz` (23 or 25 hours long on DST changes)."""
    z = zone(tz)
    start = datetime.combine(day, time(0), z).astimezone(timezone.utc)
    end = datetime.combine(day + timedelta(days=1), time(0), z).astimezone(timezone.utc)
    return Day(day, start, end)


def business_days(first: date, last: date, tz: str) -> list[Day]:
    """Every business day from `first` to `last`, both included."""
    if last < first:
        raise ValueError(f"{last} is before {first}")
    return [business_day(first + timedelta(days=n), tz) for n in range((last - first).days + 1)]


def day_of(moment: datetime, tz: str) -> date:
    """The business day a UTC moment falls in."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    return moment.astimezone(zone(tz)).date()

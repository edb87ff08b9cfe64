"""What the backfill's page activity takes and returns, and the policy and
cursor it pages with (pure pydantic: safe in the workflow sandbox)."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Mode = Literal["book", "link"]


class BackfillPolicy(BaseModel):
    """How fast and how wide a backfill goes (the CLI's --rate and --window)."""

    rate: float = Field(5.0, gt=0, le=1000)  # store requests per second, this backfill only
    window: int = Field(20, ge=1, le=100_000)  # order sagas in flight (not yet booked/parked)
    per_page: int = Field(100, ge=1, le=100)  # WooCommerce's maximum
    pages_per_call: int = Field(5, ge=1, le=50)  # pages one activity call may read
    concurrency: int = Field(100, ge=1, le=256)  # signal-with-starts at once: a page
    pages_per_run: int = Field(200, ge=1)  # continue-as-new after this many pages
    max_attempts: int = Field(20, ge=1, le=100)  # per page call, before the backfill fails
    # A slot whose saga never says it settled (terminated by hand) is given
    # back after this long, so one lost signal cannot stall the backfill.
    slot_timeout_seconds: int = Field(3600, ge=10)


class Quarantined(BaseModel):
    woo_id: int | None
    reason: str


class BackfillCursor(BaseModel):
    """Keyset paging on date_modified (then id): `after` is the last second
    handed over and `skip` the orders of that second already handed over, so
    an order modified meanwhile cannot shift another out of the pages."""

    model_config = ConfigDict(frozen=True)

    after: datetime | None = None
    skip: list[int] = Field(default_factory=list)


class PageInput(BaseModel):
    backfill_id: str
    store: str
    mode: Mode
    statuses: list[str]
    start: datetime  # orders modified in [start, end)
    end: datetime
    cursor: BackfillCursor
    room: int = Field(ge=1)  # orders this call may hand to a new saga
    policy: BackfillPolicy


class PageResult(BaseModel):
    cursor: BackfillCursor
    done: bool  # no order left in the range
    pages: int = 0
    seen: int = 0
    started: int = 0  # new sagas: each takes a slot of the window
    known: int = 0  # the order had a saga already: it got the newer payload
    refunds_started: int = 0  # for orders whose saga existed (new sagas start their own)
    unpaid: list[int] = Field(default_factory=list)
    quarantined: list[Quarantined] = Field(default_factory=list)
    linked: int = 0
    not_linked: list[int] = Field(default_factory=list)
    throttled_seconds: float = 0.0  # slept on 429 / 503 / HTML answers
    total: int | None = None  # the store's X-WP-Total for the rest of the range

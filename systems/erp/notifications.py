"""Notifications the ERP pushes to wooerp, verified and read.

The wooerp_link Tryton module POSTs one JSON event after each commit that
moved stock, finished or cancelled a shipment of a wooerp sale, or posted
its invoice or credit note (systems/erp/tryton/wooerp_link/README.md). It
signs like WooCommerce: `X-Wooerp-Signature: base64(HMAC-SHA256(secret,
raw body))`. Verify over the exact bytes received, then parse them.

A notification only says *what* moved; the receiver reads the current state
from the ERP. So a lost one is a delay (the poll finds the change), a
repeated one is harmless, and `event_id` lets the inbox drop duplicates.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timezone
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

SIGNATURE_HEADER = "X-Wooerp-Signature"
EVENT_HEADER = "X-Wooerp-Event-Id"
MAX_BODY_BYTES = 1 << 20  # the module sends at most 500 ids per event
MAX_IDS = 1000
MAX_NAMES = 10_000

Name = Annotated[str, StringConstraints(min_length=1, max_length=255)]
RecordId = Annotated[int, Field(ge=1, lt=2 ** 63)]


def expected_signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify(body: bytes, signature_header: str | None, secret: str) -> bool:
    """Whether `signature_header` signs `body` with `secret` (constant time).

    An empty secret verifies nothing: a receiver configured without one
    must not accept unsigned events.
    """
    if not secret or not signature_header:
        return False
    try:
        given = signature_header.strip().encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(expected_signature(body, secret).encode(), given)


class ErpNotification(BaseModel):
    """One event. `ids` are records of `model`, now in `state`; `skus` the
    product codes they concern; `external_refs` the wooerp references of the
    sales they belong to (empty for stock that belongs to none)."""

    # Fields a newer module adds are ignored, not refused: the version says
    # when the meaning of these ones changes.
    model_config = ConfigDict(frozen=True, extra="ignore")

    version: Literal[1]
    event_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    database: Name
    kind: Literal["stock", "shipment", "invoice"]
    model: Name  # stock.move, stock.shipment.out, stock.shipment.out.return, account.invoice
    state: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    ids: list[RecordId] = Field(min_length=1, max_length=MAX_IDS)
    skus: list[Name] = Field(default_factory=list, max_length=MAX_NAMES)
    external_refs: list[Name] = Field(default_factory=list, max_length=MAX_NAMES)
    occurred_at: datetime

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("occurred_at must carry a timezone")
        return value.astimezone(timezone.utc)

    @classmethod
    def parse(cls, body: bytes) -> ErpNotification:
        """The event in a verified body; ValueError (pydantic's
        ValidationError is one) for anything else, to answer 400."""
        if len(body) > MAX_BODY_BYTES:
            raise ValueError(f"notification body over {MAX_BODY_BYTES} bytes")
        return cls.model_validate_json(body)

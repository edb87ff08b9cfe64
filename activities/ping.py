"""The smallest real activity: record a `Pinged` business event in the ledger.

It proves the worker plumbing end to end (workflow queue -> ledger queue ->
database) and doubles as a health check. Idempotent like every activity: the
event id comes from the workflow run, so a retry records nothing new.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict
from temporalio import activity

from activities import refs
from activities.contracts import PingInput

if TYPE_CHECKING:  # keeps this module importable from the workflow sandbox
    from systems.ledger.store import Ledger

class Pinged(BaseModel):
    """Has the five fields every business event has, so the ledger takes it as is."""

    model_config = ConfigDict(frozen=True)

    type: Literal["Pinged"] = "Pinged"
    event_id: str
    occurred_at: datetime
    recorded_at: datetime
    source_system: Literal["wooerp"] = "wooerp"
    correlation_id: str
    message: str


class PingActivities:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    @activity.defn(name=refs.PING_RECORD.name)
    def record_ping(self, inp: PingInput) -> bool:
        """True if the event is new, False if a retry found it already recorded."""
        info = activity.info()
        event = Pinged(
            event_id=f"{info.workflow_id}:{info.workflow_run_id}:Pinged",
            occurred_at=inp.sent_at,
            recorded_at=datetime.now(timezone.utc),
            correlation_id=info.workflow_id,
            message=inp.message,
        )
        return self._ledger.append_event(event)

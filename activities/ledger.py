"""Ledger activities: the business event log and the id map.

Sync (SQLAlchemy) on the ledger queue's thread pool. Both writes are
idempotent in the ledger itself, so a retry records one fact.
"""
from __future__ import annotations

from temporalio import activity

from activities.contracts import Act, MapIdInput
from canonical.events import AnyEvent
from systems.ledger.store import Ledger


class LedgerActivities:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    @activity.defn(name=Act.LEDGER_RECORD_EVENT)
    def record_event(self, event: AnyEvent) -> bool:
        """True when the event is new, False when it was already recorded."""
        return self._ledger.append_event(event, type=event.type)

    @activity.defn(name=Act.LEDGER_MAP_ID)
    def map_id(self, inp: MapIdInput) -> bool:
        return self._ledger.map_id(inp.system, inp.entity, inp.external_id, inp.internal_id)

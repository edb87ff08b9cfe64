"""Ledger activities: the business event log.

Sync (SQLAlchemy) on the ledger queue's thread pool. The write is idempotent
in the ledger itself (by event id), so a retry records one fact.
"""
from __future__ import annotations

from temporalio import activity

from activities import refs
from canonical.events import AnyEvent
from systems.ledger.store import Ledger


class LedgerActivities:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    @activity.defn(name=refs.LEDGER_RECORD_EVENT.name)
    def record_event(self, event: AnyEvent) -> bool:
        """True when the event is new, False when it was already recorded."""
        return self._ledger.append_event(event, type=event.type)

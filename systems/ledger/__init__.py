"""The wooerp ledger: id map, append-only business events, webhook inbox."""
from systems.ledger.models import InboxStatus
from systems.ledger.store import IdConflict, InboxItem, Ledger, RecordedEvent

__all__ = ["IdConflict", "InboxItem", "InboxStatus", "Ledger", "RecordedEvent"]
